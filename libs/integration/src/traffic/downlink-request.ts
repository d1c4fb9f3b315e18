/**
 * Downlink requests (docs/architecture.md "Messages"): what applications publish on
 * `lorawan/downlink`, what the integration pushes to TTS for them, and how a refused request
 * is answered in TTS's own `downlink_failed` shape.
 */
import type {
  ApplicationDownlinkJson,
  DownlinkQueueRequestJson,
  ErrorDetailsJson,
} from '@tts-aws-iot/tts';
import { isJsonObject, jsonObject, parseJsonText, readInput } from '@tts-aws-iot/input';
import * as v from 'valibot';

import { DownlinkRejectedError, type IntegrationError } from '../errors';
import { THING_NAME } from '../thing-name';

/** A validated downlink request. Exactly one of `bytes` and `payload` is set. */
export interface DownlinkRequest {
  readonly thingName: string;
  /** The FRMPayload (plaintext), at most 242 bytes. */
  readonly bytes: Uint8Array | undefined;
  /**
   * JSON for the device's payload formatter: TTS's, or with E2E the integration's (see
   * `encodesPayload`).
   */
  readonly payload: Readonly<Record<string, unknown>> | undefined;
  /** 1..223; default 1. */
  readonly fPort: number;
  /** Whether the request set `fPort` (which then wins over a formatter's). */
  readonly fPortSet: boolean;
  /** `push` (default) appends to TTS's downlink queue; `replace` replaces the queue. */
  readonly operation: DownlinkOperation;
  /** Default false. */
  readonly confirmed: boolean;
  /** Default false. */
  readonly highPriority: boolean;
}

/** How a downlink goes into TTS's queue: `downlink/push` or `downlink/replace`. */
export type DownlinkOperation = 'push' | 'replace';

/** The largest FRMPayload the request takes (LoRaWAN's largest at the fastest data rates). */
const MAX_DOWNLINK_BYTES = 242;

/** The error namespace of the integration's own `downlink_failed` answers. */
const ERROR_NAMESPACE = 'tts-aws-iot';

/** gRPC codes used in answers, as TTS uses them. */
export const GrpcCode = {
  INVALID_ARGUMENT: 3,
  NOT_FOUND: 5,
  FAILED_PRECONDITION: 9,
  INTERNAL: 13,
} as const;

/** The codes of the things that do not exist for this stack, answered as gRPC NOT_FOUND. */
const NOT_FOUND_CODES = new Set(['unknown_thing']);
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
/** The largest payload JSON an answer on the thing's own topic echoes. */
const MAX_ECHOED_PAYLOAD_JSON = 1024;

/**
 * The thing a request names, when it names a valid one: so that even a request refused for
 * another reason is answered on that thing's topic.
 */
export function requestedThingName(input: unknown): string | undefined {
  const name = isJsonObject(input) ? input['thingName'] : undefined;
  return typeof name === 'string' && THING_NAME.test(name) ? name : undefined;
}

/** How the request is read: with E2E, payload JSON only when the integration encodes it. */
export interface DownlinkRequestOptions {
  readonly e2eEnabled: boolean;
  /** With E2E: payload JSON is taken, as the integration encodes it with the device's formatter. */
  readonly encodesPayload?: boolean;
}

/**
 * Validates a request from `lorawan/downlink`. Fields it does not know are ignored, as The
 * Things Stack's documented integration ignores them (a misspelt optional field, `fport` say,
 * so takes its default); bad values of the fields it knows are refused, the first one found
 * in the order of {@link REFUSALS}.
 *
 * @throws DownlinkRejectedError with one of `invalid_request`,
 *   `missing_thing_name`, `invalid_thing_name`, `missing_payload`, `ambiguous_payload`,
 *   `invalid_bytes`, `payload_too_large`, `invalid_payload`, `payload_not_supported_with_e2e`,
 *   `invalid_f_port`, `invalid_confirmed`, `invalid_high_priority`, `invalid_operation`
 */
export function parseDownlinkRequest(
  input: unknown,
  options: DownlinkRequestOptions,
): DownlinkRequest {
  const text = parseJsonText(input);
  if ('error' in text) throw rejection(REFUSALS.not_json, input, undefined);
  const schema =
    options.e2eEnabled && !options.encodesPayload ? REQUEST_WITHOUT_PAYLOAD_JSON : REQUEST;
  return readInput(schema, text.json, (issue) =>
    rejection(refusalOf(issue.expected), text.json, issue.value),
  );
}

/** What a refusal tells the application: its code, and what was wrong and what to do. */
interface Refusal {
  readonly code: string;
  /** The sentence, given `request` ("The downlink request for T1") and the field's value. */
  readonly says: (request: string, value: unknown) => string;
  /** Attributes besides `thingName`, from the field's value. */
  readonly attributes?: (value: unknown) => Readonly<Record<string, unknown>>;
}

