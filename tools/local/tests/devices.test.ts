import { randomBytes } from 'node:crypto';
import { unwrapKey } from '@tts-aws-iot/keywrap';
import {
  decryptFRMPayload,
  encryptFRMPayload,
  parseAesKey,
  parseDevAddr,
} from '@tts-aws-iot/lorawan';
import { freePort } from '@tts-aws-iot/test-kit';
import { startBroker, type Broker } from '../src/broker';
import { DeviceSimulator, type TtsNetworkState } from '../src/devices';
import { listen, type MqttListener } from './mqtt-listener';

const DEV_EUI = '0004A30B001C0001';
const APP_KEY = randomBytes(16).toString('hex').toUpperCase();
const KEK = randomBytes(16);
const BASE = 'thethings/lorawan/local';

// What the setup and create-device would have written into the TTS stand-in.
const REGISTERED = {
  deviceID: 'eui-0004a30b001c0001',
  devEUI: DEV_EUI,
  joinEUI: '70B3D57ED0000000',
  appKey: APP_KEY,
};
const configured: TtsNetworkState = {
  pubSubStackName: (app) => (app === 'local-app' ? 'local' : undefined),
  kek: () => ({ label: 'local-1', key: KEK }),
  skipPayloadCrypto: () => true,
  device: (_app, devEUI) => (devEUI === DEV_EUI ? REGISTERED : undefined),
  registeredDevices: () => [REGISTERED],
};

let broker: Broker;
let app: MqttListener;
let simulator: DeviceSimulator;

beforeEach(async () => {
  broker = await startBroker({ port: await freePort() });
  app = await listen(broker.url, [`${BASE}/#`]);
});

afterEach(async () => {
  await simulator?.close();
  await app.close();
  await broker.close();
});

async function start(network: TtsNetworkState): Promise<void> {
  simulator = await DeviceSimulator.start({
    brokerUrl: broker.url,
    stackName: 'local',
    applicationID: 'local-app',
    network,
  });
  simulator.addDevice({ devEUI: DEV_EUI, joinEUI: '70B3D57ED0000000', appKey: APP_KEY });
}

/** The AppSKey as the integration recovers it: unwrapped from the join-accept's envelope. */
async function unwrappedAppSKey(): Promise<Buffer> {
  const join = (await app.next(`${BASE}/join`)).json<{
    join_accept: { app_s_key: { encrypted_key: string; kek_label: string } };
  }>();
  expect(join.join_accept.app_s_key.kek_label).toBe('local-1');
  return Buffer.from(
    unwrapKey(KEK, Buffer.from(join.join_accept.app_s_key.encrypted_key, 'base64')),
  );
}

describe('the simulated network and devices', () => {
  it('hands on the AppSKey only wrapped, and uplinks the application can decrypt with it', async () => {
    await start(configured);
    await simulator.join(DEV_EUI);
    const appSKey = parseAesKey(await unwrappedAppSKey());
    await simulator.uplink(DEV_EUI, Buffer.from('hello'));

    const up = (await app.next(`${BASE}/uplink`)).json<{
      end_device_ids: { dev_addr: string; device_id: string };
      uplink_message: { f_cnt: number; frm_payload: string; app_s_key: unknown };
    }>();
    expect(up.end_device_ids.device_id).toBe('eui-0004a30b001c0001');
    expect(up.uplink_message.app_s_key).toMatchObject({ kek_label: 'local-1' });
    const ciphertext = Buffer.from(up.uplink_message.frm_payload, 'base64');
    expect(ciphertext.toString()).not.toBe('hello');
    const plaintext = decryptFRMPayload(
      appSKey,
      'up',
      parseDevAddr(up.end_device_ids.dev_addr),
      up.uplink_message.f_cnt,
      ciphertext,
    );
    expect(Buffer.from(plaintext).toString()).toBe('hello');
  });

  it('refuses a downlink below the network’s counter and delivers the next one after an uplink', async () => {
    await start(configured);
    await simulator.join(DEV_EUI);
    const appSKey = parseAesKey(await unwrappedAppSKey());
    await simulator.uplink(DEV_EUI);
    const up = (await app.next(`${BASE}/uplink`)).json<{
      end_device_ids: { dev_addr: string };
      uplink_message: { session_key_id: string };
    }>();
    const devAddr = parseDevAddr(up.end_device_ids.dev_addr);
    const push = (fCnt: number, bytes: string) =>
      app.publish(`${BASE}/downlink/push`, {
        end_device_ids: {
          device_id: 'eui-0004a30b001c0001',
          application_ids: { application_id: 'local-app' },
        },
        downlinks: [
          {
            f_port: 10,
            f_cnt: fCnt,
            session_key_id: up.uplink_message.session_key_id,
            frm_payload: Buffer.from(
              encryptFRMPayload(appSKey, 'down', devAddr, fCnt, Buffer.from(bytes)),
            ).toString('base64'),
          },
        ],
      });

    await push(1, 'first');
    await app.next(`${BASE}/downlink/queued`);
    await push(1, 'again');
    const failed = (await app.next(`${BASE}/downlink/failed`)).json<{
      downlink_failed: { error: { name: string; attributes: Record<string, number> } };
    }>();
    expect(failed.downlink_failed.error).toMatchObject({
      name: 'f_cnt_too_low',
      attributes: { f_cnt: 1, min_f_cnt: 2 },
    });

    expect(simulator.received(DEV_EUI)).toEqual([]);
    await simulator.uplink(DEV_EUI);
    expect(
      simulator.received(DEV_EUI).map((d) => [d.fCnt, Buffer.from(d.payload).toString()]),
    ).toEqual([[1, 'first']]);
    await app.next(`${BASE}/downlink/sent`);
    // The next uplink reports the counter the network last used.
    await simulator.uplink(DEV_EUI);
    const third = await app.next(
      `${BASE}/uplink`,
      (m) => m.json<{ uplink_message: { f_cnt: number } }>().uplink_message.f_cnt === 2,
    );
    expect(
      third.json<{ uplink_message: { last_a_f_cnt_down: number } }>().uplink_message
        .last_a_f_cnt_down,
    ).toBe(1);
  });

  it('does not join a device that is not registered, nor publish without a pub/sub', async () => {
    await start({ ...configured, device: () => undefined });
    await expect(simulator.join(DEV_EUI)).rejects.toMatchObject({ code: 'device_not_registered' });
    await simulator.close();
    await start({ ...configured, pubSubStackName: () => undefined });
    await expect(simulator.join(DEV_EUI)).rejects.toMatchObject({ code: 'pubsub_not_configured' });
  });
});
