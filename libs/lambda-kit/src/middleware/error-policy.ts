import type { Logger } from '@aws-lambda-powertools/logger';
import { MetricUnit, type Metrics } from '@aws-lambda-powertools/metrics';
import type { MiddlewareObj, Request } from '@middy/core';

import { boundPayloads, boundText } from './log-bounds';

/** The metric counting invocations whose input was rejected. */
const REJECTED_METRIC = 'Rejected';

/**
 * The shape of `IntegrationError` (libs/integration) that the policy relies on; checked
 * structurally because lambda-kit depends on nothing of ours.
 */
interface RejectableError {
  readonly code: string;
  readonly retryable: false;
  readonly message: string;
  readonly attributes?: Readonly<Record<string, unknown>>;
}

/**
 * Errors of our publishable libraries that only bad input raises (a malformed frame, an
 * FRMPayload past LoRaWAN's maximum, a malformed key envelope): their classes carry a `code`
 * but no `retryable`, and they are matched by name because lambda-kit depends on neither.
 */
const BAD_INPUT_ERRORS = new Set(['LorawanError', 'KeyEnvelopeError']);

/**
 * Whether the error says that retrying cannot help: `retryable === false` with a `code`, or
 * a bad-input error of libs/lorawan or libs/keywrap.
 */
function isRejection(error: unknown): error is RejectableError {
  if (typeof error !== 'object' || error === null) return false;
  const { code, retryable, name } = error as {
    code?: unknown;
    retryable?: unknown;
    name?: unknown;
  };
  if (typeof code !== 'string') return false;
  return retryable === false || (retryable === undefined && BAD_INPUT_ERRORS.has(String(name)));
}

/**
 * One error policy for every Lambda. An error that is not retryable (bad input, a
 * request AWS or TTS rejected) is logged as a warning with its code, counted as
 * `Rejected` and swallowed: the invocation succeeds, because Lambda's retries would
 * only fail the same way. Anything else is logged as an error and rethrown, so that
 * Lambda retries the event and finally hands it to the on-failure destination.
 *
 * Register it last (innermost): its `onError` then runs first, while the log keys are
 * still set and before the metrics middleware flushes.
 */
export function errorPolicy(logger: Logger, metrics: Metrics): MiddlewareObj {
  const errorPolicyOnError = (request: Request): void => {
    const { error } = request;
    if (isRejection(error)) {
      logger.warn('Rejected: not retrying', {
        error_code: error.code,
        reason: boundText(error.message),
        ...attributesOf(error),
      });
      metrics.addMetric(REJECTED_METRIC, MetricUnit.Count, 1);
      // A defined response tells middy the error is handled; null is what Lambda returns
      // for a handler without a result.
      request.response = null;
      return;
    }
    logger.error('Failed: the event is retried', { error: boundedError(error) });
  };
  return { onError: errorPolicyOnError };
}

function attributesOf(error: RejectableError): Record<string, unknown> {
  return error.attributes && Object.keys(error.attributes).length > 0
    ? { error_attributes: boundPayloads(error.attributes) }
    : {};
}

/** The error as the log shows it: its message, and its stack, with payload bytes bounded. */
function boundedError(error: unknown): unknown {
  if (!(error instanceof Error)) return boundPayloads(error);
  const shown = new Error(boundText(error.message));
  shown.name = error.name;
  if (error.stack !== undefined) shown.stack = boundText(error.stack);
  for (const field of ['code', 'retryable'] as const) {
    const value = (error as unknown as Record<string, unknown>)[field];
    if (value !== undefined) (shown as unknown as Record<string, unknown>)[field] = value;
  }
  return shown;
}
