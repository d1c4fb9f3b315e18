import { KekRing, wrapKey, wrapKeyWithPadding } from '@tts-aws-iot/keywrap';
import { TtsApiError } from '@tts-aws-iot/tts';

import { InputError } from '../../src/errors';
import { TEST_STACK } from '@tts-aws-iot/test-kit';

import { parseRegistryConfig } from '../../src/config';
import { InMemorySecretReader, inMemoryProvisioning } from '../../src/testing/in-memory';
import {
  deviceDeletionRefusal,
  failedOutcome,
  handleRegistryEventOnce,
  parseThingRegistryEvent,
  provisionThing,
  provisioningDependencies,
  publishFailedOutcome,
  RecentEvents,
} from '../../src/registry/provisioning';

const THING = '0004A30B001C0530';
const DEVICE_ID = 'eui-0004a30b001c0530';
const APP_KEY = '2B7E151628AED2A6ABF7158809CF4F3C';
const TOPIC = `lorawan/${THING}/provisioning`;
const CREATE = {
  devEUI: THING,
  stackName: 'tts-stack',
  joinEUI: '70B3D57ED0000000',
  lorawanVersion: '1.0.3',
  regionalParametersVersion: '1.0.3-a',
  appKey: APP_KEY,
};
const CLAIM = {
  devEUI: THING,
  stackName: 'tts-stack',
  joinEUI: '70B3D57ED0000000',
  claimAuthenticationCode: 'K7X2P9Q4',
};

const KEK = Uint8Array.from(Buffer.from('000102030405060708090A0B0C0D0E0F', 'hex'));
const KEK_RING = new KekRing('kek1', { kek1: KEK });
const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex').toUpperCase();
const bytes = (text: string) => Uint8Array.from(Buffer.from(text, 'hex'));
/** An attribute value as `npx keywrap attribute` prints it. */
const wrappedKey = (key: string, label = 'kek1', kek = KEK) =>
  `wrapped:${label}:${hex(wrapKey(kek, bytes(key)))}`;
const wrappedCode = (code: string) =>
  `wrapped:kek1:${hex(wrapKeyWithPadding(KEK, Uint8Array.from(Buffer.from(code, 'latin1'))))}`;
/** This stack's marker on the TTS devices it provisions. */
const MARKER = { 'aws-iot-stack': 'tts-stack' };

/** In-memory ports, the thing in the registry with `attributes`, and every log line. */
function setUp(attributes?: Record<string, string>) {
  const world = inMemoryProvisioning(
    { ...TEST_STACK, defaultFrequencyPlanID: 'EU_863_870_TTN' },
    { kekRing: KEK_RING },
  );
  if (attributes) {
    world.registry.things.set(THING, { thingName: THING, thingTypeName: 'lorawan', attributes });
  }
  const ignore = (reason: string) => ({ result: 'ignored' as const, reason });
  /** The level and message of each log line. */
  const lines = () => world.logs.map(({ level, message }) => ({ level, message }));
  return { ...world, lines, ignore };
}

const event = (attributes: Record<string, string>, overrides: Record<string, unknown> = {}) => ({
  eventType: 'THING_EVENT',
  eventId: 'e1',
  operation: 'CREATED',
  thingName: THING,
  thingTypeName: 'lorawan',
  attributes,
  ...overrides,
});

