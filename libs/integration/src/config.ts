import { ConfigurationError } from './errors';

/** How things are named (`ThingNameScheme`): by DevEUI, or `<stackName>_<deviceID>`. */
export type ThingNameScheme = 'DevEUI' | 'DeviceID';

/** The Lambda configuration of docs/architecture.md ("Config"), parsed and checked. */
export interface IntegrationConfig {
  readonly stackName: string;
  readonly thingTypeName: string;
  readonly thingNameScheme: ThingNameScheme;
  readonly thingShadowMetrics: boolean;
  readonly applicationID: string;
  /** The TTS API base URL, ending in `/api/v3`, without a trailing slash. */
  readonly clusterURL: string;
  readonly e2eEnabled: boolean;
  /** Set when `e2eEnabled`. */
  readonly kekSecretID: string | undefined;
  /**
   * `ALLOW_PLAINTEXT_SESSION_KEYS=true`: with E2E, accept session keys that TTS sends in the
   * clear (the Join Server has no KEK for the device). Absent or false: refused.
   */
  readonly allowPlaintextSessionKeys?: boolean;
  readonly apiKeySecretID: string;
  /** The account's IoT data endpoint as a URL (`https://<prefix>-ats.iot.<region>.amazonaws.com`). */
  readonly iotDataEndpoint: string;
}

/** The registry functions' configuration (CreateThing, ClaimThing). */
export interface RegistryConfig extends IntegrationConfig {
  /** The frequency plan of a device whose thing names none (the region's plan). */
  readonly defaultFrequencyPlanID: string;
  /**
   * `DELETE_UNMARKED_DEVICES` (default false): whether deleting a thing deletes a TTS device
   * that this stack did not register (no `aws-iot-stack` attribute), when its EUIs match.
   */
  readonly deleteUnmarkedDevices: boolean;
}

type Env = Readonly<Record<string, string | undefined>>;

const STACK_NAME = /^[A-Za-z][A-Za-z0-9-]{0,127}$/;
const APPLICATION_ID = /^[a-z0-9](?:-?[a-z0-9]){2,}$/;
const THING_TYPE_NAME = /^[a-zA-Z0-9:_-]{1,128}$/;
/** TTS frequency plan IDs, e.g. `EU_863_870_TTN`, `US_902_928_FSB_2`. */
export const FREQUENCY_PLAN_ID = /^[A-Z][A-Z0-9_]{1,63}$/;

/** The frequency plan of devices whose thing names none, when the deployment sets none. */
const FALLBACK_FREQUENCY_PLAN_ID = 'EU_863_870_TTN';

/**
 * Parses the Lambda environment. Every problem is collected, so that one deployment
 * fix covers them all; the error lists each variable, what is wrong and what it takes.
 *
 * @throws ConfigurationError `invalid_configuration` (retryable: a redeploy fixes it)
 */
export function parseConfig(env: Env): IntegrationConfig {
  const problems: string[] = [];
  const config = readConfig(env, problems);
  if (problems.length > 0) throw new ConfigurationError(problems);
  return config;
}

/**
 * Parses the environment of a registry function: `parseConfig`'s variables and
 * `DEFAULT_FREQUENCY_PLAN_ID`, with the problems of all of them in one error.
 *
 * @throws ConfigurationError `invalid_configuration` (retryable: a redeploy fixes it)
 */
export function parseRegistryConfig(env: Env): RegistryConfig {
  const problems: string[] = [];
  const config = readConfig(env, problems);
  const defaultFrequencyPlanID = readFrequencyPlanID(env['DEFAULT_FREQUENCY_PLAN_ID'], problems);
  const deleteUnmarkedDevices = readOptionalFlag(env, 'DELETE_UNMARKED_DEVICES', problems);
  if (problems.length > 0) throw new ConfigurationError(problems);
  return { ...config, defaultFrequencyPlanID, deleteUnmarkedDevices };
}

/**
 * The deployment's default frequency plan (`DEFAULT_FREQUENCY_PLAN_ID`, the region's plan
 * that the stack outputs), else `EU_863_870_TTN`.
 *
 * @throws ConfigurationError `invalid_configuration` when the value is not a frequency plan ID
 */
export function parseDefaultFrequencyPlanID(value: string | undefined): string {
  const problems: string[] = [];
  const id = readFrequencyPlanID(value, problems);
  if (problems.length > 0) throw new ConfigurationError(problems);
  return id;
}

/** An optional `true`/`false` variable (any case), false when unset or empty. */
function readOptionalFlag(env: Env, name: string, problems: string[]): boolean {
  const value = env[name]?.trim().toLowerCase();
  if (!value || value === 'false') return false;
  if (value === 'true') return true;
  problems.push(
    `${name} ${JSON.stringify(env[name])} is invalid: use true or false (default false)`,
  );
  return false;
}

