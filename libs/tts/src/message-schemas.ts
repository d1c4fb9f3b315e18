/**
 * The valibot schemas of TTS's upstream messages (`ApplicationUp` in `format: json`), one per
 * part: the envelope every message has, and the body of each message type. Each schema's
 * output is the type `parseApplicationUp` hands on; its issue messages say what the field
 * should have been, and become the `expected` of the error (see `./messages`).
 *
 * Fields this project does not use are not read (they travel on in the raw message). TTS
 * omits zero values, so an absent or `null` value, and an empty string, count as absent:
 * 0, false, empty or `undefined` in the output.
 */
import * as v from 'valibot';

import { isJsonObject, jsonObject, objectOf, type JsonObject } from '@tts-aws-iot/input';
import {
  DEV_ADDR,
  EUI,
  EXPECTED,
  isBase64,
  MAX_ID_LENGTH,
  MAX_UINT32,
  readKeyEnvelope,
  TTS_ID,
} from './message-rules';
import type {
  ApplicationDownlink,
  ApplicationJoinAccept,
  ApplicationLocation,
  ApplicationServiceData,
  ApplicationUplink,
  EndDeviceIds,
  ErrorDetails,
  RxMetadata,
} from './messages';

// --- fields -------------------------------------------------------------------------------

/** `''` counts as absent, as TTS omits empty strings. */
const present = (text: string | null | undefined): string | undefined =>
  text === null || text === '' ? undefined : text;
const orUndefined = <T>(value: T | null | undefined): T | undefined => value ?? undefined;

const optionalString = v.pipe(v.nullish(v.string(EXPECTED.string)), v.transform(present));
const requiredString = v.pipe(v.string(EXPECTED.string), v.minLength(1, EXPECTED.string));
const optionalBoolean = v.nullish(v.boolean(EXPECTED.boolean), false);
const finiteNumber = v.pipe(v.number(EXPECTED.number), v.finite(EXPECTED.number));
const optionalNumber = v.pipe(v.nullish(finiteNumber), v.transform(orUndefined));
const optionalObject = v.pipe(v.nullish(jsonObject(EXPECTED.object)), v.transform(orUndefined));

/**
 * The whole list is refused (`correlation_ids`), not the entry, as the field to look at. The
 * list is handed on as it came, so an absent one is a new empty list each time.
 */
const stringArray = v.nullish(
  v.custom<readonly string[]>(
    (value) => Array.isArray(value) && value.every((entry) => typeof entry === 'string'),
    EXPECTED.stringArray,
  ),
  (): readonly string[] => [],
);

function whole(max: number, message: string) {
  return v.pipe(
    v.number(message),
    v.integer(message),
    v.minValue(0, message),
    v.maxValue(max, message),
  );
}
const byteOrZero = v.nullish(whole(255, EXPECTED.byte), 0);
const uint32OrZero = v.nullish(whole(MAX_UINT32, EXPECTED.uint32), 0);
const optionalUint32 = v.pipe(
  v.nullish(whole(MAX_UINT32, EXPECTED.uint32)),
  v.transform(orUndefined),
);

function ttsID(message: string) {
  return v.pipe(requiredString, v.maxLength(MAX_ID_LENGTH, message), v.regex(TTS_ID, message));
}

/** Hex identifiers are handed on in uppercase. */
function hex(pattern: RegExp, message: string) {
  return v.pipe(
    v.nullish(v.string(EXPECTED.string)),
    v.check((text) => !text || pattern.test(text), message),
    v.transform((text) => (text ? text.toUpperCase() : undefined)),
  );
}

const base64 = v.pipe(
  v.nullish(v.string(EXPECTED.string)),
  v.check((text) => !text || isBase64(text), EXPECTED.base64),
  v.transform(present),
);

const EMPTY = new Uint8Array(0);

/** base64 bytes, empty when absent. */
const bytes = v.pipe(
  v.nullish(v.string(EXPECTED.string), ''),
  v.check(isBase64, EXPECTED.base64),
  v.transform((text) => (text === '' ? EMPTY : new Uint8Array(Buffer.from(text, 'base64')))),
);

