// `npm run bench input-parsing`: the one way to read untrusted input (issue 11 item 4),
// before and after. TTS uplinks: the hand parser that parseApplicationUp replaced (kept in
// bench/input-parsing/uplink-hand.ts), parseApplicationUp itself (valibot schemas, through
// @tts-aws-iot/input), and zod mini, the alternative not chosen. Downlink requests likewise:
// the hand parser that parseDownlinkRequest replaced (bench/input-parsing/downlink-hand.ts),
// parseDownlinkRequest itself (a valibot schema), and a zod-mini schema of the same request.
// In the same run: first that all accept and refuse alike, then the parse cost per message on
// one core (accepted and refused), the error each gives for the same bad message, and the
// size and module-initialisation time of bundles built with the Lambdas' esbuild options.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { isDeepStrictEqual } from 'node:util';

import type { BuildOptions, Metafile, Plugin } from 'esbuild';
import * as v from 'valibot';
import * as z from 'zod/mini';

import { parseDownlinkRequest } from '@tts-aws-iot/integration/traffic';
import { parseApplicationUp } from '@tts-aws-iot/tts';

import { type DownlinkOptions } from './input-parsing/common';
import { parseDownlinkRequestByHand } from './input-parsing/downlink-hand';
import { downlinkParserWithZodMini } from './input-parsing/downlink-zod-mini';
import {
  BAD_DOWNLINKS,
  BAD_UPLINKS,
  DOWNLINK_PROBES,
  downlinkRequest,
  GOOD_DOWNLINKS,
  OTHER_MESSAGES,
  PROBE_COUNT,
  PROBED_DOWNLINKS,
  probedMessages,
  REFUSED_DOWNLINK,
  REFUSED_UPLINK,
  SPARSE_UPLINKS,
  up,
  uplinkMessage,
} from './input-parsing/messages';
import { parseApplicationUpByHand } from './input-parsing/uplink-hand';
import { parseUplinkWithZodMini } from './input-parsing/uplink-zod-mini';

/** HandleUplink's budget per message at the throughput goal (≥ 20,000 messages/s, one core). */
const BUDGET_NS = 1e9 / 20_000;
const INIT_GOAL = 1.3;
const POOL = 1_000;
const ROUNDS = 9;
const INIT_SAMPLES = 15;

interface Candidate<T> {
  readonly name: string;
  readonly parse: (input: unknown) => T;
}

const DOWNLINK_OPTIONS: DownlinkOptions = { e2eEnabled: true };
const uplinkParsers: readonly Candidate<unknown>[] = [
  { name: 'hand parser (before)', parse: parseApplicationUpByHand },
  { name: 'parseApplicationUp, valibot 1.5.0', parse: parseApplicationUp },
  { name: 'zod 4.6.7 mini (not chosen)', parse: parseUplinkWithZodMini },
];
/** The hand parser and parseDownlinkRequest under one configuration. */
function downlinkPair(options: DownlinkOptions): readonly [Candidate<unknown>, Candidate<unknown>] {
  return [
    { name: 'hand parser (before)', parse: (i) => parseDownlinkRequestByHand(i, options) },
    {
      name: 'parseDownlinkRequest, valibot (after)',
      parse: (i) => parseDownlinkRequest(i, options),
    },
  ];
}
const downlinkParsers: readonly Candidate<unknown>[] = [
  ...downlinkPair(DOWNLINK_OPTIONS),
  { name: 'zod 4.6.7 mini (not chosen)', parse: downlinkParserWithZodMini(DOWNLINK_OPTIONS) },
];

// --- agreement: no figure is printed for parsers that do not do the same work -------------

function refusalOf(
  parse: (input: unknown) => unknown,
  input: unknown,
): { code: string; field?: unknown } {
  try {
    parse(input);
  } catch (error) {
    const { code, attributes } = error as { code?: unknown; attributes?: Record<string, unknown> };
    if (typeof code !== 'string') throw error;
    return { code, field: attributes?.['field'] };
  }
  return { code: '(accepted)' };
}

/** A schema may name the field more precisely (`correlation_ids[1]` for `correlation_ids`). */
function sameField(expected: string | undefined, field: unknown): boolean {
  if (expected === undefined) return true;
  return (
    typeof field === 'string' &&
    (field === expected || field.startsWith(`${expected}[`) || field.startsWith(`${expected}.`))
  );
}

