import type { FormatterError } from './errors';

/** The Things Stack's `PayloadFormatter` enum, as its JSON API writes it. */
export type FormatterType =
  | 'FORMATTER_NONE'
  | 'FORMATTER_JAVASCRIPT'
  | 'FORMATTER_CAYENNELPP'
  | 'FORMATTER_REPOSITORY'
  | 'FORMATTER_GRPC_SERVICE';

/** Every `FormatterType`, in the order of The Things Stack's enum values. */
export const FORMATTER_TYPES: readonly FormatterType[] = [
  'FORMATTER_NONE',
  'FORMATTER_REPOSITORY',
  'FORMATTER_GRPC_SERVICE',
  'FORMATTER_JAVASCRIPT',
  'FORMATTER_CAYENNELPP',
];

/**
 * One direction's formatter: The Things Stack's `up_formatter` with `up_formatter_parameter`
 * (or the `down_` pair), or a Device Repository answer (`formatter`, `formatter_parameter`).
 * `origin: 'repository'` marks a script that came from the Device Repository: The Things
 * Stack exempts those from the custom-script length limit, and so does the engine.
 */
export interface Formatter {
  readonly type: FormatterType;
  /** The script for `FORMATTER_JAVASCRIPT`; host:port for `FORMATTER_GRPC_SERVICE`. */
  readonly parameter?: string;
  readonly origin?: 'custom' | 'repository';
}

/** An uplink's decrypted FRMPayload and FPort (and, as TTS 3.33.1+ gives it, its time). */
export interface UplinkDecodeInput {
  readonly bytes: Uint8Array;
  readonly fPort: number;
  /** Passed to `decodeUplink` as `recvTime` (a Date) when given. */
  readonly recvTime?: Date;
}

/**
 * `normalizeUplink`'s result, as The Things Stack keeps it: `data` (an object or an array)
 * always becomes an array of measurements.
 */
export interface NormalizedUplink {
  readonly data: Record<string, unknown>[];
  readonly warnings: string[];
}

/**
 * The outcome of decoding an uplink. `ok` is true when there is nothing to report as a
 * failure (also for `FORMATTER_NONE` and FPort 0, which are not decoded: then `data` is
 * absent). On failure `error` says why, `errors` holds the formatter's own error strings
 * (or the error's message), and `data` and `normalized` are absent, as The Things Stack
 * then delivers only `frm_payload`.
 */
export interface UplinkDecodeResult {
  readonly ok: boolean;
  /** Goes to `uplink_message.decoded_payload`. */
  readonly data?: Record<string, unknown>;
  /** Go to `uplink_message.decoded_payload_warnings`. */
  readonly warnings: string[];
  readonly errors: string[];
  /** Goes to `uplink_message.normalized_payload` (and `normalized_payload_warnings`). */
  readonly normalized?: NormalizedUplink;
  readonly error?: FormatterError;
}

/** A downlink request's decoded payload and, when the request sets one, its FPort. */
export interface DownlinkEncodeInput {
  readonly data: unknown;
  readonly fPort?: number;
}

/**
 * The outcome of encoding a downlink. With `ok`, `bytes` is the FRMPayload and `fPort` the
 * port to send on: the encoder's, else the request's, else 1 (as The Things Stack does).
 */
export interface DownlinkEncodeResult {
  readonly ok: boolean;
  readonly bytes?: Uint8Array;
  readonly fPort?: number;
  readonly warnings: string[];
  readonly errors: string[];
  readonly error?: FormatterError;
}

/** A downlink's FRMPayload and FPort, for `decodeDownlink`. */
export interface DownlinkDecodeInput {
  readonly bytes: Uint8Array;
  readonly fPort: number;
}

/** The outcome of `decodeDownlink`: like an uplink's, without normalization. */
export interface DownlinkDecodeResult {
  readonly ok: boolean;
  readonly data?: Record<string, unknown>;
  readonly warnings: string[];
  readonly errors: string[];
  readonly error?: FormatterError;
}
