import { isJsonObject } from '@tts-aws-iot/input';

/** A JSON object as TTS sends and stores it (snake_case field names). */
export type JsonObject = Record<string, unknown>;

/** A field path into a JSON object, e.g. `['root_keys', 'app_key', 'key']`. */
export type JsonPath = readonly string[];

/** Fields TTS returns whatever the field mask: identifiers and timestamps. */
const ALWAYS_SELECTED: readonly JsonPath[] = [['ids'], ['created_at'], ['updated_at']];

/** The value at `path`, or `undefined`. */
export function getAt(object: JsonObject, path: JsonPath): unknown {
  let current: unknown = object;
  for (const segment of path) {
    if (!isJsonObject(current) || !Object.hasOwn(current, segment)) return undefined;
    current = current[segment];
  }
  return current;
}

/** Sets the value at `path`, creating the objects on the way. */
export function setAt(object: JsonObject, path: JsonPath, value: unknown): void {
  const last = path.at(-1);
  if (last === undefined) return;
  let current = object;
  for (const segment of path.slice(0, -1)) {
    const next = Object.hasOwn(current, segment) ? current[segment] : undefined;
    if (isJsonObject(next)) {
      current = next;
    } else {
      const created: JsonObject = {};
      defineField(current, segment, created);
      current = created;
    }
  }
  defineField(current, last, value);
}

/** Removes the value at `path`, and the objects that this leaves empty. */
function deleteAt(object: JsonObject, path: JsonPath): void {
  const [head, ...rest] = path;
  if (head === undefined || !Object.hasOwn(object, head)) return;
  const child = object[head];
  if (rest.length === 0 || !isJsonObject(child)) {
    if (rest.length === 0) delete object[head];
    return;
  }
  deleteAt(child, rest);
  if (Object.keys(child).length === 0) delete object[head];
}

/**
 * Applies a Set request's field mask: every masked path takes `source`'s value, and a
 * path that `source` leaves out is unset (protobuf field mask semantics).
 */
export function applyFieldMask(
  target: JsonObject,
  source: JsonObject,
  paths: readonly JsonPath[],
): void {
  for (const path of paths) {
    const value = getAt(source, path);
    if (value === undefined || value === null) deleteAt(target, path);
    else setAt(target, path, structuredClone(value));
  }
}

/** What a Get answers: identifiers and timestamps, plus the masked fields that are set. */
export function selectFields(entity: JsonObject, paths: readonly JsonPath[] = []): JsonObject {
  const selected: JsonObject = {};
  for (const path of [...ALWAYS_SELECTED, ...paths]) {
    const value = getAt(entity, path);
    if (value !== undefined) setAt(selected, path, structuredClone(value));
  }
  return selected;
}

/** `record[key]` if it is the record's own field (never one inherited from Object.prototype). */
export function own<T>(
  record: Readonly<Record<string, T>> | undefined,
  key: string,
): T | undefined {
  return record !== undefined && Object.hasOwn(record, key) ? record[key] : undefined;
}

/** Sets `record[key]` as an own field, also when `key` is `__proto__`. */
export function defineField(record: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(record, key, {
    value,
    enumerable: true,
    writable: true,
    configurable: true,
  });
}
