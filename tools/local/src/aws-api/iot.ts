import { randomBytes, randomUUID } from 'node:crypto';
import * as v from 'valibot';
import { jsonObject, objectOf } from '@tts-aws-iot/input';
import { AwsServiceError } from '../errors';
import { restoreEntries } from '../state';
import {
  bodyOf,
  invalidRequest,
  notFound,
  optionalFlag,
  optionalString,
  listQuery,
  pageOf,
  readJsonBody,
  route,
  epochSeconds,
  type ApiRequest,
  type ApiResponse,
  type Route,
} from './http';
import type { TopicRule } from '../rules';
import { ThingTable } from './thing-table';
import { TopicRules } from './topic-rules';

/** A thing in the local registry. */
export interface LocalThing {
  readonly thingName: string;
  readonly thingId: string;
  readonly thingArn: string;
  readonly thingTypeName: string | undefined;
  readonly attributes: Readonly<Record<string, string>>;
  readonly version: number;
}

/** A thing type in the local registry. */
export interface LocalThingType {
  readonly thingTypeName: string;
  readonly thingTypeId: string;
  readonly thingTypeArn: string;
  readonly description: string | undefined;
  readonly searchableAttributes: readonly string[];
  readonly deprecated: boolean;
  readonly deprecationDate: Date | undefined;
  readonly creationDate: Date;
}

export interface IotControlPlaneOptions {
  readonly accountId: string;
  readonly region: string;
  /** What DescribeEndpoint answers: the broker's host name (TTS takes a host name without port). */
  readonly endpointAddress: string;
  /** Publishes a registry event into the broker. */
  readonly publish: (topic: string, payload: string) => Promise<void>;
}

