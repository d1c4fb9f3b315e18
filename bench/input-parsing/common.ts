/**
 * What the candidate schemas of `npm run bench input-parsing` share: the rules the parsers
 * apply (the uplink's are those of libs/tts/src/message-schemas.ts; the downlink request's
 * those of libs/integration/src/traffic/downlink-request.ts), the "expected …" texts the
 * schemas carry as their issue messages, and the step from a library's first issue (a path and
 * our message) to the coded error the production parser throws. Everything here is
 * library-neutral, so that the alternatives are compared on their schemas alone.
 */
import { isJsonObject, type JsonObject } from '@tts-aws-iot/input';
import type { KeyEnvelope } from '@tts-aws-iot/keywrap';
import { KeyWrapError, parseKeyEnvelope } from '@tts-aws-iot/keywrap';
import { type parseDownlinkRequest } from '@tts-aws-iot/integration/traffic';
// The errors.ts files themselves, not the libraries' indexes, which would bundle the
// production uplink schemas (valibot) into the zod mini entries of the bundles table too.
import { DownlinkRejectedError } from '../../libs/integration/src/errors';
import { TtsMessageError } from '../../libs/tts/src/errors';
import {
  APPLICATION_UP_TYPES,
  EXPECTED as TTS_EXPECTED,
  isBase64,
  type ApplicationUpType,
} from '../../libs/tts/src/message-rules';

export { DEV_ADDR, EUI, MAX_ID_LENGTH, MAX_UINT32, TTS_ID } from '../../libs/tts/src/message-rules';
export { isBase64, isJsonObject, type JsonObject };

/** AWS IoT thing names. */
export const THING_NAME = /^[a-zA-Z0-9:_-]{1,128}$/;
export const MAX_DOWNLINK_BYTES = 242;

/** The issue messages of the uplink schemas: what the field should have been (the production parser's). */
export const EXPECTED = {
  ...TTS_EXPECTED,
  /** Not an expectation: the message of the schema entries for the other message types. */
  multipleTypes: 'multiple_message_types',
} as const;

/** The `ApplicationUp` message fields other than `uplink_message` that the production parser knows. */
export const OTHER_MESSAGE_TYPES = APPLICATION_UP_TYPES.filter(
  (type): type is Exclude<ApplicationUpType, 'uplink_message'> => type !== 'uplink_message',
);

/** Node skips what it cannot read; the downlink request refuses such text. */
export function isCanonicalBase64(text: string): boolean {
  return Buffer.from(text, 'base64').toString('base64') === text;
}

const EMPTY = new Uint8Array(0);

export function base64Bytes(text: string | undefined): Uint8Array {
  return text === undefined ? EMPTY : new Uint8Array(Buffer.from(text, 'base64'));
}

/** `''` counts as absent, as TTS omits empty strings. */
export function presentString(text: string | null | undefined): string | undefined {
  return text === null || text === '' ? undefined : text;
}

/** The envelope, or the inner field and sentence that keywrap refused it with. */
export type KeyEnvelopeReading =
  { readonly envelope: KeyEnvelope } | { readonly field: string; readonly message: string };

export function readKeyEnvelope(value: unknown): KeyEnvelopeReading {
  try {
    return { envelope: parseKeyEnvelope(value) };
  } catch (error) {
    if (!(error instanceof KeyWrapError)) throw error;
    const field = error.attributes['field'];
    const message = `a KeyEnvelope {encrypted_key, kek_label} or {key} (${error.message})`;
    return { field: typeof field === 'string' ? field : '', message };
  }
}

/** A library's issue, reduced to what both libraries give: the path and our message. */
export interface Issue {
  readonly path: readonly unknown[];
  readonly message: string;
}

/** `uplink_message.rx_metadata[1].snr`, as the hand parser names fields. */
export function fieldPath(path: readonly unknown[]): string {
  return path
    .map((key, i) => (typeof key === 'number' ? `[${key}]` : `${i === 0 ? '' : '.'}${String(key)}`))
    .join('');
}

function valueAt(root: unknown, path: readonly unknown[]): unknown {
  let value = root;
  for (const key of path) {
    if (Array.isArray(value) && typeof key === 'number') value = value[key];
    else value = isJsonObject(value) && typeof key === 'string' ? value[key] : undefined;
  }
  return value;
}

