import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { TtsError, validationError } from './errors';
import { jsonObject, parseJsonText } from '@tts-aws-iot/input';
import type { JsonObject, JsonPath } from './fields';
import { FIELD_MASK } from './requests';
import { ROUTES, type Route, type RouteContext } from './routes';
import {
  clearState,
  createState,
  restoreState,
  snapshotState,
  type SimState,
  type SimStateSnapshot,
} from './state';
import { SwaggerApi, type Operation, type OperationMatch, type Schema } from './swagger';
import { ttsApi } from './tts-api';
import { checkEUI, checkID, readAt } from './validation';

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
  /** Called with each request once it is answered (or dropped). */
  readonly onRequest?: (request: LoggedRequest) => void;
  /** Keep only the latest this many requests in {@link TtsSim.requests}. Default: all. */
  readonly maxLoggedRequests?: number;
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
  /** A copy of the state as plain data, for saving it (the local stack's data directory). */
  snapshot(): SimStateSnapshot;
  /** Replaces the state with a {@link snapshot}'s (the maps stay the same objects). */
  restore(snapshot: unknown): void;
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
  const sim = new SimServer(
    swagger,
    routeTable(swagger),
    apiKeyTable(options.apiKeys),
    new Set((options.claimableJoinEUIs ?? []).map((eui) => checkEUI(eui, 'claimableJoinEUIs'))),
    options,
  );
  const port = await sim.listen(options.port ?? 0);
  return {
    url: `http://127.0.0.1:${port}${API_PREFIX}`,
    port,
    state: sim.state,
    requests: sim.requests,
    failNext: (fault) => sim.faults.add(fault),
    setLatency: (ms) => sim.setLatency(ms),
    reset: () => sim.reset(),
    snapshot: () => snapshotState(sim.state),
    restore: (snapshot) => restoreState(sim.state, snapshot),
    close: () => sim.close(),
  };
}

/** The served routes by `<method> <swagger template>`; each must be one of the swagger's. */
function routeTable(swagger: SwaggerApi): Map<string, Route> {
  const routes = new Map<string, Route>();
  for (const route of ROUTES) {
    if (swagger.operation(route.method, route.path) === undefined) {
      throw new Error(
        `The TTS simulator serves ${route.method} ${route.path}, which the swagger does not have.`,
      );
    }
    routes.set(`${route.method} ${route.path}`, route);
  }
  return routes;
}

function apiKeyTable(apiKeys: TtsSimOptions['apiKeys']): Map<string, Caller> {
  return new Map(
    Object.entries(apiKeys ?? { [DEFAULT_API_KEY]: ['RIGHT_ALL'] }).map(([key, grant]) => [
      key,
      toCaller(key, grant),
    ]),
  );
}

/** The faults waiting for the requests they match. */
class FaultQueue {
  private pending: PendingFault[] = [];

  add(fault: Fault): void {
    this.pending.push({
      fault,
      pattern: toPattern(fault.pathPattern),
      remaining: fault.times ?? 1,
    });
  }

  /** The first fault that matches the request, counted as used. */
  take(method: string, path: string): Fault | undefined {
    const pending = this.pending.find(
      ({ fault, pattern }) =>
        (fault.method === undefined || fault.method.toUpperCase() === method) && pattern.test(path),
    );
    if (pending === undefined) return undefined;
    pending.remaining -= 1;
    if (pending.remaining <= 0) this.pending = this.pending.filter((other) => other !== pending);
    return pending.fault;
  }

  clear(): void {
    this.pending = [];
  }
}

/** The HTTP server and the request pipeline: log, fault, route, authenticate, check, handle. */
class SimServer {
  readonly state = createState();
  readonly requests: LoggedRequest[] = [];
  readonly faults = new FaultQueue();
  private latencyMs = 0;
  private readonly server = createServer((request, response) => {
    // A client that goes away mid-request only loses its own answer.
    this.handle(request, response).catch(() => response.destroy());
  });

  constructor(
    private readonly swagger: SwaggerApi,
    private readonly routes: ReadonlyMap<string, Route>,
    private readonly apiKeys: ReadonlyMap<string, Caller>,
    private readonly claimableJoinEUIs: ReadonlySet<string>,
    private readonly hooks: Pick<TtsSimOptions, 'onRequest' | 'maxLoggedRequests'> = {},
  ) {}

