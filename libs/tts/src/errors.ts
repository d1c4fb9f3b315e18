import { CodedError } from '@tts-aws-iot/errors';

/**
 * Errors of the TTS library. Every error has a stable snake_case `code`, attributes that
 * say where the problem is, and an optional `cause`. Messages never carry key material.
 */
export class TtsError extends CodedError {
  override readonly name: string = 'TtsError';
}

/**
 * A TTS message (or a value meant for a topic or rule) is malformed. Retrying the same
 * input cannot help; the message says which field is wrong and what it should be.
 */
export class TtsMessageError extends TtsError {
  override readonly name: string = 'TtsMessageError';
}

/**
 * The TTS HTTP API answered with an error. `code` is TTS's own error name when the body
 * carries one (`end_device_euis_taken`, `no_application_rights`, `claiming_not_supported`),
 * otherwise the gRPC name of the HTTP status (`unavailable`, `not_found`). `retryable` says
 * whether the same call may succeed later (429 and 5xx other than 501). The message and
 * attributes never carry the API key or key material: TTS's text is redacted.
 */
export class TtsApiError extends TtsError {
  override readonly name = 'TtsApiError';

  constructor(
    code: string,
    message: string,
    /** HTTP status of the answer. */
    readonly status: number,
    override readonly retryable: boolean,
    /** Where TTS defined the error, e.g. `pkg/identityserver/store`. */
    readonly namespace: string | undefined,
    /** TTS's correlation id, to quote when asking the cluster's operator. */
    readonly correlationID: string | undefined,
    attributes: Readonly<Record<string, unknown>> = {},
    options?: { cause?: unknown; afterUnansweredAttempt?: boolean },
  ) {
    super(code, message, attributes, options);
    this.afterUnansweredAttempt = options?.afterUnansweredAttempt ?? false;
  }

  /**
   * Whether an earlier attempt of the same call went unanswered (a timeout, a dropped
   * connection), and so may have landed: a 409 to a retried create may then be about what
   * this very call created.
   */
  readonly afterUnansweredAttempt: boolean;
}

/**
 * A TTS HTTP API call got no answer: the connection failed (`tts_unreachable`) or the
 * per-request timeout passed (`tts_timeout`). Always retryable.
 */
export class TtsConnectionError extends TtsError {
  override readonly name = 'TtsConnectionError';
  override readonly retryable = true;
}

/**
 * A device registration that TTS refuses for a reason that retrying cannot change: the
 * device ID is taken by another device (`device_id_taken`), or a claim is refused (TTS's
 * error name as the code, e.g. `claiming_not_supported`). The message says what to do.
 */
export class TtsRegistrationError extends TtsError {
  override readonly name = 'TtsRegistrationError';
  override readonly retryable = false;
}

/**
 * A device registration that cannot proceed yet, because of work still pending elsewhere: a
 * device of the same identifiers registered for an earlier thing of the same name
 * (`device_of_earlier_thing`), whose deletion will remove it. Retryable.
 */
export class TtsRegistrationPendingError extends TtsError {
  override readonly name = 'TtsRegistrationPendingError';
  override readonly retryable = true;
}
