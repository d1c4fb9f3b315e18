export { decodeCayenneLpp, encodeCayenneLpp } from './cayennelpp';
export { FormatterEngine } from './engine';
export type { FormatterEngineOptions } from './engine';
export { FormatterError } from './errors';
export type { FormatterErrorCode } from './errors';
export { DEFAULT_SANDBOX_LIMITS, resolveLimits } from './limits';
export type { SandboxLimits } from './limits';
export {
  DOWNLINK_ENCODE_FAIL_EVENT,
  formatterErrorDetails,
  formattersOf,
  UPLINK_DECODE_FAIL_EVENT,
  uplinkMessageFields,
} from './tts';
export type { TtsErrorDetails, TtsMessagePayloadFormatters } from './tts';
export { FORMATTER_TYPES } from './types';
export type {
  DownlinkDecodeInput,
  DownlinkDecodeResult,
  DownlinkEncodeInput,
  DownlinkEncodeResult,
  Formatter,
  FormatterType,
  NormalizedUplink,
  UplinkDecodeInput,
  UplinkDecodeResult,
} from './types';
