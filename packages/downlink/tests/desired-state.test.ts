/**
 * Desired-state downlinks: a downlink request in `state.desired.downlink` of the `lorawan`
 * shadow is pushed once, then cleared and reported, however often the delta arrives.
 */
import { handleDesiredDownlink, isDesiredDownlinkEvent } from '../src/desired-state';
import { OTHER_STACKS_THING, setup, THING } from './fixtures';

const PUSH_TOPIC = 'thethings/lorawan/tts-stack/downlink/push';
const NOW = Date.parse('2024-05-01T12:00:00Z');
type Push = { downlinks: { f_port: number; f_cnt?: number; confirmed: boolean }[] };

async function withDesired(downlink: Record<string, unknown>, thingName = THING) {
  const world = await setup();
  const deps = { ...world.deps, now: () => NOW };
  await world.shadows.updateShadow(thingName, 'lorawan', { reported: {}, desired: { downlink } });
  world.shadows.calls.length = 0;
  const shadow = () => world.shadows.shadows.get(`${thingName}/lorawan`)!;
  return { ...world, deps, shadow, event: { thingName, shadowVersion: shadow().version } };
}

describe('isDesiredDownlinkEvent', () => {
  it("tells the desired-state rule's events from downlink requests", () => {
    expect(isDesiredDownlinkEvent({ thingName: THING, shadowVersion: 3 })).toBe(true);
    expect(isDesiredDownlinkEvent({ thingName: THING, bytes: 'AQI=' })).toBe(false);
    expect(isDesiredDownlinkEvent('{"thingName":"x"}')).toBe(false);
  });
});

