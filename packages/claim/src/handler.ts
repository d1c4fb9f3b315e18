import { createAwsPorts, provisioningLogFromEnvironment } from '@tts-aws-iot/aws';
import { parseRegistryConfig } from '@tts-aws-iot/integration';
import { provisioningDependencies } from '@tts-aws-iot/integration/registry';
import { containerScoped, createLambdaKit, lambdaHandler, sqsBatch } from '@tts-aws-iot/lambda-kit';

import { handleThingCreated } from './claim';

const kit = createLambdaKit({ functionName: 'ClaimThing' });

const dependencies = containerScoped(() => {
  const config = parseRegistryConfig(process.env);
  const aws = createAwsPorts({
    iotDataEndpoint: config.iotDataEndpoint,
    captureClient: kit.captureAWSv3Client,
    // The things' provisioning history (/thethings/lorawan/<stack>/things).
    provisioningLog: provisioningLogFromEnvironment(process.env, kit.logger),
  });
  return provisioningDependencies(config, aws, kit.logger);
});

/**
 * ClaimThing: consumes the SQS queue that the rule for `$aws/events/thing/+/created` of the
 * thing type feeds (one registry event per message body). Events that failed retryably go
 * back to the queue through `batchItemFailures`; a direct invocation with the event itself
 * (the rule's former Lambda action) still works.
 */
export const handler = lambdaHandler(
  kit,
  sqsBatch(kit, (event: unknown) => handleThingCreated(event, dependencies())),
);
