import {
  CreateThingCommand,
  CreateThingTypeCommand,
  CreateTopicRuleCommand,
  DeleteThingCommand,
  DescribeEndpointCommand,
  DescribeThingCommand,
  GetTopicRuleCommand,
  ListThingsCommand,
  ListThingTypesCommand,
  ListTopicRulesCommand,
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
import { describeWithMoto, freePort, startMoto, type MotoServer } from '@tts-aws-iot/test-kit';
import { clientsFor, type Clients } from './aws-clients';
import { startAwsApi, type AwsApi } from '../src/aws-api/server';

// One contract, two implementations: every case runs, in order, against the local API and
// against a private moto, through the real SDK clients, and each picks what it compares from
// the answer (or the error's name). Where they differ, KNOWN_DIFFERENCES holds both answers
// and why; tools/local/README.md has the same table.

type Json = Record<string, unknown>;

interface ContractCase {
  readonly name: string;
  /** Runs the call; the answer goes to `pick`. */
  run(c: Clients): Promise<unknown>;
  pick(answer: Json): unknown;
}

const RULE_SQL = "SELECT * FROM 'thethings/lorawan/cmp/#'";
const UPLINK_ARN = 'arn:aws:lambda:us-east-1:123456789012:function:uplink';

const shadowOf = (answer: Json) => {
  const doc = JSON.parse(Buffer.from(answer['payload'] as Uint8Array).toString()) as Json;
  return { state: doc['state'], version: doc['version'] };
};
const names = (list: unknown, field: string) =>
  ((list ?? []) as Json[]).map((item) => item[field]).sort();
const ok = () => 'ok';
const update = (thingName: string, document: string, shadowName?: string) =>
  new UpdateThingShadowCommand({
    thingName,
    ...(shadowName && { shadowName }),
    payload: Buffer.from(document),
  });

/** What a user of the integration runs, in the order they would. */
const CASES: readonly ContractCase[] = [
  {
    name: 'secretsmanager CreateSecret',
    run: (c) => c.secrets.send(new CreateSecretCommand({ Name: 'cmp/kek', SecretString: 'v1' })),
    pick: (a) => a['Name'],
  },
  {
    name: 'secretsmanager PutSecretValue',
    run: (c) =>
      c.secrets.send(new PutSecretValueCommand({ SecretId: 'cmp/kek', SecretString: 'v2' })),
    pick: (a) => [a['Name'], a['VersionStages']],
  },
  {
    name: 'secretsmanager GetSecretValue',
    run: (c) => c.secrets.send(new GetSecretValueCommand({ SecretId: 'cmp/kek' })),
    pick: (a) => [a['SecretString'], a['VersionStages']],
  },
  {
    name: 'secretsmanager GetSecretValue AWSPREVIOUS',
    run: (c) =>
      c.secrets.send(
        new GetSecretValueCommand({ SecretId: 'cmp/kek', VersionStage: 'AWSPREVIOUS' }),
      ),
    pick: (a) => [a['SecretString'], a['VersionStages']],
  },
  {
    name: 'secretsmanager DescribeSecret',
    run: (c) => c.secrets.send(new DescribeSecretCommand({ SecretId: 'cmp/kek' })),
    pick: (a) => [
      a['Name'],
      Object.values((a['VersionIdsToStages'] ?? {}) as Json)
        .map(String)
        .sort(),
      a['CreatedDate'] instanceof Date,
    ],
  },
  {
    name: 'secretsmanager ListSecrets by name',
    run: async (c) => {
      await c.secrets.send(new CreateSecretCommand({ Name: 'cmp/api-key', SecretString: 'k' }));
      await c.secrets.send(new CreateSecretCommand({ Name: 'zzz/other', SecretString: 'o' }));
      return c.secrets.send(
        new ListSecretsCommand({ Filters: [{ Key: 'name', Values: ['cmp/'] }] }),
      );
    },
    pick: (a) => names(a['SecretList'], 'Name'),
  },
  {
    name: 'secretsmanager GetSecretValue of a missing secret',
    run: (c) => c.secrets.send(new GetSecretValueCommand({ SecretId: 'cmp/none' })),
    pick: ok,
  },
  {
    name: 'secretsmanager DescribeSecret of a missing secret',
    run: (c) => c.secrets.send(new DescribeSecretCommand({ SecretId: 'cmp/none' })),
    pick: ok,
  },
  {
    name: 'iot CreateThingType',
    run: (c) =>
      c.iot.send(
        new CreateThingTypeCommand({
          thingTypeName: 'cmp',
          thingTypeProperties: { searchableAttributes: ['devEUI'] },
        }),
      ),
    pick: (a) => a['thingTypeArn'],
  },
  {
    name: 'iot CreateThing',
    run: async (c) => {
      for (const [thingName, devEUI] of [
        ['cmp2', 'BB'],
        ['cmp3', 'AA'],
      ])
        await c.iot.send(
          new CreateThingCommand({
            thingName,
            thingTypeName: 'cmp',
            attributePayload: { attributes: { devEUI: devEUI!, stackName: 'cmp' } },
          }),
        );
      await c.iot.send(new CreateThingCommand({ thingName: 'untyped' }));
      return c.iot.send(
        new CreateThingCommand({
          thingName: 'cmp1',
          thingTypeName: 'cmp',
          attributePayload: { attributes: { devEUI: 'AA', stackName: 'cmp' } },
        }),
      );
    },
    pick: (a) => a['thingArn'],
  },
  {
    name: 'iot DescribeThing',
    run: (c) => c.iot.send(new DescribeThingCommand({ thingName: 'cmp1' })),
    pick: (a) => [a['thingName'], a['thingTypeName'], a['attributes'], a['defaultClientId']],
  },
  {
    name: 'iot DescribeThing of a missing thing',
    run: (c) => c.iot.send(new DescribeThingCommand({ thingName: 'cmp-missing' })),
    pick: ok,
  },
  {
    name: 'iot ListThings --thing-type-name',
    run: (c) => c.iot.send(new ListThingsCommand({ thingTypeName: 'cmp' })),
    pick: (a) => names(a['things'], 'thingName'),
  },
  {
    name: 'iot ListThings --attribute-name --attribute-value',
    run: (c) =>
      c.iot.send(new ListThingsCommand({ attributeName: 'devEUI', attributeValue: 'AA' })),
    pick: (a) => names(a['things'], 'thingName'),
  },
  {
    name: 'iot ListThings item shape',
    run: (c) => c.iot.send(new ListThingsCommand({ thingTypeName: 'cmp', maxResults: 250 })),
    pick: (a) => {
      const thing = ((a['things'] ?? []) as Json[]).find((t) => t['thingName'] === 'cmp2') ?? {};
      return [thing['thingTypeName'], thing['attributes'], typeof thing['thingArn']];
    },
  },
  {
    name: 'iot UpdateThing merge',
    run: async (c) => {
      await c.iot.send(
        new UpdateThingCommand({
          thingName: 'cmp1',
          attributePayload: { attributes: { deviceID: 'eui-aa', stackName: '' }, merge: true },
        }),
      );
      return c.iot.send(new DescribeThingCommand({ thingName: 'cmp1' }));
    },
    pick: (a) => a['attributes'],
  },
  {
    name: 'iot UpdateThing of a missing thing',
    run: (c) =>
      c.iot.send(
        new UpdateThingCommand({
          thingName: 'cmp-missing',
          attributePayload: { attributes: { a: 'b' } },
        }),
      ),
    pick: ok,
  },
  {
    name: 'iot ListThingTypes',
    run: (c) => c.iot.send(new ListThingTypesCommand({ thingTypeName: 'cmp' })),
    pick: (a) =>
      ((a['thingTypes'] ?? []) as Json[]).map((t) => [
        t['thingTypeName'],
        (t['thingTypeProperties'] as Json | undefined)?.['searchableAttributes'],
      ]),
  },
  {
    name: 'iot DescribeEndpoint',
    run: (c) => c.iot.send(new DescribeEndpointCommand({ endpointType: 'iot:Data-ATS' })),
    pick: (a) => typeof a['endpointAddress'],
  },
  {
    name: 'iot DeleteThing',
    run: async (c) => {
      await c.iot.send(new DeleteThingCommand({ thingName: 'cmp2' }));
      return c.iot.send(new ListThingsCommand({ thingTypeName: 'cmp' }));
    },
    pick: (a) => names(a['things'], 'thingName'),
  },
  {
    name: 'iot DeleteThing of a missing thing',
    run: (c) => c.iot.send(new DeleteThingCommand({ thingName: 'cmp2' })),
    pick: ok,
  },
  {
    name: 'iot ListTopicRules',
    run: (c) => c.iot.send(new ListTopicRulesCommand({})),
    pick: (a) => ((a['rules'] ?? []) as Json[]).map((r) => [r['ruleName'], r['topicPattern']]),
  },
  {
    name: 'iot GetTopicRule',
    run: (c) => c.iot.send(new GetTopicRuleCommand({ ruleName: 'cmp_uplink' })),
    pick: (a) => {
      const rule = (a['rule'] ?? {}) as Json;
      return [typeof a['ruleArn'], rule['ruleName'], rule['sql'], rule['actions']];
    },
  },
  {
    name: 'iot GetTopicRule of a missing rule',
    run: (c) => c.iot.send(new GetTopicRuleCommand({ ruleName: 'cmp_none' })),
    pick: ok,
  },
  {
    name: 'iot-data UpdateThingShadow',
    run: (c) =>
      c.data.send(update('cmp1', '{"state":{"reported":{"a":1,"b":{"c":2}}}}', 'lorawan')),
    pick: shadowOf,
  },
  {
    name: 'iot-data UpdateThingShadow merge at a version',
    run: (c) =>
      c.data.send(
        update('cmp1', '{"state":{"reported":{"b":{"c":null},"d":[1]}},"version":1}', 'lorawan'),
      ),
    pick: (a) => shadowOf(a).version,
  },
  {
    name: 'iot-data UpdateThingShadow at a stale version',
    run: (c) =>
      c.data.send(update('cmp1', '{"state":{"reported":{"a":5}},"version":1}', 'lorawan')),
    pick: ok,
  },
  {
    name: 'iot-data GetThingShadow',
    run: (c) =>
      c.data.send(new GetThingShadowCommand({ thingName: 'cmp1', shadowName: 'lorawan' })),
    pick: shadowOf,
  },
  {
    name: 'iot-data UpdateThingShadow that is no JSON',
    run: (c) => c.data.send(update('cmp1', 'nope', 'x')),
    pick: ok,
  },
  {
    name: 'iot-data GetThingShadow of a missing shadow',
    run: (c) => c.data.send(new GetThingShadowCommand({ thingName: 'cmp1', shadowName: 'none' })),
    pick: ok,
  },
  {
    name: 'iot-data ListNamedShadowsForThing',
    run: async (c) => {
      await c.data.send(update('cmp1', '{"state":{"reported":{"z":1}}}', 'another'));
      return c.data.send(new ListNamedShadowsForThingCommand({ thingName: 'cmp1' }));
    },
    pick: (a) => [...((a['results'] ?? []) as string[])].sort(),
  },
  {
    name: 'iot-data DeleteThingShadow',
    run: async (c) => {
      await c.data.send(new DeleteThingShadowCommand({ thingName: 'cmp1', shadowName: 'another' }));
      return c.data.send(new GetThingShadowCommand({ thingName: 'cmp1', shadowName: 'another' }));
    },
    pick: ok,
  },
  {
    name: 'iot-data Publish',
    run: (c) =>
      c.data.send(
        new PublishCommand({ topic: 'lorawan/downlink', qos: 1, payload: Buffer.from('{}') }),
      ),
    pick: ok,
  },
];

/**
 * Where the local API and moto answer differently: both answers, and why. The local API
 * follows AWS (docs/aws.md) where moto does not.
 */
const KNOWN_DIFFERENCES: Readonly<Record<string, { local: unknown; moto: unknown; why: string }>> =
  {
    'secretsmanager GetSecretValue of a missing secret': {
      local: { error: 'ResourceNotFoundException', status: 400 },
      moto: { error: 'ResourceNotFoundException', status: 404 },
      why: 'Secrets Manager (awsJson 1.1) answers every client error with HTTP 400',
    },
    'secretsmanager DescribeSecret of a missing secret': {
      local: { error: 'ResourceNotFoundException', status: 400 },
      moto: { error: 'ResourceNotFoundException', status: 404 },
      why: 'as for GetSecretValue',
    },
    'iot DeleteThing of a missing thing': {
      local: 'ok',
      moto: { error: 'ResourceNotFoundException', status: 404 },
      why: 'AWS deletes a thing that is already gone without error (docs/aws.md)',
    },
    'iot GetTopicRule of a missing rule': {
      local: { error: 'UnauthorizedException', status: 401 },
      moto: { error: 'ResourceNotFoundException', status: 404 },
      why: 'GetTopicRule names no ResourceNotFoundException: AWS answers a rule that does not exist as one the caller may not see',
    },
  };

async function runAll(c: Clients): Promise<Map<string, unknown>> {
  const answers = new Map<string, unknown>();
  for (const contractCase of CASES) {
    try {
      answers.set(contractCase.name, contractCase.pick((await contractCase.run(c)) as Json));
    } catch (error) {
      const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata
        ?.httpStatusCode;
      answers.set(contractCase.name, { error: (error as Error).name, status });
    }
  }
  return answers;
}

describeWithMoto('the AWS API contract: the local stand-in next to moto', () => {
  let moto: MotoServer;
  let api: AwsApi;
  let local: Map<string, unknown>;
  let theirs: Map<string, unknown>;

  beforeAll(async () => {
    moto = await startMoto();
    api = await startAwsApi({
      port: await freePort(),
      endpointAddress: '127.0.0.1',
      publish: async () => undefined,
    });
    // The rules: the local API shows those the stack runs; moto gets the same one created.
    api.iot.setTopicRules(
      [
        {
          name: 'UplinkRule',
          sql: RULE_SQL,
          functionName: 'uplink',
          target: { kind: 'lambda', functionName: 'uplink' },
        },
      ],
      'cmp',
    );
    const motoClients = clientsFor(moto.endpoint);
    await motoClients.iot.send(
      new CreateTopicRuleCommand({
        ruleName: 'cmp_uplink',
        topicRulePayload: {
          sql: RULE_SQL,
          actions: [{ lambda: { functionArn: UPLINK_ARN } }],
          awsIotSqlVersion: '2016-03-23',
          ruleDisabled: false,
        },
      }),
    );
    local = await runAll(clientsFor(api.url));
    theirs = await runAll(motoClients);
  }, 60_000);

  afterAll(async () => {
    await api?.close();
    await moto?.stop();
  });

  it.each(CASES.map((c) => c.name))('%s', (name) => {
    const difference = KNOWN_DIFFERENCES[name];
    if (difference) {
      expect({ local: local.get(name), moto: theirs.get(name) }).toEqual({
        local: difference.local,
        moto: difference.moto,
      });
    } else {
      expect(local.get(name)).toEqual(theirs.get(name));
    }
  });

  it('is meaningful: it saw answers and errors, and every known difference is a case', () => {
    expect([...local.values()]).toContainEqual({ error: 'ConflictException', status: 409 });
    expect(local.get('iot-data GetThingShadow')).toEqual({
      state: { reported: { a: 1, b: {}, d: [1] } },
      version: 2,
    });
    for (const name of Object.keys(KNOWN_DIFFERENCES))
      expect(CASES.map((c) => c.name)).toContain(name);
  });
});
