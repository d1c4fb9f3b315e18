import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';

import type { Request } from '@middy/core';
import { objectOf } from '@tts-aws-iot/input';
import * as v from 'valibot';

import type { LambdaKit } from './kit';
import { errorPolicy } from './middleware/error-policy';
import { ttsLogKeys } from './middleware/log-keys';

/** The metric counting messages whose input was rejected, as the error policy counts events. */
const REJECTED_METRIC = 'Rejected';

/** Options of `sqsBatch`. */
export interface SqsBatchOptions {
  /**
   * Once the invocation has less than this many milliseconds left, the records not yet
   * begun are reported as failures (SQS delivers them again) rather than started and cut
   * short by the function's timeout. Default 15000; only applies when the context tells
   * the remaining time.
   */
  readonly reserveMs?: number;
}

const SQS_RECORD = objectOf(
  { eventSource: v.literal('aws:sqs'), messageId: v.string(), body: v.string() },
  'an SQS record',
);
const SQS_EVENT = objectOf(
  { Records: v.pipe(v.array(SQS_RECORD), v.minLength(1)) },
  'an SQS event',
);

/** An SQS event as the Lambda event source mapping delivers it (`Records` of `aws:sqs`). */
export function isSqsEvent(event: unknown): event is SQSEvent {
  return v.is(SQS_EVENT, event);
}

/**
 * Adapts a function of one event to an SQS event source with `ReportBatchItemFailures`.
 * For an SQS event, each record's body is parsed as JSON and handed to `processEvent`, one
 * record after the other:
 *
 * - success → the record is done;
 * - an error the error policy rejects (not retryable: bad input, a request that was
 *   refused) → logged and counted as `Rejected` by the error policy itself, and the record
 *   is done, as for a direct invocation;
 * - any other error → logged by the error policy, and the record is listed in
 *   `batchItemFailures`, so that SQS
 *   delivers it again after the visibility timeout (and finally moves it to the queue's
 *   dead-letter queue);
 * - a body that is not JSON → logged with its message ID and size only, counted as
 *   `Rejected`, and done: no retry can parse it. Bodies are never logged, as they may carry
 *   root keys.
 *
 * Any other event (a direct invocation, as before the queue) goes to `processEvent`
 * unchanged, and its errors to the error policy as before.
 */
export function sqsBatch<TResult>(
  kit: Pick<LambdaKit, 'logger' | 'metrics'>,
  processEvent: (event: unknown, context: Context) => Promise<TResult>,
  options: SqsBatchOptions = {},
): (event: unknown, context: Context) => Promise<TResult | SQSBatchResponse> {
  const reserveMs = options.reserveMs ?? 15_000;
  const { logger, metrics } = kit;
  const policy = errorPolicy(logger, metrics);

  const processRecord = async (record: SQSRecord, context: Context): Promise<boolean> => {
    let body: unknown;
    try {
      body = JSON.parse(record.body);
    } catch {
      // The parser's message quotes the body: only its size is logged.
      logger.warn('Rejected: the SQS message body is not JSON; not retrying', {
        message_id: record.messageId,
        body_bytes: Buffer.byteLength(record.body, 'utf8'),
      });
      metrics.addMetric(REJECTED_METRIC, MetricUnit.Count, 1);
      return true;
    }
    const keys = {
      message_id: record.messageId,
      receive_count: Number(record.attributes?.ApproximateReceiveCount) || undefined,
      ...ttsLogKeys(body),
    };
    logger.appendKeys(keys);
    try {
      await processEvent(body, context);
      return true;
    } catch (error) {
      // The error policy decides and logs, as for a direct invocation: a handled error
      // gets a defined response (a rejection); any other is to be retried.
      const request = { error, response: undefined } as unknown as Request;
      policy.onError!(request);
      return request.response !== undefined;
    } finally {
      logger.removeKeys(Object.keys(keys));
    }
  };

  return async (event, context) => {
    if (!isSqsEvent(event)) return processEvent(event, context);
    const batchItemFailures: SQSBatchResponse['batchItemFailures'] = [];
    let deferred = 0;
    for (const record of event.Records) {
      const remaining = context?.getRemainingTimeInMillis?.();
      if (deferred > 0 || (typeof remaining === 'number' && remaining < reserveMs)) {
        deferred++;
        batchItemFailures.push({ itemIdentifier: record.messageId });
        continue;
      }
      if (!(await processRecord(record, context)))
        batchItemFailures.push({ itemIdentifier: record.messageId });
    }
    if (deferred > 0)
      logger.warn('Deferred messages: too little time left in this invocation', {
        deferred,
        records: event.Records.length,
      });
    return { batchItemFailures };
  };
}
