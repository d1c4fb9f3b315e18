import { TransientError } from '@tts-aws-iot/integration';
import { pushFingerprint } from '@tts-aws-iot/integration/traffic';
import { InMemoryShadowStore } from '@tts-aws-iot/integration/testing';
import { decryptFRMPayload, parseAesKey, parseDevAddr } from '@tts-aws-iot/lorawan';

import { handleDownlink } from '../src/downlink';
import {
  APP_S_KEY_HEX,
  DEV_ADDR,
  keyMaterialForms,
  OTHER_STACKS_THING,
  SESSION_KEY_ID,
  sessionShadow,
  setup,
  THING,
} from './fixtures';

const PUSH_TOPIC = 'thethings/lorawan/tts-stack/downlink/push';
type Push = {
  end_device_ids: unknown;
  downlinks: { frm_payload?: string; f_cnt?: number; [key: string]: unknown }[];
};

function decrypt(push: Push, index = 0): number[] {
  const downlink = push.downlinks[index]!;
  return Array.from(
    decryptFRMPayload(
      parseAesKey(APP_S_KEY_HEX),
      'down',
      parseDevAddr(DEV_ADDR),
      downlink.f_cnt!,
      Buffer.from(downlink.frm_payload!, 'base64'),
    ),
  );
}

describe('handleDownlink without E2E', () => {
  it('pushes the bytes to TTS with the request’s options and a correlation ID', async () => {
    const world = await setup({ e2eEnabled: false, kekSecretID: undefined });
    const outcome = await handleDownlink(
      { thingName: THING, bytes: 'AQID', fPort: 15, confirmed: true, highPriority: true },
      world.deps,
    );
    expect(outcome).toEqual({
      status: 'pushed',
      thingName: THING,
      downlinkID: 'dl-1',
      fCnt: undefined,
    });
    expect(world.publisher.messages).toEqual([
      {
        topic: PUSH_TOPIC,
        qos: 1,
        payload: {
          end_device_ids: {
            device_id: 'eui-0004a30b001c0530',
            application_ids: { application_id: 'my-app' },
          },
          downlinks: [
            {
              f_port: 15,
              frm_payload: 'AQID',
              confirmed: true,
              priority: 'HIGH',
              correlation_ids: ['tts-aws-iot:downlink:dl-1', 'tts-aws-iot:attempt:1'],
            },
          ],
        },
      },
    ]);
    expect(world.shadows.calls).toEqual([]);
    expect(world.metrics['Downlinks']).toBe(1);
  });

  it('pushes a request with fields it does not know, ignoring them (a misspelt FPort takes the default)', async () => {
    const world = await setup({ e2eEnabled: false, kekSecretID: undefined });
    const outcome = await handleDownlink(
      { thingName: THING, bytes: 'AQID', FPort: 2, note: { from: 'app-v2' } },
      world.deps,
    );
    expect(outcome).toMatchObject({ status: 'pushed', thingName: THING });
    const push = world.publisher.messages[0]?.payload as Push;
    expect(push.downlinks[0]).toMatchObject({ f_port: 1, frm_payload: 'AQID' });
    expect(JSON.stringify(push)).not.toContain('app-v2');
  });

  it('pushes payload JSON for TTS’s payload formatter, at normal priority on port 1 by default', async () => {
    const world = await setup({ e2eEnabled: false, kekSecretID: undefined });
    await handleDownlink({ thingName: THING, payload: { led: 'on' } }, world.deps);
    expect((world.publisher.messages[0]?.payload as Push).downlinks[0]).toEqual({
      f_port: 1,
      decoded_payload: { led: 'on' },
      confirmed: false,
      priority: 'NORMAL',
      correlation_ids: ['tts-aws-iot:downlink:dl-1', 'tts-aws-iot:attempt:1'],
    });
  });
});

