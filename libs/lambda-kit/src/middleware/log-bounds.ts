/**
 * Bounds what a log line shows of payload bytes: at most {@link MAX_LOGGED_PAYLOAD_BYTES}
 * bytes (as hex or base64), then "…(N bytes)". Bytes, long hex runs and long base64 values
 * of payload fields are cut; everything else passes unchanged.
 */

/** The most payload bytes a log line shows. */
export const MAX_LOGGED_PAYLOAD_BYTES = 32;

const MAX_HEX = MAX_LOGGED_PAYLOAD_BYTES * 2;
const MAX_BASE64 = Math.ceil(MAX_LOGGED_PAYLOAD_BYTES / 3) * 4;
const LONG_HEX = new RegExp(`\\b[0-9A-Fa-f]{${MAX_HEX + 1},}\\b`, 'g');
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
/** Fields whose string value is payload (base64) in TTS messages and downlink requests. */
const PAYLOAD_FIELDS = new Set(['frm_payload', 'bytes', 'raw_payload', 'payload', 'frmPayload']);
const MAX_DEPTH = 8;

function cutHex(hex: string): string {
  return `${hex.slice(0, MAX_HEX)}…(${Math.floor(hex.length / 2)} bytes)`;
}

/** A text with every hex run longer than the bound cut short. */
export function boundText(text: string): string {
  return text.replace(LONG_HEX, cutHex);
}

/** `value` with payload bytes bounded, at any depth (objects and arrays are copied). */
export function boundPayloads(value: unknown, key?: string, depth = 0): unknown {
  if (typeof value === 'string') {
    if (
      key !== undefined &&
      PAYLOAD_FIELDS.has(key) &&
      value.length > MAX_BASE64 &&
      BASE64.test(value)
    ) {
      const bytes = Math.floor((value.replace(/=+$/, '').length * 3) / 4);
      return `${value.slice(0, MAX_BASE64)}…(${bytes} bytes)`;
    }
    return boundText(value);
  }
  if (value instanceof Uint8Array) {
    const hex = Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('hex');
    return hex.length > MAX_HEX ? cutHex(hex) : hex;
  }
  if (typeof value !== 'object' || value === null || depth >= MAX_DEPTH) return value;
  if (value instanceof Error) return value;
  if (Array.isArray(value)) return value.map((item) => boundPayloads(item, key, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [name, item] of Object.entries(value))
    out[name] = boundPayloads(item, name, depth + 1);
  return out;
}