describe('handleRegistryEventOnce', () => {
  const done = async () => ({ result: 'created' as const, thingName: THING, deviceID: DEVICE_ID });

  it.each([
    [
      'another thing type',
      event(CREATE, { thingTypeName: 'sensor' }),
      'thing type sensor is not lorawan',
    ],
    [
      'a thing of another stack',
      event({ ...CREATE, stackName: 'tts-test' }),
      'the thing belongs to stack tts-test',
    ],
    ['a thing of no stack', event({ devEUI: THING }), 'the thing belongs to stack (none)'],
  ])('ignores an event of %s without a call to any port', async (_case, input, reason) => {
    const { deps, registry, publisher, tts, lines } = setUp(CREATE);
    const handle = jest.fn(done);
    await expect(handleRegistryEventOnce(input, deps, handle)).resolves.toEqual({
      result: 'ignored',
      reason,
    });
    expect(handle).not.toHaveBeenCalled();
    expect([registry.calls, publisher.messages, tts.calls]).toEqual([[], [], []]);
    expect(lines()).toEqual([{ level: 'info', message: `Ignored: ${reason}.` }]);
  });

  it('hands an event over once: a repeat in the same container is ignored', async () => {
    const { deps } = setUp(CREATE);
    const handle = jest.fn(done);
    await expect(handleRegistryEventOnce(event(CREATE), deps, handle)).resolves.toMatchObject({
      result: 'created',
    });
    await expect(handleRegistryEventOnce(event(CREATE), deps, handle)).resolves.toEqual({
      result: 'ignored',
      reason: 'the event was handled already',
    });
    expect(handle).toHaveBeenCalledTimes(1);
  });

  it('judges an event again after a retryable failure, but not after a refusal', async () => {
    const { deps } = setUp(CREATE);
    const unavailable = new TtsApiError(
      'unavailable',
      'unavailable',
      503,
      true,
      undefined,
      undefined,
    );
    await expect(
      handleRegistryEventOnce(event(CREATE), deps, () => Promise.reject(unavailable)),
    ).rejects.toBe(unavailable);
    expect(deps.recentEvents.has('e1')).toBe(false);
    const refused = new InputError('invalid_device_attributes', 'bad');
    await expect(
      handleRegistryEventOnce(event(CREATE), deps, () => Promise.reject(refused)),
    ).rejects.toBe(refused);
    expect(deps.recentEvents.has('e1')).toBe(true);
  });
});

describe('provisionThing', () => {
  it('creates a device with its root keys, then removes them from the thing and publishes created', async () => {
    const { deps, registry, publisher, tts, ignore } = setUp(CREATE);
    await expect(provisionThing(THING, 'create', deps, ignore)).resolves.toEqual({
      result: 'created',
      thingName: THING,
      deviceID: DEVICE_ID,
    });
    expect(tts.argument('setJoinServerDevice')).toMatchObject({ ids: { deviceID: DEVICE_ID } });
    const { appKey: _appKey, ...kept } = CREATE;
    expect(registry.things.get(THING)?.attributes).toEqual({ ...kept, deviceID: DEVICE_ID });
    expect(publisher.on(TOPIC)).toEqual([{ status: 'created', deviceID: DEVICE_ID }]);
  });

  it('claims a device, then removes the code from the thing and publishes claimed', async () => {
    const { deps, registry, publisher, tts, ignore } = setUp(CLAIM);
    await expect(provisionThing(THING, 'claim', deps, ignore)).resolves.toMatchObject({
      result: 'claimed',
    });
    expect(tts.methods).toEqual([
      'claimEndDevice',
      'createEndDevice',
      'setNetworkServerDevice',
      'setApplicationServerDevice',
    ]);
    expect(tts.argument('createEndDevice')).not.toHaveProperty('joinServerAddress');
    expect(registry.things.get(THING)?.attributes).not.toHaveProperty('claimAuthenticationCode');
    expect(publisher.on(TOPIC)).toEqual([{ status: 'claimed', deviceID: DEVICE_ID }]);
  });

  it.each([
    ['a thing deleted since', undefined, 'the thing was deleted since'],
    [
      'a thing handed to another stack since',
      { ...CREATE, stackName: 'tts-test' },
      'the thing was handed to another stack since',
    ],
    [
      'a thing whose keys are gone',
      { ...CLAIM, claimAuthenticationCode: '', deviceID: DEVICE_ID },
      'the device was created already',
    ],
  ])('leaves TTS alone for %s', async (_case, attributes, reason) => {
    const { deps, publisher, tts, ignore } = setUp(attributes);
    await expect(provisionThing(THING, 'create', deps, ignore)).resolves.toEqual({
      result: 'ignored',
      reason,
    });
    expect(tts.calls).toEqual([]);
    expect(publisher.messages).toEqual([]);
  });

  it('publishes a failure, keeps the keys, and rethrows; undo failures are logged with what to do', async () => {
    const { deps, registry, publisher, tts, lines, ignore } = setUp(CREATE);
    const unavailable = new TtsApiError(
      'unavailable',
      'TTS failed PUT /ns/…: unavailable (HTTP 503).',
      503,
      true,
      undefined,
      undefined,
    );
    tts.fail('setNetworkServerDevice', unavailable).fail('deleteJoinServerDevice', unavailable);
    await expect(provisionThing(THING, 'create', deps, ignore)).rejects.toBe(unavailable);
    expect(publisher.on(TOPIC)).toEqual([
      {
        status: 'failed',
        deviceID: DEVICE_ID,
        error: { name: 'unavailable', message: unavailable.message },
      },
    ]);
    expect(registry.things.get(THING)?.attributes['appKey']).toBe(APP_KEY);
    expect(lines()).toContainEqual({
      level: 'warn',
      message:
        'Could not undo the Join Server registration of a failed create: delete the device in TTS by hand.',
    });
  });

  it('completes a device that an earlier delivery registered', async () => {
    const { deps, tts, lines, ignore } = setUp(CREATE);
    tts.devices.set(DEVICE_ID, {
      devEUI: THING,
      joinEUI: '70B3D57ED0000000',
      attributes: MARKER,
    });
    await expect(provisionThing(THING, 'create', deps, ignore)).resolves.toMatchObject({
      result: 'created',
    });
    expect(lines()).toContainEqual({
      level: 'info',
      message: 'The TTS device existed with the same identifiers: completed it.',
    });
  });
});

