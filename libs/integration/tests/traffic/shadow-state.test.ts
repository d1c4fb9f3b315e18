import {
  MAX_EARLIER_SESSIONS,
  MAX_RECENT_DOWNLINKS,
  nextFCntDown,
  readDownlinkSession,
  reservationReport,
  reservedFCnt,
  sessionCountersReport,
} from '../../src/traffic/downlink-session/counters';
import {
  joinAcceptReport,
  MAX_SHADOW_STATE_BYTES,
  uplinkReport,
  withDecodedPayload,
  isNewerUplink,
  JOIN_F_CNT,
  parseReceivedAt,
  shadowUplinkPosition,
} from '../../src/traffic/shadow-state';

const envelope = { encryptedKey: 'H6aLCoEStEeu80vY+1p7gp0+hiNx0s/l', kekLabel: 'kek-1' };
const rx = [
  { gatewayID: 'gw-1', gatewayEUI: 'B827EBFFFE000001', rssi: -110, snr: -4.5 },
  { gatewayID: 'gw-2', gatewayEUI: undefined, rssi: -97, snr: 7.25 },
  { gatewayID: 'gw-2', gatewayEUI: undefined, rssi: -99, snr: 8 },
];
const uplink = {
  receivedAt: '2024-05-01T12:00:00Z',
  devAddr: '260B1A2F',
  sessionID: 'AYpZ',
  fCnt: 70000,
  rxMetadata: rx,
};

describe('joinAcceptReport', () => {
  it('starts a new session, keeping the wrapped key with E2E, and leaves the downlink counters alone', () => {
    expect(
      joinAcceptReport({
        metrics: true,
        receivedAt: 't',
        devAddr: '260B1A2F',
        sessionID: 'AYpZ',
        appSKeyEnvelope: envelope,
      }),
    ).toEqual({
      activated: 't',
      lastSeen: 't',
      fCntUp: 0,
      devAddr: '260B1A2F',
      sessionID: 'AYpZ',
      appSKeyEnvelope: envelope,
      lastAFCntDown: 0,
    });
  });

  it('keeps only the session without metrics', () => {
    expect(
      joinAcceptReport({
        metrics: false,
        receivedAt: 't',
        devAddr: '260B1A2F',
        sessionID: 'AYpZ',
        appSKeyEnvelope: envelope,
      }),
    ).toEqual({
      devAddr: '260B1A2F',
      sessionID: 'AYpZ',
      appSKeyEnvelope: envelope,
      lastAFCntDown: 0,
    });
  });

  it('reports nothing without metrics and without E2E', () => {
    expect(
      joinAcceptReport({
        metrics: false,
        receivedAt: 't',
        devAddr: '260B1A2F',
        sessionID: 'AYpZ',
        appSKeyEnvelope: undefined,
      }),
    ).toEqual({});
  });
});

describe('uplinkReport', () => {
  it('reports the metrics: distinct gateways, best RSSI and SNR, counters', () => {
    expect(
      uplinkReport({
        ...uplink,
        metrics: true,
        lastAFCntDown: undefined,
        appSKeyEnvelope: undefined,
      }),
    ).toEqual({
      lastSeen: '2024-05-01T12:00:00Z',
      fCntUp: 70000,
      gateways: 2,
      rssi: -97,
      snr: 8,
      devAddr: '260B1A2F',
      sessionID: 'AYpZ',
    });
  });

  it('keeps the session and the network’s downlink counter with E2E, without fCntDown', () => {
    const report = uplinkReport({
      ...uplink,
      metrics: false,
      lastAFCntDown: 12,
      appSKeyEnvelope: envelope,
    });
    expect(report).toEqual({
      devAddr: '260B1A2F',
      sessionID: 'AYpZ',
      appSKeyEnvelope: envelope,
      lastAFCntDown: 12,
    });
    // Writing fCntDown here could lower a counter a concurrent downlink reserved.
    expect(report).not.toHaveProperty('fCntDown');
  });

  it('pairs the session with lastAFCntDown 0 when TTS omits the zero', () => {
    const report = uplinkReport({
      ...uplink,
      metrics: false,
      lastAFCntDown: undefined,
      appSKeyEnvelope: envelope,
    });
    // Otherwise a new session would inherit the previous session's counter.
    expect(report).toMatchObject({ sessionID: 'AYpZ', lastAFCntDown: 0 });
  });
});

