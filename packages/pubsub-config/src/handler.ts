import {
  CachedSecretReader,
  createSecretsManagerClient,
  customResourceHandler,
  SecretsManagerSecretReader,
  type CustomResourceEvent,
} from '@tts-aws-iot/aws';
import { createLambdaKit, lambdaHandler } from '@tts-aws-iot/lambda-kit';
import { TtsClient } from '@tts-aws-iot/tts';

import { pubSubResource, type PubSubProperties } from './pubsub-config';

const kit = createLambdaKit({ functionName: 'Configure' });
const secrets = new CachedSecretReader(
  new SecretsManagerSecretReader(kit.captureAWSv3Client(createSecretsManagerClient())),
);

const resource = customResourceHandler(
  pubSubResource({
    secrets,
    tts: (settings) =>
      new TtsClient({
        baseURL: settings.clusterURL,
        apiKey: ({ refresh } = {}) => {
          if (refresh) secrets.invalidate(settings.apiKeySecretID);
          return secrets.getSecretString(settings.apiKeySecretID);
        },
      }),
    log: kit.logger,
  }),
  { log: kit.logger },
);

/** `Custom::PubSub`: the TTS pub/sub to this account, and with E2E the KEK and `skip_payload_crypto`. */
export const handler = lambdaHandler(
  kit,
  (event: CustomResourceEvent<PubSubProperties>, context) => {
    // The stack update that runs this request may have just changed the API key or the
    // KEK ring: read the secrets anew (once per request) rather than from a warm container.
    secrets.invalidate();
    return resource(event, context);
  },
  {
    logKeys: (event) => ({
      request_type: event.RequestType,
      logical_resource_id: event.LogicalResourceId,
    }),
  },
);
