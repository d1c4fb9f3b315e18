import { TransientError } from '@tts-aws-iot/integration';
import { pushFingerprint } from '@tts-aws-iot/integration/traffic';
import { InMemoryShadowStore } from '@tts-aws-iot/integration/testing';
import { wrapKey } from '@tts-aws-iot/keywrap';
import {
  decryptFRMPayload,
  encryptFRMPayload,
  parseAesKey,
  parseDevAddr,
} from '@tts-aws-iot/lorawan';

import { handleUplink } from '../src/uplink';
import {
  APP_S_KEY_HEX,
  DEV_ADDR,
  DEV_EUI,
  endDeviceIds,
  KEK_HEX,
  keyMaterialForms,
  SESSION_KEY_ID,
  setup,
} from './fixtures';

// The session before the rejoin (S1, the fixtures' key) and the current one (S2).
const OLD_SESSION = SESSION_KEY_ID;
const OLD_DEV_ADDR = DEV_ADDR;
const NEW_SESSION = 'UzItbmV3LXNlc3Npb24=';
const NEW_DEV_ADDR = '260C0001';
const NEW_APP_S_KEY = '0F1E2D3C4B5A69788796A5B4C3D2E1F0';
const wrapped = (hex: string) =>
  Buffer.from(wrapKey(Buffer.from(KEK_HEX, 'hex'), Buffer.from(hex, 'hex'))).toString('base64');

const encrypt = (keyHex: string, devAddr: string, fCnt: number, text: string) =>
  Buffer.from(
    encryptFRMPayload(parseAesKey(keyHex), 'down', parseDevAddr(devAddr), fCnt, Buffer.from(text)),
  ).toString('base64');
const decrypt = (keyHex: string, devAddr: string, fCnt: number, payload: string) =>
  Buffer.from(
    decryptFRMPayload(
      parseAesKey(keyHex),
      'down',
      parseDevAddr(devAddr),
      fCnt,
      Buffer.from(payload, 'base64'),
    ),
  ).toString();

const ours = (id: string, attempt = 1) => [
  'as:downlink:01J0',
  `tts-aws-iot:downlink:${id}`,
  `tts-aws-iot:attempt:${attempt}`,
];

function invalidated(downlinks: Record<string, unknown>[], extra: Record<string, unknown> = {}) {
  return {
    end_device_ids: endDeviceIds,
    correlation_ids: ['as:up:01J1'],
    received_at: '2024-05-01T12:05:00Z',
    downlink_queue_invalidated: {
      downlinks,
      last_f_cnt_down: 2,
      session_key_id: NEW_SESSION,
      ...extra,
    },
  };
}

/** A device that rejoined: the shadow holds S2, and S1 (with 5 counters reserved) as earlier. */
async function rejoined() {
  const world = setup();
  await world.deps.things.ensure({ deviceID: 'eui-0004a30b001c0530', devEUI: DEV_EUI });
  await (world.shadows as InMemoryShadowStore).updateShadow(DEV_EUI, 'lorawan', {
    reported: {
      devAddr: NEW_DEV_ADDR,
      sessionID: NEW_SESSION,
      appSKeyEnvelope: { encryptedKey: wrapped(NEW_APP_S_KEY), kekLabel: 'kek-2' },
      lastAFCntDown: 0,
      fCntDown: 0,
      fCntDownSession: NEW_SESSION,
      earlierSessions: [
        {
          sessionID: OLD_SESSION,
          fCntDown: 5,
          devAddr: OLD_DEV_ADDR,
          appSKeyEnvelope: { encryptedKey: wrapped(APP_S_KEY_HEX), kekLabel: 'kek-2' },
        },
        { sessionID: 'UzA=', fCntDown: 9 },
      ],
    },
  });
  return world;
}

const downlink = (fields: Record<string, unknown> = {}) => ({
  session_key_id: OLD_SESSION,
  f_port: 10,
  f_cnt: 5,
  frm_payload: encrypt(APP_S_KEY_HEX, OLD_DEV_ADDR, 5, 'open valve'),
  confirmed: true,
  priority: 'NORMAL',
  correlation_ids: ours('dl-1'),
  ...fields,
});

