export { TtsError, TtsMessageError } from './errors';
export { findErrorDetails, parseApplicationUp } from './messages';
export type {
  ApplicationDownlink,
  ApplicationDownlinkJson,
  ApplicationJoinAccept,
  ApplicationLocation,
  ApplicationServiceData,
  ApplicationUp,
  ApplicationUpEvent,
  ApplicationUplink,
  DownlinkEventType,
  DownlinkQueueRequestJson,
  EndDeviceIds,
  ErrorDetails,
  ErrorDetailsJson,
  RxMetadata,
} from './messages';
export {
  DOWNLINK_REQUEST_FAILED_TOPIC,
  DOWNLINK_REQUEST_TOPIC,
  RULE_SQL_VERSION,
  THING_CREATED_RULE_SQL_TEMPLATE,
  THING_EVENTS,
  TTS_DOWNSTREAM_SUBTOPICS,
  TTS_UPSTREAM_SUBTOPICS,
  UPLINK_RULE_SQL_TEMPLATE,
  desiredDownlinkRuleSql,
  downlinkRuleSql,
  LORAWAN_SHADOW_DELTA_TOPIC,
  thingCreatedRuleSql,
  thingDeletedRuleSql,
  thingTopic,
  ttsDownlinkPushTopic,
  ttsDownlinkReplaceTopic,
  ttsUpstreamTopic,
  uplinkRuleSql,
} from './topics';
export type { ThingEvent, TtsUpstreamSubtopic } from './topics';
// The HTTP API client.
export {
  TtsApiError,
  TtsConnectionError,
  TtsRegistrationError,
  TtsRegistrationPendingError,
} from './errors';
export { serverAddress, TtsClient } from './client/client';
export { deleteEndDeviceEverywhere, hasMarker, registerEndDevice } from './client/registration';
export type {
  ClaimActivation,
  DeviceMarker,
  EndDeviceActivation,
  EndDeviceRegistration,
  EndDeviceRegistryApi,
  RootKeysActivation,
  UndoFailureListener,
} from './client/registration';
export { CLAIM_REGISTRATION, OTAA_REGISTRATION } from './client/registration-steps';
export type { RegistrationStep, StepContext } from './client/registration-steps';
export type { FetchFunction, TtsHttpOptions, TtsRequest } from './client/http';
export { missingRights, REQUIRED_APPLICATION_RIGHTS } from './client/rights';
export type {
  ApplicationServerDevice,
  ApplicationServerFormatters,
  AuthInfo,
  AwsIotPubSub,
  ClaimRequest,
  EndDeviceIDs,
  EndDeviceVersionIDs,
  IdentityServerDevice,
  JoinServerDevice,
  MacVersion,
  MessagePayloadFormatters,
  NetworkServerDevice,
  OtaaDeviceIDs,
  PayloadFormatter,
  PayloadFormatterType,
  PhyVersion,
  RegisteredEndDevice,
  RepositoryCodecDirection,
} from './client/types';
