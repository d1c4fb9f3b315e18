import { InputError } from '@tts-aws-iot/integration';
import { RecentEvents } from '@tts-aws-iot/integration/registry';
import { inMemoryProvisioning } from '@tts-aws-iot/integration/testing';
import { TEST_STACK } from '@tts-aws-iot/test-kit';
import { TtsApiError } from '@tts-aws-iot/tts';
import { handleRegistryEvent } from '../src/create-device';

const APP_KEY = '2B7E151628AED2A6ABF7158809CF4F3C';
const THING = '0004A30B001C0530';
const ATTRIBUTES = {
  devEUI: THING,
  stackName: 'tts-stack',
  joinEUI: '70B3D57ED0000000',
  lorawanVersion: '1.0.3',
  regionalParametersVersion: '1.0.3-a',
  appKey: APP_KEY,
};

/** The marker this stack writes on the TTS devices it provisions. */
const MARKER = { 'aws-iot-stack': 'tts-stack' };
/** A TTS device of THING's EUIs that this stack provisioned. */
const OURS = { devEUI: THING, joinEUI: '70B3D57ED0000000', attributes: MARKER };

function setUp(options: { scheme?: 'DevEUI' | 'DeviceID'; deleteUnmarkedDevices?: boolean } = {}) {
  const world = inMemoryProvisioning({
    ...TEST_STACK,
    thingNameScheme: options.scheme ?? 'DevEUI',
    defaultFrequencyPlanID: 'EU_863_870_TTN',
    deleteUnmarkedDevices: options.deleteUnmarkedDevices ?? false,
  });
  const { registry } = world;
  /** Creates the thing in the registry and returns its `created` event. */
  const createThing = (
    thingName: string,
    attributes: Record<string, string>,
    eventId = `created-${thingName}`,
  ) => {
    registry.things.set(thingName, {
      thingName,
      thingTypeName: 'lorawan',
      attributes: { ...attributes },
      version: 1,
    });
    return registryEvent('CREATED', thingName, attributes, eventId);
  };
  return { ...world, createThing };
}

function registryEvent(
  operation: 'CREATED' | 'UPDATED' | 'DELETED',
  thingName: string,
  attributes: Record<string, string>,
  eventId = `${operation}-${thingName}`,
  thingTypeName: string | null = 'lorawan',
) {
  return {
    eventType: 'THING_EVENT',
    eventId,
    timestamp: 1_700_000_000_000,
    operation,
    accountId: '123456789012',
    thingId: 'id',
    thingName,
    versionNumber: 1,
    thingTypeName,
    attributes,
  };
}

const provisioning = (thing: string) => `lorawan/${thing}/provisioning`;

