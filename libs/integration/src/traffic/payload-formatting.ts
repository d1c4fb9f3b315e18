/**
 * Payload formatters under end-to-end encryption (docs/architecture.md "Payload formatters"):
 * the Application Server cannot run them on payloads it cannot read, so the traffic
 * functions do, after decrypting an uplink and before encrypting a downlink, with the
 * device's formatter ({@link FormatterDirectory}) in the `@tts-aws-iot/formatters` engine.
 * Results land where TTS puts them; a failure gives TTS's own failed shape: the uplink goes
 * on without `decoded_payload`, a downlink is refused with the formatter's `ErrorDetails`.
 */
// Types only: the library (the QuickJS WebAssembly module with it) is loaded on first use, so
// that a container that never meets a formatter does not pay for it at its start.
import type {
  DownlinkEncodeInput,
  DownlinkEncodeResult,
  Formatter,
  FormatterError,
  TtsErrorDetails,
  UplinkDecodeInput,
  UplinkDecodeResult,
} from '@tts-aws-iot/formatters';
import type { IntegrationConfig } from '../config';
import { DownlinkRejectedError, IntegrationError } from '../errors';
import {
  FORMATTER_LOOKUP_FAILURES_METRIC,
  FormatterDirectory,
  type FormatterCacheOptions,
  type ResolvedFormatter,
} from './formatter-resolution';
import type { Counters, Log, RefreshableSecretReader } from '../ports';
import { createTtsClient } from '../tts-client';

/** What runs formatters (the `FormatterEngine` of `@tts-aws-iot/formatters`). */
export interface PayloadFormatterRunner {
  decodeUplink(formatter: Formatter, input: UplinkDecodeInput): Promise<UplinkDecodeResult>;
  encodeDownlink(formatter: Formatter, input: DownlinkEncodeInput): Promise<DownlinkEncodeResult>;
}

/** What the traffic functions use of `@tts-aws-iot/formatters`: its engine and TTS shapes. */
export interface FormatterToolkit {
  readonly runner: PayloadFormatterRunner;
  /** TTS's `ErrorDetails` for a formatter's failure. */
  errorDetails(error: FormatterError): TtsErrorDetails;
  /** The `uplink_message` fields a decode result sets. */
  uplinkMessageFields(result: UplinkDecodeResult): Record<string, unknown>;
  /** `as.up.data.decode.fail`, `as.down.data.encode.fail`. */
  readonly uplinkDecodeFailEvent: string;
  readonly downlinkEncodeFailEvent: string;
}

/** The toolkit of the loaded `@tts-aws-iot/formatters` module, with a new engine. */
export function formatterToolkit(
  formatters: typeof import('@tts-aws-iot/formatters'),
): FormatterToolkit {
  return {
    runner: new formatters.FormatterEngine(),
    errorDetails: formatters.formatterErrorDetails,
    uplinkMessageFields: formatters.uplinkMessageFields,
    uplinkDecodeFailEvent: formatters.UPLINK_DECODE_FAIL_EVENT,
    downlinkEncodeFailEvent: formatters.DOWNLINK_ENCODE_FAIL_EVENT,
  };
}

/** Formatting in a traffic function: where formatters are found, and what runs them. */
export interface PayloadFormatting {
  readonly formatters: FormatterDirectory;
  /** Loaded on first use, so that a container whose devices have no formatter never loads it. */
  readonly toolkit: () => Promise<FormatterToolkit>;
}

/**
 * The formatting of a traffic function's container: formatters read through the TTS API
 * (with the key from its secret), run by a `FormatterEngine` made on first use. Only with
 * E2E: without it TTS formats payloads itself, and nothing here is built.
 */
export function trafficFormatting(
  config: Pick<IntegrationConfig, 'e2eEnabled' | 'clusterURL' | 'apiKeySecretID' | 'applicationID'>,
  secrets: RefreshableSecretReader,
  options: FormatterCacheOptions = {},
): PayloadFormatting | undefined {
  if (!config.e2eEnabled) return undefined;
  let toolkit: Promise<FormatterToolkit> | undefined;
  return {
    formatters: new FormatterDirectory(
      createTtsClient(config, secrets),
      config.applicationID,
      options,
    ),
    toolkit: () => (toolkit ??= import('@tts-aws-iot/formatters').then(formatterToolkit)),
  };
}

