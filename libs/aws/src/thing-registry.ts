import {
  CreateThingCommand,
  DescribeThingCommand,
  ListThingsCommand,
  UpdateThingCommand,
  type IoTClient,
} from '@aws-sdk/client-iot';
import {
  ThingAlreadyExistsError,
  ThingVersionConflictError,
  type CreateThingInput,
  type ThingQuery,
  type ThingRecord,
  type ThingRegistry,
} from '@tts-aws-iot/integration';

import { awsErrorName, fromAwsError, isNotFound } from './errors';

const SERVICE = 'IoT';

/** The most things one `ListThings` page returns. */
const MAX_PAGE_SIZE = 250;

/** `ThingRegistry` on the AWS IoT registry (control plane). */
export class IotThingRegistry implements ThingRegistry {
  constructor(private readonly client: IoTClient) {}

  async describeThing(thingName: string): Promise<ThingRecord | undefined> {
    try {
      const thing = await this.client.send(new DescribeThingCommand({ thingName }));
      return {
        thingName: thing.thingName ?? thingName,
        ...(thing.thingId ? { thingId: thing.thingId } : {}),
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

  /**
   * `ListThings` with `attributeName`, `attributeValue` and `thingTypeName` (an exact match of
   * a searchable attribute of the type), page by page until `query.limit` things or the end.
   */
  async findThings(query: ThingQuery): Promise<readonly ThingRecord[]> {
    const things: ThingRecord[] = [];
    let nextToken: string | undefined;
    try {
      do {
        const page = await this.client.send(
          new ListThingsCommand({
            attributeName: query.attributeName,
            attributeValue: query.attributeValue,
            thingTypeName: query.thingTypeName,
            maxResults: Math.min(MAX_PAGE_SIZE, query.limit - things.length),
            ...(nextToken === undefined ? {} : { nextToken }),
          }),
        );
        for (const thing of page.things ?? []) {
          if (thing.thingName === undefined) continue;
          things.push({
            thingName: thing.thingName,
            ...(thing.thingTypeName ? { thingTypeName: thing.thingTypeName } : {}),
            attributes: { ...thing.attributes },
            ...(thing.version === undefined ? {} : { version: thing.version }),
          });
        }
        nextToken = page.nextToken || undefined;
      } while (nextToken !== undefined && things.length < query.limit);
    } catch (error) {
      throw fromAwsError(error, {
        service: SERVICE,
        action: 'ListThings',
        resource: `things of type ${query.thingTypeName} with ${query.attributeName}=${query.attributeValue}`,
      });
    }
    return things.slice(0, query.limit);
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
