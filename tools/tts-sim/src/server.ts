import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { TtsError, validationError } from './errors';
import { isObject, type JsonObject, type JsonPath } from './fields';
import { ROUTES, type Route, type RouteContext } from './routes';
import { clearState, createState, type SimState } from './state';
import { SwaggerApi, type Operation, type Schema } from './swagger';
import { ttsApi } from './tts-api';
import { checkEUI, checkID } from './validation';

/** The API key that a simulator started without `apiKeys` accepts, with every right. */
export const DEFAULT_API_KEY = 'NNSXS.TTSSIM.DEFAULTKEY';

/** An API key's grant: rights on every application, or on one application only. */
export type ApiKeyGrant =
  readonly string[] | { readonly applicationID: string; readonly rights: readonly string[] };

export interface TtsSimOptions {
  /** Port on 127.0.0.1; default 0 (a free port). */
  readonly port?: number;
  /** API keys and their rights. Default: {@link DEFAULT_API_KEY} with `RIGHT_ALL`. */
  readonly apiKeys?: Readonly<Record<string, ApiKeyGrant>>;
  /** JoinEUIs whose devices the Device Claiming Server can claim (hex, either case). Default none. */
  readonly claimableJoinEUIs?: readonly string[];
  /**
   * A file with TTS's OpenAPI description to hold requests against, e.g. the full
   * api.swagger.json. Default: the simulator's own part of it (api/tts-api.json).
   */
  readonly swaggerPath?: string;
}

/** A failure to inject into the next matching requests. */
export interface Fault {
  /** Only requests with this method (any when absent). */
  readonly method?: string;
  /**
   * The API path (without `/api/v3` and query): a RegExp, or a string matched in full where
   * `*` stands for one path segment, e.g. `/as/pubsub/*` or `/edcs/claim`.
   */
  readonly pathPattern: string | RegExp;
  /** HTTP status to answer with; `0` drops the connection without an answer. */
  readonly status: number;
  /** How many matching requests fail. Default 1. */
  readonly times?: number;
  /** TTS error name in the answer. Default: the gRPC name of the status, e.g. `unavailable`. */
  readonly name?: string;
  readonly namespace?: string;
  readonly attributes?: Readonly<Record<string, unknown>>;
}

/** A request as the simulator received it. */
export interface LoggedRequest {
  readonly method: string;
  /** The API path, without `/api/v3` and query. */
  readonly path: string;
  readonly query: Readonly<Record<string, string>>;
  /** The parsed JSON body (the raw text when it was not JSON), `undefined` without one. */
  readonly body: unknown;
  /** The HTTP status answered (0 while in progress, or when the connection was dropped). */
  status: number;
}

/** A running TTS stand-in. */
export interface TtsSim {
  /** The API base URL, e.g. `http://127.0.0.1:41234/api/v3`. */
  readonly url: string;
  readonly port: number;
  /** What the simulator holds; tests may read and seed it. */
  readonly state: SimState;
  /** Every request received, oldest first. */
  readonly requests: LoggedRequest[];
  /** Makes the next `times` requests that match fail as described. */
  failNext(fault: Fault): void;
  /** Delays every answer by `ms` milliseconds (0 turns it off). */
  setLatency(ms: number): void;
  /** Clears state, request log, faults and latency. */
  reset(): void;
  close(): Promise<void>;
}

const API_PREFIX = '/api/v3';
const MAX_BODY_BYTES = 1 << 20;
const GRPC_NAMES: Readonly<Record<number, string>> = {
  400: 'invalid_argument',
  401: 'unauthenticated',
  403: 'permission_denied',
  404: 'not_found',
  409: 'already_exists',
  429: 'resource_exhausted',
  500: 'internal',
  501: 'unimplemented',
  503: 'unavailable',
  504: 'deadline_exceeded',
};
/** Rights that stand for every application right. */
const ALL_RIGHTS = ['RIGHT_ALL', 'RIGHT_APPLICATION_ALL'];

