export { readApplicationUp, republishedMessage, THING_EVENT_OF } from './traffic/application-up';
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
} from './traffic/downlink-counter';
export type { Reservation, ReservationOptions } from './traffic/downlink-counter';
export {
  downlinkCorrelationIDs,
  downlinkFailedAnswer,
  downlinkPush,
  GrpcCode,
  ownDownlink,
  parseDownlinkRequest,
  pushAttemptID,
  requestedThingName,
} from './traffic/downlink-request';
export type {
  DownlinkFailedAnswer,
  DownlinkRequest,
  PushDownlink,
  PushTarget,
} from './traffic/downlink-request';
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
} from './traffic/e2e-session';
export type { KekRingOptions } from './traffic/e2e-session';
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
} from './testing/in-memory';
export type { PortCall, RecordedLogLine } from './testing/in-memory';
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
} from './traffic/shadow-state';
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
} from './traffic/shadow-state';
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
} from './traffic/invalidated-downlinks';
export type {
  InvalidatedDownlink,
  InvalidatedDownlinks,
  KeptSessionKey,
  MovableDownlink,
} from './traffic/invalidated-downlinks';
export { otherThingsOfDevEUI, ThingDirectory } from './things';
export type { ThingDirectoryConfig } from './things';
export {
  FORMATTER_LOOKUP_FAILURES_METRIC,
  FormatterDirectory,
} from './traffic/formatter-resolution';
export type {
  FormatterCacheOptions,
  FormatterDirection,
  FormatterReads,
  FormatterSpec,
  ResolvedFormatter,
} from './traffic/formatter-resolution';
export {
  decodeUplinkPayload,
  DOWNLINK_ENCODE_FAILURES_METRIC,
  encodeDownlinkPayload,
  formatterToolkit,
  trafficFormatting,
  UPLINK_DECODE_FAILURES_METRIC,
} from './traffic/payload-formatting';
export type {
  EncodedDownlink,
  FormatterToolkit,
  FormattingContext,
  PayloadFormatterRunner,
  PayloadFormatting,
  UplinkFormatting,
} from './traffic/payload-formatting';
export { KnownShadows, trafficDependencies } from './traffic/dependencies';
export type { KnownShadow, TrafficDependencies, TrafficPorts } from './traffic/dependencies';
export { createTtsClient } from './tts-client';
export type { TtsClientSettings } from './tts-client';
export { DEVICE_ATTRIBUTES, provisioningKind } from './registry/device-attributes';
export type {
  ClaimDeviceSpec,
  DeviceAttributeContext,
  OtaaDeviceSpec,
  ProvisioningKind,
} from './registry/device-attributes';
export {
  deviceDeletionRefusal,
  handleRegistryEventOnce,
  provisioningDependencies,
  provisionThing,
  publishFailedOutcome,
  RecentEvents,
} from './registry/provisioning';
export type {
  IgnoreEvent,
  ProvisioningDependencies,
  ProvisioningOutcome,
  ProvisioningPorts,
  ProvisioningStatus,
  RegistryFlowResult,
  ThingRegistryEvent,
} from './registry/provisioning';
