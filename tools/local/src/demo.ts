import { randomBytes } from 'node:crypto';
import { DeleteThingCommand } from '@aws-sdk/client-iot';
import { UpdateThingShadowCommand } from '@aws-sdk/client-iot-data-plane';
import type { ProvisioningOutcome } from '@tts-aws-iot/integration/registry';
import { connectAsync, type MqttClient } from 'mqtt';
import { mqttAddress } from './broker';
import { localIotClient, localIotDataClient, type LocalDevice } from './demo-devices';
import { FORMATTER_DEMO_DEV_EUI } from './formatter-demo';
import { LocalStackError } from './errors';
import type { LocalStack } from './main';
import { registriesHolding } from './tts-network';

/** How one device fared in the demo. */
export interface DemoResult {
  readonly devEUI: string;
  /** For a claimed device: `claimed` reached `lorawan/<thing>/provisioning`. */
  readonly claimed?: boolean;
  /** The plaintext reached `lorawan/<thing>/uplink`. */
  readonly uplink: boolean;
  /**
   * For the Device Repository demo device with E2E: its uplink carried the codec's
   * `decoded_payload`, and its downlink went through the shadow's desired state.
   */
  readonly decoded?: boolean;
  /** The requested downlink reached the device, decrypted with its own AppSKey. */
  readonly downlink: boolean;
  /**
   * For the device whose thing the demo deletes: `deleted` reached
   * `lorawan/<thing>/provisioning` and no registry of the TTS stand-in holds the device.
   */
  readonly deleted?: boolean;
  readonly problem?: string;
}

/** Whether every check of a device passed. */
export function demoPassed(result: DemoResult): boolean {
  return (
    result.claimed !== false &&
    result.uplink &&
    result.decoded !== false &&
    result.downlink &&
    result.deleted !== false
  );
}

/** A closing line of the demo, e.g. `0004A30B001C0003: claimed ok, uplink ok, downlink ok`. */
export function demoLine(result: DemoResult): string {
  const checks: [string, boolean | undefined][] = [
    ['claimed', result.claimed],
    ['uplink', result.uplink],
    ['decoded', result.decoded],
    ['downlink', result.downlink],
    ['deleted', result.deleted],
  ];
  const shown = checks.flatMap(([name, ok]) =>
    ok === undefined ? [] : [`${name} ${ok ? 'ok' : 'FAILED'}`],
  );
  return `${result.devEUI}: ${shown.join(', ')}${result.problem ? ` (${result.problem})` : ''}`;
}

/**
 * The bounded demo of `--once`, from an application's point of view: a claimed device's
 * thing must report `claimed` on `lorawan/<thing>/provisioning`; every device joins and
 * sends an uplink whose plaintext must arrive on `lorawan/<thing>/uplink`; then a downlink
 * requested on `lorawan/downlink` must reach the device (in the receive window of its next
 * uplink) and decrypt to the requested bytes. Last, the thing of the last created device is
 * deleted through the IoT API: `deleted` must be reported and the device gone from TTS.
 */
export async function runDemo(stack: LocalStack, timeoutMs = 30_000): Promise<DemoResult[]> {
  const demo = await Demo.connect(stack, Date.now() + timeoutMs);
  try {
    const results: DemoResult[] = [];
    for (const [index, device] of stack.devices.entries())
      results.push(await demo.checkDevice(device, index));
    return await demo.checkDeletion(results);
  } finally {
    await demo.close();
  }
}

interface SeenMessage {
  readonly topic: string;
  readonly json: Record<string, unknown>;
}

/** One run of the demo: an application's MQTT connection and the checks made through it. */
class Demo {
  private readonly seen: SeenMessage[] = [];

  private constructor(
    private readonly stack: LocalStack,
    private readonly app: MqttClient,
    private readonly deadline: number,
  ) {
    app.on('message', (topic, payload) => {
      try {
        this.seen.push({ topic, json: JSON.parse(payload.toString('utf8')) });
      } catch {
        // not JSON: not one of ours
      }
    });
  }

  static async connect(stack: LocalStack, deadline: number): Promise<Demo> {
    const app = await connectAsync({
      ...mqttAddress(stack.broker.url),
      clientId: `local-demo-${randomBytes(4).toString('hex')}`,
      reconnectPeriod: 0,
    });
    const demo = new Demo(stack, app, deadline);
    await app.subscribeAsync(['lorawan/#'], { qos: 1 });
    return demo;
  }