describe('CreateThing on created', () => {
  it('creates the TTS device IS → JS → NS → AS, removes the keys from the thing and publishes created', async () => {
    const { deps, tts, registry, publisher, createThing } = setUp();
    await expect(handleRegistryEvent(createThing(THING, ATTRIBUTES), deps)).resolves.toEqual({
      result: 'created',
      thingName: THING,
      deviceID: 'eui-0004a30b001c0530',
    });
    expect(tts.methods).toEqual([
      'createEndDevice',
      'setJoinServerDevice',
      'setNetworkServerDevice',
      'setApplicationServerDevice',
    ]);
    expect(tts.argument('createEndDevice')).toMatchObject({
      joinServerAddress: 'eu1.cloud.thethings.industries',
      networkServerAddress: 'eu1.cloud.thethings.industries',
      applicationServerAddress: 'eu1.cloud.thethings.industries',
    });
    expect(tts.argument('setNetworkServerDevice')).toMatchObject({
      lorawanVersion: 'MAC_V1_0_3',
      lorawanPhyVersion: 'PHY_V1_0_3_REV_A',
      frequencyPlanID: 'EU_863_870_TTN',
    });
    const { appKey: _appKey, ...rest } = ATTRIBUTES;
    expect(registry.things.get(THING)!.attributes).toEqual({
      ...rest,
      deviceID: 'eui-0004a30b001c0530',
    });
    expect(publisher.on(provisioning(THING))).toEqual([
      { status: 'created', deviceID: 'eui-0004a30b001c0530' },
    ]);
  });

  it.each<[string, ReturnType<typeof registryEvent>]>([
    ['another thing type', registryEvent('CREATED', THING, ATTRIBUTES, 'e1', 'sensor')],
    ['no thing type', registryEvent('CREATED', THING, ATTRIBUTES, 'e1', null)],
    ['another stack', registryEvent('CREATED', THING, { ...ATTRIBUTES, stackName: 'tts-test' })],
    [
      'an auto-created thing (no appKey)',
      registryEvent('CREATED', THING, { devEUI: THING, stackName: 'tts-stack', deviceID: 'dev1' }),
    ],
    [
      'a thing to claim',
      registryEvent('CREATED', THING, {
        devEUI: THING,
        stackName: 'tts-stack',
        joinEUI: '70B3D57ED0000000',
        claimAuthenticationCode: 'ABC',
      }),
    ],
    ['an update', registryEvent('UPDATED', THING, ATTRIBUTES)],
  ])('leaves alone %s', async (_case, event) => {
    const { deps, tts, publisher, registry } = setUp();
    registry.things.set(THING, {
      thingName: THING,
      thingTypeName: 'lorawan',
      attributes: event.attributes,
      version: 1,
    });
    await expect(handleRegistryEvent(event, deps)).resolves.toMatchObject({ result: 'ignored' });
    expect(tts.methods).toEqual([]);
    expect(publisher.messages).toEqual([]);
  });

  it.each(['CREATED', 'DELETED'] as const)(
    'ignores a %s event of a thing of another stack without any call',
    async (operation) => {
      const { deps, tts, publisher, registry } = setUp();
      const event = registryEvent(operation, THING, { ...ATTRIBUTES, stackName: 'tts-test' });
      await expect(handleRegistryEvent(event, deps)).resolves.toEqual({
        result: 'ignored',
        reason: 'the thing belongs to stack tts-test',
      });
      expect([registry.calls, tts.calls, publisher.messages]).toEqual([[], [], []]);
    },
  );

  it('handles a repeated event once per container', async () => {
    const { deps, tts, createThing } = setUp();
    const event = createThing(THING, ATTRIBUTES);
    await handleRegistryEvent(event, deps);
    tts.calls.length = 0;
    await expect(handleRegistryEvent(event, deps)).resolves.toEqual({
      result: 'ignored',
      reason: 'the event was handled already',
    });
    expect(tts.methods).toEqual([]);
  });

  it('ignores a repeat that reaches another container: the thing has no keys any more', async () => {
    const first = setUp();
    const event = first.createThing(THING, ATTRIBUTES);
    await handleRegistryEvent(event, first.deps);
    const other = { ...first.deps, recentEvents: new RecentEvents() };
    first.tts.calls.length = 0;
    await expect(handleRegistryEvent(event, other)).resolves.toEqual({
      result: 'ignored',
      reason: 'the device was created already',
    });
    expect(first.tts.methods).toEqual([]);
  });

  it('ignores a stale event of a thing deleted since', async () => {
    const { deps, tts, registry, createThing } = setUp();
    const event = createThing(THING, ATTRIBUTES);
    registry.things.delete(THING);
    await expect(handleRegistryEvent(event, deps)).resolves.toEqual({
      result: 'ignored',
      reason: 'the thing was deleted since',
    });
    expect(tts.methods).toEqual([]);
  });

  it('completes a device that an earlier delivery created in TTS', async () => {
    const { deps, tts, publisher, createThing } = setUp();
    tts.devices.set('eui-0004a30b001c0530', OURS);
    await expect(handleRegistryEvent(createThing(THING, ATTRIBUTES), deps)).resolves.toMatchObject({
      result: 'created',
    });
    expect(publisher.on(provisioning(THING))).toEqual([
      { status: 'created', deviceID: 'eui-0004a30b001c0530' },
    ]);
  });

  it('reports invalid attributes on the provisioning topic, without the key, and does not retry', async () => {
    const { deps, tts, publisher, registry, createThing } = setUp();
    const event = createThing(THING, {
      ...ATTRIBUTES,
      lorawanVersion: '1.2',
      appKey: `${APP_KEY.slice(0, 30)}`,
    });
    const error = await handleRegistryEvent(event, deps).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InputError);
    expect(error).toMatchObject({ code: 'invalid_device_attributes', retryable: false });
    const [outcome] = publisher.on(provisioning(THING)) as {
      status: string;
      error: { name: string; message: string };
    }[];
    expect(outcome!.status).toBe('failed');
    expect(outcome!.error.name).toBe('invalid_device_attributes');
    expect(outcome!.error.message).toContain('lorawanVersion "1.2" is not supported');
    expect(outcome!.error.message).toContain(
      'appKey is invalid: use 32 hex digits (got 30 characters)',
    );
    expect(JSON.stringify(publisher.messages)).not.toContain(APP_KEY.slice(0, 30));
    expect(tts.methods).toEqual([]);
    // A refusal is final: the key leaves the thing, which records why.
    expect(registry.things.get(THING)!.attributes).not.toHaveProperty('appKey');
    expect(registry.things.get(THING)!.attributes['provisioningFailed']).toBe(
      'invalid_device_attributes',
    );
    // Not retried: a repeat of the event is dropped.
    await expect(handleRegistryEvent(event, deps)).resolves.toMatchObject({ result: 'ignored' });
  });

  it('undoes the registration when NS fails, publishes failed, and lets Lambda retry', async () => {
    const { deps, tts, publisher, registry, createThing } = setUp();
    tts.fail(
      'setNetworkServerDevice',
      new TtsApiError(
        'unavailable',
        'TTS failed PUT /ns/…: unavailable (HTTP 503).',
        503,
        true,
        undefined,
        undefined,
      ),
    );
    const event = createThing(THING, ATTRIBUTES);
    await expect(handleRegistryEvent(event, deps)).rejects.toMatchObject({
      code: 'unavailable',
      retryable: true,
    });
    expect(tts.methods).toEqual([
      'createEndDevice',
      'setJoinServerDevice',
      'setNetworkServerDevice',
      'deleteNetworkServerDevice',
      'deleteJoinServerDevice',
      'deleteEndDevice',
    ]);
    expect(tts.devices.size).toBe(0);
    expect(publisher.on(provisioning(THING))).toEqual([
      {
        status: 'failed',
        deviceID: 'eui-0004a30b001c0530',
        error: { name: 'unavailable', message: 'TTS failed PUT /ns/…: unavailable (HTTP 503).' },
      },
    ]);
    expect(registry.things.get(THING)!.attributes['appKey']).toBe(APP_KEY);

    // Lambda's retry of the same event creates the device.
    tts.fail('setNetworkServerDevice', undefined);
    await expect(handleRegistryEvent(event, deps)).resolves.toMatchObject({ result: 'created' });
  });

  it('reports TTS refusing the EUIs, which another device holds', async () => {
    const { deps, tts, publisher, createThing } = setUp();
    tts.fail(
      'createEndDevice',
      new TtsApiError(
        'end_device_euis_taken',
        'TTS refused POST /applications/my-app/devices: an end device with JoinEUI … is already registered as `other`.',
        409,
        false,
        'pkg/identityserver',
        'c1',
      ),
    );
    await expect(handleRegistryEvent(createThing(THING, ATTRIBUTES), deps)).rejects.toMatchObject({
      code: 'end_device_euis_taken',
      retryable: false,
    });
    expect(tts.methods).toEqual(['createEndDevice', 'getEndDevice']);
    expect(publisher.on(provisioning(THING))).toEqual([
      expect.objectContaining({
        status: 'failed',
        error: expect.objectContaining({ name: 'end_device_euis_taken' }),
      }),
    ]);
  });
});

