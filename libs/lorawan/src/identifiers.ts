import { LorawanError, type LorawanErrorCode } from './errors';

declare const brand: unique symbol;
type Branded<Name extends string> = Uint8Array & { readonly [brand]: Name };

/**
 * A 128-bit AES key (AppKey, NwkKey, NwkSKey, AppSKey, FNwkSIntKey, …): 16 bytes.
 * Made only by {@link parseAesKey}; treat it as immutable.
 */
export type AesKey = Branded<'AesKey'>;

/**
 * A device address, 4 bytes in display (big-endian) order, as TTS shows it. Frames
 * carry it little-endian; the codecs reverse it at the wire. Made by {@link parseDevAddr}.
 */
export type DevAddr = Branded<'DevAddr'>;

/**
 * A 64-bit EUI (DevEUI, JoinEUI/AppEUI), 8 bytes in display (big-endian) order. Frames
 * carry it little-endian; the codecs reverse it at the wire. Made by {@link parseEui64}.
 */
export type Eui64 = Branded<'Eui64'>;

/** Message direction: `up` from the end-device, `down` to it (the spec's Dir bit 0 / 1). */
export type Direction = 'up' | 'down';

/**
 * Parses an AES-128 key from 32 hex digits (either case) or 16 bytes (copied).
 * The error never repeats the input: it may be a key.
 */
export function parseAesKey(input: string | Uint8Array): AesKey {
  return parseFixed(input, 16, 'invalid_aes_key', 'AES key') as AesKey;
}

/** Parses a DevAddr from 8 hex digits or 4 bytes (copied), both in display (big-endian) order. */
export function parseDevAddr(input: string | Uint8Array): DevAddr {
  return parseFixed(input, 4, 'invalid_dev_addr', 'DevAddr') as DevAddr;
}

/** Parses a DevEUI or JoinEUI from 16 hex digits or 8 bytes (copied), both in display order. */
export function parseEui64(input: string | Uint8Array): Eui64 {
  return parseFixed(input, 8, 'invalid_eui64', 'EUI-64') as Eui64;
}

/** Uppercase hex of any bytes: a DevAddr or EUI in display order, a MIC, a payload. */
export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    .toString('hex')
    .toUpperCase();
}

/**
 * Strict hex to bytes: an even number of 0-9, A-F, a-f and nothing else (no prefix,
 * no separators), so that a typo never yields a shorter value.
 */
export function fromHex(hex: string): Uint8Array {
  if (hex.length % 2 !== 0 || !HEX.test(hex)) {
    throw new LorawanError(
      'invalid_hex',
      `Invalid hex: ${describeHex(hex)}; use pairs of 0-9 and A-F, without prefix or separators.`,
      {
        length: hex.length,
      },
    );
  }
  const bytes = new Uint8Array(hex.length / 2);
  bytes.set(Buffer.from(hex, 'hex'));
  return bytes;
}

const HEX = /^[0-9A-Fa-f]*$/;

function describeHex(hex: string): string {
  if (hex.length % 2 !== 0) return `${hex.length} characters, an odd number`;
  const at = hex.search(/[^0-9A-Fa-f]/);
  return `a character other than a hex digit at position ${at}`;
}

function parseFixed(
  input: string | Uint8Array,
  size: number,
  code: LorawanErrorCode,
  what: string,
): Uint8Array {
  if (typeof input === 'string') {
    if (input.length !== size * 2 || !HEX.test(input)) {
      const problem =
        input.length !== size * 2
          ? `${input.length} characters`
          : 'a character other than a hex digit';
      throw new LorawanError(
        code,
        `Invalid ${what}: ${size * 2} hex digits expected, got ${problem}.`,
        { length: input.length },
      );
    }
    return fromHex(input);
  }
  if (input instanceof Uint8Array && input.length === size) return new Uint8Array(input);
  const got = input instanceof Uint8Array ? `${input.length} bytes` : typeof input;
  throw new LorawanError(
    code,
    `Invalid ${what}: ${size} bytes or ${size * 2} hex digits expected, got ${got}.`,
    {
      length: input instanceof Uint8Array ? input.length : undefined,
    },
  );
}

/**
 * Checks a branded identifier inside a model handed to an encoder (models may be built
 * by hand or from JSON, so the brand alone proves nothing at run time).
 */
export function checkIdentifier<T extends Uint8Array>(
  value: T,
  size: number,
  code: LorawanErrorCode,
  field: string,
): T {
  if (!(value instanceof Uint8Array) || value.length !== size) {
    throw new LorawanError(
      code,
      `Invalid ${field}: ${size} bytes expected; make it with the matching parse function.`,
      { field },
    );
  }
  return value;
}
