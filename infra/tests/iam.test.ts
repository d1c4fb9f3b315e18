import { relative, resolve } from 'node:path';
import { TTS_UPSTREAM_SUBTOPICS } from '@tts-aws-iot/tts';

import {
  functionProperties,
  resourcesOfType,
  wildcardResources,
  type Template,
} from './cloudformation';
import {
  ACCOUNT,
  ALL_TEMPLATES,
  API_KEY_SECRET_ARN,
  FUNCTIONS,
  FUNCTION_IDS,
  GROUPS,
  KEK_SECRET_ARN,
  REGION,
  SCENARIOS,
  STACK,
  TTS_ACCOUNT,
  evaluator,
  functionEnvironment,
  properties,
  referencedId,
  scenario,
  type FunctionId,
} from './fixtures';
import {
  actionsOf,
  allStatements,
  allows,
  permissionStatements,
  trustStatements,
  type Statement,
} from './policy';

const name = (template: Template): string => relative(resolve(__dirname, '..'), template.path);
const iot = (resource: string): string => `arn:aws:iot:${REGION}:${ACCOUNT}:${resource}`;

/** What every function's role needs besides its own calls: its log group and X-Ray. */
const LOG_AND_TRACE_ACTIONS = [
  'logs:CreateLogStream',
  'logs:PutLogEvents',
  'xray:PutTelemetryRecords',
  'xray:PutTraceSegments',
];

/** The registry functions consume their SQS queues of registry events (encrypted with the key). */
const SQS_CONSUMERS: readonly FunctionId[] = ['CreateDeviceFunction', 'ClaimFunction'];

/**
 * The runtime's own calls: asynchronously invoked functions send to their encrypted
 * dead-letter queue; SQS-consumed ones receive from their encrypted queue.
 */
function runtimeActions(id: FunctionId): string[] {
  return SQS_CONSUMERS.includes(id)
    ? [
        ...LOG_AND_TRACE_ACTIONS,
        'kms:Decrypt',
        'sqs:DeleteMessage',
        'sqs:GetQueueAttributes',
        'sqs:ReceiveMessage',
      ]
    : [...LOG_AND_TRACE_ACTIONS, 'kms:Decrypt', 'kms:GenerateDataKey', 'sqs:SendMessage'];
}

/** The AWS calls each function makes (the brief of issue 5), by end-to-end encryption. */
const CALLS: Record<FunctionId, (e2e: boolean) => string[]> = {
  ThingTypeFunction: () => [
    'iot:CreateThingType',
    'iot:DescribeThingType',
    'iot:DeprecateThingType',
    'iot:UpdateEventConfigurations',
    'iot:DescribeEndpoint',
    'iot:ListThings',
  ],
  PubSubFunction: () => ['secretsmanager:GetSecretValue'],
  UplinkFunction: (e2e) => [
    'iot:ListThings',
    'iot:DescribeThing',
    'iot:CreateThing',
    'iot:GetThingShadow',
    'iot:UpdateThingShadow',
    'iot:Publish',
    ...(e2e ? ['secretsmanager:GetSecretValue'] : []),
  ],
  DownlinkFunction: (e2e) => [
    'iot:ListThings',
    'iot:DescribeThing',
    'iot:GetThingShadow',
    'iot:UpdateThingShadow',
    'iot:Publish',
    ...(e2e ? ['secretsmanager:GetSecretValue'] : []),
  ],
  CreateDeviceFunction: () => [
    'iot:ListThings',
    'iot:DescribeThing',
    'iot:UpdateThing',
    'iot:Publish',
    'secretsmanager:GetSecretValue',
  ],
  ClaimFunction: () => [
    'iot:ListThings',
    'iot:DescribeThing',
    'iot:UpdateThing',
    'iot:Publish',
    'secretsmanager:GetSecretValue',
  ],
  // It fetches the release manifest over HTTPS and publishes its metric in its log.
  VersionCheckFunction: () => [],
};

/** Actions whose API has no resource-level permissions: the only ones allowed on "*". */
const NO_RESOURCE_LEVEL_PERMISSIONS = [
  'iot:DescribeEndpoint',
  'iot:ListThings',
  'iot:UpdateEventConfigurations',
  'xray:PutTelemetryRecords',
  'xray:PutTraceSegments',
];

