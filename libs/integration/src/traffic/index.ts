// `@tts-aws-iot/integration/traffic`: the uplink and downlink side (E2E session, shadow state,
// FCntDown reservation, downlink requests, invalidated downlinks, payload formatting and the
// traffic dependencies). Only names that a project outside this library imports are exported.
export { readApplicationUp, republishedMessage, THING_EVENT_OF } from './application-up';
export { KnownShadows, trafficDependencies } from './dependencies';
export type { TrafficDependencies } from './dependencies';
export { KnownSessions, RepushRefusedError, reserveDownlinkFCnt } from './downlink-counter';
export type { Reservation } from './downlink-counter';
export {
  downlinkCorrelationIDs,
  downlinkFailedAnswer,
  downlinkPush,
  GrpcCode,
  ownDownlink,
  parseDownlinkRequest,
  pushAttemptID,
  requestedThingName,
} from './downlink-request';
export type { DownlinkRequest, PushDownlink, PushTarget } from './downlink-request';
export {
  DECRYPT_FAILURES_METRIC,
  decryptDownlinkPayload,
  decryptUplinkPayload,
  encryptDownlinkPayload,
  KekRingSource,
  reencryptDownlinkPayload,
  REFUSED_SESSION_KEYS_METRIC,
  unwrapCounted,
} from './e2e-session';
export { FormatterDirectory } from './formatter-resolution';
export {
  DROPPED_DOWNLINKS_METRIC,
  MAX_REQUEUED_DOWNLINKS,
  movableDownlink,
  readInvalidatedDownlinks,
  readJoinInvalidatedDownlinks,
  REQUEUED_DOWNLINKS_METRIC,
  withoutSessionKeys,
} from './invalidated-downlinks';
export type {
  InvalidatedDownlink,
  InvalidatedDownlinks,
  MovableDownlink,
} from './invalidated-downlinks';
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
  pushFingerprint,
  readDownlinkSession,
  sessionCountersReport,
  shadowUplinkPosition,
  uplinkReport,
  withDecodedPayload,
} from './shadow-state';
export type {
  ReportedSession,
  ShadowKeyEnvelope,
  ShadowReport,
  UplinkPosition,
} from './shadow-state';
