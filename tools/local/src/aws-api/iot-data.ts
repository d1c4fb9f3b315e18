import { isDeepStrictEqual } from 'node:util';
import * as v from 'valibot';
import {
  isJsonObject,
  jsonObject,
  objectOf,
  parseJsonText,
  readInput,
  type InputIssue,
  type JsonObject,
} from '@tts-aws-iot/input';
import { AwsServiceError } from '../errors';
import { restoreEntries } from '../state';
import {
  invalidRequest,
  listQuery,
  notFound,
  pageOf,
  refuseField,
  route,
  type ApiRequest,
  type ApiResponse,
  type Route,
} from './http';

type Json = Record<string, unknown>;

/** One device shadow (classic: `shadowName` is empty). */
export interface LocalShadow {
  readonly desired: Json | undefined;
  readonly reported: Json | undefined;
  readonly metadata: { desired?: Json; reported?: Json };
  readonly version: number;
  readonly timestamp: number;
  /** False after DeleteThingShadow: the version survives deletion, as in AWS. */
  readonly exists: boolean;
}

export interface IotDataPlaneOptions {
  /** Publishes into the broker (Publish, and the shadow's `update/*` topics). */
  readonly publish: (
    topic: string,
    payload: string | Buffer,
    options: { qos: 0 | 1; retain: boolean },
  ) => Promise<void>;
}

// Limits of the Device Shadow service and of Publish (docs/aws.md, "Device shadow").
const THING_NAME = /^[a-zA-Z0-9:_-]{1,128}$/;
const SHADOW_NAME = /^[$a-zA-Z0-9:_-]{1,64}$/;
const MAX_DOCUMENT_BYTES = 8 * 1024;
const MAX_DEPTH = 6;
const MAX_CLIENT_TOKEN_BYTES = 64;
const MAX_PUBLISH_BYTES = 128 * 1024;
const NAMED_SHADOW_LIMITS = { sizeParam: 'pageSize', defaultSize: 25, max: 100 };

/**
 * The AWS IoT data plane (REST, as `@aws-sdk/client-iot-data-plane` sends it): named and
 * classic shadows with versions, merge semantics (only sent fields change, `null` deletes,
 * arrays are replaced whole), ConflictException on a stale `version`, the 8 KB document
 * limit; and Publish, which delivers into the local broker. Shadow updates publish the
 * `update/accepted`, `update/documents` and `update/delta` topics.
 */
export class IotDataPlane {
  readonly routes: readonly Route[];
  private readonly shadows = new Map<string, LocalShadow>();

  constructor(private readonly options: IotDataPlaneOptions) {
    const shadowPath = /^\/things\/([^/]+)\/shadow$/;
    const namedShadows = /^\/api\/things\/shadow\/ListNamedShadowsForThing\/([^/]+)$/;
    this.routes = [
      route('GetThingShadow', 'GET', shadowPath, (r, thing) =>
        this.getShadow(thing, shadowName(r)),
      ),
      route('UpdateThingShadow', 'POST', shadowPath, (r, thing) =>
        this.updateShadow(r, thing, shadowName(r)),
      ),
      route('DeleteThingShadow', 'DELETE', shadowPath, (r, thing) =>
        this.deleteShadow(thing, shadowName(r)),
      ),
      route('ListNamedShadowsForThing', 'GET', namedShadows, (r, thing) =>
        this.listNamedShadows(r, thing),
      ),
      route('Publish', 'POST', /^\/topics\/(.+)$/, (r, topic) => this.publish(r, topic)),
    ];
  }

  /** The current shadow document's state, or `undefined` (for the guide and tests). */
  getState(
    thingName: string,
    shadowName = '',
  ): { desired?: Json; reported?: Json; version: number } | undefined {
    const shadow = this.shadows.get(key(thingName, shadowName));
    if (!shadow?.exists) return undefined;
    return { desired: shadow.desired, reported: shadow.reported, version: shadow.version };
  }

  /** Every shadow with its version, for the local stack's data directory (src/state.ts). */
  snapshot(): unknown {
    return { shadows: [...this.shadows] };
  }

