import {
  CreateThingCommand,
  CreateThingTypeCommand,
  DeleteThingCommand,
  DeprecateThingTypeCommand,
  DescribeEndpointCommand,
  DescribeThingCommand,
  DescribeThingTypeCommand,
  IoTClient,
  ListThingsCommand,
  UpdateEventConfigurationsCommand,
  UpdateThingCommand,
} from '@aws-sdk/client-iot';
import {
  DeleteThingShadowCommand,
  GetThingShadowCommand,
  IoTDataPlaneClient,
  PublishCommand,
  UpdateThingShadowCommand,
} from '@aws-sdk/client-iot-data-plane';
import {
  CreateSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { describeWithMoto, freePort, startMoto, type MotoServer } from '@tts-aws-iot/test-kit';
import { startAwsApi, type AwsApi } from '../src/aws-api/server';
import { startBroker, type Broker } from '../src/broker';
import { listen, type MqttListener } from './mqtt-listener';

interface Clients {
  iot: IoTClient;
  data: IoTDataPlaneClient;
  secrets: SecretsManagerClient;
}

function clientsFor(endpoint: string): Clients {
  const config = {
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'any', secretAccessKey: 'any' },
    maxAttempts: 1,
  };
  return {
    iot: new IoTClient(config),
    data: new IoTDataPlaneClient(config),
    secrets: new SecretsManagerClient(config),
  };
}

const shadowJson = (payload: Uint8Array | undefined) =>
  JSON.parse(Buffer.from(payload ?? []).toString());
const rejection = (promise: Promise<unknown>) =>
  promise.then(
    () => ({ name: 'resolved', status: 0 }),
    (error: { name: string; $metadata?: { httpStatusCode?: number } }) => ({
      name: error.name,
      status: error.$metadata?.httpStatusCode,
    }),
  );

let broker: Broker;
let api: AwsApi;
let clients: Clients;
let listener: MqttListener;

beforeAll(async () => {
  broker = await startBroker({ port: await freePort() });
  api = await startAwsApi({
    port: await freePort(),
    endpointAddress: '127.0.0.1',
    publish: (topic, payload, options) => broker.publish(topic, payload, options),
  });
  clients = clientsFor(api.url);
  listener = await listen(broker.url, [
    '#',
    '$aws/events/thing/+/+',
    '$aws/things/+/shadow/name/+/update/+',
  ]);
});

afterAll(async () => {
  await listener.close();
  await api.close();
  await broker.close();
});

