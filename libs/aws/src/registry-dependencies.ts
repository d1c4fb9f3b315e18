/**
 * What the registry Lambdas (CreateThing, ClaimThing) work with when deployed: the
 * configuration from their environment, the AWS ports with the things' provisioning history
 * (`/thethings/lorawan/<stack>/things`), and the registry flows' dependencies over them.
 * Each handler builds it once per container.
 */
import { parseRegistryConfig } from '@tts-aws-iot/integration';
import {
  provisioningDependencies,
  type ProvisioningDependencies,
} from '@tts-aws-iot/integration/registry';

import { createAwsPorts } from './aws-ports';
import { provisioningLogFromEnvironment } from './provisioning-log';

/** The Lambda's side: its logger, and the tracer's wrapper of each SDK client. */
export interface RegistryLambdaContext {
  readonly logger: ProvisioningDependencies['log'];
  readonly captureClient: <T>(client: T) => T;
}

export function registryDependenciesFromEnvironment(
  env: Readonly<Record<string, string | undefined>>,
  lambda: RegistryLambdaContext,
): ProvisioningDependencies {
  const config = parseRegistryConfig(env);
  const aws = createAwsPorts({
    iotDataEndpoint: config.iotDataEndpoint,
    captureClient: lambda.captureClient,
    provisioningLog: provisioningLogFromEnvironment(env, lambda.logger),
  });
  return provisioningDependencies(config, aws, lambda.logger);
}
