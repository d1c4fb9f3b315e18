import { CachedSecretReader } from '@tts-aws-iot/aws';
import {
  InputError,
  IntegrationError,
  ThingDirectory,
  type MessagePublisher,
  type ShadowStore,
} from '@tts-aws-iot/integration';
import {
  KekRingSource,
  MAX_DOWNLINK_REPUSHES,
  pushFingerprint,
} from '@tts-aws-iot/integration/traffic';
import {
  InMemorySecretReader,
  InMemoryShadowStore,
  InMemoryThingRegistry,
} from '@tts-aws-iot/integration/testing';
import { wrapKey } from '@tts-aws-iot/keywrap';
import { decryptFRMPayload, parseAesKey, parseDevAddr } from '@tts-aws-iot/lorawan';

import { handleUplink } from '../src/uplink';
import {
  APP_S_KEY_ENVELOPE,
  APP_S_KEY_HEX,
  DEV_ADDR,
  DEV_EUI,
  e2eUplink,
  encryptUp,
  endDeviceIds,
  everythingSeen,
  joinAccept,
  KEK_RING_SECRET,
  keyMaterialForms,
  plainUplink,
  plainUplinkAt,
  SESSION_KEY_ID,
  setup,
} from './fixtures';

const base64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');

describe('handleUplink: things', () => {
  it('creates the thing of a new device with the thing type, devEUI, stackName and deviceID', async () => {
    const world = setup();
    await handleUplink(e2eUplink(), world.deps);
    expect(world.registry.things.get(DEV_EUI)).toMatchObject({
      thingName: DEV_EUI,
      thingTypeName: 'lorawan',
      attributes: { devEUI: DEV_EUI, stackName: 'tts-stack', deviceID: 'eui-0004a30b001c0530' },
      version: 1,
    });
  });

  it('names things <stack>_<deviceID> under the DeviceID scheme', async () => {
    const world = setup({ thingNameScheme: 'DeviceID' });
    const outcome = await handleUplink(plainUplink(), world.deps);
    expect(outcome).toMatchObject({ thingName: 'tts-stack_eui-0004a30b001c0530' });
    expect(world.publisher.messages[0]?.topic).toBe(
      'lorawan/tts-stack_eui-0004a30b001c0530/uplink',
    );
  });

  it('refuses a thing of another stack, and touches nothing', async () => {
    const world = setup();
    world.registry.things.set(DEV_EUI, {
      thingName: DEV_EUI,
      attributes: { devEUI: DEV_EUI, stackName: 'other-stack' },
    });
    const error = await handleUplink(e2eUplink(), world.deps).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InputError);
    expect((error as Error).message).toContain(
      `DevEUI ${DEV_EUI} is registered for mismatching stack other-stack`,
    );
    expect(world.publisher.messages).toEqual([]);
    expect(world.shadows.calls).toEqual([]);
  });

  it('creates a thing again when it was deleted since the container remembered it', async () => {
    const world = setup();
    await handleUplink(plainUplink(), world.deps);
    world.registry.things.delete(DEV_EUI);
    const update = world.shadows.updateShadow.bind(world.shadows);
    world.shadows.updateShadow = async (name, shadow, change) => {
      if (!world.registry.things.has(name))
        throw new IntegrationError('aws_not_found', 'gone', false);
      return update(name, shadow, change);
    };
    await handleUplink(plainUplinkAt(13), world.deps);
    expect(world.registry.things.has(DEV_EUI)).toBe(true);
    expect(world.shadows.reported(DEV_EUI, 'lorawan')?.['fCntUp']).toBe(13);
  });
});