/** The metric counting uplinks whose formatter failed (they are republished undecoded). */
export const UPLINK_DECODE_FAILURES_METRIC = 'UplinkDecodeFailures';
/** The metric counting downlinks refused because their formatter failed. */
export const DOWNLINK_ENCODE_FAILURES_METRIC = 'DownlinkEncodeFailures';

/** Where the integration's own formatter errors (none TTS could meet) are defined. */
const ERROR_NAMESPACE = 'tts-aws-iot';
/** gRPC FAILED_PRECONDITION, as TTS answers a device whose formatter cannot be had. */
const FAILED_PRECONDITION = 9;

/**
 * What decoding an uplink adds to the republished message: the `uplink_message` fields
 * (`decoded_payload`, `decoded_payload_warnings`, `normalized_payload`, …) and, after a
 * failure, TTS's `as.up.data.decode.fail` event beside the message (`decode_failure`).
 */
export interface UplinkFormatting {
  readonly fields: Readonly<Record<string, unknown>>;
  /** `decoded_payload`, for the shadow's `payload`. */
  readonly payload?: Readonly<Record<string, unknown>>;
  readonly failure?: { readonly name: string; readonly data: TtsErrorDetails };
}

/** Who is decoding what, for the log lines. */
export interface FormattingContext {
  readonly deviceID: string;
  readonly thingName: string;
  readonly log: Log;
  readonly counters: Counters;
}

/**
 * Decodes a decrypted uplink with the device's formatter, as the AS would without E2E.
 * FPort 0 and devices without a formatter give `undefined` (nothing to add). A failure of
 * the lookup, of the formatter or of its output is logged, counted and stated in
 * `failure`: the uplink is still republished, as TTS forwards an uplink it cannot decode.
 */
export async function decodeUplinkPayload(
  formatting: PayloadFormatting,
  input: { readonly bytes: Uint8Array; readonly fPort: number; readonly receivedAt?: string },
  context: FormattingContext,
): Promise<UplinkFormatting | undefined> {
  if (input.fPort === 0) return undefined;
  const resolved = await resolve(formatting, 'up', context);
  if (resolved.kind === 'none') return undefined;
  const kit = await formatting.toolkit();
  if (resolved.kind === 'unavailable') return uplinkFailure(kit, context, resolved.details);
  const recvTime = input.receivedAt === undefined ? undefined : new Date(input.receivedAt);
  const result = await kit.runner.decodeUplink(resolved.formatter, {
    bytes: input.bytes,
    fPort: input.fPort,
    ...(recvTime && !Number.isNaN(recvTime.getTime()) ? { recvTime } : {}),
  });
  if (!result.ok) {
    return uplinkFailure(
      kit,
      context,
      result.error
        ? kit.errorDetails(result.error)
        : ownDetails('decode_failed', result.errors.join(', ')),
    );
  }
  const fields = kit.uplinkMessageFields(result);
  if (fields['decoded_payload'] === undefined) return undefined;
  return { fields, payload: result.data };
}

/** The FRMPayload and FPort a downlink's decoded payload encodes to. */
export interface EncodedDownlink {
  readonly bytes: Uint8Array;
  readonly fPort: number;
}

/**
 * Encodes a downlink's decoded `payload` with the device's encoder (`encodeDownlink`, or
 * the legacy `Encoder`). The FPort is the request's when it set one, else the encoder's
 * (else 1).
 *
 * @throws DownlinkRejectedError `no_downlink_formatter` for a device without one,
 *   `formatter_unavailable` when it cannot be had, or the failure's TTS error name
 *   (`output_errors`, `script`, `script_timeout`, …), with its `ErrorDetails` as attributes
 */
