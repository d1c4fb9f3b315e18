import type { Logger } from '@aws-lambda-powertools/logger';
import { MetricUnit, type Metrics } from '@aws-lambda-powertools/metrics';
import type { MiddlewareObj, Request } from '@middy/core';

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

/** Whether the error says that retrying cannot help (`retryable === false` with a `code`). */
function isRejection(error: unknown): error is RejectableError {
  if (typeof error !== 'object' || error === null) return false;
  const { code, retryable } = error as { code?: unknown; retryable?: unknown };
  return retryable === false && typeof code === 'string';
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
        reason: error.message,
        ...attributesOf(error),
      });
      metrics.addMetric(REJECTED_METRIC, MetricUnit.Count, 1);
      // A defined response tells middy the error is handled; null is what Lambda returns
      // for a handler without a result.
      request.response = null;
      return;
    }
    logger.error('Failed: the event is retried', { error: error as Error });
  };
  return { onError: errorPolicyOnError };
}

function attributesOf(error: RejectableError): Record<string, unknown> {
  return error.attributes && Object.keys(error.attributes).length > 0
    ? { error_attributes: error.attributes }
    : {};
}