describe('handleUplink: steady state', () => {
  it('makes exactly two AWS calls per uplink, UpdateThingShadow and Publish, concurrently', async () => {
    const registry = new InMemoryThingRegistry();
    const secrets = new InMemorySecretReader(new Map([['tts-stack/kek', KEK_RING_SECRET]]));
    const calls: string[] = [];
    const inFlight = new Set<string>();
    let overlapped = false;
    // Each call stays pending until the other one has started too: only concurrent calls finish.
    const gate = (name: string) => {
      calls.push(name);
      inFlight.add(name);
      if (inFlight.size === 2) overlapped = true;
      return new Promise<void>((resolve) =>
        setImmediate(() =>
          setImmediate(() => {
            inFlight.delete(name);
            resolve();
          }),
        ),
      );
    };
    const shadows: ShadowStore = {
      getShadow: async () => {
        calls.push('GetThingShadow');
        return undefined;
      },
      updateShadow: async () => {
        await gate('UpdateThingShadow');
        return { version: 1 };
      },
    };
    const publisher: MessagePublisher = { publish: () => gate('Publish') };
    const world = setup();
    const deps = {
      ...world.deps,
      things: new ThingDirectory(registry, world.deps.config),
      shadows,
      publisher,
      keks: new KekRingSource(new CachedSecretReader(secrets), 'tts-stack/kek'),
    };

    await handleUplink(e2eUplink(), deps); // cold: registry and secret
    calls.length = 0;
    const registryCalls = registry.calls.length;
    overlapped = false;
    for (let fCnt = 70_001; fCnt < 70_011; fCnt++) {
      await handleUplink(e2eUplink(undefined, fCnt), deps);
      expect(overlapped).toBe(true);
      overlapped = false;
    }
    expect(calls).toHaveLength(20);
    expect(calls.filter((c) => c === 'UpdateThingShadow')).toHaveLength(10);
    expect(calls.filter((c) => c === 'Publish')).toHaveLength(10);
    expect(registry.calls).toHaveLength(registryCalls);
    expect(secrets.reads).toHaveLength(1);
  });
});

describe('handleUplink: join-accept', () => {
  it('starts the session in the shadow, keeping the AppSKey wrapped, and republishes without it', async () => {
    const world = setup();
    await handleUplink(joinAccept(), world.deps);
    expect(world.shadows.reported(DEV_EUI, 'lorawan')).toEqual({
      activated: '2024-05-01T11:59:00.000000001Z',
      lastSeen: '2024-05-01T11:59:00.000000001Z',
      devAddr: DEV_ADDR,
      sessionID: SESSION_KEY_ID,
      fCntUp: 0,
      lastAFCntDown: 0,
      // The session's downlink counter from activation, as TTS's integration documents.
      fCntDown: 0,
      fCntDownSession: SESSION_KEY_ID,
      appSKeyEnvelope: { encryptedKey: APP_S_KEY_ENVELOPE.encrypted_key, kekLabel: 'kek-2' },
    });
    expect(world.publisher.messages).toEqual([
      {
        topic: `lorawan/${DEV_EUI}/join`,
        qos: 1,
        payload: {
          end_device_ids: endDeviceIds,
          correlation_ids: ['as:up:01HZZ8J0'],
          received_at: '2024-05-01T11:59:00.000000001Z',
          join_accept: { session_key_id: SESSION_KEY_ID, received_at: '2024-05-01T11:59:00Z' },
          thingName: DEV_EUI,
        },
      },
    ]);
    expect(world.metrics['Joins']).toBe(1);
  });

  it('wraps an AppSKey that TTS sent in the clear before the shadow keeps it, when ALLOW_PLAINTEXT_SESSION_KEYS allows it', async () => {
    const world = setup({ allowPlaintextSessionKeys: true });
    await handleUplink(joinAccept({ key: APP_S_KEY_HEX }), world.deps);
    const envelope = world.shadows.reported(DEV_EUI, 'lorawan')?.['appSKeyEnvelope'] as {
      encryptedKey: string;
      kekLabel: string;
    };
    expect(envelope.kekLabel).toBe('kek-2');
    expect(envelope.encryptedKey).toBe(APP_S_KEY_ENVELOPE.encrypted_key);
    const seen = everythingSeen(world);
    for (const form of keyMaterialForms()) expect(seen).not.toContain(form);
  });

  it.each([
    ['a join-accept', () => joinAccept({ key: APP_S_KEY_HEX })],
    [
      'an uplink',
      () => {
        const message = e2eUplink(Uint8Array.of(1, 2, 3));
        (message.uplink_message as { app_s_key: unknown }).app_s_key = { key: APP_S_KEY_HEX };
        return message;
      },
    ],
  ])(
    'refuses %s with a plaintext AppSKey under E2E: nothing stored, decrypted or published, counted as RefusedSessionKeys',
    async (_, message) => {
      const world = setup();
      await world.deps.things.ensure({ deviceID: 'eui-0004a30b001c0530', devEUI: DEV_EUI });
      await world.shadows.updateShadow(DEV_EUI, 'lorawan', {
        reported: {
          sessionID: 'b2xkLXNlc3Npb24=',
          appSKeyEnvelope: { encryptedKey: 'x', kekLabel: 'kek-2' },
        },
      });
      const before = world.shadows.reported(DEV_EUI, 'lorawan');
      const outcome = await handleUplink(message(), world.deps);
      expect(outcome).toMatchObject({ status: 'ignored', reason: 'plaintext session key refused' });
      expect(world.shadows.reported(DEV_EUI, 'lorawan')).toEqual(before);
      expect(world.publisher.messages).toEqual([]);
      expect(world.metrics['RefusedSessionKeys']).toBe(1);
      expect(world.metrics['Uplinks'] ?? 0).toBe(0);
      expect(world.logs).toContainEqual(
        expect.objectContaining({
          level: 'warn',
          message: expect.stringContaining(
            'Join Server sent the AppSKey in the clear, so it has no KEK for this device',
          ),
        }),
      );
      const seen = everythingSeen(world);
      for (const form of keyMaterialForms()) expect(seen).not.toContain(form);
    },
  );

  it('refuses a join whose AppSKey is wrapped under a label the ring lacks, naming it', async () => {
    const world = setup();
    const error = await handleUplink(
      joinAccept({ ...APP_S_KEY_ENVELOPE, kek_label: 'kek-9' }),
      world.deps,
    ).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'unknown_kek_label', retryable: false });
    expect((error as Error).message).toContain('"kek-9"');
    expect(world.metrics['DecryptFailures']).toBe(1);
    expect(world.publisher.messages).toEqual([]);
    expect(world.shadows.calls).toEqual([]);
  });
});

