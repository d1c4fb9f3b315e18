import { ProblemList } from '@tts-aws-iot/input';
import * as v from 'valibot';

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
  const problems = new ProblemList();
  const config = problems.readEntries(configSchema(env), env);
  if (!config || problems.problems.length > 0) throw new ConfigurationError(problems.problems);
  return integrationConfig(config);
}

/**
 * Parses the environment of a registry function: `parseConfig`'s variables and
 * `DEFAULT_FREQUENCY_PLAN_ID`, with the problems of all of them in one error.
 *
 * @throws ConfigurationError `invalid_configuration` (retryable: a redeploy fixes it)
 */
export function parseRegistryConfig(env: Env): RegistryConfig {
  const problems = new ProblemList();
  const config = problems.readEntries(configSchema(env), env);
  const registry = problems.readEntries(REGISTRY_ENV, env);
  if (!config || !registry || problems.problems.length > 0)
    throw new ConfigurationError(problems.problems);
  return {
    ...integrationConfig(config),
    defaultFrequencyPlanID: registry.DEFAULT_FREQUENCY_PLAN_ID,
    deleteUnmarkedDevices: registry.DELETE_UNMARKED_DEVICES,
  };
}

/**
 * The deployment's default frequency plan (`DEFAULT_FREQUENCY_PLAN_ID`, the region's plan
 * that the stack outputs), else `EU_863_870_TTN`.
 *
 * @throws ConfigurationError `invalid_configuration` when the value is not a frequency plan ID
 */
export function parseDefaultFrequencyPlanID(value: string | undefined): string {
  const problems = new ProblemList();
  const id = problems.read(DEFAULT_FREQUENCY_PLAN, value);
  if (id === undefined) throw new ConfigurationError(problems.problems);
  return id;
}

// The schemas of the variables: each message is the problem the configuration is refused
// with, naming the variable and, where it helps, what it takes.

/** A variable that must be set (trimmed), and match `pattern` where one is given. */
function text(name: string, pattern?: RegExp, hint?: string) {
  const set = v.pipe(v.optional(v.string(), ''), v.trim(), v.nonEmpty(`${name} is missing`));
  if (!pattern) return set;
  return v.pipe(
    set,
    v.regex(pattern, (issue) => `${name} ${JSON.stringify(issue.input)} is invalid: ${hint}`),
  );
}

/** A `true`/`false` variable (any case); `optional`: false when unset or empty. */
function flag(name: string, optional: boolean, hint = 'use true or false') {
  return v.pipe(
    v.optional(v.string(), ''),
    v.check((value) => optional || value.trim() !== '', `${name} is missing`),
    v.check(
      (value) => /^(?:true|false|)$/i.test(value.trim()),
      (issue) => `${name} ${JSON.stringify(issue.input)} is invalid: ${hint}`,
    ),
    v.transform((value) => value.trim().toLowerCase() === 'true'),
  );
}

/**
 * A host name (HTTPS implied) or an http(s) URL, as a base URL that ends in `path`. `http:`
 * is refused with the `plainHttp` explanation where one is given: an API key must not travel
 * unencrypted outside tests and the local stack.
 */
export function baseURL(
  name: string,
  path: string,
  options: { readonly missing?: string; readonly plainHttp?: string } = {},
) {
  const missing = options.missing ?? `${name} is missing`;
  return v.pipe(
    v.optional(v.string(missing), ''),
    v.trim(),
    v.nonEmpty(missing),
    v.rawTransform(({ dataset, addIssue, NEVER }) => {
      const address = dataset.value;
      let url: string | undefined;
      try {
        url = addressToURL(address, path);
      } catch {
        url = undefined;
      }
      const refusal =
        url === undefined
          ? 'use a host name or an http(s) URL'
          : url.startsWith('http:') && options.plainHttp !== undefined
            ? `use https:// or a host name (${options.plainHttp})`
            : undefined;
      if (url !== undefined && refusal === undefined) return url;
      addIssue({ message: `${name} ${JSON.stringify(address)} is invalid: ${refusal}` });
      return NEVER;
    }),
  );
}

/**
 * The variables of `IntegrationConfig`, in the order their problems are listed. Two of them
 * depend on others: an http:// `CLUSTER_ADDRESS` is accepted only with
 * `ALLOW_HTTP_CLUSTER=true`, and `KEK_SECRET_ID` is required only with `E2E_ENABLED=true`.
 */
