import {
  CreateThingCommand,
  CreateThingTypeCommand,
  DeleteThingCommand,
  DeprecateThingTypeCommand,
  DescribeEndpointCommand,
  DescribeThingCommand,
  DescribeThingTypeCommand,
  CreateTopicRuleCommand,
  GetTopicRuleCommand,
  ListThingGroupsCommand,
  ListThingsCommand,
  ListThingTypesCommand,
  ListTopicRulesCommand,
  UpdateEventConfigurationsCommand,
  UpdateThingCommand,
} from '@aws-sdk/client-iot';
import {
  DeleteThingShadowCommand,
  GetThingShadowCommand,
  ListNamedShadowsForThingCommand,
  PublishCommand,
  UpdateThingShadowCommand,
} from '@aws-sdk/client-iot-data-plane';
import {
  CreateSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  ListSecretsCommand,
  PutSecretValueCommand,
} from '@aws-sdk/client-secrets-manager';
import { freePort } from '@tts-aws-iot/test-kit';
import { clientsFor, type Clients } from './aws-clients';
import { startAwsApi, type AwsApi } from '../src/aws-api/server';
import { startBroker, type Broker } from '../src/broker';
import { listen, type MqttListener } from './mqtt-listener';

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

  it('refuses an endpoint type that does not exist', async () => {
    expect(
      await rejection(clients.iot.send(new DescribeEndpointCommand({ endpointType: 'iot:Nope' }))),
    ).toEqual({ name: 'InvalidRequestException', status: 400 });
  });

  it('lists thing types, filtered by name and in pages', async () => {
    await clients.iot.send(new CreateThingTypeCommand({ thingTypeName: 'zz-listed' }));
    const all = await clients.iot.send(new ListThingTypesCommand({}));
    const names = all.thingTypes?.map((t) => t.thingTypeName) ?? [];
    expect(names).toContain('zz-listed');
    expect(names).toEqual([...names].sort());
    const one = await clients.iot.send(new ListThingTypesCommand({ thingTypeName: 'zz-listed' }));
    expect(one.thingTypes).toEqual([
      expect.objectContaining({
        thingTypeName: 'zz-listed',
        thingTypeArn: 'arn:aws:iot:us-east-1:123456789012:thingtype/zz-listed',
        thingTypeMetadata: expect.objectContaining({ deprecated: false }),
      }),
    ]);
    const page = await clients.iot.send(new ListThingTypesCommand({ maxResults: 1 }));
    expect(page.thingTypes).toHaveLength(1);
    expect(page.nextToken).toBeDefined();
  });

  it('shows the rules it runs through ListTopicRules and GetTopicRule', async () => {
    api.iot.setTopicRules(
      [
        {
          name: 'UplinkRule',
          sql: "SELECT * FROM 'thethings/lorawan/my-stack/#'",
          functionName: 'uplink',
          target: { kind: 'lambda', functionName: 'uplink' },
        },
        {
          name: 'CreateDeviceRule',
          sql: "SELECT * FROM '$aws/events/thing/+/created'",
          functionName: 'create-device',
          target: { kind: 'sqs', queueName: 'q', functionName: 'create-device', batchSize: 10 },
        },
      ],
      'my-stack',
    );
    const listed = await clients.iot.send(new ListTopicRulesCommand({}));
    expect(listed.rules?.map((r) => [r.ruleName, r.topicPattern, r.ruleDisabled])).toEqual([
      ['my_stack_create_device', '$aws/events/thing/+/created', false],
      ['my_stack_uplink', 'thethings/lorawan/my-stack/#', false],
    ]);
    const byTopic = await clients.iot.send(
      new ListTopicRulesCommand({ topic: '$aws/events/thing/+/created' }),
    );
    expect(byTopic.rules?.map((r) => r.ruleName)).toEqual(['my_stack_create_device']);
    const rule = await clients.iot.send(new GetTopicRuleCommand({ ruleName: 'my_stack_uplink' }));
    expect(rule.ruleArn).toBe('arn:aws:iot:us-east-1:123456789012:rule/my_stack_uplink');
    expect(rule.rule).toMatchObject({
      sql: "SELECT * FROM 'thethings/lorawan/my-stack/#'",
      actions: [
        { lambda: { functionArn: 'arn:aws:lambda:us-east-1:123456789012:function:uplink' } },
      ],
    });
    expect(rule.rule?.createdAt).toBeInstanceOf(Date);
    expect(
      await rejection(clients.iot.send(new GetTopicRuleCommand({ ruleName: 'nope' }))),
    ).toEqual({ name: 'UnauthorizedException', status: 401 });
  });

  it('answers an operation it does not implement with the AWS error shape, naming it', async () => {
    const failure = await clients.iot.send(new ListThingGroupsCommand({})).then(
      () => undefined,
      (error: Error & { $metadata: { httpStatusCode: number } }) => error,
    );
    expect(failure?.name).toBe('UnknownOperationException');
    expect(failure?.$metadata.httpStatusCode).toBe(404);
    expect(failure?.message).toContain('iot ListThingGroups (GET /thing-groups)');
    const created = await rejection(
      clients.iot.send(
        new CreateTopicRuleCommand({
          ruleName: 'mine',
          topicRulePayload: { sql: "SELECT * FROM 'a'", actions: [] },
        }),
      ),
    );
    expect(created).toEqual({ name: 'UnknownOperationException', status: 404 });

    const raw = await fetch(`${api.url}/no/such/path`, { method: 'GET' });
    expect(raw.status).toBe(404);
    expect(raw.headers.get('x-amzn-errortype')).toBe('UnknownOperationException');
    expect(((await raw.json()) as { message: string }).message).toContain('GET /no/such/path');

    const secrets = await fetch(api.url, {
      method: 'POST',
      headers: {
        'x-amz-target': 'secretsmanager.RotateSecret',
        'content-type': 'application/x-amz-json-1.1',
      },
      body: '{"SecretId":"x"}',
    });
    expect(secrets.status).toBe(400);
    const body = (await secrets.json()) as { __type: string; message: string };
    expect(body.__type).toBe('UnknownOperationException');
    expect(body.message).toContain('secretsmanager RotateSecret');

    const other = await fetch(api.url, {
      method: 'POST',
      headers: {
        'x-amz-target': 'DynamoDB_20120810.ListTables',
        'content-type': 'application/x-amz-json-1.0',
      },
      body: '{}',
    });
    expect(other.status).toBe(400);
    expect(await other.json()).toEqual({
      __type: 'UnknownOperationException',
      message: expect.stringContaining('does not implement DynamoDB_20120810 ListTables'),
    });
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

  it('lists the named shadows of a thing, without the classic or deleted ones', async () => {
    const put = (shadowName?: string) =>
      clients.data.send(
        new UpdateThingShadowCommand({
          thingName: 'named1',
          ...(shadowName && { shadowName }),
          payload: Buffer.from('{"state":{"reported":{"x":1}}}'),
        }),
      );
    await put();
    await put('b');
    await put('a');
    await put('gone');
    await clients.data.send(
      new DeleteThingShadowCommand({ thingName: 'named1', shadowName: 'gone' }),
    );
    const listed = await clients.data.send(
      new ListNamedShadowsForThingCommand({ thingName: 'named1' }),
    );
    expect(listed.results).toEqual(['a', 'b']);
    expect(listed.nextToken).toBeUndefined();
    const page = await clients.data.send(
      new ListNamedShadowsForThingCommand({ thingName: 'named1', pageSize: 1 }),
    );
    const next = await clients.data.send(
      new ListNamedShadowsForThingCommand({
        thingName: 'named1',
        pageSize: 1,
        nextToken: page.nextToken,
      }),
    );
    expect([...(page.results ?? []), ...(next.results ?? [])]).toEqual(['a', 'b']);
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

  it('lists secrets with ListSecrets, by name prefix and in pages', async () => {
    for (const name of ['list/a', 'list/b', 'other/c'])
      await clients.secrets.send(
        new CreateSecretCommand({ Name: name, SecretString: 'v', Description: `d-${name}` }),
      );
    const byName = await clients.secrets.send(
      new ListSecretsCommand({ Filters: [{ Key: 'name', Values: ['list/'] }] }),
    );
    expect(byName.SecretList?.map((s) => s.Name)).toEqual(['list/a', 'list/b']);
    expect(byName.SecretList?.[0]).toMatchObject({
      ARN: expect.stringMatching(
        /^arn:aws:secretsmanager:us-east-1:123456789012:secret:list\/a-.{6}$/,
      ),
      Description: 'd-list/a',
      CreatedDate: expect.any(Date),
      SecretVersionsToStages: expect.any(Object),
    });
    const negated = await clients.secrets.send(
      new ListSecretsCommand({ Filters: [{ Key: 'name', Values: ['!list/'] }] }),
    );
    expect(negated.SecretList?.map((s) => s.Name)).toContain('other/c');
    expect(negated.SecretList?.map((s) => s.Name)).not.toContain('list/a');
    const page = await clients.secrets.send(new ListSecretsCommand({ MaxResults: 1 }));
    expect(page.SecretList).toHaveLength(1);
    const rest = await clients.secrets.send(new ListSecretsCommand({ NextToken: page.NextToken }));
    expect(rest.SecretList?.map((s) => s.Name)).not.toContain(page.SecretList?.[0]?.Name);
    expect(
      await rejection(
        clients.secrets.send(
          new ListSecretsCommand({ Filters: [{ Key: 'tag-key', Values: ['x'] }] }),
        ),
      ),
    ).toMatchObject({ status: 400 });
  });
});

describe('injected faults', () => {
  afterEach(() => api.faults.clear());

  it('throttles at a set rate with each service’s status, and counts what it injected', async () => {
    api.faults.setRates({ throttle: 1 });
    expect(await rejection(clients.iot.send(new DescribeThingCommand({ thingName: 'x' })))).toEqual(
      { name: 'ThrottlingException', status: 400 },
    );
    expect(
      await rejection(clients.data.send(new GetThingShadowCommand({ thingName: 'x' }))),
    ).toEqual({ name: 'ThrottlingException', status: 429 });
    expect(
      await rejection(clients.secrets.send(new GetSecretValueCommand({ SecretId: 'x' }))),
    ).toEqual({ name: 'ThrottlingException', status: 400 });
    expect(api.faults.injected.throttled).toBe(3);

    api.faults.setRates({ serverError: 1, operations: ['Publish'] });
    expect(
      await rejection(
        clients.data.send(new PublishCommand({ topic: 'a/b', payload: Buffer.from('x') })),
      ),
    ).toEqual({ name: 'ServiceUnavailableException', status: 503 });
    // Other operations are spared.
    await clients.iot.send(new DescribeEndpointCommand({}));
  });

  it('fails about the set share of calls, repeatably for a seed', async () => {
    const outcomes = async () => {
      api.faults.setRates({ throttle: 0.25, seed: 7 });
      const results: string[] = [];
      for (let i = 0; i < 200; i++)
        results.push((await rejection(clients.iot.send(new DescribeEndpointCommand({})))).name);
      return results;
    };
    const first = await outcomes();
    const throttled = first.filter((name) => name === 'ThrottlingException').length;
    expect(throttled).toBeGreaterThan(25);
    expect(throttled).toBeLessThan(75);
    expect(await outcomes()).toEqual(first);
  });

  it('fails the Publish calls after a thing’s shadow write: the handler’s partial work', async () => {
    api.faults.failPublishAfterShadowUpdate(1, 3);
    const publish = (thing: string) =>
      rejection(
        clients.data.send(
          new PublishCommand({ topic: `lorawan/${thing}/uplink`, payload: Buffer.from('{}') }),
        ),
      );
    // Not armed yet: no shadow was written.
    expect(await publish('p1')).toEqual({ name: 'resolved', status: 0 });
    await clients.data.send(
      new UpdateThingShadowCommand({
        thingName: 'p1',
        shadowName: 'lorawan',
        payload: Buffer.from('{"state":{"reported":{"fCntUp":1}}}'),
      }),
    );
    expect(await publish('p2')).toEqual({ name: 'resolved', status: 0 });
    for (let attempt = 0; attempt < 3; attempt++)
      expect(await publish('p1')).toEqual({ name: 'ServiceUnavailableException', status: 503 });
    expect(await publish('p1')).toEqual({ name: 'resolved', status: 0 });
    expect(api.faults.injected.publishesFailedAfterShadowUpdate).toBe(3);
    // The budget was one thing: another shadow write arms nothing.
    await clients.data.send(
      new UpdateThingShadowCommand({
        thingName: 'p2',
        payload: Buffer.from('{"state":{"reported":{"a":1}}}'),
      }),
    );
    expect(await publish('p2')).toEqual({ name: 'resolved', status: 0 });
  });

  it('refuses a rate outside 0..1', () => {
    expect(() => api.faults.setRates({ throttle: 2 })).toThrow(/0\.\.1/);
  });
});

describe('request bodies', () => {
  /** A raw request: the SDKs never send the bodies these tests refuse. */
  async function send(path: string, body: string, target?: string) {
    const response = await fetch(`${api.url}${path}`, {
      method: 'POST',
      headers: target === undefined ? {} : { 'x-amz-target': `secretsmanager.${target}` },
      body,
    });
    const json = (await response.json()) as { __type?: string; message: string };
    return {
      status: response.status,
      error: json.__type ?? response.headers.get('x-amzn-errortype'),
      message: json.message,
    };
  }
  const refused = (message: string) => ({ status: 400, error: 'InvalidRequestException', message });

  it.each([
    ['/things/bad-body', '[]', 'The request body must be a JSON object.'],
    ['/things/bad-body', '{"thingTypeName":', 'The request body is not valid JSON.'],
    ['/things/bad-body', '{"thingTypeName":7}', 'thingTypeName must be a string.'],
    [
      '/things/bad-body',
      '{"attributePayload":{"attributes":{"devEUI":"has space"}}}',
      'attributePayload.attributes.devEUI must be at most 800 of a-z A-Z 0-9 _ . , @ / : # = [ ] - (no spaces).',
    ],
    [
      '/things/bad-body',
      '{"attributePayload":{"attributes":{"dev EUI":"x"}}}',
      'attributePayload.attributes must be keyed by attribute names of 1-128 of a-z A-Z 0-9 _ . , @ / : # - (not "dev EUI").',
    ],
    [
      '/thing-types/bad-body',
      '{"thingTypeProperties":{"searchableAttributes":["a","b c"]}}',
      'thingTypeProperties.searchableAttributes[1] must be an attribute name of 1-128 of a-z A-Z 0-9 _ . , @ / : # -.',
    ],
  ])('refuses POST %s %s, naming the field, and creates nothing', async (path, body, message) => {
    expect(await send(path, body)).toEqual(refused(message));
    expect(api.iot.getThing('bad-body')).toBeUndefined();
  });

  it.each([
    [
      '{"state":{"delta":{}}}',
      "State contains an invalid node: 'delta'. Use desired and reported.",
    ],
    ['{"state":[]}', 'Missing required node: state.'],
    ['{"state":{"reported":[1]}}', 'state.reported must be an object or null.'],
    ['{"state":{},"version":1.5}', 'version must be an integer.'],
  ])('refuses the shadow update %s as the Device Shadow service does', async (body, message) => {
    expect(await send('/things/bad-body/shadow', body)).toEqual(refused(message));
    expect(api.iotData.getState('bad-body')).toBeUndefined();
  });

  it.each([
    ['CreateSecret', '{"Name":5}', 'Name must be a string.'],
    ['CreateSecret', '{}', 'Name is missing.'],
    ['GetSecretValue', '{"SecretId":"x","VersionId":1}', 'VersionId must be a string.'],
    [
      'ListSecrets',
      '{"Filters":[{"Key":"tag-key","Values":["a"]}]}',
      'Filters[0].Key must be one of name, description, all (this local API filters by these only).',
    ],
  ])('refuses secretsmanager %s %s in the awsJson shape', async (target, body, message) => {
    expect(await send('/', body, target)).toEqual(refused(message));
  });
});
