export { containerScoped } from './container-scoped';
export { lambdaHandler } from './handler';
export type { LambdaHandlerOptions } from './handler';
export { createLambdaKit } from './kit';
export type { LambdaKit, LambdaKitOptions } from './kit';
export { ttsLogKeys } from './middleware/log-keys';
export type { LogKeysFromEvent } from './middleware/log-keys';
export { isSqsEvent, sqsBatch } from './sqs-batch';
export type { SqsBatchOptions } from './sqs-batch';
