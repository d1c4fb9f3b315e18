// `npm run bench uplink`: HandleUplink's logic in-process with end-to-end encryption on and
// zero-latency ports (messages per second on one core; 100 devices, each with its own
// session, in steady state: things known, KEK ring cached), then each Lambda bundle's size and
// module-initialisation time, outside Lambda and in Lambda with X-Ray, beside a bundle that
// only imports the same AWS SDK clients and is built with the same options (Nx's, read from
// `nx show project`), and the biggest parts of each bundle side by side.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

import type { BuildOptions, Format, Metafile } from 'esbuild';

import { CachedSecretReader } from '@tts-aws-iot/aws';
import {
  ThingDirectory,
  type IntegrationConfig,
  type MessagePublisher,
  type ShadowStore,
} from '@tts-aws-iot/integration';
import { KekRingSource, KnownSessions, KnownShadows } from '@tts-aws-iot/integration/traffic';
import { InMemorySecretReader, InMemoryThingRegistry } from '@tts-aws-iot/integration/testing';
import { formatKekRing, KekRing, wrapKey } from '@tts-aws-iot/keywrap';
import { encryptFRMPayload, parseAesKey, parseDevAddr } from '@tts-aws-iot/lorawan';

import { handleUplink, type UplinkDependencies } from '../packages/uplink/src/uplink';

const KEK = Buffer.from('8C9A3F61D2E04B7795A1C3E5F7092B4D', 'hex');
const APP_S_KEY = Buffer.from('5D1F0E2A4B6C8D9EA0B1C2D3E4F50617', 'hex');
const DEV_ADDR = '260B1A2F';
const DEVICES = 100;

const config: IntegrationConfig = {
  stackName: 'bench',
  thingTypeName: 'lorawan',
  thingNameScheme: 'DevEUI',
  thingShadowMetrics: true,
  applicationID: 'bench-app',
  clusterURL: 'https://eu1.cloud.thethings.industries/api/v3',
  e2eEnabled: true,
  kekSecretID: 'bench/kek',
  apiKeySecretID: 'bench/api-key',
  iotDataEndpoint: 'https://example-ats.iot.eu-west-1.amazonaws.com',
};

/** Each device has its own session AppSKey. */
function appSKeyOf(device: number): Buffer {
  const key = Buffer.from(APP_S_KEY);
  key.writeUInt16BE(device, 14);
  return key;
}

/** A realistic E2E uplink (TTS with skip payload crypto), 12 bytes of payload, two gateways. */
function uplink(index: number): Record<string, unknown> {
  const device = index % DEVICES;
  const appSKey = appSKeyOf(device);
  const devEUI = `0004A30B00${device.toString(16).toUpperCase().padStart(6, '0')}`;
  const fCnt = 70_000 + index;
  const plaintext = Buffer.from(`reading-${String(index % 10_000).padStart(4, '0')}`);
  return {
    end_device_ids: {
      device_id: `eui-${devEUI.toLowerCase()}`,
      application_ids: { application_id: 'bench-app' },
      dev_eui: devEUI,
      join_eui: '70B3D57ED0000000',
      dev_addr: DEV_ADDR,
    },
    correlation_ids: [`as:up:01HZZ8K7${index}`, `gs:uplink:01HZZ8K6${index}`],
    received_at: '2024-05-01T12:00:00.123456789Z',
    uplink_message: {
      session_key_id: 'AYpZ2oDPE0rYOBmhqrUpuQ==',
      f_port: 10,
      f_cnt: fCnt,
      frm_payload: Buffer.from(
        encryptFRMPayload(parseAesKey(appSKey), 'up', parseDevAddr(DEV_ADDR), fCnt, plaintext),
      ).toString('base64'),
      rx_metadata: [
        {
          gateway_ids: { gateway_id: 'gw-1', eui: 'B827EBFFFE000001' },
          rssi: -110,
          channel_rssi: -110,
          snr: -4.5,
          uplink_token: 'CiIKIAoUZXUx',
          channel_index: 2,
        },
        {
          gateway_ids: { gateway_id: 'gw-2', eui: 'B827EBFFFE000002' },
          rssi: -97,
          channel_rssi: -97,
          snr: 7.25,
          uplink_token: 'CiIKIAoUZXUy',
          channel_index: 2,
        },
      ],
      settings: {
        data_rate: { lora: { bandwidth: 125000, spreading_factor: 7, coding_rate: '4/5' } },
        frequency: '868100000',
      },
      received_at: '2024-05-01T12:00:00.100Z',
      app_s_key: {
        encrypted_key: Buffer.from(wrapKey(KEK, appSKey)).toString('base64'),
        kek_label: 'kek-1',
      },
      last_a_f_cnt_down: 4,
      consumed_airtime: '0.061696s',
      network_ids: { net_id: '000013', tenant_id: 'tti', cluster_id: 'eu1' },
    },
  };
}

