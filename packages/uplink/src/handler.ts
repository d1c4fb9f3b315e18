import { MetricUnit } from '@aws-lambda-powertools/metrics';
import {
  CachedSecretReader,
  createIotClient,
  createIotDataClient,
  createSecretsManagerClient,
  IotDataPublisher,
  IotShadowStore,
  IotThingRegistry,
  SecretsManagerSecretReader,
} from '@tts-aws-iot/aws';
import { KekRingSource, parseConfig, ThingDirectory } from '@tts-aws-iot/integration';
import { createLambdaKit, lambdaHandler } from '@tts-aws-iot/lambda-kit';
import { setTimeout as sleep } from 'node:timers/promises';

import { handleUplink, type UplinkDependencies } from './uplink';

const kit = createLambdaKit({ functionName: 'HandleUplink' });

let dependencies: UplinkDependencies | undefined;

/**
 * The configuration, clients and caches, built at the first invocation and kept for the
 * container's life. An invalid configuration fails every invocation with every problem
 * listed, retryably (`ConfigurationError`), so that Lambda keeps the events for a replay.
 */
function uplinkDependencies(): UplinkDependencies {
  if (dependencies) return dependencies;
  const config = parseConfig(process.env);
  const data = kit.captureAWSv3Client(createIotDataClient(config.iotDataEndpoint));
  const secrets = new CachedSecretReader(new SecretsManagerSecretReader(kit.captureAWSv3Client(createSecretsManagerClient())));
  const built: UplinkDependencies = {
    config,
    things: new ThingDirectory(new IotThingRegistry(kit.captureAWSv3Client(createIotClient())), config),
    shadows: new IotShadowStore(data),
    publisher: new IotDataPublisher(data),
    keks: config.e2eEnabled && config.kekSecretID ? new KekRingSource(secrets, config.kekSecretID) : undefined,
    log: kit.logger,
    counters: { count: (name, value = 1) => kit.metrics.addMetric(name, MetricUnit.Count, value) },
    delay: (ms) => sleep(ms),
    random: Math.random,
  };
  dependencies = built;
  return built;
}

/** HandleUplink: the uplink rule's target (`SELECT *` of TTS's topics for the stack). */
export const handler = lambdaHandler(kit, async (event: unknown) => {
  await handleUplink(event, uplinkDependencies());
});
