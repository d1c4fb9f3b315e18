import { TransientError } from '@tts-aws-iot/integration';

import { CloudFormationResponseError } from './errors';

/**
 * CloudFormation custom resources: the request types, the responder that PUTs the answer
 * to the pre-signed `ResponseURL`, and `customResourceHandler`, which makes sure a stack
 * always gets an answer. A custom resource that never answers stalls its stack for up to
 * an hour, so every path here ends in a response.
 */

/**
 * Resource properties: CloudFormation passes every scalar property as a string, but a list
 * stays a list, so a resource reads them with schemas rather than trust this type.
 */
export type CustomResourceProperties = Readonly<Record<string, string>>;

interface CustomResourceEventCommon<P extends CustomResourceProperties> {
  readonly ServiceToken: string;
  readonly ResponseURL: string;
  readonly StackId: string;
  readonly RequestId: string;
  readonly LogicalResourceId: string;
  readonly ResourceType: string;
  readonly ResourceProperties: P & { readonly ServiceToken: string };
}

/** A `Create` request: the resource is new, so there is no PhysicalResourceId yet. */
export interface CustomResourceCreateEvent<
  P extends CustomResourceProperties = CustomResourceProperties,
> extends CustomResourceEventCommon<P> {
  readonly RequestType: 'Create';
}

/** An `Update` request, with the properties the resource had before. */
export interface CustomResourceUpdateEvent<
  P extends CustomResourceProperties = CustomResourceProperties,
> extends CustomResourceEventCommon<P> {
  readonly RequestType: 'Update';
  readonly PhysicalResourceId: string;
  readonly OldResourceProperties: P & { readonly ServiceToken?: string };
}

/** A `Delete` request for the resource `PhysicalResourceId` names. */
export interface CustomResourceDeleteEvent<
  P extends CustomResourceProperties = CustomResourceProperties,
> extends CustomResourceEventCommon<P> {
  readonly RequestType: 'Delete';
  readonly PhysicalResourceId: string;
}

/** A CloudFormation custom-resource request. */
export type CustomResourceEvent<P extends CustomResourceProperties = CustomResourceProperties> =
  CustomResourceCreateEvent<P> | CustomResourceUpdateEvent<P> | CustomResourceDeleteEvent<P>;

/** The answer to one request. */
export interface CustomResourceResult {
  readonly status: 'SUCCESS' | 'FAILED';
  /** Required by CloudFormation on FAILED; shown in the stack events. */
  readonly reason?: string;
  /** Stable across updates; a different one on Update means "replaced". */
  readonly physicalResourceId: string;
  /** Values for `Fn::GetAtt`. */
  readonly data?: Readonly<Record<string, string>>;
  /** Hide `data` from `describe-stack-events` and the console. */
  readonly noEcho?: boolean;
}

/** What a custom resource's logic returns when it succeeds. */
export interface CustomResourceOutcome {
  readonly physicalResourceId: string;
  readonly data?: Readonly<Record<string, string>>;
  readonly noEcho?: boolean;
}

/**
 * What a custom resource does with a request; what it throws becomes a FAILED answer
 * (see `customResourceHandler`).
 */
export type CustomResourceLogic<P extends CustomResourceProperties = CustomResourceProperties> = (
  event: CustomResourceEvent<P>,
) => Promise<CustomResourceOutcome>;

/** How `respondToCloudFormation` delivers the answer. */
export interface RespondOptions {
  /** The HTTP client (tests inject one); default the global `fetch`. */
  readonly fetch?: typeof fetch;
  /** Attempts on network errors and 5xx answers, including the first (default 4). */
  readonly attempts?: number;
  /** Delay before the first retry, doubled after each (default 250 ms). */
  readonly retryDelayMs?: number;
  /**
   * Abandon one attempt after this long and retry (default 10000 ms): a PUT that never
   * answers must not hold the function until Lambda stops it, unanswered.
   */
  readonly attemptTimeoutMs?: number;
}

/** CloudFormation's limit for the response body. */
export const MAX_RESPONSE_BYTES = 4096;

/**
 * The PhysicalResourceId answered on a failed Create starts with this. The Delete that
 * CloudFormation sends after that failure carries it back, so `customResourceHandler` can
 * answer SUCCESS without touching anything. (`#` cannot occur in a thing type name or a
 * TTS identifier, so no real resource carries it.)
 */
export const FAILED_CREATE_PREFIX = 'create-failed#';