describe('handleUplink: downlink_queue_invalidated with E2E', () => {
  it('decrypts our downlink under its old session, encrypts it under the current one at a reserved counter, and replaces the queue with it', async () => {
    const world = await rejoined();
    const outcome = await handleUplink(invalidated([downlink()]), world.deps);
    expect(outcome).toEqual({
      status: 'handled',
      type: 'downlink_queue_invalidated',
      thingName: DEV_EUI,
    });
    const [replace] = world.publisher.on('thethings/lorawan/tts-stack/downlink/replace') as {
      end_device_ids: unknown;
      downlinks: Record<string, unknown>[];
    }[];
    expect(replace?.end_device_ids).toEqual({
      device_id: 'eui-0004a30b001c0530',
      application_ids: { application_id: 'my-app' },
    });
    // Above TTS's last_f_cnt_down (2), in the new session, as the next push attempt.
    expect(replace?.downlinks).toEqual([
      {
        f_port: 10,
        frm_payload: expect.any(String),
        confirmed: true,
        priority: 'NORMAL',
        correlation_ids: ['tts-aws-iot:downlink:dl-1', 'tts-aws-iot:attempt:2'],
        session_key_id: NEW_SESSION,
        f_cnt: 3,
      },
    ]);
    const sent = replace!.downlinks[0]!;
    expect(decrypt(NEW_APP_S_KEY, NEW_DEV_ADDR, 3, sent['frm_payload'] as string)).toBe(
      'open valve',
    );
    expect(world.shadows.reported(DEV_EUI, 'lorawan')).toMatchObject({
      fCntDown: 3,
      fCntDownSession: NEW_SESSION,
      recentDownlinks: [expect.objectContaining({ id: 'dl-1#2', fCnt: 3 })],
    });
    expect(world.metrics).toMatchObject({ DownlinksRequeued: 1 });
    expect(world.metrics['InvalidatedDownlinksDropped']).toBeUndefined();
  });

  it('moves several in order at increasing counters, and a retried invocation sends the same frames', async () => {
    const world = await rejoined();
    const message = invalidated([
      downlink(),
      downlink({
        f_cnt: 4,
        frm_payload: encrypt(APP_S_KEY_HEX, OLD_DEV_ADDR, 4, 'close valve'),
        correlation_ids: ours('dl-2'),
      }),
    ]);
    // The first invocation fails at its last step (forgetting the old session's key): Lambda retries.
    const shadows = world.shadows as InMemoryShadowStore;
    const update = shadows.updateShadow.bind(shadows);
    let failForget = true;
    shadows.updateShadow = async (thing, name, change) => {
      if (failForget && 'earlierSessions' in (change.reported ?? {})) {
        failForget = false;
        throw new TransientError('shadow_unavailable', 'The shadow service is unavailable.');
      }
      return update(thing, name, change);
    };
    await expect(handleUplink(message, world.deps)).rejects.toMatchObject({ retryable: true });
    await handleUplink(message, world.deps);
    const replaces = world.publisher.on('thethings/lorawan/tts-stack/downlink/replace') as {
      downlinks: { f_cnt: number; frm_payload: string }[];
    }[];
    expect(replaces).toHaveLength(2);
    expect(replaces[0]!.downlinks.map((d) => d.f_cnt)).toEqual([3, 4]);
    expect(replaces[1]).toEqual(replaces[0]);
    expect(decrypt(NEW_APP_S_KEY, NEW_DEV_ADDR, 4, replaces[0]!.downlinks[1]!.frm_payload)).toBe(
      'close valve',
    );
    expect(world.shadows.reported(DEV_EUI, 'lorawan')?.['fCntDown']).toBe(4);
  });

  it.each<[string, Record<string, unknown>, RegExp]>([
    ['one the integration did not push', { correlation_ids: ['as:downlink:x'] }, /did not push it/],
    ['one of a session whose key is gone', { session_key_id: 'UzA=' }, /no longer kept/],
    ['one at a counter never reserved in its session', { f_cnt: 6 }, /never reserved/],
    ['one without payload', { frm_payload: '' }, /no application payload/],
    ['one on FPort 0', { f_port: 0 }, /no application payload/],
  ])(
    'counts %s, answers it on downlink/failed saying why, and replaces nothing',
    async (_, fields, reason) => {
      const world = await rejoined();
      await handleUplink(invalidated([downlink(fields)]), world.deps);
      expect(world.publisher.on('thethings/lorawan/tts-stack/downlink/replace')).toEqual([]);
      expect(world.metrics).toMatchObject({ InvalidatedDownlinksDropped: 1 });
      const [answer] = world.publisher.on(`lorawan/${DEV_EUI}/downlink/failed`) as {
        downlink_failed: { downlink: unknown; error: Record<string, unknown> };
      }[];
      expect(answer?.downlink_failed.error).toMatchObject({
        namespace: 'tts-aws-iot',
        name: 'downlink_not_reencrypted',
        code: 9,
        message_format: expect.stringMatching(reason),
      });
      expect(JSON.stringify(answer)).not.toContain('frm_payload');
      expect(world.shadows.reported(DEV_EUI, 'lorawan')?.['fCntDown']).toBe(0);
    },
  );

  it('forgets the old session’s key once its queue was moved: the same report again moves nothing (no replay)', async () => {
    const world = await rejoined();
    await handleUplink(invalidated([downlink()]), world.deps);
    const earlier = world.shadows.reported(DEV_EUI, 'lorawan')?.['earlierSessions'];
    expect(earlier).toEqual([
      { sessionID: OLD_SESSION, fCntDown: 5 },
      { sessionID: 'UzA=', fCntDown: 9 },
    ]);
    // The network reports it again, at a later attempt, after the retention of reservations.
    await handleUplink(invalidated([downlink({ correlation_ids: ours('dl-1', 3) })]), world.deps);
    expect(world.publisher.on('thethings/lorawan/tts-stack/downlink/replace')).toHaveLength(1);
    expect(world.metrics).toMatchObject({ DownlinksRequeued: 1, InvalidatedDownlinksDropped: 1 });
    expect(world.shadows.reported(DEV_EUI, 'lorawan')?.['fCntDown']).toBe(3);
  });

  it('refuses a frame claimed to be pushed many times already (the attempt is the network’s to report)', async () => {
    const world = await rejoined();
    await handleUplink(invalidated([downlink({ correlation_ids: ours('dl-1', 8) })]), world.deps);
    expect(world.publisher.on('thethings/lorawan/tts-stack/downlink/replace')).toEqual([]);
    expect(world.publisher.on(`lorawan/${DEV_EUI}/downlink/failed`)).toEqual([
      expect.objectContaining({
        downlink_failed: expect.objectContaining({
          error: expect.objectContaining({ message_format: expect.stringMatching(/8 times/) }),
        }),
      }),
    ]);
  });

  describe('a frame of the current session', () => {
    const pushed = encrypt(NEW_APP_S_KEY, NEW_DEV_ADDR, 2, 'open valve');
    async function pushedInCurrentSession() {
      const world = await rejoined();
      await (world.shadows as InMemoryShadowStore).updateShadow(DEV_EUI, 'lorawan', {
        reported: {
          fCntDown: 2,
          recentDownlinks: [
            { id: 'dl-9', fCnt: 2, sha: pushFingerprint(10, Buffer.from(pushed, 'base64')) },
          ],
        },
      });
      return world;
    }
    const current = (fields: Record<string, unknown>) =>
      downlink({ session_key_id: NEW_SESSION, f_cnt: 2, frm_payload: pushed, ...fields });

    it('is moved when it is the recorded push itself', async () => {
      const world = await pushedInCurrentSession();
      await handleUplink(invalidated([current({ correlation_ids: ours('dl-9') })]), world.deps);
      const [replace] = world.publisher.on('thethings/lorawan/tts-stack/downlink/replace') as {
        downlinks: { f_cnt: number; frm_payload: string }[];
      }[];
      expect(replace?.downlinks[0]?.f_cnt).toBe(3);
      expect(decrypt(NEW_APP_S_KEY, NEW_DEV_ADDR, 3, replace!.downlinks[0]!.frm_payload)).toBe(
        'open valve',
      );
    });

    it.each<[string, Record<string, unknown>]>([
      [
        'an altered payload (chosen ciphertext)',
        {
          frm_payload: Buffer.from(Buffer.from(pushed, 'base64').map((b) => b ^ 1)).toString(
            'base64',
          ),
          correlation_ids: ours('dl-9'),
        },
      ],
      ['another downlink’s ID (a replay under a name)', { correlation_ids: ours('dl-8') }],
      ['another counter', { f_cnt: 1, correlation_ids: ours('dl-9') }],
    ])('is refused with %s: nothing is encrypted at a new counter', async (_, fields) => {
      const world = await pushedInCurrentSession();
      await handleUplink(invalidated([current(fields)]), world.deps);
      expect(world.publisher.on('thethings/lorawan/tts-stack/downlink/replace')).toEqual([]);
      expect(world.metrics).toMatchObject({ InvalidatedDownlinksDropped: 1 });
      expect(world.shadows.reported(DEV_EUI, 'lorawan')?.['fCntDown']).toBe(2);
      expect(JSON.stringify(world.publisher.on(`lorawan/${DEV_EUI}/downlink/failed`))).toMatch(
        /no push of it at frame counter \d+ with that payload is recorded/,
      );
    });
  });

  it('moves what it can and reports the rest', async () => {
    const world = await rejoined();
    await handleUplink(
      invalidated([downlink(), downlink({ correlation_ids: [], f_cnt: 4 })]),
      world.deps,
    );
    expect(world.metrics).toMatchObject({ DownlinksRequeued: 1, InvalidatedDownlinksDropped: 1 });
    expect(world.publisher.on(`lorawan/${DEV_EUI}/downlink/failed`)).toHaveLength(1);
  });

  it('waits, for Lambda to retry, while the shadow does not hold the session TTS names', async () => {
    const world = await rejoined();
    await expect(
      handleUplink(invalidated([downlink()], { session_key_id: 'UzM=' }), world.deps),
    ).rejects.toMatchObject({ code: 'session_not_recorded', retryable: true });
    expect(world.publisher.messages).toEqual([]);
  });

  it('keeps every key out of messages and logs', async () => {
    const world = await rejoined();
    await handleUplink(invalidated([downlink(), downlink({ correlation_ids: [] })]), world.deps);
    const seen = JSON.stringify([world.publisher.messages, world.logs]);
    for (const form of [...keyMaterialForms(), NEW_APP_S_KEY, NEW_APP_S_KEY.toLowerCase()])
      expect(seen).not.toContain(form);
  });

  it('leaves the queue to TTS without E2E (the Application Server re-encrypts itself)', async () => {
    const world = setup({ e2eEnabled: false, kekSecretID: undefined });
    await expect(handleUplink(invalidated([downlink()]), world.deps)).resolves.toMatchObject({
      status: 'ignored',
    });
    expect(world.publisher.messages).toEqual([]);
  });
});

