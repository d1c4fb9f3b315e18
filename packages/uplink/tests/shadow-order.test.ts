import { type MessagePublisher, type ShadowStore } from '@tts-aws-iot/integration';
import {
  reserveDownlinkFCnt,
  trafficDependencies,
  type TrafficDependencies,
} from '@tts-aws-iot/integration/traffic';
import {
  InMemorySecretReader,
  InMemoryShadowStore,
  InMemoryThingRegistry,
} from '@tts-aws-iot/integration/testing';
import { wrapKey } from '@tts-aws-iot/keywrap';

import { MAX_REPORT_ATTEMPTS } from '../src/shadow-report';
import { handleUplink } from '../src/uplink';
import {
  config,
  DEV_ADDR,
  DEV_EUI,
  e2eUplink,
  joinAccept,
  KEK_HEX,
  KEK_RING_SECRET,
  plainUplinkAt,
  SESSION_KEY_ID,
  setup,
} from './fixtures';

/** TTS's received_at of a device's uplink `fCnt` (one a second from 12:00). */
const receivedAt = (fCnt: number) =>
  new Date(Date.UTC(2024, 4, 1, 12, 0, fCnt % 3600)).toISOString().replace('.000Z', '.123456789Z');

/** An E2E uplink of the test session, received at `receivedAt(fCnt)`. */
const uplink = (fCnt: number) => ({
  ...e2eUplink(Uint8Array.of(fCnt & 0xff), fCnt),
  received_at: receivedAt(fCnt),
});