describe('withDecodedPayload', () => {
  it('adds a payload that fits', () => {
    expect(withDecodedPayload({ fCntUp: 1 }, { temperature: 21.5 })).toEqual({
      included: true,
      report: { fCntUp: 1, payload: { temperature: 21.5 } },
    });
  });

  it('leaves out, and clears, a payload that would pass the 8 KB limit', () => {
    const placement = withDecodedPayload(
      { fCntUp: 1 },
      { blob: 'x'.repeat(MAX_SHADOW_STATE_BYTES) },
    );
    expect(placement.included).toBe(false);
    expect(placement.report).toEqual({ fCntUp: 1, payload: null });
    if (!placement.included) expect(placement.reason).toMatch(/8192/);
  });

  it('leaves out a payload nested deeper than shadows allow', () => {
    const placement = withDecodedPayload({}, { a: { b: { c: { d: 1 } } } });
    expect(placement.included).toBe(false);
    if (!placement.included) expect(placement.reason).toMatch(/nests 7 levels/);
    expect(withDecodedPayload({}, { a: { b: { c: 1 } } }).included).toBe(true);
  });
});

describe('readDownlinkSession', () => {
  const shadow = (reported: Record<string, unknown>) => ({ state: { reported }, version: 7 });
  const good = {
    devAddr: '260B1A2F',
    sessionID: 'AYpZ',
    appSKeyEnvelope: envelope,
    fCntDown: 3,
    lastAFCntDown: 9,
  };

  it('reads the session and the last counter in use', () => {
    const session = readDownlinkSession('T', shadow(good));
    expect(session).toMatchObject({
      devAddr: '260B1A2F',
      sessionID: 'AYpZ',
      lastFCntDown: 9,
      version: 7,
    });
    expect(session.appSKeyEnvelope).toMatchObject({ kekLabel: 'kek-1' });
  });

  it('says there is no session when the shadow has none', () => {
    expect(() => readDownlinkSession('T', undefined)).toThrow(
      expect.objectContaining({ code: 'no_session' }),
    );
    expect(() => readDownlinkSession('T', shadow({ fCntUp: 1 }))).toThrow(
      expect.objectContaining({ code: 'no_session' }),
    );
  });

  it('counts fCntDown in the session it was reserved in', () => {
    const read = (change: Record<string, unknown>) =>
      readDownlinkSession('T', shadow({ ...good, lastAFCntDown: 0, ...change })).lastFCntDown;
    expect(read({ fCntDownSession: 'AYpZ' })).toBe(3);
    // A shadow written before sessions were recorded: its counter is the current session's.
    expect(read({})).toBe(3);
    // A session the counters have not seen yet (a rejoin) starts at 0 …
    expect(read({ fCntDownSession: 'b2xk', fCntDown: 70_000 })).toBe(0);
    // … and one that comes back continues after its last counter.
    expect(
      read({
        fCntDownSession: 'bmV3',
        fCntDown: 2,
        earlierSessions: [{ sessionID: 'AYpZ', fCntDown: 500 }],
      }),
    ).toBe(500);
  });

  it.each([
    ['devAddr', { devAddr: 'xyz' }],
    ['sessionID', { sessionID: 5 }],
    ['appSKeyEnvelope', { appSKeyEnvelope: { encryptedKey: 'AQ==', kekLabel: 'k' } }],
    ['fCntDown', { fCntDown: -1 }],
    ['lastAFCntDown', { lastAFCntDown: 'x' }],
    ['fCntDownSession', { fCntDownSession: 7 }],
    ['recentDownlinks', { recentDownlinks: [{ id: 'd-1', fCnt: 'one' }] }],
    ['earlierSessions', { earlierSessions: { AYpZ: 3 } }],
  ])('refuses a damaged %s', (field, change) => {
    expect(() => readDownlinkSession('T', shadow({ ...good, ...change }))).toThrow(
      expect.objectContaining({
        code: 'invalid_session_state',
        attributes: expect.objectContaining({ field }),
      }),
    );
  });
});

