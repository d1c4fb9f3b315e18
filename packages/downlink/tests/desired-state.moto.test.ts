/**
 * Desired-state downlinks through the HandleDownlink bundle as Lambda runs it, with the real
 * SDK clients against moto: the desired downlink in the `lorawan` shadow is pushed once,
 * cleared and reported, also when the delta's event comes again or concurrently.
 */
import { join } from 'node:path';

import {
  GetThingShadowCommand,
  IoTDataPlaneClient,
  UpdateThingShadowCommand,
} from '@aws-sdk/client-iot-data-plane';
import {
  describeWithMoto,
  publishedOn,
  runContainer,
  startStackAccount,
  type StackAccount,
} from '@tts-aws-iot/test-kit';

import { decryptPushed, KEK_RING_SECRET, sessionShadow } from './fixtures';

const DOWNLINK_BUNDLE = join(__dirname, '../../../dist/packages/downlink/index.js');
const PUSH_TOPIC = 'thethings/lorawan/tts-stack/downlink/push';
type Push = { downlinks: { f_port: number; frm_payload: string; f_cnt: number }[] };

describeWithMoto('desired-state downlinks through the HandleDownlink bundle against moto', () => {
  let account: StackAccount;
  let data: IoTDataPlaneClient;

  beforeAll(async () => {
    account = await startStackAccount({
      secrets: { 'tts-stack/kek': KEK_RING_SECRET },
      env: { POWERTOOLS_METRICS_NAMESPACE: 'TtsAwsIotTest' },
    });
    data = new IoTDataPlaneClient(account.moto.clientConfig);
  }, 60_000);

  afterAll(() => account?.stop());

  async function desire(thingName: string, downlink: unknown): Promise<number> {
    const answer = await data.send(
      new UpdateThingShadowCommand({
        thingName,
        shadowName: 'lorawan',
        payload: new TextEncoder().encode(JSON.stringify({ state: { desired: { downlink } } })),
      }),
    );
    return JSON.parse(new TextDecoder().decode(answer.payload)).version as number;
  }

  type Shadow = {
    state: {
      desired?: { downlink?: unknown };
      reported: { downlink?: Record<string, unknown> };
    };
  };

  async function shadowOf(thingName: string): Promise<Shadow> {
    const answer = await data.send(new GetThingShadowCommand({ thingName, shadowName: 'lorawan' }));
    return JSON.parse(new TextDecoder().decode(answer.payload));
  }

  async function thingWithSession(thingName: string): Promise<void> {
    await account.createThing(thingName, {
      devEUI: thingName,
      stackName: 'tts-stack',
      deviceID: `eui-${thingName.toLowerCase()}`,
    });
    await account.report(thingName, sessionShadow);
  }

  it('pushes the desired downlink once, encrypted, then clears it and reports it', async () => {
    const thing = '0004A30B001C0E01';
    await thingWithSession(thing);
    const version = await desire(thing, { bytes: 'AQID', fPort: 12, confirmed: true });
    await account.moto.startRecording();
    const event = { thingName: thing, shadowVersion: version };
    // The delta twice at once (two containers), then once more later (a later shadow update).
    const runs = await Promise.all([
      runContainer(DOWNLINK_BUNDLE, account.env, [event]),
      runContainer(DOWNLINK_BUNDLE, account.env, [event]),
    ]);
    await runContainer(DOWNLINK_BUNDLE, account.env, [event]);
    for (const run of runs) expect(run.outcomes).toEqual([{ ok: true, value: null }]);

    const pushes = publishedOn(await account.moto.requests(), PUSH_TOPIC) as Push[];
    expect(pushes).toHaveLength(1);
    const [downlink] = pushes[0]!.downlinks;
    expect(downlink).toMatchObject({ f_port: 12, f_cnt: 5 });
    const plaintext = decryptPushed(downlink!);
    expect(plaintext).toEqual([1, 2, 3]);
    const shadow = await shadowOf(thing);
    expect(shadow.state.desired?.downlink).toBeUndefined();
    expect(shadow.state.reported.downlink).toMatchObject({ status: 'pushed', fCnt: 5 });
    expect(shadow.state.reported.downlink?.['time']).toMatch(/^\d{4}-\d\d-\d\dT/);
  }, 120_000);

  it("pushes nothing more when Lambda retries a finished invocation, and reports the application's requestID", async () => {
    const thing = '0004A30B001C0E02';
    await thingWithSession(thing);
    const version = await desire(thing, { bytes: 'BAU=', fPort: 3, requestID: 'app-1' });
    await account.moto.startRecording();
    const event = { thingName: thing, shadowVersion: version };
    await runContainer(DOWNLINK_BUNDLE, account.env, [event], { requestIDs: ['r-1'] });
    await runContainer(DOWNLINK_BUNDLE, account.env, [event], { requestIDs: ['r-1'] });
    const pushes = publishedOn(await account.moto.requests(), PUSH_TOPIC) as Push[];
    expect(pushes.map((push) => push.downlinks[0]!.f_cnt)).toEqual([5]);
    expect((await shadowOf(thing)).state.reported.downlink).toMatchObject({
      requestID: 'app-1',
      status: 'pushed',
    });
  }, 120_000);

  it('clears a desired downlink that is not a request object, pushing nothing', async () => {
    const thing = '0004A30B001C0E03';
    await thingWithSession(thing);
    const version = await desire(thing, 5);
    await account.moto.startRecording();
    const run = await runContainer(DOWNLINK_BUNDLE, account.env, [
      { thingName: thing, shadowVersion: version },
    ]);
    expect(run.outcomes).toEqual([{ ok: true, value: null }]);
    expect(publishedOn(await account.moto.requests(), PUSH_TOPIC)).toEqual([]);
    expect((await shadowOf(thing)).state.desired?.downlink).toBeUndefined();
  }, 120_000);
});
