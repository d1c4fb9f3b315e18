import { CreateThingCommand, IoTClient } from '@aws-sdk/client-iot';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseKekRing } from '@tts-aws-iot/keywrap';
import { freePort } from '@tts-aws-iot/test-kit';
import { TrafficLog } from '../src/log';
import { runDemo, startLocalStack, type LocalStack } from '../src/main';
import { DEFAULT_OPTIONS } from '../src/options';
import { registriesHolding } from '../src/tts-network';
import { listen, type MqttListener } from './mqtt-listener';

// The whole stack on free ports, with the real Lambda bundles (the project's test target
// builds them first): setup custom resources, registry sync (create, claim, delete), uplink
// and downlink with E2E.
let stack: LocalStack;
let app: MqttListener;
const logLines: string[] = [];
/** Root keys of things the tests create themselves, for the search of the log. */
const extraKeys: string[] = [];
const dataDir = mkdtempSync(join(tmpdir(), 'local-e2e-'));

beforeAll(async () => {
  const [mqttPort, apiPort, ttsPort] = [await freePort(), await freePort(), await freePort()];
  stack = await startLocalStack(
    { ...DEFAULT_OPTIONS, mqttPort, apiPort, ttsPort, devices: 2, claimDevices: 1, dataDir },
    new TrafficLog((line) => logLines.push(line)),
    {
      traffic: false,
      retryDelaysMs: [200, 400],
      queueRetryDelaysMs: [200, 400],
    },
  );
  app = await listen(stack.broker.url, ['lorawan/#']);
}, 120_000);

