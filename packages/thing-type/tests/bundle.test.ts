import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

import {
  CreateThingCommand,
  CreateThingTypeCommand,
  DeprecateThingTypeCommand,
  DescribeThingTypeCommand,
  IoTClient,
} from '@aws-sdk/client-iot';
import { describeWithMoto, startMoto, type MotoServer } from '@tts-aws-iot/test-kit';

import { startCloudFormationReceiver } from '@tts-aws-iot/test-kit';

const BUNDLE = join(__dirname, '../../../dist/packages/thing-type/index.js');

/**
 * Runs the built Lambda bundle in its own Node process, as Lambda would: the event goes
 * in, the handler answers CloudFormation on the receiver, moto stands in for AWS IoT.
 * Returns the JSON log lines.
 */
async function invoke(
  event: Record<string, unknown>,
  env: Readonly<Record<string, string>>,
): Promise<string[]> {
  const driver = `
    const { handler } = require(${JSON.stringify(BUNDLE)});
    const context = { functionName: 'CreateThingType', awsRequestId: 'r-1', logStreamName: 'stream',
      getRemainingTimeInMillis: () => 30000 };
    handler(JSON.parse(process.argv[1]), context).catch((error) => { console.error(error); process.exit(1); });`;
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['-e', driver, JSON.stringify(event)],
    {
      env: {
        PATH: process.env['PATH'] ?? '',
        ...env,
        POWERTOOLS_LOG_LEVEL: 'INFO',
        POWERTOOLS_METRICS_DISABLED: 'true',
      },
      timeout: 60_000,
    },
  );
  return stdout.split('\n').filter((line) => line.startsWith('{'));
}