describe('the IoT control plane, through @aws-sdk/client-iot', () => {
  it('creates, describes, updates, lists and deletes things as AWS does', async () => {
    await clients.iot.send(
      new CreateThingTypeCommand({
        thingTypeName: 'lorawan',
        thingTypeProperties: { searchableAttributes: ['devEUI', 'stackName'] },
      }),
    );
    const type = await clients.iot.send(new DescribeThingTypeCommand({ thingTypeName: 'lorawan' }));
    expect(type.thingTypeProperties?.searchableAttributes).toEqual(['devEUI', 'stackName']);
    expect(type.thingTypeMetadata?.deprecated).toBe(false);
    expect(type.thingTypeMetadata?.creationDate).toBeInstanceOf(Date);

    const attributes = { devEUI: '0004A30B001C0530', stackName: 'local' };
    const created = await clients.iot.send(
      new CreateThingCommand({
        thingName: '0004A30B001C0530',
        thingTypeName: 'lorawan',
        attributePayload: { attributes },
      }),
    );
    expect(created.thingArn).toBe('arn:aws:iot:us-east-1:123456789012:thing/0004A30B001C0530');
    // Same configuration again: idempotent, same thing.
    const again = await clients.iot.send(
      new CreateThingCommand({
        thingName: '0004A30B001C0530',
        thingTypeName: 'lorawan',
        attributePayload: { attributes },
      }),
    );
    expect(again.thingId).toBe(created.thingId);
    // Another configuration: ResourceAlreadyExists (moto accepts it; AWS does not).
    expect(
      await rejection(
        clients.iot.send(
          new CreateThingCommand({
            thingName: '0004A30B001C0530',
            attributePayload: { attributes: { devEUI: 'X' } },
          }),
        ),
      ),
    ).toEqual({
      name: 'ResourceAlreadyExistsException',
      status: 409,
    });

    await clients.iot.send(
      new UpdateThingCommand({
        thingName: '0004A30B001C0530',
        attributePayload: { attributes: { appKey: '', deviceID: 'eui-1' }, merge: true },
        expectedVersion: 1,
      }),
    );
    const described = await clients.iot.send(
      new DescribeThingCommand({ thingName: '0004A30B001C0530' }),
    );
    expect(described).toMatchObject({
      thingTypeName: 'lorawan',
      version: 2,
      attributes: { ...attributes, deviceID: 'eui-1' },
    });
    expect(
      await rejection(
        clients.iot.send(
          new UpdateThingCommand({
            thingName: '0004A30B001C0530',
            attributePayload: { attributes: { a: 'b' }, merge: true },
            expectedVersion: 1,
          }),
        ),
      ),
    ).toEqual({
      name: 'VersionConflictException',
      status: 409,
    });

    await clients.iot.send(
      new CreateThingCommand({
        thingName: 'other',
        attributePayload: { attributes: { devEUI: '0004A30B001C0531' } },
      }),
    );
    const byAttribute = await clients.iot.send(
      new ListThingsCommand({ attributeName: 'devEUI', attributeValue: '0004A30B001C0530' }),
    );
    expect(byAttribute.things?.map((t) => t.thingName)).toEqual(['0004A30B001C0530']);
    const firstPage = await clients.iot.send(new ListThingsCommand({ maxResults: 1 }));
    const secondPage = await clients.iot.send(
      new ListThingsCommand({ maxResults: 1, nextToken: firstPage.nextToken }),
    );
    expect(
      [...(firstPage.things ?? []), ...(secondPage.things ?? [])].map((t) => t.thingName),
    ).toEqual(['0004A30B001C0530', 'other']);
    expect(secondPage.nextToken).toBeUndefined();

    await clients.iot.send(new DeleteThingCommand({ thingName: 'other' }));
    await clients.iot.send(new DeleteThingCommand({ thingName: 'other' }));
    expect(
      await rejection(clients.iot.send(new DescribeThingCommand({ thingName: 'other' }))),
    ).toEqual({ name: 'ResourceNotFoundException', status: 404 });
  });

  it('refuses things of a missing or deprecated thing type, and invalid attributes', async () => {
    expect(
      await rejection(
        clients.iot.send(new CreateThingCommand({ thingName: 't1', thingTypeName: 'missing' })),
      ),
    ).toEqual({ name: 'ResourceNotFoundException', status: 404 });
    await clients.iot.send(new CreateThingTypeCommand({ thingTypeName: 'old' }));
    await clients.iot.send(new DeprecateThingTypeCommand({ thingTypeName: 'old' }));
    expect(
      await rejection(
        clients.iot.send(new CreateThingCommand({ thingName: 't1', thingTypeName: 'old' })),
      ),
    ).toEqual({ name: 'InvalidRequestException', status: 400 });
    expect(
      await rejection(
        clients.iot.send(
          new CreateThingCommand({
            thingName: 't1',
            attributePayload: { attributes: { key: 'has space' } },
          }),
        ),
      ),
    ).toEqual({
      name: 'InvalidRequestException',
      status: 400,
    });
  });

  it('publishes registry events only once they are enabled', async () => {
    await clients.iot.send(new CreateThingCommand({ thingName: 'quiet' }));
    await clients.iot.send(
      new UpdateEventConfigurationsCommand({ eventConfigurations: { THING: { Enabled: true } } }),
    );
    await clients.iot.send(
      new CreateThingCommand({
        thingName: 'loud',
        thingTypeName: 'lorawan',
        attributePayload: { attributes: { devEUI: '0004A30B001C0532' } },
      }),
    );
    await clients.iot.send(new DeleteThingCommand({ thingName: 'loud' }));

    const created = (await listener.next('$aws/events/thing/loud/created')).json();
    expect(created).toMatchObject({
      eventType: 'THING_EVENT',
      operation: 'CREATED',
      accountId: '123456789012',
      thingName: 'loud',
      thingTypeName: 'lorawan',
      versionNumber: 1,
      attributes: { devEUI: '0004A30B001C0532' },
    });
    expect(created['eventId']).toMatch(/^[0-9a-f]{32}$/);
    expect((await listener.next('$aws/events/thing/loud/deleted')).json()).toMatchObject({
      operation: 'DELETED',
      thingName: 'loud',
    });
    expect(listener.messages.some((m) => m.topic === '$aws/events/thing/quiet/created')).toBe(
      false,
    );
  });

  it('answers DescribeEndpoint with the local broker’s host', async () => {
    const endpoint = await clients.iot.send(
      new DescribeEndpointCommand({ endpointType: 'iot:Data-ATS' }),
    );
    expect(endpoint.endpointAddress).toBe('127.0.0.1');
  });

  it('names the operation it does not implement', async () => {
    const response = await fetch(`${api.url}/rules/x`, { method: 'GET' });
    expect(response.status).toBe(404);
    expect(response.headers.get('x-amzn-errortype')).toBe('UnknownOperationException');
    expect(((await response.json()) as { message: string }).message).toContain('GET /rules/x');
  });
});

