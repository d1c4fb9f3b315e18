import {
  RULE_SQL_VERSION,
  desiredDownlinkRuleSql,
  downlinkRuleSql,
  thingCreatedRuleSql,
  thingDeletedRuleSql,
  uplinkRuleSql,
} from '@tts-aws-iot/tts';

import { functionProperties, resourcesOfType } from './cloudformation';
import { ACCOUNT, GROUPS, REGION, STACK, properties, scenario, type Group } from './fixtures';
import { actionsOf, allows, arnMatches, permissionStatements, trustStatements } from './policy';

interface RuleCase {
  readonly group: Group;
  readonly rule: string;
  readonly target: string;
  /** The queue the rule sends to, which `target` consumes (registry events); none: it invokes `target`. */
  readonly queue?: string;
  /** The statement libs/tts/src/topics.ts produces for these parameters: the one source of truth. */
  readonly sql: (parameters: Readonly<Record<string, string>>) => string;
}

const RULES: readonly RuleCase[] = [
  {
    group: 'traffic',
    rule: 'UplinkRule',
    target: 'UplinkFunction',
    sql: (p) => uplinkRuleSql(p['StackName']!),
  },
  {
    group: 'traffic',
    rule: 'DownlinkRule',
    target: 'DownlinkFunction',
    sql: () => downlinkRuleSql(),
  },
  {
    group: 'traffic',
    rule: 'DesiredDownlinkRule',
    target: 'DownlinkFunction',
    sql: () => desiredDownlinkRuleSql(),
  },
  {
    group: 'registry',
    rule: 'CreateDeviceRule',
    target: 'CreateDeviceFunction',
    queue: 'CreateDeviceQueue',
    sql: (p) => thingCreatedRuleSql(p['ThingTypeName']!),
  },
  {
    group: 'registry',
    rule: 'ClaimRule',
    target: 'ClaimFunction',
    queue: 'ClaimQueue',
    sql: (p) => thingCreatedRuleSql(p['ThingTypeName']!),
  },
  {
    group: 'registry',
    rule: 'DeleteDeviceRule',
    target: 'CreateDeviceFunction',
    queue: 'CreateDeviceQueue',
    sql: (p) => thingDeletedRuleSql(p['ThingTypeName']!),
  },
];

interface RulePayload {
  Sql: string;
  AwsIotSqlVersion: string;
  RuleDisabled: boolean;
  Actions: {
    Lambda?: { FunctionArn: string };
    Sqs?: { QueueUrl: string; RoleArn: string; UseBase64: boolean };
  }[];
  ErrorAction: { Sqs?: { QueueUrl: string; RoleArn: string; UseBase64: boolean } };
}

function rule(
  group: Group,
  id: string,
  given = scenario(),
): { RuleName: string; TopicRulePayload: RulePayload } {
  return properties(GROUPS[group], id, given) as {
    RuleName: string;
    TopicRulePayload: RulePayload;
  };
}

it('the templates hold exactly these rules', () => {
  const found = (['traffic', 'registry', 'setup'] as const).flatMap((group) =>
    resourcesOfType(GROUPS[group].json, 'AWS::IoT::TopicRule').map((id) => `${group}/${id}`),
  );
  expect(found.sort()).toEqual(RULES.map(({ group, rule: id }) => `${group}/${id}`).sort());
});

describe.each(RULES)('$rule', ({ group, rule: id, sql }) => {
  it.each([
    { StackName: STACK, ThingTypeName: 'lorawan' },
    { StackName: 'Other-Stack-2', ThingTypeName: 'my:type_1' },
  ])('selects what libs/tts topics.ts says for %j, with SQL version 2016-03-23', (parameters) => {
    const payload = rule(group, id, scenario(parameters)).TopicRulePayload;
    expect(payload.Sql).toBe(sql(parameters));
    expect(payload.AwsIotSqlVersion).toBe(RULE_SQL_VERSION);
    expect(payload.AwsIotSqlVersion).toBe('2016-03-23');
    expect(payload.RuleDisabled).toBe(false);
  });

  it.each(['my-stack', 'a-b-c', 'x'.repeat(114)])(
    'has a valid rule name for stack %s: the stack name with underscores for hyphens, then its own suffix',
    (stackName) => {
      const { RuleName } = rule(group, id, scenario({ StackName: stackName }));
      expect(RuleName).toMatch(/^[a-zA-Z0-9_]{1,128}$/);
      expect(RuleName.startsWith(`${stackName.replaceAll('-', '_')}_`)).toBe(true);
    },
  );

  it("sends what it cannot deliver to the stack's dead-letter queue, with a role only the stack's rules can assume", () => {
    const { RuleName, TopicRulePayload } = rule(group, id);
    const sqs = TopicRulePayload.ErrorAction.Sqs!;
    expect(sqs.QueueUrl).toBe('<DeadLetterQueue>');
    expect(sqs.UseBase64).toBe(false);
    const roleId = /^<(\w+)\.Arn>$/.exec(sqs.RoleArn)![1]!;
    const role = properties(GROUPS[group], roleId);
    expect(allows(permissionStatements(role), 'sqs:SendMessage', '<DeadLetterQueue.Arn>')).toBe(
      true,
    );
    const [trust, ...more] = trustStatements(role);
    expect(more).toEqual([]);
    expect(trust).toMatchObject({
      Effect: 'Allow',
      Principal: { Service: 'iot.amazonaws.com' },
      Action: 'sts:AssumeRole',
    });
    expect(trust!.Condition!['StringEquals']).toEqual({ 'aws:SourceAccount': ACCOUNT });
    const sources = trust!.Condition!['ArnEquals']!['aws:SourceArn'] as string[];
    const arn = (name: string) => `arn:aws:iot:${REGION}:${ACCOUNT}:rule/${name}`;
    expect(sources.some((source) => arnMatches(source, arn(RuleName)))).toBe(true);
    expect(
      sources.some((source) => arnMatches(source, arn(RuleName.replace('my_stack', 'my_stack_2')))),
    ).toBe(false);
  });
});

