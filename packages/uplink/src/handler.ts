import { createAwsPorts } from '@tts-aws-iot/aws';
import { parseConfig } from '@tts-aws-iot/integration';
import { trafficDependencies, trafficFormatting } from '@tts-aws-iot/integration/traffic';
import { containerScoped, createLambdaKit, lambdaHandler } from '@tts-aws-iot/lambda-kit';
import { setTimeout as sleep } from 'node:timers/promises';

import { handleUplink } from './uplink';

const kit = createLambdaKit({ functionName: 'HandleUplink' });

const dependencies = containerScoped(() => {
  const config = parseConfig(process.env);
  const aws = createAwsPorts({
    iotDataEndpoint: config.iotDataEndpoint,
    captureClient: kit.captureAWSv3Client,
  });
  return {
    ...trafficDependencies(config, aws, {
      log: kit.logger,
      counters: kit.counters,
      delay: sleep,
      random: Math.random,
    }),
    formatting: trafficFormatting(config, aws.secrets),
  };
});

/** HandleUplink: the uplink rule's target (`SELECT *` of TTS's topics for the stack). */
export const handler = lambdaHandler(kit, async (event: unknown) => {
  await handleUplink(event, dependencies());
});
