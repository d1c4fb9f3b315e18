import { CachedSecretReader } from '@tts-aws-iot/aws';
import {
  InMemorySecretReader,
  InMemoryShadowStore,
  InMemoryThingRegistry,
  KekRingSource,
  RecordingPublisher,
  ThingDirectory,
  type IntegrationConfig,
} from '@tts-aws-iot/integration';
import { formatKekRing, KekRing, wrapKey } from '@tts-aws-iot/keywrap';
import { encryptFRMPayload, parseAesKey, parseDevAddr } from '@tts-aws-iot/lorawan';

import type { UplinkDependencies } from '../src/uplink';

// Realistic key material: a KEK ring with two labels and a session AppSKey wrapped under
// the current one, exactly as the TTS Join Server would hand it on.
export const KEK_HEX = '8C9A3F61D2E04B7795A1C3E5F7092B4D';
export const OLD_KEK_HEX = '11223344556677881122334455667788';
export const APP_S_KEY_HEX = '5D1F0E2A4B6C8D9EA0B1C2D3E4F50617';
export const KEK_RING_SECRET = formatKekRing(
  new KekRing('kek-2', { 'kek-1': Buffer.from(OLD_KEK_HEX, 'hex'), 'kek-2': Buffer.from(KEK_HEX, 'hex') }),
);
export const WRAPPED_APP_S_KEY = Buffer.from(wrapKey(Buffer.from(KEK_HEX, 'hex'), Buffer.from(APP_S_KEY_HEX, 'hex'))).toString('base64');
export const APP_S_KEY_ENVELOPE = { encrypted_key: WRAPPED_APP_S_KEY, kek_label: 'kek-2' };

export const DEV_EUI = '0004A30B001C0530';
export const DEV_ADDR = '260B1A2F';
export const SESSION_KEY_ID = 'AYpZ2oDPE0rYOBmhqrUpuQ==';

export const config: IntegrationConfig = {
  stackName: 'tts-stack',
  thingTypeName: 'lorawan',
  thingNameScheme: 'DevEUI',
  thingShadowMetrics: true,
  applicationID: 'my-app',
  clusterURL: 'https://eu1.cloud.thethings.industries/api/v3',
  e2eEnabled: true,
  kekSecretID: 'tts-stack/kek',
  apiKeySecretID: 'tts-stack/api-key',
  iotDataEndpoint: 'https://example-ats.iot.eu-west-1.amazonaws.com',
};

export const endDeviceIds = {
  device_id: 'eui-0004a30b001c0530',
  application_ids: { application_id: 'my-app' },
  dev_eui: DEV_EUI,
  join_eui: '70B3D57ED0000000',
  dev_addr: DEV_ADDR,
};

/** An FRMPayload as the device encrypts it. */
export function encryptUp(plaintext: Uint8Array, fCnt: number, direction: 'up' | 'down' = 'up'): string {
  return Buffer.from(encryptFRMPayload(parseAesKey(APP_S_KEY_HEX), direction, parseDevAddr(DEV_ADDR), fCnt, plaintext)).toString('base64');
}

/** A TTS uplink with skip payload crypto: ciphertext, the wrapped AppSKey and last_a_f_cnt_down. */
export function e2eUplink(plaintext = Uint8Array.of(0x01, 0x02, 0x03, 0x04, 0x05), fCnt = 70_000) {
  return {
    end_device_ids: endDeviceIds,
    correlation_ids: ['as:up:01HZZ8K7', 'gs:uplink:01HZZ8K6'],
    received_at: '2024-05-01T12:00:00.123456789Z',
    uplink_message: {
      session_key_id: SESSION_KEY_ID,
      f_port: 10,
      f_cnt: fCnt,
      frm_payload: encryptUp(plaintext, fCnt),
      rx_metadata: [
        { gateway_ids: { gateway_id: 'gw-1', eui: 'B827EBFFFE000001' }, rssi: -110, channel_rssi: -110, snr: -4.5 },
        { gateway_ids: { gateway_id: 'gw-2', eui: 'B827EBFFFE000002' }, rssi: -97, channel_rssi: -97, snr: 7.25 },
      ],
      settings: { data_rate: { lora: { bandwidth: 125000, spreading_factor: 7, coding_rate: '4/5' } }, frequency: '868100000' },
      received_at: '2024-05-01T12:00:00.100Z',
      app_s_key: APP_S_KEY_ENVELOPE,
      last_a_f_cnt_down: 4,
      consumed_airtime: '0.061696s',
      network_ids: { net_id: '000013', tenant_id: 'tti', cluster_id: 'eu1' },
    },
  };
}

