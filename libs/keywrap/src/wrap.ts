import { createCipheriv, createDecipheriv } from 'node:crypto';
import { IntegrityCheckError, KeyLengthError, type KeyWrapAlgorithm } from './errors';
import { toUint8Array } from './hex';

// OpenSSL implements both algorithms (`id-aes<N>-wrap`, `id-aes<N>-wrap-pad`); this module
// only validates lengths, passes the RFCs' initial values and maps failures to our errors.

/** RFC 3394 2.2.3.1: the default initial value. */
const RFC3394_IV = Buffer.from('A6A6A6A6A6A6A6A6', 'hex');
/** RFC 5649 3: the 32-bit constant of the alternative initial value (the MLI follows). */
const RFC5649_AIV_PREFIX = Buffer.from('A65959A6', 'hex');
/** RFC 5649 3: the plaintext length travels as a 32-bit integer (the MLI). */
const RFC5649_MAX_KEY_LENGTH = 0xffffffff;

/**
 * Wraps `key` under `kek` with the AES key wrap of RFC 3394 (section 2.2.1) and the
 * default IV A6A6A6A6A6A6A6A6: the wrapped key is 8 bytes longer than the key. This is how
 * The Things Stack's Join Server wraps session keys with an application's KEK.
 *
 * @param kek the key-encryption key: 16, 24 or 32 bytes (AES-128, -192, -256)
 * @param key the key to wrap: a multiple of 8 bytes, at least 16
 * @throws KeyLengthError when a length is not one of those
 */
export function wrapKey(kek: Uint8Array, key: Uint8Array): Uint8Array {
  checkKek(kek);
  if (key.length < 16 || key.length % 8 !== 0) {
    throw new KeyLengthError(
      'key',
      key.length,
      'RFC 3394 wraps a multiple of 8 bytes, at least 16 (wrap other lengths with RFC 5649 padding)',
    );
  }
  return transform(createCipheriv(cipherName(kek, 'wrap'), kek, RFC3394_IV), key);
}

/**
 * Unwraps a key wrapped with {@link wrapKey} (RFC 3394 section 2.2.2) and checks its
 * integrity (section 2.2.3).
 *
 * @param kek the key-encryption key: 16, 24 or 32 bytes
 * @param wrapped the wrapped key: a multiple of 8 bytes, at least 24
 * @throws KeyLengthError when a length is wrong
 * @throws IntegrityCheckError when `kek` is not the KEK the key was wrapped with, or
 *   `wrapped` was altered
 */
export function unwrapKey(kek: Uint8Array, wrapped: Uint8Array): Uint8Array {
  checkKek(kek);
  if (wrapped.length < 24 || wrapped.length % 8 !== 0) {
    throw new KeyLengthError(
      'wrapped_key',
      wrapped.length,
      'an RFC 3394 wrapped key is a multiple of 8 bytes, at least 24',
    );
  }
  return unwrap(createDecipheriv(cipherName(kek, 'wrap'), kek, RFC3394_IV), wrapped, 'RFC 3394');
}

/**
 * Wraps a key of any length from 1 byte under `kek` with the AES key wrap with padding of
 * RFC 5649 (section 4.1): the alternative IV is A65959A6 followed by the key's length, and
 * the key is zero-padded to a multiple of 8 bytes.
 *
 * @param kek the key-encryption key: 16, 24 or 32 bytes
 * @param key the key to wrap: at least 1 byte
 * @throws KeyLengthError when a length is wrong
 */
export function wrapKeyWithPadding(kek: Uint8Array, key: Uint8Array): Uint8Array {
  checkKek(kek);
  if (key.length < 1 || key.length > RFC5649_MAX_KEY_LENGTH) {
    throw new KeyLengthError('key', key.length, 'RFC 5649 wraps from 1 byte to 4 GiB');
  }
  return transform(createCipheriv(cipherName(kek, 'wrap-pad'), kek, RFC5649_AIV_PREFIX), key);
}

/**
 * Unwraps a key wrapped with {@link wrapKeyWithPadding} (RFC 5649 section 4.2) and checks
 * the alternative IV, the length and the padding (section 3).
 *
 * @param kek the key-encryption key: 16, 24 or 32 bytes
 * @param wrapped the wrapped key: a multiple of 8 bytes, at least 16
 * @throws KeyLengthError when a length is wrong
 * @throws IntegrityCheckError when `kek` is not the KEK the key was wrapped with, or
 *   `wrapped` was altered
 */
export function unwrapKeyWithPadding(kek: Uint8Array, wrapped: Uint8Array): Uint8Array {
  checkKek(kek);
  if (wrapped.length < 16 || wrapped.length % 8 !== 0) {
    throw new KeyLengthError(
      'wrapped_key',
      wrapped.length,
      'an RFC 5649 wrapped key is a multiple of 8 bytes, at least 16',
    );
  }
  return unwrap(
    createDecipheriv(cipherName(kek, 'wrap-pad'), kek, RFC5649_AIV_PREFIX),
    wrapped,
    'RFC 5649',
  );
}

function checkKek(kek: Uint8Array): void {
  if (kek.length !== 16 && kek.length !== 24 && kek.length !== 32) {
    throw new KeyLengthError(
      'kek',
      kek.length,
      'AES key wrap takes a 16, 24 or 32-byte KEK (AES-128, -192 or -256)',
    );
  }
}

function cipherName(kek: Uint8Array, mode: 'wrap' | 'wrap-pad'): string {
  return `id-aes${kek.length * 8}-${mode}`;
}

// OpenSSL's wrap ciphers take the whole input in a single update.
function transform(
  cipher: { update(data: Uint8Array): Buffer; final(): Buffer },
  input: Uint8Array,
): Uint8Array {
  return toUint8Array(Buffer.concat([cipher.update(input), cipher.final()]));
}

function unwrap(
  decipher: { update(data: Uint8Array): Buffer; final(): Buffer },
  wrapped: Uint8Array,
  algorithm: KeyWrapAlgorithm,
): Uint8Array {
  try {
    return transform(decipher, wrapped);
  } catch {
    // With the lengths checked, OpenSSL fails only on the integrity check. Its error says
    // nothing useful, so it is not kept as the cause.
    throw new IntegrityCheckError(algorithm);
  }
}