function roleOf(id: FunctionId, given = scenario()): Record<string, unknown> {
  const template = GROUPS[FUNCTIONS[id].group];
  return properties(template, referencedId(functionProperties(template.json, id)['Role'])!, given);
}

function statementsOf(id: FunctionId, given = scenario()): Statement[] {
  return permissionStatements(roleOf(id, given));
}

describe.each(ALL_TEMPLATES.map((template) => [name(template), template] as const))(
  '%s',
  (_, template) => {
    it.each(SCENARIOS)(
      'names every action in full, never with a wildcard ($name)',
      ({ scenario: given }) => {
        const statements = allStatements(
          evaluator(template, given).evaluate(template.json.Resources),
        );
        for (const statement of statements) {
          expect(statement).not.toHaveProperty('NotAction');
          expect(statement).not.toHaveProperty('NotResource');
          for (const action of [statement.Action].flat())
            expect(action).toMatch(/^[a-z0-9-]+:[A-Za-z0-9]+$/);
        }
      },
    );

    it.each(SCENARIOS)(
      'grants "*" only to actions without resource-level permissions, key policies aside ($name)',
      ({ scenario: given }) => {
        // In a key policy, the resource "*" is the key itself (kms.test.ts checks those).
        const resources = evaluator(template, given).evaluate(template.json.Resources) as Record<
          string,
          { Type: string }
        >;
        const statements = allStatements(
          Object.values(resources).filter((resource) => resource.Type !== 'AWS::KMS::Key'),
        );
        const onAnything = statements.filter((statement) =>
          [statement.Resource].flat().includes('*'),
        );
        for (const action of actionsOf(onAnything))
          expect(NO_RESOURCE_LEVEL_PERMISSIONS).toContain(action);
      },
    );

    it('says why beside every "*" resource', () => {
      for (const wildcard of wildcardResources(template)) {
        expect({ at: wildcard.location, comment: wildcard.comments }).toEqual({
          at: wildcard.location,
          comment: wildcard.location.includes('.KeyPolicy.')
            ? expect.stringMatching(/in a key policy, "\*" is the key itself/i)
            : expect.stringMatching(/no resource-level permissions/i),
        });
      }
    });

    it('attaches no managed policies, whose permissions the template would not show', () => {
      for (const id of resourcesOfType(template.json, 'AWS::IAM::Role')) {
        expect(template.json.Resources[id]!.Properties).not.toHaveProperty('ManagedPolicyArns');
      }
      // The one managed policy is for applications (desired-state downlinks), attached to none of ours.
      expect(resourcesOfType(template.json, 'AWS::IAM::ManagedPolicy')).toEqual(
        template === GROUPS.traffic ? ['DesiredDownlinkWriterPolicy'] : [],
      );
    });
  },
);

