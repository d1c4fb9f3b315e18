import { KekRing } from '@tts-aws-iot/keywrap';
import { TtsApiError } from '@tts-aws-iot/tts';

import { InputError } from '../../src/errors';
import { TEST_STACK } from '@tts-aws-iot/test-kit';

import { parseRegistryConfig } from '../../src/config';
import { InMemorySecretReader, inMemoryProvisioning } from '../../src/testing/in-memory';
import { provisioningDependencies } from '../../src/registry/dependencies';
import { deviceDeletionRefusal } from '../../src/registry/device-deletion';
import { failedOutcome, publishFailedOutcome } from '../../src/registry/outcome';
import {
  handleRegistryEventOnce,
  parseThingRegistryEvent,
  RecentEvents,
} from '../../src/registry/registry-event';

// The create and claim flows themselves are tested where they live: packages/create-device
// (tests/create-flow.test.ts) and packages/claim (tests/claim.test.ts).

const THING = '0004A30B001C0530';
const DEVICE_ID = 'eui-0004a30b001c0530';
const APP_KEY = '2B7E151628AED2A6ABF7158809CF4F3C';
const CREATE = {
  devEUI: THING,
  stackName: 'tts-stack',
  joinEUI: '70B3D57ED0000000',
  lorawanVersion: '1.0.3',
  regionalParametersVersion: '1.0.3-a',
  appKey: APP_KEY,
};

const KEK = Uint8Array.from(Buffer.from('000102030405060708090A0B0C0D0E0F', 'hex'));
const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex').toUpperCase();
/** This stack's marker on the TTS devices it provisions. */
const MARKER = { 'aws-iot-stack': 'tts-stack' };

/** In-memory ports, and every log line. */
function setUp() {
  const world = inMemoryProvisioning(
    { ...TEST_STACK, defaultFrequencyPlanID: 'EU_863_870_TTN' },
    { kekRing: new KekRing('kek1', { kek1: KEK }) },
  );
  /** The level and message of each log line. */
  const lines = () => world.logs.map(({ level, message }) => ({ level, message }));
  return { ...world, lines };
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
    const { deps, registry, publisher, tts, lines } = setUp();
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
    const { deps } = setUp();
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
    const { deps } = setUp();
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

describe('deviceDeletionRefusal and a thing deleted and created again under the same name', () => {
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

describe('provisioningDependencies', () => {
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
