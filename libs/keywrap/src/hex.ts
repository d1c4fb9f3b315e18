// Strict codecs for the text forms of keys. Buffer.from(text, 'hex' | 'base64') silently
// skips what it cannot read, which would turn a typo in a key into a different key.

const HEX = /^(?:[0-9A-Fa-f]{2})*$/;
const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/;

/** The bytes of `text` (either case), or `undefined` when it is not an even run of hex digits. */
export function decodeHex(text: string): Uint8Array | undefined {
  return HEX.test(text) ? toUint8Array(Buffer.from(text, 'hex')) : undefined;
}

/** Uppercase hex, as TTS writes keys and EUIs. */
export function encodeHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    .toString('hex')
    .toUpperCase();
}

/**
 * The bytes of standard or URL-safe base64 (padding optional, as Go's JSON decoding of
 * `bytes` accepts), or `undefined` when `text` is not base64.
 */
export function decodeBase64(text: string): Uint8Array | undefined {
  const unpadded = text.replace(/=+$/, '');
  if (
    !BASE64.test(text) ||
    unpadded.length % 4 === 1 ||
    (text.length !== unpadded.length && text.length % 4 !== 0)
  ) {
    return undefined;
  }
  // Node's base64 decoder reads both alphabets.
  return toUint8Array(Buffer.from(unpadded, 'base64'));
}

/** Standard base64 with padding, as TTS writes `bytes` fields. */
export function encodeBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

/**
 * A plain Uint8Array copy of a Buffer: callers never come to depend on Buffer's extras, and
 * key bytes never stay views into Node's shared allocation pool.
 */
export function toUint8Array(buffer: Buffer): Uint8Array {
  return new Uint8Array(buffer);
}
