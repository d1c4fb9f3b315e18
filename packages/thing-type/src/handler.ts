import { createIotClient, customResourceHandler, IotThingTypeAdmin } from '@tts-aws-iot/aws';
import { createLambdaKit, lambdaHandler } from '@tts-aws-iot/lambda-kit';

import { thingTypeResource } from './thing-type';

const kit = createLambdaKit({ functionName: 'CreateThingType' });
const iot = new IotThingTypeAdmin(kit.captureAWSv3Client(createIotClient()));

/**
 * `Custom::ThingType`: the thing type, thing registry events and the data endpoint address;
 * on Delete, the type is deprecated unless another stack still uses it.
 */
export const handler = lambdaHandler(
  kit,
  customResourceHandler(thingTypeResource(iot, { log: kit.logger }), { log: kit.logger }),
  {
    logKeys: (event) => ({
      request_type: event.RequestType,
      logical_resource_id: event.LogicalResourceId,
    }),
  },
);