/** A TTS uplink without E2E: plaintext and the payload formatter's output. */
export function plainUplink(decoded: Record<string, unknown> = { temperature: 21.5, humidity: 40 }) {
  return {
    end_device_ids: endDeviceIds,
    correlation_ids: ['as:up:01HZZ8K7'],
    received_at: '2024-05-01T12:00:00.123456789Z',
    uplink_message: {
      session_key_id: SESSION_KEY_ID,
      f_port: 2,
      f_cnt: 12,
      frm_payload: 'AQID',
      decoded_payload: decoded,
      rx_metadata: [{ gateway_ids: { gateway_id: 'gw-1' }, rssi: -80, snr: 9 }],
      received_at: '2024-05-01T12:00:00.100Z',
    },
  };
}

export function joinAccept(appSKey: Record<string, string> = APP_S_KEY_ENVELOPE) {
  return {
    end_device_ids: endDeviceIds,
    correlation_ids: ['as:up:01HZZ8J0'],
    received_at: '2024-05-01T11:59:00.000000001Z',
    join_accept: { session_key_id: SESSION_KEY_ID, app_s_key: appSKey, received_at: '2024-05-01T11:59:00Z' },
  };
}

/** In-memory ports around the logic, with every log line and metric captured. */
export function setup(overrides: Partial<IntegrationConfig> = {}) {
  const effective = { ...config, ...overrides };
  const registry = new InMemoryThingRegistry();
  const shadows = new InMemoryShadowStore();
  const publisher = new RecordingPublisher();
  const secretStore = new InMemorySecretReader(new Map([['tts-stack/kek', KEK_RING_SECRET]]));
  const logs: { level: string; message: string; attributes: unknown }[] = [];
  const metrics: Record<string, number> = {};
  const log = (level: string) => (message: string, attributes: unknown) => void logs.push({ level, message, attributes });
  const deps: UplinkDependencies = {
    config: effective,
    things: new ThingDirectory(registry, effective),
    shadows,
    publisher,
    keks: effective.e2eEnabled ? new KekRingSource(new CachedSecretReader(secretStore), 'tts-stack/kek') : undefined,
    log: { debug: log('debug'), info: log('info'), warn: log('warn') },
    counters: { count: (name, value = 1) => void (metrics[name] = (metrics[name] ?? 0) + value) },
    delay: async () => undefined,
    random: () => 0.5,
  };
  return { deps, registry, shadows, publisher, secretStore, logs, metrics };
}

/** Everything the ports and observers saw, as one string to search for key material. */
export function everythingSeen(world: ReturnType<typeof setup>): string {
  return JSON.stringify({
    published: world.publisher.messages,
    shadows: [...world.shadows.shadows.entries()],
    shadowCalls: world.shadows.calls,
    things: [...world.registry.things.entries()],
    logs: world.logs,
  });
}

/** The key material that must never appear, as hex (either case) and base64. */
export function keyMaterialForms(): string[] {
  return [APP_S_KEY_HEX, KEK_HEX, OLD_KEK_HEX].flatMap((hex) => [hex, hex.toLowerCase(), Buffer.from(hex, 'hex').toString('base64')]);
}
