/**
 * The built CreateThing bundle (`dist/packages/create-device/index.js`), loaded as Lambda
 * loads it, against moto (AWS IoT registry, publish, Secrets Manager through the real SDK
 * clients) and the TTS stand-in. moto raises no registry events, so the test creates the
 * thing in moto and hands the handler the event that AWS IoT would.
 */
import {
  describeWithMoto,
  loadBundle,
  publishedOn,
  runContainer,
  SILENT_POWERTOOLS,
  startStackAccount,
  TEST_STACK,
  type BundleHandler,
  type StackAccount,
} from '@tts-aws-iot/test-kit';
import { startTtsSim, type TtsSim } from '@tts-aws-iot/tts-sim';
import { join } from 'node:path';

const BUNDLE = join(__dirname, '../../../dist/packages/create-device/index.js');
const API_KEY = 'NNSXS.CREATETHING.TESTKEY';
const APP_KEY = '2B7E151628AED2A6ABF7158809CF4F3C';
const NWK_KEY = '000102030405060708090A0B0C0D0E0F';
const CONTEXT = {
  functionName: 'CreateThing',
  awsRequestId: 'r-1',
  getRemainingTimeInMillis: () => 60_000,
};

describeWithMoto('CreateThing bundle against moto and the TTS stand-in', () => {
  let account: StackAccount;
  let sim: TtsSim;
  let bundle: ReturnType<typeof loadBundle>;
  const handler: BundleHandler = (event, context) => bundle.handler(event, context);
  let serial = 0;

  beforeAll(async () => {
    [account, sim] = await Promise.all([
      startStackAccount({
        secrets: { [TEST_STACK.apiKeySecretID]: API_KEY },
        env: {
          E2E_ENABLED: 'false',
          DEFAULT_FREQUENCY_PLAN_ID: 'EU_863_870_TTN',
          ...SILENT_POWERTOOLS,
        },
      }),
      startTtsSim({ apiKeys: { [API_KEY]: ['RIGHT_APPLICATION_ALL'] } }),
    ]);
    bundle = loadBundle(BUNDLE, {
      ...account.env,
      CLUSTER_ADDRESS: sim.url,
      // The stand-in speaks plain HTTP, which a deployment refuses.
      ALLOW_HTTP_CLUSTER: 'true',
    });
  }, 60_000);

  afterAll(async () => {
    bundle?.restore();
    await Promise.all([account?.stop(), sim?.close()]);
  });

  /** A DevEUI of its own for every thing, so that tests never share a device. */
  const nextDevEUI = () => `0004A30B00${(++serial).toString(16).toUpperCase().padStart(6, '0')}`;

  async function createThing(
    attributes: Record<string, string>,
    thingName = attributes['devEUI']!,
  ) {
    await account.createThing(thingName, attributes);
    thingIds.set(thingName, (await account.thing(thingName)).thingId ?? 't');
    return thingEvent('CREATED', thingName, attributes);
  }

  /** The registry ID moto gave each thing, which AWS's registry events carry. */
  const thingIds = new Map<string, string>();

  function thingEvent(
    operation: 'CREATED' | 'DELETED',
    thingName: string,
    attributes: Record<string, string>,
    eventId = `${operation}-${thingName}-${serial}`,
  ) {
    return {
      eventType: 'THING_EVENT',
      eventId,
      timestamp: Date.now(),
      operation,
      accountId: '123456789012',
      thingId: thingIds.get(thingName) ?? 't',
      thingName,
      versionNumber: 1,
      thingTypeName: 'lorawan',
      attributes,
    };
  }

  const attributesOf = async (thingName: string) => (await account.thing(thingName)).attributes;

  async function provisioning(thingName: string) {
    const topic = `lorawan/${thingName}/provisioning`;
    return publishedOn(await account.moto.requests(), topic) as Record<string, unknown>[];
  }

  const registered = (deviceID: string) =>
    (['is', 'js', 'ns', 'as'] as const).filter((component) =>
      sim.state.devices[component].has(`my-app/${deviceID}`),
    );

  const valid = (devEUI: string) => ({
    devEUI,
    stackName: 'tts-stack',
    joinEUI: '70B3D57ED0000000',
    lorawanVersion: '1.0.3',
    regionalParametersVersion: '1.0.3-a',
    appKey: APP_KEY,
  });

  it('creates the device in TTS, removes the key from the thing and publishes created', async () => {
    const devEUI = nextDevEUI();
    const deviceID = `eui-${devEUI.toLowerCase()}`;
    await handler(await createThing(valid(devEUI)), CONTEXT);

    expect(registered(deviceID)).toEqual(['is', 'js', 'ns', 'as']);
    expect(sim.state.devices.js.get(`my-app/${deviceID}`)).toMatchObject({
      root_keys: { app_key: { key: APP_KEY } },
    });
    expect(sim.state.devices.ns.get(`my-app/${deviceID}`)).toMatchObject({
      lorawan_version: 'MAC_V1_0_3',
      lorawan_phy_version: 'PHY_V1_0_3_REV_A',
      frequency_plan_id: 'EU_863_870_TTN',
      supports_join: true,
    });
    const attributes = await attributesOf(devEUI);
    expect(attributes).not.toHaveProperty('appKey');
    expect(attributes['deviceID']).toBe(deviceID);
    expect(await provisioning(devEUI)).toEqual([{ status: 'created', deviceID }]);
  }, 30_000);

  it('creates a LoRaWAN 1.1 device with both root keys', async () => {
    const devEUI = nextDevEUI();
    await handler(
      await createThing({
        ...valid(devEUI),
        lorawanVersion: '1.1',
        regionalParametersVersion: 'RP002-1.0.3',
        nwkKey: NWK_KEY,
        deviceID: `sensor-${serial}`,
      }),
      CONTEXT,
    );
    expect(sim.state.devices.js.get(`my-app/sensor-${serial}`)).toMatchObject({
      root_keys: { app_key: { key: APP_KEY }, nwk_key: { key: NWK_KEY } },
    });
    expect(await attributesOf(devEUI)).not.toHaveProperty('nwkKey');
  }, 30_000);

  it('retries TTS answering 503, then creates the device', async () => {
    const devEUI = nextDevEUI();
    sim.failNext({
      method: 'PUT',
      pathPattern: '/ns/applications/*/devices/*',
      status: 503,
      times: 2,
    });
    await handler(await createThing(valid(devEUI)), CONTEXT);
    const nsCalls = sim.requests.filter(
      (request) =>
        request.method === 'PUT' &&
        request.path.startsWith('/ns/') &&
        request.path.endsWith(`eui-${devEUI.toLowerCase()}`),
    );
    expect(nsCalls.map((request) => request.status)).toEqual([503, 503, 200]);
    expect(registered(`eui-${devEUI.toLowerCase()}`)).toEqual(['is', 'js', 'ns', 'as']);
  }, 30_000);

  it('undoes the JS and IS registrations when NS refuses the device, and publishes failed', async () => {
    const devEUI = nextDevEUI();
    const deviceID = `eui-${devEUI.toLowerCase()}`;
    sim.failNext({
      method: 'PUT',
      pathPattern: '/ns/applications/*/devices/*',
      status: 400,
      name: 'invalid_frequency_plan',
      namespace: 'pkg/networkserver',
    });
    await expect(handler(await createThing(valid(devEUI)), CONTEXT)).resolves.toBeNull(); // reported, not retried

    expect(registered(deviceID)).toEqual([]);
    const deletes = sim.requests
      .filter((request) => request.method === 'DELETE' && request.path.endsWith(deviceID))
      .map((request) => request.path.split('/')[1]);
    expect(deletes).toEqual(['js', 'applications']);
    const [outcome] = await provisioning(devEUI);
    expect(outcome).toMatchObject({
      status: 'failed',
      deviceID,
      error: { name: 'invalid_frequency_plan' },
    });
    // A refusal is final: the root key leaves the thing, which records why.
    const attributes = await attributesOf(devEUI);
    expect(attributes).not.toHaveProperty('appKey');
    expect(attributes).toHaveProperty('provisioningFailed', 'invalid_frequency_plan');
  }, 30_000);

  it('handles a repeated event once: in the same container and in another one', async () => {
    const devEUI = nextDevEUI();
    const event = await createThing(valid(devEUI));
    await handler(event, CONTEXT);
    const calls = sim.requests.length;
    await expect(handler(event, CONTEXT)).resolves.toMatchObject({
      result: 'ignored',
      reason: 'the event was handled already',
    });
    // Another container has not seen the event ID, but the thing no longer carries keys.
    await expect(
      handler({ ...event, eventId: `${event.eventId}-again` }, CONTEXT),
    ).resolves.toMatchObject({ result: 'ignored', reason: 'the device was created already' });
    expect(sim.requests.length).toBe(calls);
    expect(await provisioning(devEUI)).toHaveLength(1);
  }, 30_000);

  it('deletes the TTS device AS → NS → JS → IS when the thing is deleted', async () => {
    const devEUI = nextDevEUI();
    const deviceID = `eui-${devEUI.toLowerCase()}`;
    await handler(await createThing(valid(devEUI)), CONTEXT);
    const attributes = await attributesOf(devEUI);
    await account.deleteThing(devEUI);
    await expect(handler(thingEvent('DELETED', devEUI, attributes), CONTEXT)).resolves.toEqual({
      result: 'deleted',
      thingName: devEUI,
      deviceID,
    });

    expect(registered(deviceID)).toEqual([]);
    const deletes = sim.requests
      .filter((request) => request.method === 'DELETE' && request.path.endsWith(deviceID))
      .map((request) => request.path.split('/')[1]);
    expect(deletes).toEqual(['as', 'ns', 'js', 'applications']);
    expect((await provisioning(devEUI)).at(-1)).toEqual({ status: 'deleted', deviceID });
  }, 30_000);

  /** The SQS event the event source mapping delivers for queued registry events (raw bodies). */
  const sqsEvent = (...bodies: string[]) => ({
    Records: bodies.map((body, i) => ({
      messageId: `message-${serial}-${i + 1}`,
      receiptHandle: `receipt-${i + 1}`,
      body,
      attributes: { ApproximateReceiveCount: '1' },
      messageAttributes: {},
      md5OfBody: '',
      eventSource: 'aws:sqs',
      eventSourceARN: 'arn:aws:sqs:us-east-1:123456789012:tts-stack-CreateDeviceQueue',
      awsRegion: 'us-east-1',
    })),
  });

  it('takes queued registry events: a TTS outage reports the event for redelivery, which then creates the device; refused and unparseable messages are acknowledged', async () => {
    const devEUI = nextDevEUI();
    const deviceID = `eui-${devEUI.toLowerCase()}`;
    const created = JSON.stringify(await createThing(valid(devEUI)));
    const badDevEUI = nextDevEUI();
    const refused = JSON.stringify(
      await createThing({ ...valid(badDevEUI), joinEUI: '70B3D57ED000' }, badDevEUI),
    );
    // TTS answers nothing but 503 for as long as the client retries.
    sim.failNext({
      method: 'POST',
      pathPattern: '/applications/*/devices',
      status: 503,
      times: 4,
    });
    const batch = sqsEvent(created, refused, `{"attributes":{"appKey":"${APP_KEY}"`);
    await expect(handler(batch, CONTEXT)).resolves.toEqual({
      batchItemFailures: [{ itemIdentifier: batch.Records[0]!.messageId }],
    });
    expect(registered(deviceID)).toEqual([]);
    expect((await provisioning(badDevEUI)).map((outcome) => outcome['status'])).toEqual(['failed']);

    // SQS delivers the failed message again, once TTS is back.
    await expect(handler(sqsEvent(created), CONTEXT)).resolves.toEqual({ batchItemFailures: [] });
    expect(registered(deviceID)).toEqual(['is', 'js', 'ns', 'as']);
    expect((await provisioning(devEUI)).map((outcome) => outcome['status'])).toEqual([
      'failed',
      'created',
    ]);
  }, 60_000);

  it('refuses an http:// CLUSTER_ADDRESS without ALLOW_HTTP_CLUSTER, as a retryable configuration error', async () => {
    const devEUI = nextDevEUI();
    const event = await createThing(valid(devEUI));
    const run = await runContainer(BUNDLE, { ...account.env, CLUSTER_ADDRESS: sim.url }, [
      event,
      sqsEvent(JSON.stringify(event)),
    ]);
    expect(run.outcomes[0]).toMatchObject({
      ok: false,
      error: { code: 'invalid_configuration', message: expect.stringContaining('CLUSTER_ADDRESS') },
    });
    // Queued, the event waits for the fixed deployment.
    expect(run.outcomes[1]).toMatchObject({
      ok: true,
      value: { batchItemFailures: [{ itemIdentifier: `message-${serial}-1` }] },
    });
    expect(registered(`eui-${devEUI.toLowerCase()}`)).toEqual([]);
  }, 60_000);

  it('leaves alone things the uplink Lambda created', async () => {
    const devEUI = nextDevEUI();
    const calls = sim.requests.length;
    await expect(
      handler(await createThing({ devEUI, stackName: 'tts-stack', deviceID: 'dev-auto' }), CONTEXT),
    ).resolves.toMatchObject({ result: 'ignored' });
    expect(sim.requests.length).toBe(calls);
  }, 30_000);

  // Each bad attribute set with the problem its failure must name (never the key itself).
  const BAD: [string, (devEUI: string) => Record<string, string | undefined>, string][] = [
    ['no joinEUI', () => ({ joinEUI: undefined }), 'joinEUI is missing'],
    [
      'a short joinEUI',
      () => ({ joinEUI: '70B3D57ED000' }),
      'joinEUI "70B3D57ED000" is invalid: use 16 hex digits',
    ],
    [
      'joinEUI and appEUI that differ',
      () => ({ appEUI: '70B3D57ED0000001' }),
      'joinEUI 70B3D57ED0000000 and appEUI 70B3D57ED0000001 differ',
    ],
    ['no lorawanVersion', () => ({ lorawanVersion: undefined }), 'lorawanVersion is missing'],
    [
      'an unknown lorawanVersion',
      () => ({ lorawanVersion: '1.2' }),
      'lorawanVersion "1.2" is not supported',
    ],
    [
      'no regionalParametersVersion',
      () => ({ regionalParametersVersion: undefined }),
      'regionalParametersVersion is missing',
    ],
    [
      'an unknown regionalParametersVersion',
      () => ({ regionalParametersVersion: 'RP003-1.0.0' }),
      'regionalParametersVersion "RP003-1.0.0" is not supported',
    ],
    [
      'versions that do not go together',
      () => ({ lorawanVersion: '1.0.4', regionalParametersVersion: '1.0.2-b' }),
      'regionalParametersVersion 1.0.2-b does not go with lorawanVersion 1.0.4',
    ],
    [
      'a short appKey',
      () => ({ appKey: APP_KEY.slice(0, 30) }),
      'appKey is invalid: use 32 hex digits (got 30 characters)',
    ],
    [
      'an appKey that is not hex',
      () => ({ appKey: `${APP_KEY.slice(0, 31)}G` }),
      'appKey is invalid: use 32 hex digits (got a character other than a hex digit)',
    ],
    [
      'LoRaWAN 1.1 without nwkKey',
      () => ({ lorawanVersion: '1.1', regionalParametersVersion: '1.1-b' }),
      'nwkKey is missing: LoRaWAN 1.1 devices need their NwkKey',
    ],
    [
      'a nwkKey on LoRaWAN 1.0.3',
      () => ({ nwkKey: NWK_KEY }),
      'nwkKey is set, but LoRaWAN 1.0.3 devices have no NwkKey',
    ],
    ['an uppercase deviceID', () => ({ deviceID: 'Sensor-1' }), 'deviceID "Sensor-1" is invalid'],
    ['a deviceID of two characters', () => ({ deviceID: 'ab' }), 'deviceID "ab" is invalid'],
    [
      'a frequencyPlanID that is not one',
      () => ({ frequencyPlanID: 'eu868' }),
      'frequencyPlanID "eu868" is invalid',
    ],
    [
      'a claim code beside the appKey',
      () => ({ claimAuthenticationCode: 'ABC123' }),
      'appKey and claimAuthenticationCode are both set',
    ],
  ];

  it.each(BAD)(
    'reports %s on the provisioning topic and registers nothing',
    async (_case, change, problem) => {
      const devEUI = nextDevEUI();
      const attributes = Object.fromEntries(
        Object.entries({ ...valid(devEUI), ...change(devEUI) }).filter(
          ([, value]) => value !== undefined,
        ),
      ) as Record<string, string>;
      const calls = sim.requests.length;
      await expect(handler(await createThing(attributes, devEUI), CONTEXT)).resolves.toBeNull();

      expect(sim.requests.length).toBe(calls);
      const outcomes = await provisioning(devEUI);
      expect(outcomes).toHaveLength(1);
      const outcome = outcomes[0] as { status: string; error: { name: string; message: string } };
      expect(outcome.status).toBe('failed');
      expect(outcome.error.name).toBe('invalid_device_attributes');
      expect(outcome.error.message).toContain(problem);
      expect(outcome.error.message).not.toContain(APP_KEY.slice(0, 30));
    },
    30_000,
  );
});
