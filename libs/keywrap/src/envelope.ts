import { KeyEnvelopeError } from './errors';
import { decodeBase64, decodeHex, encodeBase64, encodeHex } from './hex';

/** An AES-128 key as TTS sends it when no KEK is set: in the clear. */
export interface PlainKeyEnvelope {
  /** The key itself (16 bytes). */
  readonly key: Uint8Array;
  readonly encryptedKey?: never;
  readonly kekLabel?: never;
}

/** An AES-128 key wrapped (RFC 3394) under the KEK named by `kekLabel`. */
export interface WrappedKeyEnvelope {
  /** The wrapped key (24 bytes). */
  readonly encryptedKey: Uint8Array;
  /** The label of the KEK it is wrapped under, as configured on the TTS Join Server. */
  readonly kekLabel: string;
  readonly key?: never;
}

/** TTS's `KeyEnvelope`: a key either wrapped under a labelled KEK or in the clear. */
export type KeyEnvelope = WrappedKeyEnvelope | PlainKeyEnvelope;

/** A KeyEnvelope in TTS JSON: `encrypted_key` is base64, `key` uppercase hex. */
export type KeyEnvelopeJson =
  { readonly encrypted_key: string; readonly kek_label: string } | { readonly key: string };

/** TTS bounds `kek_label` at 2048 characters. */
const MAX_KEK_LABEL_LENGTH = 2048;
/** KeyEnvelopes carry AES-128 keys (TTS `types.AES128Key`) … */
const KEY_LENGTH = 16;
/** … so a wrapped one is 8 bytes longer (RFC 3394). */
const ENCRYPTED_KEY_LENGTH = KEY_LENGTH + 8;

/** Whether the envelope holds a wrapped key (rather than a plain one). */
export function isWrappedKeyEnvelope(envelope: KeyEnvelope): envelope is WrappedKeyEnvelope {
  return envelope.encryptedKey !== undefined;
}

/**
 * Reads a TTS KeyEnvelope from its JSON form (`{encrypted_key, kek_label}` or `{key}`), for
 * example the `app_s_key` of an uplink or join-accept. Field names may be snake_case or
 * lowerCamelCase, as TTS accepts; hex may be in either case; empty strings count as absent,
 * since TTS omits zero values.
 *
 * @throws KeyEnvelopeError naming the field when the JSON is not a KeyEnvelope of an AES-128 key
 */
export function parseKeyEnvelope(json: unknown): KeyEnvelope {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new KeyEnvelopeError(
      '',
      'expected a JSON object with encrypted_key and kek_label, or key',
    );
  }
  const fields = json as Record<string, unknown>;
  const encryptedKey = optionalString(fields, 'encrypted_key', 'encryptedKey');
  const kekLabel = optionalString(fields, 'kek_label', 'kekLabel');
  const key = optionalString(fields, 'key', 'key');

  if (encryptedKey !== undefined) {
    if (key !== undefined) {
      throw new KeyEnvelopeError('key', 'an envelope holds either key or encrypted_key, not both');
    }
    if (kekLabel === undefined) {
      throw new KeyEnvelopeError(
        'kek_label',
        'missing: encrypted_key needs the label of the KEK it is wrapped under',
      );
    }
    if (kekLabel.length > MAX_KEK_LABEL_LENGTH) {
      throw new KeyEnvelopeError('kek_label', `longer than ${MAX_KEK_LABEL_LENGTH} characters`);
    }
    const bytes = decodeBase64(encryptedKey);
    if (bytes === undefined) throw new KeyEnvelopeError('encrypted_key', 'not base64');
    if (bytes.length !== ENCRYPTED_KEY_LENGTH) {
      throw new KeyEnvelopeError(
        'encrypted_key',
        `${bytes.length} bytes, but a wrapped AES-128 key is ${ENCRYPTED_KEY_LENGTH}`,
      );
    }
    return { encryptedKey: bytes, kekLabel };
  }
  if (key === undefined) {
    throw new KeyEnvelopeError('key', 'missing: the envelope has neither key nor encrypted_key');
  }
  if (kekLabel !== undefined) {
    throw new KeyEnvelopeError(
      'kek_label',
      'set on a plain key: a labelled key must come as encrypted_key',
    );
  }
  const bytes = decodeHex(key);
  if (bytes === undefined) throw new KeyEnvelopeError('key', 'not hex');
  if (bytes.length !== KEY_LENGTH) {
    throw new KeyEnvelopeError('key', `${bytes.length} bytes, but an AES-128 key is ${KEY_LENGTH}`);
  }
  return { key: bytes };
}

/**
 * Writes a KeyEnvelope in TTS JSON: `{encrypted_key (base64), kek_label}` for a wrapped key,
 * `{key (uppercase hex)}` for a plain one.
 */
export function formatKeyEnvelope(envelope: KeyEnvelope): KeyEnvelopeJson {
  return isWrappedKeyEnvelope(envelope)
    ? { encrypted_key: encodeBase64(envelope.encryptedKey), kek_label: envelope.kekLabel }
    : { key: encodeHex(envelope.key) };
}

function optionalString(
  fields: Record<string, unknown>,
  snakeCase: string,
  camelCase: string,
): string | undefined {
  const value = fields[snakeCase] ?? fields[camelCase];
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string') {
    throw new KeyEnvelopeError(snakeCase, `expected a string, got ${typeName(value)}`);
  }
  return value;
}

function typeName(value: unknown): string {
  return Array.isArray(value) ? 'an array' : `a ${typeof value}`;
}
