/**
 * CheckVersion: once an hour, reads the release manifest (`release-manifest.json`, written
 * by `npm run package`) and tells whether it names a newer release than the one this stack
 * runs. The answer is the metric `NewerReleaseAvailable` (1 or 0), on which the stack's
 * alarm fires; a manifest that cannot be read or understood counts `VersionCheckFailures`
 * and waits for the next hour rather than failing the invocation (a retry would ask the
 * same server again within minutes, and a dead letter would say nothing new).
 */

import { CodedError } from '@tts-aws-iot/errors';
import { describeValue, jsonObject, objectOf, parseJsonText, readInput } from '@tts-aws-iot/input';
import * as v from 'valibot';

/** What a release manifest holds that the check reads. */
export interface ReleaseManifest {
  /** The release's version, `major.minor.patch` with an optional `-prerelease`. */
  readonly version: string;
  /** SHA-256 (hex) of each artifact by file name. */
  readonly artifacts: Readonly<Record<string, string>>;
}

/** The check's settings (the function's environment). */
export interface VersionCheckConfig {
  /** The version this stack was deployed from. */
  readonly currentVersion: string;
  /** Where the manifest is read from (`https://…`). */
  readonly manifestURL: string;
}

/** What CheckVersion needs from outside. */
export interface VersionCheckDeps {
  /** The manifest's text; throws when it cannot be fetched. */
  fetchManifest(url: string): Promise<string>;
  readonly counters: { count(name: string, value?: number): void };
  readonly log: {
    info(message: string, attributes: Readonly<Record<string, unknown>>): void;
    warn(message: string, attributes: Readonly<Record<string, unknown>>): void;
  };
}

/** What one check found. */
export type VersionCheckResult =
  | { readonly result: 'newer' | 'current'; readonly current: string; readonly latest: string }
  | { readonly result: 'unknown'; readonly current: string; readonly reason: string };

/** A manifest or version that is not what the check expects. */
export class VersionCheckError extends CodedError<'invalid_manifest' | 'invalid_version'> {
  override readonly name = 'VersionCheckError';
}

const VERSION = /^(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.-]+))?$/;
const SHA256 = /^[0-9a-f]{64}$/;

const NOT_AN_OBJECT = 'the release manifest is not a JSON object';
const NOT_HASHES =
  "the release manifest's artifacts are not an object of SHA-256 hashes by file name";
const notAVersion = (version: unknown): string =>
  `the release manifest's version ${version === undefined ? 'undefined' : describeValue(version)} is not major.minor.patch`;

/** Why a manifest is refused: each schema's message says it (the object's, for a missing field). */
const MANIFEST = objectOf(
  {
    version: v.custom<string>(
      (version) => typeof version === 'string' && VERSION.test(version),
      (issue) => notAVersion(issue.input),
    ),
    artifacts: v.pipe(
      jsonObject(NOT_HASHES),
      v.record(v.string(), v.pipe(v.string(), v.regex(SHA256)), NOT_HASHES),
    ),
  },
  (issue) => (issue.path?.[0]?.key === 'version' ? notAVersion(undefined) : NOT_HASHES),
);

/**
 * Reads a manifest's text.
 *
 * @throws VersionCheckError naming the field that is missing or malformed (`attributes.field`)
 */
export function parseReleaseManifest(text: string): ReleaseManifest {
  const parsed = parseJsonText(text);
  if ('error' in parsed)
    throw new VersionCheckError('invalid_manifest', 'the release manifest is not JSON');
  return readInput(MANIFEST, parsed.json, (issue) => {
    const [field, file] = issue.path;
    let message = issue.expected;
    if (issue.field === '') message = NOT_AN_OBJECT;
    // An artifact's hash is refused by its file name (the path has it, the message not).
    else if (field === 'artifacts' && file !== undefined)
      message = `the release manifest's hash of ${file} is not 64 lowercase hex digits`;
    return new VersionCheckError('invalid_manifest', message, { field: issue.field });
  });
}

/**
 * Orders two versions as semantic versioning does (a prerelease sorts before its release;
 * prerelease identifiers compare numerically where both are numbers).
 *
 * @returns a negative number when `a` is older, 0 when equal, positive when newer
 * @throws VersionCheckError when either is not `major.minor.patch[-prerelease]`
 */
