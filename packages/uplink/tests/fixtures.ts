import { type IntegrationConfig } from '@tts-aws-iot/integration';
import { inMemoryTraffic } from '@tts-aws-iot/integration/testing';
import { encryptFRMPayload, parseAesKey, parseDevAddr } from '@tts-aws-iot/lorawan';
import {
  APP_S_KEY_HEX,
  DEV_ADDR,
  DEV_EUI,
  KEK_RING_SECRET,
  SESSION_KEY_ID,
  TEST_STACK,
  WRAPPED_APP_S_KEY,
} from '@tts-aws-iot/test-kit';

// The test stack's device, with a session AppSKey wrapped under the current KEK of the
// stack's ring, exactly as the TTS Join Server would hand it on.
export {
  APP_S_KEY_HEX,
  DEV_ADDR,
  DEV_EUI,
  KEK_HEX,
  KEK_RING_SECRET,
  keyMaterialForms,
  SESSION_KEY_ID,
} from '@tts-aws-iot/test-kit';
export const APP_S_KEY_ENVELOPE = { encrypted_key: WRAPPED_APP_S_KEY, kek_label: 'kek-2' };

export const config: IntegrationConfig = TEST_STACK;

export const endDeviceIds = {
  device_id: 'eui-0004a30b001c0530',
  application_ids: { application_id: 'my-app' },
  dev_eui: DEV_EUI,
  join_eui: '70B3D57ED0000000',
  dev_addr: DEV_ADDR,
};

/** An FRMPayload as the device encrypts it. */
export function encryptUp(
  plaintext: Uint8Array,
  fCnt: number,
  direction: 'up' | 'down' = 'up',
): string {
  return Buffer.from(
    encryptFRMPayload(
      parseAesKey(APP_S_KEY_HEX),
      direction,
      parseDevAddr(DEV_ADDR),
      fCnt,
      plaintext,
    ),
  ).toString('base64');
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
        {
          gateway_ids: { gateway_id: 'gw-1', eui: 'B827EBFFFE000001' },
          rssi: -110,
          channel_rssi: -110,
          snr: -4.5,
        },
        {
          gateway_ids: { gateway_id: 'gw-2', eui: 'B827EBFFFE000002' },
          rssi: -97,
          channel_rssi: -97,
          snr: 7.25,
        },
      ],
      settings: {
        data_rate: { lora: { bandwidth: 125000, spreading_factor: 7, coding_rate: '4/5' } },
        frequency: '868100000',
      },
      received_at: '2024-05-01T12:00:00.100Z',
      app_s_key: APP_S_KEY_ENVELOPE,
      last_a_f_cnt_down: 4,
      consumed_airtime: '0.061696s',
      network_ids: { net_id: '000013', tenant_id: 'tti', cluster_id: 'eu1' },
    },
  };
}

/** A TTS uplink without E2E: plaintext and the payload formatter's output. */
export function plainUplink(
  decoded: Record<string, unknown> = { temperature: 21.5, humidity: 40 },
) {
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

/** A plain uplink with another FCnt, received by TTS at `receivedAt` (default: the same time). */
export function plainUplinkAt(
  fCnt: number,
  receivedAt?: string,
  decoded?: Record<string, unknown>,
) {
  const message = plainUplink(decoded);
  return {
    ...message,
    received_at: receivedAt ?? message.received_at,
    uplink_message: { ...message.uplink_message, f_cnt: fCnt },
  };
}

export function joinAccept(appSKey: Record<string, string> = APP_S_KEY_ENVELOPE) {
  return {
    end_device_ids: endDeviceIds,
    correlation_ids: ['as:up:01HZZ8J0'],
    received_at: '2024-05-01T11:59:00.000000001Z',
    join_accept: {
      session_key_id: SESSION_KEY_ID,
      app_s_key: appSKey,
      received_at: '2024-05-01T11:59:00Z',
    },
  };
}

/** In-memory ports around the logic, with every log line and metric captured. */
export function setup(overrides: Partial<IntegrationConfig> = {}) {
  return inMemoryTraffic(
    { ...config, ...overrides },
    { [TEST_STACK.kekSecretID]: KEK_RING_SECRET },
  );
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
