/**
 * An `ApplicationUp` carrying `uplink_message`, read with valibot: the fields, refusals and
 * output of `parseApplicationUp` (libs/tts/src/messages.ts) for that message type.
 *
 * valibot's `object` takes arrays for objects, so every object schema here is guarded.
 */
import * as v from 'valibot';

import type { ApplicationUp } from '@tts-aws-iot/tts';
import {
  DEV_ADDR,
  EUI,
  EXPECTED,
  isBase64,
  isJsonObject,
  readerOf,
  MAX_ID_LENGTH,
  MAX_UINT32,
  OTHER_MESSAGE_TYPES,
  presentString,
  readKeyEnvelope,
  TTS_ID,
  ttsMessageError,
  type JsonObject,
} from './common';
import { toApplicationUp, toEndDeviceIds, toRxMetadata, toUplink } from './outputs';

function object<const T extends v.ObjectEntries>(entries: T, message: string = EXPECTED.object) {
  return v.pipe(v.custom<JsonObject>(isJsonObject, message), v.object(entries, message));
}

const optionalString = v.pipe(v.nullish(v.string(EXPECTED.string)), v.transform(presentString));
const requiredString = v.pipe(v.string(EXPECTED.string), v.minLength(1, EXPECTED.string));
const optionalBoolean = v.nullish(v.boolean(EXPECTED.boolean), false);
const optionalNumber = v.pipe(
  v.nullish(v.pipe(v.number(EXPECTED.number), v.finite(EXPECTED.number))),
  v.transform((n) => n ?? undefined),
);
const optionalObject = v.pipe(
  v.nullish(v.custom<JsonObject>(isJsonObject, EXPECTED.object)),
  v.transform((o) => o ?? undefined),
);
const stringArray = v.nullish(v.array(v.string(EXPECTED.stringArray), EXPECTED.stringArray), []);

function whole(max: number, message: string) {
  return v.pipe(
    v.number(message),
    v.integer(message),
    v.minValue(0, message),
    v.maxValue(max, message),
  );
}
const optionalUint32 = v.pipe(
  v.nullish(whole(MAX_UINT32, EXPECTED.uint32)),
  v.transform((n) => n ?? undefined),
);

function ttsID(message: string) {
  return v.pipe(requiredString, v.maxLength(MAX_ID_LENGTH, message), v.regex(TTS_ID, message));
}

function hex(pattern: RegExp, message: string) {
  return v.pipe(
    v.nullish(v.string(EXPECTED.string)),
    v.check((s) => !s || pattern.test(s), message),
    v.transform((s) => (s ? s.toUpperCase() : undefined)),
  );
}

const base64 = v.pipe(
  v.nullish(v.string(EXPECTED.string)),
  v.check((s) => !s || isBase64(s), EXPECTED.base64),
  v.transform(presentString),
);

const keyEnvelope = v.pipe(
  v.optional(v.unknown()),
  v.rawTransform(({ dataset, addIssue, NEVER }) => {
    const value = dataset.value;
    if (value === undefined || value === null) return undefined;
    const read = readKeyEnvelope(value);
    if ('envelope' in read) return read.envelope;
    if (!isJsonObject(value) || read.field === '') addIssue({ message: read.message });
    else {
      const [key, inner] = [read.field, value[read.field]];
      addIssue({
        message: read.message,
        path: [{ type: 'object', origin: 'value', input: value, key, value: inner }],
      });
    }
    return NEVER;
  }),
);

const ids = v.pipe(
  object({
    device_id: ttsID(EXPECTED.deviceID),
    application_ids: object({ application_id: ttsID(EXPECTED.applicationID) }),
    dev_eui: hex(EUI, EXPECTED.eui),
    join_eui: hex(EUI, EXPECTED.eui),
    dev_addr: hex(DEV_ADDR, EXPECTED.devAddr),
  }),
  v.transform((fields) => toEndDeviceIds(fields)),
);

const rxMetadata = v.pipe(
  object({
    gateway_ids: object({ gateway_id: requiredString, eui: optionalString }),
    rssi: optionalNumber,
    channel_rssi: optionalNumber,
    snr: optionalNumber,
  }),
  v.transform((fields) => toRxMetadata(fields)),
);

const uplink = v.pipe(
  object({
    session_key_id: base64,
    f_port: v.nullish(whole(255, EXPECTED.byte), 0),
    f_cnt: v.nullish(whole(MAX_UINT32, EXPECTED.uint32), 0),
    frm_payload: base64,
    decoded_payload: optionalObject,
    rx_metadata: v.nullish(v.array(rxMetadata, EXPECTED.array), []),
    app_s_key: keyEnvelope,
    last_a_f_cnt_down: optionalUint32,
    received_at: optionalString,
  }),
  v.transform((fields) => toUplink(fields)),
);

/** The other message types must be absent: an ApplicationUp carries exactly one. */
const absent = v.nullish(v.never(EXPECTED.multipleTypes));
const otherTypes = Object.fromEntries(OTHER_MESSAGE_TYPES.map((type) => [type, absent])) as Record<
  (typeof OTHER_MESSAGE_TYPES)[number],
  typeof absent
>;

const applicationUp = object(
  {
    end_device_ids: ids,
    correlation_ids: stringArray,
    received_at: optionalString,
    simulated: optionalBoolean,
    ...otherTypes,
    uplink_message: uplink,
  },
  EXPECTED.applicationUp,
);

/** `parseApplicationUp` for an uplink message, with valibot. */
export const parseUplinkWithValibot: (input: unknown) => ApplicationUp = readerOf<ApplicationUp>(
  (message) => {
    const result = v.safeParse(applicationUp, message, { abortEarly: true });
    if (result.success) return { value: toApplicationUp(message, result.output) };
    const [issue] = result.issues;
    return { issue: { path: issue.path?.map((item) => item.key) ?? [], message: issue.message } };
  },
  ttsMessageError,
  EXPECTED.applicationUp,
);
