import {
  parseClaimDeviceAttributes,
  provisionThing,
  RecentEvents,
} from '@tts-aws-iot/integration/registry';
import { inMemoryProvisioning } from '@tts-aws-iot/integration/testing';
import { KekRing, wrapKeyWithPadding } from '@tts-aws-iot/keywrap';
import { TEST_STACK } from '@tts-aws-iot/test-kit';
import { TtsApiError } from '@tts-aws-iot/tts';
import { CLAIM_FLOW, handleThingCreated } from '../src/claim';

const THING = '0004A30B001C0530';
const CODE = 'K7X2P9Q4';
const ATTRIBUTES = {
  devEUI: THING,
  stackName: 'tts-stack',
  joinEUI: '70B3D57ED0000000',
  claimAuthenticationCode: CODE,
};

const KEK = Uint8Array.from(Buffer.from('000102030405060708090A0B0C0D0E0F', 'hex'));

function setUp() {
  const world = inMemoryProvisioning(
    {
      ...TEST_STACK,
      // A cluster on a port of its own, which the server addresses keep.
      clusterURL: 'https://tts.example:8443/api/v3',
      defaultFrequencyPlanID: 'US_902_928_FSB_2',
    },
    { kekRing: new KekRing('kek1', { kek1: KEK }) },
  );
  const { registry } = world;
  const createThing = (attributes: Record<string, string>, eventId = 'e1') => {
    registry.things.set(THING, {
      thingName: THING,
      thingTypeName: 'lorawan',
      attributes: { ...attributes },
      version: 1,
    });
    return createdEvent(attributes, eventId);
  };
  return { ...world, createThing };
}

function createdEvent(attributes: Record<string, string>, eventId = 'e1', operation = 'CREATED') {
  return {
    eventType: 'THING_EVENT',
    eventId,
    operation,
    thingName: THING,
    versionNumber: 1,
    thingTypeName: 'lorawan',
    attributes,
  };
}

const TOPIC = `lorawan/${THING}/provisioning`;