function disagreements(
  parsers: readonly Candidate<unknown>[],
  good: readonly unknown[],
  bad: readonly { readonly input: unknown; readonly code: string; readonly field?: string }[],
): string[] {
  const found: string[] = [];
  const [reference, ...others] = parsers;
  if (reference === undefined) return found;
  good.forEach((input, i) => {
    const expected = reference.parse(input);
    for (const { name, parse } of others) {
      const got = refusalOf(parse, input);
      if (got.code !== '(accepted)')
        found.push(`${name} refuses good input ${i}: ${got.code} ${String(got.field ?? '')}`);
      else if (!isDeepStrictEqual(parse(input), expected))
        found.push(`${name} reads good input ${i} differently`);
    }
  });
  for (const { input, code, field } of bad)
    for (const { name, parse } of parsers) {
      const got = refusalOf(parse, input);
      if (got.code !== code || !sameField(field, got.field))
        found.push(
          `${name}: ${code} ${field ?? ''} expected, got ${got.code} ${String(got.field ?? '')}`,
        );
    }
  return found;
}

/**
 * Where `candidate` and `reference` part ways on inputs that either may refuse: a different
 * code or field, or a different reading.
 */
function probeDisagreements(
  [reference, candidate]: readonly [Candidate<unknown>, Candidate<unknown>],
  inputs: readonly unknown[],
): { readonly problems: string[]; readonly refused: number } {
  const problems: string[] = [];
  let refused = 0;
  inputs.forEach((input, i) => {
    const expected = refusalOf(reference.parse, input);
    const got = refusalOf(candidate.parse, input);
    if (expected.code !== '(accepted)') refused++;
    const what = () => JSON.stringify(input).slice(0, 160);
    if (expected.code !== got.code || expected.field !== got.field)
      problems.push(
        `probe ${i}: ${reference.name} ${expected.code} ${String(expected.field ?? '')}, ${candidate.name} ${got.code} ${String(got.field ?? '')}: ${what()}`,
      );
    else if (
      expected.code === '(accepted)' &&
      !isDeepStrictEqual(reference.parse(input), candidate.parse(input))
    )
      problems.push(`probe ${i}: read differently: ${what()}`);
  });
  return { problems, refused };
}

// --- parse cost -------------------------------------------------------------------------

/** CPU nanoseconds of this thread per call of `fn` over the inputs (waiting for a core is not the code's cost). */
function nsPerCall(
  fn: (input: unknown) => unknown,
  inputs: readonly unknown[],
  calls: number,
): number {
  const before = process.threadCpuUsage();
  for (let i = 0; i < calls; i++) fn(inputs[i % inputs.length]);
  const { user, system } = process.threadCpuUsage(before);
  return ((user + system) * 1000) / calls;
}

const refusing =
  (parse: (input: unknown) => unknown) =>
  (input: unknown): unknown => {
    try {
      return parse(input);
    } catch (error) {
      return error;
    }
  };

/** The median over interleaved rounds, so that other load on a shared machine weighs on all alike. */
function costs(
  fns: readonly ((input: unknown) => unknown)[],
  inputs: readonly unknown[],
  calls: number,
): number[] {
  for (const fn of fns) nsPerCall(fn, inputs, calls);
  const samples = fns.map((): number[] => []);
  for (let round = 0; round < ROUNDS; round++)
    fns.forEach((fn, i) => {
      global.gc?.();
      samples[i]?.push(nsPerCall(fn, inputs, calls));
    });
  return samples.map((s) => [...s].sort((a, b) => a - b)[Math.floor(s.length / 2)] ?? 0);
}

