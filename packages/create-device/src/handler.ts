import {
  CachedSecretReader,
  createIotClient,
  createIotDataClient,
  createSecretsManagerClient,
  IotDataPublisher,
  IotThingRegistry,
  SecretsManagerSecretReader,
} from '@tts-aws-iot/aws';
import { parseRegistryConfig, RecentEvents } from '@tts-aws-iot/integration';
import { createLambdaKit, lambdaHandler } from '@tts-aws-iot/lambda-kit';
import { TtsClient } from '@tts-aws-iot/tts';

import { handleRegistryEvent, type CreateDeviceDeps } from './create-device';

const kit = createLambdaKit({ functionName: 'CreateThing' });

let dependencies: CreateDeviceDeps | undefined;

/**
 * Configuration, clients and caches, built at the first invocation and kept for the
 * container's life. An invalid configuration fails every invocation with the list of
 * problems, retryably (`ConfigurationError`): the events then reach the on-failure
 * destination, to be replayed once the stack is fixed, instead of being dropped.
 */
function createDeviceDependencies(): CreateDeviceDeps {
  if (dependencies) return dependencies;
  const config = parseRegistryConfig(process.env);
  const apiKeySecretID = config.apiKeySecretID;
  const secrets = new CachedSecretReader(
    new SecretsManagerSecretReader(kit.captureAWSv3Client(createSecretsManagerClient())),
  );
  const built: CreateDeviceDeps = {
    config,
    registry: new IotThingRegistry(kit.captureAWSv3Client(createIotClient())),
    publisher: new IotDataPublisher(
      kit.captureAWSv3Client(createIotDataClient(config.iotDataEndpoint)),
    ),
    tts: new TtsClient({
      baseURL: config.clusterURL,
      apiKey: ({ refresh } = {}) => {
        if (refresh) secrets.invalidate(apiKeySecretID);
        return secrets.getSecretString(apiKeySecretID);
      },
    }),
    recentEvents: new RecentEvents(),
    log: kit.logger,
  };
  dependencies = built;
  return built;
}

/** CreateThing: the target of the rules for `$aws/events/thing/+/created` and `/deleted` of the thing type. */
export const handler = lambdaHandler(kit, (event: unknown) =>
  handleRegistryEvent(event, createDeviceDependencies()),
);