describe('handleUplink: uplinks with E2E', () => {
  it('decrypts at the full 32-bit frame counter and republishes the plaintext without the key', async () => {
    const world = setup();
    const plaintext = Uint8Array.of(0xca, 0xfe, 0x00, 0x42);
    const message = e2eUplink(plaintext, 70_000);
    await handleUplink(message, world.deps);
    const [published] = world.publisher.messages;
    expect(published?.topic).toBe(`lorawan/${DEV_EUI}/uplink`);
    const { app_s_key: _key, ...uplinkWithoutKey } = message.uplink_message;
    expect(published?.payload).toEqual({
      ...message,
      thingName: DEV_EUI,
      uplink_message: { ...uplinkWithoutKey, frm_payload: base64(plaintext) },
    });
    expect(world.metrics['Uplinks']).toBe(1);
  });

  it('reports the metrics and the session, with fCntDown raised to TTS’s last_a_f_cnt_down', async () => {
    const world = setup();
    await handleUplink(e2eUplink(), world.deps);
    expect(world.shadows.reported(DEV_EUI, 'lorawan')).toEqual({
      lastSeen: '2024-05-01T12:00:00.123456789Z',
      fCntUp: 70_000,
      gateways: 2,
      rssi: -97,
      snr: 7.25,
      devAddr: DEV_ADDR,
      sessionID: SESSION_KEY_ID,
      appSKeyEnvelope: { encryptedKey: APP_S_KEY_ENVELOPE.encrypted_key, kekLabel: 'kek-2' },
      lastAFCntDown: 4,
      fCntDown: 4,
      fCntDownSession: SESSION_KEY_ID,
    });
  });

  it('keeps only the E2E session with ThingShadowMetrics=false', async () => {
    const world = setup({ thingShadowMetrics: false });
    await handleUplink(e2eUplink(), world.deps);
    expect(world.shadows.reported(DEV_EUI, 'lorawan')).toEqual({
      devAddr: DEV_ADDR,
      sessionID: SESSION_KEY_ID,
      appSKeyEnvelope: { encryptedKey: APP_S_KEY_ENVELOPE.encrypted_key, kekLabel: 'kek-2' },
      lastAFCntDown: 4,
      fCntDown: 4,
      fCntDownSession: SESSION_KEY_ID,
    });
  });

  it('decrypts a session wrapped under an older KEK of the ring', async () => {
    const world = setup();
    const old = base64(
      wrapKey(
        Buffer.from('11223344556677881122334455667788', 'hex'),
        Buffer.from(APP_S_KEY_HEX, 'hex'),
      ),
    );
    const message = e2eUplink(Uint8Array.of(9, 8, 7));
    message.uplink_message.app_s_key = { encrypted_key: old, kek_label: 'kek-1' };
    await handleUplink(message, world.deps);
    expect(
      (world.publisher.messages[0]?.payload as { uplink_message: { frm_payload: string } })
        .uplink_message.frm_payload,
    ).toBe(base64(Uint8Array.of(9, 8, 7)));
  });

  it('refuses an FRMPayload beyond the LoRaWAN maximum as bad input: not retried, nothing stored or published', async () => {
    const world = setup();
    const error = await handleUplink(e2eUplink(new Uint8Array(243)), world.deps).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(InputError);
    expect(error).toMatchObject({ code: 'frm_payload_too_long', retryable: false });
    expect(world.publisher.messages).toEqual([]);
    expect(world.shadows.calls).toEqual([]);
    expect(world.registry.calls).toEqual([]);
  });

  it('never lets the AppSKey or a KEK reach a shadow, a message or a log line', async () => {
    const world = setup();
    await handleUplink(joinAccept(), world.deps);
    await handleUplink(e2eUplink(), world.deps);
    await handleUplink(joinAccept({ key: APP_S_KEY_HEX }), world.deps);
    await handleUplink(joinAccept({ key: APP_S_KEY_HEX }), {
      ...world.deps,
      keks: new KekRingSource(
        new InMemorySecretReader(new Map([['tts-stack/kek', KEK_RING_SECRET]])),
        'tts-stack/kek',
        { allowPlaintextKeys: true },
      ),
    });
    await handleUplink(joinAccept({ ...APP_S_KEY_ENVELOPE, kek_label: 'nope' }), world.deps).catch(
      () => undefined,
    );
    const seen = everythingSeen(world);
    for (const form of keyMaterialForms()) expect(seen).not.toContain(form);
  });
});