describe.each(RULES.filter((rule) => !rule.queue))('$rule', ({ group, rule: id, target }) => {
  it(`invokes ${target}, which lets exactly this rule of this account invoke it`, () => {
    const payload = rule(group, id).TopicRulePayload;
    expect(payload.Actions).toEqual([{ Lambda: { FunctionArn: `<${target}.Arn>` } }]);
    const permissions = resourcesOfType(GROUPS[group].json, 'AWS::Lambda::Permission')
      .map((permission) => properties(GROUPS[group], permission))
      .filter((permission) => permission['SourceArn'] === `<${id}.Arn>`);
    expect(permissions).toEqual([
      {
        Action: 'lambda:InvokeFunction',
        FunctionName: `<${target}.Arn>`,
        Principal: 'iot.amazonaws.com',
        SourceAccount: ACCOUNT,
        SourceArn: `<${id}.Arn>`,
      },
    ]);
  });
});

describe.each(RULES.filter((rule) => rule.queue))('$rule', ({ group, rule: id, target, queue }) => {
  it(`queues its events in ${queue}, with a role that may send there only and only the rules feeding ${queue} may assume, and ${target} consumes ${queue}`, () => {
    const { RuleName, TopicRulePayload } = rule(group, id);
    expect(TopicRulePayload.Actions).toEqual([
      { Sqs: { QueueUrl: `<${queue}>`, RoleArn: `<${queue}Role.Arn>`, UseBase64: false } },
    ]);
    const role = properties(GROUPS[group], `${queue}Role`);
    const statements = permissionStatements(role);
    expect(actionsOf(statements)).toEqual([
      'kms:Decrypt',
      'kms:GenerateDataKey',
      'sqs:SendMessage',
    ]);
    expect(statements.find((s) => s.Action === 'sqs:SendMessage')?.Resource).toBe(`<${queue}.Arn>`);
    const kms = statements.filter((s) => [s.Action].flat().includes('kms:GenerateDataKey'));
    expect(kms.map((s) => s.Resource)).toEqual([
      properties(GROUPS[group], queue!)['KmsMasterKeyId'],
    ]);
    const [trust, ...more] = trustStatements(role);
    expect(more).toEqual([]);
    expect(trust).toMatchObject({ Principal: { Service: 'iot.amazonaws.com' } });
    expect(trust!.Condition!['StringEquals']).toEqual({ 'aws:SourceAccount': ACCOUNT });
    const sources = trust!.Condition!['ArnEquals']!['aws:SourceArn'] as string[];
    const arn = (name: string) => `arn:aws:iot:${REGION}:${ACCOUNT}:rule/${name}`;
    expect(sources.some((source) => arnMatches(source, arn(RuleName)))).toBe(true);
    const feeders = RULES.filter((other) => other.queue === queue).map(
      (other) => rule(other.group, other.rule).RuleName,
    );
    expect(sources.sort()).toEqual(feeders.map(arn).sort());
    const events = functionProperties(GROUPS[group].json, target)['Events'] as Record<
      string,
      { Type: string; Properties: { Queue: unknown } }
    >;
    const consumed = Object.values(events).filter((event) => event.Type === 'SQS');
    expect(consumed.map((event) => JSON.stringify(event.Properties.Queue))).toEqual([
      JSON.stringify({ 'Fn::GetAtt': [queue, 'Arn'] }),
    ]);
  });
});

it('requires clientid() = thethings-<stack> in every rule on The Things Stack topics (thethings/lorawan/<stack>/…), so that no other principal plays TTS', () => {
  let checked = 0;
  for (const stackName of [STACK, 'Other-Stack-2']) {
    for (const { group, rule: id } of RULES) {
      const { Sql } = rule(group, id, scenario({ StackName: stackName })).TopicRulePayload;
      if (!/FROM 'thethings\//.test(Sql)) continue;
      checked += 1;
      expect(Sql).toMatch(new RegExp(` WHERE .*\\bAND clientid\\(\\) = 'thethings-${stackName}'$`));
      expect(Sql).toContain(`FROM 'thethings/lorawan/${stackName}/#'`);
    }
  }
  expect(checked).toBe(2);
});

it('gives no two rules of a stack the same name', () => {
  const names = RULES.map(({ group, rule: id }) => rule(group, id).RuleName);
  expect(new Set(names).size).toBe(names.length);
});
