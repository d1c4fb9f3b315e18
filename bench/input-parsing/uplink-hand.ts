/**
 * The hand parser that `parseApplicationUp` (libs/tts/src/messages.ts) replaced with valibot
 * schemas, kept for the comparison of `npm run bench input-parsing`: the same fields, refusals
 * and output, read with one small function per field. It is the reference the agreement check
 * holds the production parser to, and the "before" of the cost table.
 */
import type { KeyEnvelope } from '@tts-aws-iot/keywrap';
import type {
  ApplicationDownlink,
  ApplicationJoinAccept,
  ApplicationLocation,
  ApplicationServiceData,
  ApplicationUp,
  ApplicationUplink,
  EndDeviceIds,
  ErrorDetails,
  RxMetadata,
} from '@tts-aws-iot/tts';
// errors.ts itself, not the library's index, which would bundle the production schemas too.
import { TtsMessageError } from '../../libs/tts/src/errors';
// The rules (which fields are message types, what an ID is) and the KeyEnvelope's reading by
// keywrap are the production parser's own.
import {
  DEV_ADDR,
  EUI,
  isBase64,
  MAX_ID_LENGTH,
  MAX_UINT32,
  messageTypeOf,
  readKeyEnvelope,
  TTS_ID,
  unsupportedMessageField,
} from '../../libs/tts/src/message-rules';

type JsonObject = Readonly<Record<string, unknown>>;

/**
 * Reads one TTS `ApplicationUp` (the JSON object, or its text). Fields this project does not
 * use are not checked; the ones it uses are, with an error that names the field.
 *
 * @throws TtsMessageError `invalid_message` (not a JSON object), `missing_field` or
 *   `invalid_field` (with `attributes.field`), `no_message_type` (none of TTS's message
 *   fields), `multiple_message_types`
 */
export function parseApplicationUpByHand(input: unknown): ApplicationUp {
  const message = typeof input === 'string' ? parseJsonText(input) : input;
  if (!isObject(message)) {
    throw new TtsMessageError(
      'invalid_message',
      `Invalid TTS message: expected a JSON object (an ApplicationUp), got ${describe(message)}.`,
    );
  }
  const ids = parseIds(message['end_device_ids']);
  const correlationIDs = stringArray(message, 'correlation_ids', 'correlation_ids');
  const receivedAt = optionalString(message, 'received_at', 'received_at');
  const simulated = optionalBoolean(message, 'simulated', 'simulated');
  const common = { ids, correlationIDs, receivedAt, simulated, raw: message };
  const type = messageTypeOf(message);
  if (type === undefined) {
    const field = unsupportedMessageField(message, ids.deviceID);
    return { ...common, type: 'unsupported', field };
  }
  switch (type) {
    case 'uplink_message':
      return { ...common, type, uplink: parseUplink(object(message, type, type)) };
    case 'join_accept':
      return { ...common, type, joinAccept: parseJoinAccept(object(message, type, type)) };
    case 'downlink_ack':
    case 'downlink_nack':
    case 'downlink_sent':
    case 'downlink_queued':
      return { ...common, type, downlink: parseDownlink(object(message, type, type), type) };
    case 'downlink_failed': {
      const failed = object(message, type, type);
      return {
        ...common,
        type,
        downlink: parseDownlink(object(failed, 'downlink', `${type}.downlink`), `${type}.downlink`),
        error: parseErrorDetails(object(failed, 'error', `${type}.error`), `${type}.error`, 0),
      };
    }
    case 'location_solved':
      return { ...common, type, location: parseLocation(object(message, type, type)) };
    case 'service_data':
      return { ...common, type, serviceData: parseServiceData(object(message, type, type)) };
  }
}

function parseJsonText(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new TtsMessageError(
      'invalid_message',
      'Invalid TTS message: the text is not JSON; TTS publishes with format "json".',
      {},
      { cause: error },
    );
  }
}

function parseIds(value: unknown): EndDeviceIds {
  if (value === undefined || value === null)
    throw missing('end_device_ids', 'the device the message is about');
  if (!isObject(value)) throw invalid('end_device_ids', value, 'an object');
  const deviceID = requiredString(value, 'device_id', 'end_device_ids.device_id');
  if (deviceID.length > MAX_ID_LENGTH || !TTS_ID.test(deviceID)) {
    throw invalid(
      'end_device_ids.device_id',
      deviceID,
      'a TTS device ID (lowercase letters, digits, single hyphens, 3 to 36)',
    );
  }
  const applicationIDs = value['application_ids'];
  if (applicationIDs === undefined || applicationIDs === null)
    throw missing('end_device_ids.application_ids', 'the application');
  if (!isObject(applicationIDs))
    throw invalid('end_device_ids.application_ids', applicationIDs, 'an object');
  const applicationID = requiredString(
    applicationIDs,
    'application_id',
    'end_device_ids.application_ids.application_id',
  );
  if (applicationID.length > MAX_ID_LENGTH || !TTS_ID.test(applicationID)) {
    throw invalid(
      'end_device_ids.application_ids.application_id',
      applicationID,
      'a TTS application ID',
    );
  }
  return {
    deviceID,
    applicationID,
    devEUI: hexField(value, 'dev_eui', 'end_device_ids.dev_eui', EUI, '16 hex digits'),
    joinEUI: hexField(value, 'join_eui', 'end_device_ids.join_eui', EUI, '16 hex digits'),
    devAddr: hexField(value, 'dev_addr', 'end_device_ids.dev_addr', DEV_ADDR, '8 hex digits'),
  };
}