/**
 * Every refusal of a downlink request, in the order the request is checked: the schemas'
 * issue messages are these keys (two keys share `invalid_bytes`, with their own sentences).
 */
const REFUSALS = {
  not_json: {
    code: 'invalid_request',
    says: () => 'The downlink request is not JSON. Publish a JSON object on lorawan/downlink.',
  },
  invalid_request: {
    code: 'invalid_request',
    says: () =>
      'The downlink request is not a JSON object. Publish {"thingName":…, "bytes":… or "payload":…, "fPort":…} on lorawan/downlink.',
  },
  missing_thing_name: {
    code: 'missing_thing_name',
    says: () => 'The downlink request has no thingName. Name the thing the downlink is for.',
  },
  invalid_thing_name: {
    code: 'invalid_thing_name',
    says: () =>
      'The downlink request\'s thingName is not a thing name. Use 1 to 128 letters, digits, ":", "_" or "-".',
  },
  missing_payload: {
    code: 'missing_payload',
    says: (request) =>
      `${request} has neither bytes nor payload. Give the FRMPayload as base64 bytes, or payload JSON for the payload formatter.`,
  },
  ambiguous_payload: {
    code: 'ambiguous_payload',
    says: (request) => `${request} has both bytes and payload. Give exactly one of them.`,
  },
  invalid_bytes: {
    code: 'invalid_bytes',
    says: (request) =>
      `${request} has bytes that are not base64. Encode the FRMPayload in standard base64 with padding (e.g. "AQI=").`,
  },
  non_canonical_bytes: {
    code: 'invalid_bytes',
    says: (request) =>
      `${request} has bytes that are not canonical base64 (padding inside, or spare bits set). Encode the FRMPayload in standard base64 with padding (e.g. "AQI=").`,
  },
  payload_too_large: {
    code: 'payload_too_large',
    says: (request, bytes) =>
      `${request} has ${byteLength(bytes)} bytes; at most ${MAX_DOWNLINK_BYTES} fit a LoRaWAN downlink. Send less data.`,
    attributes: (bytes) => ({ length: byteLength(bytes) }),
  },
  invalid_payload: {
    code: 'invalid_payload',
    says: (request) =>
      `${request} has a payload that is not a JSON object. Give an object for the payload formatter, or bytes.`,
  },
  payload_not_supported_with_e2e: {
    code: 'payload_not_supported_with_e2e',
    says: (request) =>
      `${request} has payload JSON, but with end-to-end encryption TTS cannot run its payload formatter. Encode the FRMPayload yourself and send it as bytes.`,
  },
  invalid_f_port: {
    code: 'invalid_f_port',
    says: (request, fPort) =>
      `${request} has fPort ${JSON.stringify(fPort)}. Use a whole number from 1 to 223 (default 1).`,
  },
  invalid_confirmed: flagRefusal('invalid_confirmed', 'confirmed'),
  invalid_high_priority: flagRefusal('invalid_high_priority', 'highPriority'),
  invalid_operation: {
    code: 'invalid_operation',
    says: (request, operation) =>
      `${request} has operation ${JSON.stringify(operation)?.slice(0, 64)}. Use "push" (append to the downlink queue, the default) or "replace" (replace the queue).`,
  },
} as const satisfies Readonly<Record<string, Refusal>>;

type RefusalKey = keyof typeof REFUSALS;

function flagRefusal(code: string, field: string): Refusal {
  return {
    code,
    says: (request, value) =>
      `${request} has ${field} ${JSON.stringify(value)}. Use true or false (default false).`,
  };
}

function isRefusalKey(key: string): key is RefusalKey {
  return Object.hasOwn(REFUSALS, key);
}

/** The refusal a schema's issue message names (every message is one: see the schemas). */
function refusalOf(key: string): Refusal {
  return isRefusalKey(key) ? REFUSALS[key] : REFUSALS.invalid_request;
}

/** The error for a refusal; it names the thing once the request named a valid one. */
function rejection(refusal: Refusal, request: unknown, value: unknown): DownlinkRejectedError {
  const thingName = requestedThingName(request);
  const subject =
    thingName === undefined ? 'The downlink request' : `The downlink request for ${thingName}`;
  return new DownlinkRejectedError(
    refusal.code,
    refusal.says(subject, value),
    GrpcCode.INVALID_ARGUMENT,
    thingName === undefined ? {} : { thingName, ...refusal.attributes?.(value) },
  );
}

/** Whether base64 text of the request is standard base64 with padding. */
function isBase64(text: string): boolean {
  return BASE64.test(text) && text.length % 4 === 0;
}