describe('handleUplink: a join-accept with invalidated_downlinks, with E2E', () => {
  it('records the new session, moves the old queue to it, then forgets the old session’s key (its counter kept)', async () => {
    const world = setup();
    await world.deps.things.ensure({ deviceID: 'eui-0004a30b001c0530', devEUI: DEV_EUI });
    // Before the rejoin: session S1, 5 downlink counters reserved.
    await (world.shadows as InMemoryShadowStore).updateShadow(DEV_EUI, 'lorawan', {
      reported: {
        devAddr: OLD_DEV_ADDR,
        sessionID: OLD_SESSION,
        appSKeyEnvelope: { encryptedKey: wrapped(APP_S_KEY_HEX), kekLabel: 'kek-2' },
        lastAFCntDown: 0,
        fCntDown: 5,
        fCntDownSession: OLD_SESSION,
      },
    });
    await handleUplink(
      {
        end_device_ids: { ...endDeviceIds, dev_addr: NEW_DEV_ADDR },
        correlation_ids: ['as:up:01J2'],
        received_at: '2024-05-01T12:10:00Z',
        join_accept: {
          session_key_id: NEW_SESSION,
          app_s_key: { encrypted_key: wrapped(NEW_APP_S_KEY), kek_label: 'kek-2' },
          invalidated_downlinks: [downlink()],
          received_at: '2024-05-01T12:10:00Z',
        },
      },
      world.deps,
    );
    expect(world.shadows.reported(DEV_EUI, 'lorawan')).toMatchObject({
      sessionID: NEW_SESSION,
      fCntDownSession: NEW_SESSION,
      fCntDown: 1,
      earlierSessions: [{ sessionID: OLD_SESSION, fCntDown: 5 }],
    });
    const [replace] = world.publisher.on('thethings/lorawan/tts-stack/downlink/replace') as {
      downlinks: { f_cnt: number; frm_payload: string; session_key_id: string }[];
    }[];
    expect(replace?.downlinks).toMatchObject([{ f_cnt: 1, session_key_id: NEW_SESSION }]);
    expect(decrypt(NEW_APP_S_KEY, NEW_DEV_ADDR, 1, replace!.downlinks[0]!.frm_payload)).toBe(
      'open valve',
    );
    expect(world.publisher.on(`lorawan/${DEV_EUI}/join`)).toHaveLength(1);
  });
});