function printCosts(
  title: string,
  parsers: readonly Candidate<unknown>[],
  good: readonly unknown[],
  bad: unknown,
): void {
  const accepted = costs(
    parsers.map((p) => p.parse),
    good,
    20_000,
  );
  const refused = costs(
    parsers.map((p) => refusing(p.parse)),
    [bad],
    20_000,
  );
  const hand = accepted[0] ?? 1;
  console.log(`\n${title}: CPU time per message, median of ${ROUNDS} interleaved rounds`);
  console.log(
    `  ${''.padEnd(36)}   accepted      messages/s   vs hand   of 50 µs budget      refused`,
  );
  parsers.forEach(({ name }, i) => {
    const ns = accepted[i] ?? 0;
    console.log(
      `  ${name.padEnd(36)} ${`${Math.round(ns).toLocaleString('en-US')} ns`.padStart(10)} ${Math.round(
        1e9 / ns,
      )
        .toLocaleString('en-US')
        .padStart(
          15,
        )} ${`${(ns / hand).toFixed(2)}×`.padStart(9)} ${`${((100 * ns) / BUDGET_NS).toFixed(1)} %`.padStart(17)} ${`${Math.round(refused[i] ?? 0).toLocaleString('en-US')} ns`.padStart(12)}`,
    );
  });
  const added = parsers.slice(1).map(({ name }, i) => {
    const ns = (accepted[i + 1] ?? 0) - hand;
    return `${name} ${ns < 0 ? '' : '+'}${(ns / 1000).toFixed(2)} µs (${((100 * ns) / BUDGET_NS).toFixed(1)} %)`;
  });
  console.log(
    `  over the hand parser, per message (and as a share of the 50 µs that HandleUplink may take at the goal, ≥ 20,000 messages/s on one core, E2E on): ${added.join('; ')}`,
  );
}

// --- error quality ----------------------------------------------------------------------

function printErrors(): void {
  console.log(
    '\nthe same bad uplink (uplink_message.rx_metadata[1].snr is "high"): the error each gives',
  );
  for (const { name, parse } of uplinkParsers) {
    try {
      parse(REFUSED_UPLINK);
    } catch (error) {
      const { code, message, attributes } = error as {
        code: string;
        message: string;
        attributes: object;
      };
      console.log(`  ${name}\n    ${code} ${JSON.stringify(attributes)}\n    ${message}`);
    }
  }
  const snr = { rx_metadata: [{ snr: 1 }, { snr: 'high' }] };
  const valibotIssue = v.safeParse(
    v.object({ rx_metadata: v.array(v.object({ snr: v.number() })) }),
    snr,
  ).issues?.[0];
  const zodIssue = z.safeParse(
    z.object({ rx_metadata: z.array(z.object({ snr: z.number() })) }),
    snr,
  ).error?.issues[0];
  console.log('  what the libraries say without our messages (the schemas above carry them):');
  console.log(
    `    valibot:  ${valibotIssue ? v.getDotPath(valibotIssue) : ''}: ${valibotIssue?.message ?? ''}`,
  );
  console.log(
    `    zod mini: ${zodIssue?.path.join('.') ?? ''}: ${zodIssue?.message ?? ''}  (English text needs z.config(en()), see the bundles)`,
  );
}

// --- bundles ----------------------------------------------------------------------------

// esbuild's API cannot be bundled into this benchmark; load it from the workspace at run time.
const workspaceRequire = createRequire(resolve('package.json'));
const ROOT = resolve('.');

/** The `build` options of the uplink Lambda as Nx resolves them (nx.json's target defaults). */
interface NxBuild {
  readonly tsConfig: string;
  readonly format: readonly string[];
  readonly target?: string;
  readonly minify?: boolean;
  readonly external?: string[];
  readonly esbuildOptions?: Record<string, unknown>;
}

