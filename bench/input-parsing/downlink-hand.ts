/**
 * The hand parser that `parseDownlinkRequest` (libs/integration/src/traffic/downlink-request.ts)
 * replaced with a valibot schema, kept for the comparison of `npm run bench input-parsing`: the
 * same checks in the same order, refusal codes, sentences and output, read field by field. It
 * is the reference the agreement check holds the production parser to, and the "before" of the
 * cost table. (Its one long function is cut into readers here, the checks unchanged.)
 */
// Types only from the production module (erased); errors.ts and thing-name.ts themselves, not
// the library's index, which would bundle the production schema too.
import type {
  DownlinkOperation,
  DownlinkRequest,
  DownlinkRequestOptions,
} from '../../libs/integration/src/traffic/downlink-request';
import { DownlinkRejectedError } from '../../libs/integration/src/errors';
import { THING_NAME } from '../../libs/integration/src/thing-name';

type JsonObject = Readonly<Record<string, unknown>>;

/** The largest FRMPayload the request takes (LoRaWAN's largest at the fastest data rates). */
const MAX_DOWNLINK_BYTES = 242;
/** gRPC INVALID_ARGUMENT (`GrpcCode` of the production module, which holds the schema too). */
const INVALID_ARGUMENT = 3;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

function reject(code: string, message: string, attributes: JsonObject = {}): DownlinkRejectedError {
  return new DownlinkRejectedError(code, message, INVALID_ARGUMENT, attributes);
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Validates a request from `lorawan/downlink`. Fields it does not know are ignored; bad values
 * of the fields it knows are refused.
 *
 * @throws DownlinkRejectedError with one of `invalid_request`,
 *   `missing_thing_name`, `invalid_thing_name`, `missing_payload`, `ambiguous_payload`,
 *   `invalid_bytes`, `payload_too_large`, `invalid_payload`, `payload_not_supported_with_e2e`,
 *   `invalid_f_port`, `invalid_confirmed`, `invalid_high_priority`, `invalid_operation`
 */
export function parseDownlinkRequestByHand(
  input: unknown,
  options: DownlinkRequestOptions,
): DownlinkRequest {
  const request = typeof input === 'string' ? parseJsonText(input) : input;
  if (!isObject(request)) {
    throw reject(
      'invalid_request',
      'The downlink request is not a JSON object. Publish {"thingName":…, "bytes":… or "payload":…, "fPort":…} on lorawan/downlink.',
    );
  }
  const thingName = thingNameOf(request['thingName']);
  const { bytes, payload } = payloadOf(request, thingName, options);
  const fPort = request['fPort'] ?? 1;
  if (typeof fPort !== 'number' || !Number.isInteger(fPort) || fPort < 1 || fPort > 223) {
    throw reject(
      'invalid_f_port',
      `The downlink request for ${thingName} has fPort ${JSON.stringify(fPort)}. Use a whole number from 1 to 223 (default 1).`,
      { thingName },
    );
  }
  return {
    thingName,
    bytes,
    payload,
    fPort,
    fPortSet: request['fPort'] !== undefined && request['fPort'] !== null,
    confirmed: flag(request, 'confirmed', 'invalid_confirmed', thingName),
    highPriority: flag(request, 'highPriority', 'invalid_high_priority', thingName),
    operation: operationOf(request['operation'], thingName),
  };
}

function thingNameOf(thingName: unknown): string {
  if (thingName === undefined || thingName === null || thingName === '') {
    throw reject(
      'missing_thing_name',
      'The downlink request has no thingName. Name the thing the downlink is for.',
    );
  }
  if (typeof thingName !== 'string' || !THING_NAME.test(thingName)) {
    throw reject(
      'invalid_thing_name',
      'The downlink request\'s thingName is not a thing name. Use 1 to 128 letters, digits, ":", "_" or "-".',
    );
  }
  return thingName;
}

/** Exactly one of `bytes` and `payload`. */
function payloadOf(
  request: JsonObject,
  thingName: string,
  options: DownlinkRequestOptions,
): Pick<DownlinkRequest, 'bytes' | 'payload'> {
  const hasBytes = request['bytes'] !== undefined && request['bytes'] !== null;
  const hasPayload = request['payload'] !== undefined && request['payload'] !== null;
  if (!hasBytes && !hasPayload) {
    throw reject(
      'missing_payload',
      `The downlink request for ${thingName} has neither bytes nor payload. Give the FRMPayload as base64 bytes, or payload JSON for the payload formatter.`,
      { thingName },
    );
  }
  if (hasBytes && hasPayload) {
    throw reject(
      'ambiguous_payload',
      `The downlink request for ${thingName} has both bytes and payload. Give exactly one of them.`,
      { thingName },
    );
  }
  return hasBytes
    ? { bytes: bytesOf(request['bytes'], thingName), payload: undefined }
    : { bytes: undefined, payload: payloadJsonOf(request['payload'], thingName, options) };
}

function bytesOf(text: unknown, thingName: string): Uint8Array {
  if (typeof text !== 'string' || !BASE64.test(text) || text.length % 4 !== 0) {
    throw reject(
      'invalid_bytes',
      `The downlink request for ${thingName} has bytes that are not base64. Encode the FRMPayload in standard base64 with padding (e.g. "AQI=").`,
      { thingName },
    );
  }
  const bytes = new Uint8Array(Buffer.from(text, 'base64'));
  // Node skips what it cannot read (spare bits, padding in the middle); refuse rather than
  // push other bytes than the application meant.
  if (Buffer.from(bytes).toString('base64') !== text) {
    throw reject(
      'invalid_bytes',
      `The downlink request for ${thingName} has bytes that are not canonical base64 (padding inside, or spare bits set). Encode the FRMPayload in standard base64 with padding (e.g. "AQI=").`,
      { thingName },
    );
  }
  if (bytes.length > MAX_DOWNLINK_BYTES) {
    throw reject(
      'payload_too_large',
      `The downlink request for ${thingName} has ${bytes.length} bytes; at most ${MAX_DOWNLINK_BYTES} fit a LoRaWAN downlink. Send less data.`,
      { thingName, length: bytes.length },
    );
  }
  return bytes;
}

function payloadJsonOf(
  json: unknown,
  thingName: string,
  options: DownlinkRequestOptions,
): JsonObject {
  if (!isObject(json)) {
    throw reject(
      'invalid_payload',
      `The downlink request for ${thingName} has a payload that is not a JSON object. Give an object for the payload formatter, or bytes.`,
      { thingName },
    );
  }
  if (options.e2eEnabled && !options.encodesPayload) {
    throw reject(
      'payload_not_supported_with_e2e',
      `The downlink request for ${thingName} has payload JSON, but with end-to-end encryption TTS cannot run its payload formatter. Encode the FRMPayload yourself and send it as bytes.`,
      { thingName },
    );
  }
  return json;
}

function flag(
  request: JsonObject,
  field: 'confirmed' | 'highPriority',
  code: string,
  thingName: string,
): boolean {
  const value = request[field] ?? false;
  if (typeof value !== 'boolean') {
    throw reject(
      code,
      `The downlink request for ${thingName} has ${field} ${JSON.stringify(value)}. Use true or false (default false).`,
      { thingName },
    );
  }
  return value;
}

/** `operation`: `push` (default) or `replace`. */
function operationOf(value: unknown, thingName: string): DownlinkOperation {
  if (value === undefined || value === null || value === 'push') return 'push';
  if (value === 'replace') return 'replace';
  throw reject(
    'invalid_operation',
    `The downlink request for ${thingName} has operation ${JSON.stringify(value)?.slice(0, 64)}. Use "push" (append to the downlink queue, the default) or "replace" (replace the queue).`,
    { thingName },
  );
}

function parseJsonText(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw reject(
      'invalid_request',
      'The downlink request is not JSON. Publish a JSON object on lorawan/downlink.',
    );
  }
}