describe('the IoT data plane, through @aws-sdk/client-iot-data-plane', () => {
  const update = (state: unknown, version?: number) =>
    clients.data.send(
      new UpdateThingShadowCommand({
        thingName: 'dev1',
        shadowName: 'lorawan',
        payload: Buffer.from(JSON.stringify({ state, version })),
      }),
    );

  it('merges shadow updates: only sent fields change, null deletes, arrays are replaced', async () => {
    const first = shadowJson(
      (
        await update({
          reported: { fCntUp: 1, gateways: ['a', 'b'], session: { devAddr: '01', id: 'x' } },
          desired: { led: 'on' },
        })
      ).payload,
    );
    expect(first).toMatchObject({ version: 1, state: { reported: { fCntUp: 1 } } });
    expect(first.metadata.reported.fCntUp.timestamp).toEqual(expect.any(Number));

    await update({ reported: { gateways: ['c'], session: { id: null }, fCntUp: 2 } }, 1);
    const shadow = shadowJson(
      (
        await clients.data.send(
          new GetThingShadowCommand({ thingName: 'dev1', shadowName: 'lorawan' }),
        )
      ).payload,
    );
    expect(shadow.version).toBe(2);
    expect(shadow.state).toEqual({
      reported: { fCntUp: 2, gateways: ['c'], session: { devAddr: '01' } },
      desired: { led: 'on' },
      delta: { led: 'on' },
    });

    const documents = (
      await listener.next(
        '$aws/things/dev1/shadow/name/lorawan/update/documents',
        (m) => m.json<{ current: { version: number } }>().current.version === 2,
      )
    ).json();
    expect(documents).toMatchObject({
      previous: { version: 1 },
      current: { version: 2, state: { reported: { fCntUp: 2 } } },
    });
    expect(
      (await listener.next('$aws/things/dev1/shadow/name/lorawan/update/delta')).json(),
    ).toMatchObject({ state: { led: 'on' }, version: 1 });
  });

  it('rejects a stale version with ConflictException and documents over 8 KB with 413', async () => {
    expect(await rejection(update({ reported: { fCntUp: 3 } }, 1))).toEqual({
      name: 'ConflictException',
      status: 409,
    });
    expect(await rejection(update({ reported: { blob: 'x'.repeat(8200) } }))).toEqual({
      name: 'RequestEntityTooLargeException',
      status: 413,
    });
    expect(await rejection(update({ delta: {} }))).toEqual({
      name: 'InvalidRequestException',
      status: 400,
    });
    expect(shadowJson((await update({ reported: { fCntUp: 3 } }, 2)).payload).version).toBe(3);
  });

  it('deletes shadows; a deleted shadow is gone but keeps counting versions', async () => {
    await clients.data.send(
      new DeleteThingShadowCommand({ thingName: 'dev1', shadowName: 'lorawan' }),
    );
    expect(
      await rejection(
        clients.data.send(new GetThingShadowCommand({ thingName: 'dev1', shadowName: 'lorawan' })),
      ),
    ).toEqual({ name: 'ResourceNotFoundException', status: 404 });
    expect(
      await rejection(
        clients.data.send(
          new DeleteThingShadowCommand({ thingName: 'dev1', shadowName: 'lorawan' }),
        ),
      ),
    ).toEqual({ name: 'ResourceNotFoundException', status: 404 });
    expect(shadowJson((await update({ reported: { fCntUp: 0 } })).payload).version).toBe(4);
  });

  it('delivers Publish to MQTT subscribers, topic and payload intact', async () => {
    await clients.data.send(
      new PublishCommand({
        topic: 'lorawan/dev 1/uplink',
        qos: 1,
        payload: Buffer.from('{"a":1}'),
      }),
    );
    const message = await listener.next('lorawan/dev 1/uplink');
    expect(message.payload.toString()).toBe('{"a":1}');
    expect(
      await rejection(
        clients.data.send(
          new PublishCommand({ topic: 'lorawan/+/uplink', payload: Buffer.from('x') }),
        ),
      ),
    ).toEqual({ name: 'InvalidRequestException', status: 400 });
  });
});

