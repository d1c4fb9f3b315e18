/**
 * The built Configure bundle (`dist/packages/pubsub-config/index.js`), loaded as Lambda
 * loads it, answering CloudFormation requests on a local receiver, with its secrets in moto
 * (Secrets Manager through the real SDK client) and the TTS stand-in as the cluster.
 */
import {
  describeWithMoto,
  loadBundle,
  SILENT_POWERTOOLS,
  startCloudFormationReceiver,
  startStackAccount,
  type BundleHandler,
  type StackAccount,
} from '@tts-aws-iot/test-kit';
import { startTtsSim, type TtsSim } from '@tts-aws-iot/tts-sim';
import { join } from 'node:path';

const BUNDLE = join(__dirname, '../../../dist/packages/pubsub-config/index.js');
const FULL_KEY = 'NNSXS.CONFIGURE.FULLKEY';
const TRAFFIC_KEY = 'NNSXS.CONFIGURE.TRAFFICKEY';
const KEK_HEX = '000102030405060708090A0B0C0D0E0F';
const CONTEXT = {
  functionName: 'Configure',
  awsRequestId: 'r-1',
  logStreamName: 'stream',
  getRemainingTimeInMillis: () => 120_000,
};

describeWithMoto('Configure bundle against moto and the TTS stand-in', () => {
  let account: StackAccount;
  let sim: TtsSim;
  let receiver: Awaited<ReturnType<typeof startCloudFormationReceiver>>;
  let bundle: ReturnType<typeof loadBundle>;
  const handler: BundleHandler = (event, context) => bundle.handler(event, context);

  beforeAll(async () => {
    [account, sim, receiver] = await Promise.all([
      startStackAccount({
        secrets: {
          'tts-it/api-key': FULL_KEY,
          'tts-it/traffic-key': TRAFFIC_KEY,
          // The flat ring the stack generates: {"current": <label>, <label>: <hex>}.
          'tts-it/kek': JSON.stringify({ current: 'tts-it-kek-1', 'tts-it-kek-1': KEK_HEX }),
        },
      }),
      startTtsSim({
        apiKeys: {
          [FULL_KEY]: { applicationID: 'app1', rights: ['RIGHT_APPLICATION_ALL'] },
          [TRAFFIC_KEY]: {
            applicationID: 'app1',
            rights: ['RIGHT_APPLICATION_TRAFFIC_READ', 'RIGHT_APPLICATION_SETTINGS_BASIC'],
          },
        },
      }),
      startCloudFormationReceiver(),
    ]);
    bundle = loadBundle(BUNDLE, {
      ...account.moto.env,
      ...SILENT_POWERTOOLS,
      // The stand-in speaks plain HTTP, which a deployment refuses.
      ALLOW_HTTP_CLUSTER: 'true',
    });
  }, 60_000);

  afterAll(async () => {
    bundle?.restore();
    await Promise.all([account?.stop(), sim?.close(), receiver?.close()]);
  });

  beforeEach(() => {
    receiver.received.length = 0;
  });

  const properties = (change: Record<string, string> = {}) => ({
    ServiceToken: 'arn:aws:lambda:us-east-1:123456789012:function:Configure',
    ApplicationID: 'app1',
    ClusterAddress: sim.url,
    StackName: 'tts-it',
    Region: 'eu-west-1',
    RoleArn: 'arn:aws:iam::123456789012:role/tts-it-TtsRole',
    ExternalId: 'f3c1d9e2-77a1',
    EndpointAddress: 'a1b2c3-ats.iot.eu-west-1.amazonaws.com',
    EnableEndToEndEncryption: 'true',
    KekSecretId: 'tts-it/kek',
    ApiKeySecretId: 'tts-it/api-key',
    ...change,
  });

  function request(
    requestType: 'Create' | 'Update' | 'Delete',
    resourceProperties = properties(),
    physicalResourceId = 'app1/aws-iot',
  ) {
    return {
      RequestType: requestType,
      ServiceToken: resourceProperties.ServiceToken,
      ResponseURL: receiver.url('/cfn?X-Amz-Signature=s'),
      StackId:
        'arn:aws:cloudformation:us-east-1:123456789012:stack/tts-it/6c1f4c20-0000-11ef-8000-0a1b2c3d4e5f',
      RequestId: 'a1b2c3d4-0000-1111-2222-333344445555',
      LogicalResourceId: 'PubSub',
      ResourceType: 'Custom::PubSub',
      ResourceProperties: resourceProperties,
      ...(requestType === 'Create' ? {} : { PhysicalResourceId: physicalResourceId }),
      ...(requestType === 'Update' ? { OldResourceProperties: properties() } : {}),
    };
  }

  /** The one answer CloudFormation got, checked for the protocol's rules. */
  function answer() {
    expect(receiver.received).toHaveLength(1);
    const [response] = receiver.received;
    expect(response!.method).toBe('PUT');
    expect(response!.headers['content-type']).toBe('');
    expect(Buffer.byteLength(response!.body)).toBeLessThanOrEqual(4096);
    expect(response!.body).not.toContain(KEK_HEX);
    expect(response!.body).not.toContain(FULL_KEY);
    return response!.json;
  }

  it('Create sets the pub/sub, installs the KEK and turns on skip_payload_crypto', async () => {
    await handler(request('Create'), CONTEXT);

    expect(answer()).toMatchObject({
      Status: 'SUCCESS',
      PhysicalResourceId: 'app1/aws-iot',
      LogicalResourceId: 'PubSub',
      Data: { ApplicationID: 'app1', PubSubID: 'aws-iot', KekLabel: 'tts-it-kek-1' },
    });
    expect(sim.state.pubsubs.get('app1/aws-iot')).toMatchObject({
      format: 'json',
      aws_iot: {
        region: 'eu-west-1',
        assume_role: {
          arn: 'arn:aws:iam::123456789012:role/tts-it-TtsRole',
          external_id: 'f3c1d9e2-77a1',
        },
        endpoint_address: 'a1b2c3-ats.iot.eu-west-1.amazonaws.com',
        default: { stack_name: 'tts-it' },
      },
    });
    expect(sim.state.kekSettings.get('app1')).toMatchObject({
      kek_label: 'tts-it-kek-1',
      kek: { key: KEK_HEX },
    });
    expect(sim.state.links.get('app1')).toMatchObject({ skip_payload_crypto: true });
  }, 30_000);

  it('Update without end-to-end encryption removes the KEK and skip_payload_crypto, keeping the PhysicalResourceId', async () => {
    await handler(
      request('Update', properties({ EnableEndToEndEncryption: 'false', KekSecretId: '' })),
      CONTEXT,
    );

    expect(answer()).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: 'app1/aws-iot' });
    expect(sim.state.pubsubs.has('app1/aws-iot')).toBe(true);
    expect(sim.state.kekSettings.has('app1')).toBe(false);
    expect(sim.state.links.get('app1')?.['skip_payload_crypto']).toBeFalsy();
  }, 30_000);

  it('Create fails naming the rights the API key lacks, and configures nothing', async () => {
    sim.reset();
    await handler(request('Create', properties({ ApiKeySecretId: 'tts-it/traffic-key' })), CONTEXT);

    const response = answer();
    expect(response).toMatchObject({
      Status: 'FAILED',
      PhysicalResourceId: 'create-failed#a1b2c3d4-0000-1111-2222-333344445555',
    });
    expect(response['Reason']).toMatch(
      /^The API key lacks the rights RIGHT_APPLICATION_DEVICES_READ, RIGHT_APPLICATION_DEVICES_READ_KEYS, .*RIGHT_APPLICATION_TRAFFIC_DOWN_WRITE: create an API key/,
    );
    expect(sim.state.pubsubs.size).toBe(0);
  }, 30_000);

  it('answers the Delete after a failed Create with SUCCESS, without calling TTS', async () => {
    const calls = sim.requests.length;
    await handler(
      request('Delete', properties(), 'create-failed#a1b2c3d4-0000-1111-2222-333344445555'),
      CONTEXT,
    );
    expect(answer()).toMatchObject({
      Status: 'SUCCESS',
      PhysicalResourceId: 'create-failed#a1b2c3d4-0000-1111-2222-333344445555',
    });
    expect(sim.requests.length).toBe(calls);
  }, 30_000);

  it('Create fails with every invalid property listed', async () => {
    await handler(
      request('Create', properties({ StackName: '9lives', RoleArn: 'role/x' })),
      CONTEXT,
    );
    const response = answer();
    expect(response['Status']).toBe('FAILED');
    expect(response['Reason']).toContain(
      'Invalid Custom::PubSub properties: StackName "9lives" is invalid',
    );
    expect(response['Reason']).toContain('RoleArn "role/x" is invalid');
  }, 30_000);

  it("Create fails with TTS's reason when TTS refuses the pub/sub", async () => {
    await handler(request('Create', properties({ Region: 'eu-south-9' })), CONTEXT);
    const response = answer();
    expect(response['Status']).toBe('FAILED');
    expect(response['Reason']).toContain('TTS refused PUT /as/pubsub/app1/aws-iot');
    expect(response['Reason']).toContain('region');
  }, 30_000);

  it('Delete removes the pub/sub, the KEK and skip_payload_crypto', async () => {
    sim.reset();
    await handler(request('Create'), CONTEXT);
    receiver.received.length = 0;
    await handler(request('Delete'), CONTEXT);

    expect(answer()).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: 'app1/aws-iot' });
    expect(sim.state.pubsubs.has('app1/aws-iot')).toBe(false);
    expect(sim.state.kekSettings.has('app1')).toBe(false);
    expect(sim.state.links.get('app1')?.['skip_payload_crypto']).toBeFalsy();
  }, 30_000);

  it('Delete answers SUCCESS when TTS cannot be reached', async () => {
    await handler(request('Delete', properties({ ClusterAddress: 'http://127.0.0.1:9' })), CONTEXT);
    expect(answer()).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: 'app1/aws-iot' });
  }, 60_000);
});