describe('provisionThing and devices this stack did not provision', () => {
  it('marks the devices it registers with aws-iot-stack=<stack name>', async () => {
    const { deps, tts, ignore } = setUp(CREATE);
    await provisionThing(THING, 'create', deps, ignore);
    expect(tts.argument('createEndDevice')).toMatchObject({ attributes: MARKER });
    expect(tts.devices.get(DEVICE_ID)?.attributes).toEqual(MARKER);
  });

  it.each([
    ['no marker', {}],
    ["another stack's marker", { 'aws-iot-stack': 'tts-other' }],
  ])(
    'refuses an existing TTS device of the same EUIs with %s as device_exists, writes no root keys, and removes the keys from the thing',
    async (_case, attributes) => {
      const { deps, registry, publisher, tts, ignore } = setUp(CREATE);
      tts.devices.set(DEVICE_ID, { devEUI: THING, joinEUI: '70B3D57ED0000000', attributes });
      const error = await provisionThing(THING, 'create', deps, ignore).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'device_exists', retryable: false });
      expect(tts.methods).toEqual(['createEndDevice', 'getEndDevice']);
      expect(tts.devices.get(DEVICE_ID)).toEqual({
        devEUI: THING,
        joinEUI: '70B3D57ED0000000',
        attributes,
      });
      const [outcome] = publisher.on(TOPIC) as { error: { name: string; message: string } }[];
      expect(outcome).toMatchObject({ status: 'failed', deviceID: DEVICE_ID });
      expect(outcome!.error.name).toBe('device_exists');
      expect(outcome!.error.message).toContain(`TTS device ${DEVICE_ID} in application my-app`);
      expect(JSON.stringify(outcome)).not.toContain(APP_KEY);
      const kept = registry.things.get(THING)!.attributes;
      expect(kept).not.toHaveProperty('appKey');
      expect(kept['provisioningFailed']).toBe('device_exists');
    },
  );
});

