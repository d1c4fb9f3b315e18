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

export type RouteHandler = (
  request: ApiRequest,
  params: readonly string[],
) => ApiResponse | Promise<ApiResponse>;

/** A REST route: method and a path pattern whose groups are the percent-encoded path parameters. */
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

/** Finds the route for a request; path parameters are percent-decoded. */
export function matchRoute(
  routes: readonly Route[],
  request: ApiRequest,
): { route: Route; params: string[] } | undefined {
  for (const route of routes) {
    if (route.method !== request.method) continue;
    const match = route.pattern.exec(request.path);
    if (match)
      return { route, params: match.slice(1).map((part) => decodeURIComponent(part ?? '')) };
  }
  return undefined;
}

/** Parses a JSON request body; an empty body is `{}`. */
export function jsonBody(request: ApiRequest): Record<string, unknown> {
  if (request.body.length === 0) return {};
  let value: unknown;
  try {
    value = JSON.parse(request.body.toString('utf8'));
  } catch {
    throw invalidRequest('The request body is not valid JSON.');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw invalidRequest('The request body must be a JSON object.');
  }
  return value as Record<string, unknown>;
}

export function invalidRequest(message: string): AwsServiceError {
  return new AwsServiceError('InvalidRequestException', 400, message);
}

export function notFound(message: string): AwsServiceError {
  return new AwsServiceError('ResourceNotFoundException', 404, message);
}

/** Reads an optional string field, rejecting other types with the field's name. */
export function optionalString(body: Record<string, unknown>, field: string): string | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw invalidRequest(`${field} must be a string.`);
  return value;
}

/** Whether a value is a plain JSON object (not null, not an array). */
export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
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
