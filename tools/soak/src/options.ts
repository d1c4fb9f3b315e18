// The default is the local stack's (an app), which the soak drives in its own process.
// eslint-disable-next-line @nx/enforce-module-boundaries
import { defaultConcurrency } from '@tts-aws-iot/local/options';

/** What `npm run soak` can be told. */
export interface SoakOptions {
  /** Simulated devices, each with its thing, provisioned through the integration. */
  readonly devices: number;
  /** Uplinks per second of each clean phase, one phase per rate (latency is measured per rate). */
  readonly rates: readonly number[];
  /** Seconds of each clean phase. */
  readonly phaseSeconds: number;
  /** Uplinks per second while the faults run. */
  readonly faultRate: number;
  /** Seconds of the fault phase. */
  readonly faultSeconds: number;
  /** Share of AWS API calls answered with ThrottlingException during the fault phase. */
  readonly throttleRate: number;
  /** Share of AWS API calls answered with HTTP 503 during the fault phase. */
  readonly serverErrorRate: number;
  /** Things whose handler fails after the shadow write (the next Publish fails on every SDK attempt). */
  readonly partialFailures: number;
  /** Downlinks requested per second during the fault phase. */
  readonly downlinkRate: number;
  /** Things created during the TTS faults (their registration must get through). */
  readonly newThings: number;
  /** Restart the stack after the fault phase and check what persisted. */
  readonly restart: boolean;
  /** Seed of the injected faults' draws. */
  readonly seed: number;
  /** Execution environments per function (the local stack's `--concurrency`). */
  readonly concurrency: number;
  readonly help: boolean;
}

/** The full run: the figures of the README (about 60 s of traffic, plus setup). */
export const FULL: SoakOptions = {
  devices: 1000,
  rates: [100, 250, 500],
  phaseSeconds: 10,
  faultRate: 100,
  faultSeconds: 30,
  throttleRate: 0.05,
  serverErrorRate: 0.02,
  partialFailures: 20,
  downlinkRate: 5,
  newThings: 6,
  restart: true,
  seed: 1,
  concurrency: defaultConcurrency(),
  help: false,
};

/** `--short`: about 20 s, what `npm test` runs. */
export const SHORT: SoakOptions = {
  ...FULL,
  devices: 20,
  rates: [40],
  phaseSeconds: 3,
  // Each device sends every 2 s in the faults, well after its retried uplinks: see the README.
  faultRate: 10,
  faultSeconds: 8,
  partialFailures: 4,
  downlinkRate: 2,
  newThings: 2,
};

interface Setting {
  readonly key: keyof SoakOptions;
  readonly flag: string;
  readonly kind: 'count' | 'share' | 'seconds' | 'list' | 'flag';
  readonly help: string;
}

const SETTINGS: readonly Setting[] = [
  { key: 'devices', flag: '--devices', kind: 'count', help: 'simulated devices (N)' },
  {
    key: 'rates',
    flag: '--rates',
    kind: 'list',
    help: 'uplinks/s of the clean phases (R, comma-separated)',
  },
  {
    key: 'phaseSeconds',
    flag: '--phase-seconds',
    kind: 'seconds',
    help: 'seconds per clean phase (T)',
  },
  { key: 'faultRate', flag: '--fault-rate', kind: 'count', help: 'uplinks/s during the faults' },
  {
    key: 'faultSeconds',
    flag: '--fault-seconds',
    kind: 'seconds',
    help: 'seconds of the fault phase',
  },
  {
    key: 'throttleRate',
    flag: '--throttle-rate',
    kind: 'share',
    help: 'share of AWS calls throttled (0..1)',
  },
  {
    key: 'serverErrorRate',
    flag: '--server-error-rate',
    kind: 'share',
    help: 'share of AWS calls answered 503 (0..1)',
  },
  {
    key: 'partialFailures',
    flag: '--partial-failures',
    kind: 'count',
    help: 'handlers failing after the shadow write',
  },
  {
    key: 'downlinkRate',
    flag: '--downlink-rate',
    kind: 'count',
    help: 'downlinks requested per second during the faults',
  },
  {
    key: 'newThings',
    flag: '--new-things',
    kind: 'count',
    help: 'things created while TTS fails and stalls',
  },
  {
    key: 'restart',
    flag: '--restart',
    kind: 'flag',
    help: 'restart the stack after the faults (--no-restart: skip)',
  },
  { key: 'seed', flag: '--seed', kind: 'count', help: 'seed of the fault draws' },
  {
    key: 'concurrency',
    flag: '--concurrency',
    kind: 'count',
    help: 'execution environments per function (the local stack sizes it to the machine)',
  },
];