describe('provisionThing and a thing deleted and created again under the same name', () => {
  /** The thing in the registry as AWS gives it: with its registry ID. */
  function withThingId(thingId: string, attributes: Record<string, string>) {
    const world = setUp();
    world.registry.things.set(THING, {
      thingName: THING,
      thingId,
      thingTypeName: 'lorawan',
      attributes,
    });
    return world;
  }

  it('binds the TTS device to the thing it provisions, by thing ID', async () => {
    const { deps, tts, ignore } = withThingId('thing-new', CREATE);
    await provisionThing(THING, 'create', deps, ignore);
    expect(tts.devices.get(DEVICE_ID)?.attributes).toEqual({
      ...MARKER,
      'aws-iot-thing-id': 'thing-new',
    });
  });

  it("does not re-key the earlier thing's device: a retryable device_of_earlier_thing, no root keys written", async () => {
    const OTHER_KEY = '00112233445566778899AABBCCDDEEFF';
    const { deps, registry, tts, ignore } = withThingId('thing-new', {
      ...CREATE,
      appKey: OTHER_KEY,
    });
    const earlier = {
      devEUI: THING,
      joinEUI: '70B3D57ED0000000',
      attributes: { ...MARKER, 'aws-iot-thing-id': 'thing-old' },
    };
    tts.devices.set(DEVICE_ID, earlier);
    const error = await provisionThing(THING, 'create', deps, ignore).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'device_of_earlier_thing', retryable: true });
    expect(tts.methods).toEqual(['createEndDevice', 'getEndDevice']);
    expect(tts.devices.get(DEVICE_ID)).toEqual(earlier);
    expect(JSON.stringify(error)).not.toContain(OTHER_KEY);
    // Retryable: the thing keeps its keys for the retry after the earlier thing's deletion.
    expect(registry.things.get(THING)!.attributes['appKey']).toBe(OTHER_KEY);

    // The earlier thing's deletion removes the device; the retry then provisions afresh.
    tts.devices.delete(DEVICE_ID);
    await expect(provisionThing(THING, 'create', deps, ignore)).resolves.toMatchObject({
      result: 'created',
    });
    expect(tts.devices.get(DEVICE_ID)?.attributes?.['aws-iot-thing-id']).toBe('thing-new');
  });

  it("leaves a later thing's device alone when the earlier thing's deletion comes after it", () => {
    const device = {
      applicationID: 'my-app',
      deviceID: DEVICE_ID,
      devEUI: THING,
      joinEUI: '70B3D57ED0000000',
      attributes: { ...MARKER, 'aws-iot-thing-id': 'thing-new' },
    };
    const config = { ...TEST_STACK, applicationID: 'my-app', thingNameScheme: 'DevEUI' as const };
    const deleted = { thingName: THING, attributes: { devEUI: THING } };
    expect(
      deviceDeletionRefusal(device, { ...deleted, thingId: 'thing-old' }, DEVICE_ID, config),
    ).toBe(
      `TTS device ${DEVICE_ID} in application my-app was provisioned for another thing named ${THING} (its aws-iot-thing-id attribute is thing-new; the deleted thing had ID thing-old): left it alone.`,
    );
    expect(
      deviceDeletionRefusal(device, { ...deleted, thingId: 'thing-new' }, DEVICE_ID, config),
    ).toBeUndefined();
  });
});

