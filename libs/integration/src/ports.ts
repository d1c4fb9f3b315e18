/**
 * The ports the domain talks through. `libs/aws` implements them on the AWS SDK;
 * tests use in-memory fakes. Ports speak the domain's language, never the SDK's:
 * adapters map SDK errors to the errors in `errors.ts`.
 */

/** A thing in the AWS IoT registry, as far as the integration cares. */
export interface ThingRecord {
  readonly thingName: string;
  /**
   * The registry's ID of the thing: unique to this thing, not shared by a thing created
   * again under the same name.
   */
  readonly thingId?: string;
  readonly thingTypeName?: string;
  readonly attributes: Readonly<Record<string, string>>;
  /** The registry's version of the thing (for optimistic updates). */
  readonly version?: number;
}

/** A thing to create in the registry. */
export interface CreateThingInput {
  readonly thingName: string;
  readonly thingTypeName: string;
  readonly attributes: Readonly<Record<string, string>>;
}

/** A search of the registry by one searchable attribute of a thing type (`ListThings`). */
export interface ThingQuery {
  readonly attributeName: string;
  readonly attributeValue: string;
  readonly thingTypeName: string;
  /** Stop after this many things (the caller only needs to know there are more than it takes). */
  readonly limit: number;
}

/** The AWS IoT thing registry, as far as the integration uses it. */
export interface ThingRegistry {
  /** The thing, or `undefined` when it does not exist. */
  describeThing(thingName: string): Promise<ThingRecord | undefined>;
  /**
   * The things of `query.thingTypeName` whose attribute `query.attributeName` is exactly
   * `query.attributeValue`, at most `query.limit` of them, in the registry's order.
   */
  findThings(query: ThingQuery): Promise<readonly ThingRecord[]>;
  /**
   * Creates the thing. Creating a thing that exists with the same configuration succeeds;
   * one that exists with another configuration fails with `ThingAlreadyExistsError`.
   */
  createThing(input: CreateThingInput): Promise<void>;
  /**
   * Merges `attributes` into the thing's attributes; a `null` value removes that attribute.
   * With `expectedVersion`, a concurrent change fails with `ThingVersionConflictError`.
   */
  updateThingAttributes(
    thingName: string,
    attributes: Readonly<Record<string, string | null>>,
    options?: { readonly expectedVersion?: number },
  ): Promise<void>;
}

/** A named shadow document (only the parts the integration uses). */
export interface ShadowDocument {
  readonly state: {
    readonly reported?: Readonly<Record<string, unknown>>;
    readonly desired?: Readonly<Record<string, unknown>>;
  };
  readonly version: number;
}

/** One update of a named shadow's `state.reported`. */
export interface ShadowUpdate {
  /** Merged into `state.reported`; a `null` value deletes the field. */
  readonly reported: Readonly<Record<string, unknown>>;
  /** Merged into `state.desired` when given (`null` deletes, e.g. a handled desired downlink). */
  readonly desired?: Readonly<Record<string, unknown>>;
  /** With a version, the update fails with `ShadowVersionConflictError` if the shadow moved on. */
  readonly version?: number;
  readonly clientToken?: string;
}

/** Named device shadows. */
export interface ShadowStore {
  /** The named shadow, or `undefined` when the thing has none yet. */
  getShadow(thingName: string, shadowName: string): Promise<ShadowDocument | undefined>;
  /** Applies the update and returns the shadow's new version. */
  updateShadow(
    thingName: string,
    shadowName: string,
    update: ShadowUpdate,
  ): Promise<{ version: number }>;
}

/** Publishes MQTT messages through AWS IoT Core. */
export interface MessagePublisher {
  /** Publishes `payload` as JSON on `topic` (QoS 1 unless told otherwise). */
  publish(topic: string, payload: unknown, options?: { readonly qos?: 0 | 1 }): Promise<void>;
}

/** Reads string secrets (the KEK ring, the TTS API key). */
export interface SecretReader {
  /** The secret's current string value. Adapters may cache it for the container's life. */
  getSecretString(secretID: string): Promise<string>;
}

/** A `SecretReader` that may hold values in a cache it can be told to drop. */
export type RefreshableSecretReader = SecretReader & { invalidate?(secretID: string): void };

/**
 * Structured log lines (Powertools' Logger fits). Attributes are snake_case keys, as TTS logs
 * them, and never carry key material.
 */
export interface Log {
  debug(message: string, attributes: Readonly<Record<string, unknown>>): void;
  info(message: string, attributes: Readonly<Record<string, unknown>>): void;
  warn(message: string, attributes: Readonly<Record<string, unknown>>): void;
}

/** Counters that become CloudWatch metrics (`Uplinks`, `Downlinks`, `DecryptFailures`, …). */
export interface Counters {
  count(name: string, value?: number): void;
}
