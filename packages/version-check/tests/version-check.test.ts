import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import { CodedError } from '@tts-aws-iot/errors';

import {
  checkVersion,
  compareVersions,
  fetchManifest,
  MAX_MANIFEST_BYTES,
  parseReleaseManifest,
  parseVersionCheckConfig,
  VersionCheckError,
  type VersionCheckDeps,
} from '../src/version-check';

const HASH = 'a'.repeat(64);
const manifest = (version: string): string =>
  JSON.stringify({ version, artifacts: { 'uplink.zip': HASH } });

function deps(fetchManifest: VersionCheckDeps['fetchManifest']) {
  const counted: [string, number | undefined][] = [];
  const warnings: string[] = [];
  return {
    counted,
    warnings,
    deps: {
      fetchManifest,
      counters: { count: (name: string, value?: number) => void counted.push([name, value]) },
      log: { info: () => undefined, warn: (message: string) => void warnings.push(message) },
    } satisfies VersionCheckDeps,
  };
}

const CONFIG = { currentVersion: '0.2.0', manifestURL: 'https://releases.example.com/m.json' };

describe('compareVersions', () => {
  it.each([
    ['0.2.1', '0.2.0', 1],
    ['0.10.0', '0.9.9', 1],
    ['1.0.0', '0.99.99', 1],
    ['0.2.0', '0.2.0', 0],
    ['0.2.0-rc.1', '0.2.0', -1],
    ['0.2.0-rc.10', '0.2.0-rc.9', 1],
    ['0.2.0-beta', '0.2.0-alpha', 1],
    ['0.2.0-rc.1.1', '0.2.0-rc.1', 1],
  ])('orders %s against %s as %d', (a, b, sign) => {
    expect(Math.sign(compareVersions(a, b))).toBe(sign);
    expect(Math.sign(compareVersions(b, a))).toBe(sign === 0 ? 0 : -sign);
  });

  it('refuses what is not major.minor.patch, naming it', () => {
    expect(() => compareVersions('v1.2', '1.0.0')).toThrow('"v1.2" is not a version');
  });
});

describe('parseReleaseManifest', () => {
  it('reads the version and the artifact hashes', () => {
    expect(parseReleaseManifest(manifest('1.2.3'))).toEqual({
      version: '1.2.3',
      artifacts: { 'uplink.zip': HASH },
    });
  });

  it.each([
    ['not json', 'is not JSON'],
    ['[]', 'is not a JSON object'],
    ['{"artifacts":{}}', 'version undefined is not major.minor.patch'],
    ['{"version":"1.0","artifacts":{}}', 'version "1.0" is not major.minor.patch'],
    ['{"version":"1.0.0"}', 'artifacts are not an object'],
    ['{"version":"1.0.0","artifacts":{"a.zip":"xyz"}}', 'hash of a.zip is not 64'],
  ])('refuses %s: %s', (text, message) => {
    expect(() => parseReleaseManifest(text)).toThrow(message);
  });

  it.each([
    ['{"version":"1.0","artifacts":{}}', 'version'],
    ['{"version":"1.0.0","artifacts":[]}', 'artifacts'],
    ['{"version":"1.0.0","artifacts":{"a.zip":7}}', 'artifacts.a.zip'],
    ['7', ''],
  ])('names the field it refuses in %s', (text, field) => {
    expect(() => parseReleaseManifest(text)).toThrow(
      expect.objectContaining({ code: 'invalid_manifest', attributes: { field } }),
    );
  });

  it('does not repeat a long version from the network in full', () => {
    const version = `1.0.0-${'x'.repeat(60_000)}!`;
    expect(() => parseReleaseManifest(JSON.stringify({ version, artifacts: {} }))).toThrow(
      "the release manifest's version a string is not major.minor.patch",
    );
  });
});

