// `npm run bench formatters`: what the payload-formatter engine costs an uplink under
// end-to-end encryption. Decode cost per uplink with a typical Device Repository-style codec
// (warm: the sandbox's WebAssembly instance loaded, a fresh QuickJS runtime per call as in
// production; cold: a fresh Node process whose first uplink also instantiates the
// sandbox), the same for every codec of the Device Repository corpus when the workspace's
// reference folder is beside the checkout, and what importing the engine adds to a Lambda
// bundle's size and module-initialisation time (built with the Lambdas' own options).
import { execFileSync } from 'node:child_process';
import {
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

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

/** Median microseconds per call of `run`, over 5 runs of `count` calls after a warm-up. */
async function perCall(run: () => Promise<unknown>, count: number): Promise<number> {
  for (let i = 0; i < count; i++) await run();
  const runs: number[] = [];
  for (let round = 0; round < 5; round++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < count; i++) await run();
    runs.push(Number(process.hrtime.bigint() - start) / 1e3 / count);
  }
  return median(runs);
}

async function warm(engine: FormatterEngine): Promise<void> {
  const check = await engine.decodeUplink(TYPICAL, TYPICAL_UPLINK);
  if (!check.ok || check.normalized === undefined)
    throw new Error(`typical codec failed: ${check.errors.join('; ')}`);
  const us = await perCall(() => engine.decodeUplink(TYPICAL, TYPICAL_UPLINK), 1_000);
  const floor = await perCall(
    () =>
      engine.decodeUplink(
        {
          type: 'FORMATTER_JAVASCRIPT',
          parameter: 'function decodeUplink() { return { data: {} }; }',
        },
        TYPICAL_UPLINK,
      ),
    1_000,
  );
  const cayenne = await perCall(
    () =>
      engine.decodeUplink(
        { type: 'FORMATTER_CAYENNELPP' },
        { bytes: Uint8Array.from([3, 0x67, 1, 16, 5, 0x67, 0, 255]), fPort: 1 },
      ),
    10_000,
  );
  console.log(
    `decode, warm sandbox, typical codec (${TYPICAL_CODEC.length} chars, decodeUplink + normalizeUplink)`,
  );
  console.log(`  ${(us / 1000).toFixed(3)} ms per uplink (median of 5 runs of 1,000; goal ≤ 1 ms)`);
  console.log(
    `  of which the per-call floor (fresh runtime, watchdog, a trivial formatter): ${(floor / 1000).toFixed(3)} ms`,
  );
  console.log(`  CayenneLPP (native, no sandbox): ${cayenne.toFixed(1)} µs per uplink`);
}

/** Per-codec warm cost over the Device Repository corpus, when the reference folder is here. */
async function corpus(engine: FormatterEngine): Promise<void> {
  const dir = resolve('..', 'shared', 'reference', 'device-repository');
  if (!existsSync(dir)) {
    console.log(`(corpus: ${dir} is missing; the per-codec figures are skipped)`);
    return;
  }
  const rows: { name: string; chars: number; us: number }[] = [];
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
      us: await perCall(() => engine.decodeUplink(formatter, input), 100),
    });
  }
  const sorted = rows.map((row) => row.us).sort((a, b) => a - b);
  const typical = rows.filter((row) => row.chars <= 40_960).map((row) => row.us);
  console.log(
    `\ndecode, warm sandbox, the ${rows.length} corpus codecs' first uplink example (median of 5 runs of 100 each)`,
  );
  console.log(
    `  codecs within the custom-script limit (${typical.length}): median ${(median(typical) / 1000).toFixed(3)} ms, ` +
      `slowest ${(Math.max(...typical) / 1000).toFixed(3)} ms (goal ≤ 1 ms)`,
  );
  const largest = rows.reduce((a, b) => (a.chars > b.chars ? a : b));
  console.log(
    `  all: fastest ${((sorted[0] ?? 0) / 1000).toFixed(3)} ms; largest codec ${largest.name} (${largest.chars} chars) ${(largest.us / 1000).toFixed(3)} ms`,
  );
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
  const { outExtension: _ignored, ...extra } = (nx['esbuildOptions'] ?? {}) as Record<
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

