import { customResourceHandler, type CustomResourceEvent } from '@tts-aws-iot/aws';
import { InputError } from '@tts-aws-iot/integration';
import { InMemorySecretReader } from '@tts-aws-iot/integration/testing';
import {
  REQUIRED_APPLICATION_RIGHTS,
  TtsApiError,
  TtsConnectionError,
  type AuthInfo,
} from '@tts-aws-iot/tts';
import { startCloudFormationReceiver } from '@tts-aws-iot/test-kit';
import {
  parsePubSubProperties,
  pubSubResource,
  type PubSubApi,
  type PubSubProperties,
} from '../src/pubsub-config';

const KEK_HEX = '000102030405060708090A0B0C0D0E0F';
const SERVICE_TOKEN = 'arn:aws:lambda:eu-west-1:123456789012:function:configure';
const PROPERTIES: PubSubProperties = {
  ServiceToken: SERVICE_TOKEN,
  ApplicationID: 'app1',
  ClusterAddress: 'eu1.cloud.thethings.industries',
  StackName: 'tts-prod',
  Region: 'eu-west-1',
  RoleArn: 'arn:aws:iam::123456789012:role/tts-prod-TtsRole',
  ExternalId: 'b6f7c2d4-1a9e',
  EndpointAddress: 'a1b2c3-ats.iot.eu-west-1.amazonaws.com',
  EnableEndToEndEncryption: 'true',
  KekSecretId: 'tts-prod/kek',
  ApiKeySecretId: 'tts-prod/api-key',
};

/** The TTS calls of the resource, recorded; auth info and failures scripted. */
class FakeTts implements PubSubApi {
  readonly calls: { method: string; args: unknown[] }[] = [];
  authInfo: AuthInfo = {
    rights: ['RIGHT_APPLICATION_ALL'],
    universalRights: [],
    applicationID: 'app1',
    isAdmin: false,
  };
  readonly failures = new Map<string, unknown>();

  private record(method: string, ...args: unknown[]): void {
    this.calls.push({ method, args });
    const failure = this.failures.get(method);
    if (failure) throw failure;
  }
  getAuthInfo = async () => (this.record('getAuthInfo'), this.authInfo);
  setAwsIotPubSub = async (pubSub: unknown) => this.record('setAwsIotPubSub', pubSub);
  deletePubSub = async (ids: unknown) => (this.record('deletePubSub', ids), true);
  setApplicationKek = async (applicationID: string, kek: { label: string; key: Uint8Array }) =>
    this.record('setApplicationKek', applicationID, {
      label: kek.label,
      key: Buffer.from(kek.key).toString('hex').toUpperCase(),
    });
  deleteApplicationKek = async (applicationID: string) => (
    this.record('deleteApplicationKek', applicationID),
    true
  );
  setSkipPayloadCrypto = async (applicationID: string, skip: boolean) =>
    this.record('setSkipPayloadCrypto', applicationID, skip);

  get methods(): string[] {
    return this.calls.map((call) => call.method);
  }
}

function setUp(options: { deleteBudgetMs?: number } = {}) {
  const tts = new FakeTts();
  const secrets = new InMemorySecretReader(
    new Map([
      [
        'tts-prod/kek',
        JSON.stringify({
          current: 'kek-2',
          keys: { 'kek-1': 'FFEEDDCCBBAA99887766554433221100', 'kek-2': KEK_HEX },
        }),
      ],
      ['tts-prod/api-key', 'NNSXS.TEST.KEY'],
    ]),
  );
  const warnings: { message: string; attributes: Record<string, unknown> }[] = [];
  const clusters: string[] = [];
  const logic = pubSubResource({
    secrets,
    tts: (settings) => {
      clusters.push(settings.clusterURL);
      return tts;
    },
    log: {
      info: () => undefined,
      warn: (message, attributes) => warnings.push({ message, attributes }),
    },
    ...options,
  });
  return { tts, secrets, warnings, clusters, logic };
}

