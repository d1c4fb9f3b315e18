import { createAwsPorts } from '@tts-aws-iot/aws';
import { parseRegistryConfig, provisioningDependencies } from '@tts-aws-iot/integration';
import { containerScoped, createLambdaKit, lambdaHandler } from '@tts-aws-iot/lambda-kit';

import { handleThingCreated } from './claim';

const kit = createLambdaKit({ functionName: 'ClaimThing' });

const dependencies = containerScoped(() => {
  const config = parseRegistryConfig(process.env);
  const aws = createAwsPorts({
    iotDataEndpoint: config.iotDataEndpoint,
    captureClient: kit.captureAWSv3Client,
  });
  return provisioningDependencies(config, aws, kit.logger);
});

/** ClaimThing: the target of the rule for `$aws/events/thing/+/created` of the thing type. */
export const handler = lambdaHandler(kit, (event: unknown) =>
  handleThingCreated(event, dependencies()),
);
