import { createIotClient, customResourceHandler, IotThingTypeAdmin } from '@tts-aws-iot/aws';
import { createLambdaKit, lambdaHandler } from '@tts-aws-iot/lambda-kit';

import { thingTypeResource } from './thing-type';

const kit = createLambdaKit({ functionName: 'CreateThingType' });
const iot = new IotThingTypeAdmin(kit.captureAWSv3Client(createIotClient()));

/** `Custom::ThingType`: the thing type, thing registry events and the data endpoint address. */
export const handler = lambdaHandler(
  kit,
  customResourceHandler(thingTypeResource(iot), { log: kit.logger }),
  {
    logKeys: (event) => ({
      request_type: event.RequestType,
      logical_resource_id: event.LogicalResourceId,
    }),
  },
);