function readFrequencyPlanID(value: string | undefined, problems: string[]): string {
  const id = value?.trim() || FALLBACK_FREQUENCY_PLAN_ID;
  if (!FREQUENCY_PLAN_ID.test(id)) {
    problems.push(
      `DEFAULT_FREQUENCY_PLAN_ID ${JSON.stringify(value)} is invalid: use a TTS frequency plan ID such as EU_863_870_TTN`,
    );
  }
  return id;
}

/** Reads `IntegrationConfig` from the environment, adding what is wrong to `problems`. */
function readConfig(env: Env, problems: string[]): IntegrationConfig {
  const text = (name: string, pattern?: RegExp, hint?: string): string => {
    const value = env[name]?.trim();
    if (!value) {
      problems.push(`${name} is missing`);
      return '';
    }
    if (pattern && !pattern.test(value))
      problems.push(`${name} ${JSON.stringify(value)} is invalid: ${hint}`);
    return value;
  };
  const flag = (name: string): boolean => {
    const value = env[name]?.trim().toLowerCase();
    if (value === 'true') return true;
    if (value === 'false') return false;
    problems.push(
      value
        ? `${name} ${JSON.stringify(env[name])} is invalid: use true or false`
        : `${name} is missing`,
    );
    return false;
  };
  const url = (name: string, path: string): string => {
    const value = text(name);
    if (!value) return '';
    try {
      return addressToURL(value, path);
    } catch {
      problems.push(
        `${name} ${JSON.stringify(value)} is invalid: use a host name or an http(s) URL`,
      );
      return '';
    }
  };

  const stackName = text('STACK_NAME', STACK_NAME, 'a letter, then letters, digits and hyphens');
  const thingTypeName = text(
    'THING_TYPE_NAME',
    THING_TYPE_NAME,
    'letters, digits, ":", "_" and "-"',
  );
  const scheme = text('THING_NAME_SCHEME');
  if (scheme && scheme !== 'DevEUI' && scheme !== 'DeviceID') {
    problems.push(`THING_NAME_SCHEME ${JSON.stringify(scheme)} is invalid: use DevEUI or DeviceID`);
  }
  const thingShadowMetrics = flag('THING_SHADOW_METRICS');
  const applicationID = text(
    'APPLICATION_ID',
    APPLICATION_ID,
    'a TTS application ID (lowercase letters, digits, single hyphens)',
  );
  const clusterURL = url('CLUSTER_ADDRESS', '/api/v3');
  // The API key travels with every TTS request: plain HTTP only where a test or the local
  // stack says so (ALLOW_HTTP_CLUSTER=true), never in a deployment.
  if (clusterURL.startsWith('http:') && env['ALLOW_HTTP_CLUSTER']?.trim().toLowerCase() !== 'true')
    problems.push(
      `CLUSTER_ADDRESS ${JSON.stringify(env['CLUSTER_ADDRESS']?.trim())} is invalid: use https:// or a host name (the API key would travel unencrypted over http://; only tests and the local stack set ALLOW_HTTP_CLUSTER=true)`,
    );
  const e2eEnabled = flag('E2E_ENABLED');
  const kekSecretID = e2eEnabled
    ? text('KEK_SECRET_ID')
    : env['KEK_SECRET_ID']?.trim() || undefined;
  // Optional, default false: only an explicit "true" lets plaintext session keys in.
  const allowPlaintextSessionKeys = env['ALLOW_PLAINTEXT_SESSION_KEYS']?.trim()
    ? flag('ALLOW_PLAINTEXT_SESSION_KEYS')
    : false;
  const apiKeySecretID = text('API_KEY_SECRET_ID');
  const iotDataEndpoint = url('IOT_DATA_ENDPOINT', '');
  return {
    stackName,
    thingTypeName,
    thingNameScheme: scheme as ThingNameScheme,
    thingShadowMetrics,
    applicationID,
    clusterURL,
    e2eEnabled,
    kekSecretID,
    ...(allowPlaintextSessionKeys ? { allowPlaintextSessionKeys } : {}),
    apiKeySecretID,
    iotDataEndpoint,
  };
}

/**
 * Turns a host name (`eu1.cloud.thethings.industries`, HTTPS implied) or a full URL
 * (`http://127.0.0.1:1885`) into a base URL with `path` appended unless already present.
 */
export function addressToURL(address: string, path: string): string {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(address) ? address : `https://${address}`;
  const parsed = new URL(withScheme);
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:')
    throw new TypeError('not http(s)');
  if (parsed.search || parsed.hash || parsed.username) throw new TypeError('unexpected URL parts');
  const base = `${parsed.origin}${parsed.pathname.replace(/\/+$/, '')}`;
  return path && !base.endsWith(path) ? `${base}${path}` : base;
}