  close(): Promise<void> {
    return this.app.endAsync();
  }

  /** Claim (for a claimed device), join, uplink and downlink of one device. */
  async checkDevice(device: LocalDevice, index: number): Promise<DemoResult> {
    const thing = device.devEUI;
    const claimDevice = device.claimAuthenticationCode !== undefined;
    // The Device Repository device: decoded uplinks and a desired-state downlink (with E2E).
    const formatted = thing === FORMATTER_DEMO_DEV_EUI && this.stack.options.e2e;
    const progress = { claimed: false, uplink: false, decoded: false };
    try {
      if (claimDevice) {
        await this.claimed(thing);
        progress.claimed = true;
      }
      await this.joined(thing);
      await this.uplinkArrives(thing, index);
      progress.uplink = true;
      if (formatted) progress.decoded = this.decodedArrived(thing, index);
      const delivered = formatted
        ? await this.desiredDownlinkDecrypts(thing, index)
        : await this.downlinkDecrypts(thing, index);
      return {
        devEUI: thing,
        ...(claimDevice && { claimed: progress.claimed }),
        uplink: true,
        ...(formatted && { decoded: progress.decoded }),
        downlink: delivered,
        ...(!delivered && { problem: 'the device did not receive the requested bytes' }),
      };
    } catch (error) {
      return {
        devEUI: thing,
        ...(claimDevice && { claimed: progress.claimed }),
        uplink: progress.uplink,
        ...(formatted && { decoded: progress.decoded }),
        downlink: false,
        problem: errorMessage(error),
      };
    }
  }

  /** Deletes the thing of the last created device and adds the outcome to its result. */
  async checkDeletion(results: DemoResult[]): Promise<DemoResult[]> {
    const created = this.stack.devices
      .filter((d) => d.claimAuthenticationCode === undefined)
      .at(-1);
    const index = results.findIndex((r) => r.devEUI === created?.devEUI);
    if (!created || index < 0) return results;
    const { deleted, problem } = await this.deleted(created.devEUI);
    const result = results[index]!;
    const problems = [result.problem, problem].filter((p) => p !== undefined);
    const updated = [...results];
    updated[index] = {
      ...result,
      deleted,
      ...(problems.length > 0 && { problem: problems.join('; ') }),
    };
    return updated;
  }

  /** `claimed` on the provisioning topic, or, on a resumed stack, the thing already claimed. */
  private async claimed(thing: string): Promise<void> {
    if (this.stack.api.iot.getThing(thing)?.attributes['claimed'] === 'true') return;
    await this.outcome(thing, 'claimed');
  }

  private async joined(thing: string): Promise<void> {
    const simulator = this.stack.simulator;
    await this.until(`${thing} to join`, async () => {
      if (simulator.joined(thing)) return true;
      try {
        await simulator.join(thing);
        return true;
      } catch {
        return false;
      }
    });
  }

  private async uplinkArrives(thing: string, index: number): Promise<void> {
    const payload = Buffer.from([0xde, 0x40, index & 0xff]);
    await this.stack.simulator.uplink(thing, payload);
    await this.until(`the plaintext on lorawan/${thing}/uplink`, () =>
      this.seen.some(
        (m) =>
          m.topic === `lorawan/${thing}/uplink` &&
          (m.json['uplink_message'] as Record<string, unknown>)?.['frm_payload'] ===
            payload.toString('base64'),
      ),
    );
  }

  /** Requests a downlink on `lorawan/downlink`; answers whether the device decrypted it. */
  private async downlinkDecrypts(thing: string, index: number): Promise<boolean> {
    const request = Buffer.from([0x01, index & 0xff]);
    const before = this.stack.simulator.received(thing).length;
    await this.app.publishAsync(
      'lorawan/downlink',
      JSON.stringify({ thingName: thing, bytes: request.toString('base64'), fPort: 10 }),
      { qos: 1 },
    );
    await this.until(`the downlink to be queued for ${thing}`, () =>
      this.seen.some(
        (m) =>
          m.topic === `lorawan/${thing}/downlink/queued` || m.topic.endsWith('/downlink/failed'),
      ),
    );
    const failed = this.seen.find(
      (m) =>
        m.topic === `lorawan/${thing}/downlink/failed` || m.topic === 'lorawan/downlink/failed',
    );
    if (failed)
      throw new LocalStackError(
        'downlink_failed',
        `the downlink was refused: ${JSON.stringify(failed.json['downlink_failed'] ?? failed.json)}`,
      );
    await this.stack.simulator.uplink(thing);
    const received = this.stack.simulator.received(thing).slice(before);
    return received.some((d) => Buffer.from(d.payload).equals(request) && d.fPort === 10);
  }

