import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy, { type MiddyfiedHandler } from '@middy/core';
import type { Context } from 'aws-lambda';

import type { LambdaKit } from './kit';
import { errorPolicy } from './middleware/error-policy';
import { logKeys, ttsLogKeys, type LogKeysFromEvent } from './middleware/log-keys';

/** Options of `lambdaHandler`. */
export interface LambdaHandlerOptions<TEvent> {
  /** Log keys for each invocation; default `ttsLogKeys` (correlation ids, `dev_eui`, thing name). */
  readonly logKeys?: LogKeysFromEvent<TEvent>;
}

/**
 * Wraps a function's logic in the stack every Lambda uses. Middleware order (middy runs
 * `before` top-down and `after`/`onError` bottom-up):
 *
 * 1. `injectLambdaContext` — Lambda context on every log line; resets appended keys at the end.
 *    Never logs the event, whatever POWERTOOLS_LOGGER_LOG_EVENT says: registry events carry
 *    root keys (appKey, nwkKey) in the thing's attributes.
 * 2. `captureLambdaHandler` — the handler's X-Ray subsegment (only with a tracer).
 * 3. `logMetrics` — flushes metrics (with `ColdStart`) after success and failure alike.
 * 4. `logKeys` — TTS correlation ids and device identifiers as log keys.
 * 5. `errorPolicy` — innermost, so it logs with those keys and counts `Rejected` before
 *    the metrics flush: swallows non-retryable errors, rethrows the rest.
 */
export function lambdaHandler<TEvent, TResult>(
  kit: LambdaKit,
  fn: (event: TEvent, context: Context) => Promise<TResult>,
  options: LambdaHandlerOptions<TEvent> = {},
): MiddyfiedHandler<TEvent, TResult | null, Error, Context> {
  return middy<TEvent, TResult | null, Error, Context>(fn)
    .use(injectLambdaContext(kit.logger, { resetKeys: true, logEvent: false }))
    .use(kit.tracer ? [captureLambdaHandler(kit.tracer)] : [])
    .use(logMetrics(kit.metrics, { captureColdStartMetric: true }))
    .use(logKeys(kit.logger, options.logKeys ?? ttsLogKeys))
    .use(errorPolicy(kit.logger, kit.metrics));
}
