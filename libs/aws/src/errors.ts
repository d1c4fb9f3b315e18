import { IntegrationError, TransientError } from '@tts-aws-iot/integration';

/**
 * Errors of the AWS adapters. Every SDK failure leaves an adapter as an
 * `IntegrationError` (the domain's contract): retryable (`TransientError`) when AWS was
 * throttling, failing or unreachable, non-retryable when AWS rejected the request itself.
 * The SDK error stays available as `cause`.
 */

/** Where a failed AWS call came from, for the error message and attributes. */
export interface AwsCallSite {
  /** e.g. `IoT`, `IoT Data`, `Secrets Manager` */
  readonly service: string;
  /** The API action, e.g. `UpdateThingShadow`. */
  readonly action: string;
  /** What the call was about, e.g. `thing 0004A30B001C0530`. */
  readonly resource?: string;
}

/** AWS rejected a request: retrying the same request cannot succeed. */
export class AwsRequestError extends IntegrationError {
  override readonly name = 'AwsRequestError';

  constructor(
    code: string,
    message: string,
    attributes: Readonly<Record<string, unknown>>,
    options?: { cause?: unknown },
  ) {
    super(code, message, false, attributes, options);
  }
}

/**
 * The deployment does not let a call succeed: the function's role lacks the permission, or a
 * secret the stack names is missing or not a string. Retryable, like an invalid
 * configuration (`ConfigurationError`): a fix of the stack makes the same event succeed, so
 * until then events are retried and kept by the on-failure destination, not dropped.
 */
export class AwsDeploymentError extends IntegrationError {
  override readonly name = 'AwsDeploymentError';

  constructor(
    code: string,
    message: string,
    attributes: Readonly<Record<string, unknown>>,
    options?: { cause?: unknown },
  ) {
    super(code, message, true, attributes, options);
  }
}

/** The response to a CloudFormation custom-resource request could not be delivered. */
export class CloudFormationResponseError extends TransientError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('cloudformation_response_failed', message, options);
  }
}

const THROTTLING = new Set([
  'ThrottlingException',
  'Throttling',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'LimitExceededException',
]);
const ACCESS_DENIED = new Set([
  'AccessDeniedException',
  'ForbiddenException',
  'UnauthorizedException',
  'UnrecognizedClientException',
  'InvalidSignatureException',
  'ExpiredTokenException',
]);
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
]);
const NETWORK_NAMES = new Set(['TimeoutError', 'RequestTimeout', 'AbortError']);

interface SdkErrorShape {
  readonly name?: unknown;
  readonly code?: unknown;
  readonly $fault?: unknown;
  readonly $metadata?: { readonly httpStatusCode?: unknown };
}

/** The error's SDK class name (`ResourceNotFoundException`), or `undefined`. */
export function awsErrorName(error: unknown): string | undefined {
  const name = (error as SdkErrorShape | undefined)?.name;
  return typeof name === 'string' ? name : undefined;
}

/** The HTTP status AWS answered with, when the error came from a response. */
export function awsHttpStatus(error: unknown): number | undefined {
  const status = (error as SdkErrorShape | undefined)?.$metadata?.httpStatusCode;
  return typeof status === 'number' ? status : undefined;
}

/**
 * Whether the error is AWS saying "not found" (404 or `ResourceNotFoundException`),
 * falling back to the HTTP status when the SDK did not model the error class.
 */
export function isNotFound(error: unknown): boolean {
  const name = awsErrorName(error);
  return (
    name === 'ResourceNotFoundException' ||
    name === 'NotFoundException' ||
    awsHttpStatus(error) === 404
  );
}

/**
 * Maps an SDK failure to the domain's errors. Throttling (429, and the control plane's
 * HTTP 400 `ThrottlingException`), 5xx and network failures become `TransientError`
 * (retryable); a denied call an `AwsDeploymentError` `aws_access_denied` (retryable: the
 * stack's role needs fixing, and the events must wait for that); other rejections become a
 * non-retryable `AwsRequestError` whose code says what was wrong (`aws_invalid_request`,
 * `aws_payload_too_large`, `aws_not_found`, `aws_request_rejected`). The SDK error is kept as `cause`. An error that
 * is already an `IntegrationError` passes through unchanged.
 */