describeWithMoto('CreateThingType bundle against moto', () => {
  let moto: MotoServer;
  let receiver: Awaited<ReturnType<typeof startCloudFormationReceiver>>;
  let iot: IoTClient;

  beforeAll(async () => {
    if (!existsSync(BUNDLE))
      throw new Error(
        `${BUNDLE} is missing: run \`npx nx build thing-type\` first (the test target does).`,
      );
    [moto, receiver] = await Promise.all([startMoto(), startCloudFormationReceiver()]);
    iot = new IoTClient({
      endpoint: moto.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
    });
  }, 40_000);
  afterAll(async () => {
    iot?.destroy();
    await Promise.all([moto?.stop(), receiver?.close()]);
  });
  beforeEach(() => {
    receiver.received.length = 0;
  });

  const common = () => ({
    ServiceToken: 'arn:aws:lambda:us-east-1:123456789012:function:CreateThingType',
    ResponseURL: receiver.url('/cfn?X-Amz-Signature=s'),
    StackId:
      'arn:aws:cloudformation:us-east-1:123456789012:stack/tts/6c1f4c20-0000-11ef-8000-0a1b2c3d4e5f',
    RequestId: 'f7e6d5c4-0000-1111-2222-333344445555',
    LogicalResourceId: 'ThingType',
    ResourceType: 'Custom::ThingType',
  });
  const properties = (name: string) => ({
    ServiceToken: common().ServiceToken,
    ThingTypeName: name,
    StackName: 'tts',
  });

  function answer() {
    expect(receiver.received).toHaveLength(1);
    const [response] = receiver.received;
    expect(response!.method).toBe('PUT');
    expect(response!.headers['content-type']).toBe('');
    expect(Buffer.byteLength(response!.body)).toBeLessThanOrEqual(4096);
    return response!.json;
  }

  it('creates the thing type, then answers FAILED because moto cannot turn on thing events', async () => {
    await invoke(
      { ...common(), RequestType: 'Create', ResourceProperties: properties('lorawan') },
      moto.env,
    );

    expect(answer()).toMatchObject({
      Status: 'FAILED',
      PhysicalResourceId: 'create-failed#f7e6d5c4-0000-1111-2222-333344445555',
      RequestId: 'f7e6d5c4-0000-1111-2222-333344445555',
      LogicalResourceId: 'ThingType',
      Reason: expect.stringMatching(
        /^IoT UpdateEventConfigurations for thing registry events failed on the AWS side \(.*HTTP 500\)/,
      ),
    });
    const type = await iot.send(new DescribeThingTypeCommand({ thingTypeName: 'lorawan' }));
    expect(type.thingTypeProperties?.searchableAttributes).toEqual(['devEUI', 'stackName']);
  }, 60_000);

  it('answers the Delete after the failed Create with SUCCESS and leaves the thing type alone', async () => {
    await iot.send(new CreateThingTypeCommand({ thingTypeName: 'kept' }));
    const physicalResourceId = 'create-failed#f7e6d5c4-0000-1111-2222-333344445555';
    await invoke(
      {
        ...common(),
        RequestType: 'Delete',
        PhysicalResourceId: physicalResourceId,
        ResourceProperties: properties('kept'),
      },
      moto.env,
    );

    expect(answer()).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: physicalResourceId });
    const type = await iot.send(new DescribeThingTypeCommand({ thingTypeName: 'kept' }));
    expect(type.thingTypeMetadata?.deprecated).toBe(false);
  }, 60_000);

  it('deprecates on Delete a thing type with no things left', async () => {
    await iot.send(new CreateThingTypeCommand({ thingTypeName: 'retired' }));
    await invoke(
      {
        ...common(),
        RequestType: 'Delete',
        PhysicalResourceId: 'retired',
        ResourceProperties: properties('retired'),
      },
      moto.env,
    );

    expect(answer()).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: 'retired' });
    const type = await iot.send(new DescribeThingTypeCommand({ thingTypeName: 'retired' }));
    expect(type.thingTypeMetadata?.deprecated).toBe(true);
  }, 60_000);

  it("keeps the thing type on Delete while another stack's thing has it", async () => {
    await iot.send(new CreateThingTypeCommand({ thingTypeName: 'shared' }));
    for (const [thingName, stackName] of [
      ['0004A30B001C0001', 'tts'],
      ['0004A30B001C0002', 'tts-eu'],
    ])
      await iot.send(
        new CreateThingCommand({
          thingName,
          thingTypeName: 'shared',
          attributePayload: { attributes: { stackName: stackName! } },
        }),
      );
    const logs = await invoke(
      {
        ...common(),
        RequestType: 'Delete',
        PhysicalResourceId: 'shared',
        ResourceProperties: properties('shared'),
      },
      moto.env,
    );

    expect(answer()).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: 'shared' });
    expect(logs.map((line) => JSON.parse(line) as Record<string, unknown>)).toContainEqual(
      expect.objectContaining({
        level: 'INFO',
        message: 'Thing type shared kept: thing 0004A30B001C0002 belongs to stack tts-eu.',
        thing_type_name: 'shared',
        stack_name: 'tts',
        owner_stack_name: 'tts-eu',
      }),
    );
    const type = await iot.send(new DescribeThingTypeCommand({ thingTypeName: 'shared' }));
    expect(type.thingTypeMetadata?.deprecated).toBe(false);
  }, 60_000);

  it("deprecates the thing type on Delete when its things are this stack's only", async () => {
    await iot.send(new CreateThingTypeCommand({ thingTypeName: 'own' }));
    await iot.send(
      new CreateThingCommand({
        thingName: '0004A30B001C0003',
        thingTypeName: 'own',
        attributePayload: { attributes: { stackName: 'tts' } },
      }),
    );
    await invoke(
      {
        ...common(),
        RequestType: 'Delete',
        PhysicalResourceId: 'own',
        ResourceProperties: properties('own'),
      },
      moto.env,
    );

    expect(answer()).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: 'own' });
    const type = await iot.send(new DescribeThingTypeCommand({ thingTypeName: 'own' }));
    expect(type.thingTypeMetadata?.deprecated).toBe(true);
  }, 60_000);

  it('answers SUCCESS on Delete of a thing type that is already gone', async () => {
    await invoke(
      {
        ...common(),
        RequestType: 'Delete',
        PhysicalResourceId: 'never-made',
        ResourceProperties: properties('never-made'),
      },
      moto.env,
    );
    expect(answer()).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: 'never-made' });
  }, 60_000);

  it('answers FAILED with the current PhysicalResourceId on an Update to an invalid name', async () => {
    await invoke(
      {
        ...common(),
        RequestType: 'Update',
        PhysicalResourceId: 'lorawan',
        ResourceProperties: properties('lora wan'),
        OldResourceProperties: properties('lorawan'),
      },
      moto.env,
    );
    expect(answer()).toMatchObject({
      Status: 'FAILED',
      PhysicalResourceId: 'lorawan',
      Reason: expect.stringContaining('ThingTypeName "lora wan" is invalid'),
    });
  }, 60_000);

  it('revives a deprecated thing type on Create before failing at thing events', async () => {
    await iot.send(new CreateThingTypeCommand({ thingTypeName: 'revived' }));
    await iot.send(new DeprecateThingTypeCommand({ thingTypeName: 'revived' }));
    await invoke(
      { ...common(), RequestType: 'Create', ResourceProperties: properties('revived') },
      moto.env,
    );

    expect(answer()).toMatchObject({ Status: 'FAILED' });
    const type = await iot.send(new DescribeThingTypeCommand({ thingTypeName: 'revived' }));
    expect(type.thingTypeMetadata?.deprecated).toBe(false);
  }, 60_000);
});