describe('provisionThing with wrapped secrets', () => {
  const APP_KEY_11 = '00112233445566778899AABBCCDDEEFF';
  const NWK_KEY_11 = 'FFEEDDCCBBAA99887766554433221100';

  it('accepts appKey and nwkKey wrapped under the KEK ring (wrapped:<kekLabel>:<hex>)', async () => {
    const { deps, registry, tts, ignore } = setUp({
      ...CREATE,
      lorawanVersion: '1.1',
      regionalParametersVersion: '1.1-b',
      appKey: wrappedKey(APP_KEY_11),
      nwkKey: wrappedKey(NWK_KEY_11),
    });
    await expect(provisionThing(THING, 'create', deps, ignore)).resolves.toMatchObject({
      result: 'created',
    });
    const js = tts.argument('setJoinServerDevice') as { appKey: Uint8Array; nwkKey: Uint8Array };
    expect(hex(js.appKey)).toBe(APP_KEY_11);
    expect(hex(js.nwkKey)).toBe(NWK_KEY_11);
    expect(registry.things.get(THING)?.attributes).not.toHaveProperty('appKey');
    expect(registry.things.get(THING)?.attributes).not.toHaveProperty('nwkKey');
  });

  it('claims with a claimAuthenticationCode wrapped with padding (RFC 5649)', async () => {
    const { deps, tts, ignore } = setUp({
      ...CLAIM,
      claimAuthenticationCode: wrappedCode('K7X2P9Q4'),
    });
    await expect(provisionThing(THING, 'claim', deps, ignore)).resolves.toMatchObject({
      result: 'claimed',
    });
    expect(tts.argument('claimEndDevice')).toMatchObject({ authenticationCode: 'K7X2P9Q4' });
  });

  it.each([
    [
      'an unknown KEK label',
      wrappedKey(APP_KEY, 'kek9'),
      'appKey is wrapped under KEK label "kek9", which the KEK ring secret tts-stack/kek does not hold (it holds kek1)',
    ],
    [
      'another KEK',
      wrappedKey(APP_KEY, 'kek1', new Uint8Array(16).fill(7)),
      'appKey does not unwrap under KEK label "kek1" of the KEK ring secret tts-stack/kek',
    ],
    ['a malformed value', 'wrapped:kek1', 'appKey is not in the wrapped form'],
    [
      'a wrong length',
      'wrapped:kek1:00112233',
      'appKey is wrapped, but 8 hex digits are no wrapped 16-byte key',
    ],
  ])(
    'refuses a wrapped appKey with %s, saying what to do, registers nothing and never shows the value',
    async (_case, value, problem) => {
      const { deps, publisher, tts, ignore } = setUp({ ...CREATE, appKey: value });
      const error = await provisionThing(THING, 'create', deps, ignore).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'invalid_device_attributes', retryable: false });
      expect((error as Error).message).toContain(problem);
      expect(tts.calls).toEqual([]);
      const hexPart = value.split(':').pop()!;
      expect(JSON.stringify(publisher.messages)).not.toContain(
        hexPart.length > 8 ? hexPart : APP_KEY,
      );
      expect((error as Error).message).not.toContain(APP_KEY);
    },
  );

  it('reads the KEK secret again once for a label the cached ring lacks (a KEK added since)', async () => {
    const { deps, tts, ignore } = setUp({ ...CREATE, appKey: wrappedKey(APP_KEY, 'kek2') });
    const rotated = new KekRing('kek2', { kek1: KEK, kek2: KEK });
    const readRing = jest.fn(async ({ refresh = false } = {}) => (refresh ? rotated : KEK_RING));
    const result = await provisionThing(THING, 'create', { ...deps, kekRing: readRing }, ignore);
    expect(result).toMatchObject({ result: 'created' });
    expect(readRing.mock.calls).toEqual([[], [{ refresh: true }]]);
    expect(hex((tts.argument('setJoinServerDevice') as { appKey: Uint8Array }).appKey)).toBe(
      APP_KEY,
    );
  });

  it('refuses a wrapped value when the stack has no KEK ring', async () => {
    const world = inMemoryProvisioning({
      ...TEST_STACK,
      kekSecretID: undefined,
      defaultFrequencyPlanID: 'EU_863_870_TTN',
    });
    world.registry.things.set(THING, {
      thingName: THING,
      thingTypeName: 'lorawan',
      attributes: { ...CREATE, appKey: wrappedKey(APP_KEY) },
    });
    await expect(
      provisionThing(THING, 'create', world.deps, (reason) => ({ result: 'ignored', reason })),
    ).rejects.toMatchObject({
      message: expect.stringContaining('appKey is wrapped, but this stack has no KEK ring'),
    });
    expect(world.tts.calls).toEqual([]);
  });

  it('reads the KEK ring from the KEK secret through the ports', async () => {
    const config = parseRegistryConfig({
      STACK_NAME: 'tts-stack',
      THING_TYPE_NAME: 'lorawan',
      THING_NAME_SCHEME: 'DevEUI',
      THING_SHADOW_METRICS: 'false',
      APPLICATION_ID: 'my-app',
      CLUSTER_ADDRESS: 'eu1.cloud.thethings.industries',
      E2E_ENABLED: 'true',
      KEK_SECRET_ID: 'tts-stack/kek',
      API_KEY_SECRET_ID: 'tts-stack/api-key',
      IOT_DATA_ENDPOINT: 'example-ats.iot.eu-west-1.amazonaws.com',
    });
    const world = inMemoryProvisioning(config);
    // Without end-to-end encryption the functions may not read the KEK secret: no ring.
    expect(
      provisioningDependencies(
        { ...config, e2eEnabled: false },
        {
          registry: world.registry,
          publisher: world.publisher,
          secrets: new InMemorySecretReader(new Map()),
        },
        world.deps.log,
      ).kekRing,
    ).toBeUndefined();
    const secrets = new InMemorySecretReader(
      new Map([['tts-stack/kek', JSON.stringify({ current: 'kek1', kek1: hex(KEK) })]]),
    );
    const deps = provisioningDependencies(
      config,
      { registry: world.registry, publisher: world.publisher, secrets },
      world.deps.log,
    );
    await expect(deps.kekRing!()).resolves.toMatchObject({ currentLabel: 'kek1' });
  });
});