/**
 * A session key at `field`, read by keywrap (`readKeyEnvelope`). Its refusal is thrown as
 * this message's error where the schema reaches the key, so that the fields before it are
 * checked first, and carries keywrap's reason (a length, a missing label) and its field.
 */
function keyEnvelope(field: string) {
  return v.optional(
    v.pipe(
      v.unknown(),
      v.transform((value) => (value === null ? undefined : readKeyEnvelope(value, field))),
    ),
  );
}

// --- the envelope -------------------------------------------------------------------------

const endDeviceIds = v.pipe(
  objectOf(
    {
      device_id: ttsID(EXPECTED.deviceID),
      application_ids: objectOf({ application_id: ttsID(EXPECTED.applicationID) }, EXPECTED.object),
      dev_eui: hex(EUI, EXPECTED.eui),
      join_eui: hex(EUI, EXPECTED.eui),
      dev_addr: hex(DEV_ADDR, EXPECTED.devAddr),
    },
    EXPECTED.object,
  ),
  v.transform((ids): EndDeviceIds => ({
    deviceID: ids.device_id,
    applicationID: ids.application_ids.application_id,
    devEUI: ids.dev_eui,
    joinEUI: ids.join_eui,
    devAddr: ids.dev_addr,
  })),
);

/** What every `ApplicationUp` carries beside its one message. */
export const ENVELOPE = v.pipe(
  objectOf(
    {
      end_device_ids: endDeviceIds,
      correlation_ids: stringArray,
      received_at: optionalString,
      simulated: optionalBoolean,
    },
    EXPECTED.applicationUp,
  ),
  v.transform((up) => ({
    ids: up.end_device_ids,
    correlationIDs: up.correlation_ids,
    receivedAt: up.received_at,
    simulated: up.simulated,
  })),
);

// --- the message bodies -------------------------------------------------------------------

/**
 * A reception. `channel_rssi` stands in for `rssi` when only it is given, and is read only
 * then: a message whose `rssi` is good is not refused for its `channel_rssi`.
 */
const rxMetadata = v.pipe(
  objectOf(
    {
      gateway_ids: objectOf({ gateway_id: requiredString, eui: optionalString }, EXPECTED.object),
      rssi: optionalNumber,
      channel_rssi: v.optional(v.unknown()),
      snr: optionalNumber,
    },
    EXPECTED.object,
  ),
  v.rawTransform(({ dataset: { value: rx }, addIssue, NEVER }): RxMetadata => {
    const rssi = rx.rssi ?? rx.channel_rssi;
    if (rssi !== undefined && rssi !== null && !isFiniteNumber(rssi)) {
      addIssue({
        message: EXPECTED.number,
        input: rssi,
        path: [{ type: 'object', origin: 'value', input: rx, key: 'channel_rssi', value: rssi }],
      });
      return NEVER;
    }
    return {
      gatewayID: rx.gateway_ids.gateway_id,
      gatewayEUI: rx.gateway_ids.eui,
      rssi: rssi ?? undefined,
      snr: rx.snr,
    };
  }),
);

function isFiniteNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

/** What uplinks and downlinks have alike: the session, the frame and its payload. */
const FRAME = {
  session_key_id: base64,
  f_port: byteOrZero,
  f_cnt: uint32OrZero,
  frm_payload: bytes,
  decoded_payload: optionalObject,
};

/** `uplink_message`. */
export const UPLINK = v.pipe(
  objectOf(
    {
      ...FRAME,
      rx_metadata: v.nullish(v.array(rxMetadata, EXPECTED.array), []),
      app_s_key: keyEnvelope('uplink_message.app_s_key'),
      last_a_f_cnt_down: optionalUint32,
      received_at: optionalString,
    },
    EXPECTED.object,
  ),
  v.transform((up): ApplicationUplink => ({
    sessionKeyID: up.session_key_id,
    fPort: up.f_port,
    fCnt: up.f_cnt,
    frmPayload: up.frm_payload,
    decodedPayload: up.decoded_payload,
    rxMetadata: up.rx_metadata,
    appSKey: up.app_s_key,
    lastAFCntDown: up.last_a_f_cnt_down,
    receivedAt: up.received_at,
  })),
);