describe('Secrets Manager, through @aws-sdk/client-secrets-manager', () => {
  it('creates, reads, rotates and describes secrets, and counts reads', async () => {
    const created = await clients.secrets.send(
      new CreateSecretCommand({ Name: 'local/kek', SecretString: '{"current":"a"}' }),
    );
    expect(created.ARN).toMatch(
      /^arn:aws:secretsmanager:us-east-1:123456789012:secret:local\/kek-.{6}$/,
    );
    expect(
      await rejection(
        clients.secrets.send(new CreateSecretCommand({ Name: 'local/kek', SecretString: 'x' })),
      ),
    ).toEqual({ name: 'ResourceExistsException', status: 400 });
    await clients.secrets.send(
      new PutSecretValueCommand({ SecretId: 'local/kek', SecretString: '{"current":"b"}' }),
    );

    const value = await clients.secrets.send(new GetSecretValueCommand({ SecretId: created.ARN }));
    expect(value).toMatchObject({
      Name: 'local/kek',
      SecretString: '{"current":"b"}',
      VersionStages: ['AWSCURRENT'],
    });
    expect(value.CreatedDate).toBeInstanceOf(Date);
    const previous = await clients.secrets.send(
      new GetSecretValueCommand({ SecretId: 'local/kek', VersionStage: 'AWSPREVIOUS' }),
    );
    expect(previous.SecretString).toBe('{"current":"a"}');
    const description = await clients.secrets.send(
      new DescribeSecretCommand({ SecretId: 'local/kek' }),
    );
    expect(Object.values(description.VersionIdsToStages ?? {}).sort()).toEqual([
      ['AWSCURRENT'],
      ['AWSPREVIOUS'],
    ]);
    expect(api.secrets.readCounts.get('local/kek')).toBe(2);

    expect(
      await rejection(clients.secrets.send(new GetSecretValueCommand({ SecretId: 'local/none' }))),
    ).toEqual({ name: 'ResourceNotFoundException', status: 400 });
  });
});