  /** Listens on 127.0.0.1 and answers the port. */
  async listen(port: number): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, '127.0.0.1', () => resolve());
    });
    return (this.server.address() as AddressInfo).port;
  }

  setLatency(ms: number): void {
    this.latencyMs = Math.max(0, ms);
  }

  reset(): void {
    clearState(this.state);
    this.requests.length = 0;
    this.faults.clear();
    this.latencyMs = 0;
  }

  close(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.close((error) => (error ? reject(error) : resolve()));
      this.server.closeAllConnections();
    });
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
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
    this.log(entry);
    const fault = this.faults.take(method, entry.path);
    if (fault?.status === 0) {
      response.socket?.destroy();
      this.hooks.onRequest?.(entry);
      return;
    }
    const { status, body } = this.answer(method, url, request.headers.authorization, text, fault);
    if (this.latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, this.latencyMs));
    entry.status = status;
    response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    this.hooks.onRequest?.(entry);
  }

  private log(entry: LoggedRequest): void {
    this.requests.push(entry);
    const max = this.hooks.maxLoggedRequests;
    if (max !== undefined && this.requests.length > max)
      this.requests.splice(0, this.requests.length - max);
  }

  private answer(
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
      return {
        status: 200,
        body: this.dispatch(method, path, url.searchParams, authorization, text),
      };
    } catch (error) {
      const ttsError = error instanceof TtsError ? error : internalError(error);
      return { status: ttsError.status, body: ttsError.toBody() };
    }
  }

  private dispatch(
    method: string,
    path: string,
    query: URLSearchParams,
    authorization: string | undefined,
    text: string,
  ): JsonObject {
    const { route, match } = this.route(method, path);
    const caller = this.authenticate(authorization);
    for (const name of query.keys()) {
      if (!match.operation.queryParameters.has(name)) {
        throw validationError(name, 'unknown query parameter');
      }
    }
    const { body, mask } = this.checkBody(match.operation, route, text, query);
    const context: RouteContext = {
      params: pathParams(match.params),
      body,
      mask,
      state: this.state,
      claimableJoinEUIs: this.claimableJoinEUIs,
      caller,
      authorize: (applicationID, rights) => authorize(caller, applicationID, rights),
      now: () => new Date().toISOString(),
    };
    return route.handle(context);
  }

  /** The served route of a request, or the error TTS answers for a path or method it lacks. */
  private route(method: string, path: string): { route: Route; match: OperationMatch } {
    const match = this.swagger.match(method, path);
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
    const route = this.routes.get(`${method} ${match.operation.template}`);
    if (route === undefined) {
      throw new TtsError({
        status: 501,
        namespace: 'tools/tts-sim',
        name: 'unimplemented',
        messageFormat: 'the TTS simulator does not serve `{method} {template}`',
        attributes: { method, template: match.operation.template },
      });
    }
    return { route, match };
  }

  private checkBody(
    operation: Operation,
    route: Route,
    text: string,
    query: URLSearchParams,
  ): { body: JsonObject; mask: JsonPath[] } {
    let body: JsonObject = {};
    let maskPaths: string[] | undefined;
    let maskSchema: Schema | undefined;
    if (operation.body !== undefined && text.trim() !== '') {
      const { field_mask: fieldMask, ...rest } = parseBody(text);
      const checked = this.swagger.check(rest, operation.body, '', operation.pathParameters);
      body = readAt(BODY, checked, 'body');
      if (fieldMask !== undefined && route.message !== undefined) {
        maskPaths = readAt(FIELD_MASK, fieldMask, 'field_mask');
        maskSchema = this.swagger.resolve(operation.body).properties?.[route.message];
      } else if (fieldMask !== undefined) {
        throw validationError('field_mask', 'this request takes no field mask');
      }
    }
    const queryMask = query.get('field_mask');
    if (queryMask !== null) {
      maskPaths = readAt(FIELD_MASK, queryMask, 'field_mask');
      maskSchema = operation.response;
    }
    const mask =
      maskPaths === undefined || maskSchema === undefined
        ? []
        : this.swagger.fieldMask(maskPaths, maskSchema);
    return { body, mask };
  }

  private authenticate(authorization: string | undefined): Caller {
    const token = /^Bearer\s+(\S+)$/i.exec(authorization ?? '')?.[1];
    if (token === undefined) {
      throw new TtsError({
        status: 401,
        namespace: 'pkg/auth',
        name: 'unauthenticated',
        messageFormat: 'no Bearer token in the Authorization header',
      });
    }
    const caller = this.apiKeys.get(token);
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
}

/** Path parameters by the last part of their swagger name, IDs checked as TTS checks them. */
function pathParams(matched: Readonly<Record<string, string>>): Record<string, string> {
  const params: Record<string, string> = {};
  for (const [name, value] of Object.entries(matched)) {
    const short = name.slice(name.lastIndexOf('.') + 1);
    params[short] = ['application_id', 'device_id', 'pub_sub_id'].includes(short)
      ? checkID(value, name)
      : value;
  }
  return params;
}

const BODY = jsonObject('expected a JSON object');

/** A request body that must be a JSON object. */
function parseBody(text: string): JsonObject {
  const parsed = parseJsonText(text);
  if ('error' in parsed) {
    throw new TtsError({
      status: 400,
      namespace: 'pkg/jsonpb',
      name: 'unmarshal',
      messageFormat: 'the body is not valid JSON',
    });
  }
  return readAt(BODY, parsed.json, 'body');
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