interface Caller {
  readonly keyID: string;
  readonly rights: readonly string[];
  readonly applicationID?: string;
}

interface PendingFault {
  readonly fault: Fault;
  readonly pattern: RegExp;
  remaining: number;
}

/**
 * Starts a TTS stand-in on 127.0.0.1 that serves the HTTP routes the integration uses
 * (`ROUTES`) with state in memory, and answers like TTS: Bearer API keys with rights,
 * TTS error bodies, ID and field validation, and every request checked against TTS's
 * OpenAPI description (unknown paths, methods, query parameters, body fields and field mask
 * paths are refused).
 */
export async function startTtsSim(options: TtsSimOptions = {}): Promise<TtsSim> {
  const swagger =
    options.swaggerPath === undefined ? ttsApi() : SwaggerApi.load(options.swaggerPath);
  const routes = new Map<string, Route>();
  for (const route of ROUTES) {
    if (swagger.operation(route.method, route.path) === undefined) {
      throw new Error(
        `The TTS simulator serves ${route.method} ${route.path}, which the swagger does not have.`,
      );
    }
    routes.set(`${route.method} ${route.path}`, route);
  }
  const apiKeys = new Map(
    Object.entries(options.apiKeys ?? { [DEFAULT_API_KEY]: ['RIGHT_ALL'] }).map(([key, grant]) => [
      key,
      toCaller(key, grant),
    ]),
  );
  const claimableJoinEUIs = new Set(
    (options.claimableJoinEUIs ?? []).map((eui) => checkEUI(eui, 'claimableJoinEUIs')),
  );
  const state = createState();
  const requests: LoggedRequest[] = [];
  let faults: PendingFault[] = [];
  let latencyMs = 0;

  const server = createServer((request, response) => {
    // A client that goes away mid-request only loses its own answer.
    handle(request, response).catch(() => response.destroy());
  });

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://tts-sim');
    const method = request.method ?? 'GET';
    const text = await readBody(request);
    const entry: LoggedRequest = {
      method,
      path: url.pathname.startsWith(`${API_PREFIX}/`)
        ? url.pathname.slice(API_PREFIX.length)
        : url.pathname,
      query: Object.fromEntries(url.searchParams),
      body: parseJson(text),
      status: 0,
    };
    requests.push(entry);
    const fault = takeFault(method, entry.path);
    if (fault?.status === 0) {
      response.socket?.destroy();
      return;
    }
    const { status, body } = answer(method, url, request.headers.authorization, text, fault);
    if (latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, latencyMs));
    entry.status = status;
    response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  }

  function answer(
    method: string,
    url: URL,
    authorization: string | undefined,
    text: string | undefined,
    fault: Fault | undefined,
  ): { status: number; body: unknown } {
    try {
      if (fault !== undefined) throw injectedError(fault);
      if (text === undefined) {
        throw new TtsError({
          status: 413,
          namespace: 'tools/tts-sim',
          name: 'request_too_large',
          messageFormat: 'the request body is over 1 MiB',
        });
      }
      if (!url.pathname.startsWith(`${API_PREFIX}/`)) throw routeNotFound(url.pathname);
      const path = url.pathname.slice(API_PREFIX.length);
      return { status: 200, body: dispatch(method, path, url.searchParams, authorization, text) };
    } catch (error) {
      const ttsError = error instanceof TtsError ? error : internalError(error);
      return { status: ttsError.status, body: ttsError.toBody() };
    }
  }

  function dispatch(
    method: string,
    path: string,
    query: URLSearchParams,
    authorization: string | undefined,
    text: string,
  ): JsonObject {
    const match = swagger.match(method, path);
    if (match === 'no_path') throw routeNotFound(path);
    if (match === 'no_method') {
      throw new TtsError({
        status: 405,
        namespace: 'pkg/webhandlers',
        name: 'method_not_allowed',
        messageFormat: 'method `{method}` not allowed on `{path}`',
        attributes: { method, path },
      });
    }
    const route = routes.get(`${method} ${match.operation.template}`);
    if (route === undefined) {
      throw new TtsError({
        status: 501,
        namespace: 'tools/tts-sim',
        name: 'unimplemented',
        messageFormat: 'the TTS simulator does not serve `{method} {template}`',
        attributes: { method, template: match.operation.template },
      });
    }
    const caller = authenticate(authorization);
    for (const name of query.keys()) {
      if (!match.operation.queryParameters.has(name)) {
        throw validationError(name, 'unknown query parameter');
      }
    }
    const { body, mask } = checkBody(match.operation, route, text, query);
    const params: Record<string, string> = {};
    for (const [name, value] of Object.entries(match.params)) {
      const short = name.slice(name.lastIndexOf('.') + 1);
      params[short] = ['application_id', 'device_id', 'pub_sub_id'].includes(short)
        ? checkID(value, name)
        : value;
    }
    const context: RouteContext = {
      params,
      body,
      mask,
      state,
      claimableJoinEUIs,
      caller,
      authorize: (applicationID, rights) => authorize(caller, applicationID, rights),
      now: () => new Date().toISOString(),
    };
    return route.handle(context);
  }

  function checkBody(
    operation: Operation,
    route: Route,
    text: string,
    query: URLSearchParams,
  ): { body: JsonObject; mask: JsonPath[] } {
    let body: JsonObject = {};
    let maskPaths: string[] | undefined;
    let maskSchema: Schema | undefined;
    if (operation.body !== undefined && text.trim() !== '') {
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        throw new TtsError({
          status: 400,
          namespace: 'pkg/jsonpb',
          name: 'unmarshal',
          messageFormat: 'the body is not valid JSON',
        });
      }
      if (!isObject(json)) throw validationError('body', 'expected a JSON object');
      const { field_mask: fieldMask, ...rest } = json;
      body = swagger.check(rest, operation.body, '', operation.pathParameters) as JsonObject;
      if (fieldMask !== undefined && route.message !== undefined) {
        maskPaths = fieldMaskPaths(fieldMask);
        maskSchema = swagger.resolve(operation.body).properties?.[route.message];
      } else if (fieldMask !== undefined) {
        throw validationError('field_mask', 'this request takes no field mask');
      }
    }
    const queryMask = query.get('field_mask');
    if (queryMask !== null) {
      maskPaths = fieldMaskPaths(queryMask);
      maskSchema = operation.response;
    }
    const mask =
      maskPaths === undefined || maskSchema === undefined
        ? []
        : swagger.fieldMask(maskPaths, maskSchema);
    return { body, mask };
  }

  function authenticate(authorization: string | undefined): Caller {
    const token = /^Bearer\s+(\S+)$/i.exec(authorization ?? '')?.[1];
    if (token === undefined) {
      throw new TtsError({
        status: 401,
        namespace: 'pkg/auth',
        name: 'unauthenticated',
        messageFormat: 'no Bearer token in the Authorization header',
      });
    }
    const caller = apiKeys.get(token);
    if (caller === undefined) {
      throw new TtsError({
        status: 401,
        namespace: 'pkg/identityserver',
        name: 'api_key_not_found',
        messageFormat: 'API key not found',
      });
    }
    return caller;
  }

  function takeFault(method: string, path: string): Fault | undefined {
    const pending = faults.find(
      ({ fault, pattern }) =>
        (fault.method === undefined || fault.method.toUpperCase() === method) && pattern.test(path),
    );
    if (pending === undefined) return undefined;
    pending.remaining -= 1;
    if (pending.remaining <= 0) faults = faults.filter((candidate) => candidate !== pending);
    return pending.fault;
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;

  return {
    url: `http://127.0.0.1:${port}${API_PREFIX}`,
    port,
    state,
    requests,
    failNext(fault) {
      faults.push({ fault, pattern: toPattern(fault.pathPattern), remaining: fault.times ?? 1 });
    },
    setLatency(ms) {
      latencyMs = Math.max(0, ms);
    },
    reset() {
      clearState(state);
      requests.length = 0;
      faults = [];
      latencyMs = 0;
    },
    close() {
      return new Promise((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      });
    },
  };
}