/**
 * PUTs the response for `event` to its `ResponseURL` with an empty content-type (the
 * pre-signed S3 URL is signed without one). The body never exceeds 4096 bytes: the
 * `Reason` is shortened first, then `Data` is dropped with a note in the `Reason`.
 * Network errors and 5xx answers are retried; failing that, it throws a retryable
 * `CloudFormationResponseError`.
 */
export async function respondToCloudFormation(
  event: CustomResourceEvent,
  result: CustomResourceResult,
  options: RespondOptions = {},
): Promise<void> {
  const body = responseBody(event, result);
  const send = options.fetch ?? fetch;
  const attempts = Math.max(1, options.attempts ?? 4);
  let delay = options.retryDelayMs ?? 250;
  const attemptTimeoutMs = options.attemptTimeoutMs ?? 10_000;
  let lastProblem = '';
  for (let attempt = 1; attempt <= attempts; attempt++) {
    const signal = AbortSignal.timeout(attemptTimeoutMs);
    try {
      const response = await abortable(
        send(event.ResponseURL, {
          method: 'PUT',
          headers: { 'content-type': '' },
          body,
          signal,
        }),
        signal,
      );
      // Drain the body so the connection can be reused (or closed) promptly.
      await abortable(response.arrayBuffer(), signal).catch(() => undefined);
      if (response.ok) return;
      lastProblem = `HTTP ${response.status}`;
      if (response.status < 500) break;
    } catch (error) {
      lastProblem = signal.aborted
        ? `no answer within ${attemptTimeoutMs} ms`
        : error instanceof Error
          ? error.message
          : String(error);
    }
    if (attempt < attempts) {
      await new Promise((resolve) => setTimeout(resolve, delay));
      delay *= 2;
    }
  }
  throw new CloudFormationResponseError(
    `Could not deliver the ${result.status} response for ${event.LogicalResourceId} (${event.RequestType}) to CloudFormation: ${lastProblem}. The function's network must reach the CloudFormation response URL (S3).`,
  );
}

/**
 * `work`, or a rejection once `signal` aborts: the timeout holds even for an HTTP client
 * that ignores the signal.
 */
function abortable<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    if (signal.aborted) onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/** The JSON response, shortened to fit CloudFormation's limit. */
export function responseBody(event: CustomResourceEvent, result: CustomResourceResult): string {
  const base = {
    Status: result.status,
    PhysicalResourceId: result.physicalResourceId,
    StackId: event.StackId,
    RequestId: event.RequestId,
    LogicalResourceId: event.LogicalResourceId,
    ...(result.noEcho ? { NoEcho: true } : {}),
  };
  const reason =
    result.reason ?? (result.status === 'FAILED' ? 'Failed without a reason.' : undefined);
  const render = (reasonText: string | undefined, data: CustomResourceResult['data']): string =>
    JSON.stringify({
      ...base,
      ...(reasonText === undefined ? {} : { Reason: reasonText }),
      ...(data ? { Data: data } : {}),
    });

  const full = render(reason, result.data);
  if (byteLength(full) <= MAX_RESPONSE_BYTES) return full;

  const withData = fitReason(reason, (text) => render(text, result.data));
  if (withData !== undefined) return withData;

  const note = 'Data omitted: the response exceeded 4096 bytes.';
  const withoutData = fitReason(reason === undefined ? note : `${note} ${reason}`, (text) =>
    render(text, undefined),
  );
  if (withoutData !== undefined) return withoutData;
  // Only reachable with identifiers far beyond CloudFormation's own limits.
  throw new CloudFormationResponseError(
    `The response for ${event.LogicalResourceId} exceeds 4096 bytes even without Reason and Data; shorten the PhysicalResourceId.`,
  );
}

/**
 * The rendering with the longest prefix of `reason` (marked as truncated) that fits;
 * `undefined` when not even the marker fits, or there is no reason to shorten.
 */
function fitReason(
  reason: string | undefined,
  render: (reason: string | undefined) => string,
): string | undefined {
  const whole = render(reason);
  if (byteLength(whole) <= MAX_RESPONSE_BYTES) return whole;
  const marker = ' …(truncated)';
  if (reason === undefined || byteLength(render(marker)) > MAX_RESPONSE_BYTES) return undefined;
  const characters = Array.from(reason); // whole code points: never split a character
  let low = 0;
  let high = characters.length;
  while (low < high) {
    const middle = Math.ceil((low + high) / 2);
    if (byteLength(render(characters.slice(0, middle).join('') + marker)) <= MAX_RESPONSE_BYTES)
      low = middle;
    else high = middle - 1;
  }
  return render(characters.slice(0, low).join('') + marker);
}

