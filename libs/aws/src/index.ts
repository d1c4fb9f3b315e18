export { createAwsPorts } from './aws-ports';
export type { AwsPorts, AwsPortsOptions, ControlPlanePorts } from './aws-ports';
export {
  createCloudWatchLogsClient,
  createIotClient,
  createIotDataClient,
  createSecretsManagerClient,
} from './clients';
export type { ClientOptions } from './clients';
export {
  customResourceHandler,
  FAILED_CREATE_PREFIX,
  MAX_RESPONSE_BYTES,
  respondToCloudFormation,
} from './custom-resource';
export type {
  CustomResourceContext,
  CustomResourceCreateEvent,
  CustomResourceDeleteEvent,
  CustomResourceEvent,
  CustomResourceHandlerOptions,
  CustomResourceLog,
  CustomResourceLogic,
  CustomResourceOutcome,
  CustomResourceProperties,
  CustomResourceResult,
  CustomResourceUpdateEvent,
  RespondOptions,
} from './custom-resource';
export {
  AwsDeploymentError,
  AwsRequestError,
  CloudFormationResponseError,
  fromAwsError,
} from './errors';
export type { AwsCallSite } from './errors';
export { existingKekFromEnvironment, ExistingKekSecretReader } from './existing-kek';
export type { ExistingKek } from './existing-kek';
export {
  CloudWatchProvisioningLog,
  cloudWatchProvisioningLog,
  provisioningLogFromEnvironment,
  withProvisioningLog,
} from './provisioning-log';
export type {
  ProvisioningLogClients,
  ProvisioningLogEntry,
  ProvisioningLogOptions,
  ProvisioningLogSettings,
  ProvisioningLogTarget,
  ProvisioningLogWriter,
} from './provisioning-log';
export { IotDataPublisher, MAX_PUBLISH_PAYLOAD_BYTES } from './publisher';
export { CachedSecretReader, SecretsManagerSecretReader } from './secrets';
export { registryDependenciesFromEnvironment } from './registry-dependencies';
export type { RegistryLambdaContext } from './registry-dependencies';
export { IotShadowStore } from './shadow-store';
export { IotThingRegistry } from './thing-registry';
export { IotThingTypeAdmin } from './thing-types';
export type { ThingPage, ThingSummary, ThingTypeRecord } from './thing-types';
