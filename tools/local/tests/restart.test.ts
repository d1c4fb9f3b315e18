import { CreateThingCommand, IoTClient } from '@aws-sdk/client-iot';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '@tts-aws-iot/test-kit';
import { createThingCommand } from '../src/guide';
import { TrafficLog } from '../src/log';
import {
  demoLine,
  runDemo,
  startLocalStack,
  type LocalStack,
  type StartOverrides,
} from '../src/main';
import { DEFAULT_OPTIONS } from '../src/options';
import { STATE_FILE_NAME } from '../src/state';
import { listen, type MqttListener } from './mqtt-listener';

// The whole stack started three times on one data directory: state written at stop is what
// the next start resumes from (things, shadows, KEK, TTS registries, device sessions).
const dataDir = mkdtempSync(join(tmpdir(), 'local-restart-'));
const logLines: string[] = [];
let stack: LocalStack | undefined;
let app: MqttListener | undefined;

async function start(
  overrides: StartOverrides & { interval?: number; devices?: number; dir?: string } = {},
): Promise<LocalStack> {
  await stop(); // one that a failed test left running
  const [mqttPort, apiPort, ttsPort] = [await freePort(), await freePort(), await freePort()];
  stack = await startLocalStack(
    {
      ...DEFAULT_OPTIONS,
      mqttPort,
      apiPort,
      ttsPort,
      devices: overrides.devices ?? 1,
      claimDevices: 1,
      dataDir: overrides.dir ?? dataDir,
      uplinkIntervalMs: overrides.interval ?? 10_000,
    },
    new TrafficLog((line) => logLines.push(line)),
    { traffic: false, retryDelaysMs: [200, 400], queueRetryDelaysMs: [200, 400], ...overrides },
  );
  app = await listen(stack.broker.url, ['lorawan/#']);
  return stack;
}

async function stop(): Promise<void> {
  await app?.close();
  await stack?.stop();
  app = undefined;
  stack = undefined;
}

afterAll(async () => {
  await stop();
  rmSync(dataDir, { recursive: true, force: true });
});

