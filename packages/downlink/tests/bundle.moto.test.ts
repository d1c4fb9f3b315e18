import { join } from 'node:path';

import { encryptFRMPayload, parseAesKey, parseDevAddr } from '@tts-aws-iot/lorawan';
import {
  actionOf,
  describeWithMoto,
  publishedOn,
  runContainer,
  startStackAccount,
  type StackAccount,
} from '@tts-aws-iot/test-kit';

import {
  APP_S_KEY_HEX,
  decryptPushed,
  DEV_ADDR,
  KEK_RING_SECRET,
  keyMaterialForms,
  SESSION_KEY_ID,
  sessionShadow,
  THING,
  WRAPPED_APP_S_KEY,
} from './fixtures';

const DOWNLINK_BUNDLE = join(__dirname, '../../../dist/packages/downlink/index.js');
const UPLINK_BUNDLE = join(__dirname, '../../../dist/packages/uplink/index.js');
const PUSH_TOPIC = 'thethings/lorawan/tts-stack/downlink/push';

type Push = {
  downlinks: {
    f_port: number;
    frm_payload: string;
    f_cnt: number;
    session_key_id: string;
    correlation_ids: string[];
  }[];
};

const decrypt = decryptPushed;

/**
 * The downlink bundle (and, for the round trip, the uplink bundle) as Lambda runs them,
 * through the real SDK clients, against moto, which enforces shadow versions.
 */