function byteLength(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

/** The log the handler reports to (a Powertools `Logger` fits). */
export interface CustomResourceLog {
  info(message: string, attributes: Record<string, unknown>): void;
  error(message: string, attributes: Record<string, unknown>): void;
}

/** The parts of the Lambda context the handler uses. */
export interface CustomResourceContext {
  getRemainingTimeInMillis?(): number;
  readonly logStreamName?: string;
}

/** Options of `customResourceHandler`. */
export interface CustomResourceHandlerOptions {
  readonly log?: CustomResourceLog;
  readonly respond?: RespondOptions;
  /**
   * Milliseconds before the Lambda timeout at which unfinished logic is abandoned and
   * FAILED is answered, leaving time for the PUT (default 5000).
   */
  readonly timeoutMarginMs?: number;
}

/**
 * Turns custom-resource logic into a handler that always answers CloudFormation:
 * SUCCESS with the logic's PhysicalResourceId and data, or FAILED with the error's message
 * as `Reason` (with anything shaped like key material redacted). A failed Create answers
 * a `FAILED_CREATE_PREFIX` PhysicalResourceId, and the Delete that follows it answers
 * SUCCESS without calling the logic. Logic that outlives the function's time limit is
 * answered FAILED before Lambda stops it. Only a response that cannot be delivered makes
 * the handler throw (retryable), so that Lambda invokes it again.
 */
export function customResourceHandler<P extends CustomResourceProperties>(
  logic: CustomResourceLogic<P>,
  options: CustomResourceHandlerOptions = {},
): (event: CustomResourceEvent<P>, context?: CustomResourceContext) => Promise<void> {
  return async (event, context) => {
    const where = {
      logical_resource_id: event.LogicalResourceId,
      request_type: event.RequestType,
      resource_type: event.ResourceType,
    };
    if (
      event.RequestType === 'Delete' &&
      event.PhysicalResourceId.startsWith(FAILED_CREATE_PREFIX)
    ) {
      options.log?.info('Nothing to delete: the Create of this resource failed.', where);
      await respondToCloudFormation(
        event,
        { status: 'SUCCESS', physicalResourceId: event.PhysicalResourceId },
        options.respond,
      );
      return;
    }

    let result: CustomResourceResult;
    try {
      const outcome = await withinTimeLimit(
        logic(event),
        event,
        context,
        options.timeoutMarginMs ?? 5_000,
      );
      result = { status: 'SUCCESS', ...outcome };
      options.log?.info('Custom resource request succeeded.', {
        ...where,
        physical_resource_id: outcome.physicalResourceId,
      });
    } catch (error) {
      options.log?.error('Custom resource request failed.', { ...where, error });
      const logs = context?.logStreamName
        ? ` See CloudWatch log stream ${context.logStreamName}.`
        : '';
      result = {
        status: 'FAILED',
        reason: redactKeyMaterial(`${describe(error)}${logs}`),
        physicalResourceId:
          event.RequestType === 'Create'
            ? `${FAILED_CREATE_PREFIX}${event.RequestId}`
            : event.PhysicalResourceId,
      };
    }
    await respondToCloudFormation(event, result, options.respond);
  };
}

async function withinTimeLimit<T>(
  work: Promise<T>,
  event: CustomResourceEvent,
  context: CustomResourceContext | undefined,
  marginMs: number,
): Promise<T> {
  const remaining = context?.getRemainingTimeInMillis?.();
  if (remaining === undefined) return work;
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new TransientError(
            'custom_resource_timeout',
            `The ${event.RequestType} of ${event.LogicalResourceId} did not finish within the function's time limit. Check the function's network access to its dependencies, or raise its Timeout.`,
          ),
        ),
      Math.max(0, remaining - marginMs),
    );
  });
  try {
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return typeof code === 'string' && code
      ? `${error.message} (${code})`
      : error.message || error.name;
  }
  return `Failed: ${String(error)}`;
}

/**
 * Errors of this project never carry key material, but a Reason is public (stack events),
 * so anything shaped like a key is masked anyway: long hex strings (AES keys), TTS API
 * keys (`NNSXS.…`) and padded base64 of key length or more.
 */
function redactKeyMaterial(text: string): string {
  return text
    .replace(/NNSXS\.[A-Za-z0-9._-]+/g, '[redacted]')
    .replace(/\b[0-9A-Fa-f]{32,}\b/g, '[redacted]')
    .replace(/[A-Za-z0-9+/]{22,}={1,2}/g, '[redacted]');
}
