import { readFileSync } from 'node:fs';
import { isJsonObject } from '@tts-aws-iot/input';
import { fieldMaskError, unknownFieldError, validationError } from './errors';
import { defineField, own } from './fields';

/** The HTTP methods of the TTS API. */
export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** The subset of Swagger 2.0 schema objects that TTS's description uses. */
export interface Schema {
  readonly $ref?: string;
  readonly type?: string;
  readonly format?: string;
  readonly enum?: readonly string[];
  readonly properties?: Readonly<Record<string, Schema>>;
  readonly additionalProperties?: Schema | boolean;
  readonly items?: Schema;
}

interface SwaggerParameter {
  readonly name: string;
  readonly in: 'path' | 'query' | 'body';
  readonly schema?: Schema;
}

interface SwaggerOperation {
  readonly parameters?: readonly SwaggerParameter[];
  readonly responses?: Readonly<Record<string, { readonly schema?: Schema }>>;
}

/** A Swagger 2.0 document: TTS's api.swagger.json, or the part of it in api/tts-api.json. */
export interface SwaggerDocument {
  readonly paths: Readonly<Record<string, Readonly<Record<string, SwaggerOperation>>>>;
  readonly definitions: Readonly<Record<string, Schema>>;
}

/** One operation of the API: a path template (as in the swagger, without `/api/v3`) and a method. */
export interface Operation {
  readonly method: HttpMethod;
  readonly template: string;
  readonly queryParameters: ReadonlySet<string>;
  /** Path parameter names, which are field paths of the request (`end_device_ids.device_id`). */
  readonly pathParameters: readonly string[];
  readonly body?: Schema;
  /** The schema of a successful answer (what a `field_mask` query selects from). */
  readonly response?: Schema;
}

/** A request path matched to an operation, with the path parameters by their swagger names. */
export interface OperationMatch {
  readonly operation: Operation;
  readonly params: Readonly<Record<string, string>>;
}

interface Template {
  readonly template: string;
  readonly segments: readonly string[];
  readonly literals: number;
  readonly operations: ReadonlyMap<HttpMethod, Operation>;
}

/**
 * Protobuf oneof names that appear in TTS field mask paths but not in the JSON (nor in the
 * swagger): `provider.aws_iot.region` is `aws_iot.region` in the body.
 */
const ONEOF_MEMBERS: Readonly<Record<string, readonly string[]>> = {
  provider: ['nats', 'mqtt', 'aws_iot'],
  deployment: ['default'],
};

const INTEGER = /^-?\d+$/;
const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/;

/**
 * TTS's OpenAPI description, loaded once: which paths and methods exist, which query
 * parameters and body fields each takes. The simulator refuses what is not in it.
 */
export class SwaggerApi {
  private readonly templates: readonly Template[];
  private readonly definitions: Readonly<Record<string, Schema>>;

  constructor(document: SwaggerDocument) {
    this.definitions = document.definitions;
    this.templates = Object.entries(document.paths)
      .map(([template, methods]) => {
        const operations = new Map<HttpMethod, Operation>();
        for (const [method, operation] of Object.entries(methods)) {
          const parameters = operation.parameters ?? [];
          const upper = method.toUpperCase() as HttpMethod;
          operations.set(upper, {
            method: upper,
            template,
            queryParameters: new Set(
              parameters
                .filter((parameter) => parameter.in === 'query')
                .map((parameter) => parameter.name),
            ),
            pathParameters: parameters
              .filter((parameter) => parameter.in === 'path')
              .map((parameter) => parameter.name),
            body: parameters.find((parameter) => parameter.in === 'body')?.schema,
            response: operation.responses?.['200']?.schema,
          });
        }
        const segments = template.split('/').slice(1);
        return {
          template,
          segments,
          literals: segments.filter((segment) => !isParameter(segment)).length,
          operations,
        };
      })
      // Literal segments win over parameters (`/devices/batch` over `/devices/{device_id}`).
      .sort((a, b) => b.literals - a.literals);
  }

