import type { Context, SQSEvent } from 'aws-lambda';

import { createLambdaKit, isSqsEvent, lambdaHandler, sqsBatch } from '../src';

process.env['POWERTOOLS_DEV'] = 'true';
process.env['POWERTOOLS_METRICS_DISABLED'] = 'false';
process.env['POWERTOOLS_TRACE_ENABLED'] = 'false';

function lambdaContext(remainingMs = 60_000): Context {
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: 'stack-CreateThing-abc',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:stack-CreateThing-abc',
    memoryLimitInMB: '256',
    awsRequestId: 'req-1',
    logGroupName: '/aws/lambda/stack-CreateThing-abc',
    logStreamName: 'stream',
    getRemainingTimeInMillis: () => remainingMs,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

function captureOutput(): { text: () => string; lines: () => Record<string, unknown>[] } {
  const written: string[] = [];
  for (const method of ['log', 'info', 'warn', 'error', 'debug'] as const)
    jest.spyOn(console, method).mockImplementation((...args: unknown[]) => {
      written.push(args.map(String).join(' '));
    });
  return {
    text: () => written.join('\n'),
    lines: () => written.map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}

afterEach(() => jest.restoreAllMocks());

function sqsEvent(...bodies: string[]): SQSEvent {
  return {
    Records: bodies.map((body, i) => ({
      messageId: `m-${i + 1}`,
      receiptHandle: `r-${i + 1}`,
      body,
      attributes: {
        ApproximateReceiveCount: '1',
        SentTimestamp: '1700000000000',
        SenderId: 'AIDA',
        ApproximateFirstReceiveTimestamp: '1700000000000',
      },
      messageAttributes: {},
      md5OfBody: '',
      eventSource: 'aws:sqs',
      eventSourceARN: 'arn:aws:sqs:us-east-1:123456789012:q',
      awsRegion: 'us-east-1',
    })),
  };
}

class Refused extends Error {
  readonly code = 'device_id_taken';
  readonly retryable = false;
}
class Unreachable extends Error {
  readonly code = 'tts_unreachable';
  readonly retryable = true;
}

const ROOT_KEY = '2B7E151628AED2A6ABF7158809CF4F3C';

describe('sqsBatch', () => {
  it('reports only the records that failed retryably; refused and unparseable ones are acknowledged, bodies never logged', async () => {
    const output = captureOutput();
    const kit = createLambdaKit({ functionName: 'CreateThing' });
    const seen: unknown[] = [];
    const handler = lambdaHandler(
      kit,
      sqsBatch(kit, async (event: unknown) => {
        seen.push(event);
        const { outcome } = event as { outcome: string };
        if (outcome === 'refused') throw new Refused('refused');
        if (outcome === 'down') throw new Unreachable('TTS is down');
        return 'ok';
      }),
    );
    const result = await handler(
      sqsEvent(
        JSON.stringify({ outcome: 'ok', thingName: 't1', attributes: { appKey: ROOT_KEY } }),
        JSON.stringify({ outcome: 'down', thingName: 't2', attributes: { appKey: ROOT_KEY } }),
        JSON.stringify({ outcome: 'refused', thingName: 't3' }),
        `{"attributes":{"appKey":"${ROOT_KEY}"`,
        JSON.stringify({ outcome: 'down', thingName: 't5' }),
      ),
      lambdaContext(),
    );
    expect(result).toEqual({
      batchItemFailures: [{ itemIdentifier: 'm-2' }, { itemIdentifier: 'm-5' }],
    });
    expect(seen).toHaveLength(4);
    expect(output.text()).not.toContain(ROOT_KEY);
    const notJson = output.lines().find((line) => String(line['message']).includes('not JSON'));
    expect(notJson).toMatchObject({ message_id: 'm-4', body_bytes: expect.any(Number) });
    const failed = output.lines().find((line) => String(line['message']).startsWith('Failed'));
    expect(failed).toMatchObject({ message_id: 'm-2', thing_name: 't2' });
  });

  it('still takes a direct (non-SQS) event, with the error policy as before', async () => {
    captureOutput();
    const kit = createLambdaKit({ functionName: 'CreateThing' });
    const handler = lambdaHandler(
      kit,
      sqsBatch(kit, async (event: unknown) => {
        if ((event as { outcome?: string }).outcome === 'down') throw new Unreachable('down');
        return { handled: event };
      }),
    );
    await expect(handler({ thingName: 't' }, lambdaContext())).resolves.toEqual({
      handled: { thingName: 't' },
    });
    await expect(handler({ outcome: 'down' }, lambdaContext())).rejects.toThrow('down');
    expect(isSqsEvent({ Records: [] })).toBe(false);
    expect(isSqsEvent({ Records: [{ eventSource: 'aws:sns', messageId: 'x', body: '' }] })).toBe(
      false,
    );
  });

  it('defers the records it has no time left for', async () => {
    captureOutput();
    const kit = createLambdaKit({ functionName: 'CreateThing' });
    const processed: unknown[] = [];
    const batch = sqsBatch(
      kit,
      async (event: unknown) => {
        processed.push(event);
      },
      { reserveMs: 15_000 },
    );
    await expect(batch(sqsEvent('{"n":1}', '{"n":2}'), lambdaContext(10_000))).resolves.toEqual({
      batchItemFailures: [{ itemIdentifier: 'm-1' }, { itemIdentifier: 'm-2' }],
    });
    expect(processed).toEqual([]);
  });
});
