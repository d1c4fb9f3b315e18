// The shared root of libs/integration: ports, configuration, errors, and how things are named
// and found. The features have their own entry points: `@tts-aws-iot/integration/traffic`
// (uplink and downlink), `@tts-aws-iot/integration/registry` (provisioning) and
// `@tts-aws-iot/integration/testing` (in-memory doubles, for tests and benches only).
// Only names that a project outside this library imports are exported (a test bounds the count).
export { baseURL, parseConfig, parseDefaultFrequencyPlanID, parseRegistryConfig } from './config';
export type { IntegrationConfig } from './config';
export {
  DownlinkRejectedError,
  InputError,
  IntegrationError,
  ShadowVersionConflictError,
  StackMismatchError,
  ThingAlreadyExistsError,
  ThingVersionConflictError,
  TransientError,
} from './errors';
export type {
  CreateThingInput,
  MessagePublisher,
  SecretReader,
  ShadowDocument,
  ShadowStore,
  ShadowUpdate,
  ThingQuery,
  ThingRecord,
  ThingRegistry,
} from './ports';
export { deviceIDOfThing } from './thing-name';
export { otherThingsOfDevEUI, ThingDirectory } from './things';
export { createTtsClient } from './tts-client';