describe('handleDownlink with E2E', () => {
  it('encrypts with the session AppSKey at the next counter and pushes it with the session', async () => {
    const world = await setup();
    const outcome = await handleDownlink(
      { thingName: THING, bytes: 'yv4AQg==', fPort: 3 },
      world.deps,
    );
    expect(outcome).toMatchObject({ status: 'pushed', fCnt: 5 });
    const push = world.publisher.messages[0]?.payload as Push;
    expect(push.downlinks[0]).toMatchObject({
      f_port: 3,
      session_key_id: SESSION_KEY_ID,
      f_cnt: 5,
    });
    expect(push.downlinks[0]?.frm_payload).not.toBe('yv4AQg==');
    expect(decrypt(push)).toEqual([0xca, 0xfe, 0x00, 0x42]);
    expect(world.shadows.reported(THING, 'lorawan')?.['fCntDown']).toBe(5);
  });

  it('gives 50 concurrent requests for one device 50 distinct consecutive counters', async () => {
    const world = await setup();
    await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        handleDownlink(
          { thingName: THING, bytes: Buffer.from([i]).toString('base64') },
          world.deps,
        ),
      ),
    );
    const pushes = world.publisher.messages.map((m) => m.payload as Push);
    expect(pushes.map((p) => p.downlinks[0]!.f_cnt).sort((a, b) => a! - b!)).toEqual(
      Array.from({ length: 50 }, (_, i) => i + 5),
    );
    // Each payload decrypts at its own counter to what was asked.
    expect(pushes.map((p) => decrypt(p)[0]).sort((a, b) => a! - b!)).toEqual(
      Array.from({ length: 50 }, (_, i) => i),
    );
  });

  it('pushes the same frame at the same counter when Lambda retries the invocation', async () => {
    const world = await setup();
    const request = { thingName: THING, bytes: 'yv4AQg==' };
    const first = await handleDownlink(request, world.deps, 'request-1');
    const other = await handleDownlink(request, world.deps, 'request-2');
    const retry = await handleDownlink(request, world.deps, 'request-1');
    expect(
      [first, other, retry].map((outcome) => outcome.status === 'pushed' && outcome.fCnt),
    ).toEqual([5, 6, 5]);
    const pushes = world.publisher.on(PUSH_TOPIC) as Push[];
    expect(pushes[2]).toEqual(pushes[0]);
    expect(pushes[0]?.downlinks[0]?.['correlation_ids']).toContain(
      'tts-aws-iot:downlink:request-1',
    );
    expect(world.shadows.reported(THING, 'lorawan')?.['fCntDown']).toBe(6);
  });

  it('pushes the same frame at the same counter when Lambda retries after 50 other downlinks in between', async () => {
    const world = await setup();
    let now = 1_700_000_000_000;
    const deps = { ...world.deps, now: () => now };
    const request = { thingName: THING, bytes: 'yv4AQg==' };
    const first = await handleDownlink(request, deps, 'request-1');
    for (let i = 0; i < 50; i++) {
      now += 1000;
      await handleDownlink({ thingName: THING, bytes: 'AQ==' }, deps, `other-${i}`);
    }
    now += 60_000;
    const retry = await handleDownlink(request, deps, 'request-1');
    expect(first).toMatchObject({ status: 'pushed', fCnt: 5 });
    expect(retry).toMatchObject({ status: 'pushed', fCnt: 5 });
    const pushes = world.publisher.on(PUSH_TOPIC) as Push[];
    expect(pushes.at(-1)).toEqual(pushes[0]);
    expect(world.shadows.reported(THING, 'lorawan')?.['fCntDown']).toBe(55);
  });

  it('records each push with its counter and the fingerprint of what it carried', async () => {
    const world = await setup();
    await handleDownlink({ thingName: THING, bytes: 'yv4AQg==', fPort: 3 }, world.deps, 'r-1');
    const [push] = world.publisher.on(PUSH_TOPIC) as Push[];
    const ciphertext = Buffer.from(push!.downlinks[0]!.frm_payload!, 'base64');
    expect(world.shadows.reported(THING, 'lorawan')?.['recentDownlinks']).toEqual([
      { id: 'r-1', fCnt: 5, at: expect.any(Number), sha: pushFingerprint(3, ciphertext) },
    ]);
    const seen = JSON.stringify(world.shadows.reported(THING, 'lorawan'));
    expect(seen).not.toContain('yv4AQg==');
  });

  it('never lets the AppSKey or the KEK reach a message or a log line', async () => {
    const world = await setup();
    await handleDownlink({ thingName: THING, bytes: 'AQ==' }, world.deps);
    await handleDownlink({ thingName: THING, payload: { a: 1 } }, world.deps);
    const seen = JSON.stringify({ published: world.publisher.messages, logs: world.logs });
    for (const form of keyMaterialForms()) expect(seen).not.toContain(form);
  });

  describe('a shadow writer who moves the counter back (keystream reuse)', () => {
    const pushedCounters = (world: Awaited<ReturnType<typeof setup>>) =>
      world.publisher.messages.flatMap((m) => (m.payload as Push).downlinks.map((d) => d.f_cnt));

    it('does not get a counter of the keystream used twice: the container keeps what it reserved', async () => {
      const world = await setup();
      await handleDownlink({ thingName: THING, bytes: 'AQ==' }, world.deps);
      await world.shadows.updateShadow(THING, 'lorawan', {
        reported: { fCntDown: 0, lastAFCntDown: 0, recentDownlinks: [], fCntDownSession: 'Zm9v' },
      });
      await handleDownlink({ thingName: THING, bytes: 'Ag==' }, world.deps);
      expect(pushedCounters(world)).toEqual([5, 6]);
      expect(world.shadows.reported(THING, 'lorawan')?.['fCntDown']).toBe(6);
    });

    it('nor by copying the session into the shadow of another thing of the stack', async () => {
      const world = await setup();
      await handleDownlink({ thingName: THING, bytes: 'AQ==' }, world.deps);
      const copy = '0004A30B001C0BBB';
      world.registry.things.set(copy, {
        thingName: copy,
        thingTypeName: 'lorawan',
        attributes: { devEUI: copy, stackName: 'tts-stack', deviceID: 'eui-0004a30b001c0530' },
      });
      await world.shadows.updateShadow(copy, 'lorawan', {
        reported: { ...sessionShadow, lastAFCntDown: 0 },
      });
      await handleDownlink({ thingName: copy, bytes: 'Ag==' }, world.deps);
      expect(pushedCounters(world)).toEqual([5, 6]);
    });
  });

  it('leaves a failing dependency to Lambda’s retries, without answering', async () => {
    const world = await setup();
    (world.shadows as InMemoryShadowStore).getShadow = async () => {
      throw new TransientError('aws_throttled', 'throttled');
    };
    await expect(
      handleDownlink({ thingName: THING, bytes: 'AQ==' }, world.deps),
    ).rejects.toMatchObject({ code: 'aws_throttled' });
    expect(world.publisher.messages).toEqual([]);
  });
});