describe('ClaimThing', () => {
  it('answers a thing with a claim code but no stackName skipped, naming the attribute, without claiming', async () => {
    const { deps, tts, publisher, createThing } = setUp();
    const { stackName: _stackName, ...withoutStackName } = ATTRIBUTES;
    await expect(handleThingCreated(createThing(withoutStackName), deps)).resolves.toMatchObject({
      result: 'skipped',
    });
    expect(tts.methods).toEqual([]);
    expect(publisher.on(TOPIC)).toEqual([
      { status: 'skipped', reason: expect.stringContaining('no stackName attribute') },
    ]);
    expect(JSON.stringify(publisher.messages)).not.toContain(CODE);
  });

  it('leaves a thing with an appKey and no stackName to CreateThing’s answer (one answer per stack)', async () => {
    const { deps, publisher, createThing } = setUp();
    const { stackName: _stackName, ...withoutStackName } = ATTRIBUTES;
    await handleThingCreated(
      createThing({ ...withoutStackName, appKey: '2B7E151628AED2A6ABF7158809CF4F3C' }),
      deps,
    );
    expect(publisher.messages).toEqual([]);
  });

  it('claims, registers IS → NS → AS, removes the code, marks the thing claimed and publishes claimed', async () => {
    const { deps, tts, registry, publisher, createThing } = setUp();
    await expect(handleThingCreated(createThing(ATTRIBUTES), deps)).resolves.toEqual({
      result: 'claimed',
      thingName: THING,
      deviceID: 'eui-0004a30b001c0530',
    });
    expect(tts.methods).toEqual([
      'claimEndDevice',
      'createEndDevice',
      'setNetworkServerDevice',
      'setApplicationServerDevice',
    ]);
    expect(tts.argument('claimEndDevice')).toEqual({
      devEUI: THING,
      joinEUI: '70B3D57ED0000000',
      authenticationCode: CODE,
      applicationID: 'my-app',
      deviceID: 'eui-0004a30b001c0530',
    });
    // The external Join Server serves the device: IS gets no join_server_address.
    expect(tts.argument('createEndDevice')).not.toHaveProperty('joinServerAddress');
    expect(tts.argument('createEndDevice')).toMatchObject({
      networkServerAddress: 'tts.example:8443',
    });
    expect(tts.argument('setNetworkServerDevice')).toMatchObject({
      lorawanVersion: 'MAC_V1_0_3',
      lorawanPhyVersion: 'PHY_V1_0_3_REV_A',
      frequencyPlanID: 'US_902_928_FSB_2',
    });
    expect(registry.things.get(THING)!.attributes).toEqual({
      devEUI: THING,
      stackName: 'tts-stack',
      joinEUI: '70B3D57ED0000000',
      deviceID: 'eui-0004a30b001c0530',
      // Deleting the thing then releases the claim.
      claimed: 'true',
    });
    expect(publisher.on(TOPIC)).toEqual([{ status: 'claimed', deviceID: 'eui-0004a30b001c0530' }]);
  });

  it.each([
    [
      'a thing with an appKey (for CreateThing)',
      { ...ATTRIBUTES, appKey: '2B7E151628AED2A6ABF7158809CF4F3C' },
    ],
    ['an auto-created thing', { devEUI: THING, stackName: 'tts-stack', deviceID: 'dev1' }],
    ['a thing of another stack', { ...ATTRIBUTES, stackName: 'other' }],
  ])('leaves alone %s', async (_case, attributes) => {
    const { deps, tts, publisher, createThing } = setUp();
    await expect(handleThingCreated(createThing(attributes), deps)).resolves.toMatchObject({
      result: 'ignored',
    });
    expect(tts.methods).toEqual([]);
    expect(publisher.messages).toEqual([]);
  });

  it('ignores the event of a thing of another stack without any call', async () => {
    const { deps, tts, publisher, registry, createThing } = setUp();
    await expect(
      handleThingCreated(createThing({ ...ATTRIBUTES, stackName: 'tts-test' }), deps),
    ).resolves.toEqual({ result: 'ignored', reason: 'the thing belongs to stack tts-test' });
    expect([registry.calls, tts.calls, publisher.messages]).toEqual([[], [], []]);
  });

  it('leaves deleted things to CreateThing', async () => {
    const { deps, tts } = setUp();
    await expect(
      handleThingCreated(createdEvent(ATTRIBUTES, 'e1', 'DELETED'), deps),
    ).resolves.toMatchObject({ result: 'ignored' });
    expect(tts.methods).toEqual([]);
  });

  it('ignores repeats: in this container by event ID, elsewhere because the code is gone', async () => {
    const { deps, tts, createThing } = setUp();
    const event = createThing(ATTRIBUTES);
    await handleThingCreated(event, deps);
    tts.calls.length = 0;
    await expect(handleThingCreated(event, deps)).resolves.toEqual({
      result: 'ignored',
      reason: 'the event was handled already',
    });
    await expect(
      handleThingCreated(event, { ...deps, recentEvents: new RecentEvents() }),
    ).resolves.toEqual({ result: 'ignored', reason: 'the device was claimed already' });
    expect(tts.methods).toEqual([]);
  });

  it('reports a JoinEUI that no claiming Join Server serves, and registers nothing', async () => {
    const { deps, tts, publisher, registry, createThing } = setUp();
    tts.fail(
      'claimEndDevice',
      new TtsApiError(
        'claiming_not_supported',
        'TTS refused POST /edcs/claim: claiming not supported for JoinEUI `70B3D57ED0000000` (…).',
        409,
        false,
        'pkg/deviceclaimingserver',
        'c1',
      ),
    );
    await expect(handleThingCreated(createThing(ATTRIBUTES), deps)).rejects.toMatchObject({
      code: 'claiming_not_supported',
      retryable: false,
    });
    const [outcome] = publisher.on(TOPIC) as {
      status: string;
      error: { name: string; message: string };
    }[];
    expect(outcome).toMatchObject({
      status: 'failed',
      deviceID: 'eui-0004a30b001c0530',
      error: { name: 'claiming_not_supported' },
    });
    expect(outcome!.error.message).toContain(
      'no Join Server that supports claiming serves this JoinEUI: register the device with its root keys instead',
    );
    expect(tts.methods).toEqual(['claimEndDevice']);
    // A refusal is final: the code leaves the thing, which records why.
    expect(registry.things.get(THING)!.attributes).not.toHaveProperty('claimAuthenticationCode');
    expect(registry.things.get(THING)!.attributes['provisioningFailed']).toBe(
      'claiming_not_supported',
    );
  });

  it('claims with a claimAuthenticationCode wrapped under the KEK ring with padding (RFC 5649)', async () => {
    const { deps, tts, publisher, registry, createThing } = setUp();
    const wrapped = Buffer.from(wrapKeyWithPadding(KEK, Buffer.from(CODE, 'latin1')))
      .toString('hex')
      .toUpperCase();
    await expect(
      handleThingCreated(
        createThing({ ...ATTRIBUTES, claimAuthenticationCode: `wrapped:kek1:${wrapped}` }),
        deps,
      ),
    ).resolves.toMatchObject({ result: 'claimed' });
    expect(tts.argument('claimEndDevice')).toMatchObject({ authenticationCode: CODE });
    expect(registry.things.get(THING)!.attributes).not.toHaveProperty('claimAuthenticationCode');
    expect(JSON.stringify(publisher.messages)).not.toContain(CODE);
  });

  it('refuses with device_exists a TTS device of the same EUIs that this stack did not register, and releases its own claim', async () => {
    const { deps, tts, publisher, createThing } = setUp();
    const foreign = { devEUI: THING, joinEUI: '70B3D57ED0000000' };
    tts.devices.set('eui-0004a30b001c0530', foreign);
    await expect(handleThingCreated(createThing(ATTRIBUTES), deps)).rejects.toMatchObject({
      code: 'device_exists',
      retryable: false,
    });
    expect(tts.methods).toEqual([
      'claimEndDevice',
      'createEndDevice',
      'getEndDevice',
      'unclaimEndDevice',
    ]);
    expect(tts.devices.get('eui-0004a30b001c0530')).toEqual(foreign);
    expect(publisher.on(TOPIC)).toEqual([
      expect.objectContaining({
        status: 'failed',
        error: expect.objectContaining({ name: 'device_exists' }),
      }),
    ]);
  });

  it('reports a wrong authentication code without repeating it', async () => {
    const { deps, publisher, createThing } = setUp();
    deps.tts.claimEndDevice = async () => {
      throw new TtsApiError(
        'permission_denied',
        'TTS refused POST /edcs/claim: permission denied (pkg/deviceclaimingserver:permission_denied, HTTP 403).',
        403,
        false,
        undefined,
        undefined,
      );
    };
    await expect(handleThingCreated(createThing(ATTRIBUTES), deps)).rejects.toMatchObject({
      code: 'permission_denied',
    });
    const [outcome] = publisher.on(TOPIC) as { error: { message: string } }[];
    expect(outcome!.error.message).toContain('check the claim authentication code');
    expect(JSON.stringify(publisher.messages)).not.toContain(CODE);
  });

  it('reports invalid attributes with every problem', async () => {
    const { deps, tts, publisher, createThing } = setUp();
    await expect(
      handleThingCreated(
        createThing({ ...ATTRIBUTES, joinEUI: 'xyz', claimAuthenticationCode: 'no-dashes!' }),
        deps,
      ),
    ).rejects.toMatchObject({
      code: 'invalid_device_attributes',
    });
    const [outcome] = publisher.on(TOPIC) as { error: { message: string } }[];
    expect(outcome!.error.message).toContain('joinEUI "xyz" is invalid');
    expect(outcome!.error.message).toContain('claimAuthenticationCode is invalid');
    expect(outcome!.error.message).not.toContain('no-dashes!');
    expect(tts.methods).toEqual([]);
  });

  it('releases the claim and undoes the registration when NS fails, and lets Lambda retry', async () => {
    const { deps, tts, createThing } = setUp();
    tts.fail(
      'setNetworkServerDevice',
      new TtsApiError('unavailable', 'unavailable', 503, true, undefined, undefined),
    );
    const event = createThing(ATTRIBUTES);
    await expect(handleThingCreated(event, deps)).rejects.toMatchObject({ retryable: true });
    expect(tts.methods).toEqual([
      'claimEndDevice',
      'createEndDevice',
      'setNetworkServerDevice',
      'deleteNetworkServerDevice',
      'unclaimEndDevice',
      'deleteEndDevice',
    ]);
    tts.fail('setNetworkServerDevice', undefined);
    await expect(handleThingCreated(event, deps)).resolves.toMatchObject({ result: 'claimed' });
  });
});

