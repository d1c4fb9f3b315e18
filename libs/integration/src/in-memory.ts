/**
 * In-memory implementations of the ports, for tests and benchmarks: they behave as the AWS
 * adapters and the TTS client promise (shadow merge and versions, idempotent thing creation,
 * a conflict for a device registered twice), record every call, and answer without latency.
 */
import {
  TtsApiError,
  type ApplicationServerDevice,
  type ClaimRequest,
  type EndDeviceIDs,
  type EndDeviceRegistryApi,
  type IdentityServerDevice,
  type JoinServerDevice,
  type NetworkServerDevice,
  type OtaaDeviceIDs,
} from '@tts-aws-iot/tts';

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

  async updateThingAttributes(
    thingName: string,
    attributes: Readonly<Record<string, string | null>>,
  ): Promise<void> {
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
    return (
      shadow && { state: { reported: structuredClone(shadow.reported) }, version: shadow.version }
    );
  }

  async updateShadow(
    thingName: string,
    shadowName: string,
    update: ShadowUpdate,
  ): Promise<{ version: number }> {
    this.calls.push({ method: 'updateShadow', args: [thingName, shadowName, update] });
    const key = `${thingName}/${shadowName}`;
    const shadow = this.shadows.get(key) ?? { reported: {}, version: 0 };
    if (update.version !== undefined && update.version !== shadow.version)
      throw new ShadowVersionConflictError(thingName);
    const next = {
      reported: merge(structuredClone(shadow.reported), update.reported),
      version: shadow.version + 1,
    };
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
function merge(
  target: Record<string, unknown>,
  patch: Readonly<Record<string, unknown>>,
): Record<string, unknown> {
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

  async publish(
    topic: string,
    payload: unknown,
    options: { readonly qos?: 0 | 1 } = {},
  ): Promise<void> {
    // A JSON round trip, as the real publisher serialises: what is recorded is what went out.
    this.messages.push({
      topic,
      payload: JSON.parse(JSON.stringify(payload)),
      qos: options.qos ?? 1,
    });
  }

  /** The payloads published on `topic`. */
  on(topic: string): unknown[] {
    return this.messages
      .filter((message) => message.topic === topic)
      .map((message) => message.payload);
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

/**
 * TTS's device registries (IS, JS, NS, AS and the claiming server) in memory, as far as the
 * registry flows use them: calls recorded, failures scripted per method, and the Identity
 * Server's devices kept, so that registering one twice conflicts as in TTS (409).
 */
export class InMemoryEndDeviceRegistry implements EndDeviceRegistryApi {
  readonly calls: PortCall[] = [];
  /** The devices on the Identity Server, by device ID. */
  readonly devices = new Map<string, { devEUI: string; joinEUI: string }>();
  readonly #failures = new Map<string, unknown>();

  /** The methods called, in order. */
  get methods(): string[] {
    return this.calls.map((call) => call.method);
  }

  /** The argument of the last call of `method`. */
  argument(method: keyof EndDeviceRegistryApi): unknown {
    return this.calls.findLast((call) => call.method === method)?.args[0];
  }

  /** Makes every later call of `method` throw `error`; `undefined` ends that. */
  fail(method: keyof EndDeviceRegistryApi, error: unknown): this {
    if (error === undefined) this.#failures.delete(method);
    else this.#failures.set(method, error);
    return this;
  }

  async claimEndDevice(claim: ClaimRequest): Promise<void> {
    this.#record('claimEndDevice', claim);
  }

  async unclaimEndDevice(ids: EndDeviceIDs): Promise<boolean> {
    this.#record('unclaimEndDevice', ids);
    return true;
  }

  async createEndDevice(device: IdentityServerDevice): Promise<void> {
    this.#record('createEndDevice', device);
    if (this.devices.has(device.ids.deviceID)) {
      throw new TtsApiError(
        'already_exists',
        `Device ${device.ids.deviceID} exists.`,
        409,
        false,
        undefined,
        undefined,
      );
    }
    this.devices.set(device.ids.deviceID, {
      devEUI: device.ids.devEUI,
      joinEUI: device.ids.joinEUI,
    });
  }

  async getEndDevice(ids: EndDeviceIDs): Promise<OtaaDeviceIDs | undefined> {
    this.#record('getEndDevice', ids);
    const device = this.devices.get(ids.deviceID);
    return device && { applicationID: ids.applicationID, deviceID: ids.deviceID, ...device };
  }

  async deleteEndDevice(ids: EndDeviceIDs): Promise<boolean> {
    this.#record('deleteEndDevice', ids);
    return this.devices.delete(ids.deviceID);
  }

  async setJoinServerDevice(device: JoinServerDevice): Promise<void> {
    this.#record('setJoinServerDevice', device);
  }

  async deleteJoinServerDevice(ids: EndDeviceIDs): Promise<boolean> {
    this.#record('deleteJoinServerDevice', ids);
    return true;
  }

  async setNetworkServerDevice(device: NetworkServerDevice): Promise<void> {
    this.#record('setNetworkServerDevice', device);
  }

  async deleteNetworkServerDevice(ids: EndDeviceIDs): Promise<boolean> {
    this.#record('deleteNetworkServerDevice', ids);
    return true;
  }

  async setApplicationServerDevice(device: ApplicationServerDevice): Promise<void> {
    this.#record('setApplicationServerDevice', device);
  }

  async deleteApplicationServerDevice(ids: EndDeviceIDs): Promise<boolean> {
    this.#record('deleteApplicationServerDevice', ids);
    return true;
  }

  #record(method: keyof EndDeviceRegistryApi, argument: unknown): void {
    this.calls.push({ method, args: [argument] });
    const failure = this.#failures.get(method);
    if (failure !== undefined) throw failure;
  }
}