describe('CreateThing: things of any name, one per DevEUI, and stackName', () => {
  it('provisions a thing created by hand under any name', async () => {
    const { deps, tts, registry, publisher, createThing } = setUp();
    await expect(
      handleRegistryEvent(createThing('greenhouse-7', ATTRIBUTES), deps),
    ).resolves.toEqual({
      result: 'created',
      thingName: 'greenhouse-7',
      deviceID: 'eui-0004a30b001c0530',
    });
    expect(tts.methods).toContain('setJoinServerDevice');
    expect(registry.things.get('greenhouse-7')?.attributes).not.toHaveProperty('appKey');
    expect(publisher.on(provisioning('greenhouse-7'))).toEqual([
      { status: 'created', deviceID: 'eui-0004a30b001c0530' },
    ]);
  });

  it('refuses a second thing of this stack for a DevEUI, naming both: failed, keys removed, nothing in TTS', async () => {
    const { deps, tts, registry, publisher, createThing } = setUp();
    createThing(THING, { devEUI: THING, stackName: 'tts-stack', deviceID: 'eui-0004a30b001c0530' });
    await expect(
      handleRegistryEvent(createThing('second', ATTRIBUTES), deps),
    ).rejects.toMatchObject({ code: 'duplicate_things', retryable: false });
    expect(tts.methods).toEqual([]);
    expect(registry.things.get('second')?.attributes).toMatchObject({
      provisioningFailed: 'duplicate_things',
    });
    expect(registry.things.get('second')?.attributes).not.toHaveProperty('appKey');
    const [outcome] = publisher.on(provisioning('second')) as {
      error: { name: string; message: string };
    }[];
    expect(outcome?.error).toMatchObject({
      name: 'duplicate_things',
      message: expect.stringContaining(`(second, ${THING})`),
    });
    expect(JSON.stringify(outcome)).not.toContain(APP_KEY);
  });

  it('does not count another stack’s thing of the DevEUI as a second thing', async () => {
    const { deps, createThing } = setUp();
    createThing('theirs', { devEUI: THING, stackName: 'other' });
    await expect(handleRegistryEvent(createThing('ours', ATTRIBUTES), deps)).resolves.toMatchObject(
      { result: 'created' },
    );
  });

  it('answers a thing of the stack’s type without stackName skipped, naming the attribute, and provisions nothing', async () => {
    const { deps, tts, registry, publisher, createThing, logs } = setUp();
    const { stackName: _stackName, ...withoutStackName } = ATTRIBUTES;
    await expect(
      handleRegistryEvent(createThing('no-stack', withoutStackName), deps),
    ).resolves.toMatchObject({ result: 'skipped', thingName: 'no-stack' });
    expect(tts.methods).toEqual([]);
    expect(registry.calls.map((call) => call.method)).toEqual([]);
    const outcomes = publisher.on(provisioning('no-stack'));
    expect(outcomes).toEqual([
      {
        status: 'skipped',
        reason: expect.stringMatching(
          /no stackName attribute.*nothing was provisioned.*stackName=tts-stack/,
        ),
      },
    ]);
    expect(JSON.stringify(outcomes)).not.toContain(APP_KEY);
    expect(logs).toContainEqual(
      expect.objectContaining({
        level: 'warn',
        attributes: expect.objectContaining({ missing_attribute: 'stackName' }),
      }),
    );
    // Once per event: a repeat is not answered again.
    await handleRegistryEvent(
      registryEvent('CREATED', 'no-stack', withoutStackName, 'created-no-stack'),
      deps,
    );
    expect(publisher.on(provisioning('no-stack'))).toHaveLength(1);
  });

  it('says nothing about a thing without stackName of another type, or without keys, or of another stack', async () => {
    const { deps, publisher } = setUp();
    const { stackName: _stackName, ...withoutStackName } = ATTRIBUTES;
    const { appKey: _appKey, ...withoutKeys } = withoutStackName;
    for (const event of [
      registryEvent('CREATED', 'typed-otherwise', withoutStackName, 'e1', 'sensors'),
      registryEvent('CREATED', 'keyless', withoutKeys, 'e2'),
      registryEvent('CREATED', 'theirs', { ...ATTRIBUTES, stackName: 'other' }, 'e3'),
    ])
      await expect(handleRegistryEvent(event, deps)).resolves.toMatchObject({ result: 'ignored' });
    expect(publisher.messages).toEqual([]);
  });

  it('deletes the device of a hand-named thing it was provisioned for (by thing ID), and no other thing’s', async () => {
    const named = { ...OURS, attributes: { ...MARKER, 'aws-iot-thing-id': 'id' } };
    const gone = { devEUI: THING, stackName: 'tts-stack', joinEUI: '70B3D57ED0000000' };
    const own = setUp();
    own.tts.devices.set('eui-0004a30b001c0530', named);
    await expect(
      handleRegistryEvent(registryEvent('DELETED', 'greenhouse-7', gone), own.deps),
    ).resolves.toMatchObject({ result: 'deleted', thingName: 'greenhouse-7' });
    const other = setUp();
    other.tts.devices.set('eui-0004a30b001c0530', named);
    const copy = { ...registryEvent('DELETED', 'copy', gone), thingId: 'another-id' };
    await expect(handleRegistryEvent(copy, other.deps)).resolves.toMatchObject({
      result: 'skipped',
    });
    const { thingId: _thingId, ...withoutID } = registryEvent('DELETED', 'copy', gone, 'e2');
    await expect(handleRegistryEvent(withoutID, other.deps)).resolves.toMatchObject({
      result: 'skipped',
    });
    expect(other.tts.methods).toEqual(['getEndDevice', 'getEndDevice']);
  });

  it('keeps the device when its DevEUI still has another thing of this stack', async () => {
    const { deps, tts, createThing } = setUp();
    tts.devices.set('eui-0004a30b001c0530', OURS);
    createThing('greenhouse-7', { devEUI: THING, stackName: 'tts-stack' });
    await expect(
      handleRegistryEvent(
        registryEvent('DELETED', 'old-name', { devEUI: THING, stackName: 'tts-stack' }),
        deps,
      ),
    ).resolves.toEqual({
      result: 'ignored',
      reason: 'the device has another thing (greenhouse-7)',
    });
    expect(tts.methods).toEqual([]);
  });
});

