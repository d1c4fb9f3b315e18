import { CodedError } from '@tts-aws-iot/errors';

/**
 * Errors of `@tts-aws-iot/keywrap`. Each has a stable snake_case `code` and `attributes`
 * that say what was wrong. None ever carries key material: messages name the field, the
 * label or the length, never the bytes.
 */
export class KeyWrapError extends CodedError {
  override readonly name: string = 'KeyWrapError';
}

/** What a length is about: the key-encryption key, the key to wrap, or the wrapped key. */
export type KeyLengthSubject = 'kek' | 'key' | 'wrapped_key';

/**
 * A KEK, key or wrapped key has a length the algorithm cannot take. `code` is
 * `invalid_kek_length`, `invalid_key_length` or `invalid_wrapped_key_length`.
 */
export class KeyLengthError extends KeyWrapError {
  override readonly name = 'KeyLengthError';

  constructor(subject: KeyLengthSubject, length: number, expected: string) {
    super(
      `invalid_${subject}_length`,
      `The ${SUBJECT_NAMES[subject]} is ${length} bytes; ${expected}.`,
      { subject, length, expected },
    );
  }
}

const SUBJECT_NAMES: Readonly<Record<KeyLengthSubject, string>> = {
  kek: 'KEK',
  key: 'key to wrap',
  wrapped_key: 'wrapped key',
};

/** The algorithm whose integrity check failed. */
export type KeyWrapAlgorithm = 'RFC 3394' | 'RFC 5649';

/**
 * Unwrapping failed the integrity check (the IV, or for RFC 5649 the length and padding,
 * did not come out right): the KEK is not the one the key was wrapped with, or the wrapped
 * key was altered. `code` is `integrity_check_failed`.
 */
export class IntegrityCheckError extends KeyWrapError {
  override readonly name = 'IntegrityCheckError';

  constructor(algorithm: KeyWrapAlgorithm, kekLabel?: string) {
    const under = kekLabel === undefined ? 'the given KEK' : `KEK "${kekLabel}"`;
    super(
      'integrity_check_failed',
      `The wrapped key failed the ${algorithm} integrity check under ${under}: ` +
        'it was wrapped with another KEK, or it is corrupt.',
      kekLabel === undefined ? { algorithm } : { algorithm, kekLabel },
    );
  }
}

/**
 * A TTS KeyEnvelope (JSON) is malformed. `attributes.field` names the offending field.
 * `code` is `invalid_key_envelope`.
 */
export class KeyEnvelopeError extends KeyWrapError {
  override readonly name = 'KeyEnvelopeError';

  constructor(field: string, problem: string) {
    super(
      'invalid_key_envelope',
      `Invalid KeyEnvelope${field === '' ? '' : ` field ${field}`}: ${problem}.`,
      {
        field,
      },
    );
  }
}

/**
 * The KEK ring (the `<stack>/kek` secret) is malformed. `attributes.field` names the
 * offending field: `current`, a KEK's label, or `keys.<label>` in the nested form. `code`
 * is `invalid_kek_ring`.
 */
export class KekRingError extends KeyWrapError {
  override readonly name = 'KekRingError';

  constructor(field: string, problem: string) {
    super(
      'invalid_kek_ring',
      `Invalid KEK ring${field === '' ? '' : ` field ${field}`}: ${problem}.`,
      { field },
    );
  }
}

/** An envelope names a KEK label that the ring does not hold. `code` is `unknown_kek_label`. */
export class UnknownKekLabelError extends KeyWrapError {
  override readonly name = 'UnknownKekLabelError';

  constructor(label: string, knownLabels: readonly string[]) {
    super(
      'unknown_kek_label',
      `KEK label "${label}" is not in the KEK ring (it holds ${knownLabels.map((known) => `"${known}"`).join(', ')}): ` +
        'add the KEK with that label to the ring, keeping the old ones while sessions wrapped under them live.',
      { label, knownLabels },
    );
  }
}
