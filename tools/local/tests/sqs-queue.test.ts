import { LocalQueue, type LocalSqsEvent } from '../src/sqs-queue';

describe('LocalQueue (an SQS queue with a ReportBatchItemFailures event source)', () => {
  it('hands raw bodies over in SQS batches and redelivers the items the consumer reports failed', async () => {
    const batches: LocalSqsEvent[] = [];
    let failFirst = true;
    const queue = new LocalQueue({
      name: 'CreateDeviceQueue',
      retryDelaysMs: [5],
      consume: async (event) => {
        batches.push(event);
        const first = event.Records[0]!;
        if (failFirst && first.body.includes('"n":1')) {
          failFirst = false;
          return { batchItemFailures: [{ itemIdentifier: first.messageId }] };
        }
        return { batchItemFailures: [] };
      },
    });
    const id = queue.send('{"n":1}');
    queue.send('{"n":2}');
    await queue.idle();
    await queue.close();

    expect(batches[0]!.Records.map((record) => record.body)).toEqual(['{"n":1}', '{"n":2}']);
    expect(batches[0]!.Records[0]).toMatchObject({
      messageId: id,
      eventSource: 'aws:sqs',
      eventSourceARN: 'arn:aws:sqs:us-east-1:123456789012:CreateDeviceQueue',
      attributes: { ApproximateReceiveCount: '1' },
    });
    expect(batches).toHaveLength(2);
    expect(batches[1]!.Records).toHaveLength(1);
    expect(batches[1]!.Records[0]).toMatchObject({
      messageId: id,
      body: '{"n":1}',
      attributes: { ApproximateReceiveCount: '2' },
    });
  });

  it('redelivers the whole batch when the invocation fails, and dead-letters after maxReceiveCount', async () => {
    const receives: string[] = [];
    const deadLetters: [string, string, number][] = [];
    const queue = new LocalQueue({
      name: 'ClaimQueue',
      maxReceiveCount: 3,
      retryDelaysMs: [1, 2],
      consume: async (event) => {
        for (const record of event.Records)
          receives.push(record.attributes['ApproximateReceiveCount']!);
        throw new Error('function error');
      },
      onDeadLetter: (name, messageId, count) => deadLetters.push([name, messageId, count]),
    });
    const id = queue.send('{}');
    await queue.idle();
    await queue.close();
    expect(receives).toEqual(['1', '2', '3']);
    expect(deadLetters).toEqual([['ClaimQueue', id, 3]]);
  });

  it('treats an answer naming a message not in the batch as a failed batch', async () => {
    let calls = 0;
    const queue = new LocalQueue({
      name: 'q',
      maxReceiveCount: 2,
      retryDelaysMs: [1],
      consume: async () => {
        calls++;
        return { batchItemFailures: [{ itemIdentifier: 'someone-else' }] };
      },
    });
    queue.send('{}');
    await queue.idle();
    await queue.close();
    expect(calls).toBe(2);
  });
});