describe('CreateThing on deleted', () => {
  it('deletes the device AS → NS → JS → IS and publishes deleted', async () => {
    const { deps, tts, publisher } = setUp();
    tts.devices.set('dev1', OURS);
    const event = registryEvent('DELETED', THING, {
      devEUI: THING,
      stackName: 'tts-stack',
      deviceID: 'dev1',
    });
    await expect(handleRegistryEvent(event, deps)).resolves.toEqual({
      result: 'deleted',
      thingName: THING,
      deviceID: 'dev1',
    });
    expect(tts.methods).toEqual([
      'getEndDevice',
      'deleteApplicationServerDevice',
      'deleteNetworkServerDevice',
      'deleteJoinServerDevice',
      'deleteEndDevice',
    ]);
    expect(publisher.on(provisioning(THING))).toEqual([{ status: 'deleted', deviceID: 'dev1' }]);
  });

  it('releases the claim of a claimed device, before the Identity Server deletes it', async () => {
    const { deps, tts, publisher } = setUp();
    tts.devices.set('dev1', OURS);
    const event = registryEvent('DELETED', THING, {
      devEUI: THING,
      joinEUI: '70B3D57ED0000000',
      stackName: 'tts-stack',
      deviceID: 'dev1',
      claimed: 'true',
    });
    await expect(handleRegistryEvent(event, deps)).resolves.toMatchObject({ result: 'deleted' });
    expect(tts.methods).toEqual([
      'getEndDevice',
      'deleteApplicationServerDevice',
      'deleteNetworkServerDevice',
      'unclaimEndDevice',
      'deleteEndDevice',
    ]);
    expect(tts.argument('unclaimEndDevice')).toEqual({ applicationID: 'my-app', deviceID: 'dev1' });
    expect(publisher.on(provisioning(THING))).toEqual([{ status: 'deleted', deviceID: 'dev1' }]);
  });

  it('leaves the TTS device alone when the deleted thing was never provisioned', async () => {
    const { deps, tts, publisher } = setUp();
    // TTS refused the create: the device ID belongs to another device, which must stay.
    tts.devices.set('dev1', { devEUI: '0004A30B001C0999', joinEUI: '70B3D57ED0000000' });
    const event = registryEvent('DELETED', THING, { ...ATTRIBUTES, deviceID: 'dev1' });
    await expect(handleRegistryEvent(event, deps)).resolves.toMatchObject({ result: 'ignored' });
    expect(tts.methods).toEqual([]);
    expect(tts.devices.has('dev1')).toBe(true);
    expect(publisher.messages).toEqual([]);
  });

  it('finds the device ID in the thing name with the DeviceID scheme', async () => {
    const { deps, tts } = setUp({ scheme: 'DeviceID' });
    tts.devices.set('boiler-7', OURS);
    await expect(
      handleRegistryEvent(
        registryEvent('DELETED', 'tts-stack_boiler-7', { stackName: 'tts-stack', devEUI: THING }),
        deps,
      ),
    ).resolves.toMatchObject({ result: 'deleted', deviceID: 'boiler-7' });
    expect(tts.methods).toHaveLength(5);
  });

  it('keeps the device when a thing of that name exists again (a stale event)', async () => {
    const { deps, tts, createThing } = setUp();
    createThing(THING, { ...ATTRIBUTES, deviceID: 'dev1' });
    await expect(
      handleRegistryEvent(
        registryEvent('DELETED', THING, {
          devEUI: THING,
          stackName: 'tts-stack',
          deviceID: 'dev1',
        }),
        deps,
      ),
    ).resolves.toEqual({
      result: 'ignored',
      reason: 'a thing of that name exists again',
    });
    expect(tts.methods).toEqual([]);
  });

  it('leaves alone a deleted thing of another stack', async () => {
    const { deps, tts } = setUp();
    await expect(
      handleRegistryEvent(
        registryEvent('DELETED', THING, { devEUI: THING, stackName: 'other' }),
        deps,
      ),
    ).resolves.toMatchObject({ result: 'ignored' });
    expect(tts.methods).toEqual([]);
  });

  it('publishes failed and lets Lambda retry when TTS is unavailable', async () => {
    const { deps, tts, publisher } = setUp();
    tts.devices.set('eui-0004a30b001c0530', OURS);
    tts.fail(
      'deleteNetworkServerDevice',
      new TtsApiError('unavailable', 'unavailable', 503, true, undefined, undefined),
    );
    const event = registryEvent('DELETED', THING, { devEUI: THING, stackName: 'tts-stack' });
    await expect(handleRegistryEvent(event, deps)).rejects.toMatchObject({ retryable: true });
    expect(publisher.on(provisioning(THING))).toEqual([
      {
        status: 'failed',
        deviceID: 'eui-0004a30b001c0530',
        error: { name: 'unavailable', message: 'unavailable' },
      },
    ]);
    tts.fail('deleteNetworkServerDevice', undefined);
    await expect(handleRegistryEvent(event, deps)).resolves.toMatchObject({ result: 'deleted' });
  });
});