function configEntries(allowHttpCluster: boolean, e2eEnabled: boolean) {
  return {
    STACK_NAME: text('STACK_NAME', STACK_NAME, 'a letter, then letters, digits and hyphens'),
    THING_TYPE_NAME: text('THING_TYPE_NAME', THING_TYPE_NAME, 'letters, digits, ":", "_" and "-"'),
    THING_NAME_SCHEME: v.pipe(
      text('THING_NAME_SCHEME'),
      v.picklist(
        ['DevEUI', 'DeviceID'],
        (issue) =>
          `THING_NAME_SCHEME ${JSON.stringify(issue.input)} is invalid: use DevEUI or DeviceID`,
      ),
    ),
    THING_SHADOW_METRICS: flag('THING_SHADOW_METRICS', false),
    APPLICATION_ID: text(
      'APPLICATION_ID',
      APPLICATION_ID,
      'a TTS application ID (lowercase letters, digits, single hyphens)',
    ),
    CLUSTER_ADDRESS: baseURL('CLUSTER_ADDRESS', '/api/v3', {
      ...(allowHttpCluster
        ? {}
        : {
            plainHttp:
              'the API key would travel unencrypted over http://; only tests and the local stack set ALLOW_HTTP_CLUSTER=true',
          }),
    }),
    E2E_ENABLED: flag('E2E_ENABLED', false),
    KEK_SECRET_ID: e2eEnabled ? text('KEK_SECRET_ID') : OPTIONAL_TEXT,
    // Optional, default false: only an explicit "true" lets plaintext session keys in.
    ALLOW_PLAINTEXT_SESSION_KEYS: flag('ALLOW_PLAINTEXT_SESSION_KEYS', true),
    API_KEY_SECRET_ID: text('API_KEY_SECRET_ID'),
    IOT_DATA_ENDPOINT: baseURL('IOT_DATA_ENDPOINT', ''),
  };
}

const OPTIONAL_TEXT = v.pipe(
  v.optional(v.string(), ''),
  v.trim(),
  v.transform((value) => value || undefined),
);

const configSchemaOf = (allowHttpCluster: boolean, e2eEnabled: boolean) =>
  v.object(configEntries(allowHttpCluster, e2eEnabled));

/** Built once for each of the four settings the schema depends on. */
const CONFIG_SCHEMAS = {
  https: { e2e: configSchemaOf(false, true), plain: configSchemaOf(false, false) },
  http: { e2e: configSchemaOf(true, true), plain: configSchemaOf(true, false) },
} as const;

/** The schema for this environment: its ALLOW_HTTP_CLUSTER and its (valid) E2E_ENABLED. */
function configSchema(env: Env) {
  const allowHttp = env['ALLOW_HTTP_CLUSTER']?.trim().toLowerCase() === 'true';
  return CONFIG_SCHEMAS[allowHttp ? 'http' : 'https'][
    env['E2E_ENABLED']?.trim().toLowerCase() === 'true' ? 'e2e' : 'plain'
  ];
}

function integrationConfig(
  read: v.InferOutput<ReturnType<typeof configSchema>>,
): IntegrationConfig {
  return {
    stackName: read.STACK_NAME,
    thingTypeName: read.THING_TYPE_NAME,
    thingNameScheme: read.THING_NAME_SCHEME,
    thingShadowMetrics: read.THING_SHADOW_METRICS,
    applicationID: read.APPLICATION_ID,
    clusterURL: read.CLUSTER_ADDRESS,
    e2eEnabled: read.E2E_ENABLED,
    kekSecretID: read.KEK_SECRET_ID,
    ...(read.ALLOW_PLAINTEXT_SESSION_KEYS ? { allowPlaintextSessionKeys: true } : {}),
    apiKeySecretID: read.API_KEY_SECRET_ID,
    iotDataEndpoint: read.IOT_DATA_ENDPOINT,
  };
}

const DEFAULT_FREQUENCY_PLAN = v.pipe(
  v.optional(v.string(), ''),
  v.check(
    (value) => FREQUENCY_PLAN_ID.test(value.trim() || FALLBACK_FREQUENCY_PLAN_ID),
    (issue) =>
      `DEFAULT_FREQUENCY_PLAN_ID ${JSON.stringify(issue.input)} is invalid: use a TTS frequency plan ID such as EU_863_870_TTN`,
  ),
  v.transform((value) => value.trim() || FALLBACK_FREQUENCY_PLAN_ID),
);

/** The variables a registry function reads besides `IntegrationConfig`'s. */
const REGISTRY_ENV = v.object({
  DEFAULT_FREQUENCY_PLAN_ID: DEFAULT_FREQUENCY_PLAN,
  /** Default false. */
  DELETE_UNMARKED_DEVICES: flag(
    'DELETE_UNMARKED_DEVICES',
    true,
    'use true or false (default false)',
  ),
});

/**
 * Turns a host name (`eu1.cloud.thethings.industries`, HTTPS implied) or a full URL
 * (`http://127.0.0.1:1885`) into a base URL with `path` appended unless already present.
 */
function addressToURL(address: string, path: string): string {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(address) ? address : `https://${address}`;
  const parsed = new URL(withScheme);
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:')
    throw new TypeError('not http(s)');
  if (parsed.search || parsed.hash || parsed.username) throw new TypeError('unexpected URL parts');
  const base = `${parsed.origin}${parsed.pathname.replace(/\/+$/, '')}`;
  return path && !base.endsWith(path) ? `${base}${path}` : base;
}
