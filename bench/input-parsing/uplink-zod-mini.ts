/**
 * An `ApplicationUp` carrying `uplink_message`, read with zod's mini build: the fields,
 * refusals and output of `parseApplicationUp` (libs/tts/src/messages.ts) for that message type.
 */
import * as z from 'zod/mini';

import type { ApplicationUp, RxMetadata } from '@tts-aws-iot/tts';
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

const optionalString = z.pipe(z.nullish(z.string(EXPECTED.string)), z.transform(presentString));
const requiredString = z.string(EXPECTED.string).check(z.minLength(1, EXPECTED.string));
const optionalBoolean = z.pipe(
  z.nullish(z.boolean(EXPECTED.boolean)),
  z.transform((b) => b ?? false),
);
const optionalNumber = z.pipe(
  z.nullish(z.number(EXPECTED.number)),
  z.transform((n) => n ?? undefined),
);
const optionalObject = z.pipe(
  z.nullish(z.custom<JsonObject>(isJsonObject, EXPECTED.object)),
  z.transform((o) => o ?? undefined),
);
const stringArray = z.pipe(
  z.nullish(z.array(z.string(EXPECTED.stringArray), EXPECTED.stringArray)),
  z.transform((a): readonly string[] => a ?? []),
);

function whole(max: number, message: string) {
  return z.int(message).check(z.minimum(0, message), z.maximum(max, message));
}
function uint(max: number, message: string) {
  return z.pipe(
    z.nullish(whole(max, message)),
    z.transform((n) => n ?? 0),
  );
}
const optionalUint32 = z.pipe(
  z.nullish(whole(MAX_UINT32, EXPECTED.uint32)),
  z.transform((n) => n ?? undefined),
);

function ttsID(message: string) {
  return requiredString.check(z.maxLength(MAX_ID_LENGTH, message), z.regex(TTS_ID, message));
}

function hex(pattern: RegExp, message: string) {
  return z.pipe(
    z.nullish(
      z.string(EXPECTED.string).check(z.refine((s) => s === '' || pattern.test(s), message)),
    ),
    z.transform((s) => (s ? s.toUpperCase() : undefined)),
  );
}

const base64 = z.pipe(
  z.nullish(
    z.string(EXPECTED.string).check(z.refine((s) => s === '' || isBase64(s), EXPECTED.base64)),
  ),
  z.transform(presentString),
);

const keyEnvelope = z.pipe(
  z.optional(z.unknown()),
  z.transform((value, ctx) => {
    if (value === undefined || value === null) return undefined;
    const read = readKeyEnvelope(value);
    if ('envelope' in read) return read.envelope;
    const inner = isJsonObject(value) && read.field !== '' ? [read.field] : [];
    ctx.issues.push({ code: 'custom', message: read.message, input: value, path: inner });
    return z.NEVER;
  }),
);

const ids = z.pipe(
  z.object(
    {
      device_id: ttsID(EXPECTED.deviceID),
      application_ids: z.object({ application_id: ttsID(EXPECTED.applicationID) }, EXPECTED.object),
      dev_eui: hex(EUI, EXPECTED.eui),
      join_eui: hex(EUI, EXPECTED.eui),
      dev_addr: hex(DEV_ADDR, EXPECTED.devAddr),
    },
    EXPECTED.object,
  ),
  z.transform((fields) => toEndDeviceIds(fields)),
);

const rxMetadata = z.pipe(
  z.object(
    {
      gateway_ids: z.object({ gateway_id: requiredString, eui: optionalString }, EXPECTED.object),
      rssi: optionalNumber,
      channel_rssi: optionalNumber,
      snr: optionalNumber,
    },
    EXPECTED.object,
  ),
  z.transform((fields) => toRxMetadata(fields)),
);

const uplink = z.pipe(
  z.object(
    {
      session_key_id: base64,
      f_port: uint(255, EXPECTED.byte),
      f_cnt: uint(MAX_UINT32, EXPECTED.uint32),
      frm_payload: base64,
      decoded_payload: optionalObject,
      rx_metadata: z.pipe(
        z.nullish(z.array(rxMetadata, EXPECTED.array)),
        z.transform((entries): readonly RxMetadata[] => entries ?? []),
      ),
      app_s_key: keyEnvelope,
      last_a_f_cnt_down: optionalUint32,
      received_at: optionalString,
    },
    EXPECTED.object,
  ),
  z.transform((fields) => toUplink(fields)),
);

/** The other message types must be absent: an ApplicationUp carries exactly one. */
const absent = z.nullish(z.never(EXPECTED.multipleTypes));
const otherTypes = Object.fromEntries(OTHER_MESSAGE_TYPES.map((type) => [type, absent])) as Record<
  (typeof OTHER_MESSAGE_TYPES)[number],
  typeof absent
>;

const applicationUp = z.object(
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

/** `parseApplicationUp` for an uplink message, with zod mini. */
export const parseUplinkWithZodMini: (input: unknown) => ApplicationUp = readerOf<ApplicationUp>(
  (message) => {
    const result = z.safeParse(applicationUp, message);
    if (result.success) return { value: toApplicationUp(message, result.data) };
    const [issue] = result.error.issues;
    return { issue: { path: issue?.path ?? [], message: issue?.message ?? '' } };
  },
  ttsMessageError,
  EXPECTED.applicationUp,
);
