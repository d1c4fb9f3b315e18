// `@tts-aws-iot/integration/registry`: the building blocks of the registry flows. Each flow is
// its Lambda package's: CreateThing's create and deletion in
// `packages/create-device/src/create-device.ts`, ClaimThing's claim in
// `packages/claim/src/claim.ts`. Here: the registry event, handled once per container
// (registry-event.ts); the runner a create or claim flow runs on (provisioning.ts); the
// thing's attributes and their parsers (device-attributes.ts); the deletion check
// (device-deletion.ts); the outcome (outcome.ts); the dependencies (dependencies.ts). Only
// names that a project outside this library imports are exported.
export { provisioningDependencies } from './dependencies';
export type { ProvisioningDependencies } from './dependencies';
export {
  DEVICE_ATTRIBUTES,
  parseClaimDeviceAttributes,
  parseOtaaDeviceAttributes,
  provisioningKind,
} from './device-attributes';
export type { ClaimDeviceSpec, OtaaDeviceSpec } from './device-attributes';
export { deviceDeletionRefusal } from './device-deletion';
export { publishFailedOutcome } from './outcome';
export type { ProvisioningOutcome } from './outcome';
export { provisionThing } from './provisioning';
export type { ProvisioningFlow } from './provisioning';
export { handleRegistryEventOnce, RecentEvents } from './registry-event';
export type { IgnoreEvent, RegistryFlowResult, ThingRegistryEvent } from './registry-event';