describe('checkVersion', () => {
  it('publishes NewerReleaseAvailable=1 and warns when the manifest names a newer release', async () => {
    const { deps: d, counted, warnings } = deps(async () => manifest('0.3.0'));
    await expect(checkVersion(CONFIG, d)).resolves.toEqual({
      result: 'newer',
      current: '0.2.0',
      latest: '0.3.0',
    });
    expect(counted).toEqual([['NewerReleaseAvailable', 1]]);
    expect(warnings).toEqual([expect.stringContaining('Release 0.3.0 is available')]);
  });

  it.each(['0.2.0', '0.1.9', '0.2.0-rc.1'])(
    'publishes NewerReleaseAvailable=0 when the manifest names %s',
    async (version) => {
      const { deps: d, counted } = deps(async () => manifest(version));
      expect((await checkVersion(CONFIG, d)).result).toBe('current');
      expect(counted).toEqual([['NewerReleaseAvailable', 0]]);
    },
  );

  it('counts VersionCheckFailures, without a verdict, when the manifest cannot be fetched or read', async () => {
    for (const fetchManifest of [
      async () => Promise.reject(new Error('HTTP 403')),
      async () => '{"version":"x"}',
    ]) {
      const { deps: d, counted, warnings } = deps(fetchManifest);
      const result = await checkVersion(CONFIG, d);
      expect(result.result).toBe('unknown');
      expect(counted).toEqual([['VersionCheckFailures', undefined]]);
      expect(warnings[0]).toContain('Could not check for a newer release at https://releases');
    }
  });
});

describe('parseVersionCheckConfig', () => {
  const env = { CURRENT_VERSION: '0.2.0', RELEASE_MANIFEST_URL: 'https://x.example/m.json' };

  it('reads the version and the https:// manifest URL', () => {
    expect(parseVersionCheckConfig(env)).toEqual({
      currentVersion: '0.2.0',
      manifestURL: 'https://x.example/m.json',
    });
  });

  it('refuses an http:// URL unless ALLOW_HTTP_MANIFEST=true, and an empty one always', () => {
    const http = { ...env, RELEASE_MANIFEST_URL: 'http://127.0.0.1:1/m.json' };
    expect(() => parseVersionCheckConfig(http)).toThrow(
      "is not an https:// URL: set the stack's ReleaseManifestURL parameter",
    );
    expect(parseVersionCheckConfig({ ...http, ALLOW_HTTP_MANIFEST: 'true' }).manifestURL).toBe(
      'http://127.0.0.1:1/m.json',
    );
    expect(() => parseVersionCheckConfig({ ...env, RELEASE_MANIFEST_URL: '' })).toThrow(
      'RELEASE_MANIFEST_URL "" is not an https:// URL',
    );
  });

  it('refuses a CURRENT_VERSION that is no version', () => {
    expect(() => parseVersionCheckConfig({ ...env, CURRENT_VERSION: 'latest' })).toThrow(
      '"latest" is not a version',
    );
  });
});

describe('fetchManifest: what the manifest server can make it do', () => {
  let server: Server;
  let base: string;
  beforeAll(async () => {
    server = createServer((request, response) => {
      if (request.url === '/big') {
        // No length announced: the limit holds while reading.
        response.writeHead(200, { 'content-type': 'application/json' });
        const chunk = Buffer.alloc(16 * 1024, 0x20);
        for (let i = 0; i < 64; i += 1) response.write(chunk);
        response.end();
      } else response.end(manifest('0.3.0'));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('reads a manifest within the limit', async () => {
    expect(JSON.parse(await fetchManifest(`${base}/m.json`))).toMatchObject({ version: '0.3.0' });
  });

  it('refuses a body larger than MAX_MANIFEST_BYTES without reading it all', async () => {
    await expect(fetchManifest(`${base}/big`)).rejects.toThrow(
      `the manifest is larger than ${MAX_MANIFEST_BYTES} bytes`,
    );
  });
});

describe('VersionCheckError', () => {
  it('is a CodedError with its own name and code', () => {
    const error = new VersionCheckError('invalid_version', 'not a version');
    expect(error).toBeInstanceOf(CodedError);
    expect(error).toMatchObject({ name: 'VersionCheckError', code: 'invalid_version' });
    expect(() => parseReleaseManifest('{')).toThrow(VersionCheckError);
  });
});