export function compareVersions(a: string, b: string): number {
  const [pa, pb] = [parts(a), parts(b)];
  // Both cores have three numbers (the pattern says so).
  for (const [i, x] of pa.core.entries()) {
    const y = pb.core[i] ?? 0;
    if (x !== y) return x - y;
  }
  if (pa.pre === undefined || pb.pre === undefined)
    return (pa.pre === undefined ? 1 : 0) - (pb.pre === undefined ? 1 : 0);
  const [ia, ib] = [pa.pre.split('.'), pb.pre.split('.')];
  for (const [i, x] of ia.entries()) {
    const y = ib[i];
    if (y === undefined) break;
    if (x === y) continue;
    const numeric = /^\d+$/.test(x) && /^\d+$/.test(y);
    return numeric ? Number(x) - Number(y) : x < y ? -1 : 1;
  }
  return ia.length - ib.length;
}

function parts(version: string): { core: number[]; pre: string | undefined } {
  const match = VERSION.exec(version);
  if (!match)
    throw new VersionCheckError(
      'invalid_version',
      `${JSON.stringify(version)} is not a version (major.minor.patch)`,
    );
  return { core: [1, 2, 3].map((i) => Number(match[i])), pre: match[4] };
}

/** One check: fetch, compare, publish the metric. Never throws for the manifest's sake. */
export async function checkVersion(
  config: VersionCheckConfig,
  deps: VersionCheckDeps,
): Promise<VersionCheckResult> {
  const current = config.currentVersion;
  let latest: string;
  try {
    latest = parseReleaseManifest(await deps.fetchManifest(config.manifestURL)).version;
    const result = compareVersions(latest, current) > 0 ? 'newer' : 'current';
    deps.counters.count('NewerReleaseAvailable', result === 'newer' ? 1 : 0);
    if (result === 'newer')
      deps.log.warn(
        `Release ${latest} is available; this stack runs ${current}. Update it (README.md, "Update").`,
        { current_version: current, latest_version: latest },
      );
    else deps.log.info('This stack runs the latest release.', { current_version: current });
    return { result, current, latest };
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    deps.counters.count('VersionCheckFailures');
    deps.log.warn(
      `Could not check for a newer release at ${config.manifestURL}: ${reason}. Trying again in an hour.`,
      { current_version: current },
    );
    return { result: 'unknown', current, reason };
  }
}

/**
 * The check's settings from the function's environment: `CURRENT_VERSION`, and
 * `RELEASE_MANIFEST_URL` as `https://` (`http://` only with `ALLOW_HTTP_MANIFEST=true`,
 * for a local test server).
 *
 * @throws VersionCheckError naming the variable and what to set it to
 */
export function parseVersionCheckConfig(
  env: Readonly<Record<string, string | undefined>>,
): VersionCheckConfig {
  const currentVersion = env['CURRENT_VERSION']?.trim() ?? '';
  parts(currentVersion);
  const manifestURL = env['RELEASE_MANIFEST_URL']?.trim() ?? '';
  const http = env['ALLOW_HTTP_MANIFEST'] === 'true' && manifestURL.startsWith('http://');
  if (!manifestURL.startsWith('https://') && !http)
    throw new VersionCheckError(
      'invalid_manifest',
      `RELEASE_MANIFEST_URL ${JSON.stringify(manifestURL)} is not an https:// URL: set the stack's ReleaseManifestURL parameter to the release manifest's address.`,
    );
  return { currentVersion, manifestURL };
}

/** A release manifest is a few hundred bytes; more is refused unread. */
export const MAX_MANIFEST_BYTES = 64 * 1024;

/**
 * Fetches a manifest with a time limit and a size limit ({@link MAX_MANIFEST_BYTES}); an HTTP
 * status other than 200 is an error.
 */
export async function fetchManifest(
  url: string,
  timeoutMs = 10_000,
  maxBytes = MAX_MANIFEST_BYTES,
): Promise<string> {
  const response = await fetch(url, {
    signal: AbortSignal.timeout(timeoutMs),
    headers: { accept: 'application/json' },
  });
  if (response.status !== 200) throw new Error(`HTTP ${response.status}`);
  const chunks: Uint8Array[] = [];
  let bytes = 0;
  for await (const chunk of response.body ?? []) {
    bytes += (chunk as Uint8Array).byteLength;
    if (bytes > maxBytes) {
      await response.body?.cancel().catch(() => undefined);
      throw new Error(`the manifest is larger than ${maxBytes} bytes`);
    }
    chunks.push(chunk as Uint8Array);
  }
  return Buffer.concat(chunks).toString('utf8');
}
