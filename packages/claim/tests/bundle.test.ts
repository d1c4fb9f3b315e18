/**
 * The built ClaimThing bundle (`dist/packages/claim/index.js`), loaded as Lambda loads it,
 * against moto (AWS IoT registry, publish, Secrets Manager through the real SDK clients)
 * and the TTS stand-in, whose claiming server serves one JoinEUI. moto raises no registry
 * events, so the test creates the thing in moto and hands the handler the event.
 */
import {
  describeWithMoto,
  loadBundle,
  publishedOn,
  SILENT_POWERTOOLS,
  startStackAccount,
  TEST_STACK,
  type BundleHandler,
  type StackAccount,
} from '@tts-aws-iot/test-kit';
import { startTtsSim, type TtsSim } from '@tts-aws-iot/tts-sim';
import { join } from 'node:path';

const BUNDLE = join(__dirname, '../../../dist/packages/claim/index.js');
const API_KEY = 'NNSXS.CLAIMTHING.TESTKEY';
const CLAIMABLE_JOIN_EUI = '70B3D57ED0000000';
const CODE = 'K7X2P9Q4';
const CONTEXT = {
  functionName: 'ClaimThing',
  awsRequestId: 'r-1',
  getRemainingTimeInMillis: () => 60_000,
};

describeWithMoto('ClaimThing bundle against moto and the TTS stand-in', () => {
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
          DEFAULT_FREQUENCY_PLAN_ID: 'US_902_928_FSB_2',
          ...SILENT_POWERTOOLS,
        },
      }),
      startTtsSim({
        apiKeys: { [API_KEY]: ['RIGHT_APPLICATION_ALL'] },
        claimableJoinEUIs: [CLAIMABLE_JOIN_EUI],
      }),
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

  async function createThing(attributes: Record<string, string>) {
    const thingName = attributes['devEUI']!;
    await account.createThing(thingName, attributes);
    return {
      eventType: 'THING_EVENT',
      eventId: `created-${thingName}`,
      timestamp: Date.now(),
      operation: 'CREATED',
      thingName,
      versionNumber: 1,
      thingTypeName: 'lorawan',
      attributes,
    };
  }

  const thing = (joinEUI = CLAIMABLE_JOIN_EUI) => {
    const devEUI = `0004A30B01${(++serial).toString(16).toUpperCase().padStart(6, '0')}`;
    return { devEUI, stackName: 'tts-stack', joinEUI, claimAuthenticationCode: CODE };
  };

  async function provisioning(thingName: string) {
    const topic = `lorawan/${thingName}/provisioning`;
    return publishedOn(await account.moto.requests(), topic) as Record<string, unknown>[];
  }

  const attributesOf = async (thingName: string) => (await account.thing(thingName)).attributes;
  const registered = (deviceID: string) =>
    (['is', 'js', 'ns', 'as'] as const).filter((component) =>
      sim.state.devices[component].has(`my-app/${deviceID}`),
    );

  it('claims the device, registers it on IS, NS and AS, removes the code and publishes claimed', async () => {
    const attributes = thing();
    const deviceID = `eui-${attributes.devEUI.toLowerCase()}`;
    await expect(handler(await createThing(attributes), CONTEXT)).resolves.toEqual({
      result: 'claimed',
      thingName: attributes.devEUI,
      deviceID,
    });

    expect(sim.state.claims.get(`my-app/${deviceID}`)).toMatchObject({
      devEUI: attributes.devEUI,
      joinEUI: CLAIMABLE_JOIN_EUI,
      authenticationCode: CODE,
    });
    expect(registered(deviceID)).toEqual(['is', 'ns', 'as']);
    expect(sim.state.devices.is.get(`my-app/${deviceID}`)).not.toHaveProperty(
      'join_server_address',
    );
    expect(sim.state.devices.ns.get(`my-app/${deviceID}`)).toMatchObject({
      frequency_plan_id: 'US_902_928_FSB_2',
      lorawan_version: 'MAC_V1_0_3',
    });
    const after = await attributesOf(attributes.devEUI);
    expect(after).not.toHaveProperty('claimAuthenticationCode');
    expect(after['deviceID']).toBe(deviceID);
    expect(await provisioning(attributes.devEUI)).toEqual([{ status: 'claimed', deviceID }]);
  }, 30_000);

  it('reports a JoinEUI that no claiming Join Server serves', async () => {
    const attributes = thing('70B3D57ED000FFFF');
    await expect(handler(await createThing(attributes), CONTEXT)).resolves.toBeNull(); // reported, not retried

    expect(registered(`eui-${attributes.devEUI.toLowerCase()}`)).toEqual([]);
    const [outcome] = (await provisioning(attributes.devEUI)) as {
      status: string;
      error: { name: string; message: string };
    }[];
    expect(outcome).toMatchObject({ status: 'failed', error: { name: 'claiming_not_supported' } });
    expect(outcome!.error.message).toContain(
      'TTS refused to claim DevEUI ' +
        attributes.devEUI +
        ' with JoinEUI 70B3D57ED000FFFF: no Join Server that supports claiming serves this JoinEUI: register the device with its root keys instead.',
    );
    // A refusal is final: the code leaves the thing, which records why.
    const left = await attributesOf(attributes.devEUI);
    expect(left).not.toHaveProperty('claimAuthenticationCode');
    expect(left).toHaveProperty('provisioningFailed', 'claiming_not_supported');
  }, 30_000);

  it('reports a wrong authentication code without repeating it', async () => {
    const attributes = thing();
    sim.failNext({
      method: 'POST',
      pathPattern: '/edcs/claim',
      status: 403,
      name: 'permission_denied',
      namespace: 'pkg/deviceclaimingserver/enddevices/ttjsv2',
    });
    await expect(handler(await createThing(attributes), CONTEXT)).resolves.toBeNull();

    const [outcome] = (await provisioning(attributes.devEUI)) as {
      status: string;
      error: { name: string; message: string };
    }[];
    expect(outcome).toMatchObject({ status: 'failed', error: { name: 'permission_denied' } });
    expect(outcome!.error.message).toContain(
      "check the claim authentication code on the device's label",
    );
    expect(JSON.stringify(outcome)).not.toContain(CODE);
    expect(sim.state.claims.has(`my-app/eui-${attributes.devEUI.toLowerCase()}`)).toBe(false);
  }, 30_000);

  it('releases the claim and removes the IS registration when NS refuses the device', async () => {
    const attributes = thing();
    const deviceID = `eui-${attributes.devEUI.toLowerCase()}`;
    sim.failNext({
      method: 'PUT',
      pathPattern: '/ns/applications/*/devices/*',
      status: 400,
      name: 'invalid_frequency_plan',
    });
    await expect(handler(await createThing(attributes), CONTEXT)).resolves.toBeNull();

    expect(sim.state.claims.has(`my-app/${deviceID}`)).toBe(false);
    expect(registered(deviceID)).toEqual([]);
    expect(await provisioning(attributes.devEUI)).toEqual([
      expect.objectContaining({
        status: 'failed',
        error: expect.objectContaining({ name: 'invalid_frequency_plan' }),
      }),
    ]);
  }, 30_000);

  it('retries TTS answering 503 on the claim', async () => {
    const attributes = thing();
    sim.failNext({ method: 'POST', pathPattern: '/edcs/claim', status: 503 });
    await expect(handler(await createThing(attributes), CONTEXT)).resolves.toMatchObject({
      result: 'claimed',
    });
  }, 30_000);

  it('takes queued registry events: a TTS outage reports the event for redelivery, which then claims the device; unparseable messages are acknowledged', async () => {
    const attributes = thing();
    const deviceID = `eui-${attributes.devEUI.toLowerCase()}`;
    const body = JSON.stringify(await createThing(attributes));
    const record = (text: string, id: string) => ({
      messageId: id,
      receiptHandle: id,
      body: text,
      attributes: { ApproximateReceiveCount: '1' },
      messageAttributes: {},
      md5OfBody: '',
      eventSource: 'aws:sqs',
      eventSourceARN: 'arn:aws:sqs:us-east-1:123456789012:tts-stack-ClaimQueue',
      awsRegion: 'us-east-1',
    });
    sim.failNext({ method: 'POST', pathPattern: '/edcs/claim', status: 503, times: 4 });
    await expect(
      handler(
        { Records: [record(body, 'm-1'), record(`{"claimAuthenticationCode":"${CODE}"`, 'm-2')] },
        CONTEXT,
      ),
    ).resolves.toEqual({ batchItemFailures: [{ itemIdentifier: 'm-1' }] });
    expect(sim.state.claims.has(`my-app/${deviceID}`)).toBe(false);

    await expect(handler({ Records: [record(body, 'm-1')] }, CONTEXT)).resolves.toEqual({
      batchItemFailures: [],
    });
    expect(registered(deviceID)).toEqual(['is', 'ns', 'as']);
    expect((await provisioning(attributes.devEUI)).at(-1)).toMatchObject({ status: 'claimed' });
  }, 60_000);

  it('leaves things with root keys to CreateThing', async () => {
    const attributes = { ...thing(), appKey: '2B7E151628AED2A6ABF7158809CF4F3C' };
    const calls = sim.requests.length;
    await expect(handler(await createThing(attributes), CONTEXT)).resolves.toMatchObject({
      result: 'ignored',
    });
    expect(sim.requests.length).toBe(calls);
  }, 30_000);
});