/** `join_accept`. */
export const JOIN_ACCEPT = v.pipe(
  objectOf(
    {
      session_key_id: base64,
      app_s_key: keyEnvelope('join_accept.app_s_key'),
      pending_session: optionalBoolean,
      received_at: optionalString,
    },
    EXPECTED.object,
  ),
  v.transform((join): ApplicationJoinAccept => ({
    sessionKeyID: join.session_key_id,
    appSKey: join.app_s_key,
    pendingSession: join.pending_session,
    receivedAt: join.received_at,
  })),
);

/** An `ApplicationDownlink`, as the downlink events carry it. */
export const DOWNLINK = v.pipe(
  objectOf(
    {
      ...FRAME,
      confirmed: optionalBoolean,
      priority: optionalString,
      correlation_ids: stringArray,
    },
    EXPECTED.object,
  ),
  v.transform((down): ApplicationDownlink => ({
    sessionKeyID: down.session_key_id,
    fPort: down.f_port,
    fCnt: down.f_cnt,
    frmPayload: down.frm_payload,
    decodedPayload: down.decoded_payload,
    confirmed: down.confirmed,
    priority: down.priority,
    correlationIDs: down.correlation_ids,
  })),
);

// TTS nests causes a few levels at most; the bound keeps a hostile message from nesting deep.
const MAX_CAUSE_DEPTH = 8;

/** `ErrorDetails` at `depth` causes down; a cause that is not an object, or deeper, is left out. */
function errorDetails(depth: number): v.GenericSchema<unknown, ErrorDetails> {
  const cause =
    depth < MAX_CAUSE_DEPTH
      ? v.pipe(
          v.unknown(),
          v.transform((value) => (isJsonObject(value) ? value : undefined)),
          v.optional(errorDetails(depth + 1)),
        )
      : v.pipe(
          v.unknown(),
          v.transform(() => undefined),
        );
  return v.pipe(
    objectOf(
      {
        namespace: optionalString,
        name: optionalString,
        message_format: optionalString,
        attributes: v.nullish(jsonObject(EXPECTED.object), (): JsonObject => ({})),
        code: optionalUint32,
        cause: v.optional(cause),
      },
      EXPECTED.object,
    ),
    v.transform((details): ErrorDetails => ({
      namespace: details.namespace,
      name: details.name,
      messageFormat: details.message_format,
      attributes: details.attributes,
      code: details.code,
      cause: details.cause,
    })),
  );
}

/** `downlink_failed`: the downlink, and why. */
export const DOWNLINK_FAILED = objectOf(
  { downlink: DOWNLINK, error: errorDetails(0) },
  EXPECTED.object,
);

function degrees(max: number, message: string) {
  return v.pipe(v.nullish(finiteNumber, 0), v.minValue(-max, message), v.maxValue(max, message));
}

/** `location_solved`. */
export const LOCATION_SOLVED = v.pipe(
  objectOf(
    {
      location: objectOf(
        {
          latitude: degrees(90, EXPECTED.latitude),
          longitude: degrees(180, EXPECTED.longitude),
          altitude: optionalNumber,
          accuracy: optionalNumber,
          source: optionalString,
        },
        EXPECTED.object,
      ),
      service: optionalString,
    },
    EXPECTED.object,
  ),
  v.transform(({ service, location }): ApplicationLocation => ({
    service,
    location: {
      latitude: location.latitude,
      longitude: location.longitude,
      altitude: location.altitude,
      accuracy: location.accuracy,
      source: location.source,
    },
  })),
);

/** `service_data`. */
export const SERVICE_DATA = v.pipe(
  objectOf({ service: optionalString, data: optionalObject }, EXPECTED.object),
  v.transform(({ service, data }): ApplicationServiceData => ({ service, data })),
);