describe('provisionThing after a final failure', () => {
  it('removes plaintext keys from the thing after a refusal, and records the error code', async () => {
    const { deps, registry, tts, ignore } = setUp({ ...CREATE, lorawanVersion: '1.1' });
    await expect(provisionThing(THING, 'create', deps, ignore)).rejects.toMatchObject({
      code: 'invalid_device_attributes',
    });
    expect(tts.calls).toEqual([]);
    const attributes = registry.things.get(THING)!.attributes;
    expect(attributes).not.toHaveProperty('appKey');
    expect(attributes['provisioningFailed']).toBe('invalid_device_attributes');
  });

  it('removes the claim code after a refused claim', async () => {
    const { deps, registry, tts, ignore } = setUp(CLAIM);
    tts.fail(
      'claimEndDevice',
      new TtsApiError('permission_denied', 'denied', 403, false, undefined, undefined),
    );
    await expect(provisionThing(THING, 'claim', deps, ignore)).rejects.toMatchObject({
      retryable: false,
    });
    expect(registry.things.get(THING)!.attributes).not.toHaveProperty('claimAuthenticationCode');
  });

  it('ignores a later delivery of the event once provisioning failed for good', async () => {
    const { deps, tts, ignore } = setUp({
      ...CREATE,
      appKey: wrappedKey(APP_KEY),
      provisioningFailed: 'device_exists',
    });
    await expect(provisionThing(THING, 'create', deps, ignore)).resolves.toEqual({
      result: 'ignored',
      reason: "the thing's provisioning failed before (device_exists)",
    });
    expect(tts.calls).toEqual([]);
  });
});