async function throughput(): Promise<void> {
  // Zero-latency ports. The publisher serialises as the real one does: that work is part of
  // every uplink wherever it runs.
  let published = 0;
  const shadows: ShadowStore = {
    getShadow: async () => undefined,
    updateShadow: async () => ({ version: 1 }),
  };
  const publisher: MessagePublisher = {
    publish: async (_topic, payload) => {
      published += JSON.stringify(payload).length > 0 ? 1 : 0;
    },
  };
  const secrets = new InMemorySecretReader(
    new Map([['bench/kek', formatKekRing(new KekRing('kek-1', { 'kek-1': KEK }))]]),
  );
  const deps: UplinkDependencies = {
    config,
    things: new ThingDirectory(new InMemoryThingRegistry(), config),
    shadows,
    publisher,
    keks: new KekRingSource(new CachedSecretReader(secrets), 'bench/kek'),
    sessions: new KnownSessions(),
    shadowVersions: new KnownShadows(),
    log: { debug: () => undefined, info: () => undefined, warn: () => undefined },
    counters: { count: () => undefined },
    delay: async () => undefined,
    random: Math.random,
  };
  // Each message a new uplink (a higher FCnt of its device): a repeated one would be a retry,
  // whose shadow report is left out.
  const messages = (from: number, count: number) =>
    Array.from({ length: count }, (_, i) => uplink(from + i));
  const warmUp = messages(0, 20_000);

  // Warm up: the things become known, the ring cached, the JIT settles.
  for (const message of warmUp) await handleUplink(message, deps);
  global.gc?.();

  // Wall time, and the CPU time of this thread, which waiting for a core on a shared machine
  // does not inflate (every port answers at once, so the work is this thread's).
  const runs: number[] = [];
  const cpuRuns: number[] = [];
  for (let run = 0; run < 5; run++) {
    const count = 50_000;
    const batch = messages(20_000 + run * count, count);
    const start = process.hrtime.bigint();
    const cpu = process.threadCpuUsage();
    for (const message of batch) await handleUplink(message, deps);
    const { user, system } = process.threadCpuUsage(cpu);
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    runs.push(count / seconds);
    cpuRuns.push(count / ((user + system) / 1e6));
  }
  const wallMedian = median(runs);
  const cpuMedian = median(cpuRuns);
  console.log(
    `HandleUplink, E2E on, zero-latency ports: ${Math.round(wallMedian).toLocaleString('en-US')} messages/s on one core (wall time), ${Math.round(cpuMedian).toLocaleString('en-US')} by CPU time`,
  );
  console.log(
    `  (median of 5 runs of 50,000; ${(1e6 / wallMedian).toFixed(1)} µs per message of wall time, ${(1e6 / cpuMedian).toFixed(1)} µs of CPU time; goal ≥ 20,000/s)`,
  );
  if (published === 0) throw new Error('nothing was published');
}

// --- bundles ---------------------------------------------------------------------------

// esbuild's API cannot be bundled into this benchmark; load it from the workspace at run time.
const workspaceRequire = createRequire(resolve('package.json'));

const LAMBDAS = ['uplink', 'downlink'];
const INIT_SAMPLES = 9;
const BREAKDOWN_ROWS = 14;
/** lambda-kit loads this module, and the X-Ray SDK with it, only when tracing may be on. */
const TRACING_MODULE = 'libs/lambda-kit/src/tracing.ts';

/**
 * The reference: the three SDK clients the Lambdas use and nothing else, imported as our
 * TypeScript imports them and built with the Lambdas' own options. Everything a Lambda bundle
 * holds beyond it is ours to justify: the commands it sends, Powertools, middy, our code.
 */
const REFERENCE_SOURCE = [
  "import { IoTClient } from '@aws-sdk/client-iot';",
  "import { IoTDataPlaneClient } from '@aws-sdk/client-iot-data-plane';",
  "import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';",
  'export const clients = [IoTClient, IoTDataPlaneClient, SecretsManagerClient];',
].join('\n');

/** The options of a Lambda's `build` target as Nx resolves them (nx.json's target defaults). */
interface NxEsbuildOptions {
  main: string;
  tsConfig: string;
  platform: 'node';
  format: string[];
  target?: string;
  bundle: boolean;
  minify?: boolean;
  sourcemap?: boolean | 'linked' | 'external';
  external?: string[];
  esbuildOptions?: Record<string, unknown>;
}