export async function encodeDownlinkPayload(
  formatting: PayloadFormatting,
  request: { readonly payload: Readonly<Record<string, unknown>>; readonly fPort?: number },
  context: FormattingContext,
): Promise<EncodedDownlink> {
  const resolved = await resolve(formatting, 'down', context);
  if (resolved.kind === 'none') {
    throw new DownlinkRejectedError(
      'no_downlink_formatter',
      `Device ${context.deviceID} has no downlink formatter (its own, or the application's default), so its decoded payload cannot be encoded. Set one in The Things Stack, or send the FRMPayload as bytes.`,
      FAILED_PRECONDITION,
      { thingName: context.thingName },
    );
  }
  const kit = await formatting.toolkit();
  if (resolved.kind === 'unavailable') throw encodeRefusal(kit, context, resolved.details);
  const result = await kit.runner.encodeDownlink(resolved.formatter, {
    data: request.payload,
    ...(request.fPort === undefined ? {} : { fPort: request.fPort }),
  });
  if (!result.ok || result.bytes === undefined || result.fPort === undefined) {
    throw encodeRefusal(
      kit,
      context,
      result.error
        ? kit.errorDetails(result.error)
        : ownDetails('encode_failed', result.errors.join(', ')),
    );
  }
  return { bytes: result.bytes, fPort: request.fPort ?? result.fPort };
}

type Resolution =
  | { readonly kind: 'none' }
  | { readonly kind: 'run'; readonly formatter: Formatter }
  | { readonly kind: 'unavailable'; readonly details: TtsErrorDetails };

/** The device's formatter, a lookup failure counted and turned into its details. */
async function resolve(
  formatting: PayloadFormatting,
  direction: 'up' | 'down',
  context: FormattingContext,
): Promise<Resolution> {
  let resolved: ResolvedFormatter;
  try {
    resolved = await formatting.formatters.formatterFor(context.deviceID, direction);
  } catch (error) {
    if (!(error instanceof IntegrationError) || error.code !== 'formatter_lookup_failed')
      throw error;
    context.counters.count(FORMATTER_LOOKUP_FAILURES_METRIC);
    return { kind: 'unavailable', details: ownDetails(error.code, error.message) };
  }
  if (resolved.kind === 'unavailable')
    return { kind: 'unavailable', details: ownDetails('formatter_unavailable', resolved.reason) };
  return resolved;
}

function ownDetails(name: string, message: string): TtsErrorDetails {
  return {
    namespace: ERROR_NAMESPACE,
    name,
    message_format: '{message}',
    attributes: { message },
    code: FAILED_PRECONDITION,
  };
}

/** The sentence of an `ErrorDetails`, its `{placeholders}` filled from its attributes. */
function sentence(details: TtsErrorDetails): string {
  return details.message_format.replace(/\{(\w+)\}/g, (whole, key: string) => {
    const value = details.attributes?.[key];
    return value === undefined ? whole : String(value);
  });
}

function uplinkFailure(
  kit: FormatterToolkit,
  context: FormattingContext,
  details: TtsErrorDetails,
): UplinkFormatting {
  context.counters.count(UPLINK_DECODE_FAILURES_METRIC);
  // The formatter's own message may quote the decrypted payload: it goes to the thing's
  // uplink topic (decode_failure), never into the log.
  context.log.warn(
    'Uplink not decoded: its payload formatter failed; republished undecoded, the error in decode_failure',
    {
      thing_name: context.thingName,
      device_id: context.deviceID,
      error_namespace: details.namespace,
      error_name: details.name,
    },
  );
  return { fields: {}, failure: { name: kit.uplinkDecodeFailEvent, data: details } };
}

function encodeRefusal(
  kit: FormatterToolkit,
  context: FormattingContext,
  details: TtsErrorDetails,
): DownlinkRejectedError {
  context.counters.count(DOWNLINK_ENCODE_FAILURES_METRIC);
  return new DownlinkRejectedError(
    details.name,
    `The downlink's payload for ${context.thingName} does not encode (${kit.downlinkEncodeFailEvent}): ${sentence(details).slice(0, 512)}. Fix the payload or the device's downlink formatter, or send the FRMPayload as bytes.`,
    details.code,
    // The formatter's message may quote the request's plaintext payload: it goes to the
    // thing's downlink/failed topic, never into the log (logSafe is what a log may say).
    {
      thingName: context.thingName,
      namespace: details.namespace,
      logSafe: `The downlink's payload does not encode: the device's downlink formatter failed (${details.namespace}, ${details.name}); its message is on the thing's downlink/failed topic.`,
    },
  );
}
