import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

import { DECRYPT_FAILURES_METRIC } from '@tts-aws-iot/integration/traffic';

import { functionProperties, resourcesOfType } from './cloudformation';
import {
  GROUPS,
  REPOSITORY,
  ROOT,
  STACK,
  evaluator,
  properties,
  scenario,
  type Group,
} from './fixtures';

const TOPIC = 'arn:aws:sns:eu-west-1:123456789012:ops-alerts';

/** The alarms of the integration: what each watches. */
const ALARMS: readonly {
  readonly group: Group;
  readonly id: string;
  readonly namespace: string;
  readonly metric: string;
  readonly dimension: readonly [string, string];
}[] = [
  ...(['setup', 'traffic', 'registry'] as const).map((group) => ({
    group,
    id: 'DeadLetterQueueAlarm',
    namespace: 'AWS/SQS',
    metric: 'ApproximateNumberOfMessagesVisible',
    dimension: ['QueueName', '<DeadLetterQueue.QueueName>'] as const,
  })),
  ...(
    [
      ['traffic', 'DecryptFailuresAlarm', DECRYPT_FAILURES_METRIC],
      ['traffic', 'RefusedSessionKeysAlarm', 'RefusedSessionKeys'],
      ['traffic', 'RefusedRepushesAlarm', 'RefusedRepushes'],
      ['setup', 'RejectedAlarm', 'Rejected'],
      ['setup', 'NewerReleaseAlarm', 'NewerReleaseAvailable'],
    ] as const
  ).map(([group, id, metric]) => ({
    group,
    id,
    namespace: 'TtsAwsIot',
    metric,
    dimension: ['service', STACK] as const,
  })),
];

interface Alarm {
  Namespace: string;
  MetricName: string;
  Dimensions: { Name: string; Value: string }[];
  Threshold: number;
  ComparisonOperator: string;
  TreatMissingData: string;
  AlarmActions?: string[];
}

it('the groups hold exactly these alarms', () => {
  const found = (Object.keys(GROUPS) as Group[]).flatMap((group) =>
    resourcesOfType(GROUPS[group].json, 'AWS::CloudWatch::Alarm').map((id) => `${group}/${id}`),
  );
  expect(found.sort()).toEqual(ALARMS.map(({ group, id }) => `${group}/${id}`).sort());
});

describe.each(ALARMS)('$group $id', ({ group, id, namespace, metric, dimension }) => {
  it(`watches ${metric} in ${namespace}, on any occurrence`, () => {
    const alarm = properties(GROUPS[group], id) as unknown as Alarm;
    expect(alarm).toMatchObject({
      Namespace: namespace,
      MetricName: metric,
      Dimensions: [{ Name: dimension[0], Value: dimension[1] }],
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      TreatMissingData: 'notBreaching',
    });
  });

  it('notifies AlarmTopicArn when given, and has no actions when it is empty (the default)', () => {
    const given = properties(
      GROUPS[group],
      id,
      scenario({ AlarmTopicArn: TOPIC }),
    ) as unknown as Alarm;
    expect(given.AlarmActions).toEqual([TOPIC]);
    const none = properties(GROUPS[group], id) as unknown as Alarm;
    expect(none).not.toHaveProperty('AlarmActions');
    expect(GROUPS[group].json.Parameters?.['AlarmTopicArn']?.Default).toBe('');
  });
});

it("watches the functions' own metrics: their Powertools namespace and service dimension", () => {
  for (const group of ['traffic', 'registry', 'setup'] as const) {
    for (const fn of resourcesOfType(GROUPS[group].json, 'AWS::Serverless::Function')) {
      const variables = (
        evaluator(GROUPS[group]).evaluate(functionProperties(GROUPS[group].json, fn)) as {
          Environment: { Variables: Record<string, string> };
        }
      ).Environment.Variables;
      expect(variables['POWERTOOLS_METRICS_NAMESPACE']).toBe('TtsAwsIot');
      expect(variables['POWERTOOLS_SERVICE_NAME']).toBe(STACK);
    }
  }
  // lambda-kit counts rejected messages under this name.
  const errorPolicy = readFileSync(
    resolve(REPOSITORY, 'libs/lambda-kit/src/middleware/error-policy.ts'),
    'utf8',
  );
  expect(errorPolicy).toContain("REJECTED_METRIC = 'Rejected'");
});

it('takes AlarmTopicArn at the root (empty by default) and passes it to every group', () => {
  expect(ROOT.json.Parameters?.['AlarmTopicArn']?.Default).toBe('');
  const pattern = new RegExp(ROOT.json.Parameters!['AlarmTopicArn']!.AllowedPattern!);
  expect(pattern.test('')).toBe(true);
  expect(pattern.test(TOPIC)).toBe(true);
  expect(pattern.test('ops-alerts')).toBe(false);
  for (const id of ['Setup', 'Traffic', 'Registry']) {
    const passed = evaluator(ROOT, scenario({ AlarmTopicArn: TOPIC })).evaluate(
      ROOT.json.Resources[id]!.Properties!['Parameters'],
    ) as Record<string, string>;
    expect({ id, topic: passed['AlarmTopicArn'] }).toEqual({ id, topic: TOPIC });
  }
});
