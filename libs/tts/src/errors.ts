/**
 * Errors of the TTS library. Every error has a stable snake_case `code`, attributes that
 * say where the problem is, and an optional `cause`. Messages never carry key material.
 */
export class TtsError extends Error {
  override readonly name: string = 'TtsError';

  constructor(
    readonly code: string,
    message: string,
    readonly attributes: Readonly<Record<string, unknown>> = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * A TTS message (or a value meant for a topic or rule) is malformed. Retrying the same
 * input cannot help; the message says which field is wrong and what it should be.
 */
export class TtsMessageError extends TtsError {
  override readonly name: string = 'TtsMessageError';
}
