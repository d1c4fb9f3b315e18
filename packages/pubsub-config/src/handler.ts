import { createAwsPorts, customResourceHandler, type CustomResourceEvent } from '@tts-aws-iot/aws';
import { createTtsClient } from '@tts-aws-iot/integration';
import { createLambdaKit, lambdaHandler } from '@tts-aws-iot/lambda-kit';

import { pubSubResource, type PubSubProperties } from './pubsub-config';

const kit = createLambdaKit({ functionName: 'Configure' });
const { secrets } = createAwsPorts({ captureClient: kit.captureAWSv3Client });
const resource = customResourceHandler(
  pubSubResource({
    secrets,
    tts: (settings) => createTtsClient(settings, secrets),
    log: kit.logger,
    allowHttpCluster: process.env['ALLOW_HTTP_CLUSTER']?.trim().toLowerCase() === 'true',
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