function request(
  requestType: 'Create' | 'Update' | 'Delete',
  properties: PubSubProperties = PROPERTIES,
): CustomResourceEvent<PubSubProperties> {
  const common = {
    ServiceToken: SERVICE_TOKEN,
    ResponseURL: 'http://127.0.0.1:1/response',
    StackId: 'arn:aws:cloudformation:eu-west-1:123456789012:stack/tts-prod/1',
    RequestId: 'r1',
    LogicalResourceId: 'PubSub',
    ResourceType: 'Custom::PubSub',
    ResourceProperties: { ...properties, ServiceToken: SERVICE_TOKEN },
  };
  if (requestType === 'Create') return { ...common, RequestType: 'Create' };
  if (requestType === 'Update')
    return {
      ...common,
      RequestType: 'Update',
      PhysicalResourceId: 'app1/aws-iot',
      OldResourceProperties: properties,
    };
  return { ...common, RequestType: 'Delete', PhysicalResourceId: 'app1/aws-iot' };
}

describe('parsePubSubProperties', () => {
  it('reads the properties with the default pub/sub ID and the cluster API URL', () => {
    expect(parsePubSubProperties(PROPERTIES)).toEqual({
      applicationID: 'app1',
      pubSubID: 'aws-iot',
      clusterURL: 'https://eu1.cloud.thethings.industries/api/v3',
      stackName: 'tts-prod',
      region: 'eu-west-1',
      roleArn: 'arn:aws:iam::123456789012:role/tts-prod-TtsRole',
      externalID: 'b6f7c2d4-1a9e',
      endpointAddress: 'a1b2c3-ats.iot.eu-west-1.amazonaws.com',
      e2eEnabled: true,
      kekSecretID: 'tts-prod/kek',
      apiKeySecretID: 'tts-prod/api-key',
    });
  });

  it('takes an endpoint given as a URL by its host name, and a named pub/sub', () => {
    const settings = parsePubSubProperties({
      ...PROPERTIES,
      EndpointAddress: 'https://a1b2c3-ats.iot.eu-west-1.amazonaws.com',
      PubSubID: 'aws-iot-2',
    });
    expect(settings).toMatchObject({
      endpointAddress: 'a1b2c3-ats.iot.eu-west-1.amazonaws.com',
      pubSubID: 'aws-iot-2',
    });
  });

  it('needs no KEK secret without end-to-end encryption', () => {
    expect(
      parsePubSubProperties({ ...PROPERTIES, EnableEndToEndEncryption: 'false', KekSecretId: '' }),
    ).toMatchObject({ e2eEnabled: false, kekSecretID: undefined });
  });

  it('refuses an http:// ClusterAddress unless the function allows it (ALLOW_HTTP_CLUSTER)', () => {
    const http = { ...PROPERTIES, ClusterAddress: 'http://eu1.cloud.thethings.industries' };
    expect(() => parsePubSubProperties(http)).toThrow(
      'ClusterAddress "http://eu1.cloud.thethings.industries" is invalid: use https://',
    );
    expect(parsePubSubProperties(http, { allowHttpCluster: true }).clusterURL).toBe(
      'http://eu1.cloud.thethings.industries/api/v3',
    );
  });

  it('lists every invalid property at once', () => {
    const error = (() => {
      try {
        return parsePubSubProperties({
          ...PROPERTIES,
          ApplicationID: 'App_1',
          Region: 'Europe',
          RoleArn: 'role/x',
          EnableEndToEndEncryption: 'yes',
          ApiKeySecretId: '',
        });
      } catch (e) {
        return e;
      }
    })() as InputError;
    expect(error).toBeInstanceOf(InputError);
    expect(error.attributes['problems']).toEqual([
      expect.stringMatching(/^ApplicationID "App_1" is invalid/),
      expect.stringMatching(/^Region "Europe" is invalid/),
      expect.stringMatching(/^RoleArn "role\/x" is invalid/),
      expect.stringMatching(/^EnableEndToEndEncryption "yes" is invalid: use true or false/),
      expect.stringMatching(/^ApiKeySecretId is missing/),
    ]);
  });

  it('lists a missing KEK secret with end-to-end encryption beside the other problems', () => {
    expect(() =>
      parsePubSubProperties({ ...PROPERTIES, Region: 'Europe', KekSecretId: ' ' }),
    ).toThrow(
      'Invalid Custom::PubSub properties: Region "Europe" is invalid: an AWS region such as eu-west-1; KekSecretId is missing: the KEK secret, needed with end-to-end encryption.',
    );
  });

  it('refuses a property that is not a string, by name, rather than fail on it', () => {
    const properties = { ...PROPERTIES, RoleArn: ['arn:aws:iam::123456789012:role/x'] };
    expect(() => parsePubSubProperties(properties)).toThrow(
      'RoleArn is not a string: the ARN of the role TTS assumes',
    );
  });
});

