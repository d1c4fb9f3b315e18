// `npm run bench uplink`: HandleUplink's logic in-process with end-to-end encryption on and
// zero-latency ports (messages per second on one core; 100 devices, each with its own
// session, in steady state: things known, KEK ring cached), then each Lambda bundle's size and
// module-initialisation time beside a bundle that only imports the same AWS SDK clients.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import { CachedSecretReader } from '@tts-aws-iot/aws';
import {
  InMemorySecretReader,
  InMemoryThingRegistry,
  KekRingSource,
  ThingDirectory,
  type IntegrationConfig,
  type MessagePublisher,
  type ShadowStore,
} from '@tts-aws-iot/integration';
import { formatKekRing, KekRing, wrapKey } from '@tts-aws-iot/keywrap';
import { encryptFRMPayload, parseAesKey, parseDevAddr } from '@tts-aws-iot/lorawan';

import { handleUplink, type UplinkDependencies } from '../packages/uplink/src/uplink';

const KEK = Buffer.from('8C9A3F61D2E04B7795A1C3E5F7092B4D', 'hex');
const APP_S_KEY = Buffer.from('5D1F0E2A4B6C8D9EA0B1C2D3E4F50617', 'hex');
const DEV_ADDR = '260B1A2F';
const DEVICES = 100;
const POOL = 2_000;

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
  const plaintext = Buffer.from(`reading-${String(index).padStart(4, '0')}`);
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
    log: { debug: () => undefined, info: () => undefined, warn: () => undefined },
    counters: { count: () => undefined },
    delay: async () => undefined,
    random: Math.random,
  };
  const messages = Array.from({ length: POOL }, (_, i) => uplink(i));

  // Warm up: the things become known, the ring cached, the JIT settles.
  for (let i = 0; i < 20_000; i++) await handleUplink(messages[i % POOL], deps);
  global.gc?.();

  const runs: number[] = [];
  for (let run = 0; run < 5; run++) {
    const count = 50_000;
    const start = process.hrtime.bigint();
    for (let i = 0; i < count; i++) await handleUplink(messages[i % POOL], deps);
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    runs.push(count / seconds);
  }
  runs.sort((a, b) => a - b);
  const median = runs[Math.floor(runs.length / 2)] ?? 0;
  console.log(
    `HandleUplink, E2E on, zero-latency ports: ${Math.round(median).toLocaleString('en-US')} messages/s on one core`,
  );
  console.log(
    `  (median of 5 runs of 50,000; ${(1e6 / median).toFixed(1)} µs per message; goal ≥ 20,000/s)`,
  );
  if (published === 0) throw new Error('nothing was published');
}

// --- bundles ---------------------------------------------------------------------------

// esbuild's API cannot be bundled into this benchmark; load it from the workspace at run time.
const workspaceRequire = createRequire(resolve('package.json'));

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

/** Milliseconds to `require` a bundle in a fresh Node process (median of `times`). */
function initTime(bundle: string, times = 9): number {
  const script = `const t = process.hrtime.bigint(); require(${JSON.stringify(bundle)}); process.stdout.write(String(Number(process.hrtime.bigint() - t) / 1e6));`;
  const samples: number[] = [];
  for (let i = 0; i < times; i++)
    samples.push(Number(execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' })));
  return median(samples);
}

async function bundles(): Promise<void> {
  const esbuild = workspaceRequire('esbuild') as typeof import('esbuild');
  const dir = mkdtempSync(join(tmpdir(), 'uplink-bench-'));
  try {
    // The same SDK clients the Lambdas use, and nothing else, built as Nx builds the Lambdas.
    const entry = join(dir, 'sdk-only.js');
    writeFileSync(
      entry,
      [
        "const { IoTClient } = require('@aws-sdk/client-iot');",
        "const { IoTDataPlaneClient } = require('@aws-sdk/client-iot-data-plane');",
        "const { SecretsManagerClient } = require('@aws-sdk/client-secrets-manager');",
        'exports.clients = [IoTClient, IoTDataPlaneClient, SecretsManagerClient];',
      ].join('\n'),
    );
    const reference = join(dir, 'sdk-only.bundle.js');
    await esbuild.build({
      entryPoints: [entry],
      outfile: reference,
      bundle: true,
      platform: 'node',
      format: 'cjs',
      target: 'node24',
      minify: true,
      keepNames: true,
      legalComments: 'none',
      nodePaths: [resolve('node_modules')],
      logLevel: 'warning',
    });

    const rows: [string, string][] = [['SDK clients only (reference)', reference]];
    for (const name of ['uplink', 'downlink']) {
      const bundle = resolve('dist', 'packages', name, 'index.js');
      if (existsSync(bundle)) rows.push([`${name} (dist/packages/${name}/index.js)`, bundle]);
      else console.log(`(${name}: no bundle; run \`npx nx build ${name}\` first)`);
    }
    console.log(
      '\nbundle                                      size       module init (median of 9, fresh process)',
    );
    for (const [label, file] of rows) {
      const kb = (statSync(file).size / 1024).toFixed(0).padStart(6);
      console.log(`${label.padEnd(42)} ${kb} KB   ${initTime(file).toFixed(1).padStart(6)} ms`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  await throughput();
  await bundles();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
