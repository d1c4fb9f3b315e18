// What the served routes read of their request bodies, as valibot schemas (read with
// validation.ts's readAt). The swagger has already checked the field names and JSON types;
// these are the rules TTS's validators add. A message keeps the fields it does not name.
import * as v from 'valibot';
import { jsonObject, objectOf } from '@tts-aws-iot/input';
import {
  attributes,
  authenticationCode,
  eui,
  id,
  NO_JOIN_EUI,
  REQUIRED,
  zeroString,
} from './validation';

/** A message of the request: an object (else `value is required`), its other fields kept. */
function message<const T extends v.ObjectEntries>(entries: T) {
  return v.pipe(jsonObject(REQUIRED), v.looseObject(entries, REQUIRED));
}

/** An EUI that may be left out or empty. */
const optionalEUI = v.optional(
  v.pipe(
    v.unknown(),
    v.transform((value) => (value === '' ? undefined : value)),
    v.optional(eui),
  ),
);

/** `EndDeviceIdentifiers` as the body gives them; the application comes from the path. */
export const DEVICE_IDS = v.nullish(
  objectOf({ device_id: zeroString(id), dev_eui: optionalEUI, join_eui: optionalEUI }, REQUIRED),
  () => ({ device_id: '' }),
);

/** CreateEndDevice on the Identity Server. */
export const IS_CREATE_DEVICE = message({ end_device: message({ ids: DEVICE_IDS, attributes }) });

/** UpdateEndDevice on the Identity Server (the identifiers come from the path). */
export const IS_UPDATE_DEVICE = message({ end_device: message({ attributes }) });

/** Set on the JS, NS or AS: the identifiers are read with the path's device ID. */
export const SET_DEVICE = message({
  end_device: message({ ids: v.nullish(jsonObject(REQUIRED)) }),
});

/** Claim: the target application first, as the rights are checked before the rest. */
export const CLAIM_TARGET = objectOf(
  { target_application_ids: objectOf({ application_id: zeroString(id) }, REQUIRED) },
  REQUIRED,
);

/** Claim by authenticated identifiers; without them there is no JoinEUI (`no_join_eui`). */
export const CLAIM = objectOf(
  {
    authenticated_identifiers: objectOf(
      {
        join_eui: zeroString(eui),
        dev_eui: zeroString(eui),
        authentication_code: zeroString(authenticationCode),
      },
      NO_JOIN_EUI,
    ),
    target_device_id: zeroString(id),
  },
  (issue) => (issue.path?.[0]?.key === 'authenticated_identifiers' ? NO_JOIN_EUI : REQUIRED),
);

/** GetInfoByJoinEUI. */
export const CLAIM_INFO = objectOf({ join_eui: zeroString(eui) }, REQUIRED);

// The Set requests of pub/subs, KEK settings and links: the message is required.
export const SET_PUBSUB = objectOf({ pubsub: jsonObject(REQUIRED) }, REQUIRED);
export const SET_KEK_SETTINGS = objectOf({ settings: jsonObject(REQUIRED) }, REQUIRED);
export const SET_LINK = objectOf({ link: jsonObject(REQUIRED) }, REQUIRED);

const F_PORT_RANGE = 'value must be inside range [1, 255]';
const E2E_REQUIRED = 'value is required when the application skips payload crypto';

/** `f_port` as a number or an integer string (int64 in JSON); absent is 0, which is refused. */
const fPort = v.optional(
  v.pipe(
    v.unknown(),
    v.check((value) => {
      const number = Number(value);
      return Number.isInteger(number) && number >= 1 && number <= 255;
    }, F_PORT_RANGE),
  ),
  0,
);

/** A downlink of an application that leaves the payload crypto to the Application Server. */
const plainDownlink = v.pipe(
  message({
    f_port: fPort,
    frm_payload: v.optional(v.unknown()),
    decoded_payload: v.optional(v.unknown()),
  }),
  v.forward(
    v.check(
      (downlink) => downlink.frm_payload !== undefined || downlink.decoded_payload !== undefined,
      'value is required without decoded_payload',
    ),
    ['frm_payload'],
  ),
);

/** An end-to-end encrypted downlink: payload, frame counter and session key ID are required. */
const e2eDownlink = v.pipe(
  jsonObject(REQUIRED),
  v.looseObject(
    { f_port: fPort, frm_payload: v.unknown(), f_cnt: v.unknown(), session_key_id: v.unknown() },
    E2E_REQUIRED,
  ),
);

const downlinksOf = <const S extends v.GenericSchema>(downlink: S) =>
  objectOf(
    { downlinks: v.optional(v.array(downlink, 'expected a JSON array'), () => []) },
    REQUIRED,
  );

/** DownlinkQueuePush and DownlinkQueueReplace, by whether the application skips payload crypto. */
export const QUEUE_DOWNLINKS = { plain: downlinksOf(plainDownlink), e2e: downlinksOf(e2eDownlink) };

const FIELD_MASK_FORM = 'expected "a,b" or {"paths": ["a", "b"]}';

/** google.protobuf.FieldMask: "a,b" in proto3 JSON; TTS also takes {"paths": [...]}. */
export const FIELD_MASK = v.pipe(
  v.union(
    [
      v.string(FIELD_MASK_FORM),
      objectOf({ paths: v.array(v.string(FIELD_MASK_FORM), FIELD_MASK_FORM) }, FIELD_MASK_FORM),
    ],
    FIELD_MASK_FORM,
  ),
  v.transform((mask) =>
    typeof mask === 'string'
      ? mask
          .split(',')
          .map((path) => path.trim())
          .filter((path) => path !== '')
      : mask.paths,
  ),
);