describe('handleUplink: uplinks without E2E', () => {
  it('republishes as TTS sent it and keeps the decoded payload in the shadow', async () => {
    const world = setup({ e2eEnabled: false, kekSecretID: undefined });
    const message = plainUplink();
    await handleUplink(message, world.deps);
    expect(world.publisher.messages[0]?.payload).toEqual({ ...message, thingName: DEV_EUI });
    expect(world.shadows.reported(DEV_EUI, 'lorawan')).toMatchObject({
      payload: { temperature: 21.5, humidity: 40 },
      fCntUp: 12,
      rssi: -80,
      snr: 9,
      gateways: 1,
    });
  });

  it('leaves a payload out of the shadow when it would pass 8 KB, clears the old one and says why', async () => {
    const world = setup({ e2eEnabled: false, kekSecretID: undefined });
    await handleUplink(plainUplink(), world.deps);
    await handleUplink(
      plainUplinkAt(13, undefined, { samples: Array.from({ length: 2000 }, (_, i) => i) }),
      world.deps,
    );
    expect(world.shadows.reported(DEV_EUI, 'lorawan')).not.toHaveProperty('payload');
    expect(world.logs).toContainEqual(
      expect.objectContaining({
        level: 'warn',
        message: 'Decoded payload left out of the shadow',
        attributes: expect.objectContaining({ reason: expect.stringMatching(/8192/) }),
      }),
    );
    expect(world.metrics['ShadowPayloadsLeftOut']).toBe(1);
  });

  it('makes no shadow update at all with ThingShadowMetrics=false', async () => {
    const world = setup({ e2eEnabled: false, kekSecretID: undefined, thingShadowMetrics: false });
    await handleUplink(plainUplink(), world.deps);
    expect(world.shadows.calls).toEqual([]);
    expect(world.publisher.messages).toHaveLength(1);
  });

  it('strips an AppSKey that TTS sends although E2E is off here', async () => {
    const world = setup({ e2eEnabled: false, kekSecretID: undefined });
    await handleUplink(e2eUplink(), world.deps);
    expect(JSON.stringify(world.publisher.messages)).not.toContain('app_s_key');
  });
});