/** The bytes well-formed base64 text stands for (0 for anything else). */
function byteLength(text: unknown): number {
  if (typeof text !== 'string') return 0;
  const padding = text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0;
  return (text.length / 4) * 3 - padding;
}

/** Whether a request field is given: `null` stands for absent, as TTS's JSON has it. */
function isGiven(value: unknown): boolean {
  return value !== undefined && value !== null;
}

// The schemas. Their issue messages are keys of REFUSALS: a missing key is its object's
// issue, a present one its entry's. They run in the order the request is checked in: the
// thing, which of bytes and payload, then each field.

const thingNameEntry = v.pipe(
  v.unknown(),
  v.check((name) => isGiven(name) && name !== '', 'missing_thing_name'),
  v.string('invalid_thing_name'),
  v.regex(THING_NAME, 'invalid_thing_name'),
);

const bytesEntry = v.nullish(
  v.pipe(
    v.string('invalid_bytes'),
    v.check(isBase64, 'invalid_bytes'),
    // Node skips what it cannot read (spare bits, padding in the middle); refuse rather than
    // push other bytes than the application meant.
    v.check(
      (text) => Buffer.from(text, 'base64').toString('base64') === text,
      'non_canonical_bytes',
    ),
    v.check((text) => byteLength(text) <= MAX_DOWNLINK_BYTES, 'payload_too_large'),
    v.transform((text) => new Uint8Array(Buffer.from(text, 'base64'))),
  ),
);

const fPortEntry = v.nullish(
  v.pipe(
    v.number('invalid_f_port'),
    v.integer('invalid_f_port'),
    v.minValue(1, 'invalid_f_port'),
    v.maxValue(223, 'invalid_f_port'),
  ),
);

/**
 * The request schema. `takesPayloadJSON` false: with E2E and no formatter of the
 * integration's, TTS cannot run its own on an encrypted payload, so payload JSON is refused.
 */
function requestSchema(takesPayloadJSON: boolean) {
  const json = jsonObject('invalid_payload');
  const payloadEntry = takesPayloadJSON
    ? json
    : v.pipe(
        json,
        v.check(() => false, 'payload_not_supported_with_e2e'),
      );
  return v.pipe(
    jsonObject('invalid_request'),
    v.looseObject({ thingName: thingNameEntry }, 'missing_thing_name'),
    v.check(
      (request) => isGiven(request['bytes']) || isGiven(request['payload']),
      'missing_payload',
    ),
    v.check(
      (request) => !isGiven(request['bytes']) || !isGiven(request['payload']),
      'ambiguous_payload',
    ),
    v.object(
      {
        // Checked above.
        thingName: v.string(),
        bytes: bytesEntry,
        payload: v.nullish(payloadEntry),
        fPort: fPortEntry,
        confirmed: v.nullish(v.boolean('invalid_confirmed'), false),
        highPriority: v.nullish(v.boolean('invalid_high_priority'), false),
        operation: v.nullish(v.picklist(['push', 'replace'], 'invalid_operation'), 'push'),
      },
      'invalid_request',
    ),
    v.transform((request): DownlinkRequest => ({
      thingName: request.thingName,
      bytes: request.bytes ?? undefined,
      payload: request.payload ?? undefined,
      fPort: request.fPort ?? 1,
      fPortSet: isGiven(request.fPort),
      confirmed: request.confirmed,
      highPriority: request.highPriority,
      operation: request.operation,
    })),
  );
}

// Built once for each configuration the request is read under.
const REQUEST = requestSchema(true);
const REQUEST_WITHOUT_PAYLOAD_JSON = requestSchema(false);

// --- correlation: recognising our own downlinks when TTS reports on them -------------------

const DOWNLINK_ID_PREFIX = 'tts-aws-iot:downlink:';
const ATTEMPT_PREFIX = 'tts-aws-iot:attempt:';

/** The correlation IDs of a downlink the integration pushes: its ID and the push attempt (1 first). */
export function downlinkCorrelationIDs(downlinkID: string, attempt: number): string[] {
  return [`${DOWNLINK_ID_PREFIX}${downlinkID}`, `${ATTEMPT_PREFIX}${attempt}`];
}

/**
 * The ID of one push attempt of a downlink (the downlink's ID for the first), under which its
 * frame counter is reserved: a retried invocation of the same attempt finds that counter.
 */
export function pushAttemptID(downlinkID: string, attempt: number): string {
  return attempt === 1 ? downlinkID : `${downlinkID}#${attempt}`;
}