  /** Replaces the shadows with a {@link snapshot}'s. */
  restore(snapshot: unknown): void {
    restoreEntries(this.shadows, (snapshot as { shadows: [string, LocalShadow][] }).shadows);
  }

  private getShadow(thingName: string, name: string): ApiResponse {
    checkNames(thingName, name);
    const shadow = this.shadows.get(key(thingName, name));
    if (!shadow?.exists) throw noShadow(thingName, name);
    const delta = shadow.desired && computeDelta(shadow.desired, shadow.reported ?? {});
    return {
      status: 200,
      json: {
        state: {
          desired: shadow.desired,
          reported: shadow.reported,
          delta: delta && Object.keys(delta).length > 0 ? delta : undefined,
        },
        metadata: shadow.metadata,
        version: shadow.version,
        timestamp: shadow.timestamp,
      },
    };
  }

  private async updateShadow(
    request: ApiRequest,
    thingName: string,
    name: string,
  ): Promise<ApiResponse> {
    checkNames(thingName, name);
    const update = parseUpdate(request.body);
    const id = key(thingName, name);
    const previous = this.shadows.get(id);
    const currentVersion = previous?.version ?? 0;
    if (update.version !== undefined && update.version !== currentVersion) {
      throw new AwsServiceError(
        'ConflictException',
        409,
        `Version conflict: the shadow of ${thingName} is at version ${currentVersion}, not ${update.version}.`,
      );
    }
    const live = previous?.exists ? previous : undefined;
    const timestamp = Math.floor(Date.now() / 1000);
    const shadow = mergeUpdate(thingName, live, update, timestamp, currentVersion + 1);
    this.shadows.set(id, shadow);
    const accepted = {
      state: update.state,
      metadata: metadataFor(update.state, timestamp),
      version: shadow.version,
      timestamp,
      clientToken: update.clientToken,
    };
    await this.emitUpdate(shadowTopic(thingName, name), live, shadow, update, accepted);
    return { status: 200, json: accepted };
  }

  /** The `update/accepted`, `update/documents` and (for a desired change with a delta) `update/delta` topics. */
  private async emitUpdate(
    base: string,
    live: LocalShadow | undefined,
    shadow: LocalShadow,
    update: ParsedUpdate,
    accepted: Json,
  ): Promise<void> {
    const { timestamp, version } = shadow;
    await this.emit(`${base}/update/accepted`, accepted);
    await this.emit(`${base}/update/documents`, {
      previous: live ? document(live) : undefined,
      current: document(shadow),
      timestamp,
      clientToken: update.clientToken,
    });
    const delta = shadow.desired && computeDelta(shadow.desired, shadow.reported ?? {});
    if (update.state['desired'] !== undefined && delta && Object.keys(delta).length > 0) {
      await this.emit(`${base}/update/delta`, {
        state: delta,
        metadata: metadataFor(delta, timestamp),
        version,
        timestamp,
        clientToken: update.clientToken,
      });
    }
  }

  private listNamedShadows(request: ApiRequest, thingName: string): ApiResponse {
    checkNames(thingName, '');
    const prefix = key(thingName, '');
    const names = [...this.shadows]
      .filter(([id, shadow]) => shadow.exists && id.startsWith(prefix) && id !== prefix)
      .map(([id]) => id.slice(prefix.length))
      .sort();
    const page = pageOf(names, listQuery(request, 'pageSize'), NAMED_SHADOW_LIMITS);
    return {
      status: 200,
      json: {
        results: page.items,
        nextToken: page.nextToken,
        timestamp: Math.floor(Date.now() / 1000),
      },
    };
  }

  private async deleteShadow(thingName: string, name: string): Promise<ApiResponse> {
    checkNames(thingName, name);
    const id = key(thingName, name);
    const shadow = this.shadows.get(id);
    if (!shadow?.exists) throw noShadow(thingName, name);
    const timestamp = Math.floor(Date.now() / 1000);
    this.shadows.set(id, {
      desired: undefined,
      reported: undefined,
      metadata: {},
      version: shadow.version,
      timestamp,
      exists: false,
    });
    const answer = { version: shadow.version, timestamp };
    await this.emit(`${shadowTopic(thingName, name)}/delete/accepted`, answer);
    return { status: 200, json: answer };
  }