describe('handleUplink: other messages', () => {
  const downlink = {
    f_port: 1,
    f_cnt: 5,
    frm_payload: 'AQ==',
    confirmed: true,
    priority: 'NORMAL',
    correlation_ids: ['as:downlink:1'],
  };

  it.each([
    ['downlink_queued', 'downlink/queued'],
    ['downlink_sent', 'downlink/sent'],
    ['downlink_ack', 'downlink/ack'],
    ['downlink_nack', 'downlink/nack'],
  ])('republishes %s on lorawan/<thing>/%s', async (type, event) => {
    const world = setup();
    const message = { end_device_ids: endDeviceIds, correlation_ids: ['c'], [type]: downlink };
    await handleUplink(message, world.deps);
    expect(world.publisher.messages).toEqual([
      { topic: `lorawan/${DEV_EUI}/${event}`, qos: 1, payload: { ...message, thingName: DEV_EUI } },
    ]);
    expect(world.shadows.calls).toEqual([]);
  });

  it('republishes a solved location and keeps it in the shadow', async () => {
    const world = setup();
    const location = {
      latitude: 52.37,
      longitude: 4.89,
      altitude: 3,
      accuracy: 25,
      source: 'SOURCE_WIFI_RSSI_GEOLOCATION',
    };
    await handleUplink(
      {
        end_device_ids: endDeviceIds,
        location_solved: { service: 'lora-cloud-geolocation', location },
      },
      world.deps,
    );
    expect(world.publisher.messages[0]?.topic).toBe(`lorawan/${DEV_EUI}/location`);
    expect(world.shadows.reported(DEV_EUI, 'lorawan')).toEqual({ location });
  });

  it('republishes service data', async () => {
    const world = setup();
    await handleUplink(
      {
        end_device_ids: endDeviceIds,
        service_data: { service: 'lora-cloud-dms', data: { uptime: 3 } },
      },
      world.deps,
    );
    expect(world.publisher.messages[0]?.topic).toBe(`lorawan/${DEV_EUI}/service`);
  });

  it('ignores message types it does not handle, without any call', async () => {
    const world = setup();
    const outcome = await handleUplink(
      {
        end_device_ids: endDeviceIds,
        uplink_normalized: { normalized_payload: [{ air: { temperature: 21 } }] },
      },
      world.deps,
    );
    expect(outcome).toMatchObject({ status: 'ignored', type: 'uplink_normalized' });
    expect(world.registry.calls).toEqual([]);
    expect(world.publisher.messages).toEqual([]);
  });

  it('refuses downlinks TTS invalidated for a thing without session (no_session), replacing nothing', async () => {
    const world = setup();
    await expect(
      handleUplink(
        {
          end_device_ids: endDeviceIds,
          downlink_queue_invalidated: {
            downlinks: [{ f_port: 1 }, { f_port: 2 }],
            last_f_cnt_down: 3,
          },
        },
        world.deps,
      ),
    ).rejects.toMatchObject({ code: 'no_session', retryable: false });
    expect(world.publisher.messages).toEqual([]);
  });
});