function lambdaBuildOptions(): BuildOptions & { metafile: true } {
  const env = { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true' };
  const shown = execFileSync(
    process.execPath,
    [resolve('node_modules/.bin/nx'), 'show', 'project', 'uplink', '--json'],
    { encoding: 'utf8', env },
  );
  const nx = (JSON.parse(shown) as { targets: { build: { options: NxBuild } } }).targets.build
    .options;
  // outExtension only applies to builds into a folder; these name their output file.
  const { outExtension: _outExtension, ...extra } = nx.esbuildOptions ?? {};
  const format = nx.format[0] === 'esm' ? 'esm' : 'cjs';
  return {
    ...extra,
    bundle: true,
    platform: 'node',
    format,
    target: nx.target ?? 'esnext',
    minify: nx.minify ?? false,
    external: nx.external ?? [],
    tsconfig: resolve(nx.tsConfig),
    nodePaths: [resolve('node_modules')],
    metafile: true,
    logLevel: 'warning',
  };
}

const SAMPLE = JSON.stringify(uplinkMessage(1));
const parseOne = (module: string, fn: string): string =>
  `import { ${fn} } from '${ROOT}/${module}';\nexport const parsed = ${fn}(${SAMPLE});\n`;
const REQUEST_SAMPLE = JSON.stringify(downlinkRequest(1));
const readOneRequest = (module: string, fn: string): string =>
  `import { ${fn} } from '${ROOT}/${module}';\nexport const read = ${fn}(${REQUEST_SAMPLE}, ${JSON.stringify(DOWNLINK_OPTIONS)});\n`;
const HANDLER = `export { handler } from '${ROOT}/packages/uplink/src/handler';\n`;

/** The uplink Lambda as it was: libs/tts/src/index.ts's `./messages` is the hand parser. */
const HAND_PARSER_IN_LAMBDA: Plugin = {
  name: 'hand-parser-in-lambda',
  setup(build) {
    build.onResolve({ filter: /^\.\/messages$/ }, ({ importer }) =>
      importer === resolve('libs/tts/src/index.ts')
        ? { path: resolve('bench/input-parsing/lambda-hand.ts') }
        : undefined,
    );
  },
};

const HAND_ENTRY = 'parse one uplink: hand parser (before)';
const HAND_LAMBDA = 'uplink Lambda, hand parser (before)';
const DOWNLINK_HAND_ENTRY = 'parse one downlink: hand parser (before)';
const DOWNLINK_ENTRY = 'parse one downlink: valibot (production)';

const LIBRARIES = /node_modules\/(valibot|zod)\//;
/**
 * The uplink parser's own code: the hand parser, or the schemas, their rules and libs/input
 * (zod mini's: its schema and the bench's common module, the downlink request's part too).
 */
const PARSER =
  /(bench\/input-parsing\/(uplink-hand|lambda-hand|uplink-zod-mini|common|outputs)|libs\/tts\/src\/message(s|-schemas|-rules)|libs\/input\/src\/\w+)\.ts$/;
/**
 * The downlink request parser's own code, likewise: the production module's part that reading
 * a request keeps, with the thing name rule (zod mini's: the uplink's part of common too).
 */
const DOWNLINK_PARSER =
  /(bench\/input-parsing\/(downlink-hand|downlink-zod-mini|common|outputs)|libs\/integration\/src\/(traffic\/downlink-request|thing-name)|libs\/input\/src\/\w+)\.ts$/;

const SDK_CLIENTS = [
  "import { IoTClient } from '@aws-sdk/client-iot';",
  "import { IoTDataPlaneClient } from '@aws-sdk/client-iot-data-plane';",
  "import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';",
  'export const clients = [IoTClient, IoTDataPlaneClient, SecretsManagerClient];',
];

/** The bundles compared: tiny entries that parse one uplink or downlink request at load, and the uplink Lambda before and after. */
const ENTRIES: readonly {
  readonly label: string;
  readonly source: string;
  readonly lambda?: true;
  readonly plugins?: Plugin[];
  /** What counts as the parser's code (the uplink parser's unless given). */
  readonly parser?: RegExp;
}[] = [
  { label: 'SDK clients only (reference)', source: SDK_CLIENTS.join('\n') },
  {
    // What any function with tracing on pays in Lambda: the X-Ray SDK, loaded as lambda-kit
    // loads it (only in Lambda), so that the X-Ray column compares like with like.
    label: 'SDK clients + tracer (X-Ray ref.)',
    source: [
      ...SDK_CLIENTS,
      "type Tracing = typeof import('@aws-lambda-powertools/tracer');",
      "export const tracer = process.env['AWS_EXECUTION_ENV']",
      "  ? new (require('@aws-lambda-powertools/tracer') as Tracing).Tracer({ serviceName: 'reference' })",
      '  : undefined;',
    ].join('\n'),
  },
  {
    label: HAND_ENTRY,
    source: parseOne('bench/input-parsing/uplink-hand', 'parseApplicationUpByHand'),
  },
  {
    label: 'parse one uplink: valibot (production)',
    source: parseOne('libs/tts/src/messages', 'parseApplicationUp'),
  },
  {
    label: 'parse one uplink: zod mini',
    source: parseOne('bench/input-parsing/uplink-zod-mini', 'parseUplinkWithZodMini'),
  },
  {
    label: 'parse one uplink: zod mini, English',
    source: `import { config } from 'zod/mini';\nimport en from 'zod/v4/locales/en.js';\nconfig(en());\n${parseOne('bench/input-parsing/uplink-zod-mini', 'parseUplinkWithZodMini')}`,
  },
  {
    label: DOWNLINK_HAND_ENTRY,
    parser: DOWNLINK_PARSER,
    source: readOneRequest('bench/input-parsing/downlink-hand', 'parseDownlinkRequestByHand'),
  },
  {
    label: DOWNLINK_ENTRY,
    parser: DOWNLINK_PARSER,
    source: readOneRequest('libs/integration/src/traffic/downlink-request', 'parseDownlinkRequest'),
  },
  {
    label: 'parse one downlink: zod mini',
    parser: DOWNLINK_PARSER,
    source: `import { downlinkParserWithZodMini } from '${ROOT}/bench/input-parsing/downlink-zod-mini';\nexport const read = downlinkParserWithZodMini(${JSON.stringify(DOWNLINK_OPTIONS)})(${REQUEST_SAMPLE});\n`,
  },
  { label: HAND_LAMBDA, source: HANDLER, lambda: true, plugins: [HAND_PARSER_IN_LAMBDA] },
  { label: 'uplink Lambda (handler.ts), valibot', source: HANDLER, lambda: true },
  {
    label: 'downlink Lambda (handler.ts), valibot',
    source: `export { handler } from '${ROOT}/packages/downlink/src/handler';\n`,
    lambda: true,
  },
];

/** Bytes of the output that come from the input files `pattern` matches. */
function bytesFrom(metafile: Metafile, pattern: RegExp): number {
  const output = Object.values(metafile.outputs).find((o) => o.entryPoint !== undefined);
  return Object.entries(output?.inputs ?? {})
    .filter(([file]) => pattern.test(file))
    .reduce((total, [, { bytesInOutput }]) => total + bytesInOutput, 0);
}

/**
 * Milliseconds to `require` a bundle in a fresh Node process: wall time, as the uplink
 * benchmark measures it, and the main thread's CPU time, which waiting for a core on a shared
 * machine does not inflate (but which the kernel counts in coarse steps).
 */
function initTime(file: string, env: NodeJS.ProcessEnv): readonly [wall: number, cpu: number] {
  const script = `const c = process.threadCpuUsage(), t = process.hrtime.bigint(); require(${JSON.stringify(file)}); const w = Number(process.hrtime.bigint() - t) / 1e6, u = process.threadCpuUsage(c); process.stdout.write(w + ' ' + (u.user + u.system) / 1e3);`;
  const [wall = NaN, cpu = NaN] = execFileSync(process.execPath, ['-e', script], {
    encoding: 'utf8',
    env,
  })
    .split(' ')
    .map(Number);
  return [wall, cpu];
}

const medianOf = (values: readonly number[]): number =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;

/** Outside Lambda (lambda-kit leaves the X-Ray SDK out), and in Lambda with tracing on. */
function initEnvironments(dir: string): readonly NodeJS.ProcessEnv[] {
  const outside: NodeJS.ProcessEnv = { ...process.env };
  for (const name of ['AWS_EXECUTION_ENV', 'LAMBDA_TASK_ROOT', 'POWERTOOLS_TRACE_ENABLED'])
    delete outside[name];
  return [
    outside,
    { ...outside, AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x', LAMBDA_TASK_ROOT: dir },
  ];
}

async function bundles(): Promise<void> {
  const esbuild = workspaceRequire('esbuild') as typeof import('esbuild');
  const options = lambdaBuildOptions();
  const dir = mkdtempSync(join(tmpdir(), 'input-parsing-bench-'));
  try {
    const built = await Promise.all(
      ENTRIES.map(async (entry, i) => {
        const source = join(dir, `entry-${i}.ts`);
        const outfile = join(dir, `bundle-${i}.js`);
        writeFileSync(source, entry.source);
        const { metafile } = await esbuild.build({
          ...options,
          entryPoints: [source],
          outfile,
          plugins: entry.plugins ?? [],
        });
        return {
          ...entry,
          outfile,
          bytes: statSync(outfile).size,
          library: bytesFrom(metafile, LIBRARIES),
          parser: bytesFrom(metafile, entry.parser ?? PARSER),
        };
      }),
    );
    const envs = initEnvironments(dir);
    // Per bundle: wall and CPU samples outside Lambda, then in Lambda.
    const samples = built.map(() => [[], [], [], []] as number[][]);
    // Interleaved rounds, so that the load of a shared machine drifts over every bundle alike.
    for (let round = 0; round < INIT_SAMPLES; round++)
      built.forEach(({ outfile }, i) =>
        envs.forEach((env, e) =>
          initTime(outfile, env).forEach((ms, kind) => samples[i]?.[2 * e + kind]?.push(ms)),
        ),
      );
    printBundles(
      built,
      samples.map((perColumn) => perColumn.map(medianOf)),
      options,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

interface BuiltBundle {
  readonly label: string;
  readonly bytes: number;
  readonly library: number;
  readonly parser: number;
  readonly lambda?: true;
}

function printBundles(
  built: readonly BuiltBundle[],
  init: readonly (readonly number[])[],
  options: BuildOptions,
): void {
  const before = (label: string): number => built.findIndex((b) => b.label === label);
  const [hand, handLambda, handRequest] = [HAND_ENTRY, HAND_LAMBDA, DOWNLINK_HAND_ENTRY].map(
    before,
  ) as [number, number, number];
  // Outside Lambda against the SDK clients alone; in Lambda (X-Ray on) against the same with
  // the tracer, which the SDK-only bundle never loads.
  const [reference = [], traced = []] = init;
  const denominator = (column: number): number =>
    (column < 2 ? reference[column] : traced[column]) ?? 1;
  console.log(
    `\nbundles (esbuild ${options.format}, ${options.target}, minify ${String(options.minify)}: the Lambdas' options from nx.json); module init in a fresh process, median of ${INIT_SAMPLES}`,
  );
  console.log(
    `  ${''.padEnd(40)}     bytes     delta  of it: library  parser   init outside Lambda: wall, CPU   in Lambda, X-Ray on: wall, CPU`,
  );
  built.forEach(({ label, bytes, library, parser, lambda: isLambda }, i) => {
    const entry = label.startsWith('parse one downlink')
      ? handRequest
      : label.startsWith('parse')
        ? hand
        : i;
    const lambdaBase = label.startsWith('uplink') ? handLambda : i;
    const base = built[isLambda ? lambdaBase : entry]?.bytes ?? 0;
    const delta =
      bytes === base ? '' : `${bytes > base ? '+' : ''}${(bytes - base).toLocaleString('en-US')}`;
    const cell = (column: number): string => {
      const ms = init[i]?.[column] ?? 0;
      const ratio = isLambda ? ` ${(ms / denominator(column)).toFixed(2)}×` : '';
      return `${ms.toFixed(1)} ms${ratio}`.padStart(15);
    };
    const figure = (n: number, width: number): string => n.toLocaleString('en-US').padStart(width);
    console.log(
      `  ${label.padEnd(40)} ${figure(bytes, 9)} ${delta.padStart(9)} ${figure(library, 15)} ${figure(parser, 7)}   ${cell(0)} ${cell(1)}   ${cell(2)} ${cell(3)}`,
    );
  });
  console.log(
    `  (delta: against the hand parser's entry of the same message, or the uplink Lambda with it; parser: the parser's own code; ×: a Lambda's init over the SDK-only bundle's outside Lambda, over the X-Ray reference's in Lambda, goal ≤ ${INIT_GOAL}×)`,
  );
  const uplink = before('uplink Lambda (handler.ts), valibot');
  const untraced = [2, 3].map((c) => ((init[uplink]?.[c] ?? 0) / (reference[c] ?? 1)).toFixed(2));
  console.log(
    `  in Lambda, the uplink Lambda over the SDK-only bundle (which loads no X-Ray SDK): ${untraced.join('×, ')}× (wall, CPU); the X-Ray reference's X-Ray SDK alone: +${((traced[3] ?? 0) - (reference[3] ?? 0)).toFixed(1)} ms CPU`,
  );
  const added = (label: string, from: number): string => {
    const i = before(label);
    const [wall = 0, cpu = 0] = [0, 1].map(
      (column) => (init[i]?.[column] ?? 0) - (init[from]?.[column] ?? 0),
    );
    const share = (ms: number, column: number): string =>
      (ms / (reference[column] ?? 1)).toFixed(2);
    return `${label} ${wall < 0 ? '' : '+'}${wall.toFixed(1)} ms wall (${share(wall, 0)}×), ${cpu < 0 ? '' : '+'}${cpu.toFixed(1)} ms CPU (${share(cpu, 1)}×)`;
  };
  console.log(
    `  init over the hand parser, outside Lambda (× of the reference's): ${added('parse one uplink: valibot (production)', hand)}; ${added('parse one uplink: zod mini', hand)}; ${added(DOWNLINK_ENTRY, handRequest)}; ${added('uplink Lambda (handler.ts), valibot', handLambda)}`,
  );
}

/** Downlink requests are probed under each configuration they are read under. */
const DOWNLINK_CONFIGURATIONS: readonly DownlinkOptions[] = [
  DOWNLINK_OPTIONS,
  { e2eEnabled: true, encodesPayload: true },
  { e2eEnabled: false },
];

/** Throws unless all parsers of each kind do the same work; says on what they agreed. */
function checkAgreement(): void {
  const [hand, production] = uplinkParsers;
  if (hand === undefined || production === undefined) throw new Error('no uplink parsers');
  const probes = probedMessages([up, ...OTHER_MESSAGES]);
  const probed = probeDisagreements([hand, production], probes);
  const requestProbes = probedMessages(PROBED_DOWNLINKS, DOWNLINK_PROBES);
  const requestsProbed = DOWNLINK_CONFIGURATIONS.map((options) =>
    probeDisagreements(downlinkPair(options), requestProbes),
  );
  const problems = [
    ...disagreements(
      uplinkParsers,
      [...SPARSE_UPLINKS, ...Array.from({ length: 20 }, (_, i) => uplinkMessage(i))],
      BAD_UPLINKS,
    ),
    ...disagreements([hand, production], OTHER_MESSAGES, []),
    ...probed.problems,
    ...disagreements(downlinkParsers, GOOD_DOWNLINKS, BAD_DOWNLINKS),
    ...requestsProbed.flatMap((p) => p.problems),
  ];
  if (problems.length > 0)
    throw new Error(`The parsers disagree; not measuring:\n  ${problems.join('\n  ')}`);
  const count = (n: number): string => n.toLocaleString('en-US');
  console.log(
    `agreement: the three parsers of each read ${SPARSE_UPLINKS.length + 20} uplinks and ${GOOD_DOWNLINKS.length} downlink requests alike, and refuse ${BAD_UPLINKS.length} bad uplinks (same code and field) and ${BAD_DOWNLINKS.length} bad requests (same code) alike`,
  );
  console.log(
    `  and the hand parser and parseApplicationUp agree on ${count(probes.length)} probes (every field of an uplink and of ${OTHER_MESSAGES.length} messages of the other types, each given ${PROBE_COUNT} values in turn): ${count(probes.length - probed.refused)} read alike, ${count(probed.refused)} refused with the same code and field`,
  );
  const refused = requestsProbed.reduce((total, p) => total + p.refused, 0);
  const total = requestProbes.length * DOWNLINK_CONFIGURATIONS.length;
  console.log(
    `  and the hand parser and parseDownlinkRequest agree on ${count(total)} probes (every field of a bytes and a payload request, each given ${PROBE_COUNT + DOWNLINK_PROBES.length} values in turn, read with E2E, with E2E and the integration's formatter, and without E2E): ${count(total - refused)} read alike, ${count(refused)} refused with the same code`,
  );
}

async function main(): Promise<void> {
  checkAgreement();
  const uplinks = Array.from({ length: POOL }, (_, i) => uplinkMessage(i));
  printCosts(
    'uplink ApplicationUp (E2E, 1–3 gateways, 20-byte payload)',
    uplinkParsers,
    uplinks,
    REFUSED_UPLINK,
  );
  const requests = Array.from({ length: POOL }, (_, i) => downlinkRequest(i));
  printCosts('downlink request (bytes, E2E)', downlinkParsers, requests, REFUSED_DOWNLINK);
  printErrors();
  await bundles();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