  private async publish(request: ApiRequest, topic: string): Promise<ApiResponse> {
    if (topic.length === 0 || /[+#]/.test(topic))
      throw invalidRequest(
        `Topic ${JSON.stringify(topic)} is invalid: publish to a topic name without wildcards.`,
      );
    if (request.body.length > MAX_PUBLISH_BYTES) {
      throw new AwsServiceError(
        'RequestEntityTooLargeException',
        413,
        `The payload is ${request.body.length} bytes; Publish takes at most 128 KB.`,
      );
    }
    const qos = Number(request.query.get('qos') ?? '0');
    if (qos !== 0 && qos !== 1)
      throw invalidRequest(`qos ${request.query.get('qos')} is invalid: use 0 or 1.`);
    await this.options.publish(topic, request.body, {
      qos,
      retain: request.query.get('retain') === 'true',
    });
    return { status: 200, json: {} };
  }

  private async emit(topic: string, payload: unknown): Promise<void> {
    await this.options.publish(topic, JSON.stringify(payload), { qos: 0, retain: false });
  }
}

function shadowName(request: ApiRequest): string {
  return request.query.get('name') ?? '';
}

function key(thingName: string, name: string): string {
  return `${thingName}\u0000${name}`;
}

function shadowTopic(thingName: string, name: string): string {
  return name ? `$aws/things/${thingName}/shadow/name/${name}` : `$aws/things/${thingName}/shadow`;
}

function checkNames(thingName: string, name: string): void {
  if (!THING_NAME.test(thingName))
    throw invalidRequest(
      `Thing name ${JSON.stringify(thingName)} is invalid: use 1-128 of a-z A-Z 0-9 : _ -.`,
    );
  if (name && !SHADOW_NAME.test(name))
    throw invalidRequest(
      `Shadow name ${JSON.stringify(name)} is invalid: use 1-64 of a-z A-Z 0-9 $ : _ -.`,
    );
}

function noShadow(thingName: string, name: string): AwsServiceError {
  return notFound(
    name
      ? `No shadow exists with name: '${name}' for thing ${thingName}.`
      : `No shadow exists for thing ${thingName}.`,
  );
}

/** The message of a state node other than `desired` and `reported`. */
const INVALID_NODE = 'invalid_node';
const CLIENT_TOKEN = `a string of at most ${MAX_CLIENT_TOKEN_BYTES} bytes`;
const section = v.nullish(
  v.pipe(
    jsonObject('an object or null'),
    v.check(
      (value) => depth(value) <= MAX_DEPTH,
      `an object nested at most ${MAX_DEPTH} levels deep`,
    ),
  ),
);
/** An UpdateThingShadow document; `state` holds only the sections it was sent with. */
const SHADOW_UPDATE = objectOf(
  {
    state: v.pipe(
      jsonObject('an object'),
      v.strictObject({ desired: section, reported: section }, (issue) =>
        issue.expected === 'never' ? INVALID_NODE : 'an object',
      ),
    ),
    version: v.optional(v.pipe(v.number('an integer'), v.integer('an integer'))),
    clientToken: v.optional(
      v.pipe(v.string(CLIENT_TOKEN), v.maxBytes(MAX_CLIENT_TOKEN_BYTES, CLIENT_TOKEN)),
    ),
  },
  'a JSON object',
);

type ParsedUpdate = v.InferOutput<typeof SHADOW_UPDATE>;

function parseUpdate(body: Buffer): ParsedUpdate {
  const parsed = parseJsonText(body.toString('utf8'));
  if ('error' in parsed) throw invalidRequest('The shadow update payload is not valid JSON.');
  return readInput(SHADOW_UPDATE, parsed.json, refuseUpdate);
}

/** The Device Shadow service's words for a document without a state or with another node. */
function refuseUpdate(issue: InputIssue): AwsServiceError {
  const [node, section] = issue.path;
  if (node === undefined || (node === 'state' && section === undefined))
    return invalidRequest('Missing required node: state.');
  if (issue.expected === INVALID_NODE)
    return invalidRequest(
      `State contains an invalid node: '${String(section)}'. Use desired and reported.`,
    );
  return refuseField(issue);
}

/** The shadow after an update: both sections merged, within the 8 KB limit. */
function mergeUpdate(
  thingName: string,
  live: LocalShadow | undefined,
  update: ParsedUpdate,
  timestamp: number,
  version: number,
): LocalShadow {
  const metadata = { desired: live?.metadata.desired, reported: live?.metadata.reported };
  const section = (name: 'desired' | 'reported') =>
    applySection(live?.[name], metadata, name, update.state[name], timestamp);
  const [desired, reported] = [section('desired'), section('reported')];
  const size = Buffer.byteLength(JSON.stringify({ desired, reported }));
  if (size > MAX_DOCUMENT_BYTES) {
    throw new AwsServiceError(
      'RequestEntityTooLargeException',
      413,
      `The shadow document of ${thingName} would be ${size} bytes; the limit is 8 KB (desired + reported).`,
    );
  }
  return { desired, reported, metadata: prune(metadata), version, timestamp, exists: true };
}

function depth(value: JsonObject): number {
  let deepest = 0;
  for (const child of Object.values(value))
    if (isJsonObject(child)) deepest = Math.max(deepest, depth(child));
  return deepest + 1;
}

/** Merges one section (`desired` or `reported`) and its metadata; `null` deletes the section. */
function applySection(
  current: Json | undefined,
  metadata: { desired?: Json; reported?: Json },
  section: 'desired' | 'reported',
  change: JsonObject | null | undefined,
  timestamp: number,
): Json | undefined {
  if (change === undefined) return current;
  if (change === null) {
    metadata[section] = undefined;
    return undefined;
  }
  const merged = structuredClone(current ?? {});
  const meta = structuredClone(metadata[section] ?? {});
  merge(merged, meta, change, timestamp);
  metadata[section] = meta;
  return merged;
}

/** Only sent fields change; `null` deletes; objects merge per path; arrays and scalars replace. */
function merge(target: Json, meta: Json, change: JsonObject, timestamp: number): void {
  for (const [field, value] of Object.entries(change)) {
    if (value === null) {
      delete target[field];
      delete meta[field];
    } else if (isJsonObject(value)) {
      const current = target[field];
      const currentMeta = meta[field];
      // A leaf's metadata (`{timestamp}`) gives way to the object's.
      const child: Json = isJsonObject(current) ? { ...current } : {};
      const childMeta: Json =
        isJsonObject(currentMeta) && !('timestamp' in currentMeta) ? { ...currentMeta } : {};
      // An object emptied by deletions stays as `{}` (as moto keeps it).
      merge(child, childMeta, value, timestamp);
      target[field] = child;
      meta[field] = childMeta;
    } else {
      target[field] = structuredClone(value);
      meta[field] = metadataFor(value, timestamp);
    }
  }
}

/** Metadata mirrors the document with `{timestamp}` at every leaf (arrays element by element). */
function metadataFor(value: unknown, timestamp: number): unknown {
  if (Array.isArray(value)) return value.map((item) => metadataFor(item, timestamp));
  if (isJsonObject(value))
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, metadataFor(v, timestamp)]),
    );
  return { timestamp };
}

function prune(metadata: { desired?: Json; reported?: Json }): { desired?: Json; reported?: Json } {
  return {
    ...(metadata.desired && Object.keys(metadata.desired).length > 0
      ? { desired: metadata.desired }
      : {}),
    ...(metadata.reported && Object.keys(metadata.reported).length > 0
      ? { reported: metadata.reported }
      : {}),
  };
}

/** The desired fields that differ from the reported ones, recursively. */
function computeDelta(desired: JsonObject, reported: JsonObject): Json {
  const delta: Json = {};
  for (const [field, value] of Object.entries(desired)) {
    const other = reported[field];
    if (isJsonObject(value) && isJsonObject(other)) {
      const inner = computeDelta(value, other);
      if (Object.keys(inner).length > 0) delta[field] = inner;
    } else if (!isDeepStrictEqual(value, other)) {
      delta[field] = value;
    }
  }
  return delta;
}

function document(shadow: LocalShadow): Json {
  return {
    state: { desired: shadow.desired, reported: shadow.reported },
    metadata: shadow.metadata,
    version: shadow.version,
  };
}