describe('handleUplink: f_cnt_too_low', () => {
  const sessionShadow = {
    devAddr: DEV_ADDR,
    sessionID: SESSION_KEY_ID,
    appSKeyEnvelope: { encryptedKey: APP_S_KEY_ENVELOPE.encrypted_key, kekLabel: 'kek-2' },
    fCntDown: 6,
    lastAFCntDown: 3,
  };
  const plaintext = Uint8Array.of(0x10, 0x20, 0x30);
  const pushed = encryptUp(plaintext, 6, 'down');
  // The push of d-1 as HandleDownlink recorded it: attempt 1 at counter 6, and what it carried.
  const recorded = {
    id: 'd-1',
    fCnt: 6,
    sha: pushFingerprint(7, Buffer.from(pushed, 'base64')),
  };
  const failed = (
    correlationIDs: string[],
    minFCnt = 9,
    change: { f_cnt?: number; frm_payload?: string; f_port?: number } = {},
  ) => ({
    end_device_ids: endDeviceIds,
    correlation_ids: ['as:downlink:01J'],
    downlink_failed: {
      downlink: {
        session_key_id: SESSION_KEY_ID,
        f_port: 7,
        f_cnt: 6,
        frm_payload: pushed,
        confirmed: true,
        priority: 'HIGH',
        correlation_ids: [...correlationIDs, 'as:downlink:01J'],
        ...change,
      },
      error: {
        namespace: 'pkg/applicationserver',
        name: 'downlink_queue_push',
        code: 3,
        cause: {
          namespace: 'pkg/networkserver',
          name: 'f_cnt_too_low',
          message_format: 'FCnt too low',
          attributes: { f_cnt: 6, min_f_cnt: minFCnt },
          code: 3,
        },
      },
    },
  });

  async function withSession() {
    const world = setup();
    await world.deps.things.ensure({ deviceID: 'eui-0004a30b001c0530', devEUI: DEV_EUI });
    await (world.shadows as InMemoryShadowStore).updateShadow(DEV_EUI, 'lorawan', {
      reported: { ...sessionShadow, fCntDownSession: SESSION_KEY_ID, recentDownlinks: [recorded] },
    });
    return world;
  }

  it('re-encrypts our downlink at min_f_cnt and pushes it again as the next attempt', async () => {
    const world = await withSession();
    await handleUplink(failed(['tts-aws-iot:downlink:d-1', 'tts-aws-iot:attempt:1']), world.deps);
    expect(world.publisher.messages.map((m) => m.topic)).toEqual([
      `lorawan/${DEV_EUI}/downlink/failed`,
      'thethings/lorawan/tts-stack/downlink/push',
    ]);
    const push = world.publisher.messages[1]?.payload as {
      downlinks: { frm_payload: string; f_cnt: number }[];
    };
    expect(push).toEqual({
      end_device_ids: {
        device_id: 'eui-0004a30b001c0530',
        application_ids: { application_id: 'my-app' },
      },
      downlinks: [
        {
          f_port: 7,
          frm_payload: expect.any(String),
          confirmed: true,
          priority: 'HIGH',
          correlation_ids: ['tts-aws-iot:downlink:d-1', 'tts-aws-iot:attempt:2'],
          session_key_id: SESSION_KEY_ID,
          f_cnt: 9,
        },
      ],
    });
    const decrypted = decryptFRMPayload(
      parseAesKey(APP_S_KEY_HEX),
      'down',
      parseDevAddr(DEV_ADDR),
      9,
      Buffer.from(push.downlinks[0]!.frm_payload, 'base64'),
    );
    expect(Array.from(decrypted)).toEqual(Array.from(plaintext));
    expect(world.shadows.reported(DEV_EUI, 'lorawan')?.['fCntDown']).toBe(9);
    expect(world.metrics['DownlinkRepushes']).toBe(1);
  });

  it('re-pushes the same frame at the same counter when the report is handled again', async () => {
    const world = await withSession();
    const report = failed(['tts-aws-iot:downlink:d-1', 'tts-aws-iot:attempt:1']);
    await handleUplink(report, world.deps);
    await handleUplink(report, world.deps); // Lambda's retry, or a duplicate delivery
    const pushes = world.publisher.on('thethings/lorawan/tts-stack/downlink/push');
    expect(pushes).toHaveLength(2);
    expect(pushes[1]).toEqual(pushes[0]);
    expect(world.shadows.reported(DEV_EUI, 'lorawan')?.['fCntDown']).toBe(9);
  });

  it('pushes at most three more times per downlink', async () => {
    const world = await withSession();
    await handleUplink(
      failed(['tts-aws-iot:downlink:d-1', `tts-aws-iot:attempt:${MAX_DOWNLINK_REPUSHES + 1}`]),
      world.deps,
    );
    expect(world.publisher.messages.map((m) => m.topic)).toEqual([
      `lorawan/${DEV_EUI}/downlink/failed`,
    ]);
    expect(world.logs).toContainEqual(
      expect.objectContaining({ level: 'warn', message: expect.stringMatching(/giving up/) }),
    );
  });

  it.each<[string, string[], Parameters<typeof failed>[2]]>([
    [
      'an older frame of the downlink (replayed)',
      ['tts-aws-iot:downlink:d-1'],
      { f_cnt: 5, frm_payload: encryptUp(Uint8Array.of(0x66), 5, 'down') },
    ],
    [
      'a bit-flipped frame',
      ['tts-aws-iot:downlink:d-1'],
      {
        frm_payload: Buffer.from(
          Buffer.from(pushed, 'base64').map((b, i) => (i === 0 ? b ^ 1 : b)),
        ).toString('base64'),
      },
    ],
    ['another FPort', ['tts-aws-iot:downlink:d-1'], { f_port: 8 }],
    ['a downlink never pushed', ['tts-aws-iot:downlink:d-2'], {}],
    ['an attempt never pushed', ['tts-aws-iot:downlink:d-1', 'tts-aws-iot:attempt:2'], {}],
  ])(
    'refuses to re-push %s: nothing pushed, the counter untouched, counted as RefusedRepushes',
    async (_, correlationIDs, change) => {
      const world = await withSession();
      await handleUplink(failed(correlationIDs, 9, change), world.deps);
      expect(world.publisher.on('thethings/lorawan/tts-stack/downlink/push')).toEqual([]);
      expect(world.shadows.reported(DEV_EUI, 'lorawan')?.['fCntDown']).toBe(6);
      expect(world.metrics['RefusedRepushes']).toBe(1);
      expect(world.metrics['DownlinkRepushes'] ?? 0).toBe(0);
      expect(world.logs).toContainEqual(
        expect.objectContaining({ level: 'warn', message: 'Downlink re-push refused' }),
      );
    },
  );

  it('re-pushes a re-pushed frame again only as recorded, at most three more times in all', async () => {
    const world = await withSession();
    let report = failed(['tts-aws-iot:downlink:d-1', 'tts-aws-iot:attempt:1']);
    for (let attempt = 1; attempt <= MAX_DOWNLINK_REPUSHES + 1; attempt++) {
      await handleUplink(report, world.deps);
      const pushes = world.publisher.on('thethings/lorawan/tts-stack/downlink/push') as {
        downlinks: { frm_payload: string; f_cnt: number; correlation_ids: string[] }[];
      }[];
      const last = pushes.at(-1)!.downlinks[0]!;
      report = failed(last.correlation_ids, last.f_cnt + 1, {
        f_cnt: last.f_cnt,
        frm_payload: last.frm_payload,
      });
    }
    expect(world.publisher.on('thethings/lorawan/tts-stack/downlink/push')).toHaveLength(
      MAX_DOWNLINK_REPUSHES,
    );
    expect(world.metrics['DownlinkRepushes']).toBe(MAX_DOWNLINK_REPUSHES);
  });

  it('leaves downlinks that are not ours alone', async () => {
    const world = await withSession();
    await handleUplink(failed([]), world.deps);
    expect(world.publisher.messages).toHaveLength(1);
    expect(world.shadows.reported(DEV_EUI, 'lorawan')?.['fCntDown']).toBe(6);
  });

  it('does not re-push into a session that has changed since', async () => {
    const world = await withSession();
    await world.shadows.updateShadow(DEV_EUI, 'lorawan', {
      reported: { sessionID: 'bmV3LXNlc3Npb24=' },
    });
    await expect(
      handleUplink(failed(['tts-aws-iot:downlink:d-1']), world.deps),
    ).rejects.toMatchObject({ code: 'session_changed' });
    expect(world.publisher.messages).toHaveLength(1);
  });
});

