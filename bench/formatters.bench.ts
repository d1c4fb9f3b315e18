// `npm run bench formatters`: what the payload-formatter engine costs an uplink under
// end-to-end encryption. Decode cost per uplink with a typical Device Repository-style codec
// (warm: the sandbox's WebAssembly instance loaded, a fresh QuickJS runtime per call as in
// production; cold: a fresh Node process whose first uplink also instantiates the
// sandbox), the same for every codec of the Device Repository corpus when the workspace's
// reference folder is beside the checkout, and what importing the engine adds to a Lambda
// bundle's size and module-initialisation time (built with the Lambdas' own options).
import { execFileSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, loadavg, tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';

import type { BuildOptions } from 'esbuild';

import { FormatterEngine, type Formatter, type UplinkDecodeInput } from '@tts-aws-iot/formatters';

/**
 * A codec in the Device Repository's usual shape (about 2 KB: a switch on the FPort, bit
 * fields, scaled integers, warnings, errors for unknown ports, a normalizer), written for
 * this benchmark so that it runs without the reference folder.
 */
const TYPICAL_CODEC = `
function readUInt16BE(bytes, offset) { return (bytes[offset] << 8) | bytes[offset + 1]; }
function readInt16BE(bytes, offset) { var value = readUInt16BE(bytes, offset); return value > 0x7fff ? value - 0x10000 : value; }
function decodeUplink(input) {
  var bytes = input.bytes;
  switch (input.fPort) {
    case 1: {
      if (bytes.length < 9) return { errors: ['payload too short: ' + bytes.length + ' bytes'] };
      var warnings = [];
      var flags = bytes[8];
      var data = {
        battery: readUInt16BE(bytes, 0) / 1000,
        temperature: readInt16BE(bytes, 2) / 100,
        humidity: bytes[4] / 2,
        pressure: readUInt16BE(bytes, 5) / 10,
        light: bytes[7] * 4,
        motion: (flags & 0x01) === 0x01,
        door: (flags & 0x02) === 0x02 ? 'open' : 'closed',
        tamper: (flags & 0x04) === 0x04,
        mode: ['normal', 'eco', 'boost', 'off'][(flags >> 4) & 0x03],
      };
      if (data.battery < 3.0) warnings.push('low battery');
      if (data.tamper) warnings.push('tamper switch triggered');
      return { data: data, warnings: warnings };
    }
    case 2:
      return { data: { interval: readUInt16BE(bytes, 0), version: bytes[2] + '.' + bytes[3] } };
    default:
      return { errors: ['unknown FPort ' + input.fPort] };
  }
}
function normalizeUplink(input) {
  if (input.data.temperature === undefined) return { data: {} };
  return {
    data: {
      air: { temperature: input.data.temperature, relativeHumidity: input.data.humidity, pressure: input.data.pressure },
      battery: input.data.battery,
    },
  };
}
`;

const TYPICAL: Formatter = { type: 'FORMATTER_JAVASCRIPT', parameter: TYPICAL_CODEC };
const TYPICAL_UPLINK: UplinkDecodeInput = {
  bytes: Uint8Array.from([0x0e, 0x74, 0x08, 0xfc, 0x5a, 0x27, 0x7f, 0x20, 0x13]),
  fPort: 1,
};
const COLD_SAMPLES = 7;
const INIT_SAMPLES = 9;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

/** Microseconds of this thread's CPU time (`process.threadCpuUsage`, which Node 24 has). */
function cpuMicros(): number {
  const { user, system } = process.threadCpuUsage();
  return user + system;
}

/** What one call costs: this thread's CPU time, and the wall time, which a loaded machine inflates. */
interface Cost {
  readonly cpu: number;
  readonly wall: number;
}

/** Median cost in microseconds per call of `run`, over 5 runs of `count` calls after a warm-up. */
async function perCall(run: () => Promise<unknown>, count: number): Promise<Cost> {
  for (let i = 0; i < count; i++) await run();
  const cpu: number[] = [];
  const wall: number[] = [];
  for (let round = 0; round < 5; round++) {
    const [startCpu, start] = [cpuMicros(), process.hrtime.bigint()];
    for (let i = 0; i < count; i++) await run();
    cpu.push((cpuMicros() - startCpu) / count);
    wall.push(Number(process.hrtime.bigint() - start) / 1e3 / count);
  }
  return { cpu: median(cpu), wall: median(wall) };
}

const ms = (micros: number): string => `${(micros / 1000).toFixed(3)} ms`;
const costOf = ({ cpu, wall }: Cost): string => `${ms(cpu)} of CPU (${ms(wall)} wall)`;
const load = (): string => `load average ${loadavg()[0]?.toFixed(1)} on ${cpus().length} CPUs`;

async function warm(engine: FormatterEngine): Promise<void> {
  const check = await engine.decodeUplink(TYPICAL, TYPICAL_UPLINK);
  if (!check.ok || check.normalized === undefined)
    throw new Error(`typical codec failed: ${check.errors.join('; ')}`);
  const typical = await perCall(() => engine.decodeUplink(TYPICAL, TYPICAL_UPLINK), 1_000);
  const trivial: Formatter = {
    type: 'FORMATTER_JAVASCRIPT',
    parameter: 'function decodeUplink() { return { data: {} }; }',
  };
  const floor = await perCall(() => engine.decodeUplink(trivial, TYPICAL_UPLINK), 1_000);
  const lpp = { bytes: Uint8Array.from([3, 0x67, 1, 16, 5, 0x67, 0, 255]), fPort: 1 };
  const cayenne = await perCall(
    () => engine.decodeUplink({ type: 'FORMATTER_CAYENNELPP' }, lpp),
    10_000,
  );
  console.log(`(${load()}: wall times are inflated by the machine's other work; CPU time is not)`);
  console.log(
    `decode, warm sandbox, typical codec (${TYPICAL_CODEC.length} chars, decodeUplink + normalizeUplink)`,
  );
  console.log(`  ${costOf(typical)} per uplink (median of 5 runs of 1,000; goal ≤ 1 ms)`);
  console.log(
    `  of which the per-call floor (fresh runtime and context, watchdog, a trivial formatter): ${costOf(floor)}`,
  );
  console.log(`  CayenneLPP (native, no sandbox): ${costOf(cayenne)} per uplink`);
}

/** Per-codec warm cost over the Device Repository corpus, when the reference folder is here. */
async function corpus(engine: FormatterEngine): Promise<void> {
  const dir = resolve('..', 'shared', 'reference', 'device-repository');
  if (!existsSync(dir)) {
    console.log(`(corpus: ${dir} is missing; the per-codec figures are skipped)`);
    return;
  }
  const rows: { name: string; chars: number; cost: Cost }[] = [];
  for (const name of readdirSync(dir)
    .filter((entry) => existsSync(join(dir, entry, 'codec.js')))
    .sort()) {
    const script = readFileSync(join(dir, name, 'codec.js'), 'utf8');
    const examples = JSON.parse(readFileSync(join(dir, name, 'examples.json'), 'utf8')) as {
      uplinkDecoder?: { bytes: string; fPort: number }[];
    };
    const example = examples.uplinkDecoder?.[0];
    if (example === undefined) continue;
    const formatter: Formatter = {
      type: 'FORMATTER_JAVASCRIPT',
      parameter: script,
      origin: 'repository',
    };
    const input = {
      bytes: Uint8Array.from(Buffer.from(example.bytes, 'hex')),
      fPort: example.fPort,
    };
    rows.push({
      name,
      chars: script.length,
      cost: await perCall(() => engine.decodeUplink(formatter, input), 100),
    });
  }
  const within = rows.filter((row) => row.chars <= 40_960);
  const slowest = within.reduce((a, b) => (a.cost.cpu > b.cost.cpu ? a : b));
  const overGoal = within.filter((row) => row.cost.cpu > 1000).map((row) => row.name);
  console.log(
    `\ndecode, warm sandbox, the ${rows.length} corpus codecs' first uplink example (CPU time, median of 5 runs of 100 each)`,
  );
  console.log(
    `  codecs within the custom-script limit (${within.length}): median ${ms(median(within.map((row) => row.cost.cpu)))}, ` +
      `slowest ${slowest.name} (${slowest.chars} chars) ${ms(slowest.cost.cpu)} (goal ≤ 1 ms; over it: ${overGoal.join(', ') || 'none'})`,
  );
  const largest = rows.reduce((a, b) => (a.chars > b.chars ? a : b));
  console.log(`  largest codec, ${largest.name} (${largest.chars} chars): ${costOf(largest.cost)}`);
}

// esbuild's API cannot be bundled into this benchmark; load it from the workspace at run time.
const workspaceRequire = createRequire(resolve('package.json'));

/** The uplink Lambda's esbuild options as Nx resolves them (nx.json's target defaults). */
function lambdaBuildOptions(entry: string, outfile: string): BuildOptions {
  const shown = execFileSync(
    process.execPath,
    [resolve('node_modules/.bin/nx'), 'show', 'project', 'uplink', '--json'],
    {
      encoding: 'utf8',
      env: { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true' },
    },
  );
  const nx = (JSON.parse(shown) as { targets: { build: { options: Record<string, unknown> } } })
    .targets.build.options;
  const { outExtension: _outExtension, ...extra } = (nx['esbuildOptions'] ?? {}) as Record<
    string,
    unknown
  >;
  return {
    ...extra,
    entryPoints: [entry],
    outfile,
    bundle: true,
    minify: nx['minify'] === true,
    platform: 'node',
    target: String(nx['target'] ?? 'esnext'),
    format: 'cjs',
    sourcemap: false,
    tsconfig: resolve('tsconfig.base.json'),
    nodePaths: [resolve('node_modules')],
    logLevel: 'warning',
  };
}

/**
 * A child script's timed section: `START` and `STOP` mark it; the child prints its process
 * CPU time and wall time in microseconds.
 */
function timed(body: string): Cost {
  const script = body
    .replace('START', 'const c0 = process.cpuUsage(); const t0 = process.hrtime.bigint();')
    .replace(
      'STOP',
      'const c = process.cpuUsage(c0); process.stdout.write(JSON.stringify({ cpu: c.user + c.system, wall: Number(process.hrtime.bigint() - t0) / 1e3 }));',
    );
  return JSON.parse(execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' })) as Cost;
}

function medianCost(costs: Cost[]): Cost {
  return { cpu: median(costs.map((c) => c.cpu)), wall: median(costs.map((c) => c.wall)) };
}

/** Two bundles built with the Lambdas' options: the SDK clients a Lambda imports, and the same with the engine. */
async function buildBundles(dir: string): Promise<{ without: string; with: string }> {
  const esbuild = workspaceRequire('esbuild') as typeof import('esbuild');
  const sdk = [
    "import { IoTDataPlaneClient } from '@aws-sdk/client-iot-data-plane';",
    "import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';",
    'export const clients = [IoTDataPlaneClient, SecretsManagerClient];',
  ];
  const engine = "export { FormatterEngine } from '@tts-aws-iot/formatters';";
  const files = { without: join(dir, 'without.js'), with: join(dir, 'with.js') };
  for (const [name, lines] of [
    ['without', sdk],
    ['with', [...sdk, engine]],
  ] as const) {
    writeFileSync(join(dir, `${name}.ts`), lines.join('\n'));
    await esbuild.build(lambdaBuildOptions(join(dir, `${name}.ts`), files[name]));
  }
  // QuickJS's WebAssembly beside the bundles, where the Lambda build puts it.
  const wasm = workspaceRequire.resolve('@jitl/quickjs-wasmfile-release-sync/wasm');
  copyFileSync(wasm, join(dir, basename(wasm)));
  return files;
}

async function bundles(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'formatters-bench-'));
  try {
    const files = await buildBundles(dir);
    const init = { without: [] as Cost[], with: [] as Cost[] };
    // Interleaved, so that the machine's load drifts over both alike.
    for (let round = 0; round < INIT_SAMPLES; round++) {
      for (const name of ['without', 'with'] as const) {
        init[name].push(timed(`START require(${JSON.stringify(files[name])}); STOP`));
      }
    }
    const [without, withEngine] = [medianCost(init.without), medianCost(init.with)];
    const size = (file: string) => statSync(file).size / 1024;
    console.log(
      `\nLambda bundle (esbuild with the Lambdas' options from nx.json; module init, median of ${INIT_SAMPLES} fresh processes)`,
    );
    console.log(
      `  SDK clients only:   ${size(files.without).toFixed(0)} KB, init ${costOf(without)}`,
    );
    console.log(
      `  with the engine:    ${size(files.with).toFixed(0)} KB, init ${costOf(withEngine)}`,
    );
    console.log(
      `  growth: ${(size(files.with) - size(files.without)).toFixed(0)} KB; init ${ms(withEngine.cpu - without.cpu)} of CPU, ` +
        `${ms(withEngine.wall - without.wall)} wall (goal ≤ 30 ms; the WebAssembly instance is created on first use)`,
    );

    // Cold: a fresh process loads the bundle, then decodes its first uplink.
    const decode = `const r = await engine.decodeUplink(${JSON.stringify(TYPICAL)}, { bytes: Uint8Array.from(${JSON.stringify([...TYPICAL_UPLINK.bytes])}), fPort: 1 }); if (!r.ok) throw new Error(r.errors.join('; '));`;
    const cold = (section: string, before: string) =>
      `const { FormatterEngine } = require(${JSON.stringify(files.with)}); const engine = new FormatterEngine(); (async () => { ${before} START ${section} STOP })();`;
    const sample = (section: string, before = '') =>
      medianCost(Array.from({ length: COLD_SAMPLES }, () => timed(cold(section, before))));
    const first = sample(decode);
    const ready = sample('await engine.ready();');
    const afterReady = sample(decode, 'await engine.ready();');
    console.log(
      `\ndecode, cold sandbox (a fresh process running the bundle above; median of ${COLD_SAMPLES})`,
    );
    console.log(`  first uplink: ${costOf(first)} (goal: none set; it is paid once per container)`);
    console.log(
      `  engine.ready() in the init phase instead: ${costOf(ready)}; the first uplink after it: ${costOf(afterReady)}`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const engine = new FormatterEngine();
  await engine.ready();
  await warm(engine);
  await corpus(engine);
  await bundles();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
