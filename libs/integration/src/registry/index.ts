// `@tts-aws-iot/integration/registry`: the registry side (provisioning a thing for a device,
// the thing's attributes, deletion and claim flows). Only names that a project outside this
// library imports are exported.
export { DEVICE_ATTRIBUTES, provisioningKind } from './device-attributes';
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
  RegistryFlowResult,
  ThingRegistryEvent,
} from './provisioning';
