import { availableParallelism } from 'node:os';
import { OptionsError } from './errors';

/** Everything `npm start` can be told; each has a default and a flag, most an environment variable. */
export interface LocalOptions {
  readonly host: string;
  readonly mqttPort: number;
  readonly apiPort: number;
  readonly ttsPort: number;
  readonly stackName: string;
  readonly applicationID: string;
  readonly thingTypeName: string;
  readonly e2e: boolean;
  readonly devices: number;
  /** Devices on an external Join Server whose things carry a claim authentication code. */
  readonly claimDevices: number;
  readonly uplinkIntervalMs: number;
  /**
   * Execution environments (worker threads) each function may run at once. Lambda scales
   * out; locally an invocation mostly waits for the local API, so a few per core.
   */
  readonly concurrency: number;
  /** Run the bounded demo (claim, join, uplink, downlink per device; one deletion) and exit. */
  readonly once: boolean;
  /** Stop after this long (0: run until SIGINT/SIGTERM). */
  readonly exitAfterMs: number;
  readonly verbose: boolean;
  /**
   * Where the state is kept across restarts (things, shadows, secrets, the TTS stand-in's
   * registries, the simulated devices); relative to the workspace root.
   */
  readonly dataDir: string;
  /** Discard the saved state and start empty. */
  readonly fresh: boolean;
  readonly help: boolean;
}

/**
 * Execution environments per function: 2 per core, at least 4. More cost more CPU per
 * uplink on a small machine (each environment's cold start, JIT and caches), see tools/soak.
 */
export function defaultConcurrency(cores = availableParallelism()): number {
  return Math.max(4, 2 * cores);
}

/** The defaults of docs/architecture.md "Local stack". */
export const DEFAULT_OPTIONS: LocalOptions = {
  host: '127.0.0.1',
  mqttPort: 1883,
  apiPort: 4566,
  ttsPort: 1885,
  stackName: 'local',
  applicationID: 'local-app',
  thingTypeName: 'lorawan',
  e2e: true,
  devices: 2,
  claimDevices: 1,
  uplinkIntervalMs: 10_000,
  concurrency: defaultConcurrency(),
  once: false,
  exitAfterMs: 0,
  verbose: false,
  dataDir: '.local',
  fresh: false,
  help: false,
};

type Kind = 'port' | 'count' | 'ms' | 'seconds' | 'text' | 'flag';

interface Setting {
  readonly key: keyof LocalOptions;
  readonly flag: string;
  readonly env?: string;
  readonly kind: Kind;
  readonly help: string;
}

const SETTINGS: readonly Setting[] = [
  {
    key: 'host',
    flag: '--host',
    env: 'LOCAL_HOST',
    kind: 'text',
    help: 'address every server listens on',
  },
  {
    key: 'mqttPort',
    flag: '--mqtt-port',
    env: 'LOCAL_MQTT_PORT',
    kind: 'port',
    help: 'MQTT broker (IoT Core stand-in)',
  },
  {
    key: 'apiPort',
    flag: '--api-port',
    env: 'LOCAL_API_PORT',
    kind: 'port',
    help: 'AWS-compatible API (iot, iot-data, secretsmanager)',
  },
  {
    key: 'ttsPort',
    flag: '--tts-port',
    env: 'LOCAL_TTS_PORT',
    kind: 'port',
    help: 'TTS stand-in API',
  },
  {
    key: 'stackName',
    flag: '--stack',
    env: 'LOCAL_STACK_NAME',
    kind: 'text',
    help: 'stack name (topics, secrets, thing attributes)',
  },
  {
    key: 'applicationID',
    flag: '--application',
    env: 'LOCAL_APPLICATION_ID',
    kind: 'text',
    help: 'TTS application ID',
  },
  {
    key: 'thingTypeName',
    flag: '--thing-type',
    env: 'LOCAL_THING_TYPE',
    kind: 'text',
    help: 'thing type name',
  },
  {
    key: 'e2e',
    flag: '--e2e',
    env: 'LOCAL_E2E',
    kind: 'flag',
    help: 'end-to-end encryption (--no-e2e or LOCAL_E2E=false to turn off)',
  },
  {
    key: 'devices',
    flag: '--devices',
    env: 'LOCAL_DEVICES',
    kind: 'count',
    help: 'simulated devices created with their AppKey',
  },
  {
    key: 'claimDevices',
    flag: '--claim-devices',
    env: 'LOCAL_CLAIM_DEVICES',
    kind: 'count',
    help: 'simulated devices claimed with their authentication code',
  },
  {
    key: 'uplinkIntervalMs',
    flag: '--interval',
    env: 'LOCAL_UPLINK_INTERVAL',
    kind: 'seconds',
    help: 'seconds between a device’s uplinks',
  },
  {
    key: 'concurrency',
    flag: '--concurrency',
    env: 'LOCAL_CONCURRENCY',
    kind: 'count',
    help: 'execution environments per function (2 per core, at least 4)',
  },
  {
    key: 'once',
    flag: '--once',
    env: 'LOCAL_ONCE',
    kind: 'flag',
    help: 'run a bounded demo (claim, join, uplink, downlink per device; delete one) and exit',
  },
  {
    key: 'exitAfterMs',
    flag: '--exit-after',
    env: 'LOCAL_EXIT_AFTER_MS',
    kind: 'ms',
    help: 'stop after this many milliseconds',
  },
  {
    key: 'verbose',
    flag: '--verbose',
    env: 'LOCAL_VERBOSE',
    kind: 'flag',
    help: 'also log every AWS API call and shadow topic',
  },
  {
    key: 'dataDir',
    flag: '--data-dir',
    env: 'LOCAL_DATA_DIR',
    kind: 'text',
    help: 'where the state is kept across restarts (relative to the workspace root)',
  },
  {
    key: 'fresh',
    flag: '--fresh',
    env: 'LOCAL_FRESH',
    kind: 'flag',
    help: 'discard the saved state and start empty',
  },
  { key: 'help', flag: '--help', kind: 'flag', help: 'show this help' },
];