function toCaller(key: string, grant: ApiKeyGrant): Caller {
  // TTS API keys read NNSXS.<key ID>.<secret>; auth_info names the ID, never the key.
  const keyID = key.split('.')[1] ?? 'sim';
  return isRightsList(grant)
    ? { keyID, rights: grant }
    : { keyID, rights: grant.rights, applicationID: grant.applicationID };
}

function isRightsList(grant: ApiKeyGrant): grant is readonly string[] {
  return Array.isArray(grant);
}

/** TTS's rights check: `no_application_rights` without any, `insufficient_application_rights` listing what is missing. */
function authorize(caller: Caller, applicationID: string, required: readonly string[]): void {
  const uid = applicationID;
  const applicationRights =
    caller.applicationID === undefined || caller.applicationID === applicationID
      ? caller.rights
      : [];
  if (applicationRights.some((right) => ALL_RIGHTS.includes(right))) return;
  if (!applicationRights.some((right) => right.startsWith('RIGHT_APPLICATION_'))) {
    throw new TtsError({
      status: 403,
      namespace: 'pkg/auth/rights',
      name: 'no_application_rights',
      messageFormat: 'no rights for application `{uid}`',
      attributes: { uid },
    });
  }
  const missing = required.filter((right) => !applicationRights.includes(right));
  if (missing.length > 0) {
    throw new TtsError({
      status: 403,
      namespace: 'pkg/auth/rights',
      name: 'insufficient_application_rights',
      messageFormat: 'insufficient rights for application `{uid}`',
      attributes: { uid, missing },
    });
  }
}

