import {
  CreateThingCommand,
  DescribeThingCommand,
  UpdateThingCommand,
  type IoTClient,
} from '@aws-sdk/client-iot';
import {
  ThingAlreadyExistsError,
  ThingVersionConflictError,
  type CreateThingInput,
  type ThingRecord,
  type ThingRegistry,
} from '@tts-aws-iot/integration';

import { awsErrorName, fromAwsError, isNotFound } from './errors';

const SERVICE = 'IoT';

/** `ThingRegistry` on the AWS IoT registry (control plane). */
export class IotThingRegistry implements ThingRegistry {
  constructor(private readonly client: IoTClient) {}

  async describeThing(thingName: string): Promise<ThingRecord | undefined> {
    try {
      const thing = await this.client.send(new DescribeThingCommand({ thingName }));
      return {
        thingName: thing.thingName ?? thingName,
        ...(thing.thingTypeName ? { thingTypeName: thing.thingTypeName } : {}),
        attributes: { ...thing.attributes },
        ...(thing.version === undefined ? {} : { version: thing.version }),
      };
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw fromAwsError(error, {
        service: SERVICE,
        action: 'DescribeThing',
        resource: `thing ${thingName}`,
      });
    }
  }

  async createThing(input: CreateThingInput): Promise<void> {
    try {
      await this.client.send(
        new CreateThingCommand({
          thingName: input.thingName,
          thingTypeName: input.thingTypeName,
          attributePayload: { attributes: { ...input.attributes } },
        }),
      );
    } catch (error) {
      if (awsErrorName(error) === 'ResourceAlreadyExistsException') {
        throw new ThingAlreadyExistsError(input.thingName, { cause: error });
      }
      throw fromAwsError(error, {
        service: SERVICE,
        action: 'CreateThing',
        resource: `thing ${input.thingName}`,
      });
    }
  }

  async updateThingAttributes(
    thingName: string,
    attributes: Readonly<Record<string, string | null>>,
    options: { readonly expectedVersion?: number } = {},
  ): Promise<void> {
    // With `merge: true` only the listed attributes change, and an empty value is the
    // registry's way of removing one.
    const merged = Object.fromEntries(
      Object.entries(attributes).map(([name, value]) => [name, value ?? '']),
    );
    try {
      await this.client.send(
        new UpdateThingCommand({
          thingName,
          attributePayload: { attributes: merged, merge: true },
          ...(options.expectedVersion === undefined
            ? {}
            : { expectedVersion: options.expectedVersion }),
        }),
      );
    } catch (error) {
      if (awsErrorName(error) === 'VersionConflictException') {
        throw new ThingVersionConflictError(thingName, { cause: error });
      }
      throw fromAwsError(error, {
        service: SERVICE,
        action: 'UpdateThing',
        resource: `thing ${thingName}`,
      });
    }
  }
}