  /** Reads the swagger JSON at `path`. */
  static load(path: string): SwaggerApi {
    return new SwaggerApi(JSON.parse(readFileSync(path, 'utf8')) as SwaggerDocument);
  }

  /** The operation with this exact template and method, if the API has it. */
  operation(method: HttpMethod, template: string): Operation | undefined {
    return this.templates
      .find((candidate) => candidate.template === template)
      ?.operations.get(method);
  }

  /**
   * The operation that serves `method` on `path` (relative to `/api/v3`, percent-encoded):
   * `'no_path'` when no template matches the path, `'no_method'` when templates match but
   * none with this method.
   */
  match(method: string, path: string): OperationMatch | 'no_path' | 'no_method' {
    const segments = path.split('/').slice(1);
    let pathMatched = false;
    for (const template of this.templates) {
      const params = matchSegments(template.segments, segments);
      if (params === undefined) continue;
      pathMatched = true;
      const operation = template.operations.get(method as HttpMethod);
      if (operation) return { operation, params };
    }
    return pathMatched ? 'no_method' : 'no_path';
  }

  /** Follows `$ref`s to the schema they name. */
  resolve(schema: Schema): Schema {
    let resolved = schema;
    while (resolved.$ref !== undefined) {
      const name = resolved.$ref.replace('#/definitions/', '');
      const target = this.definitions[name];
      if (target === undefined) throw new Error(`The swagger has no definition ${name}.`);
      resolved = target;
    }
    return resolved;
  }

  /**
   * Checks `value` against `schema` and returns it with lowerCamelCase field names turned
   * into the snake_case TTS stores (TTS accepts both).
   *
   * grpc-gateway leaves the path parameters out of body schemas, but the body may repeat
   * them (the path wins): fields named by `pathParameters` are accepted as they are.
   *
   * @throws TtsError `unknown_field` naming the first field the schema does not have, or
   *   `validation` for a value of the wrong JSON type or outside an enum
   */
  check(
    value: unknown,
    schema: Schema,
    at: string,
    pathParameters: readonly string[] = [],
  ): unknown {
    const resolved = this.resolve(schema);
    if (value === null) return null;
    if (resolved.type === 'object' || resolved.properties !== undefined) {
      return this.checkObject(value, resolved, at, pathParameters);
    }
    if (resolved.type === 'array') {
      if (!Array.isArray(value)) throw validationError(at, 'expected a JSON array');
      return value.map((item, index) =>
        this.check(item, resolved.items ?? {}, `${at}[${index}]`, pathParameters),
      );
    }
    checkScalar(value, resolved, at);
    return value;
  }

  /**
   * The field mask paths, as JSON paths into a message of `schema` (oneof names dropped).
   *
   * @throws TtsError `field_mask_paths` listing the paths that the message does not have
   */
  fieldMask(paths: readonly string[], schema: Schema): string[][] {
    const forbidden: string[] = [];
    const jsonPaths: string[][] = [];
    for (const path of paths) {
      const jsonPath = this.maskPath(path.split('.'), schema);
      if (jsonPath === undefined) forbidden.push(path);
      else jsonPaths.push(jsonPath);
    }
    if (forbidden.length > 0) throw fieldMaskError(forbidden);
    return jsonPaths;
  }

  private checkObject(
    value: unknown,
    schema: Schema,
    at: string,
    pathParameters: readonly string[],
  ): unknown {
    if (!isJsonObject(value)) throw validationError(at, 'expected a JSON object');
    const { properties, additionalProperties } = schema;
    // An object schema with no fields is open: google.protobuf.Struct/Value, and the
    // identifiers grpc-gateway strips from bodies because they come from the path.
    if (properties === undefined && additionalProperties === undefined) return value;
    const checked: Record<string, unknown> = {};
    for (const [key, field] of Object.entries(value)) {
      const name = [key, snakeCase(key)].find(
        (candidate) => own(properties, candidate) !== undefined,
      );
      const fieldSchema = name === undefined ? undefined : own(properties, name);
      const where = at === '' ? (name ?? key) : `${at}.${name ?? key}`;
      if (name !== undefined && fieldSchema !== undefined) {
        defineField(checked, name, this.check(field, fieldSchema, where, pathParameters));
      } else if (
        pathParameters.some((parameter) => parameter === where || parameter.startsWith(`${where}.`))
      ) {
        defineField(checked, key, field);
      } else if (additionalProperties !== undefined && additionalProperties !== false) {
        defineField(
          checked,
          key,
          this.check(
            field,
            additionalProperties === true ? {} : additionalProperties,
            where,
            pathParameters,
          ),
        );
      } else {
        throw unknownFieldError(where);
      }
    }
    return checked;
  }