describe('handleDesiredDownlink', () => {
  it('pushes the desired downlink, clears it and reports request ID, status, f_cnt and time', async () => {
    const world = await withDesired({ bytes: 'AQI=', fPort: 8, confirmed: true });
    const outcome = await handleDesiredDownlink(world.event, world.deps, 'req-1');
    expect(outcome).toMatchObject({ status: 'done' });
    const [push] = world.publisher.on(PUSH_TOPIC) as Push[];
    expect(push?.downlinks[0]).toMatchObject({ f_port: 8, f_cnt: 5, confirmed: true });
    expect(world.shadow().desired).toEqual({});
    expect(world.shadow().reported['downlink']).toEqual({
      requestID: 'req-1',
      status: 'pushed',
      fCnt: 5,
      time: '2024-05-01T12:00:00.000Z',
      digest: expect.any(String),
      claimedBy: 'req-1',
    });
    // Its own writes: the claim (reported only) and the report that clears the desired entry.
    const writes = world.shadows.calls.filter((call) => call.method === 'updateShadow');
    const desiredWrites = writes.map((call) => (call.args[2] as { desired?: unknown }).desired);
    expect(desiredWrites.filter((desired) => desired !== undefined)).toEqual([{ downlink: null }]);
  });

  it('pushes nothing for a delta that arrives again after the downlink was handled', async () => {
    const world = await withDesired({ bytes: 'AQI=' });
    await handleDesiredDownlink(world.event, world.deps, 'req-1');
    await expect(handleDesiredDownlink(world.event, world.deps, 'req-1')).resolves.toEqual({
      status: 'none',
      reason: 'no desired downlink (handled already)',
    });
    await expect(handleDesiredDownlink(world.event, world.deps, 'req-2')).resolves.toMatchObject({
      status: 'none',
    });
    expect(world.publisher.on(PUSH_TOPIC)).toHaveLength(1);
  });

  it('pushes once when two invocations handle the same delta at the same time', async () => {
    const world = await withDesired({ bytes: 'AQI=' });
    const outcomes = await Promise.all([
      handleDesiredDownlink(world.event, world.deps, 'req-1'),
      handleDesiredDownlink(world.event, world.deps, 'req-2'),
    ]);
    expect(world.publisher.on(PUSH_TOPIC)).toHaveLength(1);
    expect(outcomes.map((outcome) => outcome.status).sort()).toEqual(['claimed-elsewhere', 'done']);
  });

  it('resumes its own claim when Lambda retries the invocation, at the counter reserved before', async () => {
    const world = await withDesired({ bytes: 'AQI=' });
    const update = world.shadows.updateShadow.bind(world.shadows);
    let failed = false;
    world.shadows.updateShadow = async (name, shadow, change) => {
      // The report after the push fails once (say, throttled): the invocation is retried.
      if (change.desired && !failed) {
        failed = true;
        throw new Error('throttled');
      }
      return update(name, shadow, change);
    };
    await expect(handleDesiredDownlink(world.event, world.deps, 'req-1')).rejects.toThrow(
      'throttled',
    );
    await handleDesiredDownlink(world.event, world.deps, 'req-1');
    const pushes = world.publisher.on(PUSH_TOPIC) as Push[];
    expect(pushes.map((push) => push.downlinks[0]?.f_cnt)).toEqual([5, 5]);
    expect(world.shadow().reported['downlink']).toMatchObject({ status: 'pushed', fCnt: 5 });
  });

  it("does not push an application's request ID again once it is handled", async () => {
    const world = await withDesired({ bytes: 'AQI=', requestID: 'app-42' });
    await handleDesiredDownlink(world.event, world.deps, 'req-1');
    expect(world.shadow().reported['downlink']).toMatchObject({ requestID: 'app-42' });
    await world.shadows.updateShadow(THING, 'lorawan', {
      reported: {},
      desired: { downlink: { bytes: 'AQI=', requestID: 'app-42' } },
    });
    await handleDesiredDownlink(world.event, world.deps, 'req-2');
    expect(world.publisher.on(PUSH_TOPIC)).toHaveLength(1);
    expect(world.shadow().desired).toEqual({});
  });

  it('takes a reported downlink that is not one of its reports for no report, and pushes', async () => {
    const world = await withDesired({ bytes: 'AQI=', requestID: 'app-42' });
    // Written by someone else who may update the shadow: not a status the integration writes.
    await world.shadows.updateShadow(THING, 'lorawan', {
      reported: {
        downlink: { requestID: 'app-42', status: 'done', time: 'x', digest: 'y', claimedBy: 'z' },
      },
    });
    await expect(handleDesiredDownlink(world.event, world.deps, 'req-1')).resolves.toMatchObject({
      status: 'done',
    });
    expect(world.publisher.on(PUSH_TOPIC)).toHaveLength(1);
    expect(world.shadow().reported['downlink']).toMatchObject({
      requestID: 'app-42',
      status: 'pushed',
    });
  });

  it('answers a malformed desired request on downlink/failed, reports it rejected and clears it', async () => {
    const world = await withDesired({ bytes: 'AQI=', fPort: 0 });
    await handleDesiredDownlink(world.event, world.deps, 'req-1');
    expect(world.publisher.on(`lorawan/${THING}/downlink/failed`)).toEqual([
      expect.objectContaining({
        downlink_failed: expect.objectContaining({
          error: expect.objectContaining({ name: 'invalid_f_port' }),
        }),
      }),
    ]);
    expect(world.shadow().reported['downlink']).toMatchObject({
      status: 'rejected',
      error: 'invalid_f_port',
    });
    expect(world.shadow().desired).toEqual({});
  });

  it.each([5, 'AQI=', [1, 2], true])(
    'clears a desired downlink %j that is not a request object, so that it raises no delta on every later shadow write',
    async (value) => {
      const world = await setup();
      await world.shadows.updateShadow(THING, 'lorawan', {
        reported: {},
        desired: { downlink: value },
      });
      const shadow = () => world.shadows.shadows.get(`${THING}/lorawan`)!;
      const event = { thingName: THING, shadowVersion: shadow().version };
      await expect(handleDesiredDownlink(event, world.deps, 'req-1')).resolves.toEqual({
        status: 'none',
        reason: 'the desired downlink is not a request object: cleared',
      });
      expect(shadow().desired ?? {}).toEqual({});
      expect(world.publisher.on(PUSH_TOPIC)).toEqual([]);
    },
  );

  it('leaves the shadow of another stack’s thing alone', async () => {
    const world = await withDesired({ bytes: 'AQI=' }, OTHER_STACKS_THING);
    await expect(handleDesiredDownlink(world.event, world.deps, 'req-1')).resolves.toEqual({
      status: 'none',
      reason: 'the thing belongs to stack other',
    });
    expect(world.shadows.calls.filter((call) => call.method === 'updateShadow')).toEqual([]);
    expect(world.publisher.messages).toEqual([]);
  });

  it('takes over a claim whose invocation gave up, after 15 minutes', async () => {
    const world = await withDesired({ bytes: 'AQI=' });
    const publish = world.publisher.publish.bind(world.publisher);
    world.publisher.publish = async () => {
      throw new Error('IoT unreachable');
    };
    await expect(handleDesiredDownlink(world.event, world.deps, 'req-0')).rejects.toThrow();
    world.publisher.publish = publish;
    expect(world.shadow().reported['downlink']).toMatchObject({ status: 'pending' });
    await expect(handleDesiredDownlink(world.event, world.deps, 'req-1')).resolves.toEqual({
      status: 'claimed-elsewhere',
      requestID: 'req-0',
    });
    const later = { ...world.deps, now: () => NOW + 15 * 60 * 1000 };
    await handleDesiredDownlink(world.event, later, 'req-1');
    expect(world.publisher.on(PUSH_TOPIC)).toHaveLength(1);
    expect(world.shadow().reported['downlink']).toMatchObject({
      requestID: 'req-1',
      status: 'pushed',
    });
  });
});