describe('readDownlinkSession: what it makes of damaged shadow fields', () => {
  const shadow = (reported: Record<string, unknown>) => ({ state: { reported }, version: 7 });
  const good = { devAddr: '260B1A2F', sessionID: 'AYpZ', appSKeyEnvelope: envelope };

  it('names the list a damaged entry is in, however deep the damage', () => {
    expect(() =>
      readDownlinkSession(
        'T',
        shadow({
          ...good,
          recentDownlinks: [
            { id: 'd-1', fCnt: 1 },
            { id: 'd-2', fCnt: 2, at: -5 },
          ],
        }),
      ),
    ).toThrow(
      expect.objectContaining({
        code: 'invalid_session_state',
        attributes: { thingName: 'T', field: 'recentDownlinks' },
      }),
    );
  });

  it('keeps the counter of an earlier session whose kept key is damaged, without the key', () => {
    const damaged = { sessionID: 'b2xk', fCntDown: 9, devAddr: 'xyz', appSKeyEnvelope: 5 };
    const { counters } = readDownlinkSession('T', shadow({ ...good, earlierSessions: [damaged] }));
    expect(counters.earlier).toHaveLength(1);
    expect(counters.earlier[0]).toMatchObject({ sessionID: 'b2xk', fCntDown: 9 });
    expect(counters.earlier[0]?.devAddr).toBeUndefined();
    expect(counters.earlier[0]?.appSKeyEnvelope).toBeUndefined();
  });
});

describe('reservationReport and reservedFCnt', () => {
  const session = (counters: Record<string, unknown>) =>
    readDownlinkSession('T', {
      state: {
        reported: {
          devAddr: '260B1A2F',
          sessionID: 'AYpZ',
          appSKeyEnvelope: envelope,
          ...counters,
        },
      },
      version: 1,
    });

  it('records the counter with its session and the downlink it is for, newest first', () => {
    const read = session({
      fCntDown: 4,
      fCntDownSession: 'AYpZ',
      recentDownlinks: [{ id: 'a', fCnt: 4 }],
    });
    expect(reservationReport(read, 5, 'b')).toEqual({
      fCntDown: 5,
      fCntDownSession: 'AYpZ',
      recentDownlinks: [
        { id: 'b', fCnt: 5 },
        { id: 'a', fCnt: 4 },
      ],
    });
    expect(reservedFCnt(read, 'a')).toBe(4);
    expect(reservedFCnt(read, 'b')).toBeUndefined();
  });

  it(`remembers the last ${MAX_RECENT_DOWNLINKS} downlinks only`, () => {
    const recentDownlinks = Array.from({ length: MAX_RECENT_DOWNLINKS }, (_, i) => ({
      id: `d-${MAX_RECENT_DOWNLINKS - i}`,
      fCnt: MAX_RECENT_DOWNLINKS - i,
    }));
    const report = reservationReport(
      session({ fCntDown: MAX_RECENT_DOWNLINKS, fCntDownSession: 'AYpZ', recentDownlinks }),
      MAX_RECENT_DOWNLINKS + 1,
      'new',
    );
    const kept = report['recentDownlinks'] as { id: string }[];
    expect(kept).toHaveLength(MAX_RECENT_DOWNLINKS);
    expect(kept[0]?.id).toBe('new');
    expect(kept.map((entry) => entry.id)).not.toContain('d-1');
  });

  it('moves the previous session’s counter among the earlier sessions when the session changed', () => {
    const earlierSessions = Array.from({ length: MAX_EARLIER_SESSIONS }, (_, i) => ({
      sessionID: `s-${i}`,
      fCntDown: 10 + i,
    }));
    const read = session({
      fCntDown: 77,
      fCntDownSession: 'b2xk',
      recentDownlinks: [{ id: 'old', fCnt: 77 }],
      earlierSessions,
    });
    // The downlinks of the previous session are not this session's.
    expect(reservedFCnt(read, 'old')).toBeUndefined();
    expect(reservationReport(read, 1, 'x')).toEqual({
      fCntDown: 1,
      fCntDownSession: 'AYpZ',
      recentDownlinks: [{ id: 'x', fCnt: 1 }],
      earlierSessions: [{ sessionID: 'b2xk', fCntDown: 77 }, ...earlierSessions].slice(
        0,
        MAX_EARLIER_SESSIONS,
      ),
    });
  });
});

describe('nextFCntDown', () => {
  it('takes one past the last counter, or the network’s minimum if higher', () => {
    expect(nextFCntDown({ lastFCntDown: 9 })).toBe(10);
    expect(nextFCntDown({ lastFCntDown: 9 }, 20)).toBe(20);
    expect(nextFCntDown({ lastFCntDown: 9 }, 4)).toBe(10);
  });

  it('refuses to pass 2^32 - 1', () => {
    expect(() => nextFCntDown({ lastFCntDown: 0xffff_ffff })).toThrow(
      expect.objectContaining({ code: 'f_cnt_exhausted', retryable: false }),
    );
  });
});