/** A deterministic [0, 1) sequence (a linear congruential generator). */
function seeded(seed: number): () => number {
  let state = seed;
  return () => (state = (state * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
}

/** A shadow store over `store` whose every call waits a few event-loop turns first. */
function jittered(store: ShadowStore, random: () => number): ShadowStore {
  const turns = async () => {
    for (let i = Math.floor(random() * 6); i > 0; i--) await new Promise(setImmediate);
  };
  return {
    getShadow: async (...args) => (await turns(), store.getShadow(...args)),
    updateShadow: async (...args) => (await turns(), store.updateShadow(...args)),
  };
}

/** `count` execution environments of HandleUplink over one account (one shadow store). */
function containers(count: number, random = seeded(7)) {
  const registry = new InMemoryThingRegistry();
  const store = new InMemoryShadowStore();
  const published: string[] = [];
  const publisher: MessagePublisher = {
    publish: async (topic) => void published.push(topic),
  };
  const secrets = new InMemorySecretReader(new Map([[config.kekSecretID!, KEK_RING_SECRET]]));
  const metrics: Record<string, number> = {};
  const all: TrafficDependencies[] = Array.from({ length: count }, () =>
    trafficDependencies(
      config,
      { registry, shadows: jittered(store, random), publisher, secrets },
      {
        log: { debug: () => undefined, info: () => undefined, warn: () => undefined },
        counters: { count: (name, n = 1) => void (metrics[name] = (metrics[name] ?? 0) + n) },
        delay: async () => undefined,
        random,
      },
    ),
  );
  return { all, store, registry, published, metrics };
}

const reported = (store: InMemoryShadowStore) => store.reported(DEV_EUI, 'lorawan') ?? {};

describe('the shadow never goes back: a retried uplink in the same container', () => {
  it('leaves out the older report, without a shadow call, and still republishes it', async () => {
    const world = setup();
    for (const fCnt of [70_006, 70_007, 70_008, 70_009])
      await handleUplink(uplink(fCnt), world.deps);
    const newest = reported(world.shadows);
    const calls = world.shadows.calls.length;

    await handleUplink({ ...uplink(70_006), received_at: receivedAt(70_006) }, world.deps);

    expect(world.shadows.calls).toHaveLength(calls);
    expect(reported(world.shadows)).toEqual(newest);
    expect(newest).toMatchObject({ fCntUp: 70_009, lastSeen: receivedAt(70_009) });
    expect(world.publisher.messages.filter((m) => m.topic.endsWith('/uplink'))).toHaveLength(5);
    expect(world.metrics['StaleShadowReports']).toBe(1);
  });

  it('leaves out the very same uplink handled again (same FCnt, same received_at)', async () => {
    const world = setup({ e2eEnabled: false, kekSecretID: undefined });
    await handleUplink(plainUplinkAt(12), world.deps);
    const calls = world.shadows.calls.length;
    await handleUplink(plainUplinkAt(12), world.deps);
    expect(world.shadows.calls).toHaveLength(calls);
    expect(world.metrics['StaleShadowReports']).toBe(1);
  });

  it('takes a lower FCnt in the same session received more than 15 minutes later: the device reset its counter', async () => {
    const world = setup({ e2eEnabled: false, kekSecretID: undefined });
    await handleUplink(plainUplinkAt(40, '2024-05-01T12:00:00Z'), world.deps);
    await handleUplink(plainUplinkAt(2, '2024-05-01T12:10:00Z'), world.deps);
    expect(reported(world.shadows)['fCntUp']).toBe(40);
    await handleUplink(plainUplinkAt(3, '2024-05-01T12:20:00Z'), world.deps);
    expect(reported(world.shadows)['fCntUp']).toBe(3);
  });
});

describe('the shadow never goes back: two containers handling one device', () => {
  it('ends with the newest FCnt, whatever the order the containers write in', async () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const random = seeded(seed);
      const { all, store, published } = containers(2, random);
      const [a, b] = all as [TrafficDependencies, TrafficDependencies];
      await handleUplink(uplink(70_000), a);
      await handleUplink(uplink(70_000), b);
      // 40 uplinks, two at a time, each pair split over the containers in a random order.
      for (let fCnt = 70_001; fCnt <= 70_040; fCnt += 2) {
        const [first, second] = random() < 0.5 ? [a, b] : [b, a];
        await Promise.all([
          handleUplink(uplink(fCnt), first),
          handleUplink(uplink(fCnt + 1), second),
        ]);
      }
      // Late retries of older uplinks, into either container.
      await Promise.all([handleUplink(uplink(70_017), a), handleUplink(uplink(70_031), b)]);
      expect(reported(store)).toMatchObject({ fCntUp: 70_040, lastSeen: receivedAt(70_040) });
      expect(published).toHaveLength(44);
    }
  });

  it('drops an older report after a conflict: the other container wrote a newer one', async () => {
    const { all, store, metrics } = containers(2);
    const [a, b] = all as [TrafficDependencies, TrafficDependencies];
    await handleUplink(uplink(70_001), a);
    await handleUplink(uplink(70_003), b);
    store.calls.length = 0;
    await handleUplink(uplink(70_002), a);
    expect(store.calls.map((call) => call.method)).toEqual(['updateShadow', 'getShadow']);
    expect(store.calls[0]?.args[2]).toHaveProperty('version');
    expect(reported(store)['fCntUp']).toBe(70_003);
    expect(metrics['StaleShadowReports']).toBe(1);
    // A knows the version now: its next uplink is one conditional write again.
    store.calls.length = 0;
    await handleUplink(uplink(70_004), a);
    expect(store.calls.map((call) => call.method)).toEqual(['updateShadow']);
    expect(reported(store)['fCntUp']).toBe(70_004);
  });

  it('never loses or lowers a downlink counter reserved between the uplinks', async () => {
    const { all, store } = containers(2, seeded(11));
    const [a, b] = all as [TrafficDependencies, TrafficDependencies];
    await handleUplink(uplink(70_000), a);
    const reserved: number[] = [];
    const reserve = (id: number) =>
      reserveDownlinkFCnt(a.shadows, DEV_EUI, {
        delay: async () => undefined,
        random: Math.random,
        downlinkID: `dl-${id}`,
        now: () => Date.UTC(2024, 4, 1, 12),
      }).then((r) => void reserved.push(r.fCnt));
    const work: Promise<unknown>[] = [];
    for (let i = 1; i <= 20; i++) {
      work.push(handleUplink(uplink(70_000 + i), i % 2 ? a : b), reserve(i));
    }
    await Promise.all(work);
    const shadow = reported(store);
    expect(new Set(reserved).size).toBe(20);
    expect(shadow['fCntDown']).toBe(Math.max(...reserved));
    expect((shadow['recentDownlinks'] as { id: string }[]).map((d) => d.id).sort()).toEqual(
      Array.from({ length: 20 }, (_, i) => `dl-${i + 1}`).sort(),
    );
    expect(shadow['fCntUp']).toBe(70_020);
  });

  it('gives up after a bounded number of conflicts with a retryable error', async () => {
    const world = setup();
    await handleUplink(uplink(70_000), world.deps);
    world.shadows.calls.length = 0;
    const update = world.shadows.updateShadow.bind(world.shadows);
    // Another writer moves the shadow on before each of this container's writes.
    world.shadows.updateShadow = async (thing, name, change) => {
      await update(thing, name, { reported: { location: { latitude: 1 } } });
      return update(thing, name, change);
    };
    await expect(handleUplink(uplink(70_001), world.deps)).rejects.toMatchObject({
      code: 'shadow_report_contended',
      retryable: true,
    });
    // The first attempt at the version known, each further one after a read.
    expect(world.shadows.calls.filter((c) => c.method === 'getShadow')).toHaveLength(
      MAX_REPORT_ATTEMPTS - 1,
    );
    expect(reported(world.shadows)['fCntUp']).toBe(70_000);
  });
});