// moto is a second, independent oracle: the same calls must give the same answers where
// moto and AWS agree (moto is lax elsewhere: it accepts a CreateThing with another
// configuration and does not version things).
describeWithMoto('the local API next to moto', () => {
  let moto: MotoServer;
  beforeAll(async () => {
    moto = await startMoto();
  });
  afterAll(async () => {
    await moto?.stop();
  });

  async function script(c: Clients): Promise<unknown[]> {
    const results: unknown[] = [];
    const record = async (
      call: () => Promise<unknown>,
      pick: (value: Record<string, unknown>) => unknown,
    ) => {
      try {
        results.push(pick((await call()) as Record<string, unknown>));
      } catch (error) {
        results.push({ error: (error as Error).name });
      }
    };
    const shadow = (value: Record<string, unknown>) => {
      const doc = shadowJson(value['payload'] as Uint8Array);
      return { state: doc.state, version: doc.version };
    };
    await record(
      () =>
        c.iot.send(
          new CreateThingTypeCommand({
            thingTypeName: 'cmp',
            thingTypeProperties: { searchableAttributes: ['devEUI'] },
          }),
        ),
      (v) => v['thingTypeArn'],
    );
    await record(
      () =>
        c.iot.send(
          new CreateThingCommand({
            thingName: 'cmp1',
            thingTypeName: 'cmp',
            attributePayload: { attributes: { devEUI: 'AA' } },
          }),
        ),
      (v) => v['thingArn'],
    );
    await record(
      () => c.iot.send(new DescribeThingCommand({ thingName: 'cmp1' })),
      (v) => [v['thingTypeName'], v['attributes'], v['defaultClientId']],
    );
    await record(
      () => c.iot.send(new DescribeThingCommand({ thingName: 'cmp-missing' })),
      () => 'found',
    );
    await record(
      () => c.iot.send(new ListThingsCommand({ thingTypeName: 'cmp' })),
      (v) => (v['things'] as { thingName: string }[]).map((t) => t.thingName),
    );
    await record(
      () =>
        c.data.send(
          new UpdateThingShadowCommand({
            thingName: 'cmp1',
            shadowName: 'lorawan',
            payload: Buffer.from('{"state":{"reported":{"a":1,"b":{"c":2}}}}'),
          }),
        ),
      shadow,
    );
    await record(
      () =>
        c.data.send(
          new UpdateThingShadowCommand({
            thingName: 'cmp1',
            shadowName: 'lorawan',
            payload: Buffer.from('{"state":{"reported":{"b":{"c":null},"d":[1]}},"version":1}'),
          }),
        ),
      (v) => shadow(v)['version'],
    );
    await record(
      () =>
        c.data.send(
          new UpdateThingShadowCommand({
            thingName: 'cmp1',
            shadowName: 'lorawan',
            payload: Buffer.from('{"state":{"reported":{"a":5}},"version":1}'),
          }),
        ),
      () => 'accepted',
    );
    await record(
      () => c.data.send(new GetThingShadowCommand({ thingName: 'cmp1', shadowName: 'lorawan' })),
      shadow,
    );
    await record(
      () =>
        c.data.send(
          new UpdateThingShadowCommand({
            thingName: 'cmp1',
            shadowName: 'x',
            payload: Buffer.from('nope'),
          }),
        ),
      () => 'accepted',
    );
    await record(
      () => c.data.send(new GetThingShadowCommand({ thingName: 'cmp1', shadowName: 'none' })),
      () => 'found',
    );
    await record(
      () => c.secrets.send(new CreateSecretCommand({ Name: 'cmp/secret', SecretString: 's1' })),
      (v) => v['Name'],
    );
    await record(
      () => c.secrets.send(new GetSecretValueCommand({ SecretId: 'cmp/secret' })),
      (v) => [v['SecretString'], v['VersionStages']],
    );
    await record(
      () => c.secrets.send(new GetSecretValueCommand({ SecretId: 'cmp/none' })),
      () => 'found',
    );
    return results;
  }

  it('gives the answers moto gives to the integration’s calls', async () => {
    const ours = await script(clients);
    const theirs = await script(clientsFor(moto.endpoint));
    expect(ours).toEqual(theirs);
    // The script is meaningful only if it exercised both outcomes.
    expect(ours).toContainEqual({ error: 'ConflictException' });
    expect(ours).toContainEqual({ state: { reported: { a: 1, b: {}, d: [1] } }, version: 2 });
  });
});