describe('handleUplink: bad input', () => {
  const ids = endDeviceIds;
  // Each malformed or misdirected message is refused with its own error, before any call.
  it.each<[string, () => unknown, string, Record<string, unknown>]>([
    ['a string that is not JSON', () => 'uplink', 'invalid_message', {}],
    ['a number', () => 42, 'invalid_message', {}],
    ['an array', () => [e2eUplink()], 'invalid_message', {}],
    [
      'no end_device_ids',
      () => ({ uplink_message: {} }),
      'missing_field',
      { field: 'end_device_ids' },
    ],
    [
      'no device_id',
      () => ({ end_device_ids: { application_ids: ids.application_ids }, uplink_message: {} }),
      'missing_field',
      { field: 'end_device_ids.device_id' },
    ],
    [
      'an invalid device_id',
      () => ({ end_device_ids: { ...ids, device_id: 'A_B' }, uplink_message: {} }),
      'invalid_field',
      { field: 'end_device_ids.device_id' },
    ],
    [
      'no application_ids',
      () => ({ end_device_ids: { device_id: 'dev-1' }, uplink_message: {} }),
      'missing_field',
      { field: 'end_device_ids.application_ids' },
    ],
    [
      'a short dev_eui',
      () => ({ end_device_ids: { ...ids, dev_eui: '0004A30B' }, uplink_message: {} }),
      'invalid_field',
      { field: 'end_device_ids.dev_eui' },
    ],
    [
      'a long dev_addr',
      () => ({ end_device_ids: { ...ids, dev_addr: '260B1A2F00' }, uplink_message: {} }),
      'invalid_field',
      { field: 'end_device_ids.dev_addr' },
    ],
    ['no message type', () => ({ end_device_ids: ids, received_at: 'x' }), 'no_message_type', {}],
    [
      'two message types',
      () => ({ end_device_ids: ids, uplink_message: {}, downlink_ack: {} }),
      'multiple_message_types',
      {},
    ],
    [
      'f_cnt as text',
      () => ({ ...e2eUplink(), uplink_message: { ...e2eUplink().uplink_message, f_cnt: '70000' } }),
      'invalid_field',
      { field: 'uplink_message.f_cnt' },
    ],
    [
      'a fractional f_port',
      () => ({ ...e2eUplink(), uplink_message: { ...e2eUplink().uplink_message, f_port: 1.5 } }),
      'invalid_field',
      { field: 'uplink_message.f_port' },
    ],
    [
      'frm_payload that is not base64',
      () => ({
        ...e2eUplink(),
        uplink_message: { ...e2eUplink().uplink_message, frm_payload: '%%%' },
      }),
      'invalid_field',
      { field: 'uplink_message.frm_payload' },
    ],
    [
      'rx_metadata of strings',
      () => ({
        ...e2eUplink(),
        uplink_message: { ...e2eUplink().uplink_message, rx_metadata: ['gw'] },
      }),
      'invalid_field',
      { field: 'uplink_message.rx_metadata[0]' },
    ],
    [
      'a gateway without ID',
      () => ({
        ...e2eUplink(),
        uplink_message: { ...e2eUplink().uplink_message, rx_metadata: [{ gateway_ids: {} }] },
      }),
      'missing_field',
      { field: 'uplink_message.rx_metadata[0].gateway_ids.gateway_id' },
    ],
    [
      'an AppSKey with key and encrypted_key',
      () => ({
        ...e2eUplink(),
        uplink_message: {
          ...e2eUplink().uplink_message,
          app_s_key: { ...APP_S_KEY_ENVELOPE, key: APP_S_KEY_HEX },
        },
      }),
      'invalid_field',
      { field: 'uplink_message.app_s_key.key' },
    ],
    [
      'an AppSKey that is a string',
      () => ({
        ...e2eUplink(),
        uplink_message: { ...e2eUplink().uplink_message, app_s_key: 'key' },
      }),
      'invalid_field',
      { field: 'uplink_message.app_s_key' },
    ],
    [
      'a truncated wrapped AppSKey',
      () => joinAccept({ encrypted_key: 'AAAA', kek_label: 'kek-2' }),
      'invalid_field',
      { field: 'join_accept.app_s_key.encrypted_key' },
    ],
    [
      'last_a_f_cnt_down below zero',
      () => ({
        ...e2eUplink(),
        uplink_message: { ...e2eUplink().uplink_message, last_a_f_cnt_down: -1 },
      }),
      'invalid_field',
      { field: 'uplink_message.last_a_f_cnt_down' },
    ],
    [
      'decoded_payload as an array',
      () => ({
        ...plainUplink(),
        uplink_message: { ...plainUplink().uplink_message, decoded_payload: [1] },
      }),
      'invalid_field',
      { field: 'uplink_message.decoded_payload' },
    ],
    [
      'a downlink_failed without downlink',
      () => ({ end_device_ids: ids, downlink_failed: { error: {} } }),
      'missing_field',
      { field: 'downlink_failed.downlink' },
    ],
    [
      'a location without longitude range',
      () => ({
        end_device_ids: ids,
        location_solved: { location: { latitude: 0, longitude: 200 } },
      }),
      'invalid_field',
      { field: 'location_solved.location.longitude' },
    ],
    [
      'service_data with data as text',
      () => ({ end_device_ids: ids, service_data: { data: 'x' } }),
      'invalid_field',
      { field: 'service_data.data' },
    ],
    [
      'another application',
      () => ({
        ...e2eUplink(),
        end_device_ids: { ...ids, application_ids: { application_id: 'other-app' } },
      }),
      'foreign_application',
      {},
    ],
    [
      'a device without DevEUI under the DevEUI scheme',
      () => ({
        ...plainUplink(),
        end_device_ids: { device_id: 'abp-1', application_ids: ids.application_ids },
      }),
      'missing_dev_eui',
      {},
    ],
    [
      'an E2E uplink without dev_addr',
      () => ({ ...e2eUplink(), end_device_ids: { ...ids, dev_addr: undefined } }),
      'missing_dev_addr',
      {},
    ],
    [
      'an AppSKey under an unknown KEK label',
      () => ({
        ...e2eUplink(),
        uplink_message: {
          ...e2eUplink().uplink_message,
          app_s_key: { ...APP_S_KEY_ENVELOPE, kek_label: 'kek-7' },
        },
      }),
      'unknown_kek_label',
      { kekLabel: 'kek-7' },
    ],
    [
      'an AppSKey that does not unwrap',
      () => ({
        ...e2eUplink(),
        uplink_message: {
          ...e2eUplink().uplink_message,
          app_s_key: { ...APP_S_KEY_ENVELOPE, kek_label: 'kek-1' },
        },
      }),
      'app_s_key_unwrap_failed',
      { kekLabel: 'kek-1' },
    ],
  ])('refuses %s', async (_label, message, code, attributes) => {
    const world = setup();
    const error = await handleUplink(message(), world.deps).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IntegrationError);
    expect(error).toMatchObject({ code, retryable: false });
    expect((error as IntegrationError).attributes).toMatchObject(attributes);
    expect(world.publisher.messages).toEqual([]);
    expect(world.shadows.calls.filter((call) => call.method === 'updateShadow')).toEqual([]);
    expect(world.registry.calls).toEqual([]);
  });
});
