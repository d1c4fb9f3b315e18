// `@tts-aws-iot/integration/traffic`: the uplink and downlink side (E2E session, shadow state,
// the downlink session in downlink-session/, downlink requests, payload formatting and the
// traffic dependencies). Only names that a project outside this library imports are exported.
export { readApplicationUp, republishedMessage, THING_EVENT_OF } from './application-up';
export { KnownShadows, trafficDependencies } from './dependencies';
export type { TrafficDependencies } from './dependencies';
export {
  encryptAtReservedFCnt,
  followDownlinkEvent,
  KnownSessions,
  MAX_DOWNLINK_REPUSHES,
  pushFingerprint,
  reserveDownlinkFCnt,
  sessionCountersReport,
} from './downlink-session';
export type { ReportedSession } from './downlink-session';
export {
  downlinkCorrelationIDs,
  downlinkFailedAnswer,
  downlinkPush,
  GrpcCode,
  parseDownlinkRequest,
  requestedThingName,
} from './downlink-request';
export type { DownlinkRequest, PushDownlink } from './downlink-request';
export {
  DECRYPT_FAILURES_METRIC,
  decryptUplinkPayload,
  KekRingSource,
  REFUSED_SESSION_KEYS_METRIC,
  unwrapCounted,
} from './e2e-session';
export { FormatterDirectory } from './formatter-resolution';
export {
  decodeUplinkPayload,
  encodeDownlinkPayload,
  formatterToolkit,
  trafficFormatting,
} from './payload-formatting';
export type {
  EncodedDownlink,
  FormatterToolkit,
  PayloadFormatting,
  UplinkFormatting,
} from './payload-formatting';
export {
  isNewerUplink,
  JOIN_F_CNT,
  joinAcceptReport,
  LORAWAN_SHADOW_NAME,
  parseReceivedAt,
  shadowUplinkPosition,
  uplinkReport,
  withDecodedPayload,
} from './shadow-state';
export type { ShadowKeyEnvelope, ShadowReport, UplinkPosition } from './shadow-state';