function parseUplink(up: JsonObject): ApplicationUplink {
  const field = 'uplink_message';
  const metadata = up['rx_metadata'];
  if (metadata !== undefined && metadata !== null && !Array.isArray(metadata)) {
    throw invalid(`${field}.rx_metadata`, metadata, 'an array');
  }
  return {
    sessionKeyID: base64String(up, 'session_key_id', `${field}.session_key_id`),
    fPort: uint(up, 'f_port', `${field}.f_port`, 255),
    fCnt: uint(up, 'f_cnt', `${field}.f_cnt`, MAX_UINT32),
    frmPayload: bytes(up, 'frm_payload', `${field}.frm_payload`),
    decodedPayload: optionalObject(up, 'decoded_payload', `${field}.decoded_payload`),
    rxMetadata: ((metadata ?? []) as unknown[]).map((entry, index) =>
      parseRxMetadata(entry, `${field}.rx_metadata[${index}]`),
    ),
    appSKey: keyEnvelope(up, 'app_s_key', `${field}.app_s_key`),
    lastAFCntDown: optionalUint(up, 'last_a_f_cnt_down', `${field}.last_a_f_cnt_down`, MAX_UINT32),
    receivedAt: optionalString(up, 'received_at', `${field}.received_at`),
  };
}

function parseRxMetadata(value: unknown, field: string): RxMetadata {
  if (!isObject(value)) throw invalid(field, value, 'an object');
  const gatewayIDs = object(value, 'gateway_ids', `${field}.gateway_ids`);
  const rssi =
    optionalNumber(value, 'rssi', `${field}.rssi`) ??
    optionalNumber(value, 'channel_rssi', `${field}.channel_rssi`);
  return {
    gatewayID: requiredString(gatewayIDs, 'gateway_id', `${field}.gateway_ids.gateway_id`),
    gatewayEUI: optionalString(gatewayIDs, 'eui', `${field}.gateway_ids.eui`),
    rssi,
    snr: optionalNumber(value, 'snr', `${field}.snr`),
  };
}

function parseJoinAccept(join: JsonObject): ApplicationJoinAccept {
  return {
    sessionKeyID: base64String(join, 'session_key_id', 'join_accept.session_key_id'),
    appSKey: keyEnvelope(join, 'app_s_key', 'join_accept.app_s_key'),
    pendingSession: optionalBoolean(join, 'pending_session', 'join_accept.pending_session'),
    receivedAt: optionalString(join, 'received_at', 'join_accept.received_at'),
  };
}

function parseDownlink(down: JsonObject, field: string): ApplicationDownlink {
  return {
    sessionKeyID: base64String(down, 'session_key_id', `${field}.session_key_id`),
    fPort: uint(down, 'f_port', `${field}.f_port`, 255),
    fCnt: uint(down, 'f_cnt', `${field}.f_cnt`, MAX_UINT32),
    frmPayload: bytes(down, 'frm_payload', `${field}.frm_payload`),
    decodedPayload: optionalObject(down, 'decoded_payload', `${field}.decoded_payload`),
    confirmed: optionalBoolean(down, 'confirmed', `${field}.confirmed`),
    priority: optionalString(down, 'priority', `${field}.priority`),
    correlationIDs: stringArray(down, 'correlation_ids', `${field}.correlation_ids`),
  };
}

// TTS nests causes a few levels at most; the bound keeps a hostile message from recursing deep.
const MAX_CAUSE_DEPTH = 8;

function parseErrorDetails(details: JsonObject, field: string, depth: number): ErrorDetails {
  const cause = details['cause'];
  return {
    namespace: optionalString(details, 'namespace', `${field}.namespace`),
    name: optionalString(details, 'name', `${field}.name`),
    messageFormat: optionalString(details, 'message_format', `${field}.message_format`),
    attributes: optionalObject(details, 'attributes', `${field}.attributes`) ?? {},
    code: optionalUint(details, 'code', `${field}.code`, MAX_UINT32),
    cause:
      isObject(cause) && depth < MAX_CAUSE_DEPTH
        ? parseErrorDetails(cause, `${field}.cause`, depth + 1)
        : undefined,
  };
}

