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

function reject(
  code: string,
  message: string,
  attributes: Readonly<Record<string, unknown>> = {},
): DownlinkRejectedError {
  return new DownlinkRejectedError(code, message, GrpcCode.INVALID_ARGUMENT, attributes);
}

function isObject(value: unknown): value is Readonly<Record<string, unknown>> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The thing a request names, when it names a valid one: so that even a request refused for
 * another reason is answered on that thing's topic.
 */
export function requestedThingName(input: unknown): string | undefined {
  const name = isObject(input) ? input['thingName'] : undefined;
  return typeof name === 'string' && THING_NAME.test(name) ? name : undefined;
}

/**
 * Validates a request from `lorawan/downlink`. Fields it does not know are ignored, as The
 * Things Stack's documented integration ignores them (a misspelt optional field, `fport` say,
 * so takes its default); bad values of the fields it knows are refused.
 *
 * @throws DownlinkRejectedError with one of `invalid_request`,
 *   `missing_thing_name`, `invalid_thing_name`, `missing_payload`, `ambiguous_payload`,
 *   `invalid_bytes`, `payload_too_large`, `invalid_payload`, `payload_not_supported_with_e2e`,
 *   `invalid_f_port`, `invalid_confirmed`, `invalid_high_priority`, `invalid_operation`
 */
export function parseDownlinkRequest(
  input: unknown,
  options: {
    readonly e2eEnabled: boolean;
    /** With E2E: payload JSON is taken, as the integration encodes it with the device's formatter. */
    readonly encodesPayload?: boolean;
  },
): DownlinkRequest {
  const request = typeof input === 'string' ? parseJsonText(input) : input;
  if (!isObject(request)) {
    throw reject(
      'invalid_request',
      'The downlink request is not a JSON object. Publish {"thingName":…, "bytes":… or "payload":…, "fPort":…} on lorawan/downlink.',
    );
  }
  const thingName = request['thingName'];
  if (thingName === undefined || thingName === null || thingName === '') {
    throw reject(
      'missing_thing_name',
      'The downlink request has no thingName. Name the thing the downlink is for.',
    );
  }
  if (typeof thingName !== 'string' || !THING_NAME.test(thingName)) {
    throw reject(
      'invalid_thing_name',
      'The downlink request\'s thingName is not a thing name. Use 1 to 128 letters, digits, ":", "_" or "-".',
    );
  }

  const hasBytes = request['bytes'] !== undefined && request['bytes'] !== null;
  const hasPayload = request['payload'] !== undefined && request['payload'] !== null;
  if (!hasBytes && !hasPayload) {
    throw reject(
      'missing_payload',
      `The downlink request for ${thingName} has neither bytes nor payload. Give the FRMPayload as base64 bytes, or payload JSON for the payload formatter.`,
      { thingName },
    );
  }
  if (hasBytes && hasPayload) {
    throw reject(
      'ambiguous_payload',
      `The downlink request for ${thingName} has both bytes and payload. Give exactly one of them.`,
      { thingName },
    );
  }

  let bytes: Uint8Array | undefined;
  let payload: Readonly<Record<string, unknown>> | undefined;
  if (hasBytes) {
    const text = request['bytes'];
    if (typeof text !== 'string' || !BASE64.test(text) || text.length % 4 !== 0) {
      throw reject(
        'invalid_bytes',
        `The downlink request for ${thingName} has bytes that are not base64. Encode the FRMPayload in standard base64 with padding (e.g. "AQI=").`,
        { thingName },
      );
    }
    bytes = new Uint8Array(Buffer.from(text, 'base64'));
    // Node skips what it cannot read (spare bits, padding in the middle); refuse rather than
    // push other bytes than the application meant.
    if (Buffer.from(bytes).toString('base64') !== text) {
      throw reject(
        'invalid_bytes',
        `The downlink request for ${thingName} has bytes that are not canonical base64 (padding inside, or spare bits set). Encode the FRMPayload in standard base64 with padding (e.g. "AQI=").`,
        { thingName },
      );
    }
    if (bytes.length > MAX_DOWNLINK_BYTES) {
      throw reject(
        'payload_too_large',
        `The downlink request for ${thingName} has ${bytes.length} bytes; at most ${MAX_DOWNLINK_BYTES} fit a LoRaWAN downlink. Send less data.`,
        {
          thingName,
          length: bytes.length,
        },
      );
    }
  } else {
    const json = request['payload'];
    if (!isObject(json)) {
      throw reject(
        'invalid_payload',
        `The downlink request for ${thingName} has a payload that is not a JSON object. Give an object for the payload formatter, or bytes.`,
        { thingName },
      );
    }
    if (options.e2eEnabled && !options.encodesPayload) {
      throw reject(
        'payload_not_supported_with_e2e',
        `The downlink request for ${thingName} has payload JSON, but with end-to-end encryption TTS cannot run its payload formatter. Encode the FRMPayload yourself and send it as bytes.`,
        { thingName },
      );
    }
    payload = json;
  }

  const fPort = request['fPort'] ?? 1;
  if (typeof fPort !== 'number' || !Number.isInteger(fPort) || fPort < 1 || fPort > 223) {
    throw reject(
      'invalid_f_port',
      `The downlink request for ${thingName} has fPort ${JSON.stringify(fPort)}. Use a whole number from 1 to 223 (default 1).`,
      { thingName },
    );
  }
  const flag = (field: 'confirmed' | 'highPriority', code: string): boolean => {
    const value = request[field] ?? false;
    if (typeof value !== 'boolean') {
      throw reject(
        code,
        `The downlink request for ${thingName} has ${field} ${JSON.stringify(value)}. Use true or false (default false).`,
        { thingName },
      );
    }
    return value;
  };
  return {
    thingName,
    bytes,
    payload,
    fPort,
    fPortSet: request['fPort'] !== undefined && request['fPort'] !== null,
    confirmed: flag('confirmed', 'invalid_confirmed'),
    highPriority: flag('highPriority', 'invalid_high_priority'),
    operation: operationOf(request['operation'], thingName),
  };
}

/** `operation`: `push` (default) or `replace`. */
function operationOf(value: unknown, thingName: string): DownlinkOperation {
  if (value === undefined || value === null || value === 'push') return 'push';
  if (value === 'replace') return 'replace';
  throw reject(
    'invalid_operation',
    `The downlink request for ${thingName} has operation ${JSON.stringify(value)?.slice(0, 64)}. Use "push" (append to the downlink queue, the default) or "replace" (replace the queue).`,
    { thingName },
  );
}

function parseJsonText(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw reject(
      'invalid_request',
      'The downlink request is not JSON. Publish a JSON object on lorawan/downlink.',
    );
  }
}

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
  const request = isObject(input) ? input : {};
  const thingName = requestedThingName(request);
  const downlink: Record<string, unknown> = {};
  if (typeof request['fPort'] === 'number') downlink['f_port'] = request['fPort'];
  if (options.echoPayload) {
    const bytes = request['bytes'];
    if (
      typeof bytes === 'string' &&
      bytes.length <= Math.ceil(MAX_DOWNLINK_BYTES / 3) * 4 &&
      BASE64.test(bytes) &&
      bytes.length % 4 === 0
    )
      downlink['frm_payload'] = bytes;
    const payload = request['payload'];
    if (isObject(payload) && JSON.stringify(payload).length <= MAX_ECHOED_PAYLOAD_JSON)
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
