import { createAwsPorts } from '@tts-aws-iot/aws';
import { parseConfig } from '@tts-aws-iot/integration';
import { trafficDependencies, trafficFormatting } from '@tts-aws-iot/integration/traffic';
import { containerScoped, createLambdaKit, lambdaHandler } from '@tts-aws-iot/lambda-kit';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';

import { handleDesiredDownlink, isDesiredDownlinkEvent } from './desired-state';
import { handleDownlink, type DownlinkDependencies } from './downlink';

const kit = createLambdaKit({ functionName: 'HandleDownlink' });

const dependencies = containerScoped((): DownlinkDependencies => {
  const config = parseConfig(process.env);
  const aws = createAwsPorts({
    iotDataEndpoint: config.iotDataEndpoint,
    captureClient: kit.captureAWSv3Client,
  });
  const runtime = { log: kit.logger, counters: kit.counters, delay: sleep, random: Math.random };
  return {
    ...trafficDependencies(config, aws, runtime),
    newDownlinkID: randomUUID,
    formatting: trafficFormatting(config, aws.secrets),
  };
});

/**
 * HandleDownlink: the target of the downlink rule (requests on `lorawan/downlink`) and of the
 * desired-state rule (deltas of a `lorawan` shadow with a desired downlink). Lambda keeps the
 * request ID when it retries an event, so it identifies the downlink across retries.
 */
export const handler = lambdaHandler(kit, async (event: unknown, context) => {
  const deps = dependencies();
  if (isDesiredDownlinkEvent(event))
    await handleDesiredDownlink(event, deps, context.awsRequestId || deps.newDownlinkID());
  else await handleDownlink(event, deps, context.awsRequestId);
});
