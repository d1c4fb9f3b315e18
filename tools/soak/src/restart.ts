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
 * Restarts the stack (`restart` stops it and starts it again on the same data directory) and
 * checks that the things, the shadows with their versions, the KEK and the devices' sessions
 * survived, that devices resume at their next FCnt, and that a downlink requested after the
 * restart decrypts on the device.
 */
export async function checkRestart(
  before: LocalStack,
  restart: () => Promise<LocalStack>,
  probe: TrafficProbe,
): Promise<RestartResult> {
  const saved = held(before);
  const devices = before.devices.map((d) => d.devEUI);
  const stack = await restart();
  const now = held(stack);
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
    await resumedTraffic(stack, probe, devices.slice(0, SAMPLE)),
    await downlinkAfterRestart(stack, devices.slice(0, DOWNLINK_SAMPLE)),
  ];
  return { ok: checks.every((c) => c.ok), checks };
}

/** A sample of devices sends one uplink each; each must be republished at the FCnt after its last. */
async function resumedTraffic(
  stack: LocalStack,
  probe: TrafficProbe,
  sample: readonly string[],
): Promise<RestartCheck> {
  const last = probe.lastFCnts();
  for (const devEUI of sample) await stack.simulator.uplink(devEUI).catch(() => undefined);
  await waitFor(() => probe.outstanding === 0, 20_000);
  const next = probe.lastFCnts();
  const resumed = sample.filter((d) => next.get(d) === (last.get(d) ?? -1) + 1);
  const ok = resumed.length === sample.length && probe.outstanding === 0;
  return check(
    'traffic resumes at the next FCnt',
    ok,
    `${resumed.length}/${sample.length} devices, ${probe.outstanding} uplinks not republished`,
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