describe('sessionCountersReport: the downlink counter of the session an uplink or join reports', () => {
  const shadow = (reported: Record<string, unknown>, version = 7) => ({
    state: { reported },
    version,
  });
  const S1 = { devAddr: '260B1A2F', sessionID: 'UzE=', appSKeyEnvelope: envelope };

  it('starts a session at 0 at its join, in an empty shadow', () => {
    expect(sessionCountersReport('T', undefined, { sessionID: 'UzE=', lastAFCntDown: 0 })).toEqual({
      fCntDown: 0,
      fCntDownSession: 'UzE=',
    });
  });

  it('moves the session the shadow held, with its counter, DevAddr and wrapped AppSKey, to earlierSessions', () => {
    const report = sessionCountersReport(
      'T',
      shadow({
        ...S1,
        lastAFCntDown: 3,
        fCntDown: 9,
        fCntDownSession: 'UzE=',
        recentDownlinks: [{ id: 'a', fCnt: 9 }],
      }),
      { sessionID: 'UzI=', lastAFCntDown: 0 },
    );
    expect(report).toEqual({
      fCntDown: 0,
      fCntDownSession: 'UzI=',
      recentDownlinks: [],
      earlierSessions: [
        { sessionID: 'UzE=', fCntDown: 9, devAddr: '260B1A2F', appSKeyEnvelope: envelope },
      ],
    });
  });

  it('changes nothing for a join handled again after downlinks of its session used counters', () => {
    expect(
      sessionCountersReport('T', shadow({ ...S1, fCntDown: 12, fCntDownSession: 'UzE=' }), {
        sessionID: 'UzE=',
        lastAFCntDown: 0,
      }),
    ).toBeUndefined();
  });

  it('raises fCntDown to last_a_f_cnt_down, and never lowers it', () => {
    const held = shadow({ ...S1, fCntDown: 5, fCntDownSession: 'UzE=' });
    expect(sessionCountersReport('T', held, { sessionID: 'UzE=', lastAFCntDown: 8 })).toEqual({
      fCntDown: 8,
      fCntDownSession: 'UzE=',
    });
    expect(
      sessionCountersReport('T', held, { sessionID: 'UzE=', lastAFCntDown: 2 }),
    ).toBeUndefined();
  });

  it('lets an earlier session that comes back continue from its counter', () => {
    const report = sessionCountersReport(
      'T',
      shadow({
        ...S1,
        sessionID: 'UzI=',
        fCntDown: 1,
        fCntDownSession: 'UzI=',
        earlierSessions: [{ sessionID: 'UzE=', fCntDown: 40 }],
      }),
      { sessionID: 'UzE=', lastAFCntDown: 0 },
    );
    expect(report).toMatchObject({
      fCntDown: 40,
      fCntDownSession: 'UzE=',
      earlierSessions: [expect.objectContaining({ sessionID: 'UzI=', fCntDown: 1 })],
    });
  });

  it('keeps 3 earlier sessions, the wrapped keys of the newest 2 only', () => {
    const keyed = (id: string, fCntDown: number) => ({
      sessionID: id,
      fCntDown,
      devAddr: '260B1A2F',
      appSKeyEnvelope: envelope,
    });
    const report = sessionCountersReport(
      'T',
      shadow({
        ...S1,
        sessionID: 'UzQ=',
        fCntDown: 4,
        fCntDownSession: 'UzQ=',
        earlierSessions: [keyed('UzM=', 3), keyed('UzI=', 2), { sessionID: 'UzE=', fCntDown: 1 }],
      }),
      { sessionID: 'UzU=', lastAFCntDown: 0 },
    );
    expect(report?.['earlierSessions']).toEqual([
      keyed('UzQ=', 4),
      keyed('UzM=', 3),
      { sessionID: 'UzI=', fCntDown: 2 },
    ]);
    expect(MAX_EARLIER_SESSIONS).toBe(3);
  });

  it('counts an older shadow’s fCntDown (no fCntDownSession) in the session it holds: never lowered', () => {
    expect(
      sessionCountersReport('T', shadow({ ...S1, fCntDown: 30 }), {
        sessionID: 'UzE=',
        lastAFCntDown: 4,
      }),
    ).toBeUndefined();
    expect(
      sessionCountersReport('T', shadow({ ...S1, fCntDown: 30 }), {
        sessionID: 'UzI=',
        lastAFCntDown: 0,
      }),
    ).toMatchObject({
      earlierSessions: [expect.objectContaining({ sessionID: 'UzE=', fCntDown: 30 })],
    });
  });

  it('refuses damaged counters rather than guess them', () => {
    expect(() =>
      sessionCountersReport('T', shadow({ ...S1, fCntDown: -1 }), {
        sessionID: 'UzE=',
        lastAFCntDown: 0,
      }),
    ).toThrow(expect.objectContaining({ code: 'invalid_session_state' }));
  });
});

