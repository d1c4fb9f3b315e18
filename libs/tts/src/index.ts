export { TtsError, TtsMessageError } from './errors';
export { APPLICATION_UP_TYPES, findErrorDetails, parseApplicationUp } from './messages';
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
  DOWNLINK_RULE_SQL_TEMPLATE,
  RULE_SQL_VERSION,
  STACK_NAME_PLACEHOLDER,
  THING_CREATED_EVENT_TOPIC,
  THING_CREATED_RULE_SQL_TEMPLATE,
  THING_DELETED_EVENT_TOPIC,
  THING_DELETED_RULE_SQL_TEMPLATE,
  THING_EVENTS,
  THING_TYPE_NAME_PLACEHOLDER,
  TTS_BASE_TOPIC_TEMPLATE,
  TTS_DOWNLINK_PUSH_TOPIC_TEMPLATE,
  TTS_DOWNSTREAM_SUBTOPICS,
  TTS_UPSTREAM_SUBTOPICS,
  UPLINK_RULE_SQL_TEMPLATE,
  downlinkRuleSql,
  thingCreatedRuleSql,
  thingDeletedRuleSql,
  thingTopic,
  ttsBaseTopic,
  ttsDownlinkPushTopic,
  ttsDownlinkReplaceTopic,
  ttsUpstreamTopic,
  uplinkRuleSql,
} from './topics';
export type { ThingEvent, TtsDownstreamSubtopic, TtsUpstreamSubtopic } from './topics';
// The HTTP API client.
export { TtsApiError, TtsConnectionError, TtsRegistrationError } from './errors';
export { isNotFound, serverAddress, TtsClient } from './client/client';
export { apiPath, TtsHttp } from './client/http';
export { deleteEndDeviceEverywhere, registerEndDevice } from './client/registration';
export type {
  EndDeviceRegistration,
  EndDeviceRegistryApi,
  UndoFailureListener,
} from './client/registration';
export type { FetchFunction, TtsHttpOptions, TtsRequest } from './client/http';
export { missingRights, REQUIRED_APPLICATION_RIGHTS } from './client/rights';
export { MAC_VERSIONS, PHY_VERSIONS } from './client/types';
export type {
  ApplicationServerDevice,
  AuthInfo,
  AwsIotPubSub,
  ClaimRequest,
  EndDeviceIDs,
  IdentityServerDevice,
  JoinServerDevice,
  MacVersion,
  NetworkServerDevice,
  OtaaDeviceIDs,
  PhyVersion,
} from './client/types';