/** Milliseconds the child `script` prints, run in a fresh Node process. */
function timed(script: string): number {
  return Number(execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' }));
}

async function bundles(): Promise<void> {
  const esbuild = workspaceRequire('esbuild') as typeof import('esbuild');
  const dir = mkdtempSync(join(tmpdir(), 'formatters-bench-'));
  try {
    // The reference imports the SDK clients a Lambda imports; the other adds the engine.
    const sdk = [
      "import { IoTDataPlaneClient } from '@aws-sdk/client-iot-data-plane';",
      "import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';",
      'export const clients = [IoTDataPlaneClient, SecretsManagerClient];',
    ];
    const sources = {
      without: sdk,
      with: [...sdk, "export { FormatterEngine } from '@tts-aws-iot/formatters';"],
    };
    const files: Record<string, string> = {};
    for (const [name, lines] of Object.entries(sources)) {
      writeFileSync(join(dir, `${name}.ts`), lines.join('\n'));
      files[name] = join(dir, `${name}.js`);
      await esbuild.build(lambdaBuildOptions(join(dir, `${name}.ts`), files[name]!));
    }
    const initScript = (file: string) =>
      `const t = process.hrtime.bigint(); require(${JSON.stringify(file)}); process.stdout.write(String(Number(process.hrtime.bigint() - t) / 1e6));`;
    const init: Record<string, number[]> = { without: [], with: [] };
    for (let round = 0; round < INIT_SAMPLES; round++)
      for (const name of Object.keys(init)) init[name]!.push(timed(initScript(files[name]!)));
    const size = (name: string) => statSync(files[name]!).size / 1024;
    const growth = median(init['with']!) - median(init['without']!);
    console.log(
      `\nLambda bundle (esbuild, the Lambdas' options from nx.json), SDK clients ${'size'.padStart(12)}   module init (median of ${INIT_SAMPLES})`,
    );
    console.log(
      `  without the engine ${size('without').toFixed(0).padStart(42)} KB   ${median(init['without']!).toFixed(1).padStart(8)} ms`,
    );
    console.log(
      `  with the engine    ${size('with').toFixed(0).padStart(42)} KB   ${median(init['with']!).toFixed(1).padStart(8)} ms`,
    );
    console.log(
      `  growth: ${(size('with') - size('without')).toFixed(0)} KB, ${growth.toFixed(1)} ms of init (goal ≤ 30 ms; the WebAssembly instance loads on first use)`,
    );

    // Cold: a fresh process loads the bundle, then decodes its first uplink.
    const cold = (ready: boolean) => `
      const { FormatterEngine } = require(${JSON.stringify(files['with'])});
      const engine = new FormatterEngine();
      (async () => {
        const t = process.hrtime.bigint();
        ${
          ready
            ? 'await engine.ready();'
            : `const r = await engine.decodeUplink(${JSON.stringify(TYPICAL)}, { bytes: Uint8Array.from(${JSON.stringify([...TYPICAL_UPLINK.bytes])}), fPort: 1 });
        if (!r.ok) throw new Error(r.errors.join('; '));`
        }
        process.stdout.write(String(Number(process.hrtime.bigint() - t) / 1e6));
      })();`;
    const first = Array.from({ length: COLD_SAMPLES }, () => timed(cold(false)));
    const load = Array.from({ length: COLD_SAMPLES }, () => timed(cold(true)));
    console.log(
      `\ndecode, cold sandbox (fresh process running the bundle above; median of ${COLD_SAMPLES})`,
    );
    console.log(
      `  first uplink: ${median(first).toFixed(1)} ms, of which instantiating the sandbox (engine.ready()): ${median(load).toFixed(1)} ms`,
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
