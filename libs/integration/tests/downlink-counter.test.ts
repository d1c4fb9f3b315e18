import { reserveDownlinkFCnt } from '../src/downlink-counter';
import { ShadowVersionConflictError } from '../src/errors';
import { InMemoryShadowStore } from '../src/in-memory';

const session = {
  devAddr: '260B1A2F',
  sessionID: 'AYpZ',
  appSKeyEnvelope: { encryptedKey: 'H6aLCoEStEeu80vY+1p7gp0+hiNx0s/l', kekLabel: 'kek-1' },
  fCntDown: 0,
  lastAFCntDown: 0,
};

async function storeWith(reported: Record<string, unknown>): Promise<InMemoryShadowStore> {
  const store = new InMemoryShadowStore();
  await store.updateShadow('T', 'lorawan', { reported });
  return store;
}

// Yields to the event loop, so that concurrent reservations really interleave.
const options = {
  delay: () => new Promise<void>((resolve) => setImmediate(resolve)),
  random: Math.random,
};

describe('reserveDownlinkFCnt', () => {
  it('reserves one past the last counter in use and writes it at the version it read', async () => {
    const store = await storeWith({ ...session, fCntDown: 4, lastAFCntDown: 6 });
    const reservation = await reserveDownlinkFCnt(store, 'T', options);
    expect(reservation.fCnt).toBe(7);
    expect(store.reported('T', 'lorawan')?.['fCntDown']).toBe(7);
    expect(store.calls[2]?.args[2]).toEqual({ reported: { fCntDown: 7 }, version: 1 });
  });

  it('gives concurrent reservations distinct consecutive counters', async () => {
    const store = await storeWith(session);
    const counters = await Promise.all(
      Array.from({ length: 50 }, () =>
        reserveDownlinkFCnt(store, 'T', { ...options, maxAttempts: 1000 }),
      ),
    );
    expect(counters.map((r) => r.fCnt).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 50 }, (_, i) => i + 1),
    );
  });

  it('honours the network’s minimum', async () => {
    const store = await storeWith(session);
    expect((await reserveDownlinkFCnt(store, 'T', { ...options, minFCnt: 30 })).fCnt).toBe(30);
  });

  it('refuses when the session changed since the downlink was encrypted', async () => {
    const store = await storeWith(session);
    await expect(
      reserveDownlinkFCnt(store, 'T', { ...options, sessionID: 'OLD=' }),
    ).rejects.toMatchObject({ code: 'session_changed' });
  });

  it('hands back what prepare made, and leaves the shadow alone when prepare throws', async () => {
    const store = await storeWith(session);
    await expect(
      reserveDownlinkFCnt(store, 'T', options, async (read) => read.devAddr),
    ).resolves.toMatchObject({ fCnt: 1, prepared: '260B1A2F' });
    const version = store.shadows.get('T/lorawan')?.version;
    await expect(
      reserveDownlinkFCnt(store, 'T', options, async () => {
        throw new Error('key unusable');
      }),
    ).rejects.toThrow('key unusable');
    expect(store.shadows.get('T/lorawan')?.version).toBe(version);
  });

  it('gives up with a retryable error after the bounded attempts', async () => {
    const store = await storeWith(session);
    store.updateShadow = async () => {
      throw new ShadowVersionConflictError('T');
    };
    const delays: number[] = [];
    const error = await reserveDownlinkFCnt(store, 'T', {
      delay: async (ms) => void delays.push(ms),
      random: () => 0.5,
      maxAttempts: 5,
    }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'f_cnt_reservation_contended', retryable: true });
    expect(delays).toHaveLength(4);
    expect(delays[1]!).toBeGreaterThan(delays[0]!);
  });
});

describe('InMemoryShadowStore', () => {
  it('merges as AWS IoT does: objects per path, null deletes, arrays replaced', async () => {
    const store = new InMemoryShadowStore();
    await store.updateShadow('T', 'lorawan', {
      reported: { a: { x: 1, y: 2 }, list: [1, 2], gone: true },
    });
    await store.updateShadow('T', 'lorawan', { reported: { a: { y: 3 }, list: [9], gone: null } });
    expect(store.reported('T', 'lorawan')).toEqual({ a: { x: 1, y: 3 }, list: [9] });
    expect(store.shadows.get('T/lorawan')?.version).toBe(2);
  });
});