describe('isNewerUplink: whether a report may be written over what the shadow holds', () => {
  const at = (time: unknown) => parseReceivedAt(time);
  const position = (session: string | undefined, fCnt: number | undefined, time?: string) => ({
    session,
    fCnt,
    at: time === undefined ? undefined : at(time),
  });
  const held = position('S1', 9, '2024-05-01T12:00:09Z');

  it('reads TTS times to the nanosecond, in any offset, and nothing else', () => {
    expect(at('2024-05-01T12:00:00.123456789Z')).toEqual([
      Date.UTC(2024, 4, 1, 12, 0, 0, 123),
      456_789,
    ]);
    expect(at('2024-05-01T14:00:00.5+02:00')).toEqual([Date.UTC(2024, 4, 1, 12, 0, 0, 500), 0]);
    expect(at('2024-05-01 12:00:00Z')).toBeUndefined();
    expect(at(1714564800)).toBeUndefined();
  });

  it('in one session: a higher FCnt is newer; a lower or the same one (a retry) is not', () => {
    expect(isNewerUplink(position('S1', 10, '2024-05-01T12:00:10Z'), held)).toBe(true);
    expect(isNewerUplink(position('S1', 6, '2024-05-01T12:00:06Z'), held)).toBe(false);
    expect(isNewerUplink(position('S1', 9, '2024-05-01T12:00:09Z'), held)).toBe(false);
    expect(isNewerUplink(position('S1', 6, undefined), held)).toBe(false);
  });

  it('in one session: the same FCnt received later is newer (FCnt 0 after the join-accept)', () => {
    const join = position('S2', 0, '2024-05-01T12:00:00.000000001Z');
    expect(isNewerUplink(position('S2', 0, '2024-05-01T12:00:00.000000002Z'), join)).toBe(true);
    expect(isNewerUplink(position('S2', JOIN_F_CNT, '2024-05-01T12:00:00.000000001Z'), join)).toBe(
      false,
    );
  });

  it('in one session: a lower FCnt more than 15 minutes later is a reset counter', () => {
    expect(isNewerUplink(position('S1', 1, '2024-05-01T12:15:09.000000001Z'), held)).toBe(true);
    expect(isNewerUplink(position('S1', 1, '2024-05-01T12:15:09Z'), held)).toBe(false);
  });

  it('across sessions: the one TTS received later, whatever its FCnt', () => {
    expect(isNewerUplink(position('S2', JOIN_F_CNT, '2024-05-01T12:00:10Z'), held)).toBe(true);
    expect(isNewerUplink(position('S0', 500, '2024-05-01T12:00:08Z'), held)).toBe(false);
  });

  it('writes what it cannot tell apart: no shadow, no position, no time across sessions', () => {
    expect(isNewerUplink(position('S1', 1), undefined)).toBe(true);
    expect(isNewerUplink(position('S1', 1), shadowUplinkPosition(undefined))).toBe(true);
    expect(isNewerUplink(position('S2', 1), held)).toBe(true);
  });

  it('finds the position in a shadow: sessionID (else devAddr), fCntUp, lastSeen', () => {
    expect(
      shadowUplinkPosition({ devAddr: '260B1A2F', fCntUp: 3, lastSeen: '2024-05-01T12:00:00Z' }),
    ).toEqual({ session: '260B1A2F', fCnt: 3, at: at('2024-05-01T12:00:00Z') });
    expect(shadowUplinkPosition({ sessionID: 'S1', devAddr: '260B1A2F', fCntUp: -4 })).toEqual({
      session: 'S1',
      fCnt: undefined,
      at: undefined,
    });
  });
});