/** The integration's ID and attempt of a downlink TTS reports on, or `undefined` for another's. */
export function ownDownlink(
  correlationIDs: readonly string[],
): { readonly downlinkID: string; readonly attempt: number } | undefined {
  let downlinkID: string | undefined;
  let attempt = 1;
  for (const id of correlationIDs) {
    if (id.startsWith(DOWNLINK_ID_PREFIX)) downlinkID = id.slice(DOWNLINK_ID_PREFIX.length);
    else if (id.startsWith(ATTEMPT_PREFIX))
      attempt = Number.parseInt(id.slice(ATTEMPT_PREFIX.length), 10) || 1;
  }
  return downlinkID ? { downlinkID, attempt } : undefined;
}

// --- what goes out ----------------------------------------------------------------------

/** The device a push is for. */
export interface PushTarget {
  readonly deviceID: string;
  readonly applicationID: string;
}

/** The downlink of a push: `frmPayload` (base64) or `decodedPayload`, and with E2E the session. */
export interface PushDownlink {
  readonly fPort: number;
  readonly frmPayload?: string;
  readonly decodedPayload?: Readonly<Record<string, unknown>>;
  readonly confirmed: boolean;
  readonly highPriority: boolean;
  readonly correlationIDs: readonly string[];
  /** With E2E: the session the payload is encrypted for, and its counter. */
  readonly session?: { readonly sessionKeyID: string; readonly fCnt: number };
}

/** The body pushed to `thethings/lorawan/<stack>/downlink/push`. */
export function downlinkPush(target: PushTarget, downlink: PushDownlink): DownlinkQueueRequestJson {
  const item: ApplicationDownlinkJson = {
    f_port: downlink.fPort,
    ...(downlink.frmPayload === undefined ? {} : { frm_payload: downlink.frmPayload }),
    ...(downlink.decodedPayload === undefined ? {} : { decoded_payload: downlink.decodedPayload }),
    confirmed: downlink.confirmed,
    priority: downlink.highPriority ? 'HIGH' : 'NORMAL',
    correlation_ids: downlink.correlationIDs,
    ...(downlink.session
      ? { session_key_id: downlink.session.sessionKeyID, f_cnt: downlink.session.fCnt }
      : {}),
  };
  return {
    end_device_ids: {
      device_id: target.deviceID,
      application_ids: { application_id: target.applicationID },
    },
    downlinks: [item],
  };
}

/** The answer to a refused request, in TTS's `downlink_failed` shape (plus `thingName` when known). */
export interface DownlinkFailedAnswer {
  readonly thingName?: string;
  readonly correlation_ids: readonly string[];
  readonly downlink_failed: {
    readonly downlink: Partial<ApplicationDownlinkJson>;
    readonly error: ErrorDetailsJson;
  };
}

/**
 * The answer to a refused request. The error carries the rejection's code as `name` and its
 * sentence as `message_format`. The downlink echoes the request's options; its payload only
 * with `echoPayload` (on the thing's own topic, never on the shared one), and only a well-formed
 * one of at most 242 bytes (bytes) or 1 KB (JSON): the answer is no way to amplify or spread
 * what anyone publishes.
 */
export function downlinkFailedAnswer(
  input: unknown,
  error: IntegrationError,
  correlationIDs: readonly string[],
  options: { readonly echoPayload?: boolean } = {},
): DownlinkFailedAnswer {
  const request = isJsonObject(input) ? input : {};
  const thingName = requestedThingName(request);
  const downlink: Record<string, unknown> = {};
  if (typeof request['fPort'] === 'number') downlink['f_port'] = request['fPort'];
  if (options.echoPayload) {
    const bytes = request['bytes'];
    if (
      typeof bytes === 'string' &&
      bytes.length <= Math.ceil(MAX_DOWNLINK_BYTES / 3) * 4 &&
      isBase64(bytes)
    )
      downlink['frm_payload'] = bytes;
    const payload = request['payload'];
    if (isJsonObject(payload) && JSON.stringify(payload).length <= MAX_ECHOED_PAYLOAD_JSON)
      downlink['decoded_payload'] = payload;
  }
  if (typeof request['confirmed'] === 'boolean') downlink['confirmed'] = request['confirmed'];
  if (request['highPriority'] === true) downlink['priority'] = 'HIGH';
  downlink['correlation_ids'] = correlationIDs;
  const grpcCode =
    error instanceof DownlinkRejectedError
      ? error.grpcCode
      : NOT_FOUND_CODES.has(error.code)
        ? GrpcCode.NOT_FOUND
        : GrpcCode.FAILED_PRECONDITION;
  return {
    ...(thingName === undefined ? {} : { thingName }),
    correlation_ids: correlationIDs,
    downlink_failed: {
      downlink,
      error: {
        // A formatter's failure keeps the namespace TTS gives it (pkg/scripting/javascript, …).
        namespace:
          typeof error.attributes['namespace'] === 'string'
            ? error.attributes['namespace']
            : ERROR_NAMESPACE,
        name: error.code,
        message_format: error.message,
        code: grpcCode,
      },
    },
  };
}
