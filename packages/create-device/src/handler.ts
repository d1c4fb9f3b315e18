import { createAwsPorts } from '@tts-aws-iot/aws';
import { parseRegistryConfig, provisioningDependencies } from '@tts-aws-iot/integration';
import { containerScoped, createLambdaKit, lambdaHandler } from '@tts-aws-iot/lambda-kit';

import { handleRegistryEvent } from './create-device';

const kit = createLambdaKit({ functionName: 'CreateThing' });

const dependencies = containerScoped(() => {
  const config = parseRegistryConfig(process.env);
  const aws = createAwsPorts({
    iotDataEndpoint: config.iotDataEndpoint,
    captureClient: kit.captureAWSv3Client,
  });
  return provisioningDependencies(config, aws, kit.logger);
});

/** CreateThing: the target of the rules for `$aws/events/thing/+/created` and `/deleted` of the thing type. */
export const handler = lambdaHandler(kit, (event: unknown) =>
  handleRegistryEvent(event, dependencies()),
);
