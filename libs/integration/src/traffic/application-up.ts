/**
 * TTS upstream messages as the integration takes them in and hands them on: parsed with the
 * domain's errors, and republished to applications as TTS sent them plus `thingName`, with
 * every session key removed.
 */
import {
  parseApplicationUp,
  TtsMessageError,
  type ApplicationUp,
  type ApplicationUpEvent,
  type ThingEvent,
} from '@tts-aws-iot/tts';
import { isJsonObject } from '@tts-aws-iot/input';

import { InputError } from '../errors';

/**
 * Reads a TTS `ApplicationUp` (see `parseApplicationUp` of `@tts-aws-iot/tts`).
 *
 * @throws InputError with the parser's code and attributes (`missing_field`, `invalid_field`, …)
 */
export function readApplicationUp(input: unknown): ApplicationUp {
  try {
    return parseApplicationUp(input);
  } catch (error) {
    if (error instanceof TtsMessageError)
      throw new InputError(error.code, error.message, error.attributes, { cause: error });
    throw error;
  }
}

/** The per-thing topic event each handled message is republished on. */
export const THING_EVENT_OF: Readonly<
  Record<Exclude<ApplicationUpEvent['type'], 'unsupported'>, ThingEvent>
> = {
  uplink_message: 'uplink',
  join_accept: 'join',
  downlink_queued: 'downlink/queued',
  downlink_sent: 'downlink/sent',
  downlink_failed: 'downlink/failed',
  downlink_ack: 'downlink/ack',
  downlink_nack: 'downlink/nack',
  location_solved: 'location',
  service_data: 'service',
};

// The messages that may carry a session key (wrapped, or plain when no KEK is set).
const KEY_CARRIERS = ['uplink_message', 'join_accept'] as const;

/**
 * The message to republish: TTS's JSON as sent, plus top-level `thingName`, without any
 * `app_s_key`, and with E2E the decrypted FRMPayload in `uplink_message.frm_payload`.
 */
export function republishedMessage(
  up: ApplicationUp,
  thingName: string,
  plaintext?: Uint8Array,
): Record<string, unknown> {
  const message: Record<string, unknown> = { ...up.raw, thingName };
  for (const field of KEY_CARRIERS) {
    const inner = message[field];
    if (isJsonObject(inner) && 'app_s_key' in inner) {
      const { app_s_key: _removed, ...rest } = inner;
      message[field] = rest;
    }
  }
  if (plaintext !== undefined) {
    const uplink = message['uplink_message'];
    message['uplink_message'] = {
      ...(isJsonObject(uplink) ? uplink : {}),
      frm_payload: Buffer.from(
        plaintext.buffer,
        plaintext.byteOffset,
        plaintext.byteLength,
      ).toString('base64'),
    };
  }
  return message;
}