function fieldMaskPaths(fieldMask: unknown): string[] {
  // google.protobuf.FieldMask is "a,b" in proto3 JSON; TTS also takes {"paths": [...]}.
  if (typeof fieldMask === 'string') {
    return fieldMask
      .split(',')
      .map((path) => path.trim())
      .filter((path) => path !== '');
  }
  if (
    isObject(fieldMask) &&
    Array.isArray(fieldMask['paths']) &&
    fieldMask['paths'].every((path) => typeof path === 'string')
  ) {
    return fieldMask['paths'] as string[];
  }
  throw validationError('field_mask', 'expected "a,b" or {"paths": ["a", "b"]}');
}

function routeNotFound(path: string): TtsError {
  return new TtsError({
    status: 404,
    namespace: 'pkg/webhandlers',
    name: 'route_not_found',
    messageFormat: 'no route for `{path}`',
    attributes: { path },
  });
}

function injectedError(fault: Fault): TtsError {
  const name = fault.name ?? GRPC_NAMES[fault.status] ?? `http_${fault.status}`;
  return new TtsError({
    status: fault.status,
    namespace: fault.namespace ?? 'tools/tts-sim',
    name,
    messageFormat: `injected fault: ${name}`,
    ...(fault.attributes === undefined ? {} : { attributes: fault.attributes }),
  });
}

function internalError(error: unknown): TtsError {
  return new TtsError({
    status: 500,
    namespace: 'tools/tts-sim',
    name: 'internal',
    messageFormat: 'simulator bug: {reason}',
    attributes: { reason: error instanceof Error ? error.message : String(error) },
  });
}

function toPattern(pattern: string | RegExp): RegExp {
  if (pattern instanceof RegExp) return pattern;
  const escaped = pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*');
  return new RegExp(`^${escaped}$`);
}

function parseJson(text: string | undefined): unknown {
  if (text === undefined || text.trim() === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** The body as text, or `undefined` when it is over {@link MAX_BODY_BYTES}. */
async function readBody(request: IncomingMessage): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) return undefined;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}