function nxBuildOptions(project: string): NxEsbuildOptions {
  const shown = execFileSync(
    process.execPath,
    [resolve('node_modules/.bin/nx'), 'show', 'project', project, '--json'],
    { encoding: 'utf8', env: { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true' } },
  );
  return (JSON.parse(shown) as { targets: { build: { options: NxEsbuildOptions } } }).targets.build
    .options;
}

/** The esbuild options @nx/esbuild derives from its own (see its build-esbuild-options.js). */
function esbuildOptionsOf(
  nx: NxEsbuildOptions,
  entry: string,
  outfile: string,
): BuildOptions & { metafile: true } {
  // outExtension only applies to builds into a folder; here the output file is named.
  const { outExtension: _outExtension, ...esbuildOptions } = nx.esbuildOptions ?? {};
  return {
    ...esbuildOptions,
    entryPoints: [entry],
    outfile,
    bundle: nx.bundle,
    minify: nx.minify ?? false,
    platform: nx.platform,
    target: nx.target ?? 'esnext',
    format: nx.format[0] as Format,
    sourcemap: nx.sourcemap ?? false,
    external: nx.external ?? [],
    tsconfig: resolve(nx.tsConfig),
    nodePaths: [resolve('node_modules')],
    metafile: true,
    logLevel: 'warning',
  };
}

/** A bundle's bytes by origin (an npm package, or one of our folders), and those only tracing loads. */
interface Breakdown {
  readonly parts: ReadonlyMap<string, number>;
  readonly tracingOnly: number;
}

function breakdownOf(metafile: Metafile): Breakdown {
  const output = Object.values(metafile.outputs).find((o) => o.entryPoint !== undefined);
  const inputs = Object.entries(output?.inputs ?? {});
  const parts = new Map<string, number>();
  for (const [file, { bytesInOutput }] of inputs) {
    const part =
      /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(file)?.[1] ??
      /^(?:libs|packages)\/[^/]+/.exec(file)?.[0] ??
      'the entry';
    parts.set(part, (parts.get(part) ?? 0) + bytesInOutput);
  }
  // What the entry reaches without passing through the tracing module is loaded in any case.
  const loaded = new Set<string>();
  const visit = (file: string): void => {
    if (loaded.has(file) || file === TRACING_MODULE) return;
    loaded.add(file);
    for (const { path } of metafile.inputs[file]?.imports ?? []) visit(path);
  };
  if (output?.entryPoint !== undefined) visit(output.entryPoint);
  const tracingOnly = inputs
    .filter(([file]) => !loaded.has(file))
    .reduce((total, [, { bytesInOutput }]) => total + bytesInOutput, 0);
  return { parts, tracingOnly };
}

interface Bundle extends Breakdown {
  readonly label: string;
  readonly column: string;
  readonly file: string;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

/** Milliseconds to `require` a bundle in a fresh Node process with the given environment. */
function initTime(bundle: string, env: NodeJS.ProcessEnv): number {
  const script = `const t = process.hrtime.bigint(); require(${JSON.stringify(bundle)}); process.stdout.write(String(Number(process.hrtime.bigint() - t) / 1e6));`;
  return Number(execFileSync(process.execPath, ['-e', script], { encoding: 'utf8', env }));
}

/**
 * The two environments a bundle starts in: outside Lambda (tests, the local stack), where
 * lambda-kit never loads the X-Ray SDK, and in Lambda (`AWS_EXECUTION_ENV`) with active
 * tracing, as every deployed function runs.
 */
function environments(bundle: string): [outside: NodeJS.ProcessEnv, lambda: NodeJS.ProcessEnv] {
  const {
    AWS_EXECUTION_ENV: _executionEnv,
    LAMBDA_TASK_ROOT: _taskRoot,
    POWERTOOLS_TRACE_ENABLED: _traceEnabled,
    ...outside
  } = process.env;
  return [
    outside,
    { ...outside, AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x', LAMBDA_TASK_ROOT: dirname(bundle) },
  ];
}

const kb = (bytes: number): string => (bytes / 1024).toFixed(0);

async function bundles(): Promise<void> {
  const esbuild = workspaceRequire('esbuild') as typeof import('esbuild');
  const dir = mkdtempSync(join(tmpdir(), 'uplink-bench-'));
  try {
    const options = nxBuildOptions(LAMBDAS[0] ?? 'uplink');
    const rows = await bundleRows(esbuild, dir, options);
    // Interleaved rounds, so that the load of a shared machine drifts over every bundle alike.
    const samples = rows.map(() => [[] as number[], [] as number[]]);
    for (let round = 0; round < INIT_SAMPLES; round++)
      rows.forEach(({ file }, i) =>
        environments(file).forEach((env, e) => samples[i]?.[e]?.push(initTime(file, env))),
      );

    console.log(
      `\nbundle                                      size       module init (median of ${INIT_SAMPLES}, fresh process)`,
    );
    console.log(
      '                                                       outside Lambda   in Lambda, X-Ray on',
    );
    rows.forEach(({ label, file }, i) => {
      const [outside = '', lambda = ''] = (samples[i] ?? []).map(
        (s) => `${median(s).toFixed(1)} ms`,
      );
      console.log(
        `${label.padEnd(42)} ${kb(statSync(file).size).padStart(6)} KB   ${outside.padStart(10)}   ${lambda.padStart(14)}`,
      );
    });
    const { target, format, minify, sourcemap, esbuildOptions = {} } = options;
    const { outExtension: _outExtension, ...shown } = esbuildOptions;
    const settings = Object.entries({ target, format, minify, sourcemap, ...shown })
      .map(([key, value]) => `${key} ${Array.isArray(value) ? value.join(',') : String(value)}`)
      .join(', ');
    console.log(`(all built with the Lambdas' options from nx.json: ${settings})`);
    printBreakdown(rows);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The SDK-only reference, built here, and each Lambda's shipped bundle with its metafile. */
async function bundleRows(
  esbuild: typeof import('esbuild'),
  dir: string,
  options: NxEsbuildOptions,
): Promise<Bundle[]> {
  const entry = join(dir, 'sdk-only.ts');
  writeFileSync(entry, REFERENCE_SOURCE);
  const reference = join(dir, 'sdk-only.js');
  const { metafile } = await esbuild.build(esbuildOptionsOf(options, entry, reference));
  const rows: Bundle[] = [
    {
      label: 'SDK clients only (reference)',
      column: 'reference',
      file: reference,
      ...breakdownOf(metafile),
    },
  ];
  for (const name of LAMBDAS) {
    const file = resolve('dist', 'packages', name, 'index.js');
    if (!existsSync(file)) {
      console.log(`(${name}: no bundle; run \`npx nx build ${name}\` first)`);
      continue;
    }
    // Rebuilt in memory for its metafile only; size and init time are the shipped bundle's.
    const nx = nxBuildOptions(name);
    const rebuilt = await esbuild.build({
      ...esbuildOptionsOf(nx, resolve(nx.main), join(dir, name, 'index.js')),
      write: false,
    });
    const bytes = rebuilt.outputFiles.find((f) => f.path.endsWith('.js'))?.contents.length;
    if (bytes !== statSync(file).size)
      console.log(`(${name}: dist differs from a fresh build; run \`npx nx build ${name}\`)`);
    const label = `${name} (dist/packages/${name}/index.js)`;
    rows.push({ label, column: name, file, ...breakdownOf(rebuilt.metafile) });
  }
  return rows;
}

/** The biggest parts of any bundle side by side: where each bundle's bytes come from. */
function printBreakdown(rows: readonly Bundle[]): void {
  const names = [...new Set(rows.flatMap(({ parts }) => [...parts.keys()]))]
    .map((part) => ({ part, most: Math.max(...rows.map(({ parts }) => parts.get(part) ?? 0)) }))
    .sort((a, b) => b.most - a.most)
    .slice(0, BREAKDOWN_ROWS)
    .map(({ part }) => part);
  const line = (label: string, bytes: (bundle: Bundle) => number): void =>
    console.log(`  ${label.padEnd(40)}${rows.map((row) => kb(bytes(row)).padStart(10)).join('')}`);
  const sum = (parts: ReadonlyMap<string, number>, keys: Iterable<string>): number =>
    [...keys].reduce((total, key) => total + (parts.get(key) ?? 0), 0);
  console.log(
    `\n${'biggest parts (KB of minified output)'.padEnd(42)}${rows.map(({ column }) => column.padStart(10)).join('')}`,
  );
  for (const part of names) line(part, ({ parts }) => parts.get(part) ?? 0);
  line('everything else', ({ parts }) => sum(parts, parts.keys()) - sum(parts, names));
  line('of all these, loaded only with X-Ray on', ({ tracingOnly }) => tracingOnly);
}

async function main(): Promise<void> {
  await throughput();
  await bundles();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
