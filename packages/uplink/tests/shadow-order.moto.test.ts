import { IoTClient } from '@aws-sdk/client-iot';
import { IoTDataPlaneClient } from '@aws-sdk/client-iot-data-plane';
import { IotShadowStore, IotThingRegistry } from '@tts-aws-iot/aws';
import { type MessagePublisher } from '@tts-aws-iot/integration';
import { trafficDependencies, type TrafficDependencies } from '@tts-aws-iot/integration/traffic';
import { InMemorySecretReader } from '@tts-aws-iot/integration/testing';
import {
  actionOf,
  describeWithMoto,
  startStackAccount,
  type RecordedRequest,
  type StackAccount,
} from '@tts-aws-iot/test-kit';

import { handleUplink } from '../src/uplink';
import { config, e2eUplink, endDeviceIds, KEK_RING_SECRET } from './fixtures';

/**
 * HandleUplink's conditional shadow writes through the real SDK clients against moto: two
 * execution environments of one account, and another writer of the shadow in between.
 */
describeWithMoto('HandleUplink shadow order against moto', () => {
  let account: StackAccount;
  let iot: IoTClient;
  let data: IoTDataPlaneClient;

  beforeAll(async () => {
    account = await startStackAccount({ secrets: { 'tts-stack/kek': KEK_RING_SECRET } });
    iot = new IoTClient(account.moto.clientConfig);
    data = new IoTDataPlaneClient(account.moto.clientConfig);
  }, 60_000);

  afterAll(async () => {
    iot?.destroy();
    data?.destroy();
    await account?.stop();
  });

  /** One execution environment: its own caches, the account's registry and shadows. */
  const container = (): TrafficDependencies =>
    trafficDependencies(
      config,
      {
        registry: new IotThingRegistry(iot),
        shadows: new IotShadowStore(data),
        publisher: { publish: async () => undefined } satisfies MessagePublisher,
        secrets: new InMemorySecretReader(new Map([['tts-stack/kek', KEK_RING_SECRET]])),
      },
      {
        log: { debug: () => undefined, info: () => undefined, warn: () => undefined },
        counters: { count: () => undefined },
        delay: async () => undefined,
        random: () => 0.5,
      },
    );

  const devEUI = '0004A30B001C0E01';
  const uplink = (fCnt: number) => ({
    ...e2eUplink(Uint8Array.of(fCnt & 0xff), fCnt),
    end_device_ids: { ...endDeviceIds, dev_eui: devEUI, device_id: 'eui-0004a30b001c0e01' },
    received_at: new Date(Date.UTC(2024, 4, 1, 12, 0, fCnt % 60)).toISOString(),
  });
  const shadowWrites = (requests: readonly RecordedRequest[]) =>
    requests
      .filter((r) => actionOf(r) === 'UpdateThingShadow')
      .map((r) => JSON.parse(r.body) as { version?: number; state: { reported: object } });
  const actions = async () => (await account.moto.requests()).map(actionOf);

  it('writes at the version it last saw, and on a conflict reads, judges and writes again or drops', async () => {
    const a = container();
    const b = container();
    await handleUplink(uplink(70_001), a);
    await handleUplink(uplink(70_002), a);
    const afterA = await account.shadow(devEUI);

    // Steady state: one conditional UpdateThingShadow, no read.
    await account.moto.startRecording();
    await handleUplink(uplink(70_003), a);
    expect((await actions()).filter((x) => x !== 'Publish')).toEqual(['UpdateThingShadow']);
    expect(shadowWrites(await account.moto.requests())[0]?.version).toBe(afterA.version);

    // B writes a newer uplink; A's older one then conflicts, is judged against the shadow, dropped.
    await handleUplink(uplink(70_005), b);
    await account.moto.startRecording();
    await handleUplink(uplink(70_004), a);
    expect(await actions()).toEqual(['UpdateThingShadow', 'GetThingShadow']);
    expect((await account.shadow(devEUI)).state.reported).toMatchObject({ fCntUp: 70_005 });

    // Another writer (a downlink reservation, a desired downlink) moves the version on: A's
    // newer uplink conflicts, reads, and is written at the version read, keeping that field.
    await account.report(devEUI, { downlink: { requestID: 'r-1', status: 'sent' } });
    const { version } = await account.shadow(devEUI);
    await account.moto.startRecording();
    await handleUplink(uplink(70_006), a);
    expect(await actions()).toEqual(['UpdateThingShadow', 'GetThingShadow', 'UpdateThingShadow']);
    expect(shadowWrites(await account.moto.requests())[1]?.version).toBe(version);
    expect((await account.shadow(devEUI)).state.reported).toMatchObject({
      fCntUp: 70_006,
      downlink: { requestID: 'r-1', status: 'sent' },
    });
  }, 60_000);
});