describe.each(FUNCTION_IDS)("%s's role", (id) => {
  it.each(SCENARIOS)(
    'allows exactly the actions the function calls ($name)',
    ({ scenario: given }) => {
      const e2e = given.parameters['EnableEndToEndEncryption'] === 'Enabled';
      expect(actionsOf(statementsOf(id, given))).toEqual(
        [...new Set([...CALLS[id](e2e), ...runtimeActions(id)])].sort(),
      );
    },
  );

  it('can be assumed by Lambda only', () => {
    expect(trustStatements(roleOf(id))).toEqual([
      { Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' },
    ]);
  });

  it.each(SCENARIOS)(
    'reads the KEK only with end-to-end encryption, and the API key only where TTS is called ($name)',
    ({ scenario: given }) => {
      const statements = statementsOf(id, given);
      const e2e = given.parameters['EnableEndToEndEncryption'] === 'Enabled';
      // The registry functions unwrap root keys and claim codes given wrapped in attributes.
      const readsKek =
        e2e &&
        [
          'UplinkFunction',
          'DownlinkFunction',
          'PubSubFunction',
          'CreateDeviceFunction',
          'ClaimFunction',
        ].includes(id);
      // With E2E the traffic functions read the devices' payload formatters from TTS.
      const readsApiKey =
        ['PubSubFunction', 'CreateDeviceFunction', 'ClaimFunction'].includes(id) ||
        (e2e && ['UplinkFunction', 'DownlinkFunction'].includes(id));
      expect(allows(statements, 'secretsmanager:GetSecretValue', KEK_SECRET_ARN)).toBe(readsKek);
      expect(allows(statements, 'secretsmanager:GetSecretValue', API_KEY_SECRET_ARN)).toBe(
        readsApiKey,
      );
    },
  );
});

/** A thing of the stack and one that is not, by naming scheme. */
const THINGS = {
  DevEUI: { ours: '0004A30B001C0530', foreign: 'other-thing' },
  DeviceID: { ours: `${STACK}_eui-0004a30b001c0530`, foreign: `${STACK}-2_eui-0004a30b001c0530` },
} as const;

type Access = readonly [action: string, resource: string];

/**
 * What each function may and may not do, for a thing of the stack (`T`) and a foreign one (`F`).
 * A device's thing is the thing of the stack's type with its devEUI, whatever its name (`H`,
 * created by hand): IAM cannot tell a thing's type or attributes, so reading things and their
 * `lorawan` shadows is allowed by any name, and the functions check type and stackName.
 */
const H = 'greenhouse-7';
const ACCESS: Record<
  FunctionId,
  (T: string, F: string) => { allowed: Access[]; denied: Access[] }
> = {
  ThingTypeFunction: () => ({
    allowed: [
      ['iot:CreateThingType', iot('thingtype/lorawan')],
      ['iot:DeprecateThingType', iot('thingtype/lorawan')],
      ['iot:UpdateEventConfigurations', '*'],
      ['iot:DescribeEndpoint', '*'],
      ['iot:ListThings', '*'],
    ],
    denied: [
      ['iot:CreateThingType', iot('thingtype/other')],
      ['iot:DeprecateThingType', iot('thingtype/other')],
      // It reads the registry to decide about the type, and never changes a thing.
      ['iot:UpdateThing', iot('thing/0004A30B001C0530')],
      ['iot:DeleteThing', iot('thing/0004A30B001C0530')],
    ],
  }),
  PubSubFunction: () => ({
    allowed: [['secretsmanager:GetSecretValue', API_KEY_SECRET_ARN]],
    denied: [['iot:Publish', iot(`topic/thethings/lorawan/${STACK}/uplink`)]],
  }),
  UplinkFunction: (T, F) => ({
    allowed: [
      ['iot:ListThings', '*'],
      ['iot:DescribeThing', iot(`thing/${T}`)],
      ['iot:DescribeThing', iot(`thing/${H}`)],
      ['iot:UpdateThingShadow', iot(`thing/${H}/lorawan`)],
      ['iot:Publish', iot(`topic/lorawan/${H}/uplink`)],
      ['iot:Publish', iot(`topic/thethings/lorawan/${STACK}/downlink/replace`)],
      ['iot:CreateThing', iot(`thing/${T}`)],
      ['iot:CreateThing', iot('thingtype/lorawan')],
      ['iot:GetThingShadow', iot(`thing/${T}/lorawan`)],
      ['iot:UpdateThingShadow', iot(`thing/${T}/lorawan`)],
      ['iot:Publish', iot(`topic/lorawan/${T}/uplink`)],
      ['iot:Publish', iot(`topic/lorawan/${T}/downlink/failed`)],
      ['iot:Publish', iot(`topic/thethings/lorawan/${STACK}/downlink/push`)],
    ],
    denied: [
      // It creates things only under the names the scheme gives.
      ['iot:CreateThing', iot(`thing/${F}`)],
      ['iot:CreateThing', iot(`thing/${H}`)],
      ['iot:CreateThing', iot('thingtype/other')],
      ['iot:UpdateThing', iot(`thing/${T}`)],
      ['iot:UpdateThingShadow', iot(`thing/${T}`)],
      ['iot:UpdateThingShadow', iot(`thing/${T}/other`)],
      // Its own rule's topics (a loop), the downlink rule's, and another stack's.
      ['iot:Publish', iot(`topic/thethings/lorawan/${STACK}/uplink`)],
      ['iot:Publish', iot('topic/lorawan/downlink')],
      ['iot:Publish', iot('topic/thethings/lorawan/other-stack/downlink/push')],
    ],
  }),
  DownlinkFunction: (T, F) => ({
    allowed: [
      ['iot:ListThings', '*'],
      ['iot:DescribeThing', iot(`thing/${T}`)],
      ['iot:DescribeThing', iot(`thing/${H}`)],
      ['iot:UpdateThingShadow', iot(`thing/${H}/lorawan`)],
      ['iot:GetThingShadow', iot(`thing/${T}/lorawan`)],
      ['iot:UpdateThingShadow', iot(`thing/${T}/lorawan`)],
      ['iot:Publish', iot(`topic/thethings/lorawan/${STACK}/downlink/push`)],
      ['iot:Publish', iot(`topic/thethings/lorawan/${STACK}/downlink/replace`)],
      ['iot:Publish', iot(`topic/lorawan/${T}/downlink/failed`)],
      // Rejections go to whatever thing the request named, or to lorawan/downlink/failed.
      ['iot:Publish', iot(`topic/lorawan/${F}/downlink/failed`)],
      ['iot:Publish', iot('topic/lorawan/downlink/failed')],
    ],
    denied: [
      ['iot:UpdateThingShadow', iot(`thing/${F}/other`)],
      ['iot:CreateThing', iot(`thing/${T}`)],
      ['iot:Publish', iot('topic/lorawan/downlink')],
      ['iot:Publish', iot(`topic/lorawan/${T}/uplink`)],
      ['iot:Publish', iot(`topic/thethings/lorawan/${STACK}/uplink`)],
      ['iot:Publish', iot('topic/thethings/lorawan/other-stack/downlink/push')],
    ],
  }),
  CreateDeviceFunction: (T, F) => registryAccess(T, F),
  ClaimFunction: (T, F) => registryAccess(T, F),
  VersionCheckFunction: (T) => ({
    allowed: [],
    denied: [
      ['secretsmanager:GetSecretValue', KEK_SECRET_ARN],
      ['secretsmanager:GetSecretValue', API_KEY_SECRET_ARN],
      ['iot:Publish', iot(`topic/lorawan/${T}/uplink`)],
      ['iot:DescribeThing', iot(`thing/${T}`)],
    ],
  }),
};

function registryAccess(T: string, F: string): { allowed: Access[]; denied: Access[] } {
  return {
    allowed: [
      ['iot:ListThings', '*'],
      ['iot:DescribeThing', iot(`thing/${T}`)],
      ['iot:UpdateThing', iot(`thing/${T}`)],
      ['iot:DescribeThing', iot(`thing/${H}`)],
      ['iot:UpdateThing', iot(`thing/${H}`)],
      ['iot:Publish', iot(`topic/lorawan/${T}/provisioning`)],
      ['iot:Publish', iot(`topic/lorawan/${F}/provisioning`)],
    ],
    denied: [
      ['iot:DeleteThing', iot(`thing/${F}`)],
      ['iot:UpdateThingShadow', iot(`thing/${T}/lorawan`)],
      ['iot:Publish', iot(`topic/lorawan/${T}/uplink`)],
      ['iot:Publish', iot('topic/lorawan/downlink')],
    ],
  };
}

describe.each(FUNCTION_IDS)(
  "%s's role is scoped to the stack's things, shadows and topics",
  (id) => {
    it.each(SCENARIOS)('$name', ({ scenario: given }) => {
      const scheme = given.parameters['ThingNameScheme'] as keyof typeof THINGS;
      const { allowed, denied } = ACCESS[id](THINGS[scheme].ours, THINGS[scheme].foreign);
      const statements = statementsOf(id, given);
      for (const [action, resource] of allowed)
        expect({ action, resource, allowed: allows(statements, action, resource) }).toEqual({
          action,
          resource,
          allowed: true,
        });
      for (const [action, resource] of denied)
        expect({ action, resource, allowed: allows(statements, action, resource) }).toEqual({
          action,
          resource,
          allowed: false,
        });
    });
  },
);

it.each(SCENARIOS)(
  "lets the downlink role publish under The Things Stack's topics on downlink/push and downlink/replace only, so that it cannot fake TTS's events ($name)",
  ({ scenario: given }) => {
    const statements = statementsOf('DownlinkFunction', given);
    const tts = (sub: string) => iot(`topic/thethings/lorawan/${STACK}/${sub}`);
    const allowedToTts = ['downlink/push', 'downlink/replace'];
    const events = [...TTS_UPSTREAM_SUBTOPICS, 'downlink/other'];
    for (const sub of allowedToTts)
      expect([sub, allows(statements, 'iot:Publish', tts(sub))]).toEqual([sub, true]);
    for (const sub of events)
      expect([sub, allows(statements, 'iot:Publish', tts(sub))]).toEqual([sub, false]);
    const ttsResources = statements
      .filter((statement) => [statement.Action].flat().includes('iot:Publish'))
      .flatMap((statement) => [statement.Resource ?? []].flat())
      .filter((resource) => resource.includes(':topic/thethings/'));
    expect(ttsResources.sort()).toEqual(allowedToTts.map(tts).sort());
  },
);

describe('the role The Things Stack assumes', () => {
  const role = properties(GROUPS.setup, 'TheThingsStackRole');
  const statements = permissionStatements(role);

  it("trusts The Things Stack's account only with this stack's ExternalId, the one pubsub-config gives it", () => {
    const externalId = properties(GROUPS.setup, 'PubSub')['ExternalId'];
    expect(externalId).toMatch(/^[0-9a-f-]{36}$/);
    expect(trustStatements(role)).toEqual([
      {
        Effect: 'Allow',
        Principal: { AWS: `arn:aws:iam::${TTS_ACCOUNT}:root` },
        Action: 'sts:AssumeRole',
        Condition: { StringEquals: { 'sts:ExternalId': externalId } },
      },
    ]);
  });

  it('lets it connect as thethings-<stack> and exchange messages under thethings/lorawan/<stack>/ only', () => {
    expect(actionsOf(statements)).toEqual([
      'iot:Connect',
      'iot:DescribeEndpoint',
      'iot:Publish',
      'iot:Receive',
      'iot:Subscribe',
    ]);
    const allowed: Access[] = [
      ['iot:Connect', iot(`client/thethings-${STACK}`)],
      ['iot:Publish', iot(`topic/thethings/lorawan/${STACK}/uplink`)],
      ['iot:Publish', iot(`topic/thethings/lorawan/${STACK}/downlink/failed`)],
      ['iot:Receive', iot(`topic/thethings/lorawan/${STACK}/downlink/push`)],
      ['iot:Subscribe', iot(`topicfilter/thethings/lorawan/${STACK}/downlink/push`)],
      ['iot:Subscribe', iot(`topicfilter/thethings/lorawan/${STACK}/downlink/#`)],
      ['iot:DescribeEndpoint', '*'],
    ];
    const denied: Access[] = [
      ['iot:Connect', iot('client/thethings-other-stack')],
      ['iot:Connect', iot('client/anyone')],
      ['iot:Publish', iot('topic/thethings/lorawan/other-stack/uplink')],
      ['iot:Publish', iot('topic/lorawan/downlink')],
      ['iot:Publish', iot('topic/lorawan/0004A30B001C0530/uplink')],
      ['iot:Publish', iot('topic/$aws/things/0004A30B001C0530/shadow/name/lorawan/update')],
      ['iot:Subscribe', iot('topicfilter/#')],
      ['iot:Receive', iot('topic/lorawan/0004A30B001C0530/uplink')],
    ];
    for (const [action, resource] of allowed)
      expect({ action, resource, allowed: allows(statements, action, resource) }).toEqual({
        action,
        resource,
        allowed: true,
      });
    for (const [action, resource] of denied)
      expect({ action, resource, allowed: allows(statements, action, resource) }).toEqual({
        action,
        resource,
        allowed: false,
      });
  });
});

describe('the KEK secret of an earlier deployment (ExistingKEKSecretArn, migration)', () => {
  const OLD = `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:old-stack-kek-AbCdEf`;
  const READERS: readonly FunctionId[] = [
    'UplinkFunction',
    'DownlinkFunction',
    'CreateDeviceFunction',
    'ClaimFunction',
  ];

  it.each(FUNCTION_IDS)(
    '%s may read it exactly when it reads the KEK ring with end-to-end encryption, and gets its ARN as the label',
    (id) => {
      const reads = READERS.includes(id);
      for (const EnableEndToEndEncryption of ['Enabled', 'Disabled']) {
        const given = scenario({ ExistingKEKSecretArn: OLD, EnableEndToEndEncryption });
        const on = reads && EnableEndToEndEncryption === 'Enabled';
        expect({
          id,
          EnableEndToEndEncryption,
          allowed: allows(statementsOf(id, given), 'secretsmanager:GetSecretValue', OLD),
          environment: functionEnvironment(id, given)['EXISTING_KEK_LABEL'],
        }).toEqual({
          id,
          EnableEndToEndEncryption,
          allowed: on,
          environment: on ? OLD : undefined,
        });
      }
      expect(
        allows(
          statementsOf(id, scenario({ EnableEndToEndEncryption: 'Enabled' })),
          'secretsmanager:GetSecretValue',
          OLD,
        ),
      ).toBe(false);
    },
  );

  it('takes the label given when the secret is a copy under another ARN', () => {
    const given = scenario({
      ExistingKEKSecretArn: OLD,
      ExistingKEKLabel: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:original-kek-XyZaBc',
      EnableEndToEndEncryption: 'Enabled',
    });
    expect(functionEnvironment('UplinkFunction', given)).toMatchObject({
      EXISTING_KEK_SECRET_ID: OLD,
      EXISTING_KEK_LABEL:
        'arn:aws:secretsmanager:eu-west-1:123456789012:secret:original-kek-XyZaBc',
      KEK_SECRET_ID: KEK_SECRET_ARN,
    });
  });
});

describe("the registry functions' provisioning history", () => {
  const GROUP = `/thethings/lorawan/${STACK}/things`;
  const GROUP_ARN = `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:${GROUP}:*`;
  const registry = GROUPS.registry;

  it.each(['CreateDeviceFunction', 'ClaimFunction'] as const)(
    '%s may create streams and put events in /thethings/lorawan/<stack>/things, and is told its name',
    (id) => {
      expect(
        properties(registry, 'ProvisioningLogGroup', scenario({ LogRetentionInDays: '90' })),
      ).toEqual({ LogGroupName: GROUP, RetentionInDays: '90' });
      const statements = statementsOf(id);
      for (const action of ['logs:CreateLogStream', 'logs:PutLogEvents'])
        expect(allows(statements, action, GROUP_ARN)).toBe(true);
      for (const action of ['logs:CreateLogGroup', 'logs:PutRetentionPolicy'])
        expect(allows(statements, action, GROUP_ARN)).toBe(false);
      expect(allows(statements, 'logs:PutLogEvents', GROUP_ARN.replace(STACK, 'other'))).toBe(
        false,
      );
      expect(functionEnvironment(id)['PROVISIONING_LOG_GROUP']).toBe(GROUP);
      expect(functionEnvironment(id)['PROVISIONING_LOG_RETENTION_DAYS']).toBeUndefined();
    },
  );

  it.each(['CreateDeviceFunction', 'ClaimFunction'] as const)(
    'with AdoptThingLogGroup=Enabled (migration), %s creates the group again itself, with the retention; the stack creates none',
    (id) => {
      const adopted = scenario({ AdoptThingLogGroup: 'Enabled', LogRetentionInDays: '731' });
      const condition = registry.json.Resources['ProvisioningLogGroup']!.Condition!;
      expect(evaluator(registry, adopted).conditions[condition]).toBe(false);
      expect(evaluator(registry).conditions[condition]).toBe(true);
      const statements = statementsOf(id, adopted);
      for (const action of [
        'logs:CreateLogGroup',
        'logs:PutRetentionPolicy',
        'logs:CreateLogStream',
        'logs:PutLogEvents',
      ])
        expect(allows(statements, action, GROUP_ARN)).toBe(true);
      expect(functionEnvironment(id, adopted)['PROVISIONING_LOG_RETENTION_DAYS']).toBe('731');
    },
  );

  it.each(['UplinkFunction', 'DownlinkFunction', 'VersionCheckFunction'] as const)(
    '%s may not write it',
    (id) => {
      expect(functionEnvironment(id)['PROVISIONING_LOG_GROUP']).toBeUndefined();
      expect(allows(statementsOf(id), 'logs:PutLogEvents', GROUP_ARN)).toBe(false);
    },
  );
});
