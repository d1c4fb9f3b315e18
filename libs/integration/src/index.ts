export { readApplicationUp, republishedMessage, THING_EVENT_OF } from './application-up';
export {
  addressToURL,
  parseConfig,
  parseDefaultFrequencyPlanID,
  parseRegistryConfig,
} from './config';
export type { IntegrationConfig, RegistryConfig, ThingNameScheme } from './config';
export {
  KnownSessions,
  RepushRefusedError,
  reserveDownlinkFCnt,
  writeSessionReport,
} from './downlink-counter';
export type { Reservation, ReservationOptions } from './downlink-counter';
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
export type {
  DownlinkFailedAnswer,
  DownlinkRequest,
  PushDownlink,
  PushTarget,
} from './downlink-request';
export {
  DECRYPT_FAILURES_METRIC,
  decryptDownlinkPayload,
  decryptUplinkPayload,
  encryptDownlinkPayload,
  KekRingSource,
  MAX_FRM_PAYLOAD_BYTES,
  reencryptDownlinkPayload,
  REFUSED_SESSION_KEYS_METRIC,
  unwrapCounted,
} from './e2e-session';
export type { KekRingOptions } from './e2e-session';
export {
  ConfigurationError,
  DownlinkRejectedError,
  InputError,
  IntegrationError,
  ShadowVersionConflictError,
  StackMismatchError,
  ThingAlreadyExistsError,
  ThingVersionConflictError,
  TransientError,
} from './errors';
export {
  InMemorySecretReader,
  InMemoryShadowStore,
  InMemoryThingRegistry,
  inMemoryProvisioning,
  inMemoryTraffic,
} from './in-memory';
export type { PortCall, RecordedLogLine } from './in-memory';
export type {
  Counters,
  CreateThingInput,
  Log,
  MessagePublisher,
  RefreshableSecretReader,
  SecretReader,
  ShadowDocument,
  ShadowStore,
  ShadowUpdate,
  ThingQuery,
  ThingRecord,
  ThingRegistry,
} from './ports';
export {
  isNewerUplink,
  JOIN_F_CNT,
  joinAcceptReport,
  LORAWAN_SHADOW_NAME,
  parseReceivedAt,
  readDownlinkSession,
  pushFingerprint,
  sessionCountersReport,
  shadowUplinkPosition,
  uplinkReport,
  withDecodedPayload,
} from './shadow-state';
export type {
  DownlinkCounters,
  DownlinkSession,
  EarlierSession,
  JoinAcceptReportInput,
  PayloadPlacement,
  Reception,
  RecentDownlink,
  ReportedSession,
  ShadowKeyEnvelope,
  ShadowReport,
  UplinkPosition,
  UplinkReportInput,
} from './shadow-state';
export { deviceIDOfThing, thingNameFor } from './thing-name';
export type { DeviceIdentity, ThingNaming } from './thing-name';
export {
  DROPPED_DOWNLINKS_METRIC,
  keptSessionKey,
  MAX_MOVED_ATTEMPT,
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
  KeptSessionKey,
  MovableDownlink,
} from './invalidated-downlinks';
export { otherThingsOfDevEUI, ThingDirectory } from './things';
export type { ThingDirectoryConfig } from './things';
export { FORMATTER_LOOKUP_FAILURES_METRIC, FormatterDirectory } from './formatter-resolution';
export type {
  FormatterCacheOptions,
  FormatterDirection,
  FormatterReads,
  FormatterSpec,
  ResolvedFormatter,
} from './formatter-resolution';
export {
  decodeUplinkPayload,
  DOWNLINK_ENCODE_FAILURES_METRIC,
  encodeDownlinkPayload,
  formatterToolkit,
  trafficFormatting,
  UPLINK_DECODE_FAILURES_METRIC,
} from './payload-formatting';
export type {
  EncodedDownlink,
  FormatterToolkit,
  FormattingContext,
  PayloadFormatterRunner,
  PayloadFormatting,
  UplinkFormatting,
} from './payload-formatting';
export { KnownShadows, trafficDependencies } from './traffic';
export type { KnownShadow, TrafficDependencies, TrafficPorts } from './traffic';
export { createTtsClient } from './tts-client';
export type { TtsClientSettings } from './tts-client';
export { DEVICE_ATTRIBUTES, provisioningKind } from './device-attributes';
export type {
  ClaimDeviceSpec,
  DeviceAttributeContext,
  OtaaDeviceSpec,
  ProvisioningKind,
} from './device-attributes';
export {
  deviceDeletionRefusal,
  handleRegistryEventOnce,
  provisioningDependencies,
  provisionThing,
  publishFailedOutcome,
  RecentEvents,
} from './provisioning';
export type {
  IgnoreEvent,
  ProvisioningDependencies,
  ProvisioningOutcome,
  ProvisioningPorts,
  ProvisioningStatus,
  RegistryFlowResult,
  ThingRegistryEvent,
} from './provisioning';
