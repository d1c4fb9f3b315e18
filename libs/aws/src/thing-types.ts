import {
  CreateThingTypeCommand,
  DeprecateThingTypeCommand,
  DescribeEndpointCommand,
  DescribeThingTypeCommand,
  ListThingsCommand,
  UpdateEventConfigurationsCommand,
  type IoTClient,
} from '@aws-sdk/client-iot';

import { AwsRequestError, awsErrorName, fromAwsError, isNotFound } from './errors';

const SERVICE = 'IoT';

/** A thing type as the setup needs to see it. */
export interface ThingTypeRecord {
  readonly thingTypeName: string;
  readonly deprecated: boolean;
  readonly searchableAttributes: readonly string[];
}

/** A thing as a listing shows it: its name and attributes. */
export interface ThingSummary {
  readonly thingName: string;
  readonly attributes: Readonly<Record<string, string>>;
}

/** One page of things; `nextToken` is set when more follow. */
export interface ThingPage {
  readonly things: readonly ThingSummary[];
  readonly nextToken?: string;
}

/** The largest page ListThings answers. */
const MAX_THINGS_PAGE_SIZE = 250;

/**
 * The account-level IoT setup the thing-type custom resource performs: thing types,
 * registry events and the data endpoint address.
 */
export class IotThingTypeAdmin {
  constructor(private readonly client: IoTClient) {}

  /** The thing type, or `undefined` when it does not exist. */
  async describeThingType(thingTypeName: string): Promise<ThingTypeRecord | undefined> {
    try {
      const type = await this.client.send(new DescribeThingTypeCommand({ thingTypeName }));
      return {
        thingTypeName: type.thingTypeName ?? thingTypeName,
        deprecated: type.thingTypeMetadata?.deprecated ?? false,
        searchableAttributes: type.thingTypeProperties?.searchableAttributes ?? [],
      };
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw fromAwsError(error, {
        service: SERVICE,
        action: 'DescribeThingType',
        resource: `thing type ${thingTypeName}`,
      });
    }
  }

  /** Creates the thing type; one that already exists fails with code `thing_type_already_exists`. */
  async createThingType(
    thingTypeName: string,
    properties: { readonly searchableAttributes: readonly string[]; readonly description?: string },
  ): Promise<void> {
    try {
      await this.client.send(
        new CreateThingTypeCommand({
          thingTypeName,
          thingTypeProperties: {
            searchableAttributes: [...properties.searchableAttributes],
            ...(properties.description ? { thingTypeDescription: properties.description } : {}),
          },
        }),
      );
    } catch (error) {
      if (awsErrorName(error) === 'ResourceAlreadyExistsException') {
        throw new AwsRequestError(
          'thing_type_already_exists',
          `Thing type ${thingTypeName} already exists with another configuration. Choose another ThingTypeName.`,
          { thingTypeName },
          { cause: error },
        );
      }
      throw fromAwsError(error, {
        service: SERVICE,
        action: 'CreateThingType',
        resource: `thing type ${thingTypeName}`,
      });
    }
  }

  /**
   * Deprecates the thing type (no new things of it), or with `deprecated: false` undoes
   * that. Returns `false` when the thing type does not exist.
   */
  async setThingTypeDeprecated(thingTypeName: string, deprecated: boolean): Promise<boolean> {
    try {
      await this.client.send(
        new DeprecateThingTypeCommand({ thingTypeName, undoDeprecate: !deprecated }),
      );
      return true;
    } catch (error) {
      if (isNotFound(error)) return false;
      throw fromAwsError(error, {
        service: SERVICE,
        action: 'DeprecateThingType',
        resource: `thing type ${thingTypeName}`,
      });
    }
  }

  /**
   * One page of the things of a thing type, with their attributes (`maxResults` at most
   * `MAX_THINGS_PAGE_SIZE`, the default). A thing type that does not exist has no things.
   */
  async listThingsOfType(
    thingTypeName: string,
    page: { readonly nextToken?: string; readonly maxResults?: number } = {},
  ): Promise<ThingPage> {
    try {
      const answer = await this.client.send(
        new ListThingsCommand({
          thingTypeName,
          maxResults: page.maxResults ?? MAX_THINGS_PAGE_SIZE,
          ...(page.nextToken ? { nextToken: page.nextToken } : {}),
        }),
      );
      const things = (answer.things ?? []).flatMap((thing) =>
        thing.thingName
          ? [{ thingName: thing.thingName, attributes: { ...thing.attributes } }]
          : [],
      );
      return { things, ...(answer.nextToken ? { nextToken: answer.nextToken } : {}) };
    } catch (error) {
      if (isNotFound(error)) return { things: [] };
      throw fromAwsError(error, {
        service: SERVICE,
        action: 'ListThings',
        resource: `things of type ${thingTypeName}`,
      });
    }
  }

  /**
   * Turns on the registry's thing events (`$aws/events/thing/…`) for the account and
   * region. There is no CloudFormation resource for this setting.
   */
  async enableThingEvents(): Promise<void> {
    try {
      await this.client.send(
        new UpdateEventConfigurationsCommand({ eventConfigurations: { THING: { Enabled: true } } }),
      );
    } catch (error) {
      throw fromAwsError(error, {
        service: SERVICE,
        action: 'UpdateEventConfigurations',
        resource: 'thing registry events',
      });
    }
  }

  /** The account's `iot:Data-ATS` address (a host name, no scheme). */
  async describeDataEndpoint(): Promise<string> {
    let address: string | undefined;
    try {
      ({ endpointAddress: address } = await this.client.send(
        new DescribeEndpointCommand({ endpointType: 'iot:Data-ATS' }),
      ));
    } catch (error) {
      throw fromAwsError(error, {
        service: SERVICE,
        action: 'DescribeEndpoint',
        resource: 'endpoint iot:Data-ATS',
      });
    }
    if (!address) {
      throw new AwsRequestError(
        'aws_invalid_response',
        'IoT DescribeEndpoint answered no iot:Data-ATS address.',
        { action: 'DescribeEndpoint' },
      );
    }
    return address;
  }
}
