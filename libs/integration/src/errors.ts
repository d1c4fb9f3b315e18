import { CodedError } from '@tts-aws-iot/errors';

/**
 * Errors of the integration domain. Every error has a stable snake_case `code` and says
 * whether retrying can help (`retryable`): the Lambda error policy reports input errors
 * and rethrows transient ones so that Lambda retries them. Messages never carry key material.
 */
export class IntegrationError extends CodedError {
  override readonly name: string = 'IntegrationError';
  declare readonly retryable: boolean;

  constructor(
    code: string,
    message: string,
    retryable: boolean,
    attributes: Readonly<Record<string, unknown>> = {},
    options?: { cause?: unknown },
  ) {
    super(code, message, attributes, { ...options, retryable });
  }
}

/** The input (a TTS message, a request, an attribute set, the configuration) is wrong. */
export class InputError extends IntegrationError {
  override readonly name: string = 'InputError';

  constructor(
    code: string,
    message: string,
    attributes: Readonly<Record<string, unknown>> = {},
    options?: { cause?: unknown },
  ) {
    super(code, message, false, attributes, options);
  }
}

/**
 * A thing belongs to another stack (`owner`), or to none (`owner` undefined): this stack
 * never touches it.
 */
export class StackMismatchError extends InputError {
  override readonly name = 'StackMismatchError';

  constructor(
    readonly thingName: string,
    readonly owner: string | undefined,
    message: string,
  ) {
    super('stack_mismatch', message, { thingName, stackName: owner ?? '(none)' });
  }
}

/**
 * A downlink request (`lorawan/downlink`) is refused. The code is the snake_case error name
 * the rejection carries to the application; `grpcCode` is the gRPC status code of TTS's
 * `ErrorDetails` (3 invalid argument, 5 not found, 9 failed precondition).
 */
export class DownlinkRejectedError extends InputError {
  override readonly name = 'DownlinkRejectedError';

  constructor(
    code: string,
    message: string,
    readonly grpcCode: number,
    attributes: Readonly<Record<string, unknown>> = {},
    options?: { cause?: unknown },
  ) {
    super(code, message, attributes, options);
  }
}

/**
 * The Lambda's configuration (its environment, set from the stack parameters) is invalid.
 * Retryable, unlike bad input: a redeploy with fixed parameters fixes it, and until then the
 * events must not be dropped. Lambda retries them and hands them to the on-failure
 * destination, to be replayed once the stack is fixed.
 */
export class ConfigurationError extends IntegrationError {
  override readonly name = 'ConfigurationError';

  /** @param problems one sentence per variable: what is wrong and what it takes */
  constructor(readonly problems: readonly string[]) {
    super(
      'invalid_configuration',
      `Invalid Lambda configuration: ${problems.join('; ')}. Fix the function's environment (the stack parameters).`,
      true,
      { problems },
    );
  }
}

/** A dependency (AWS, TTS) failed in a way that a retry may fix. */
export class TransientError extends IntegrationError {
  override readonly name = 'TransientError';

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(code, message, true, {}, options);
  }
}

/**
 * Something of a thing changed between this container's read and its conditional write:
 * retryable, since reading again and judging again settles it.
 */
class ConcurrentChangeError extends IntegrationError {
  constructor(code: string, message: string, thingName: string, options?: { cause?: unknown }) {
    super(code, message, true, { thingName }, options);
  }
}

/** A shadow update carried a version that is no longer current. */
export class ShadowVersionConflictError extends ConcurrentChangeError {
  override readonly name = 'ShadowVersionConflictError';

  constructor(thingName: string, options?: { cause?: unknown }) {
    const message = `The shadow of ${thingName} changed concurrently.`;
    super('shadow_version_conflict', message, thingName, options);
  }
}

/** A thing exists with another configuration than the one asked for. */
export class ThingAlreadyExistsError extends IntegrationError {
  override readonly name = 'ThingAlreadyExistsError';

  constructor(thingName: string, options?: { cause?: unknown }) {
    super(
      'thing_already_exists',
      `Thing ${thingName} already exists with another configuration.`,
      false,
      { thingName },
      options,
    );
  }
}

/** A thing changed between read and update. */
export class ThingVersionConflictError extends ConcurrentChangeError {
  override readonly name = 'ThingVersionConflictError';

  constructor(thingName: string, options?: { cause?: unknown }) {
    super('thing_version_conflict', `Thing ${thingName} changed concurrently.`, thingName, options);
  }
}
