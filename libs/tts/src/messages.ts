/**
 * The TTS application messages the integration handles (docs/tts.md "Upstream messages",
 * "Downlinks"), in TTS's JSON form (`format: json` of the pub/sub). `parseApplicationUp`
 * reads an upstream message into typed variants with the schemas of `./message-schemas`
 * (through `@tts-aws-iot/input`); the message as TTS sent it is kept beside them for
 * republishing, so fields this project does not know travel on.
 *
 * TTS omits zero values from its JSON: an absent `f_cnt`, `f_port` or `frm_payload` means
 * 0 or empty, and the parser says so in the types rather than leaving `undefined` around.
 */
import {
  describeValue,
  fieldPath,
  isJsonObject,
  parseJsonText,
  readInput,
  type JsonObject,
  type Refusal,
} from '@tts-aws-iot/input';
import type { KeyEnvelope } from '@tts-aws-iot/keywrap';
import { TtsMessageError } from './errors';
import { EXPECTED, messageTypeOf, unsupportedMessageField } from './message-rules';
import {
  DOWNLINK,
  DOWNLINK_FAILED,
  ENVELOPE,
  JOIN_ACCEPT,
  LOCATION_SOLVED,
  SERVICE_DATA,
  UPLINK,
} from './message-schemas';

/** The identifiers of an end device, as the parser hands them on (EUIs and DevAddr uppercase hex). */
export interface EndDeviceIds {
  readonly deviceID: string;
  readonly applicationID: string;
  readonly devEUI: string | undefined;
  readonly joinEUI: string | undefined;
  readonly devAddr: string | undefined;
}

/** One gateway's reception of an uplink (the parts the shadow metrics use). */
export interface RxMetadata {
  readonly gatewayID: string;
  /** The gateway's EUI, when it has one (Packet Broker receptions share one gateway ID). */
  readonly gatewayEUI: string | undefined;
  /** `rssi`, or `channel_rssi` when only that is given. */
  readonly rssi: number | undefined;
  readonly snr: number | undefined;
}

/** `uplink_message`. */
export interface ApplicationUplink {
  /** base64, as TTS sends it. */
  readonly sessionKeyID: string | undefined;
  /** 0 when TTS omitted it. */
  readonly fPort: number;
  /** The full 32-bit frame counter; 0 when TTS omitted it. */
  readonly fCnt: number;
  /** Ciphertext when TTS skips payload crypto (then `appSKey` is set), else plaintext. */
  readonly frmPayload: Uint8Array;
  readonly decodedPayload: JsonObject | undefined;
  readonly rxMetadata: readonly RxMetadata[];
  /** The session's AppSKey, present when the Application Server skips payload crypto. */
  readonly appSKey: KeyEnvelope | undefined;
  /** The last application downlink counter the network knows of (with skip payload crypto). */
  readonly lastAFCntDown: number | undefined;
  readonly receivedAt: string | undefined;
}

/** `join_accept`. */
export interface ApplicationJoinAccept {
  readonly sessionKeyID: string | undefined;
  readonly appSKey: KeyEnvelope | undefined;
  readonly pendingSession: boolean;
  readonly receivedAt: string | undefined;
}

/** An `ApplicationDownlink`, as carried by the downlink events. */
export interface ApplicationDownlink {
  readonly sessionKeyID: string | undefined;
  readonly fPort: number;
  readonly fCnt: number;
  readonly frmPayload: Uint8Array;
  readonly decodedPayload: JsonObject | undefined;
  readonly confirmed: boolean;
  readonly priority: string | undefined;
  readonly correlationIDs: readonly string[];
}

/** TTS's `ErrorDetails` (the parts programs act on). */
export interface ErrorDetails {
  readonly namespace: string | undefined;
  readonly name: string | undefined;
  readonly messageFormat: string | undefined;
  readonly attributes: JsonObject;
  readonly code: number | undefined;
  readonly cause: ErrorDetails | undefined;
}

/** `location_solved`. */
export interface ApplicationLocation {
  readonly service: string | undefined;
  readonly location: {
    readonly latitude: number;
    readonly longitude: number;
    readonly altitude: number | undefined;
    readonly accuracy: number | undefined;
    readonly source: string | undefined;
  };
}

/** `service_data`. */
export interface ApplicationServiceData {
  readonly service: string | undefined;
  readonly data: JsonObject | undefined;
}

/** The downlink events that carry just an `ApplicationDownlink`. */
export type DownlinkEventType =
  'downlink_queued' | 'downlink_sent' | 'downlink_ack' | 'downlink_nack';

/** What an `ApplicationUp` is about: exactly one of TTS's message fields. */
export type ApplicationUpEvent =
  | { readonly type: 'uplink_message'; readonly uplink: ApplicationUplink }
  | { readonly type: 'join_accept'; readonly joinAccept: ApplicationJoinAccept }
  | { readonly type: DownlinkEventType; readonly downlink: ApplicationDownlink }
  | {
      readonly type: 'downlink_failed';
      readonly downlink: ApplicationDownlink;
      readonly error: ErrorDetails;
    }
  | { readonly type: 'location_solved'; readonly location: ApplicationLocation }
  | { readonly type: 'service_data'; readonly serviceData: ApplicationServiceData }
  /** A message this project does not handle (`downlink_queue_invalidated`, `uplink_normalized`, newer ones). */
  | { readonly type: 'unsupported'; readonly field: string };

