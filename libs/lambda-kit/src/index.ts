export { containerScoped } from './container-scoped';
export { lambdaHandler } from './handler';
export type { LambdaHandlerOptions } from './handler';
export { createLambdaKit } from './kit';
export type { LambdaKit, LambdaKitOptions } from './kit';
export { ttsLogKeys } from './middleware/log-keys';
export type { LogKeysFromEvent } from './middleware/log-keys';
