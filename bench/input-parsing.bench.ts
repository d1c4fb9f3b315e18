// `npm run bench input-parsing`: the one way to read untrusted input (issue 11 item 4),
// measured before it is chosen. The hand parsers (parseApplicationUp, parseDownlinkRequest)
// beside a valibot and a zod-mini schema of the same messages (bench/input-parsing/), in the
// same run: first that all three accept and refuse alike, then the parse cost per message on
// one core (accepted and refused), the error each gives for the same bad message, and the
// size and module-initialisation time of bundles built with the Lambdas' esbuild options.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { isDeepStrictEqual } from 'node:util';

import type { BuildOptions, Metafile } from 'esbuild';
import * as v from 'valibot';
import * as z from 'zod/mini';

import { parseDownlinkRequest } from '@tts-aws-iot/integration/traffic';
import { parseApplicationUp } from '@tts-aws-iot/tts';

import { downlinkParserWithValibot } from './input-parsing/downlink-valibot';
import { downlinkParserWithZodMini } from './input-parsing/downlink-zod-mini';
import {
  BAD_DOWNLINKS,
  BAD_UPLINKS,
  downlinkRequest,
  GOOD_DOWNLINKS,
  REFUSED_DOWNLINK,
  REFUSED_UPLINK,
  SPARSE_UPLINKS,
  uplinkMessage,
} from './input-parsing/messages';
import { parseUplinkWithValibot } from './input-parsing/uplink-valibot';
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

