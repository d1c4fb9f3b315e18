/**
 * In-memory implementations of the ports, for tests and benchmarks: they behave as the AWS
 * adapters and the TTS client promise (shadow merge and versions, idempotent thing creation,
 * a conflict for a device registered twice), record every call, and answer without latency.
 */
import { randomUUID } from 'node:crypto';

import { isJsonObject } from '@tts-aws-iot/input';
import type { KekRing } from '@tts-aws-iot/keywrap';
import {
  TtsApiError,
  type EndDeviceIDs,
  type EndDeviceRegistryApi,
  type IdentityServerDevice,
} from '@tts-aws-iot/tts';

import type { IntegrationConfig } from '../config';
import { ShadowVersionConflictError, ThingAlreadyExistsError } from '../errors';
import type {
  CreateThingInput,
  MessagePublisher,
  SecretReader,
  ShadowDocument,
  ShadowStore,
  ShadowUpdate,
  ThingQuery,
  ThingRecord,
  ThingRegistry,
} from '../ports';
import type { ProvisioningDependencies } from '../registry/dependencies';
import { RecentEvents } from '../registry/registry-event';
import { trafficDependencies, type TrafficDependencies } from '../traffic/dependencies';

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

  async findThings(query: ThingQuery): Promise<readonly ThingRecord[]> {
    this.calls.push({ method: 'findThings', args: [query] });
    return [...this.things.values()]
      .filter(
        (thing) =>
          thing.thingTypeName === query.thingTypeName &&
          thing.attributes[query.attributeName] === query.attributeValue,
      )
      .slice(0, query.limit);
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
    this.things.set(input.thingName, {
      ...input,
      thingId: randomUUID(),
      attributes: { ...input.attributes },
      version: 1,
    });
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
  readonly shadows = new Map<
    string,
    { reported: Record<string, unknown>; desired?: Record<string, unknown>; version: number }
  >();
  readonly calls: PortCall[] = [];

  async getShadow(thingName: string, shadowName: string): Promise<ShadowDocument | undefined> {
    this.calls.push({ method: 'getShadow', args: [thingName, shadowName] });
    const shadow = this.shadows.get(`${thingName}/${shadowName}`);
    return (
      shadow && {
        state: {
          reported: structuredClone(shadow.reported),
          ...(shadow.desired ? { desired: structuredClone(shadow.desired) } : {}),
        },
        version: shadow.version,
      }
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
    const desired =
      update.desired === undefined
        ? shadow.desired
        : merge(structuredClone(shadow.desired ?? {}), update.desired);
    const next = {
      reported: merge(structuredClone(shadow.reported), update.reported),
      ...(desired ? { desired } : {}),
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
  target: Readonly<Record<string, unknown>>,
  patch: Readonly<Record<string, unknown>>,
): Record<string, unknown> {
  const merged: Record<string, unknown> = { ...target };
  for (const [key, value] of Object.entries(patch)) {
    const current = merged[key];
    if (value === null) delete merged[key];
    else if (isJsonObject(value)) merged[key] = merge(isJsonObject(current) ? current : {}, value);
    else merged[key] = structuredClone(value);
  }
  return merged;
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
class InMemoryEndDeviceRegistry implements EndDeviceRegistryApi {
  readonly calls: PortCall[] = [];
  /** The devices on the Identity Server, by device ID. */
  readonly devices = new Map<
    string,
    { devEUI: string; joinEUI: string; attributes?: Readonly<Record<string, string>> }
  >();
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

  claimEndDevice = this.#answer('claimEndDevice', () => undefined);
  unclaimEndDevice = this.#answer('unclaimEndDevice', () => true);
  createEndDevice = this.#answer('createEndDevice', (device: IdentityServerDevice) => {
    const { deviceID, devEUI, joinEUI } = device.ids;
    if (this.devices.has(deviceID)) {
      throw new TtsApiError(
        'already_exists',
        `Device ${deviceID} exists.`,
        409,
        false,
        undefined,
        undefined,
      );
    }
    this.devices.set(deviceID, { devEUI, joinEUI, attributes: { ...device.attributes } });
  });
  getEndDevice = this.#answer('getEndDevice', (ids: EndDeviceIDs) => {
    const device = this.devices.get(ids.deviceID);
    return (
      device && {
        applicationID: ids.applicationID,
        deviceID: ids.deviceID,
        devEUI: device.devEUI,
        joinEUI: device.joinEUI,
        attributes: { ...device.attributes },
      }
    );
  });
  deleteEndDevice = this.#answer('deleteEndDevice', (ids: EndDeviceIDs) =>
    this.devices.delete(ids.deviceID),
  );
  setJoinServerDevice = this.#answer('setJoinServerDevice', () => undefined);
  deleteJoinServerDevice = this.#answer('deleteJoinServerDevice', () => true);
  setNetworkServerDevice = this.#answer('setNetworkServerDevice', () => undefined);
  deleteNetworkServerDevice = this.#answer('deleteNetworkServerDevice', () => true);
  setApplicationServerDevice = this.#answer('setApplicationServerDevice', () => undefined);
  deleteApplicationServerDevice = this.#answer('deleteApplicationServerDevice', () => true);

  /** A method that records its call, then throws the failure scripted for it or answers. */
  #answer<M extends keyof EndDeviceRegistryApi>(
    method: M,
    answer: (
      ...args: Parameters<EndDeviceRegistryApi[M]>
    ) => Awaited<ReturnType<EndDeviceRegistryApi[M]>>,
  ): EndDeviceRegistryApi[M] {
    const call = async (...args: Parameters<EndDeviceRegistryApi[M]>) => {
      this.calls.push({ method, args });
      const failure = this.#failures.get(method);
      if (failure !== undefined) throw failure;
      return answer(...args);
    };
    return call as EndDeviceRegistryApi[M];
  }
}

