import type { FormatterError, FormatterErrorCode } from './errors';
import type { Formatter, FormatterType, UplinkDecodeResult } from './types';

/** The event The Things Stack's Application Server raises when an uplink does not decode. */
export const UPLINK_DECODE_FAIL_EVENT = 'as.up.data.decode.fail';
/** The event it raises when a downlink's decoded payload does not encode. */
export const DOWNLINK_ENCODE_FAIL_EVENT = 'as.down.data.encode.fail';

/**
 * The Things Stack's `ErrorDetails` (swagger `v3ErrorDetails`), as its JSON API writes it:
 * `downlink_failed.error`, the data of `as.up.data.decode.fail`, the `details` of an API
 * error. Zero values are left out, as The Things Stack leaves them out.
 */
export interface TtsErrorDetails {
  readonly namespace: string;
  readonly name: string;
  readonly message_format: string;
  readonly attributes?: Readonly<Record<string, unknown>>;
  /** The gRPC status code (4 DeadlineExceeded, 10 Aborted, 2 Unknown, 3 InvalidArgument…). */
  readonly code: number;
}

/** Where The Things Stack defines the error each failure corresponds to. */
const SCRIPTING = 'pkg/scripting/javascript';
const JAVASCRIPT = 'pkg/messageprocessors/javascript';
const CAYENNELPP = 'pkg/messageprocessors/cayennelpp';
/** Failures The Things Stack has no error for (it cannot meet them): this library's own. */
const OURS = 'tts-aws-iot/formatters';

type Details = Omit<TtsErrorDetails, 'attributes'>;

function details(namespace: string, name: string, code: number, format = '{message}'): Details {
  return { namespace, name, message_format: format, code };
}

const DETAILS: Readonly<Record<FormatterErrorCode, Details>> = {
  formatter_timeout: details(SCRIPTING, 'script_timeout', 4, 'script timeout'),
  formatter_memory: details(SCRIPTING, 'script', 10),
  formatter_stack: details(SCRIPTING, 'script', 10),
  formatter_error: details(SCRIPTING, 'script', 10),
  formatter_reported_errors: details(JAVASCRIPT, 'output_errors', 10, '{errors}'),
  formatter_output: details(JAVASCRIPT, 'output', 2, 'invalid output'),
  formatter_too_large: details(OURS, 'script_too_large', 3),
  formatter_unsupported: details(OURS, 'formatter_unsupported', 12),
  formatter_sandbox: details(OURS, 'sandbox', 14),
  formatter_input: details(OURS, 'input', 3),
};

/**
 * The `ErrorDetails` The Things Stack would give for `error`: `script_timeout`, `script`
 * (a throw, and here also the memory and stack limits, which goja lacks), `output_errors`
 * (the formatter's `errors`, joined by ", " as The Things Stack joins them), `output` and
 * `no_script_output`; CayenneLPP's `output`. Failures The Things Stack cannot meet carry
 * the namespace `tts-aws-iot/formatters`.
 */
export function formatterErrorDetails(error: FormatterError): TtsErrorDetails {
  if (error.code === 'formatter_reported_errors') {
    const errors = error.attributes['errors'];
    const joined = Array.isArray(errors) ? errors.join(', ') : '';
    return { ...DETAILS.formatter_reported_errors, attributes: { errors: joined } };
  }
  if (error.code === 'formatter_output' && error.attributes['tts'] === 'no_script_output') {
    return details(SCRIPTING, 'no_script_output', 10, 'no script output');
  }
  const cayenne = error.attributes['formatter'] === 'FORMATTER_CAYENNELPP';
  const base = cayenne ? details(CAYENNELPP, 'output', 2, 'invalid output') : DETAILS[error.code];
  return { ...base, attributes: { message: error.message } };
}

/**
 * The `uplink_message` fields a decode result sets, as The Things Stack sets them:
 * `decoded_payload` and `decoded_payload_warnings`, and `normalized_payload` (with its
 * warnings) when `normalizeUplink` gave measurements. Empty lists are left out. A failed
 * or skipped decode sets nothing: the uplink then carries only `frm_payload`.
 */
export function uplinkMessageFields(result: UplinkDecodeResult): Record<string, unknown> {
  if (!result.ok || result.data === undefined) return {};
  return {
    decoded_payload: result.data,
    ...(result.warnings.length > 0 ? { decoded_payload_warnings: result.warnings } : {}),
    ...(result.normalized === undefined ? {} : { normalized_payload: result.normalized.data }),
    ...(result.normalized !== undefined && result.normalized.warnings.length > 0
      ? { normalized_payload_warnings: result.normalized.warnings }
      : {}),
  };
}

/** The Things Stack's `MessagePayloadFormatters` (a device's `formatters`, a link's `default_formatters`). */
export interface TtsMessagePayloadFormatters {
  readonly up_formatter?: string;
  readonly up_formatter_parameter?: string;
  readonly down_formatter?: string;
  readonly down_formatter_parameter?: string;
}

/**
 * Both directions' formatters of a `MessagePayloadFormatters`; an absent formatter is
 * `FORMATTER_NONE` (the JSON API leaves zero values out). An unknown type is kept, and the
 * engine reports it `formatter_unsupported`.
 */
export function formattersOf(formatters: TtsMessagePayloadFormatters | undefined): {
  readonly uplink: Formatter;
  readonly downlink: Formatter;
} {
  return {
    uplink: formatterOf(formatters?.up_formatter, formatters?.up_formatter_parameter),
    downlink: formatterOf(formatters?.down_formatter, formatters?.down_formatter_parameter),
  };
}

function formatterOf(type: string | undefined, parameter: string | undefined): Formatter {
  return {
    type: (type ?? 'FORMATTER_NONE') as FormatterType,
    ...(parameter === undefined ? {} : { parameter }),
  };
}
