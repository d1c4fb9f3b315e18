import { createAwsPorts, provisioningLogFromEnvironment } from '@tts-aws-iot/aws';
import { parseRegistryConfig } from '@tts-aws-iot/integration';
import { provisioningDependencies } from '@tts-aws-iot/integration/registry';
import { containerScoped, createLambdaKit, lambdaHandler, sqsBatch } from '@tts-aws-iot/lambda-kit';

import { handleRegistryEvent } from './create-device';

const kit = createLambdaKit({ functionName: 'CreateThing' });

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
 * CreateThing: consumes the SQS queue that the rules for `$aws/events/thing/+/created` and
 * `/deleted` of the thing type feed (one registry event per message body). Events that
 * failed retryably (TTS unreachable, say) go back to the queue through `batchItemFailures`,
 * so a TTS outage of hours loses nothing; a direct invocation with the event itself (the
 * rules' former Lambda action) still works.
 */
export const handler = lambdaHandler(
  kit,
  sqsBatch(kit, (event: unknown) => handleRegistryEvent(event, dependencies())),
);
