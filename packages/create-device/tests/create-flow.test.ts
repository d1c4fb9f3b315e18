import { KekRing, wrapKey } from '@tts-aws-iot/keywrap';
import { parseOtaaDeviceAttributes, provisionThing } from '@tts-aws-iot/integration/registry';
import { inMemoryProvisioning } from '@tts-aws-iot/integration/testing';
import { TEST_STACK } from '@tts-aws-iot/test-kit';
import { TtsApiError } from '@tts-aws-iot/tts';
import { CREATE_FLOW } from '../src/create-device';

// CreateThing's create flow, run by the shared runner (provisionThing) on the thing as the
// registry has it now; create-device.test.ts drives it through registry events.

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
/** A thing to claim: not the create flow's. */
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
/** This stack's marker on the TTS devices it provisions. */
const MARKER = { 'aws-iot-stack': 'tts-stack' };
const ignore = (reason: string) => ({ result: 'ignored' as const, reason });

/** In-memory ports, the thing in the registry with `attributes`, and every log line. */
function setUp(attributes?: Record<string, string>) {
  const world = inMemoryProvisioning(
    { ...TEST_STACK, defaultFrequencyPlanID: 'EU_863_870_TTN' },
    { kekRing: KEK_RING },
  );
  if (attributes) {
    world.registry.things.set(THING, { thingName: THING, thingTypeName: 'lorawan', attributes });
  }
  /** The level and message of each log line. */
  const lines = () => world.logs.map(({ level, message }) => ({ level, message }));
  return { ...world, lines, ignore };
}

describe('the create flow', () => {
  it('creates a device with its root keys, then removes them from the thing and publishes created', async () => {
    const { deps, registry, publisher, tts, ignore } = setUp(CREATE);
    await expect(provisionThing(THING, CREATE_FLOW, deps, ignore)).resolves.toEqual({
      result: 'created',
      thingName: THING,
      deviceID: DEVICE_ID,
    });
    expect(tts.argument('setJoinServerDevice')).toMatchObject({ ids: { deviceID: DEVICE_ID } });
    const { appKey: _appKey, ...kept } = CREATE;
    expect(registry.things.get(THING)?.attributes).toEqual({ ...kept, deviceID: DEVICE_ID });
    expect(publisher.on(TOPIC)).toEqual([{ status: 'created', deviceID: DEVICE_ID }]);
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
    await expect(provisionThing(THING, CREATE_FLOW, deps, ignore)).resolves.toEqual({
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
    await expect(provisionThing(THING, CREATE_FLOW, deps, ignore)).rejects.toBe(unavailable);
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
    await expect(provisionThing(THING, CREATE_FLOW, deps, ignore)).resolves.toMatchObject({
      result: 'created',
    });
    expect(lines()).toContainEqual({
      level: 'info',
      message: 'The TTS device existed with the same identifiers: completed it.',
    });
  });
});

describe('the create flow and devices this stack did not provision', () => {
  it('marks the devices it registers with aws-iot-stack=<stack name>', async () => {
    const { deps, tts, ignore } = setUp(CREATE);
    await provisionThing(THING, CREATE_FLOW, deps, ignore);
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
      const error = await provisionThing(THING, CREATE_FLOW, deps, ignore).catch((e: unknown) => e);
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

describe('the create flow and a thing deleted and created again under the same name', () => {
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
    await provisionThing(THING, CREATE_FLOW, deps, ignore);
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
    const error = await provisionThing(THING, CREATE_FLOW, deps, ignore).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'device_of_earlier_thing', retryable: true });
    expect(tts.methods).toEqual(['createEndDevice', 'getEndDevice']);
    expect(tts.devices.get(DEVICE_ID)).toEqual(earlier);
    expect(JSON.stringify(error)).not.toContain(OTHER_KEY);
    // Retryable: the thing keeps its keys for the retry after the earlier thing's deletion.
    expect(registry.things.get(THING)!.attributes['appKey']).toBe(OTHER_KEY);

    // The earlier thing's deletion removes the device; the retry then provisions afresh.
    tts.devices.delete(DEVICE_ID);
    await expect(provisionThing(THING, CREATE_FLOW, deps, ignore)).resolves.toMatchObject({
      result: 'created',
    });
    expect(tts.devices.get(DEVICE_ID)?.attributes?.['aws-iot-thing-id']).toBe('thing-new');
  });
});

describe('the create flow with wrapped secrets', () => {
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
    await expect(provisionThing(THING, CREATE_FLOW, deps, ignore)).resolves.toMatchObject({
      result: 'created',
    });
    const js = tts.argument('setJoinServerDevice') as { appKey: Uint8Array; nwkKey: Uint8Array };
    expect(hex(js.appKey)).toBe(APP_KEY_11);
    expect(hex(js.nwkKey)).toBe(NWK_KEY_11);
    expect(registry.things.get(THING)?.attributes).not.toHaveProperty('appKey');
    expect(registry.things.get(THING)?.attributes).not.toHaveProperty('nwkKey');
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
      const error = await provisionThing(THING, CREATE_FLOW, deps, ignore).catch((e: unknown) => e);
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
    const result = await provisionThing(THING, CREATE_FLOW, { ...deps, kekRing: readRing }, ignore);
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
      provisionThing(THING, CREATE_FLOW, world.deps, (reason) => ({ result: 'ignored', reason })),
    ).rejects.toMatchObject({
      message: expect.stringContaining('appKey is wrapped, but this stack has no KEK ring'),
    });
    expect(world.tts.calls).toEqual([]);
  });
});

describe('the create flow after a final failure', () => {
  it('removes plaintext keys from the thing after a refusal, and records the error code', async () => {
    const { deps, registry, tts, ignore } = setUp({ ...CREATE, lorawanVersion: '1.1' });
    await expect(provisionThing(THING, CREATE_FLOW, deps, ignore)).rejects.toMatchObject({
      code: 'invalid_device_attributes',
    });
    expect(tts.calls).toEqual([]);
    const attributes = registry.things.get(THING)!.attributes;
    expect(attributes).not.toHaveProperty('appKey');
    expect(attributes['provisioningFailed']).toBe('invalid_device_attributes');
  });

  it('ignores a later delivery of the event once provisioning failed for good', async () => {
    const { deps, tts, ignore } = setUp({
      ...CREATE,
      appKey: wrappedKey(APP_KEY),
      provisioningFailed: 'device_exists',
    });
    await expect(provisionThing(THING, CREATE_FLOW, deps, ignore)).resolves.toEqual({
      result: 'ignored',
      reason: "the thing's provisioning failed before (device_exists)",
    });
    expect(tts.calls).toEqual([]);
  });
});

describe('the create flow after a success', () => {
  it('removes the root keys of a created device and records its ID', () => {
    const spec = parseOtaaDeviceAttributes(CREATE, {
      thingName: THING,
      stackName: 'tts-stack',
      thingNameScheme: 'DevEUI',
      defaultFrequencyPlanID: 'EU_863_870_TTN',
    });
    expect(CREATE_FLOW.provisionedAttributes(spec)).toEqual({
      appKey: null,
      nwkKey: null,
      deviceID: 'eui-0004a30b001c0530',
    });
  });
});