const GENERIC = 'lorawan/downlink/failed';

describe('handleDownlink refusals', () => {
  const answerOn = (thing: string) => `lorawan/${thing}/downlink/failed`;
  // Things of the stack whose state a downlink cannot use.
  const [NOID, NOSESSION, DAMAGED, OLDKEK] = [
    '0004A30B001C0A01',
    '0004A30B001C0A02',
    '0004A30B001C0A03',
    '0004A30B001C0A04',
  ];
  // Every refusal is answered with its own error name, on the thing's topic when the thing is
  // ours, and nothing reaches TTS or the shadow.
  it.each<[string, unknown, string, string, number, Record<string, unknown>]>([
    ['text that is not JSON', '{"thingName"', 'invalid_request', GENERIC, 3, {}],
    ['a JSON array', [{ thingName: THING }], 'invalid_request', GENERIC, 3, {}],
    ['null', null, 'invalid_request', GENERIC, 3, {}],
    ['no thingName', { bytes: 'AQ==' }, 'missing_thing_name', GENERIC, 3, {}],
    ['an empty thingName', { thingName: '', bytes: 'AQ==' }, 'missing_thing_name', GENERIC, 3, {}],
    [
      'a thingName with a wildcard',
      { thingName: 'a/#', bytes: 'AQ==' },
      'invalid_thing_name',
      GENERIC,
      3,
      {},
    ],
    ['neither bytes nor payload', { thingName: THING }, 'missing_payload', answerOn(THING), 3, {}],
    [
      'bytes and payload',
      { thingName: THING, bytes: 'AQ==', payload: { a: 1 } },
      'ambiguous_payload',
      answerOn(THING),
      3,
      {},
    ],
    [
      'bytes that are not base64',
      { thingName: THING, bytes: 'not base64!' },
      'invalid_bytes',
      answerOn(THING),
      3,
      {},
    ],
    ['bytes as a number', { thingName: THING, bytes: 12 }, 'invalid_bytes', answerOn(THING), 3, {}],
    [
      '243 bytes',
      { thingName: THING, bytes: Buffer.alloc(243, 1).toString('base64') },
      'payload_too_large',
      answerOn(THING),
      3,
      {},
    ],
    [
      'payload JSON with E2E',
      { thingName: THING, payload: { led: 'on' } },
      'payload_not_supported_with_e2e',
      answerOn(THING),
      3,
      {},
    ],
    [
      'fPort 0',
      { thingName: THING, bytes: 'AQ==', fPort: 0 },
      'invalid_f_port',
      answerOn(THING),
      3,
      {},
    ],
    [
      'fPort 224',
      { thingName: THING, bytes: 'AQ==', fPort: 224 },
      'invalid_f_port',
      answerOn(THING),
      3,
      {},
    ],
    [
      'fPort -1',
      { thingName: THING, bytes: 'AQ==', fPort: -1 },
      'invalid_f_port',
      answerOn(THING),
      3,
      {},
    ],
    [
      'fPort "10"',
      { thingName: THING, bytes: 'AQ==', fPort: '10' },
      'invalid_f_port',
      answerOn(THING),
      3,
      {},
    ],
    [
      'confirmed "true"',
      { thingName: THING, bytes: 'AQ==', confirmed: 'true' },
      'invalid_confirmed',
      answerOn(THING),
      3,
      {},
    ],
    [
      'highPriority 1',
      { thingName: THING, bytes: 'AQ==', highPriority: 1 },
      'invalid_high_priority',
      answerOn(THING),
      3,
      {},
    ],
    [
      'an unknown thing',
      { thingName: 'FFFFFFFFFFFFFFFF', bytes: 'AQ==' },
      'unknown_thing',
      GENERIC,
      5,
      {},
    ],
    [
      'a thing that no stack manages, as it answers a missing one',
      { thingName: '0004A30B001C0A00', bytes: 'AQ==' },
      'unknown_thing',
      GENERIC,
      5,
      {},
    ],
    [
      'a thing without device identity',
      { thingName: NOID, bytes: 'AQ==' },
      'unknown_device',
      answerOn(NOID),
      9,
      {},
    ],
    [
      'a thing without session',
      { thingName: NOSESSION, bytes: 'AQ==' },
      'no_session',
      answerOn(NOSESSION),
      9,
      {},
    ],
    [
      'a thing with a damaged session',
      { thingName: DAMAGED, bytes: 'AQ==' },
      'invalid_session_state',
      answerOn(DAMAGED),
      9,
      { field: 'devAddr' },
    ],
    [
      'a session wrapped under an unknown KEK',
      { thingName: OLDKEK, bytes: 'AQ==' },
      'unknown_kek_label',
      answerOn(OLDKEK),
      9,
      { kekLabel: 'kek-0' },
    ],
  ])('answers %s', async (_label, request, name, topic, grpcCode, attributes) => {
    const world = await setup();
    world.registry.things.set('0004A30B001C0A00', {
      thingName: '0004A30B001C0A00',
      attributes: { devEUI: '0004A30B001C0A00' },
    });
    world.registry.things.set(NOID, {
      thingName: NOID,
      thingTypeName: 'lorawan',
      attributes: { stackName: 'tts-stack' },
    });
    for (const thingName of [NOSESSION, DAMAGED, OLDKEK])
      world.registry.things.set(thingName, {
        thingName,
        thingTypeName: 'lorawan',
        attributes: { stackName: 'tts-stack', deviceID: `eui-${thingName.toLowerCase()}` },
      });
    await world.shadows.updateShadow(DAMAGED, 'lorawan', {
      reported: { ...sessionShadow, devAddr: 'zz' },
    });
    await world.shadows.updateShadow(OLDKEK, 'lorawan', {
      reported: {
        ...sessionShadow,
        appSKeyEnvelope: { ...sessionShadow.appSKeyEnvelope, kekLabel: 'kek-0' },
      },
    });
    const before = JSON.stringify([...world.shadows.shadows.entries()]);

    const outcome = await handleDownlink(request, world.deps).catch((error: unknown) => ({
      thrown: error,
    }));

    if ('thrown' in outcome) {
      // Not the application's fault: answered all the same, then left to the error policy.
      expect(outcome.thrown).toMatchObject({ code: name, retryable: false, attributes });
    } else {
      expect(outcome).toEqual({ status: 'rejected', code: name, topic });
    }
    expect(world.publisher.messages).toHaveLength(1);
    const [answer] = world.publisher.messages;
    expect(answer?.topic).toBe(topic);
    expect(answer?.payload).toMatchObject({
      correlation_ids: ['tts-aws-iot:downlink:dl-1', 'tts-aws-iot:attempt:1'],
      downlink_failed: {
        error: {
          namespace: 'tts-aws-iot',
          name,
          code: grpcCode,
          message_format: expect.stringMatching(/\.$/),
        },
      },
    });
    expect(JSON.stringify([...world.shadows.shadows.entries()])).toBe(before);
    expect(world.metrics['DownlinkRejections']).toBe(1);
    expect(world.metrics['Downlinks']).toBeUndefined();
  });
});

