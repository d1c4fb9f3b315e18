/** Little-endian field access and argument checks shared by the codecs and the crypto. */
import { LorawanError } from './errors';

/** Reads a little-endian unsigned integer of `size` (1-4) bytes. */
export function readUintLE(bytes: Uint8Array, offset: number, size: number): number {
  let value = 0;
  for (let i = size - 1; i >= 0; i--) value = value * 256 + bytes[offset + i]!;
  return value;
}

/** Writes `value` as a little-endian unsigned integer of `size` (1-4) bytes. */
export function writeUintLE(bytes: Uint8Array, offset: number, value: number, size: number): void {
  for (let i = 0; i < size; i++) {
    bytes[offset + i] = value & 0xff;
    value = Math.floor(value / 256);
  }
}

/** Writes `value` (display order) reversed, as frames carry DevAddr and EUIs. */
export function writeReversed(bytes: Uint8Array, offset: number, value: Uint8Array): void {
  for (let i = 0, n = value.length; i < n; i++) bytes[offset + i] = value[n - 1 - i]!;
}

/** One empty array for all empty fields (frozen: an empty typed array can be). */
const EMPTY = Object.freeze(new Uint8Array(0)) as Uint8Array;

/**
 * A copy of `bytes[start, end)`. Decoders copy each field rather than keep views of the
 * input: the caller may reuse its buffer, and on small arrays a copy is cheaper than a view.
 */
export function copyOf(bytes: Uint8Array, start: number, end: number): Uint8Array {
  if (start === end) return EMPTY;
  const out = new Uint8Array(end - start);
  for (let i = start; i < end; i++) out[i - start] = bytes[i]!;
  return out;
}

/** Reads `size` bytes from the wire into a new array in display order. */
export function readReversed(bytes: Uint8Array, offset: number, size: number): Uint8Array {
  const value = new Uint8Array(size);
  for (let i = 0; i < size; i++) value[i] = bytes[offset + size - 1 - i]!;
  return value;
}

/** Checks that `value` is an integer in [0, max]; `name` is the spec's field name. */
export function checkUint(name: string, value: number, max: number): number {
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw new LorawanError(
      'invalid_value',
      `Invalid ${name}: ${String(value)}; an integer from 0 to ${max} is expected.`,
      {
        field: name,
      },
    );
  }
  return value;
}

/** Checks that `value` is a boolean; `name` is the spec's field name. */
export function checkBoolean(name: string, value: unknown): boolean {
  if (typeof value !== 'boolean') {
    throw new LorawanError(
      'invalid_value',
      `Invalid ${name}: ${String(value)}; true or false is expected.`,
      { field: name },
    );
  }
  return value;
}

/** Checks that `value` is a Uint8Array of at most `max` bytes. */
export function checkBytes(name: string, value: unknown, max: number): Uint8Array {
  if (!(value instanceof Uint8Array) || value.length > max) {
    const got = value instanceof Uint8Array ? `${value.length} bytes` : typeof value;
    throw new LorawanError(
      'invalid_value',
      `Invalid ${name}: at most ${max} bytes expected, got ${got}.`,
      { field: name },
    );
  }
  return value;
}

/** Two uppercase hex digits of a byte, for messages. */
export function hexByte(byte: number): string {
  return byte.toString(16).toUpperCase().padStart(2, '0');
}

/** The largest 32-bit frame counter. */
export const MAX_F_CNT = 0xffffffff;