describe('CreateThing on deleted: only devices that are demonstrably this stack’s', () => {
  const deleted = (attributes: Record<string, string>) =>
    registryEvent('DELETED', THING, { stackName: 'tts-stack', ...attributes });
  const DELETES = [
    'deleteApplicationServerDevice',
    'deleteNetworkServerDevice',
    'deleteJoinServerDevice',
    'deleteEndDevice',
  ];

  it.each<
    [
      string,
      Record<string, string>,
      { devEUI: string; joinEUI: string; attributes?: Record<string, string> } | undefined,
      string,
    ]
  >([
    [
      "a deviceID attribute naming somebody else's device (other DevEUI)",
      { devEUI: THING, deviceID: 'victim' },
      { devEUI: '0004A30B001C0999', joinEUI: '70B3D57ED0000000', attributes: MARKER },
      'TTS device victim in application my-app has DevEUI 0004A30B001C0999, but the thing has 0004A30B001C0530',
    ],
    [
      'another JoinEUI',
      { devEUI: THING, joinEUI: '70B3D57ED0000001', deviceID: 'victim' },
      OURS,
      'has JoinEUI 70B3D57ED0000000, but the thing has 70B3D57ED0000001',
    ],
    [
      'a device without the stack marker',
      { devEUI: THING, deviceID: 'victim' },
      { devEUI: THING, joinEUI: '70B3D57ED0000000' },
      'was not provisioned by this stack (it has no aws-iot-stack=tts-stack attribute): left it alone. Delete it in TTS, or deploy with DELETE_UNMARKED_DEVICES=true',
    ],
    [
      "another stack's marker",
      { devEUI: THING, deviceID: 'victim' },
      { devEUI: THING, joinEUI: '70B3D57ED0000000', attributes: { 'aws-iot-stack': 'tts-other' } },
      'was provisioned by stack "tts-other"',
    ],
    [
      'a device TTS does not have',
      { devEUI: THING, deviceID: 'victim' },
      undefined,
      'TTS device victim in application my-app does not exist',
    ],
  ])('publishes skipped and deletes nothing for %s', async (_case, attributes, device, reason) => {
    const { deps, tts, publisher } = setUp();
    if (device) tts.devices.set('victim', device);
    const result = await handleRegistryEvent(deleted(attributes), deps);
    expect(result).toMatchObject({ result: 'skipped', deviceID: 'victim' });
    expect((result as { reason: string }).reason).toContain(reason);
    expect(tts.methods).toEqual(['getEndDevice']);
    if (device) expect(tts.devices.get('victim')).toEqual(device);
    expect(publisher.on(provisioning(THING))).toEqual([
      { status: 'skipped', deviceID: 'victim', reason: expect.stringContaining(reason) },
    ]);
  });

  it('deletes an auto-created thing’s unmarked device only with DELETE_UNMARKED_DEVICES=true, its EUIs still checked', async () => {
    const unmarked = { devEUI: THING, joinEUI: '70B3D57ED0000000' };
    const auto = deleted({ devEUI: THING, deviceID: 'field-7' });
    const off = setUp();
    off.tts.devices.set('field-7', unmarked);
    await expect(handleRegistryEvent(auto, off.deps)).resolves.toMatchObject({ result: 'skipped' });
    expect(off.tts.devices.has('field-7')).toBe(true);

    const on = setUp({ deleteUnmarkedDevices: true });
    on.tts.devices.set('field-7', unmarked);
    await expect(handleRegistryEvent(auto, on.deps)).resolves.toMatchObject({ result: 'deleted' });
    expect(on.tts.methods).toEqual(['getEndDevice', ...DELETES]);

    const otherEUI = setUp({ deleteUnmarkedDevices: true });
    otherEUI.tts.devices.set('field-7', { ...unmarked, devEUI: '0004A30B001C0999' });
    await expect(handleRegistryEvent(auto, otherEUI.deps)).resolves.toMatchObject({
      result: 'skipped',
    });
    const otherStack = setUp({ deleteUnmarkedDevices: true });
    otherStack.tts.devices.set('field-7', { ...unmarked, attributes: { 'aws-iot-stack': 'x-1' } });
    await expect(handleRegistryEvent(auto, otherStack.deps)).resolves.toMatchObject({
      result: 'skipped',
    });
  });

  it('leaves alone a marked device when another thing copies its identifiers (the name decides)', async () => {
    const { deps, tts, publisher } = setUp({ scheme: 'DeviceID' });
    tts.devices.set('victim', OURS);
    const copy = registryEvent('DELETED', 'tts-stack_copy', {
      stackName: 'tts-stack',
      devEUI: THING,
      joinEUI: '70B3D57ED0000000',
      deviceID: 'victim',
    });
    await expect(handleRegistryEvent(copy, deps)).resolves.toMatchObject({ result: 'skipped' });
    expect(tts.methods).toEqual(['getEndDevice']);
    expect(publisher.on(provisioning('tts-stack_copy'))).toEqual([
      {
        status: 'skipped',
        deviceID: 'victim',
        reason:
          'TTS device victim in application my-app belongs to the thing tts-stack_victim under the DeviceID thing name scheme, not to tts-stack_copy: left it alone.',
      },
    ]);
  });

  it('leaves the TTS device alone when the thing’s provisioning failed for good', async () => {
    const { deps, tts, publisher } = setUp({ deleteUnmarkedDevices: true });
    tts.devices.set('victim', { devEUI: THING, joinEUI: '70B3D57ED0000000' });
    await expect(
      handleRegistryEvent(
        deleted({ devEUI: THING, deviceID: 'victim', provisioningFailed: 'device_exists' }),
        deps,
      ),
    ).resolves.toMatchObject({ result: 'ignored' });
    expect(tts.methods).toEqual([]);
    expect(publisher.messages).toEqual([]);
  });

  it('a create refused with device_exists followed by the thing’s deletion leaves the foreign device whole', async () => {
    const { deps, tts, registry, createThing } = setUp({ deleteUnmarkedDevices: true });
    const foreign = { devEUI: THING, joinEUI: '70B3D57ED0000000' };
    tts.devices.set('eui-0004a30b001c0530', foreign);
    await expect(handleRegistryEvent(createThing(THING, ATTRIBUTES), deps)).rejects.toMatchObject({
      code: 'device_exists',
    });
    expect(tts.methods).toEqual(['createEndDevice', 'getEndDevice']);
    const left = registry.things.get(THING)!.attributes;
    registry.things.delete(THING);
    await handleRegistryEvent(registryEvent('DELETED', THING, left, 'deleted-1'), deps);
    expect(tts.devices.get('eui-0004a30b001c0530')).toEqual(foreign);
    expect(tts.methods).toEqual(['createEndDevice', 'getEndDevice']);
  });
});

it('refuses an event that is not a registry event', async () => {
  const { deps } = setUp();
  await expect(handleRegistryEvent({ end_device_ids: {} }, deps)).rejects.toMatchObject({
    code: 'invalid_registry_event',
    retryable: false,
  });
});