/** Parses `npm run soak -- …`; `--short` starts from the short preset. Throws a RangeError naming each problem. */
export function parseSoakOptions(argv: readonly string[]): SoakOptions {
  const options: Record<string, unknown> = { ...(argv.includes('--short') ? SHORT : FULL) };
  const problems: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--short') continue;
    if (arg === '--help' || arg === '-h') {
      options['help'] = true;
      continue;
    }
    const [name, inline] = arg.includes('=')
      ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)]
      : [arg, undefined];
    const negated = SETTINGS.find((s) => s.kind === 'flag' && name === `--no-${s.flag.slice(2)}`);
    const setting = negated ?? SETTINGS.find((s) => s.flag === name);
    if (!setting) {
      problems.push(`unknown argument ${JSON.stringify(arg)}`);
      continue;
    }
    if (setting.kind === 'flag') {
      options[setting.key] = negated === undefined;
      continue;
    }
    const raw = inline ?? argv[++i];
    const value = convert(setting.kind, raw);
    if (value === undefined)
      problems.push(
        `${setting.flag} ${JSON.stringify(raw ?? '')} is not ${expected(setting.kind)}`,
      );
    else options[setting.key] = value;
  }
  if (options['concurrency'] === 0)
    problems.push('--concurrency 0: each function needs at least 1 execution environment');
  if (problems.length > 0)
    throw new RangeError(
      `Invalid soak options: ${problems.join('; ')}. Run \`npm run soak -- --help\` for the list.`,
    );
  return options as unknown as SoakOptions;
}

export function soakUsage(): string {
  const rows = SETTINGS.map((s) => {
    const value = s.kind === 'flag' ? '' : ` <${s.kind}>`;
    const fallback = FULL[s.key];
    return `  ${`${s.flag}${value}`.padEnd(26)} ${s.help}${s.kind === 'flag' ? '' : ` (default ${Array.isArray(fallback) ? fallback.join(',') : String(fallback)})`}`;
  });
  return [
    'Usage: npm run soak -- [options]',
    '',
    'Drives the whole local stack (broker → rules → the Lambda bundles → republish, E2E on) with',
    'N devices at R uplinks/s, injects faults on a schedule (TTS 5xx and stalls, AWS throttling',
    'and 5xx, a handler failing after its shadow write, a restart), and prints one table.',
    '',
    `  ${'--short'.padEnd(26)} the ~20 s run that npm test runs (${SHORT.devices} devices, ${SHORT.rates.join(',')} uplinks/s)`,
    ...rows,
    `  ${'--help'.padEnd(26)} this text`,
  ].join('\n');
}

function convert(kind: Setting['kind'], raw: string | undefined): unknown {
  if (raw === undefined || raw === '') return undefined;
  if (kind === 'list') {
    const list = raw.split(',').map((part) => positive(part));
    return list.every((n) => n !== undefined) ? list : undefined;
  }
  if (kind === 'share') {
    const value = Number(raw);
    return value >= 0 && value <= 1 ? value : undefined;
  }
  if (kind === 'count') {
    const value = Number(raw);
    return Number.isInteger(value) && value >= 0 && value <= 100_000 ? value : undefined;
  }
  return positive(raw);
}

function positive(raw: string): number | undefined {
  const value = Number(raw);
  return Number.isFinite(value) && value > 0 && value <= 100_000 ? value : undefined;
}

function expected(kind: Setting['kind']): string {
  return {
    count: 'a whole number 0..100000',
    share: 'a share 0..1',
    seconds: 'a positive number of seconds',
    list: 'a comma-separated list of positive numbers',
    flag: 'a flag',
  }[kind];
}