describe('Custom::PubSub Create and Update', () => {
  it('checks the API key, sets the pub/sub, installs the current KEK and turns on skip_payload_crypto', async () => {
    const { logic, tts, clusters } = setUp();
    await expect(logic(request('Create'))).resolves.toEqual({
      physicalResourceId: 'app1/aws-iot',
      data: { ApplicationID: 'app1', PubSubID: 'aws-iot', KekLabel: 'kek-2' },
    });
    expect(clusters).toEqual(['https://eu1.cloud.thethings.industries/api/v3']);
    expect(tts.calls).toEqual([
      { method: 'getAuthInfo', args: [] },
      {
        method: 'setAwsIotPubSub',
        args: [
          {
            applicationID: 'app1',
            pubSubID: 'aws-iot',
            region: 'eu-west-1',
            roleArn: 'arn:aws:iam::123456789012:role/tts-prod-TtsRole',
            externalID: 'b6f7c2d4-1a9e',
            endpointAddress: 'a1b2c3-ats.iot.eu-west-1.amazonaws.com',
            stackName: 'tts-prod',
          },
        ],
      },
      { method: 'setApplicationKek', args: ['app1', { label: 'kek-2', key: KEK_HEX }] },
      { method: 'setSkipPayloadCrypto', args: ['app1', true] },
    ]);
  });

  it('removes the KEK and turns off skip_payload_crypto without end-to-end encryption', async () => {
    const { logic, tts } = setUp();
    await expect(
      logic(request('Update', { ...PROPERTIES, EnableEndToEndEncryption: 'false' })),
    ).resolves.toMatchObject({ physicalResourceId: 'app1/aws-iot' });
    expect(tts.methods).toEqual([
      'getAuthInfo',
      'setAwsIotPubSub',
      'deleteApplicationKek',
      'setSkipPayloadCrypto',
    ]);
    expect(tts.calls.at(-1)!.args).toEqual(['app1', false]);
  });

  it('names the rights the API key lacks, and configures nothing', async () => {
    const { logic, tts } = setUp();
    tts.authInfo = {
      rights: [
        'RIGHT_APPLICATION_DEVICES_READ',
        'RIGHT_APPLICATION_TRAFFIC_READ',
        'RIGHT_APPLICATION_SETTINGS_BASIC',
      ],
      universalRights: [],
      applicationID: 'app1',
      isAdmin: false,
    };
    const error = (await logic(request('Create')).catch((e: unknown) => e)) as InputError;
    expect(error.code).toBe('insufficient_rights');
    expect(error.message).toMatch(
      /^The API key lacks the rights RIGHT_APPLICATION_DEVICES_READ_KEYS, RIGHT_APPLICATION_DEVICES_WRITE, RIGHT_APPLICATION_DEVICES_WRITE_KEYS, RIGHT_APPLICATION_SETTINGS_PACKAGES, RIGHT_APPLICATION_TRAFFIC_DOWN_WRITE: /,
    );
    expect(error.message).toContain(REQUIRED_APPLICATION_RIGHTS.join(', '));
    expect(tts.methods).toEqual(['getAuthInfo']);
  });

  it('refuses an API key of another application', async () => {
    const { logic, tts } = setUp();
    tts.authInfo = { ...tts.authInfo, applicationID: 'app2' };
    await expect(logic(request('Create'))).rejects.toThrow(
      'The API key belongs to TTS application app2, not app1',
    );
  });

  it('refuses invalid properties before calling TTS', async () => {
    const { logic, tts } = setUp();
    await expect(
      logic(request('Create', { ...PROPERTIES, StackName: '9lives' })),
    ).rejects.toMatchObject({ code: 'invalid_properties' });
    expect(tts.calls).toEqual([]);
  });

  it('says which KEK secret is unusable, without its content', async () => {
    const { logic, secrets } = setUp();
    secrets.secrets.set(
      'tts-prod/kek',
      JSON.stringify({ current: 'kek-9', keys: { 'kek-1': KEK_HEX } }),
    );
    const error = (await logic(request('Create')).catch((e: unknown) => e)) as InputError;
    expect(error.code).toBe('invalid_kek_secret');
    expect(error.message).toContain('The KEK secret tts-prod/kek is unusable');
    expect(error.message).not.toContain(KEK_HEX);
  });

  it('lets a TTS failure through, for the handler to answer FAILED', async () => {
    const { logic, tts } = setUp();
    tts.failures.set(
      'setAwsIotPubSub',
      new TtsApiError(
        'invalid_argument',
        'TTS refused PUT /as/pubsub/app1/aws-iot: invalid `region`.',
        400,
        false,
        undefined,
        undefined,
      ),
    );
    await expect(logic(request('Create'))).rejects.toThrow('invalid `region`');
  });
});