// Limits of the AWS IoT registry (docs/aws.md, "Control plane").
const THING_NAME = /^[a-zA-Z0-9:_-]{1,128}$/;
const THING_TYPE_NAME = /^[a-zA-Z0-9:_-]{1,128}$/;
const ATTRIBUTE_NAME = /^[a-zA-Z0-9_.,@/:#-]{1,128}$/;
const ATTRIBUTE_VALUE = /^[a-zA-Z0-9_.,@/:#=[\]-]{0,800}$/;
const MAX_ATTRIBUTES_WITH_TYPE = 50;
const MAX_ATTRIBUTES_WITHOUT_TYPE = 3;
const MAX_SEARCHABLE_ATTRIBUTES = 3;
const LIST_LIMITS = { sizeParam: 'maxResults', defaultSize: 50, max: 250 };
const ENDPOINT_TYPES = ['iot:Data', 'iot:Data-ATS', 'iot:CredentialProvider', 'iot:Jobs'];

// The request bodies. The messages say what a field must be (http.ts's refuseField).
const ATTRIBUTE_NAMES = 'keyed by attribute names of 1-128 of a-z A-Z 0-9 _ . , @ / : # -';
const ATTRIBUTE_VALUE_RULE = 'at most 800 of a-z A-Z 0-9 _ . , @ / : # = [ ] - (no spaces)';
/**
 * `attributes`: every own field (valibot's record skips `constructor`, a name AWS IoT takes),
 * each name and value as AWS IoT takes them; the first bad one is refused by its path.
 */
const attributeMap = v.pipe(
  jsonObject('an object'),
  v.rawCheck(({ dataset, addIssue }) => {
    if (!dataset.typed) return;
    const map = dataset.value;
    for (const [name, value] of Object.entries(map)) {
      if (!ATTRIBUTE_NAME.test(name))
        return addIssue({ message: `${ATTRIBUTE_NAMES} (not ${JSON.stringify(name)})` });
      if (typeof value !== 'string' || !ATTRIBUTE_VALUE.test(value))
        return addIssue({
          message: ATTRIBUTE_VALUE_RULE,
          path: [{ type: 'object', origin: 'value', input: map, key: name, value }],
        });
    }
  }),
  v.transform(stringFields),
);
/** `attributePayload`: absent leaves the attributes as they are (UpdateThing). */
const attributePayload = v.nullish(
  objectOf({ attributes: v.nullish(attributeMap), merge: optionalFlag }, 'an object'),
);
const CREATE_THING = bodyOf({ thingTypeName: optionalString, attributePayload });
const UPDATE_THING = bodyOf({
  expectedVersion: v.nullish(v.number('a number')),
  thingTypeName: optionalString,
  removeThingType: optionalFlag,
  attributePayload,
});
const attributeName = v.pipe(
  v.string('an attribute name'),
  v.regex(ATTRIBUTE_NAME, 'an attribute name of 1-128 of a-z A-Z 0-9 _ . , @ / : # -'),
);
const CREATE_THING_TYPE = bodyOf({
  thingTypeProperties: v.nullish(
    objectOf(
      {
        thingTypeDescription: optionalString,
        searchableAttributes: v.nullish(
          v.pipe(
            v.array(attributeName, 'a list of attribute names'),
            v.maxLength(
              MAX_SEARCHABLE_ATTRIBUTES,
              `a list of at most ${MAX_SEARCHABLE_ATTRIBUTES} attribute names`,
            ),
          ),
          () => [],
        ),
      },
      'an object',
    ),
  ),
});
const DEPRECATE_THING_TYPE = bodyOf({ undoDeprecate: optionalFlag });
const UPDATE_EVENT_CONFIGURATIONS = bodyOf({
  eventConfigurations: objectOf(
    {
      THING: v.nullish(
        objectOf(
          { Enabled: v.nullish(v.boolean('true or false')) },
          'an object such as {"Enabled":true}',
        ),
      ),
    },
    'an object such as {"THING":{"Enabled":true}}',
  ),
});

/**
 * The subset of the AWS IoT control plane (REST-JSON, as `@aws-sdk/client-iot` sends it) that
 * the integration calls: things, thing types, registry event configuration and DescribeEndpoint.
 * Behaviour follows AWS, not moto, where they differ: CreateThing with another configuration
 * fails, versions increase on every update, DeleteThing of a missing thing succeeds.
 */
export class IotControlPlane {
  readonly routes: readonly Route[];
  private readonly topicRules: TopicRules;
  private readonly things = new ThingTable();
  private readonly thingTypes = new Map<string, LocalThingType>();
  /** Registry events are off until UpdateEventConfigurations turns them on, as in a fresh account. */
  private thingEventsEnabled = false;

  constructor(private readonly options: IotControlPlaneOptions) {
    const thing = /^\/things\/([^/]+)$/;
    const type = /^\/thing-types\/([^/]+)$/;
    const events = /^\/event-configurations$/;
    this.topicRules = new TopicRules(options);
    this.routes = [
      route('CreateThing', 'POST', thing, (r, name) => this.createThing(r, name)),
      route('DescribeThing', 'GET', thing, (_r, name) => this.describeThing(name)),
      route('UpdateThing', 'PATCH', thing, (r, name) => this.updateThing(r, name)),
      route('DeleteThing', 'DELETE', thing, (r, name) => this.deleteThing(r, name)),
      route('ListThings', 'GET', /^\/things\/?$/, (r) => this.listThings(r)),
      route('CreateThingType', 'POST', type, (r, name) => this.createThingType(r, name)),
      route('DescribeThingType', 'GET', type, (_r, name) => this.describeThingType(name)),
      route('ListThingTypes', 'GET', /^\/thing-types\/?$/, (r) => this.listThingTypes(r)),
      route('DeprecateThingType', 'POST', /^\/thing-types\/([^/]+)\/deprecate$/, (r, name) =>
        this.deprecateThingType(r, name),
      ),
      route('UpdateEventConfigurations', 'PATCH', events, (r) => this.updateEventConfigurations(r)),
      route('DescribeEventConfigurations', 'GET', events, () => this.describeEventConfigurations()),
      route('DescribeEndpoint', 'GET', /^\/endpoint$/, (r) => this.describeEndpoint(r)),
      ...this.topicRules.routes,
    ];
  }

  /** The topic rules that ListTopicRules and GetTopicRule show (the local stack sets them). */
  setTopicRules(rules: readonly TopicRule[], stackName: string): void {
    this.topicRules.set(rules, stackName);
  }

  /** The registry's things (for the guide and tests). */
  listAllThings(): readonly LocalThing[] {
    return [...this.things.values()];
  }

  getThing(thingName: string): LocalThing | undefined {
    return this.things.get(thingName);
  }

  get eventsEnabled(): boolean {
    return this.thingEventsEnabled;
  }

  /** Everything the registry holds, for the local stack's data directory (src/state.ts). */
  snapshot(): unknown {
    const { things, thingTypes, thingEventsEnabled } = this;
    return { things: [...things], thingTypes: [...thingTypes], thingEventsEnabled };
  }

  /** Replaces what the registry holds with a {@link snapshot}'s content. */
  restore(snapshot: unknown): void {
    const saved = snapshot as {
      things: [string, LocalThing][];
      thingTypes: [string, LocalThingType][];
      thingEventsEnabled: boolean;
    };
    restoreEntries(this.things, saved.things);
    restoreEntries(this.thingTypes, saved.thingTypes);
    this.thingEventsEnabled = saved.thingEventsEnabled;
  }

  private async createThing(request: ApiRequest, thingName: string): Promise<ApiResponse> {
    checkThingName(thingName);
    const body = readJsonBody(request, CREATE_THING);
    const thingTypeName = body.thingTypeName;
    if (thingTypeName !== undefined) {
      const type = this.thingTypes.get(thingTypeName);
      if (!type)
        throw notFound(
          `Thing type ${thingTypeName} does not exist: create it first (CreateThingType).`,
        );
      if (type.deprecated)
        throw invalidRequest(
          `Thing type ${thingTypeName} is deprecated: things cannot be created with it.`,
        );
    }
    const attributes = body.attributePayload?.attributes ?? {};
    checkAttributeCount(thingName, attributes, thingTypeName);
    const existing = this.things.get(thingName);
    if (existing) {
      // CreateThing is idempotent only for the same configuration (docs/aws.md).
      if (
        existing.thingTypeName === thingTypeName &&
        sameAttributes(existing.attributes, attributes)
      ) {
        return { status: 200, json: thingIds(existing) };
      }
      throw new AwsServiceError(
        'ResourceAlreadyExistsException',
        409,
        `Thing ${thingName} already exists with a different configuration.`,
      );
    }
    const thing: LocalThing = {
      thingName,
      thingId: randomUUID(),
      thingArn: this.arn('thing', thingName),
      thingTypeName,
      attributes,
      version: 1,
    };
    this.things.set(thingName, thing);
    await this.publishEvent('CREATED', thing);
    return { status: 200, json: thingIds(thing) };
  }

  private describeThing(thingName: string): ApiResponse {
    const thing = this.requireThing(thingName);
    return {
      status: 200,
      json: {
        defaultClientId: thing.thingName,
        thingName: thing.thingName,
        thingId: thing.thingId,
        thingArn: thing.thingArn,
        thingTypeName: thing.thingTypeName,
        attributes: thing.attributes,
        version: thing.version,
      },
    };
  }

  private async updateThing(request: ApiRequest, thingName: string): Promise<ApiResponse> {
    const thing = this.requireThing(thingName);
    const body = readJsonBody(request, UPDATE_THING);
    checkExpectedVersion(thing, body.expectedVersion);
    let thingTypeName = thing.thingTypeName;
    const newType = body.thingTypeName;
    if (body.removeThingType) {
      if (newType !== undefined)
        throw invalidRequest('Give either thingTypeName or removeThingType, not both.');
      thingTypeName = undefined;
    } else if (newType !== undefined) {
      if (!this.thingTypes.has(newType)) throw notFound(`Thing type ${newType} does not exist.`);
      thingTypeName = newType;
    }
    let attributes = thing.attributes;
    const payload = body.attributePayload;
    if (payload !== undefined) {
      const given = payload?.attributes ?? {};
      // merge=false (the default) replaces the whole set; with merge, an empty value removes one.
      const merged: Record<string, string> = payload?.merge
        ? { ...thing.attributes, ...given }
        : { ...given };
      for (const [name, value] of Object.entries(merged)) if (value === '') delete merged[name];
      attributes = merged;
    }
    checkAttributeCount(thingName, attributes, thingTypeName);
    const updated: LocalThing = { ...thing, thingTypeName, attributes, version: thing.version + 1 };
    this.things.set(thingName, updated);
    await this.publishEvent('UPDATED', updated);
    return { status: 200, json: {} };
  }

  private async deleteThing(request: ApiRequest, thingName: string): Promise<ApiResponse> {
    const thing = this.things.get(thingName);
    // Deleting a thing that does not exist succeeds (docs/aws.md).
    if (!thing) return { status: 200, json: {} };
    const expected = request.query.get('expectedVersion');
    if (expected !== null) checkExpectedVersion(thing, Number(expected));
    this.things.delete(thingName);
    await this.publishEvent('DELETED', thing);
    return { status: 200, json: {} };
  }

  private listThings(request: ApiRequest): ApiResponse {
    const query = request.query;
    const attributeName = query.get('attributeName');
    const attributeValue = query.get('attributeValue');
    const thingTypeName = query.get('thingTypeName');
    const usePrefix = query.get('usePrefixAttributeValue') === 'true';
    // An exact value is looked up in the index; a prefix or no value needs every thing.
    const candidates =
      attributeName !== null && attributeValue !== null && !usePrefix
        ? this.things.withAttribute(attributeName, attributeValue)
        : [...this.things.values()];
    const matching = candidates
      .filter((thing) => thingTypeName === null || thing.thingTypeName === thingTypeName)
      .filter((thing) => {
        if (attributeName === null) return true;
        const value = thing.attributes[attributeName];
        if (value === undefined) return false;
        if (attributeValue === null) return true;
        return usePrefix ? value.startsWith(attributeValue) : value === attributeValue;
      })
      .sort((a, b) => a.thingName.localeCompare(b.thingName));
    const page = pageOf(matching, listQuery(request), LIST_LIMITS);
    return {
      status: 200,
      json: {
        things: page.items.map((thing) => ({
          thingName: thing.thingName,
          thingTypeName: thing.thingTypeName,
          thingArn: thing.thingArn,
          attributes: thing.attributes,
          version: thing.version,
        })),
        nextToken: page.nextToken,
      },
    };
  }

  private listThingTypes(request: ApiRequest): ApiResponse {
    const name = request.query.get('thingTypeName');
    const matching = [...this.thingTypes.values()]
      .filter((type) => name === null || type.thingTypeName === name)
      .sort((a, b) => a.thingTypeName.localeCompare(b.thingTypeName));
    const page = pageOf(matching, listQuery(request), LIST_LIMITS);
    return {
      status: 200,
      json: { thingTypes: page.items.map(thingTypeDescription), nextToken: page.nextToken },
    };
  }

  private createThingType(request: ApiRequest, thingTypeName: string): ApiResponse {
    if (!THING_TYPE_NAME.test(thingTypeName))
      throw invalidRequest(
        `Thing type name ${JSON.stringify(thingTypeName)} is invalid: 1-128 of a-z A-Z 0-9 : _ -.`,
      );
    const properties = readJsonBody(request, CREATE_THING_TYPE).thingTypeProperties;
    const description = properties?.thingTypeDescription;
    const searchable = properties?.searchableAttributes ?? [];
    const existing = this.thingTypes.get(thingTypeName);
    if (existing) {
      if (
        existing.description === description &&
        sameList(existing.searchableAttributes, searchable)
      ) {
        return { status: 200, json: thingTypeIds(existing) };
      }
      throw new AwsServiceError(
        'ResourceAlreadyExistsException',
        409,
        `Thing type ${thingTypeName} already exists with different properties.`,
      );
    }
    const type: LocalThingType = {
      thingTypeName,
      thingTypeId: randomUUID(),
      thingTypeArn: this.arn('thingtype', thingTypeName),
      description,
      searchableAttributes: searchable,
      deprecated: false,
      deprecationDate: undefined,
      creationDate: new Date(),
    };
    this.thingTypes.set(thingTypeName, type);
    return { status: 200, json: thingTypeIds(type) };
  }

  private describeThingType(thingTypeName: string): ApiResponse {
    const type = this.thingTypes.get(thingTypeName);
    if (!type) throw notFound(`Thing type ${thingTypeName} does not exist.`);
    return { status: 200, json: thingTypeDescription(type) };
  }

  private deprecateThingType(request: ApiRequest, thingTypeName: string): ApiResponse {
    const type = this.thingTypes.get(thingTypeName);
    if (!type) throw notFound(`Thing type ${thingTypeName} does not exist.`);
    const undo = readJsonBody(request, DEPRECATE_THING_TYPE).undoDeprecate;
    this.thingTypes.set(thingTypeName, {
      ...type,
      deprecated: !undo,
      deprecationDate: undo ? undefined : new Date(),
    });
    return { status: 200, json: {} };
  }

  private updateEventConfigurations(request: ApiRequest): ApiResponse {
    const enabled = readJsonBody(request, UPDATE_EVENT_CONFIGURATIONS).eventConfigurations.THING
      ?.Enabled;
    if (typeof enabled === 'boolean') this.thingEventsEnabled = enabled;
    return { status: 200, json: {} };
  }

  private describeEventConfigurations(): ApiResponse {
    return {
      status: 200,
      json: { eventConfigurations: { THING: { Enabled: this.thingEventsEnabled } } },
    };
  }

  /** Every endpoint type answers the broker's host: it is all of IoT Core here. */
  private describeEndpoint(request: ApiRequest): ApiResponse {
    const endpointType = request.query.get('endpointType') ?? 'iot:Data';
    if (!ENDPOINT_TYPES.includes(endpointType))
      throw invalidRequest(
        `endpointType ${JSON.stringify(endpointType)} is invalid: use one of ${ENDPOINT_TYPES.join(', ')}.`,
      );
    return { status: 200, json: { endpointAddress: this.options.endpointAddress } };
  }

  private requireThing(thingName: string): LocalThing {
    const thing = this.things.get(thingName);
    if (!thing) throw notFound(`Thing ${thingName} does not exist.`);
    return thing;
  }

  /** Publishes `$aws/events/thing/<name>/<operation>` in the shape of docs/aws.md, when enabled. */
  private async publishEvent(
    operation: 'CREATED' | 'UPDATED' | 'DELETED',
    thing: LocalThing,
  ): Promise<void> {
    if (!this.thingEventsEnabled) return;
    const event = {
      eventType: 'THING_EVENT',
      eventId: randomBytes(16).toString('hex'),
      timestamp: Date.now(),
      operation,
      accountId: this.options.accountId,
      thingId: thing.thingId,
      thingName: thing.thingName,
      versionNumber: thing.version,
      thingTypeName: thing.thingTypeName ?? null,
      attributes: thing.attributes,
    };
    await this.options.publish(
      `$aws/events/thing/${thing.thingName}/${operation.toLowerCase()}`,
      JSON.stringify(event),
    );
  }

  private arn(kind: string, name: string): string {
    return `arn:aws:iot:${this.options.region}:${this.options.accountId}:${kind}/${name}`;
  }
}

function checkThingName(thingName: string): void {
  if (!THING_NAME.test(thingName)) {
    throw invalidRequest(
      `Thing name ${JSON.stringify(thingName)} is invalid: use 1-128 of a-z A-Z 0-9 : _ -.`,
    );
  }
}

/** The string fields of a checked map (all of them), as own fields whatever their names. */
function stringFields(map: Readonly<Record<string, unknown>>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(map).filter((entry): entry is [string, string] => typeof entry[1] === 'string'),
  );
}

function checkAttributeCount(
  thingName: string,
  attributes: Record<string, string>,
  thingTypeName: string | undefined,
): void {
  const limit =
    thingTypeName === undefined ? MAX_ATTRIBUTES_WITHOUT_TYPE : MAX_ATTRIBUTES_WITH_TYPE;
  if (Object.keys(attributes).length > limit) {
    throw invalidRequest(
      `Thing ${thingName} would have more than ${limit} attributes${thingTypeName === undefined ? ' (give it a thing type for up to 50)' : ''}.`,
    );
  }
}

function checkExpectedVersion(thing: LocalThing, expected: number | null | undefined): void {
  if (expected === undefined || expected === null) return;
  if (expected !== thing.version) {
    throw new AwsServiceError(
      'VersionConflictException',
      409,
      `Thing ${thing.thingName} is at version ${thing.version}, not ${String(expected)}.`,
    );
  }
}

function thingIds(thing: LocalThing): Record<string, string> {
  return { thingName: thing.thingName, thingArn: thing.thingArn, thingId: thing.thingId };
}

function thingTypeIds(type: LocalThingType): Record<string, string> {
  return {
    thingTypeName: type.thingTypeName,
    thingTypeArn: type.thingTypeArn,
    thingTypeId: type.thingTypeId,
  };
}

function sameAttributes(
  a: Readonly<Record<string, string>>,
  b: Readonly<Record<string, string>>,
): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((key) => a[key] === b[key]);
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((item, i) => item === b[i]);
}

/** DescribeThingType's answer, and one item of ListThingTypes. */
function thingTypeDescription(type: LocalThingType): Record<string, unknown> {
  return {
    thingTypeName: type.thingTypeName,
    thingTypeId: type.thingTypeId,
    thingTypeArn: type.thingTypeArn,
    thingTypeProperties: {
      thingTypeDescription: type.description,
      searchableAttributes: type.searchableAttributes,
    },
    thingTypeMetadata: {
      deprecated: type.deprecated,
      deprecationDate: type.deprecationDate && epochSeconds(type.deprecationDate),
      creationDate: epochSeconds(type.creationDate),
    },
  };
}