async function joinWhenRegistered(local: LocalStack, devEUI: string): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await local.simulator.join(devEUI);
    } catch (error) {
      if (attempt > 150) throw error;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

describe('restarting the local stack on its data directory', () => {
  let kekBefore: string | undefined;
  let fCntDownBefore = 0;

  it('runs a device: join, two uplinks and a downlink, then stops and saves', async () => {
    const first = await start();
    const thing = first.devices[0]!.devEUI;
    await joinWhenRegistered(first, thing);
    await first.simulator.uplink(thing, Buffer.from('one'));
    // The uplink function has recorded the session in the shadow: downlinks can be encrypted.
    await app!.next(`lorawan/${thing}/uplink`);
    await app!.publish('lorawan/downlink', { thingName: thing, bytes: 'AQI=', fPort: 10 });
    await app!.next(`lorawan/${thing}/downlink/queued`);
    await first.simulator.uplink(thing, Buffer.from('two'));
    await app!.next(`lorawan/${thing}/downlink/sent`);
    fCntDownBefore = first.simulator.received(thing).at(-1)!.fCnt;
    kekBefore = first.api.secrets.currentSecretString('local/kek');
    await stop();
    expect(existsSync(join(dataDir, STATE_FILE_NAME))).toBe(true);
  }, 90_000);

  it('resumes: the device keeps its session and counters, and a downlink after the restart decrypts on it', async () => {
    const second = await start();
    const thing = second.devices[0]!.devEUI;
    expect(second.resumed).toBe(true);
    expect(second.api.secrets.currentSecretString('local/kek')).toBe(kekBefore);
    expect(second.api.iot.getThing(thing)).toBeDefined();
    expect(second.api.iotData.getState(thing, 'lorawan')?.reported).toMatchObject({ fCntUp: 1 });
    // No rejoin: the device goes on in the session it had.
    expect(second.simulator.joined(thing)).toBe(true);

    await second.simulator.uplink(thing, Buffer.from('three'));
    const uplink = await app!.next(`lorawan/${thing}/uplink`);
    const message = uplink.json<{ uplink_message: { f_cnt: number; frm_payload: string } }>();
    expect(message.uplink_message.f_cnt).toBe(2);
    expect(Buffer.from(message.uplink_message.frm_payload, 'base64').toString()).toBe('three');

    await app!.publish('lorawan/downlink', { thingName: thing, bytes: 'BQY=', fPort: 11 });
    await app!.next(`lorawan/${thing}/downlink/queued`);
    await second.simulator.uplink(thing);
    const received = second.simulator.received(thing).at(-1)!;
    expect({
      fPort: received.fPort,
      bytes: Buffer.from(received.payload).toString('base64'),
    }).toEqual({
      fPort: 11,
      bytes: 'BQY=',
    });
    expect(received.fCnt).toBeGreaterThan(fCntDownBefore);
    await app!.next(
      `lorawan/${thing}/uplink`,
      (m) => m.json<{ uplink_message: { f_cnt: number } }>().uplink_message.f_cnt === 3,
    );
    const shadowFCntUp = () => second.api.iotData.getState(thing, 'lorawan')?.reported?.['fCntUp'];
    for (let i = 0; i < 50 && shadowFCntUp() !== 3; i++)
      await new Promise((resolve) => setTimeout(resolve, 100));
    expect(shadowFCntUp()).toBe(3);
    await stop();
  }, 90_000);

  it('runs a device created with the AWS API as `aws iot create-thing` would: join and uplink on the broker, on its own', async () => {
    const third = await start({ traffic: true, interval: 1_000 });
    // The command the guide prints, sent through the SDK client the CLI uses.
    const command = createThingCommand(third);
    const thingName = /--thing-name (\S+)/.exec(command)![1]!;
    const payload = JSON.parse(/--attribute-payload '([^']+)'/.exec(command)![1]!);
    expect(payload.attributes.appKey).toMatch(/^wrapped:local-1:[0-9A-F]{48}$/);
    const iot = new IoTClient({
      endpoint: third.api.url,
      region: 'us-east-1',
      credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
    });
    try {
      await iot.send(
        new CreateThingCommand({
          thingName,
          thingTypeName: /--thing-type-name (\S+)/.exec(command)![1],
          attributePayload: payload,
        }),
      );
    } finally {
      iot.destroy();
    }
    await app!.next(`lorawan/${thingName}/join`, undefined, 30_000);
    await app!.next(`lorawan/${thingName}/uplink`, undefined, 30_000);
    expect(
      logLines.some((line) => line.includes(`${thingName} provisioned through the integration`)),
    ).toBe(true);
  }, 90_000);

  it('runs a device claimed with the AWS API under the external Join Server: join and uplink', async () => {
    const thingName = '0004A30B00C1A1E1';
    const iot = new IoTClient({
      endpoint: stack!.api.url,
      region: 'us-east-1',
      credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
    });
    try {
      await iot.send(
        new CreateThingCommand({
          thingName,
          thingTypeName: 'lorawan',
          attributePayload: {
            attributes: {
              devEUI: thingName,
              stackName: 'local',
              joinEUI: '0000000000C1A100',
              claimAuthenticationCode: 'C0DE1234',
            },
          },
        }),
      );
    } finally {
      iot.destroy();
    }
    await app!.next(
      `lorawan/${thingName}/provisioning`,
      (m) => m.json<{ status: string }>().status === 'claimed',
      30_000,
    );
    await app!.next(`lorawan/${thingName}/join`, undefined, 30_000);
    await app!.next(`lorawan/${thingName}/uplink`, undefined, 30_000);
  }, 90_000);

  it('logs a rejected downlink request with its code and reason', async () => {
    await app!.publish('lorawan/downlink', { thingName: stack!.devices[0]!.devEUI, fPort: 10 });
    await app!.next(/downlink\/failed$/);
    const deadline = Date.now() + 10_000;
    const rejection = () =>
      logLines.find((line) => /downlink +WARN .*\(code=[a-z_]+; reason=.+\)/.test(line));
    while (!rejection() && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 100));
    expect(rejection()).toBeDefined();
  });

  it('passes the --once demo twice over a restart (a resumed shadow, a deleted thing made again)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'local-restart-demo-'));
    for (const run of ['first', 'resumed']) {
      const local = await start({ devices: 2, dir });
      const lines = (await runDemo(local, 60_000)).map(demoLine);
      const failed = lines.some((line) => line.includes('FAILED'));
      // On a failure, the traffic log's last lines say why.
      expect({ run, lines, ...(failed && { log: logLines.slice(-60) }) }).toEqual({
        run,
        lines: [
          '0004A30B001C0001: uplink ok, decoded ok, downlink ok',
          '0004A30B001C0002: uplink ok, downlink ok, deleted ok',
          '0004A30B001C0003: claimed ok, uplink ok, downlink ok',
        ],
      });
    }
    await stop();
    rmSync(dir, { recursive: true, force: true });
  }, 180_000);
});
