import { TtsApiError } from '@tts-aws-iot/tts';

import { InputError } from '../src/errors';
import { TEST_STACK } from '@tts-aws-iot/test-kit';

import { inMemoryProvisioning } from '../src/in-memory';
import {
  failedOutcome,
  handleRegistryEventOnce,
  parseThingRegistryEvent,
  provisionThing,
  publishFailedOutcome,
  RecentEvents,
} from '../src/provisioning';

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

/** In-memory ports, the thing in the registry with `attributes`, and every log line. */
function setUp(attributes?: Record<string, string>) {
  const world = inMemoryProvisioning({ ...TEST_STACK, defaultFrequencyPlanID: 'EU_863_870_TTN' });
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
    tts.devices.set(DEVICE_ID, { devEUI: THING, joinEUI: '70B3D57ED0000000' });
    await expect(provisionThing(THING, 'create', deps, ignore)).resolves.toMatchObject({
      result: 'created',
    });
    expect(lines()).toContainEqual({
      level: 'info',
      message: 'The TTS device existed with the same identifiers: completed it.',
    });
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
