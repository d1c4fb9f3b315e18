import { PublishCommand, type IoTDataPlaneClient } from '@aws-sdk/client-iot-data-plane';
import type { MessagePublisher } from '@tts-aws-iot/integration';

import { AwsRequestError, fromAwsError } from './errors';

/** IoT Core's limit for a message payload. */
export const MAX_PUBLISH_PAYLOAD_BYTES = 128 * 1024;

/** `MessagePublisher` on the IoT data plane's HTTP Publish. */
export class IotDataPublisher implements MessagePublisher {
  constructor(private readonly client: IoTDataPlaneClient) {}

  async publish(
    topic: string,
    payload: unknown,
    options: { readonly qos?: 0 | 1 } = {},
  ): Promise<void> {
    const bytes = new TextEncoder().encode(JSON.stringify(payload));
    // Checked here so the error names the topic and size instead of a bare HTTP 413.
    if (bytes.byteLength > MAX_PUBLISH_PAYLOAD_BYTES) {
      throw new AwsRequestError(
        'aws_payload_too_large',
        `The message for topic ${topic} is ${bytes.byteLength} bytes; IoT Core accepts at most ${MAX_PUBLISH_PAYLOAD_BYTES}. Send less data per message.`,
        { topic, bytes: bytes.byteLength },
      );
    }
    try {
      await this.client.send(new PublishCommand({ topic, qos: options.qos ?? 1, payload: bytes }));
    } catch (error) {
      throw fromAwsError(error, {
        service: 'IoT Data',
        action: 'Publish',
        resource: `topic ${topic}`,
      });
    }
  }
}