/** A log line that `inMemoryTraffic` recorded. */
export interface RecordedLogLine {
  readonly level: 'debug' | 'info' | 'warn';
  readonly message: string;
  readonly attributes: Readonly<Record<string, unknown>>;
}

/** A `Log` that records its lines in `lines`. */
function recordingLog(lines: RecordedLogLine[]) {
  const record =
    (level: RecordedLogLine['level']) =>
    (message: string, attributes: Readonly<Record<string, unknown>>) =>
      void lines.push({ level, message, attributes });
  return { debug: record('debug'), info: record('info'), warn: record('warn') };
}

/**
 * The registry flows' dependencies over in-memory ports, TTS's device registries included,
 * with every log line recorded.
 */
export function inMemoryProvisioning(
  config: ProvisioningDependencies['config'],
  options: { readonly kekRing?: KekRing } = {},
) {
  const registry = new InMemoryThingRegistry();
  const publisher = new RecordingPublisher();
  const tts = new InMemoryEndDeviceRegistry();
  const logs: RecordedLogLine[] = [];
  const { kekRing } = options;
  const deps: ProvisioningDependencies = {
    config,
    registry,
    publisher,
    tts,
    recentEvents: new RecentEvents(),
    log: recordingLog(logs),
    ...(kekRing ? { kekRing: async () => kekRing } : {}),
  };
  return { deps, registry, publisher, tts, logs };
}

/**
 * The traffic Lambdas' dependencies over in-memory ports, with every log line and metric
 * recorded. The secret store holds `secrets`; waiting takes no time and jitter is 0.5
 * unless `runtime` says otherwise.
 */
export function inMemoryTraffic(
  config: IntegrationConfig,
  secrets: Readonly<Record<string, string>> = {},
  runtime: Partial<Pick<TrafficDependencies, 'delay' | 'random'>> = {},
) {
  const registry = new InMemoryThingRegistry();
  const shadows = new InMemoryShadowStore();
  const publisher = new RecordingPublisher();
  const secretStore = new InMemorySecretReader(new Map(Object.entries(secrets)));
  const logs: RecordedLogLine[] = [];
  const metrics: Record<string, number> = {};
  const deps = trafficDependencies(
    config,
    { registry, shadows, publisher, secrets: secretStore },
    {
      log: recordingLog(logs),
      counters: { count: (name, value = 1) => void (metrics[name] = (metrics[name] ?? 0) + value) },
      delay: async () => undefined,
      random: () => 0.5,
      ...runtime,
    },
  );
  return { deps, registry, shadows, publisher, secretStore, logs, metrics };
}