/** The hand parser's error for the first issue: the same code and `attributes.field`. */
export function ttsMessageError(input: unknown, issue: Issue): TtsMessageError {
  const field = fieldPath(issue.path);
  if (field === '') {
    return new TtsMessageError(
      'invalid_message',
      `Invalid TTS message: expected ${issue.message}.`,
    );
  }
  if (issue.message === EXPECTED.multipleTypes) {
    return new TtsMessageError(
      'multiple_message_types',
      `Invalid TTS message: it carries uplink_message and ${field}; an ApplicationUp carries exactly one message.`,
      { types: ['uplink_message', field] },
    );
  }
  const value = valueAt(input, issue.path);
  if (value === undefined || value === null || value === '') {
    return new TtsMessageError('missing_field', `Invalid TTS message: ${field} is missing.`, {
      field,
    });
  }
  const shown =
    typeof value === 'object'
      ? Array.isArray(value)
        ? 'an array'
        : 'an object'
      : JSON.stringify(value).slice(0, 40);
  return new TtsMessageError(
    'invalid_field',
    `Invalid TTS message: ${field} is ${shown}; expected ${issue.message}.`,
    { field, expected: issue.message },
  );
}

/** The configuration `parseDownlinkRequest` reads a request under. */
export type DownlinkOptions = Parameters<typeof parseDownlinkRequest>[1];

/** What each refusal of a downlink request tells the application to do. */
const DOWNLINK_ADVICE: Readonly<Record<string, string>> = {
  invalid_request:
    'Publish {"thingName":…, "bytes":… or "payload":…, "fPort":…} on lorawan/downlink.',
  missing_thing_name: 'Name the thing the downlink is for.',
  invalid_thing_name: 'Use 1 to 128 letters, digits, ":", "_" or "-".',
  missing_payload:
    'Give the FRMPayload as base64 bytes, or payload JSON for the payload formatter.',
  ambiguous_payload: 'Give exactly one of bytes and payload.',
  invalid_bytes: 'Encode the FRMPayload in standard base64 with padding (e.g. "AQI=").',
  payload_too_large: `At most ${MAX_DOWNLINK_BYTES} bytes fit a LoRaWAN downlink.`,
  invalid_payload: 'Give an object for the payload formatter, or bytes.',
  payload_not_supported_with_e2e:
    'With end-to-end encryption, encode the FRMPayload yourself and send it as bytes.',
  invalid_f_port: 'Use a whole number from 1 to 223 (default 1).',
  invalid_confirmed: 'Use true or false (default false).',
  invalid_high_priority: 'Use true or false (default false).',
  invalid_operation: 'Use "push" (the default) or "replace".',
};

/**
 * The zod mini downlink schema carries the refusal codes as its issue messages; the field
 * comes from the path (none for the request itself and for the rules across fields).
 */
export function downlinkRejection(input: unknown, issue: Issue): DownlinkRejectedError {
  const thingName = isJsonObject(input) ? input['thingName'] : undefined;
  const subject =
    typeof thingName === 'string' && THING_NAME.test(thingName)
      ? `The downlink request for ${thingName}`
      : 'The downlink request';
  const field = fieldPath(issue.path);
  const what = field === '' ? 'is refused' : `has a bad ${field}`;
  const advice = DOWNLINK_ADVICE[issue.message] ?? '';
  return new DownlinkRejectedError(
    issue.message,
    `${subject} ${what} (${issue.message}). ${advice}`,
    3,
    {
      ...(field === '' ? {} : { field }),
    },
  );
}

/** What a schema made of an object: the value, or its first issue. */
export type SchemaReading<T> = { readonly value: T } | { readonly issue: Issue };

/**
 * A parser over a schema: JSON text parsed first and anything but an object refused, as the
 * hand parsers do; the first issue thrown as the hand parser's coded error.
 */
export function readerOf<T>(
  read: (input: JsonObject) => SchemaReading<T>,
  refusal: (input: unknown, issue: Issue) => Error,
  notAnObject: string,
): (input: unknown) => T {
  return (input) => {
    const json = jsonOf(input);
    if (!isJsonObject(json)) throw refusal(json, { path: [], message: notAnObject });
    const reading = read(json);
    if ('issue' in reading) throw refusal(json, reading.issue);
    return reading.value;
  };
}

/** JSON text is parsed first, as the hand parsers do. */
function jsonOf(input: unknown): unknown {
  if (typeof input !== 'string') return input;
  try {
    return JSON.parse(input);
  } catch {
    return undefined;
  }
}