const DOWNLINK_OPTIONS = { e2eEnabled: true } as const;
const uplinkParsers: readonly Candidate<unknown>[] = [
  { name: 'hand parser (parseApplicationUp)', parse: parseApplicationUp },
  { name: 'valibot 1.5.0', parse: parseUplinkWithValibot },
  { name: 'zod 4.6.7 mini', parse: parseUplinkWithZodMini },
];
const downlinkParsers: readonly Candidate<unknown>[] = [
  {
    name: 'hand parser (parseDownlinkRequest)',
    parse: (i) => parseDownlinkRequest(i, DOWNLINK_OPTIONS),
  },
  { name: 'valibot 1.5.0', parse: downlinkParserWithValibot(DOWNLINK_OPTIONS) },
  { name: 'zod 4.6.7 mini', parse: downlinkParserWithZodMini(DOWNLINK_OPTIONS) },
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
  const worst = Math.max(...accepted.slice(1)) - hand;
  console.log(
    `  the dearest schema adds ${(worst / 1000).toFixed(2)} µs per message over the hand parser: ${((100 * worst) / BUDGET_NS).toFixed(1)} % of the 50 µs that HandleUplink may take at the goal (≥ 20,000 messages/s on one core, E2E on)`,
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
const HANDLER = `export { handler } from '${ROOT}/packages/uplink/src/handler';\n`;
const SDK_CLIENTS = [
  "import { IoTClient } from '@aws-sdk/client-iot';",
  "import { IoTDataPlaneClient } from '@aws-sdk/client-iot-data-plane';",
  "import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';",
  'export const clients = [IoTClient, IoTDataPlaneClient, SecretsManagerClient];',
];

/** The bundles compared: a tiny entry that parses one uplink at load, and the uplink Lambda itself. */
const ENTRIES: readonly {
  readonly label: string;
  readonly source: string;
  readonly lambda?: true;
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
    label: 'parse one uplink: hand parser',
    source: parseOne('libs/tts/src/messages', 'parseApplicationUp'),
  },
  {
    label: 'parse one uplink: valibot',
    source: parseOne('bench/input-parsing/uplink-valibot', 'parseUplinkWithValibot'),
  },
  {
    label: 'parse one uplink: zod mini',
    source: parseOne('bench/input-parsing/uplink-zod-mini', 'parseUplinkWithZodMini'),
  },
  {
    label: 'parse one uplink: zod mini, English',
    source: `import { config } from 'zod/mini';\nimport en from 'zod/v4/locales/en.js';\nconfig(en());\n${parseOne('bench/input-parsing/uplink-zod-mini', 'parseUplinkWithZodMini')}`,
  },
  { label: 'uplink Lambda (handler.ts)', source: HANDLER, lambda: true },
  {
    label: 'downlink Lambda (handler.ts)',
    source: `export { handler } from '${ROOT}/packages/downlink/src/handler';\n`,
    lambda: true,
  },
  {
    label: 'uplink Lambda + valibot schema',
    source: `${HANDLER}export { parseUplinkWithValibot } from '${ROOT}/bench/input-parsing/uplink-valibot';\n`,
    lambda: true,
  },
  {
    label: 'uplink Lambda + zod mini schema',
    source: `${HANDLER}export { parseUplinkWithZodMini } from '${ROOT}/bench/input-parsing/uplink-zod-mini';\n`,
    lambda: true,
  },
];

const LIBRARIES = /node_modules\/(valibot|zod)\//;
const HAND_PARSER = /libs\/tts\/src\/messages\.ts$/;

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
        const { metafile } = await esbuild.build({ ...options, entryPoints: [source], outfile });
        return {
          ...entry,
          outfile,
          bytes: statSync(outfile).size,
          library: bytesFrom(metafile, LIBRARIES),
          handParser: bytesFrom(metafile, HAND_PARSER),
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
  readonly handParser: number;
  readonly lambda?: true;
}

function printBundles(
  built: readonly BuiltBundle[],
  init: readonly (readonly number[])[],
  options: BuildOptions,
): void {
  const hand = built.find((b) => b.label.endsWith('hand parser'))?.bytes ?? 0;
  const { bytes: lambda = 0, handParser = 0 } =
    built.find((b) => b.label.startsWith('uplink Lambda (')) ?? {};
  // Outside Lambda against the SDK clients alone; in Lambda (X-Ray on) against the same with
  // the tracer, which the SDK-only bundle never loads.
  const [reference = [], traced = []] = init;
  const denominator = (column: number): number =>
    (column < 2 ? reference[column] : traced[column]) ?? 1;
  console.log(
    `\nbundles (esbuild ${options.format}, ${options.target}, minify ${String(options.minify)}: the Lambdas' options from nx.json); module init in a fresh process, median of ${INIT_SAMPLES}`,
  );
  console.log(
    `  ${''.padEnd(36)}      bytes      delta  of it library   init outside Lambda: wall, CPU   in Lambda, X-Ray on: wall, CPU`,
  );
  built.forEach(({ label, bytes, library, lambda: isLambda }, i) => {
    const base = isLambda ? lambda : label.startsWith('parse') ? hand : bytes;
    const delta =
      bytes === base ? '' : `${bytes > base ? '+' : ''}${(bytes - base).toLocaleString('en-US')}`;
    const cell = (column: number): string => {
      const ms = init[i]?.[column] ?? 0;
      const ratio = isLambda ? ` ${(ms / denominator(column)).toFixed(2)}×` : '';
      return `${ms.toFixed(1)} ms${ratio}`.padStart(15);
    };
    console.log(
      `  ${label.padEnd(36)} ${bytes.toLocaleString('en-US').padStart(10)} ${delta.padStart(10)} ${library.toLocaleString('en-US').padStart(14)}   ${cell(0)} ${cell(1)}   ${cell(2)} ${cell(3)}`,
    );
  });
  console.log(
    `  (delta: against the hand parser's entry, or the uplink Lambda; ×: the Lambda's init over the SDK-only bundle's outside Lambda, over the X-Ray reference's in Lambda, goal ≤ ${INIT_GOAL}×)`,
  );
  const uplink = built.findIndex((b) => b.label.startsWith('uplink Lambda ('));
  const untraced = [2, 3].map((c) => ((init[uplink]?.[c] ?? 0) / (reference[c] ?? 1)).toFixed(2));
  console.log(
    `  in Lambda, the uplink Lambda over the SDK-only bundle (which loads no X-Ray SDK): ${untraced.join('×, ')}× (wall, CPU); the X-Ray reference's X-Ray SDK alone: +${((traced[3] ?? 0) - (reference[3] ?? 0)).toFixed(1)} ms CPU`,
  );
  const added = (label: string): string => {
    const i = built.findIndex((b) => b.label === label);
    const handIndex = built.findIndex((b) => b.label.endsWith('hand parser'));
    const [wall, cpu] = [0, 1].map(
      (column) => (init[i]?.[column] ?? 0) - (init[handIndex]?.[column] ?? 0),
    );
    const share = (ms: number, column: number): string =>
      (ms / (reference[column] ?? 1)).toFixed(2);
    return `${label.slice('parse one uplink: '.length)} +${wall?.toFixed(1)} ms wall (+${share(wall ?? 0, 0)}×), +${cpu?.toFixed(1)} ms CPU (+${share(cpu ?? 0, 1)}×)`;
  };
  console.log(
    `  init a schema adds over the hand parser (tiny entries, outside Lambda; × of the reference's): ${added('parse one uplink: valibot')}; ${added('parse one uplink: zod mini')}`,
  );
  console.log(
    `  the hand parser's own share of the uplink Lambda (libs/tts/src/messages.ts): ${handParser.toLocaleString('en-US')} bytes, which a migration would take out again`,
  );
}

async function main(): Promise<void> {
  const problems = [
    ...disagreements(
      uplinkParsers,
      [...SPARSE_UPLINKS, ...Array.from({ length: 20 }, (_, i) => uplinkMessage(i))],
      BAD_UPLINKS,
    ),
    ...disagreements(downlinkParsers, GOOD_DOWNLINKS, BAD_DOWNLINKS),
  ];
  if (problems.length > 0)
    throw new Error(`The parsers disagree; not measuring:\n  ${problems.join('\n  ')}`);
  console.log(
    `agreement: the three parsers read ${SPARSE_UPLINKS.length + 20} uplinks and ${GOOD_DOWNLINKS.length} downlink requests alike, and refuse ${BAD_UPLINKS.length} bad uplinks (same code and field) and ${BAD_DOWNLINKS.length} bad requests (same code) alike`,
  );
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