  /** Whether the check uplink came with the demo codec's `decoded_payload` (`{check: n}`). */
  private decodedArrived(thing: string, index: number): boolean {
    return this.seen.some((m) => {
      const uplink = m.json['uplink_message'] as Record<string, unknown> | undefined;
      const decoded = uplink?.['decoded_payload'] as Record<string, unknown> | undefined;
      return m.topic === `lorawan/${thing}/uplink` && decoded?.['check'] === (index & 0xff);
    });
  }

  /**
   * Schedules a downlink as an application writing the thing's `lorawan` shadow would:
   * `state.desired.downlink` = `{payload: {level}}`, encoded by the demo codec to `01 <level>`
   * on FPort 10. Answers whether the device decrypted it and the shadow reports it pushed.
   */
  private async desiredDownlinkDecrypts(thing: string, index: number): Promise<boolean> {
    const before = this.stack.simulator.received(thing).length;
    const reported = () =>
      this.stack.api.iotData.getState(thing, 'lorawan')?.reported?.['downlink'] as
        { readonly status?: string; readonly error?: unknown } | undefined;
    // A resumed stack's shadow still reports the last run's downlink: wait for a new report.
    const earlier = JSON.stringify(reported());
    const data = localIotDataClient(this.stack.api.url);
    try {
      await data.send(
        new UpdateThingShadowCommand({
          thingName: thing,
          shadowName: 'lorawan',
          payload: JSON.stringify({
            state: { desired: { downlink: { payload: { level: index & 0xff } } } },
          }),
        }),
      );
    } finally {
      data.destroy();
    }
    await this.until(
      `the desired downlink of ${thing} to be reported`,
      () =>
        JSON.stringify(reported()) !== earlier &&
        ['pushed', 'rejected'].includes(reported()?.status ?? ''),
    );
    if (reported()?.status !== 'pushed')
      throw new LocalStackError(
        'downlink_failed',
        `the desired downlink was refused: ${String(reported()?.error)}`,
      );
    await this.stack.simulator.uplink(thing);
    const received = this.stack.simulator.received(thing).slice(before);
    return received.some(
      (d) => Buffer.from(d.payload).equals(Buffer.from([0x01, index & 0xff])) && d.fPort === 10,
    );
  }

  /** As an operator would: the registry event makes create-device delete the TTS device. */
  private async deleted(thing: string): Promise<{ deleted: boolean; problem?: string }> {
    try {
      const before = this.stack.provisioning(thing).length;
      const iot = localIotClient(this.stack.api.url);
      try {
        await iot.send(new DeleteThingCommand({ thingName: thing }));
      } finally {
        iot.destroy();
      }
      const { deviceID = '' } = await this.outcome(thing, 'deleted', before);
      const left = registriesHolding(
        this.stack.tts.state,
        this.stack.options.applicationID,
        deviceID,
      );
      if (deviceID !== '' && left.length === 0) return { deleted: true };
      return {
        deleted: false,
        problem: `device ${deviceID || '(no ID)'} is still registered on ${left.join(', ') || 'TTS'}`,
      };
    } catch (error) {
      return { deleted: false, problem: errorMessage(error) };
    }
  }

  /** The first outcome of `status` (or `failed`) published after the `after` first ones. */
  private async outcome(
    thing: string,
    status: 'claimed' | 'deleted',
    after = 0,
  ): Promise<ProvisioningOutcome> {
    const found = () =>
      this.stack
        .provisioning(thing)
        .slice(after)
        .find((o) => o.status === status || o.status === 'failed');
    await this.until(`${status} on lorawan/${thing}/provisioning`, () => found() !== undefined);
    const result = found()!;
    if (result.status === 'failed')
      throw new LocalStackError(
        `${status === 'claimed' ? 'claim' : 'delete'}_failed`,
        `provisioning failed: ${result.error?.name}: ${result.error?.message}`,
      );
    return result;
  }

  private async until(what: string, condition: () => boolean | Promise<boolean>): Promise<void> {
    while (!(await condition())) {
      if (Date.now() > this.deadline)
        throw new LocalStackError('demo_timeout', `Timed out waiting for ${what}.`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
