/** What a {@link CodedError} may carry besides its code, message and attributes. */
export interface CodedErrorOptions {
  /** The error this one reports or wraps. */
  readonly cause?: unknown;
  /**
   * Whether the same call may succeed later. Left out, the error says nothing about it (a
   * subclass may then declare a `retryable` field of its own).
   */
  readonly retryable?: boolean;
}

/**
 * The base class of every error of tts-aws-iot: a stable snake_case `code` that programs
 * branch on, a message for people (what is wrong, where, what to do), `attributes` that say
 * where the problem is (fields, lengths, labels; never key material), an optional `cause`,
 * and, where the error knows it, whether retrying can help (`retryable`).
 *
 * Each library extends it with its own base class (`LorawanError`, `TtsError`, ...) and
 * sets `name` as a field, so that a minified bundle keeps the class names in logs.
 */
export class CodedError<Code extends string = string> extends Error {
  override readonly name: string = 'CodedError';
  readonly code: Code;
  readonly attributes: Readonly<Record<string, unknown>>;
  /** Whether the same call may succeed later; undefined when the error does not say. */
  declare readonly retryable?: boolean;

  constructor(
    code: Code,
    message: string,
    attributes: Readonly<Record<string, unknown>> = {},
    options?: CodedErrorOptions,
  ) {
    super(message, options);
    this.code = code;
    this.attributes = attributes;
    if (options?.retryable !== undefined) this.retryable = options.retryable;
  }
}
