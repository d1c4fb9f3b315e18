import {
  KnownSessions,
  RepushRefusedError,
  reserveDownlinkFCnt,
  writeSessionReport,
} from '../../../src/traffic/downlink-session/reservation';
import { ShadowVersionConflictError } from '../../../src/errors';
import { InMemoryShadowStore } from '../../../src/testing/in-memory';
import {
  MAX_RECENT_DOWNLINKS,
  RESERVATION_RETENTION_SECONDS,
} from '../../../src/traffic/downlink-session/counters';
import { joinAcceptReport, uplinkReport } from '../../../src/traffic/shadow-state';

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
    expect(store.calls[2]?.args[2]).toEqual({
      reported: { fCntDown: 7, fCntDownSession: 'AYpZ', recentDownlinks: [] },
      version: 1,
    });
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

  describe('across sessions, with events handled late or twice', () => {
    const newSession = {
      devAddr: '260B1A30',
      sessionID: 'bmV3LXNlc3Npb24=',
      appSKeyEnvelope: { encryptedKey: 'AAECAwQFBgcICQoLDA0ODxAREhMUFRYX', kekLabel: 'kek-1' },
    };
    const reserve = async (store: InMemoryShadowStore, downlinkID?: string) =>
      (await reserveDownlinkFCnt(store, 'T', { ...options, downlinkID })).fCnt;
    const report = (store: InMemoryShadowStore, reported: Record<string, unknown>) =>
      store.updateShadow('T', 'lorawan', { reported });
    const uplinkOf = (s: typeof session | typeof newSession, lastAFCntDown?: number) =>
      uplinkReport({
        metrics: false,
        receivedAt: undefined,
        devAddr: s.devAddr,
        sessionID: s.sessionID,
        fCnt: 1,
        rxMetadata: [],
        lastAFCntDown,
        appSKeyEnvelope: s.appSKeyEnvelope,
      });
    const joinOf = (s: typeof session | typeof newSession) =>
      joinAcceptReport({
        metrics: false,
        receivedAt: undefined,
        devAddr: s.devAddr,
        sessionID: s.sessionID,
        appSKeyEnvelope: s.appSKeyEnvelope,
      });

    it('never takes a session back to a counter it used when its join-accept is handled again', async () => {
      const store = await storeWith(session);
      for (let i = 0; i < 3; i++) await reserve(store);
      await report(store, joinOf(session)); // a retried or duplicated join-accept event
      expect(await reserve(store)).toBe(4);
    });

    it('restarts at 1 for a new session, also when only its uplinks were seen', async () => {
      const store = await storeWith({ ...session, fCntDown: 70_000, fCntDownSession: 'AYpZ' });
      await report(store, uplinkOf(newSession)); // TTS omits last_a_f_cnt_down 0
      expect(await reserve(store)).toBe(1);
    });

    it('continues an older session after its last counter when a late uplink of it arrives', async () => {
      const store = await storeWith(session);
      for (let i = 0; i < 5; i++) await reserve(store);
      await report(store, joinOf(newSession));
      expect(await reserve(store)).toBe(1);
      await report(store, uplinkOf(session, 2)); // a retried uplink of the old session
      expect(await reserve(store)).toBe(6);
      await report(store, uplinkOf(newSession, 0));
      expect(await reserve(store)).toBe(2);
    });

    it('gives a retried downlink the counter reserved for it before, without writing', async () => {
      const store = await storeWith(session);
      expect(await reserve(store, 'request-1')).toBe(1);
      expect(await reserve(store, 'request-2')).toBe(2);
      const writes = store.calls.filter((call) => call.method === 'updateShadow').length;
      const again = await reserveDownlinkFCnt(store, 'T', { ...options, downlinkID: 'request-1' });
      expect(again).toMatchObject({ fCnt: 1, repeated: true });
      expect(store.calls.filter((call) => call.method === 'updateShadow')).toHaveLength(writes);
      expect(await reserve(store, 'request-3')).toBe(3);
    });

    it('gives a retried downlink its counter however many downlinks came in between, within the retry window', async () => {
      const store = await storeWith(session);
      let now = 1_700_000_000_000;
      const at = (downlinkID: string) =>
        reserveDownlinkFCnt(store, 'T', { ...options, downlinkID, now: () => now });
      expect((await at('first')).fCnt).toBe(1);
      // Many more than the 8 reservations kept before.
      for (let i = 0; i < 50; i++) {
        now += 1000;
        await at(`later-${i}`);
      }
      now += (RESERVATION_RETENTION_SECONDS - 60) * 1000;
      expect(await at('first')).toMatchObject({ fCnt: 1, repeated: true });
    });

    it('refuses a new downlink, changing nothing, rather than forget a reservation still in its retry window', async () => {
      const store = await storeWith(session);
      let now = 1_700_000_000_000;
      const at = (downlinkID: string) =>
        reserveDownlinkFCnt(store, 'T', { ...options, downlinkID, now: () => now });
      for (let i = 0; i < MAX_RECENT_DOWNLINKS; i++) await at(`d-${i}`);
      const before = store.reported('T', 'lorawan');
      await expect(at('one-too-many')).rejects.toMatchObject({
        code: 'too_many_downlinks',
        retryable: false,
      });
      expect(store.reported('T', 'lorawan')).toEqual(before);
      expect(await at('d-0')).toMatchObject({ fCnt: 1, repeated: true });
      // Once the window has passed, the old reservations go and new downlinks are taken again.
      now += RESERVATION_RETENTION_SECONDS * 1000;
      expect(await at('one-more')).toMatchObject({ fCnt: MAX_RECENT_DOWNLINKS + 1 });
      expect(store.reported('T', 'lorawan')?.['recentDownlinks']).toHaveLength(1);
    });

    it('gives a downlink retried after a rejoin a counter of the new session', async () => {
      const store = await storeWith(session);
      await reserve(store, 'request-1');
      await report(store, joinOf(newSession));
      const again = await reserveDownlinkFCnt(store, 'T', { ...options, downlinkID: 'request-1' });
      expect(again).toMatchObject({ fCnt: 1, repeated: false });
      expect(again.session.sessionID).toBe(newSession.sessionID);
    });
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

describe('reserveDownlinkFCnt: re-pushes only of recorded pushes', () => {
  const fingerprint = () => 'c2hhLW9mLXB1c2g=';
  const recorded = async () => {
    const store = await storeWith(session);
    await reserveDownlinkFCnt(
      store,
      'T',
      { ...options, downlinkID: 'd-1', now: () => 0 },
      async () => 'frame',
      fingerprint,
    );
    return store;
  };

  it('records the fingerprint of the pushed frame with its reservation', async () => {
    const store = await recorded();
    expect(store.reported('T', 'lorawan')?.['recentDownlinks']).toEqual([
      { id: 'd-1', fCnt: 1, at: 0, sha: fingerprint() },
    ]);
  });

  it.each([
    ['another downlink', { id: 'd-2', fCnt: 1, sha: fingerprint() }],
    ['another counter', { id: 'd-1', fCnt: 0, sha: fingerprint() }],
    ['another payload', { id: 'd-1', fCnt: 1, sha: 'b3RoZXI=' }],
  ])('refuses a report on %s, changing nothing', async (_, push) => {
    const store = await recorded();
    const before = store.reported('T', 'lorawan');
    await expect(
      reserveDownlinkFCnt(store, 'T', { ...options, recordedPush: push, downlinkID: 'd-1#2' }),
    ).rejects.toBeInstanceOf(RepushRefusedError);
    expect(store.reported('T', 'lorawan')).toEqual(before);
  });

  it('reserves for a report that matches the recorded push exactly', async () => {
    const store = await recorded();
    const reservation = await reserveDownlinkFCnt(store, 'T', {
      ...options,
      recordedPush: { id: 'd-1', fCnt: 1, sha: fingerprint() },
      downlinkID: 'd-1#2',
    });
    expect(reservation.fCnt).toBe(2);
  });
});

describe('writeSessionReport', () => {
  it('writes the report with the session’s counter at the version read', async () => {
    const store = await storeWith({ ...session, fCntDown: 2, fCntDownSession: 'AYpZ' });
    const fCntDown = await writeSessionReport(
      store,
      'T',
      { fCntUp: 9, lastAFCntDown: 5 },
      { sessionID: 'AYpZ', lastAFCntDown: 5 },
      options,
    );
    expect(fCntDown).toBe(5);
    expect(store.calls.at(-1)?.args[2]).toEqual({
      reported: { fCntUp: 9, lastAFCntDown: 5, fCntDown: 5, fCntDownSession: 'AYpZ' },
      version: 1,
    });
  });

  it('reads again when a reservation moved the shadow on, and never lowers its counter', async () => {
    const store = await storeWith({ ...session, fCntDown: 2, fCntDownSession: 'AYpZ' });
    const get = store.getShadow.bind(store);
    let first = true;
    store.getShadow = async (thing, name) => {
      const read = await get(thing, name);
      if (first) {
        first = false;
        // A downlink reserves counter 20 between this read and the write.
        await reserveDownlinkFCnt(store, 'T', { ...options, minFCnt: 20 });
      }
      return read;
    };
    const fCntDown = await writeSessionReport(
      store,
      'T',
      { fCntUp: 9 },
      { sessionID: 'AYpZ', lastAFCntDown: 5 },
      options,
    );
    expect(fCntDown).toBe(20);
    expect(store.reported('T', 'lorawan')).toMatchObject({ fCntDown: 20, fCntUp: 9 });
  });

  it('writes the report unversioned when the counters need nothing', async () => {
    const store = await storeWith({ ...session, fCntDown: 7, fCntDownSession: 'AYpZ' });
    await writeSessionReport(
      store,
      'T',
      { fCntUp: 9 },
      { sessionID: 'AYpZ', lastAFCntDown: 3 },
      options,
    );
    expect(store.calls.at(-1)?.args[2]).toEqual({ reported: { fCntUp: 9 } });
  });
});

describe('KnownSessions', () => {
  it('knows a thing’s session as far as its counter goes, for an hour at most', () => {
    let now = 0;
    const known = new KnownSessions({ now: () => now });
    known.remember('T', 'AYpZ', 4);
    expect(known.isCurrent('T', { sessionID: 'AYpZ', lastAFCntDown: 4 })).toBe(true);
    expect(known.isCurrent('T', { sessionID: 'AYpZ', lastAFCntDown: 5 })).toBe(false);
    expect(known.isCurrent('T', { sessionID: 'other', lastAFCntDown: 0 })).toBe(false);
    now += 60 * 60 * 1000;
    expect(known.isCurrent('T', { sessionID: 'AYpZ', lastAFCntDown: 0 })).toBe(false);
  });
});

describe('KnownSessions: the counters reserved per keystream', () => {
  const wrapped = { encryptedKey: new Uint8Array(24).fill(7), kekLabel: 'kek-1' };
  const plain = { key: new Uint8Array(16).fill(7) };

  it('keeps the highest counter per DevAddr and AppSKey, whichever thing or session held them', () => {
    const known = new KnownSessions();
    known.reservedInKeystream({ devAddr: '260B1A2F', appSKeyEnvelope: wrapped }, 9);
    known.reservedInKeystream({ devAddr: '260B1A2F', appSKeyEnvelope: wrapped }, 3);
    expect(known.keystreamFloor({ devAddr: '260B1A2F', appSKeyEnvelope: wrapped })).toBe(9);
    expect(known.keystreamFloor({ devAddr: '260B1A30', appSKeyEnvelope: wrapped })).toBeUndefined();
    expect(
      known.keystreamFloor({
        devAddr: '260B1A2F',
        appSKeyEnvelope: { ...wrapped, kekLabel: 'kek-2' },
      }),
    ).toBeUndefined();
    expect(known.keystreamFloor({ devAddr: '260B1A2F', appSKeyEnvelope: plain })).toBeUndefined();
  });

  it('reserves above the floor when the shadow’s counter went back, and writes that counter', async () => {
    const store = await storeWith({ ...session, fCntDown: 2 });
    const known = new KnownSessions();
    const options = { delay: async () => {}, random: () => 0, known };
    expect((await reserveDownlinkFCnt(store, 'T', options)).fCnt).toBe(3);
    await store.updateShadow('T', 'lorawan', { reported: { fCntDown: 0 } });
    expect((await reserveDownlinkFCnt(store, 'T', options)).fCnt).toBe(4);
    expect(store.reported('T', 'lorawan')?.['fCntDown']).toBe(4);
  });
});