describe('DELETE_UNMARKED_DEVICES', () => {
  const ENV = {
    STACK_NAME: 'tts-stack',
    THING_TYPE_NAME: 'lorawan',
    THING_NAME_SCHEME: 'DevEUI',
    THING_SHADOW_METRICS: 'false',
    APPLICATION_ID: 'my-app',
    CLUSTER_ADDRESS: 'eu1.cloud.thethings.industries',
    E2E_ENABLED: 'false',
    API_KEY_SECRET_ID: 'tts-stack/api-key',
    IOT_DATA_ENDPOINT: 'example-ats.iot.eu-west-1.amazonaws.com',
  };

  it('is false by default and true only when set so', () => {
    expect(parseRegistryConfig(ENV).deleteUnmarkedDevices).toBe(false);
    expect(
      parseRegistryConfig({ ...ENV, DELETE_UNMARKED_DEVICES: 'TRUE' }).deleteUnmarkedDevices,
    ).toBe(true);
    expect(
      parseRegistryConfig({ ...ENV, DELETE_UNMARKED_DEVICES: 'false' }).deleteUnmarkedDevices,
    ).toBe(false);
  });

  it('refuses another value, saying what it takes', () => {
    expect(() => parseRegistryConfig({ ...ENV, DELETE_UNMARKED_DEVICES: 'yes' })).toThrow(
      'DELETE_UNMARKED_DEVICES "yes" is invalid: use true or false (default false)',
    );
  });
});

describe('publishFailedOutcome', () => {
  it('logs a publish that fails instead of hiding the failure it reports', async () => {
    const { deps, lines } = setUp();
    deps.publisher.publish = () => Promise.reject(new Error('throttled'));
    await expect(
      publishFailedOutcome(deps, THING, DEVICE_ID, new Error('boom')),
    ).resolves.toBeUndefined();
    expect(lines()).toEqual([
      { level: 'warn', message: 'Could not publish the provisioning outcome.' },
    ]);
  });
});

describe('parseThingRegistryEvent', () => {
  const EVENT = {
    eventType: 'THING_EVENT',
    eventId: 'a3b4c5',
    timestamp: 1_700_000_000_000,
    operation: 'CREATED',
    accountId: '123456789012',
    thingId: 'b1d2',
    thingName: '0004A30B001C0530',
    versionNumber: 1,
    thingTypeName: 'lorawan',
    attributes: { devEUI: '0004A30B001C0530', stackName: 'tts-stack' },
  };

  it('reads the fields the registry flows use', () => {
    expect(parseThingRegistryEvent(EVENT)).toEqual({
      eventId: 'a3b4c5',
      operation: 'CREATED',
      thingName: '0004A30B001C0530',
      thingId: 'b1d2',
      thingTypeName: 'lorawan',
      versionNumber: 1,
      attributes: { devEUI: '0004A30B001C0530', stackName: 'tts-stack' },
    });
  });

  it('reads a thing without type or attributes', () => {
    expect(
      parseThingRegistryEvent({ ...EVENT, thingTypeName: null, attributes: undefined }),
    ).toMatchObject({ thingTypeName: undefined, attributes: {} });
  });

  it('refuses what is not a registry event, listing what is missing', () => {
    expect(() => parseThingRegistryEvent({ end_device_ids: {} })).toThrow(
      'The event is not a thing registry event: eventId is missing; operation is not CREATED, UPDATED or DELETED; thingName is missing.',
    );
  });
});

describe('RecentEvents', () => {
  it('remembers handled events up to its capacity, forgetting the oldest first', () => {
    const recent = new RecentEvents(2);
    recent.add('a');
    recent.add('b');
    recent.add('a'); // refreshed: now the newest
    recent.add('c');
    expect([recent.has('a'), recent.has('b'), recent.has('c')]).toEqual([true, false, true]);
  });
});

describe('failedOutcome', () => {
  it('names the error by its code', () => {
    const error = new InputError(
      'invalid_device_attributes',
      'Thing x has invalid LoRaWAN attributes.',
    );
    expect(failedOutcome('dev1', error)).toEqual({
      status: 'failed',
      deviceID: 'dev1',
      error: {
        name: 'invalid_device_attributes',
        message: 'Thing x has invalid LoRaWAN attributes.',
      },
    });
  });

  it('leaves out an unknown device ID', () => {
    expect(failedOutcome(undefined, new Error('boom'))).toEqual({
      status: 'failed',
      error: { name: 'internal', message: 'boom' },
    });
  });
});
