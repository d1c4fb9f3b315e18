import * as v from 'valibot';
import { objectOf, parseJsonText, readInput, type InputIssue } from '@tts-aws-iot/input';
import { AwsServiceError } from '../errors';

/** One HTTP request as the service handlers see it: the path already split from its query. */
export interface ApiRequest {
  readonly method: string;
  /** Raw (still percent-encoded) path, e.g. `/topics/lorawan%2Fdownlink`. */
  readonly path: string;
  readonly query: URLSearchParams;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: Buffer;
}

/** What a handler answers: a JSON body (or raw bytes) and a status. */
export interface ApiResponse {
  readonly status: number;
  readonly json?: unknown;
}

/** `name` is the route's path parameter, percent-decoded ('' for a route without one). */
export type RouteHandler = (
  request: ApiRequest,
  name: string,
) => ApiResponse | Promise<ApiResponse>;

/** A REST route: method and a path pattern whose one group, if any, is the path parameter. */
export interface Route {
  /** The AWS operation's name, e.g. `DescribeThing`. */
  readonly operation: string;
  readonly method: string;
  readonly pattern: RegExp;
  readonly handler: RouteHandler;
}

/** A route of `operation`: `method` on paths that `pattern` matches. */
export function route(
  operation: string,
  method: string,
  pattern: RegExp,
  handler: RouteHandler,
): Route {
  return { operation, method, pattern, handler };
}

/** Finds the route for a request and its path parameter, percent-decoded. */
export function matchRoute(
  routes: readonly Route[],
  request: ApiRequest,
): { route: Route; name: string | undefined } | undefined {
  for (const route of routes) {
    if (route.method !== request.method) continue;
    const match = route.pattern.exec(request.path);
    if (match)
      return { route, name: match[1] === undefined ? undefined : decodeURIComponent(match[1]) };
  }
  return undefined;
}

/**
 * Reads a JSON request body with `schema` (an empty body is `{}`). The first field the schema
 * refuses is an `InvalidRequestException` that names it by its path
 * (`attributePayload.attributes.devEUI must be …`), never with the value found there.
 */
export function readJsonBody<const S extends v.GenericSchema>(
  request: ApiRequest,
  schema: S,
): v.InferOutput<S> {
  const text = request.body.length === 0 ? '{}' : request.body.toString('utf8');
  const parsed = parseJsonText(text);
  if ('error' in parsed) throw invalidRequest('The request body is not valid JSON.');
  return readInput(schema, parsed.json, refuseField);
}

/** The refusal of a body field: the schemas' messages say what the field must be. */
export function refuseField(issue: InputIssue): AwsServiceError {
  if (issue.field === '') return invalidRequest(`The request body must be ${issue.expected}.`);
  if (issue.missing) return invalidRequest(`${issue.field} is missing.`);
  return invalidRequest(`${issue.field} must be ${issue.expected}.`);
}

/** A request body: a JSON object with these fields (others are ignored, as AWS ignores them). */
export function bodyOf<const T extends v.ObjectEntries>(entries: T) {
  return objectOf(entries, 'a JSON object');
}

/** An optional string field; `null` counts as absent, as the SDKs may send it. */
export const optionalString = v.pipe(
  v.nullish(v.string('a string')),
  v.transform((value) => value ?? undefined),
);

/** An optional `true`/`false` field; absent or `null` is false. */
export const optionalFlag = v.nullish(v.boolean('true or false'), false);

export function invalidRequest(message: string): AwsServiceError {
  return new AwsServiceError('InvalidRequestException', 400, message);
}

export function notFound(message: string): AwsServiceError {
  return new AwsServiceError('ResourceNotFoundException', 404, message);
}

/** One page of a list operation and the token of the next one. */
export interface Page<T> {
  readonly items: T[];
  readonly nextToken: string | undefined;
}

/**
 * Pages a sorted list as the list operations do: `sizeParam` (e.g. `maxResults`) items from
 * the offset that `nextToken` carries; `max` is the operation's limit of the page size.
 */
export function pageOf<T>(
  items: readonly T[],
  request: { size: unknown; nextToken: unknown },
  limits: { sizeParam: string; defaultSize: number; max: number },
): Page<T> {
  const size =
    request.size === undefined || request.size === null ? limits.defaultSize : Number(request.size);
  if (!Number.isInteger(size) || size < 1 || size > limits.max)
    throw invalidRequest(`${limits.sizeParam} must be an integer 1..${limits.max}.`);
  const start = decodeToken(request.nextToken);
  const end = start + size;
  return {
    items: items.slice(start, end),
    nextToken: end < items.length ? Buffer.from(String(end)).toString('base64url') : undefined,
  };
}

function decodeToken(token: unknown): number {
  if (token === undefined || token === null || token === '') return 0;
  const offset =
    typeof token === 'string' ? Number(Buffer.from(token, 'base64url').toString()) : NaN;
  if (!Number.isInteger(offset) || offset < 0)
    throw invalidRequest('nextToken is invalid: pass the token of the previous page unchanged.');
  return offset;
}

/** REST-JSON and awsJson timestamps travel as epoch seconds. */
export function epochSeconds(date: Date | string | number): number {
  // A restored snapshot may hold the date as its JSON string.
  return new Date(date).getTime() / 1000;
}

/** The page parameters of a REST list operation (`maxResults`, or `pageSize`, and `nextToken`). */
export function listQuery(
  request: ApiRequest,
  sizeParam = 'maxResults',
): { size: unknown; nextToken: unknown } {
  return {
    size: request.query.get(sizeParam) ?? undefined,
    nextToken: request.query.get('nextToken') ?? undefined,
  };
}