  private maskPath(segments: readonly string[], schema: Schema): string[] | undefined {
    const jsonPath: string[] = [];
    let current: Schema = this.resolve(schema);
    for (const [index, segment] of segments.entries()) {
      const field = own(current.properties, segment);
      if (field !== undefined) {
        jsonPath.push(segment);
        current = this.resolve(field);
      } else if (isOneofOf(segment, segments[index + 1], current)) {
        continue;
      } else if (
        current.type === 'object' &&
        current.properties === undefined &&
        current.additionalProperties === undefined
      ) {
        // Open objects (identifiers stripped from the body) take any sub-path.
        jsonPath.push(...segments.slice(index));
        return jsonPath;
      } else {
        return undefined;
      }
    }
    return jsonPath;
  }
}

/** Whether `segment` names a oneof of `schema` whose member `next` is one of its fields. */
function isOneofOf(segment: string, next: string | undefined, schema: Schema): boolean {
  return (
    next !== undefined &&
    own(ONEOF_MEMBERS, segment)?.includes(next) === true &&
    own(schema.properties, next) !== undefined
  );
}

function checkScalar(value: unknown, schema: Schema, at: string): void {
  const integerFormat =
    schema.format === 'int64' || schema.format === 'uint64' || schema.format === 'int32';
  switch (schema.type) {
    case 'string':
      if (schema.enum !== undefined) {
        // Enums are names; protobuf JSON also takes their numbers.
        if (typeof value === 'number' && Number.isInteger(value)) return;
        if (typeof value !== 'string' || !schema.enum.includes(value)) {
          throw validationError(at, `expected one of ${schema.enum.join(', ')}`);
        }
        return;
      }
      if (integerFormat && typeof value === 'number' && Number.isInteger(value)) return;
      if (typeof value !== 'string') throw validationError(at, 'expected a JSON string');
      if (integerFormat && !INTEGER.test(value)) throw validationError(at, 'expected an integer');
      if (
        schema.format === 'byte' &&
        (!BASE64.test(value) || value.replace(/=+$/, '').length % 4 === 1)
      ) {
        throw validationError(at, 'expected base64');
      }
      return;
    case 'integer':
      if (
        !(typeof value === 'number' && Number.isInteger(value)) &&
        !(typeof value === 'string' && INTEGER.test(value))
      ) {
        throw validationError(at, 'expected an integer');
      }
      return;
    case 'number':
      if (typeof value !== 'number') throw validationError(at, 'expected a number');
      return;
    case 'boolean':
      if (typeof value !== 'boolean') throw validationError(at, 'expected true or false');
      return;
    default:
      return;
  }
}

function matchSegments(
  template: readonly string[],
  segments: readonly string[],
): Record<string, string> | undefined {
  if (template.length !== segments.length) return undefined;
  const params: Record<string, string> = {};
  for (const [index, expected] of template.entries()) {
    const actual = segments[index] ?? '';
    if (isParameter(expected)) {
      if (actual === '') return undefined;
      params[expected.slice(1, -1)] = safeDecode(actual);
    } else if (expected !== actual) {
      return undefined;
    }
  }
  return params;
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

function isParameter(segment: string): boolean {
  return segment.startsWith('{') && segment.endsWith('}');
}

function snakeCase(name: string): string {
  return name.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);
}
