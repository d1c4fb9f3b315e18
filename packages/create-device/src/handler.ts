import { registryDependenciesFromEnvironment } from '@tts-aws-iot/aws';
import { containerScoped, createLambdaKit, lambdaHandler, sqsBatch } from '@tts-aws-iot/lambda-kit';

import { handleRegistryEvent } from './create-device';

const kit = createLambdaKit({ functionName: 'CreateThing' });

// The configuration, the AWS ports and the flow's dependencies, once per container.
const dependencies = containerScoped(() =>
  registryDependenciesFromEnvironment(process.env, {
    logger: kit.logger,
    captureClient: kit.captureAWSv3Client,
  }),
);

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