describe('the shadow never goes back: sessions', () => {
  const newKeyHex = '0F1E2D3C4B5A69788796A5B4C3D2E1F0';
  const rejoin = (at: string) => ({
    ...joinAccept({
      encrypted_key: Buffer.from(
        wrapKey(Buffer.from(KEK_HEX, 'hex'), Buffer.from(newKeyHex, 'hex')),
      ).toString('base64'),
      kek_label: 'kek-2',
    }),
    end_device_ids: { ...joinAccept().end_device_ids, dev_addr: '260C0001' },
    received_at: at,
    join_accept: {
      ...joinAccept().join_accept,
      session_key_id: 'UzItbmV3LXNlc3Npb24=',
      app_s_key: {
        encrypted_key: Buffer.from(
          wrapKey(Buffer.from(KEK_HEX, 'hex'), Buffer.from(newKeyHex, 'hex')),
        ).toString('base64'),
        kek_label: 'kek-2',
      },
    },
  });

  it('keeps the new session when an uplink of the earlier one, received before the join, comes after it', async () => {
    const world = setup();
    await handleUplink(uplink(70_001), world.deps);
    await handleUplink(rejoin(receivedAt(70_010)), world.deps);
    const afterJoin = reported(world.shadows);
    await handleUplink(uplink(70_002), world.deps); // received at 12:00:02, before the join
    expect(reported(world.shadows)).toEqual(afterJoin);
    expect(afterJoin).toMatchObject({
      sessionID: 'UzItbmV3LXNlc3Npb24=',
      devAddr: '260C0001',
      fCntUp: 0,
      fCntDownSession: 'UzItbmV3LXNlc3Npb24=',
      earlierSessions: [expect.objectContaining({ sessionID: SESSION_KEY_ID, devAddr: DEV_ADDR })],
    });
    expect(world.metrics['StaleShadowReports']).toBe(1);
    // Also from another container, which reads the shadow to judge.
    const other = trafficDependencies(
      config,
      {
        registry: world.registry,
        shadows: world.shadows,
        publisher: world.publisher,
        secrets: new InMemorySecretReader(new Map([[config.kekSecretID!, KEK_RING_SECRET]])),
      },
      {
        log: world.deps.log,
        counters: world.deps.counters,
        delay: world.deps.delay,
        random: Math.random,
      },
    );
    await handleUplink(uplink(70_003), other);
    expect(reported(world.shadows)).toEqual(afterJoin);
  });

  it('takes an uplink of the earlier session received after the join: the device kept its session', async () => {
    const world = setup();
    await handleUplink(uplink(70_001), world.deps);
    await handleUplink(rejoin(receivedAt(70_010)), world.deps);
    await handleUplink(uplink(70_011), world.deps);
    expect(reported(world.shadows)).toMatchObject({ sessionID: SESSION_KEY_ID, fCntUp: 70_011 });
  });

  it('takes the first uplink after a join at FCnt 0, and leaves out the join handled again after it', async () => {
    const world = setup({ e2eEnabled: false, kekSecretID: undefined });
    await handleUplink({ ...joinAccept(), received_at: '2024-05-01T11:59:00Z' }, world.deps);
    await handleUplink(plainUplinkAt(0, '2024-05-01T11:59:10Z'), world.deps);
    expect(reported(world.shadows)).toMatchObject({ fCntUp: 0, lastSeen: '2024-05-01T11:59:10Z' });
    await handleUplink(plainUplinkAt(1, '2024-05-01T11:59:20Z'), world.deps);
    await handleUplink({ ...joinAccept(), received_at: '2024-05-01T11:59:00Z' }, world.deps);
    expect(reported(world.shadows)).toMatchObject({ fCntUp: 1, lastSeen: '2024-05-01T11:59:20Z' });
  });
});

describe('the shadow never goes back: AWS calls per uplink', () => {
  it('costs one UpdateThingShadow (at the version the last one returned) and one Publish per steady-state uplink', async () => {
    const world = setup();
    await handleUplink(uplink(70_000), world.deps);
    world.shadows.calls.length = 0;
    const published = world.publisher.messages.length;
    for (let fCnt = 70_001; fCnt <= 70_100; fCnt++) await handleUplink(uplink(fCnt), world.deps);
    const methods = world.shadows.calls.map((call) => call.method);
    expect(methods.filter((m) => m === 'getShadow')).toHaveLength(0);
    expect(methods.filter((m) => m === 'updateShadow')).toHaveLength(100);
    expect(world.publisher.messages.length - published).toBe(100);
    expect(
      world.shadows.calls.every(
        (call) => typeof (call.args[2] as { version?: number }).version === 'number',
      ),
    ).toBe(true);
  });
});
