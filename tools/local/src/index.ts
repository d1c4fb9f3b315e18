export { startAwsApi } from './aws-api/server';
export type { ApiCall, AwsApi, AwsApiOptions } from './aws-api/server';
export { mqttAddress, startBroker } from './broker';
export type { Broker, BrokerMessage, BrokerOptions } from './broker';
export { CloudFormationStandIn } from './custom-resources';
export type { CloudFormationResponse, CustomResourceRequest } from './custom-resources';
export { DeviceSimulator, sensorReading } from './devices';
export type {
  DeviceEvent,
  DeviceProfile,
  ReceivedDownlink,
  RegisteredDevice,
  TtsNetworkState,
} from './devices';
export {
  AwsServiceError,
  LambdaInvocationError,
  LocalStackError,
  OptionsError,
  RuleSyntaxError,
} from './errors';
export { LambdaRunner } from './lambda-runner';
export type {
  AsyncOutcome,
  LambdaFunction,
  LambdaLogLine,
  LambdaRunnerOptions,
} from './lambda-runner';
export { TrafficLog } from './log';
export { LAMBDA_NAMES, main, runDemo, startLocalStack } from './main';
export type { DemoResult, LocalStack, StartOverrides } from './main';
export { DEFAULT_OPTIONS, parseOptions, usage } from './options';
export type { LocalOptions } from './options';
export { compileStatement, integrationRules, RulesEngine, topicMatches } from './rules';
export type { CompiledStatement, RuleAction, RuleOutcome, TopicRule } from './rules';
export { ttsNetworkState } from './tts-network';
