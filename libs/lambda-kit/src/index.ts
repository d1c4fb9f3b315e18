export { containerScoped } from './container-scoped';
export { lambdaHandler } from './handler';
export type { LambdaHandlerOptions } from './handler';
export { createLambdaKit, DEFAULT_METRICS_NAMESPACE, DEFAULT_SERVICE_NAME } from './kit';
export type { LambdaKit, LambdaKitOptions } from './kit';
export { errorPolicy, isRejection, REJECTED_METRIC } from './middleware/error-policy';
export { logKeys, ttsLogKeys } from './middleware/log-keys';
export type { LogKeysFromEvent } from './middleware/log-keys';
