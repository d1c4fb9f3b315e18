// The soak drives the local stack (an app) in its own process, as its e2e test does.
// eslint-disable-next-line @nx/enforce-module-boundaries
import type { LocalStack } from '@tts-aws-iot/local/main';
import { waitFor } from './load';
import type { TrafficProbe } from './probe';

/** One thing the restart must keep. */
export interface RestartCheck {
  readonly name: string;
  readonly ok: boolean;
  readonly detail: string;
}

export interface RestartResult {
  readonly ok: boolean;
  readonly checks: readonly RestartCheck[];
  /** Uplinks that reached the broker around the stop and were never republished. */
  readonly lostAtStop: number;
}

/** How to stop the running stack and start it again on its data directory. */
export interface RestartSteps {
  stop(): Promise<void>;
  start(): Promise<LocalStack>;
}

/** Devices that send an uplink and get a downlink after the restart. */
const SAMPLE = 20;
const DOWNLINK_SAMPLE = 3;

/** What the stack holds that must outlive a restart. */
interface Held {
  readonly things: string[];
  readonly shadows: Map<string, string>;
  readonly kek: string | undefined;
}

function held(stack: LocalStack): Held {
  const things = stack.api.iot
    .listAllThings()
    .map((thing) => thing.thingName)
    .sort();
  const shadows = new Map(
    things.map((thing) => {
      const state = stack.api.iotData.getState(thing, 'lorawan');
      return [thing, JSON.stringify([state?.version, state?.reported?.['fCntUp']])];
    }),
  );
  return {
    things,
    shadows,
    kek: stack.api.secrets.currentSecretString(`${stack.options.stackName}/kek`),
  };
}

/**
 * Restarts the stack under load and checks that the things, the shadows with their versions,
 * the KEK and the devices' sessions survived, that the uplinks in flight at the stop were
 * republished, that devices resume past their last FCnt (never reusing one), and that a
 * downlink requested after the restart decrypts on the device.
 */
export async function checkRestart(
  before: LocalStack,
  probe: TrafficProbe,
  steps: RestartSteps,
): Promise<RestartResult> {
  const devices = before.devices.map((d) => d.devEUI);
  probe.phase = 'restart';
  await steps.stop();
  // What the stopped stack held is what it saved.
  const saved = held(before);
  const stack = await steps.start();
  const now = held(stack);
  const lostAtStop = probe.lostIn('restart');
  probe.phase = 'after restart';
  const changedShadows = saved.things.filter((t) => saved.shadows.get(t) !== now.shadows.get(t));
  const lost = devices.filter((devEUI) => !stack.simulator.joined(devEUI));
  const checks: RestartCheck[] = [
    check(
      'things',
      sameList(saved.things, now.things),
      `${now.things.length}/${saved.things.length} things`,
    ),
    check(
      'shadows and versions',
      changedShadows.length === 0,
      changedShadows.length === 0
        ? `${saved.things.length} unchanged`
        : `changed: ${changedShadows.slice(0, 3).join(', ')}`,
    ),
    check(
      'KEK secret',
      saved.kek !== undefined && saved.kek === now.kek,
      saved.kek === now.kek ? 'the same ring' : 'another (or no) KEK',
    ),
    check(
      'device sessions',
      lost.length === 0,
      lost.length === 0 ? `${devices.length} still joined` : `${lost.length} lost their session`,
    ),
    check('uplinks in flight at the stop, republished', lostAtStop === 0, `${lostAtStop} lost`),
    await resumedTraffic(stack, probe, devices.slice(0, SAMPLE)),
    await downlinkAfterRestart(stack, devices.slice(0, DOWNLINK_SAMPLE)),
  ];
  return { ok: checks.every((c) => c.ok), checks, lostAtStop };
}

/** A sample of devices sends one uplink each; each must be republished past its last FCnt, none reusing one. */
async function resumedTraffic(
  stack: LocalStack,
  probe: TrafficProbe,
  sample: readonly string[],
): Promise<RestartCheck> {
  const last = probe.lastFCnts();
  const reusedBefore = probe.counts().fCntUpReused;
  for (const devEUI of sample) await stack.simulator.uplink(devEUI).catch(() => undefined);
  await waitFor(() => probe.outstanding === 0, 20_000);
  const next = probe.lastFCnts();
  const resumed = sample.filter((d) => (next.get(d) ?? -1) > (last.get(d) ?? -1));
  const reused = probe.counts().fCntUpReused - reusedBefore;
  const ok = resumed.length === sample.length && reused === 0 && probe.outstanding === 0;
  return check(
    'traffic resumes past the last FCnt',
    ok,
    `${resumed.length}/${sample.length} devices, ${reused} FCnts reused, ${probe.outstanding} not republished`,
  );
}

/** A downlink requested after the restart must reach the device and decrypt to its bytes. */
async function downlinkAfterRestart(
  stack: LocalStack,
  sample: readonly string[],
): Promise<RestartCheck> {
  const bytes = (i: number) => Buffer.from([0xae, 0x57, i]);
  for (const [i, thingName] of sample.entries())
    await stack.broker.publish(
      'lorawan/downlink',
      JSON.stringify({ thingName, bytes: bytes(i).toString('base64'), fPort: 11 }),
      { qos: 1 },
    );
  const delivered = (i: number, thing: string) =>
    stack.simulator.received(thing).some((d) => Buffer.from(d.payload).equals(bytes(i)));
  for (let round = 0; round < 10 && !sample.every((t, i) => delivered(i, t)); round++) {
    await new Promise((resolve) => setTimeout(resolve, 500));
    for (const [i, thing] of sample.entries())
      if (!delivered(i, thing)) await stack.simulator.uplink(thing).catch(() => undefined);
  }
  const count = sample.filter((t, i) => delivered(i, t)).length;
  return check(
    'a downlink after the restart decrypts on the device',
    count === sample.length,
    `${count}/${sample.length} devices`,
  );
}

function check(name: string, ok: boolean, detail: string): RestartCheck {
  return { name, ok, detail };
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((item, i) => item === b[i]);
}