/** An upstream message of TTS, parsed. */
export type ApplicationUp = {
  readonly ids: EndDeviceIds;
  readonly correlationIDs: readonly string[];
  readonly receivedAt: string | undefined;
  readonly simulated: boolean;
  /** The message exactly as TTS sent it. */
  readonly raw: JsonObject;
} & ApplicationUpEvent;

/**
 * Reads one TTS `ApplicationUp` (the JSON object, or its text). Fields this project does not
 * use are not checked; the ones it uses are, with an error that names the field.
 *
 * @throws TtsMessageError `invalid_message` (not a JSON object), `missing_field` or
 *   `invalid_field` (with `attributes.field`), `no_message_type` (none of TTS's message
 *   fields), `multiple_message_types`
 */
export function parseApplicationUp(input: unknown): ApplicationUp {
  const message = jsonObjectOf(input);
  const common = { ...readInput(ENVELOPE, message, REFUSE_ENVELOPE), raw: message };
  const type = messageTypeOf(message);
  if (type === undefined) {
    const field = unsupportedMessageField(message, common.ids.deviceID);
    return { ...common, type: 'unsupported', field };
  }
  const body = message[type];
  const refuse = refusalAt(type);
  switch (type) {
    case 'uplink_message':
      return { ...common, type, uplink: readInput(UPLINK, body, refuse) };
    case 'join_accept':
      return { ...common, type, joinAccept: readInput(JOIN_ACCEPT, body, refuse) };
    case 'downlink_ack':
    case 'downlink_nack':
    case 'downlink_sent':
    case 'downlink_queued':
      return { ...common, type, downlink: readInput(DOWNLINK, body, refuse) };
    case 'downlink_failed':
      return { ...common, type, ...readInput(DOWNLINK_FAILED, body, refuse) };
    case 'location_solved':
      return { ...common, type, location: readInput(LOCATION_SOLVED, body, refuse) };
    case 'service_data':
      return { ...common, type, serviceData: readInput(SERVICE_DATA, body, refuse) };
  }
}

/**
 * The first error in the chain of `details` (itself, then its causes) that has `name`, for
 * example `f_cnt_too_low`, which the Network Server may report as the cause of a push error.
 */
export function findErrorDetails(details: ErrorDetails, name: string): ErrorDetails | undefined {
  for (
    let current: ErrorDetails | undefined = details;
    current !== undefined;
    current = current.cause
  ) {
    if (current.name === name) return current;
  }
  return undefined;
}

/** One downlink as pushed to TTS (`ApplicationDownlink` JSON). */
export interface ApplicationDownlinkJson {
  readonly f_port: number;
  /** base64 */
  readonly frm_payload?: string;
  readonly decoded_payload?: JsonObject;
  readonly confirmed?: boolean;
  readonly priority?: 'HIGH' | 'NORMAL';
  readonly correlation_ids?: readonly string[];
  /** base64; with skip payload crypto only */
  readonly session_key_id?: string;
  /** with skip payload crypto only */
  readonly f_cnt?: number;
}

/** The body of `…/downlink/push` and `…/downlink/replace` (`DownlinkQueueRequest`). */
export interface DownlinkQueueRequestJson {
  readonly end_device_ids: {
    readonly device_id: string;
    readonly application_ids: { readonly application_id: string };
    readonly dev_eui?: string;
  };
  readonly downlinks: readonly ApplicationDownlinkJson[];
}

/** TTS's `ErrorDetails` JSON, as the integration writes it into `downlink_failed` answers. */
export interface ErrorDetailsJson {
  readonly namespace: string;
  readonly name: string;
  readonly message_format: string;
  readonly code: number;
  readonly attributes?: JsonObject;
}

/** The message as a JSON object: its text parsed, anything but an object refused. */
function jsonObjectOf(input: unknown): JsonObject {
  const parsed = parseJsonText(input);
  if ('error' in parsed) {
    throw new TtsMessageError(
      'invalid_message',
      'Invalid TTS message: the text is not JSON; TTS publishes with format "json".',
      {},
      { cause: parsed.error },
    );
  }
  if (!isJsonObject(parsed.json)) {
    throw new TtsMessageError(
      'invalid_message',
      `Invalid TTS message: expected ${EXPECTED.applicationUp}, got ${describeValue(parsed.json)}.`,
    );
  }
  return parsed.json;
}

/**
 * The error for a schema's first issue in the part of the message under `prefix`: a field
 * that is absent or `null` is missing, and so is an empty string where a string is expected
 * (TTS omits zero values); anything else, a `null` entry of a list too, is invalid.
 */
function refusalAt(prefix: string): Refusal {
  return (issue) => {
    const field = fieldPath(issue.path, prefix);
    const { value, expected } = issue;
    const inList = typeof issue.path[issue.path.length - 1] === 'number';
    if (
      value === undefined ||
      (value === null && !inList) ||
      (value === '' && expected === EXPECTED.string)
    ) {
      return new TtsMessageError('missing_field', `Invalid TTS message: ${field} is missing.`, {
        field,
      });
    }
    return new TtsMessageError(
      'invalid_field',
      `Invalid TTS message: ${field} is ${describeValue(value)}; expected ${expected}.`,
      { field, expected },
    );
  };
}

const REFUSE_ENVELOPE = refusalAt('');
