import { readDownlinkSession } from '../../../src/traffic/downlink-session/counters';
import {
  keptSessionKey,
  readInvalidatedDownlinks,
} from '../../../src/traffic/downlink-session/invalidated-report';

const envelope = { encryptedKey: 'H6aLCoEStEeu80vY+1p7gp0+hiNx0s/l', kekLabel: 'kek-1' };

describe('readInvalidatedDownlinks', () => {
  it('reads the downlinks, the current session and its last counter', () => {
    const report = readInvalidatedDownlinks({
      downlink_queue_invalidated: {
        downlinks: [
          {
            session_key_id: 'UzE=',
            f_port: 10,
            f_cnt: 5,
            frm_payload: 'AQI=',
            priority: 'HIGH',
            correlation_ids: ['a', 7, 'x'.repeat(300)],
          },
          'garbage',
        ],
        last_f_cnt_down: 2,
        session_key_id: 'UzI=',
      },
    });
    expect(report).toEqual({
      downlinks: [
        {
          sessionKeyID: 'UzE=',
          fPort: 10,
          fCnt: 5,
          frmPayload: Buffer.from([1, 2]),
          confirmed: false,
          priority: 'HIGH',
          correlationIDs: ['a'],
        },
        {
          sessionKeyID: undefined,
          fPort: undefined,
          fCnt: undefined,
          frmPayload: undefined,
          confirmed: false,
          priority: undefined,
          correlationIDs: [],
        },
      ],
      lastFCntDown: 2,
      sessionKeyID: 'UzI=',
    });
  });

  it('refuses a message without a downlinks list, naming the field', () => {
    expect(() => readInvalidatedDownlinks({ downlink_queue_invalidated: {} })).toThrow(
      expect.objectContaining({
        code: 'invalid_field',
        attributes: { field: 'downlink_queue_invalidated.downlinks' },
      }),
    );
  });
});

describe('keptSessionKey', () => {
  const session = readDownlinkSession('T', {
    state: {
      reported: {
        devAddr: '260B1A2F',
        sessionID: 'UzI=',
        appSKeyEnvelope: envelope,
        fCntDown: 3,
        fCntDownSession: 'UzI=',
        earlierSessions: [
          { sessionID: 'UzE=', fCntDown: 5, devAddr: '260B0001', appSKeyEnvelope: envelope },
          { sessionID: 'UzA=', fCntDown: 9 },
        ],
      },
    },
    version: 1,
  });

  it('finds the current session’s and a kept earlier session’s key, with their last counters', () => {
    expect(keptSessionKey(session, 'UzI=')).toMatchObject({ devAddr: '260B1A2F', fCntDown: 3 });
    expect(keptSessionKey(session, 'UzE=')).toMatchObject({
      devAddr: '260B0001',
      fCntDown: 5,
      appSKeyEnvelope: { kekLabel: 'kek-1' },
    });
  });

  it('has none for an earlier session that kept only its counter, or an unknown one', () => {
    expect(keptSessionKey(session, 'UzA=')).toBeUndefined();
    expect(keptSessionKey(session, 'Uzk=')).toBeUndefined();
  });
});