describe('the claim flow (provisionThing with CLAIM_FLOW, on the thing as the registry has it)', () => {
  const DEVICE_ID = 'eui-0004a30b001c0530';
  const ignore = (reason: string) => ({ result: 'ignored' as const, reason });
  /** The value `npx keywrap attribute` prints for a claim code. */
  const wrappedCode = (code: string) =>
    `wrapped:kek1:${Buffer.from(wrapKeyWithPadding(KEK, Buffer.from(code, 'latin1')))
      .toString('hex')
      .toUpperCase()}`;

  it('claims a device, then removes the code from the thing and publishes claimed', async () => {
    const { deps, registry, publisher, tts, createThing } = setUp();
    createThing(ATTRIBUTES);
    await expect(provisionThing(THING, CLAIM_FLOW, deps, ignore)).resolves.toMatchObject({
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

  it('claims with a claimAuthenticationCode wrapped with padding (RFC 5649)', async () => {
    const { deps, tts, createThing } = setUp();
    createThing({ ...ATTRIBUTES, claimAuthenticationCode: wrappedCode('K7X2P9Q4') });
    await expect(provisionThing(THING, CLAIM_FLOW, deps, ignore)).resolves.toMatchObject({
      result: 'claimed',
    });
    expect(tts.argument('claimEndDevice')).toMatchObject({ authenticationCode: 'K7X2P9Q4' });
  });

  it('removes the claim code after a refused claim', async () => {
    const { deps, registry, tts, createThing } = setUp();
    createThing(ATTRIBUTES);
    tts.fail(
      'claimEndDevice',
      new TtsApiError('permission_denied', 'denied', 403, false, undefined, undefined),
    );
    await expect(provisionThing(THING, CLAIM_FLOW, deps, ignore)).rejects.toMatchObject({
      retryable: false,
    });
    expect(registry.things.get(THING)!.attributes).not.toHaveProperty('claimAuthenticationCode');
  });

  it('removes the claim code of a claimed device, records its ID and that it is claimed', () => {
    const spec = parseClaimDeviceAttributes(
      { devEUI: '0004A30B001C0530', joinEUI: '70B3D57ED0000000', claimAuthenticationCode: 'ABC' },
      {
        thingName: THING,
        stackName: 'tts-prod',
        thingNameScheme: 'DevEUI',
        defaultFrequencyPlanID: 'EU_863_870_TTN',
      },
    );
    expect(CLAIM_FLOW.provisionedAttributes(spec)).toEqual({
      claimAuthenticationCode: null,
      deviceID: 'eui-0004a30b001c0530',
      claimed: 'true',
    });
  });
});