function parseLocation(solved: JsonObject): ApplicationLocation {
  const field = 'location_solved.location';
  const location = object(solved, 'location', field);
  const latitude = optionalNumber(location, 'latitude', `${field}.latitude`) ?? 0;
  const longitude = optionalNumber(location, 'longitude', `${field}.longitude`) ?? 0;
  if (latitude < -90 || latitude > 90)
    throw invalid(`${field}.latitude`, latitude, 'degrees between -90 and 90');
  if (longitude < -180 || longitude > 180)
    throw invalid(`${field}.longitude`, longitude, 'degrees between -180 and 180');
  return {
    service: optionalString(solved, 'service', 'location_solved.service'),
    location: {
      latitude,
      longitude,
      altitude: optionalNumber(location, 'altitude', `${field}.altitude`),
      accuracy: optionalNumber(location, 'accuracy', `${field}.accuracy`),
      source: optionalString(location, 'source', `${field}.source`),
    },
  };
}

function parseServiceData(data: JsonObject): ApplicationServiceData {
  return {
    service: optionalString(data, 'service', 'service_data.service'),
    data: optionalObject(data, 'data', 'service_data.data'),
  };
}

// --- field readers: each names the field it failed on -------------------------------------

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return value.length > 40 ? 'a string' : JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return `a ${typeof value}`;
}

function missing(field: string, what: string): TtsMessageError {
  return new TtsMessageError(
    'missing_field',
    `Invalid TTS message: ${field} is missing (${what}).`,
    { field },
  );
}

function invalid(field: string, value: unknown, expected: string): TtsMessageError {
  return new TtsMessageError(
    'invalid_field',
    `Invalid TTS message: ${field} is ${describe(value)}; expected ${expected}.`,
    {
      field,
      expected,
    },
  );
}

function object(parent: JsonObject, key: string, field: string): JsonObject {
  const value = parent[key];
  if (value === undefined || value === null) throw missing(field, 'an object');
  if (!isObject(value)) throw invalid(field, value, 'an object');
  return value;
}

function optionalObject(parent: JsonObject, key: string, field: string): JsonObject | undefined {
  const value = parent[key];
  if (value === undefined || value === null) return undefined;
  if (!isObject(value)) throw invalid(field, value, 'an object');
  return value;
}

function optionalString(parent: JsonObject, key: string, field: string): string | undefined {
  const value = parent[key];
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string') throw invalid(field, value, 'a string');
  return value;
}

function requiredString(parent: JsonObject, key: string, field: string): string {
  const value = optionalString(parent, key, field);
  if (value === undefined) throw missing(field, 'a string');
  return value;
}

function optionalBoolean(parent: JsonObject, key: string, field: string): boolean {
  const value = parent[key];
  if (value === undefined || value === null) return false;
  if (typeof value !== 'boolean') throw invalid(field, value, 'true or false');
  return value;
}

function optionalNumber(parent: JsonObject, key: string, field: string): number | undefined {
  const value = parent[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value)) throw invalid(field, value, 'a number');
  return value;
}

function optionalUint(
  parent: JsonObject,
  key: string,
  field: string,
  max: number,
): number | undefined {
  const value = parent[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > max) {
    throw invalid(field, value, `a whole number from 0 to ${max}`);
  }
  return value;
}

function uint(parent: JsonObject, key: string, field: string, max: number): number {
  return optionalUint(parent, key, field, max) ?? 0;
}

function stringArray(parent: JsonObject, key: string, field: string): readonly string[] {
  const value = parent[key];
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || !value.every((entry) => typeof entry === 'string')) {
    throw invalid(field, value, 'an array of strings');
  }
  return value as string[];
}

function hexField(
  parent: JsonObject,
  key: string,
  field: string,
  pattern: RegExp,
  expected: string,
): string | undefined {
  const value = optionalString(parent, key, field);
  if (value === undefined) return undefined;
  if (!pattern.test(value)) throw invalid(field, value, expected);
  return value.toUpperCase();
}

function base64String(parent: JsonObject, key: string, field: string): string | undefined {
  const value = optionalString(parent, key, field);
  if (value !== undefined && !isBase64(value)) throw invalid(field, value, 'base64');
  return value;
}

const EMPTY = new Uint8Array(0);

function bytes(parent: JsonObject, key: string, field: string): Uint8Array {
  const value = base64String(parent, key, field);
  return value === undefined ? EMPTY : new Uint8Array(Buffer.from(value, 'base64'));
}

function keyEnvelope(parent: JsonObject, key: string, field: string): KeyEnvelope | undefined {
  const value = parent[key];
  return value === undefined || value === null ? undefined : readKeyEnvelope(value, field);
}
