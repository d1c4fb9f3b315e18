export { commandAvailable, describeWithCommand } from './command';
export type { ExternalCommand } from './command';
export { actionOf, loadBundle, publishedOn, runContainer } from './lambda-bundle';
export type { BundleHandler, ContainerRun, InvocationOutcome } from './lambda-bundle';
export { describeWithMoto, freePort, startMoto } from './moto';
export type { MotoServer, PublishedMessage, RecordedRequest } from './moto';
export { describeWithSharedReference, lorawanVectors } from './reference';
export type { KeyWrapVector, LorawanVectors } from './reference';
export {
  APP_S_KEY_HEX,
  DEV_ADDR,
  DEV_EUI,
  KEK_HEX,
  KEK_RING_SECRET,
  keyMaterialForms,
  SESSION_KEY_ID,
  SILENT_POWERTOOLS,
  stackEnvironment,
  startStackAccount,
  TEST_STACK,
  WRAPPED_APP_S_KEY,
} from './stack';
export type { StackAccount } from './stack';
export { startCloudFormationReceiver } from './cloudformation-receiver';
export type { ReceivedResponse } from './cloudformation-receiver';