afterAll(async () => {
  await app?.close();
  await stack?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

/** Joins once create-device has registered the device in the TTS stand-in. */
async function joinWhenRegistered(devEUI: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      await stack.simulator.join(devEUI);
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

describe('the local stack, end to end', () => {
  const thing = () => stack.devices[0]!.devEUI;

  it('registers the device in TTS from its thing and strips the root key from the thing', async () => {
    await joinWhenRegistered(thing());
    const provisioning = await app.next(`lorawan/${thing()}/provisioning`);
    expect(provisioning.json()).toMatchObject({ status: 'created' });
    const attributes = stack.api.iot.getThing(thing())?.attributes ?? {};
    expect(attributes).toMatchObject({ devEUI: thing(), stackName: 'local' });
    expect(attributes).not.toHaveProperty('appKey');
  });

  it('decrypts an uplink and republishes the plaintext on lorawan/<thing>/uplink', async () => {
    await app.next(`lorawan/${thing()}/join`);
    await stack.simulator.uplink(thing(), Buffer.from('21.5C'));

    const uplink = (await app.next(`lorawan/${thing()}/uplink`)).json<{
      thingName: string;
      uplink_message: Record<string, unknown>;
    }>();
    expect(uplink.thingName).toBe(thing());
    expect(Buffer.from(String(uplink.uplink_message['frm_payload']), 'base64').toString()).toBe(
      '21.5C',
    );
    expect(uplink.uplink_message).not.toHaveProperty('app_s_key');
    const shadow = stack.api.iotData.getState(thing(), 'lorawan');
    expect(shadow?.reported).toMatchObject({ fCntUp: 0, appSKeyEnvelope: { kekLabel: 'local-1' } });
  });

  it('delivers a downlink requested on lorawan/downlink to the device, encrypted at the next counter', async () => {
    await app.publish('lorawan/downlink', {
      thingName: thing(),
      bytes: Buffer.from([1, 2, 3]).toString('base64'),
      fPort: 10,
    });
    await app.next(`lorawan/${thing()}/downlink/queued`);
    // Class A: the downlink goes out in the receive window after the next uplink.
    await stack.simulator.uplink(thing());
    expect(
      stack.simulator
        .received(thing())
        .map((d) => ({ fCnt: d.fCnt, fPort: d.fPort, payload: [...d.payload] })),
    ).toEqual([{ fCnt: 1, fPort: 10, payload: [1, 2, 3] }]);
    await app.next(`lorawan/${thing()}/downlink/sent`);
    expect(stack.api.iotData.getState(thing(), 'lorawan')?.reported).toMatchObject({ fCntDown: 1 });
  });

  it('passes the bounded demo of npm start --once: a claim, traffic for every device, a deletion', async () => {
    const [first, second, claimed] = stack.devices.map((d) => d.devEUI);
    const results = await runDemo(stack, 60_000);
    expect(results).toEqual([
      // The Device Repository device: decoded uplinks, a downlink from the shadow's desired state.
      { devEUI: first, uplink: true, decoded: true, downlink: true },
      { devEUI: second, uplink: true, downlink: true, deleted: true },
      { devEUI: claimed, claimed: true, uplink: true, downlink: true },
    ]);

    // The desired downlink left the shadow's desired state and is reported pushed.
    const shadow = stack.api.iotData.getState(first!, 'lorawan');
    expect(shadow?.desired).toEqual({});
    expect(shadow?.reported).toMatchObject({ downlink: { status: 'pushed' } });
    expect(stack.tts.state.devices.as.get('local-app/eui-0004a30b001c0001')).toMatchObject({
      formatters: { up_formatter: 'FORMATTER_REPOSITORY', down_formatter: 'FORMATTER_REPOSITORY' },
      version_ids: { brand_id: 'tts-aws-iot', model_id: 'local-sensor' },
    });

    // The claim: TTS holds the claim but never the root key; the code left the thing.
    expect(stack.devices[2]!.claimAuthenticationCode).toBeDefined();
    expect(stack.provisioning(claimed!)).toEqual([
      { status: 'claimed', deviceID: 'eui-0004a30b001c0003' },
    ]);
    expect(registriesHolding(stack.tts.state, 'local-app', 'eui-0004a30b001c0003')).toEqual([
      'is',
      'ns',
      'as',
    ]);
    const claimedAttributes = stack.api.iot.getThing(claimed!)?.attributes ?? {};
    expect(claimedAttributes).toMatchObject({ claimed: 'true' });
    expect(claimedAttributes).not.toHaveProperty('claimAuthenticationCode');

    // The deletion: outcome published, device gone from every registry, its uplinks dropped.
    const outcome = await app.next(
      `lorawan/${second}/provisioning`,
      (m) => m.json<{ status: string }>().status === 'deleted',
    );
    expect(outcome.json()).toEqual({ status: 'deleted', deviceID: 'eui-0004a30b001c0002' });
    expect(stack.api.iot.getThing(second!)).toBeUndefined();
    expect(registriesHolding(stack.tts.state, 'local-app', 'eui-0004a30b001c0002')).toEqual([]);
    await expect(stack.simulator.uplink(second!)).rejects.toThrow(/no longer registered/);
  }, 90_000);

  it('queues registry events: a create that fails while TTS is down is redelivered and then creates the device', async () => {
    const devEUI = '0004A30B001C00F1';
    const deviceID = `eui-${devEUI.toLowerCase()}`;
    const appKey = randomBytes(16).toString('hex').toUpperCase();
    extraKeys.push(appKey);
    // TTS answers 503 to every attempt of the first delivery.
    stack.tts.failNext({
      method: 'POST',
      pathPattern: '/applications/*/devices',
      status: 503,
      times: 4,
    });
    const iot = new IoTClient({
      endpoint: stack.api.url,
      region: 'us-east-1',
      credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
    });
    await iot.send(
      new CreateThingCommand({
        thingName: devEUI,
        thingTypeName: 'lorawan',
        attributePayload: {
          attributes: {
            devEUI,
            stackName: 'local',
            joinEUI: '70B3D57ED0000000',
            lorawanVersion: '1.0.3',
            regionalParametersVersion: '1.0.3-a',
            appKey,
          },
        },
      }),
    );
    iot.destroy();
    await app.next(
      `lorawan/${devEUI}/provisioning`,
      (m) => m.json<{ status: string }>().status === 'created',
    );
    const outcomes = app.messages
      .filter((m) => m.topic === `lorawan/${devEUI}/provisioning`)
      .map((m) => m.json<{ status: string; error?: { name?: string } }>());
    expect(outcomes.map((outcome) => outcome.status)).toEqual(['failed', 'created']);
    expect(registriesHolding(stack.tts.state, 'local-app', deviceID)).toEqual([
      'is',
      'js',
      'ns',
      'as',
    ]);
  }, 60_000);

  it('never shows a root key, the KEK or the API key in the traffic or the logs', async () => {
    const secrets = new SecretsManagerClient({
      endpoint: stack.api.url,
      region: 'us-east-1',
      credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
    });
    const secret = async (id: string) =>
      (await secrets.send(new GetSecretValueCommand({ SecretId: id }))).SecretString!;
    const kek = Buffer.from(parseKekRing(await secret('local/kek')).current().kek)
      .toString('hex')
      .toUpperCase();
    const apiKey = await secret('local/api-key');
    secrets.destroy();
    const forbidden = [
      ...stack.devices.map((d) => d.appKey),
      ...extraKeys,
      kek,
      Buffer.from(kek, 'hex').toString('base64'),
      apiKey,
    ];
    const seen = [...logLines, ...app.messages.map((m) => m.payload.toString())]
      .join('\n')
      .toUpperCase();
    for (const value of forbidden) expect(seen).not.toContain(value.toUpperCase());
    // The check is meaningful: the traffic and the logs were there to search.
    expect(logLines.length).toBeGreaterThan(20);
  });
});
