import { registryDependenciesFromEnvironment } from '@tts-aws-iot/aws';
import { containerScoped, createLambdaKit, lambdaHandler, sqsBatch } from '@tts-aws-iot/lambda-kit';

import { handleThingCreated } from './claim';

const kit = createLambdaKit({ functionName: 'ClaimThing' });

// The configuration, the AWS ports and the flow's dependencies, once per container.
const dependencies = containerScoped(() =>
  registryDependenciesFromEnvironment(process.env, {
    logger: kit.logger,
    captureClient: kit.captureAWSv3Client,
  }),
);

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
