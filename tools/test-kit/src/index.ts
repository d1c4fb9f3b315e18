export { commandAvailable, describeWithCommand } from './command';
export type { ExternalCommand } from './command';
export { describeWithMoto, freePort, motoAvailable, startMoto } from './moto';
export type { MotoServer, PublishedMessage } from './moto';
export { describeWithSharedReference, lorawanVectors, sharedReferencePath } from './reference';
export type { KeyWrapVector, LorawanVectors } from './reference';
export { startCloudFormationReceiver } from './cloudformation-receiver';
export type { ReceivedResponse } from './cloudformation-receiver';