describe('Custom::PubSub Delete', () => {
  it('removes the pub/sub, turns off skip_payload_crypto and removes the KEK', async () => {
    const { logic, tts, warnings } = setUp();
    await expect(logic(request('Delete'))).resolves.toEqual({ physicalResourceId: 'app1/aws-iot' });
    expect(tts.methods).toEqual(['deletePubSub', 'setSkipPayloadCrypto', 'deleteApplicationKek']);
    expect(tts.calls[1]!.args).toEqual(['app1', false]);
    expect(warnings).toEqual([]);
  });

  it('only removes the pub/sub when end-to-end encryption was off', async () => {
    const { logic, tts } = setUp();
    await logic(request('Delete', { ...PROPERTIES, EnableEndToEndEncryption: 'false' }));
    expect(tts.methods).toEqual(['deletePubSub']);
  });

  it('succeeds when TTS fails, doing what it can and logging the rest', async () => {
    const { logic, tts, warnings } = setUp();
    tts.failures.set(
      'deletePubSub',
      new TtsApiError(
        'unavailable',
        'TTS failed DELETE /as/pubsub/app1/aws-iot: unavailable (HTTP 503).',
        503,
        true,
        undefined,
        undefined,
      ),
    );
    await expect(logic(request('Delete'))).resolves.toEqual({ physicalResourceId: 'app1/aws-iot' });
    expect(tts.methods).toEqual(['deletePubSub', 'setSkipPayloadCrypto', 'deleteApplicationKek']);
    expect(warnings).toEqual([
      {
        message:
          'Could not remove the pub/sub while deleting the TTS pub/sub; finish it in TTS by hand.',
        attributes: {
          physical_resource_id: 'app1/aws-iot',
          error_code: 'unavailable',
          reason: 'TTS failed DELETE /as/pubsub/app1/aws-iot: unavailable (HTTP 503).',
        },
      },
    ]);
  });

  it('answers SUCCESS on a TTS timeout, skipping the steps that would wait the same way', async () => {
    const { logic, tts, warnings } = setUp();
    tts.failures.set(
      'deletePubSub',
      new TtsConnectionError(
        'tts_timeout',
        'TTS did not answer DELETE /as/pubsub/app1/aws-iot within 8000 ms.',
        { method: 'DELETE', path: '/as/pubsub/app1/aws-iot' },
      ),
    );
    await expect(logic(request('Delete'))).resolves.toEqual({ physicalResourceId: 'app1/aws-iot' });
    expect(tts.methods).toEqual(['deletePubSub']);
    expect(warnings.map((warning) => warning.attributes['error_code'])).toEqual([
      'tts_timeout',
      'skipped',
      'skipped',
    ]);
  });

  it('answers CloudFormation SUCCESS, before the function times out, when TTS never answers', async () => {
    const receiver = await startCloudFormationReceiver();
    try {
      const { logic, tts } = setUp({ deleteBudgetMs: 20 });
      tts.deletePubSub = () => new Promise<boolean>(() => undefined);
      const handler = customResourceHandler(logic, {
        timeoutMarginMs: 0,
        respond: { retryDelayMs: 1 },
      });
      await handler(
        { ...request('Delete'), ResponseURL: receiver.url('/cfn?X-Amz-Signature=s') },
        // Far more than the budget, far less than the test's own limit.
        { getRemainingTimeInMillis: () => 2_000 },
      );
      expect(receiver.received[0]!.json).toMatchObject({
        Status: 'SUCCESS',
        PhysicalResourceId: 'app1/aws-iot',
      });
    } finally {
      await receiver.close();
    }
  });

  it('succeeds with invalid properties, touching nothing', async () => {
    const { logic, tts, warnings } = setUp();
    await expect(logic(request('Delete', { ...PROPERTIES, ApplicationID: '' }))).resolves.toEqual({
      physicalResourceId: 'app1/aws-iot',
    });
    expect(tts.calls).toEqual([]);
    expect(warnings).toHaveLength(1);
  });
});