describe('handleDownlink with several stacks in one account', () => {
  // Every stack's HandleDownlink receives every request on lorawan/downlink.
  const describeCalls = (world: Awaited<ReturnType<typeof setup>>) =>
    world.registry.calls.filter((call) => call.method === 'describeThing');

  it.each([
    ['a request', { thingName: OTHER_STACKS_THING, bytes: 'AQ==' }],
    ['a malformed request', { thingName: OTHER_STACKS_THING, bytes: 'AQ==', fPort: 0 }],
  ])(
    'leaves %s for a thing of another stack to that stack: nothing published, nothing counted',
    async (_label, request) => {
      const world = await setup();
      await expect(handleDownlink(request, world.deps)).resolves.toEqual({
        status: 'ignored',
        thingName: OTHER_STACKS_THING,
        reason: 'the thing belongs to stack other',
      });
      expect(world.publisher.messages).toEqual([]);
      expect(world.metrics).toEqual({});
      expect(world.logs).toEqual([
        {
          level: 'info',
          message: 'Downlink request for a thing of another stack: left to that stack',
          attributes: { thing_name: OTHER_STACKS_THING, owner_stack: 'other', downlink_id: 'dl-1' },
        },
      ]);
    },
  );

  it.each(['DevEUI', 'DeviceID'] as const)(
    'pushes to a thing of this stack by whatever name it was created with (%s scheme)',
    async (thingNameScheme) => {
      const world = await setup({ thingNameScheme });
      world.registry.things.set('greenhouse-7', {
        thingName: 'greenhouse-7',
        thingTypeName: 'lorawan',
        attributes: { devEUI: '0004A30B001C0B07', stackName: 'tts-stack' },
      });
      await world.shadows.updateShadow('greenhouse-7', 'lorawan', { reported: sessionShadow });
      await expect(
        handleDownlink({ thingName: 'greenhouse-7', bytes: 'AQ==' }, world.deps),
      ).resolves.toMatchObject({ status: 'pushed', thingName: 'greenhouse-7', fCnt: 5 });
      expect(world.publisher.messages[0]?.payload).toMatchObject({
        end_device_ids: { device_id: 'eui-0004a30b001c0b07' },
      });
    },
  );

  it('refuses a thing whose DevEUI has another thing of this stack too, naming both', async () => {
    const world = await setup();
    world.registry.things.set('twin', {
      thingName: 'twin',
      thingTypeName: 'lorawan',
      attributes: { devEUI: THING, stackName: 'tts-stack' },
    });
    await expect(handleDownlink({ thingName: 'twin', bytes: 'AQ==' }, world.deps)).resolves.toEqual(
      { status: 'rejected', code: 'duplicate_things', topic: GENERIC },
    );
    expect(world.publisher.messages[0]?.payload).toMatchObject({
      downlink_failed: {
        error: { name: 'duplicate_things', message_format: expect.stringContaining('(') },
      },
    });
  });

  it('never echoes the payload of a refused request on the shared lorawan/downlink/failed topic', async () => {
    const world = await setup();
    const bytes = Buffer.from('secret-command').toString('base64');
    for (const request of [
      { thingName: '0004A30B001C0FFF', bytes, fPort: 2 },
      { thingName: 'a/#', bytes },
      { bytes },
      { thingName: '0004A30B001C0FFF', payload: { command: 'open-the-door' } },
    ]) {
      await handleDownlink(request, world.deps);
    }
    const shared = world.publisher.on(GENERIC);
    expect(shared).toHaveLength(4);
    const text = JSON.stringify(shared);
    expect(text).not.toContain(bytes);
    expect(text).not.toContain('open-the-door');
    expect(text).not.toContain('frm_payload');
  });

  it('answers an unknown thing that the stack could have on lorawan/downlink/failed, after asking the registry', async () => {
    const world = await setup({ thingNameScheme: 'DeviceID' });
    await expect(
      handleDownlink({ thingName: 'tts-stack_sensor-9', bytes: 'AQ==' }, world.deps),
    ).resolves.toEqual({
      status: 'rejected',
      code: 'unknown_thing',
      topic: GENERIC,
    });
    expect(describeCalls(world).map((call) => call.args)).toEqual([['tts-stack_sensor-9']]);
    expect(world.publisher.messages[0]?.payload).toMatchObject({
      downlink_failed: { error: { name: 'unknown_thing', code: 5 } },
    });
  });
});
