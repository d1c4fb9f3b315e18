/**
 * In-memory implementations of the ports, for tests and benchmarks: they behave as the AWS
 * adapters promise (shadow merge and versions, idempotent thing creation), record every
 * call, and answer without latency.
 */
import { ShadowVersionConflictError, ThingAlreadyExistsError } from './errors';
import type {
  CreateThingInput,
  MessagePublisher,
  SecretReader,
  ShadowDocument,
  ShadowStore,
  ShadowUpdate,
  ThingRecord,
  ThingRegistry,
} from './ports';

/** One recorded port call. */
export interface PortCall {
  readonly method: string;
  readonly args: readonly unknown[];
}

/** A thing registry in memory. */
export class InMemoryThingRegistry implements ThingRegistry {
  readonly things = new Map<string, ThingRecord>();
  readonly calls: PortCall[] = [];

  async describeThing(thingName: string): Promise<ThingRecord | undefined> {
    this.calls.push({ method: 'describeThing', args: [thingName] });
    return this.things.get(thingName);
  }

  async createThing(input: CreateThingInput): Promise<void> {
    this.calls.push({ method: 'createThing', args: [input] });
    const existing = this.things.get(input.thingName);
    if (existing) {
      const same =
        existing.thingTypeName === input.thingTypeName &&
        JSON.stringify(sorted(existing.attributes)) === JSON.stringify(sorted(input.attributes));
      if (!same) throw new ThingAlreadyExistsError(input.thingName);
      return;
    }
    this.things.set(input.thingName, { ...input, attributes: { ...input.attributes }, version: 1 });
  }

  async updateThingAttributes(thingName: string, attributes: Readonly<Record<string, string | null>>): Promise<void> {
    this.calls.push({ method: 'updateThingAttributes', args: [thingName, attributes] });
    const thing = this.things.get(thingName);
    if (!thing) throw new Error(`no thing ${thingName}`);
    const merged: Record<string, string> = { ...thing.attributes };
    for (const [name, value] of Object.entries(attributes)) {
      if (value === null) delete merged[name];
      else merged[name] = value;
    }
    this.things.set(thingName, { ...thing, attributes: merged, version: (thing.version ?? 0) + 1 });
  }
}

function sorted(record: Readonly<Record<string, string>>): [string, string][] {
  return Object.entries(record).sort(([a], [b]) => a.localeCompare(b));
}

/** Named shadows in memory, with AWS IoT's merge rules and version checks. */
export class InMemoryShadowStore implements ShadowStore {
  readonly shadows = new Map<string, { reported: Record<string, unknown>; version: number }>();
  readonly calls: PortCall[] = [];

  async getShadow(thingName: string, shadowName: string): Promise<ShadowDocument | undefined> {
    this.calls.push({ method: 'getShadow', args: [thingName, shadowName] });
    const shadow = this.shadows.get(`${thingName}/${shadowName}`);
    return shadow && { state: { reported: structuredClone(shadow.reported) }, version: shadow.version };
  }

  async updateShadow(thingName: string, shadowName: string, update: ShadowUpdate): Promise<{ version: number }> {
    this.calls.push({ method: 'updateShadow', args: [thingName, shadowName, update] });
    const key = `${thingName}/${shadowName}`;
    const shadow = this.shadows.get(key) ?? { reported: {}, version: 0 };
    if (update.version !== undefined && update.version !== shadow.version) throw new ShadowVersionConflictError(thingName);
    const next = { reported: merge(structuredClone(shadow.reported), update.reported), version: shadow.version + 1 };
    this.shadows.set(key, next);
    return { version: next.version };
  }

  /** The reported state of a shadow (a copy), or `undefined`. */
  reported(thingName: string, shadowName: string): Record<string, unknown> | undefined {
    const shadow = this.shadows.get(`${thingName}/${shadowName}`);
    return shadow && structuredClone(shadow.reported);
  }
}

// Shadow merge: objects merge per path, `null` deletes, anything else (arrays too) replaces.
function merge(target: Record<string, unknown>, patch: Readonly<Record<string, unknown>>): Record<string, unknown> {
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) {
      delete target[key];
    } else if (isObject(value) && isObject(target[key])) {
      target[key] = merge(target[key] as Record<string, unknown>, value);
    } else {
      target[key] = isObject(value) ? merge({}, value) : structuredClone(value);
    }
  }
  return target;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A publisher that records what it is given. */
export class RecordingPublisher implements MessagePublisher {
  readonly messages: { topic: string; payload: unknown; qos: 0 | 1 }[] = [];

  async publish(topic: string, payload: unknown, options: { readonly qos?: 0 | 1 } = {}): Promise<void> {
    // A JSON round trip, as the real publisher serialises: what is recorded is what went out.
    this.messages.push({ topic, payload: JSON.parse(JSON.stringify(payload)), qos: options.qos ?? 1 });
  }

  /** The payloads published on `topic`. */
  on(topic: string): unknown[] {
    return this.messages.filter((message) => message.topic === topic).map((message) => message.payload);
  }
}

/** Secrets from a map; `invalidate` is recorded, values can be replaced between reads. */
export class InMemorySecretReader implements SecretReader {
  readonly reads: string[] = [];
  readonly invalidated: string[] = [];

  constructor(readonly secrets: Map<string, string>) {}

  async getSecretString(secretID: string): Promise<string> {
    this.reads.push(secretID);
    const value = this.secrets.get(secretID);
    if (value === undefined) throw new Error(`no secret ${secretID}`);
    return value;
  }

  invalidate(secretID: string): void {
    this.invalidated.push(secretID);
  }
}
