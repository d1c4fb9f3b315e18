/**
 * Schema pieces every reader of this project needs, so that no package writes its own
 * "is it an object" check again: a JSON object that is not an array, JSON text, and the
 * words an error uses for a value it found.
 */
import * as v from 'valibot';

/** A JSON object as read from input: never trusted to carry more than its schema says. */
export type JsonObject = Readonly<Record<string, unknown>>;

/** Whether a value is a plain JSON object: not null, not an array. */
export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Any JSON object (not an array, not null), refused with `message`. */
export function jsonObject(message: string): v.GenericSchema<unknown, JsonObject> {
  return v.custom<JsonObject>(isJsonObject, message);
}

/**
 * An object with these entries. valibot's `object` accepts an array for an object, so the
 * value is first required to be a JSON object; keys the schema does not name are left out
 * of the output (they are kept, where they must travel on, by the caller's raw message).
 */
export function objectOf<const T extends v.ObjectEntries>(
  entries: T,
  message: string | ((issue: v.ObjectIssue) => string),
) {
  const guard = typeof message === 'string' ? message : 'an object';
  return v.pipe(v.custom<JsonObject>(isJsonObject, guard), v.object(entries, message));
}

/**
 * Parses JSON text, or says it is not JSON; any other value is passed on as it is (an IoT
 * rule hands a Lambda parsed JSON, a test or a tool may hand it text).
 */
export function parseJsonText(
  input: unknown,
): { readonly json: unknown } | { readonly error: unknown } {
  if (typeof input !== 'string') return { json: input };
  try {
    return { json: JSON.parse(input) };
  } catch (error) {
    return { error };
  }
}

/** How an error message shows a value it found: short, and never a long string in full. */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'missing';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return value.length > 40 ? 'a string' : JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}
