/**
 * The rules of the TTS message fields this project reads, apart from the schemas that apply
 * them (`./message-schemas`): which fields are message types, what an ID, an EUI or base64
 * is, the words an error uses for
 * what a field should have been, and the reading of a KeyEnvelope, which keywrap does. Nothing
 * here depends on the schema library, so `npm run bench input-parsing` holds its other parsers
 * to the same rules without bundling it.
 */
import { isJsonObject, type JsonObject } from '@tts-aws-iot/input';
import { KeyWrapError, parseKeyEnvelope, type KeyEnvelope } from '@tts-aws-iot/keywrap';
import { TtsMessageError } from './errors';

/** The `ApplicationUp` message fields this project handles, in TTS's order. */
export const APPLICATION_UP_TYPES = [
  'uplink_message',
  'join_accept',
  'downlink_ack',
  'downlink_nack',
  'downlink_sent',
  'downlink_failed',
  'downlink_queued',
  'location_solved',
  'service_data',
] as const;

export type ApplicationUpType = (typeof APPLICATION_UP_TYPES)[number];

/** `ApplicationUp` message fields known to exist that this project does not handle. */
const UNSUPPORTED_TYPES = ['uplink_normalized', 'downlink_queue_invalidated'];

const ENVELOPE_FIELDS = new Set(['end_device_ids', 'correlation_ids', 'received_at', 'simulated']);

/**
 * The one message type the message carries, if any.
 *
 * @throws TtsMessageError `multiple_message_types`, naming them
 */
export function messageTypeOf(message: JsonObject): ApplicationUpType | undefined {
  const present = APPLICATION_UP_TYPES.filter(
    (type) => message[type] !== undefined && message[type] !== null,
  );
  if (present.length > 1) {
    throw new TtsMessageError(
      'multiple_message_types',
      `Invalid TTS message: it carries ${present.join(' and ')}; an ApplicationUp carries exactly one message.`,
      { types: present },
    );
  }
  return present[0];
}

/**
 * The message field of a message that carries none of {@link APPLICATION_UP_TYPES}: a type
 * known not to be handled, or any other object beside the envelope (a newer message type).
 *
 * @throws TtsMessageError `no_message_type` when it carries no message at all
 */
export function unsupportedMessageField(message: JsonObject, deviceID: string): string {
  const field =
    UNSUPPORTED_TYPES.find((key) => message[key] !== undefined) ??
    Object.keys(message).find((key) => !ENVELOPE_FIELDS.has(key) && isJsonObject(message[key]));
  if (field !== undefined) return field;
  throw new TtsMessageError(
    'no_message_type',
    `Invalid TTS message for device ${deviceID}: it carries none of ${APPLICATION_UP_TYPES.join(', ')}.`,
    { deviceID },
  );
}

/** TTS IDs: `^[a-z0-9](?:[-]?[a-z0-9]){2,}$`, at most 36 characters. */
export const TTS_ID = /^[a-z0-9](?:-?[a-z0-9]){2,}$/;
export const MAX_ID_LENGTH = 36;
export const EUI = /^[0-9A-Fa-f]{16}$/;
export const DEV_ADDR = /^[0-9A-Fa-f]{8}$/;
export const MAX_UINT32 = 0xffff_ffff;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** The issue messages: what the field should have been, as the error says it. */
export const EXPECTED = {
  applicationUp: 'a JSON object (an ApplicationUp)',
  object: 'an object',
  array: 'an array',
  string: 'a string',
  stringArray: 'an array of strings',
  boolean: 'true or false',
  number: 'a number',
  base64: 'base64',
  eui: '16 hex digits',
  devAddr: '8 hex digits',
  deviceID: 'a TTS device ID (lowercase letters, digits, single hyphens, 3 to 36)',
  applicationID: 'a TTS application ID',
  byte: 'a whole number from 0 to 255',
  uint32: `a whole number from 0 to ${MAX_UINT32}`,
  latitude: 'degrees between -90 and 90',
  longitude: 'degrees between -180 and 180',
  keyEnvelope: 'a KeyEnvelope {encrypted_key, kek_label} or {key}',
} as const;

/** Padded standard base64 (TTS's JSON form of bytes). */
export function isBase64(text: string): boolean {
  return BASE64.test(text) && text.length % 4 === 0;
}

/**
 * A session key (`app_s_key`) at `field`, read by keywrap. Its refusal names fields and
 * lengths, never key bytes; it becomes this message's error at the field keywrap names.
 *
 * @throws TtsMessageError `invalid_field`, with keywrap's error as the cause
 */
export function readKeyEnvelope(value: unknown, field: string): KeyEnvelope {
  try {
    return parseKeyEnvelope(value);
  } catch (error) {
    if (!(error instanceof KeyWrapError)) throw error;
    const inner = error.attributes['field'];
    throw new TtsMessageError(
      'invalid_field',
      `Invalid TTS message: ${field} is not a KeyEnvelope: ${error.message}`,
      {
        field: typeof inner === 'string' && inner !== '' ? `${field}.${inner}` : field,
        expected: EXPECTED.keyEnvelope,
      },
      { cause: error },
    );
  }
}