describeWithMoto('HandleDownlink bundle against moto', () => {
  let account: StackAccount;
  let env: Record<string, string>;

  beforeAll(async () => {
    account = await startStackAccount({
      secrets: { 'tts-stack/kek': KEK_RING_SECRET },
      env: { POWERTOOLS_LOG_LEVEL: 'DEBUG', POWERTOOLS_METRICS_NAMESPACE: 'TtsAwsIotTest' },
    });
    env = account.env;
  }, 60_000);

  afterAll(() => account?.stop());

  it('gives 50 concurrent downlinks for one device, from 5 containers, 50 distinct consecutive counters', async () => {
    await account.createThing(THING, {
      devEUI: THING,
      stackName: 'tts-stack',
      deviceID: 'eui-0004a30b001c0530',
    });
    await account.report(THING, sessionShadow); // lastAFCntDown 4: the first counter is 5
    await account.moto.startRecording();

    const requests = Array.from({ length: 50 }, (_, i) => ({
      thingName: THING,
      bytes: Buffer.from([i, 0xaa]).toString('base64'),
      fPort: 7,
    }));
    const runs = await Promise.all(
      [0, 1, 2, 3, 4].map((container) =>
        runContainer(DOWNLINK_BUNDLE, env, requests.slice(container * 10, container * 10 + 10), {
          concurrent: true,
        }),
      ),
    );
    for (const run of runs)
      expect(run.outcomes).toEqual(Array.from({ length: 10 }, () => ({ ok: true, value: null })));

    const downlinks = publishedOn(await account.moto.requests(), PUSH_TOPIC).map(
      (push) => (push as Push).downlinks[0]!,
    );
    expect(downlinks.map((d) => d.f_cnt).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 50 }, (_, i) => i + 5),
    );
    // Each payload decrypts, at its own counter, to the request it came from.
    expect(downlinks.map((d) => decrypt(d)).sort((a, b) => a[0]! - b[0]!)).toEqual(
      requests.map((_, i) => [i, 0xaa]),
    );
    expect(downlinks.every((d) => d.session_key_id === SESSION_KEY_ID && d.f_port === 7)).toBe(
      true,
    );
    expect((await account.shadow(THING)).state.reported['fCntDown']).toBe(54);
  }, 120_000);

  it('pushes the same frame at the same counter when Lambda retries an invocation (same request ID)', async () => {
    const thing = '0004A30B001C0DDD';
    await account.createThing(thing, { devEUI: thing, stackName: 'tts-stack', deviceID: 'ddd-1' });
    await account.report(thing, sessionShadow);
    await account.moto.startRecording();
    const request = { thingName: thing, bytes: 'AQI=', fPort: 9 };
    // The retry comes in another container, as after a timeout or a crash.
    const first = await runContainer(DOWNLINK_BUNDLE, env, [request], { requestIDs: ['r-42'] });
    const retry = await runContainer(DOWNLINK_BUNDLE, env, [request, request], {
      requestIDs: ['r-42', 'r-43'],
    });
    expect([...first.outcomes, ...retry.outcomes].every((outcome) => outcome.ok)).toBe(true);
    const downlinks = publishedOn(await account.moto.requests(), PUSH_TOPIC).map(
      (push) => (push as Push).downlinks[0]!,
    );
    expect(downlinks.map((d) => d.f_cnt)).toEqual([5, 5, 6]);
    expect(downlinks[1]).toEqual(downlinks[0]);
    expect((await account.shadow(thing)).state.reported['fCntDown']).toBe(6);
  }, 60_000);

  it('answers bad requests on the thing’s downlink/failed topic and ends successfully, pushing nothing', async () => {
    await account.createThing('0004A30B001C0AAA', {
      devEUI: '0004A30B001C0AAA',
      stackName: 'other-stack',
    });
    await account.createThing('0004A30B001C0BBB', {
      devEUI: '0004A30B001C0BBB',
      stackName: 'tts-stack',
    });
    const shadowBefore = await account.shadow(THING);
    await account.moto.startRecording();

    const cases: [unknown, string, string][] = [
      [
        { thingName: THING, bytes: 'AQ==', fPort: 0 },
        'invalid_f_port',
        `lorawan/${THING}/downlink/failed`,
      ],
      [
        { thingName: THING, payload: 'led on' },
        'invalid_payload',
        `lorawan/${THING}/downlink/failed`,
      ],
      [
        { thingName: THING, bytes: Buffer.alloc(243).toString('base64') },
        'payload_too_large',
        `lorawan/${THING}/downlink/failed`,
      ],
      [
        { thingName: 'FFFFFFFFFFFFFFFF', bytes: 'AQ==' },
        'unknown_thing',
        'lorawan/downlink/failed',
      ],
      [
        { thingName: 'other-stack_sensor-1', bytes: 'AQ==', note: 'unknown fields are ignored' },
        'unknown_thing',
        'lorawan/downlink/failed',
      ],
      [
        { thingName: '0004A30B001C0BBB', bytes: 'AQ==' },
        'no_session',
        'lorawan/0004A30B001C0BBB/downlink/failed',
      ],
      [{ bytes: 'AQ==' }, 'missing_thing_name', 'lorawan/downlink/failed'],
    ];
    // Another stack's thing: that stack answers, this one stays silent.
    const foreign = { thingName: '0004A30B001C0AAA', bytes: 'AQ==' };
    const run = await runContainer(DOWNLINK_BUNDLE, env, [
      ...cases.map(([request]) => request),
      foreign,
    ]);
    expect(run.outcomes.every((outcome) => outcome.ok)).toBe(true);

    const recording = await account.moto.requests();
    for (const [, name, topic] of cases) {
      expect(publishedOn(recording, topic)).toContainEqual(
        expect.objectContaining({
          downlink_failed: expect.objectContaining({
            error: expect.objectContaining({ namespace: 'tts-aws-iot', name }),
          }),
        }),
      );
    }
    expect(recording.filter((r) => actionOf(r) === 'Publish')).toHaveLength(cases.length);
    expect(publishedOn(recording, PUSH_TOPIC)).toEqual([]);
    expect(recording.some((r) => actionOf(r) === 'UpdateThingShadow')).toBe(false);
    expect((await account.shadow(THING)).version).toBe(shadowBefore.version);
    // A thing may have any name: a name is looked up, and answered as missing when it is.
    expect(recording.filter((r) => actionOf(r) === 'DescribeThing').map((r) => r.path)).toContain(
      '/things/other-stack_sensor-1',
    );
    // Powertools writes warnings to stderr; Lambda sends both streams to CloudWatch Logs.
    expect(`${run.stdout}${run.stderr}`.match(/"Downlink request rejected"/g)).toHaveLength(
      cases.length,
    );
    expect(run.stdout).toContain(
      '"Downlink request for a thing of another stack: left to that stack"',
    );
  }, 60_000);

  it('keeps the AppSKey and the KEK out of every log line, shadow and message of a full E2E round trip', async () => {
    const devEUI = '0004A30B001C0CCC';
    const ids = {
      device_id: 'eui-0004a30b001c0ccc',
      application_ids: { application_id: 'my-app' },
      dev_eui: devEUI,
      dev_addr: DEV_ADDR,
    };
    const envelope = { encrypted_key: WRAPPED_APP_S_KEY, kek_label: 'kek-2' };
    const frm = (plaintext: number[], fCnt: number, direction: 'up' | 'down') =>
      Buffer.from(
        encryptFRMPayload(
          parseAesKey(APP_S_KEY_HEX),
          direction,
          parseDevAddr(DEV_ADDR),
          fCnt,
          Uint8Array.from(plaintext),
        ),
      ).toString('base64');
    await account.moto.startRecording();

    // Join and two uplinks through the uplink bundle (a fresh container: the thing is created).
    const up = await runContainer(UPLINK_BUNDLE, env, [
      {
        end_device_ids: ids,
        correlation_ids: ['as:up:1'],
        received_at: '2024-05-01T12:00:00Z',
        join_accept: { session_key_id: SESSION_KEY_ID, app_s_key: envelope },
      },
      {
        end_device_ids: ids,
        received_at: '2024-05-01T12:01:00Z',
        uplink_message: {
          session_key_id: SESSION_KEY_ID,
          f_port: 1,
          f_cnt: 1,
          frm_payload: frm([0x11, 0x22], 1, 'up'),
          app_s_key: envelope,
          last_a_f_cnt_down: 2,
          rx_metadata: [{ gateway_ids: { gateway_id: 'gw-1' }, rssi: -70, snr: 8 }],
        },
      },
      {
        end_device_ids: ids,
        received_at: '2024-05-01T12:02:00Z',
        uplink_message: {
          session_key_id: SESSION_KEY_ID,
          f_port: 1,
          f_cnt: 2,
          frm_payload: frm([0x33], 2, 'up'),
          app_s_key: { key: APP_S_KEY_HEX },
          // Within a session the network's counter only grows (TTS omits it only while 0).
          last_a_f_cnt_down: 2,
        },
      },
      {
        end_device_ids: ids,
        uplink_message: {
          f_port: 1,
          f_cnt: 3,
          frm_payload: 'AQ==',
          app_s_key: { ...envelope, kek_label: 'kek-unknown' },
        },
      },
    ]);
    expect(up.outcomes.every((outcome) => outcome.ok)).toBe(true);
    const uplinks = publishedOn(await account.moto.requests(), `lorawan/${devEUI}/uplink`) as {
      uplink_message: { frm_payload: string };
    }[];
    // The uplink whose AppSKey came in the clear is refused (the Join Server has no KEK for it).
    expect(uplinks.map((u) => u.uplink_message.frm_payload)).toEqual(['ESI=']);

    // A downlink, then TTS reports its counter too low: the uplink bundle re-pushes it.
    const down = await runContainer(DOWNLINK_BUNDLE, env, [
      { thingName: devEUI, bytes: 'q80=', fPort: 9 },
    ]);
    expect(down.outcomes).toEqual([{ ok: true, value: null }]);
    const [pushed] = publishedOn(await account.moto.requests(), PUSH_TOPIC).map(
      (push) => (push as Push).downlinks[0]!,
    );
    expect(pushed!.f_cnt).toBe(3);
    const failed = {
      end_device_ids: ids,
      downlink_failed: {
        downlink: { ...pushed, priority: 'NORMAL' },
        error: {
          namespace: 'pkg/networkserver',
          name: 'f_cnt_too_low',
          attributes: { f_cnt: 3, min_f_cnt: 8 },
          code: 3,
        },
      },
    };
    const retry = await runContainer(UPLINK_BUNDLE, env, [failed]);
    expect(retry.outcomes).toEqual([{ ok: true, value: null }]);
    const repushed = publishedOn(await account.moto.requests(), PUSH_TOPIC).map(
      (push) => (push as Push).downlinks[0]!,
    );
    expect(repushed).toHaveLength(2);
    expect(repushed[1]).toMatchObject({
      f_cnt: 8,
      correlation_ids: [expect.stringMatching(/^tts-aws-iot:downlink:/), 'tts-aws-iot:attempt:2'],
    });
    expect(decrypt(repushed[1]!)).toEqual([0xab, 0xcd]);

    // Everything that left the functions: logs, every request to AWS, the final shadow.
    const shadow = await account.shadow(devEUI);
    expect(shadow.state.reported).toMatchObject({
      appSKeyEnvelope: { encryptedKey: WRAPPED_APP_S_KEY, kekLabel: 'kek-2' },
      fCntDown: 8,
    });
    const everything = [
      ...[up, down, retry].flatMap((run) => [run.stdout, run.stderr]),
      ...(await account.moto.requests()).map((request) => request.body),
      JSON.stringify(shadow),
    ].join('\n');
    // The logs are really there: the push, the re-push and the refused uplinks.
    expect(everything).toContain('"Downlink pushed to TTS"');
    expect(everything).toContain('"Downlink re-pushed at a higher frame counter"');
    expect(everything).toContain('unknown_kek_label');
    expect(everything).toContain('Session key refused');
    expect(everything).toContain('RefusedSessionKeys');
    for (const form of keyMaterialForms()) expect(everything).not.toContain(form);
  }, 120_000);
});