export function fromAwsError(error: unknown, site: AwsCallSite): IntegrationError {
  if (error instanceof IntegrationError) return error;
  const name = awsErrorName(error);
  const status = awsHttpStatus(error);
  const facts: FailureFacts = {
    name,
    status,
    where: `${site.service} ${site.action}${site.resource ? ` for ${site.resource}` : ''}`,
    what: [name, status === undefined ? undefined : `HTTP ${status}`].filter(Boolean).join(', '),
    detail: messageOf(error),
    attributes: { service: site.service, action: site.action, awsError: name, httpStatus: status },
  };
  return transientFailure(error, facts) ?? rejection(error, facts);
}

/** What the mapping of one SDK failure reads, worked out once. */
interface FailureFacts {
  readonly name: string | undefined;
  readonly status: number | undefined;
  /** `IoT DescribeThing for thing-1`. */
  readonly where: string;
  /** `ThrottlingException, HTTP 400`. */
  readonly what: string;
  /** The first line of the SDK's message. */
  readonly detail: string;
  readonly attributes: Readonly<Record<string, unknown>>;
}

/** Throttling, AWS-side faults and failures before AWS answered: worth retrying. */
function transientFailure(error: unknown, facts: FailureFacts): TransientError | undefined {
  const { name, status, where, what, detail } = facts;
  if ((name !== undefined && THROTTLING.has(name)) || status === 429) {
    return new TransientError(
      'aws_throttled',
      `${where} was throttled by AWS (${what}). Retrying later usually succeeds; if this persists, raise the account's service quota.`,
      { cause: error },
    );
  }
  if (
    (status !== undefined && status >= 500) ||
    (error as SdkErrorShape | undefined)?.$fault === 'server'
  ) {
    return new TransientError(
      'aws_unavailable',
      `${where} failed on the AWS side (${what}): ${detail}. Retrying later may succeed.`,
      { cause: error },
    );
  }
  if (status !== undefined) return undefined;
  const code = (error as SdkErrorShape | undefined)?.code;
  const network =
    (typeof code === 'string' && NETWORK_CODES.has(code)) ||
    (name !== undefined && NETWORK_NAMES.has(name));
  const reason = network ? 'could not reach AWS' : 'failed before AWS answered';
  return new TransientError(
    'aws_unavailable',
    `${where} ${reason} (${[name, typeof code === 'string' ? code : undefined].filter(Boolean).join(', ') || 'no response'}): ${detail}. Check the function's network access to the endpoint; retrying may succeed.`,
    { cause: error },
  );
}

/** AWS answered and refused: the code says what to fix; retrying the same call cannot help. */
function rejection(error: unknown, facts: FailureFacts): IntegrationError {
  const { name, status, where, what, detail, attributes } = facts;
  const options = { cause: error };
  if (name === 'RequestEntityTooLargeException' || status === 413) {
    return new AwsRequestError(
      'aws_payload_too_large',
      `${where} was rejected: the payload is too large (${what}). Shrink the document or message.`,
      attributes,
      options,
    );
  }
  if ((name !== undefined && ACCESS_DENIED.has(name)) || status === 401 || status === 403) {
    return new AwsDeploymentError(
      'aws_access_denied',
      `${where} was denied (${what}): ${detail}. Grant the function's role this action on the resource.`,
      attributes,
      options,
    );
  }
  if (isNotFound(error)) {
    const message = `${where} found nothing (${what}): ${detail}.`;
    return new AwsRequestError('aws_not_found', message, attributes, options);
  }
  if ((name !== undefined && INVALID_REQUEST.has(name)) || status === 400) {
    return new AwsRequestError(
      'aws_invalid_request',
      `${where} was rejected as invalid (${what}): ${detail}. Fix the request's values.`,
      attributes,
      options,
    );
  }
  const message = `${where} was rejected (${what}): ${detail}.`;
  return new AwsRequestError('aws_request_rejected', message, attributes, options);
}

const INVALID_REQUEST = new Set([
  'InvalidRequestException',
  'InvalidParameterException',
  'ValidationException',
]);

function messageOf(error: unknown): string {
  // SDK messages can run long (HTML error pages from proxies, deserialization hints over
  // several lines): the first line says what happened, and the cause keeps all of it.
  const message = (error instanceof Error ? error.message : String(error))
    .split('\n')[0]!
    .trim()
    .replace(/\.+$/, '');
  return message.length > 300 ? `${message.slice(0, 300)}…` : message || 'no message';
}
