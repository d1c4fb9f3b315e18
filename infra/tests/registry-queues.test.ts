import { readFileSync } from 'node:fs';

import { functionProperties } from './cloudformation';
import { GROUPS, KMS_KEY_ARN, properties, referencedId } from './fixtures';
import { allows, permissionStatements } from './policy';

const registry = GROUPS.registry;
const DAY = 24 * 60 * 60;

describe.each([
  ['CreateDeviceQueue', 'CreateDeviceFunction'],
  ['ClaimQueue', 'ClaimFunction'],
])('%s', (queue, fn) => {
  const queueProperties = properties(registry, queue) as {
    FifoQueue?: boolean;
    KmsMasterKeyId: string;
    MessageRetentionPeriod: number;
    VisibilityTimeout: number;
    RedrivePolicy: { deadLetterTargetArn: string; maxReceiveCount: number };
  };
  const raw = functionProperties(registry.json, fn);
  const timeout = Number(raw['Timeout']);

  it('is a standard queue (the IoT SQS action takes no FIFO queue), encrypted with the integration key, keeping events 4 days', () => {
    expect(queueProperties.FifoQueue).toBeUndefined();
    expect(queueProperties.KmsMasterKeyId).toBe(KMS_KEY_ARN);
    expect(queueProperties.MessageRetentionPeriod).toBe(4 * DAY);
  });

  it(`retries an event for at least 24 hours, then moves it to the registry dead-letter queue; its visibility timeout is at least 6 × ${fn}'s timeout`, () => {
    expect(timeout).toBeGreaterThan(0);
    expect(queueProperties.VisibilityTimeout).toBeGreaterThanOrEqual(6 * timeout);
    const { deadLetterTargetArn, maxReceiveCount } = queueProperties.RedrivePolicy;
    expect(deadLetterTargetArn).toBe('<DeadLetterQueue.Arn>');
    expect(maxReceiveCount * queueProperties.VisibilityTimeout).toBeGreaterThanOrEqual(DAY);
    // ...and the event is still in the queue when its retries run out.
    expect(maxReceiveCount * queueProperties.VisibilityTimeout).toBeLessThan(
      queueProperties.MessageRetentionPeriod,
    );
  });

  it(`is consumed by ${fn} through an SQS event source that reports the events that failed`, () => {
    const events = Object.values(
      raw['Events'] as Record<string, { Type: string; Properties: Record<string, unknown> }>,
    );
    expect(events).toHaveLength(1);
    expect(events[0]!.Type).toBe('SQS');
    expect(referencedId(events[0]!.Properties['Queue'])).toBe(queue);
    expect(events[0]!.Properties['FunctionResponseTypes']).toEqual(['ReportBatchItemFailures']);
    // Not invoked asynchronously any more: no EventInvokeConfig to apply.
    expect(raw['EventInvokeConfig']).toBeUndefined();
    const statements = permissionStatements(properties(registry, referencedId(raw['Role'])!));
    for (const action of ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes'])
      expect({ action, allowed: allows(statements, action, `<${queue}.Arn>`) }).toEqual({
        action,
        allowed: true,
      });
    expect(allows(statements, 'kms:Decrypt', KMS_KEY_ARN)).toBe(true);
  });
});

it('states the retry budget in a comment beside the queues', () => {
  const source = readFileSync(registry.path, 'utf8');
  expect(source).toMatch(/# Retry budget: /);
  expect(source).toMatch(/100 × 15 min = 25 hours/);
});