/**
 * Reads the options: defaults, then environment variables, then flags (`--flag value`,
 * `--flag=value`, `--no-<flag>`). Every problem is reported at once.
 */
export function parseOptions(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): LocalOptions {
  const options: Record<string, unknown> = { ...DEFAULT_OPTIONS };
  const problems: string[] = [];
  const assign = (setting: Setting, raw: string | undefined, source: string) => {
    const value = convert(setting.kind, raw);
    if (value === undefined)
      problems.push(`${source} ${JSON.stringify(raw ?? '')} is not ${describe(setting.kind)}`);
    else options[setting.key] = value;
  };
  for (const setting of SETTINGS) {
    const raw = setting.env ? env[setting.env] : undefined;
    if (raw !== undefined && raw !== '') assign(setting, raw, setting.env!);
  }
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const [name, inline] = arg.includes('=')
      ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)]
      : [arg, undefined];
    const negated = name.startsWith('--no-')
      ? SETTINGS.find((s) => s.kind === 'flag' && s.flag === `--${name.slice(5)}`)
      : undefined;
    if (negated) {
      options[negated.key] = false;
      continue;
    }
    const setting = SETTINGS.find((s) => s.flag === name);
    if (!setting) {
      problems.push(`unknown argument ${JSON.stringify(arg)}`);
      continue;
    }
    if (setting.kind === 'flag') assign(setting, inline ?? 'true', setting.flag);
    else assign(setting, inline ?? argv[++i], setting.flag);
  }
  if (options['concurrency'] === 0)
    problems.push(
      '--concurrency (LOCAL_CONCURRENCY) 0: each function needs at least 1 execution environment',
    );
  if (problems.length > 0) throw new OptionsError(problems);
  return options as unknown as LocalOptions;
}

/** The `--help` text. */
export function usage(): string {
  const rows = SETTINGS.map((s) => {
    const value = s.kind === 'flag' ? '' : ` <${s.kind === 'text' ? 'value' : s.kind}>`;
    const fallback = DEFAULT_OPTIONS[s.key];
    const shown = s.key === 'uplinkIntervalMs' ? Number(fallback) / 1000 : fallback;
    return `  ${`${s.flag}${value}`.padEnd(26)} ${s.help}${s.kind === 'flag' ? '' : ` (default ${String(shown)})`}${s.env ? `  [${s.env}]` : ''}`;
  });
  return [
    'Usage: npm start -- [options]',
    '',
    'Runs the integration on this machine: IoT Core and TTS stand-ins, the Lambdas, simulated devices.',
    '',
    ...rows,
    `  ${'--build'.padEnd(26)} rebuild the Lambda bundles first (npm start builds them when they are missing)`,
  ].join('\n');
}

function convert(kind: Kind, raw: string | undefined): unknown {
  if (raw === undefined) return undefined;
  switch (kind) {
    case 'text':
      return raw.length > 0 ? raw : undefined;
    case 'flag':
      return raw === 'true' || raw === '1'
        ? true
        : raw === 'false' || raw === '0'
          ? false
          : undefined;
    case 'port':
      return integer(raw, 0, 65535);
    case 'count':
      return integer(raw, 0, 1000);
    case 'ms':
      return integer(raw, 0, 86_400_000);
    case 'seconds': {
      const seconds = Number(raw);
      return Number.isFinite(seconds) && seconds >= 0.1 && seconds <= 86_400
        ? Math.round(seconds * 1000)
        : undefined;
    }
  }
}

function integer(raw: string, min: number, max: number): number | undefined {
  if (!/^\d+$/.test(raw)) return undefined;
  const value = Number(raw);
  return value >= min && value <= max ? value : undefined;
}

function describe(kind: Kind): string {
  switch (kind) {
    case 'port':
      return 'a port (0-65535; 0 picks a free one)';
    case 'count':
      return 'a count (0-1000)';
    case 'ms':
      return 'a number of milliseconds';
    case 'seconds':
      return 'a number of seconds (at least 0.1)';
    case 'flag':
      return 'true or false';
    case 'text':
      return 'a non-empty value';
  }
}
