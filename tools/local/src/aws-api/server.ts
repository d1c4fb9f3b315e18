import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { AwsServiceError } from '../errors';
import { ApiFaults, type ApiService, type FaultCall } from './faults';
import { matchRoute, type ApiRequest, type ApiResponse } from './http';
import { IotControlPlane } from './iot';
import { IotDataPlane } from './iot-data';
import { SecretsManager } from './secrets';
import { unsupportedOperation } from './unsupported';

/** One answered API call, for the traffic log. */
export interface ApiCall {
  readonly service: ApiService;
  /** The AWS operation and, for the REST services, the request, e.g. `DescribeThing GET /things/0004A30B001C0530`. */
  readonly operation: string;
  readonly status: number;
  /** The AWS error code when the call failed. */
  readonly error?: string;
  readonly message?: string;
}

export interface AwsApiOptions {
  readonly port?: number;
  readonly host?: string;
  readonly accountId?: string;
  readonly region?: string;
  /** What DescribeEndpoint answers: the broker's host name (TTS takes a host name without port). */
  readonly endpointAddress: string;
  /** Delivers Publish calls, registry events and shadow topics into the broker. */
  readonly publish: (
    topic: string,
    payload: string | Buffer,
    options: { qos: 0 | 1; retain: boolean },
  ) => Promise<void>;
  readonly onCall?: (call: ApiCall) => void;
}

/** The AWS-compatible HTTP API: `iot`, `iot-data` and `secretsmanager` on one port. */
export interface AwsApi {
  /** e.g. `http://127.0.0.1:4566` */
  readonly url: string;
  readonly iot: IotControlPlane;
  readonly iotData: IotDataPlane;
  readonly secrets: SecretsManager;
  /** Failures to inject (throttling, 5xx, a Publish failing after a shadow write). */
  readonly faults: ApiFaults;
  /** Environment that points the AWS SDK v3 clients of a process at this API. */
  readonly sdkEnv: Readonly<Record<string, string>>;
  close(): Promise<void>;
}

interface Services {
  readonly iot: IotControlPlane;
  readonly iotData: IotDataPlane;
  readonly secrets: SecretsManager;
}

/** A request resolved to its operation, ready to run. */
interface ResolvedCall extends FaultCall {
  /** What the traffic log shows. */
  readonly label: string;
  run(): ApiResponse | Promise<ApiResponse>;
}

const MAX_BODY_BYTES = 1024 * 1024;
const SECRETS_TARGET = 'secretsmanager.';

/**
 * Starts the API on `host:port` (defaults `127.0.0.1:4566`). Requests are told apart as the
 * services' protocols allow: Secrets Manager is awsJson 1.1 (`POST /` with `X-Amz-Target`),
 * the data plane owns `/things/{name}/shadow`, `/api/things/shadow/…` and `/topics/…`, the
 * control plane the rest. Signatures are not checked: any credentials work.
 */
export async function startAwsApi(options: AwsApiOptions): Promise<AwsApi> {
  const host = options.host ?? '127.0.0.1';
  const region = options.region ?? 'us-east-1';
  const services = createServices(options, region);
  const faults = new ApiFaults();
  const http = new ApiHttpServer(async (request) => {
    const call = resolve(services, request);
    const fault = faults.before(call);
    if (fault) throw fault;
    const response = await call.run();
    faults.after(call);
    return { call, response };
  }, options.onCall);
  const url = await http.listen(options.port ?? 4566, host);
  return { url, ...services, faults, sdkEnv: sdkEnvFor(url, region), close: () => http.close() };
}

function createServices(options: AwsApiOptions, region: string): Services {
  const accountId = options.accountId ?? '123456789012';
  return {
    iot: new IotControlPlane({
      accountId,
      region,
      endpointAddress: options.endpointAddress,
      publish: (topic, payload) => options.publish(topic, payload, { qos: 1, retain: false }),
    }),
    iotData: new IotDataPlane({ publish: options.publish }),
    secrets: new SecretsManager({ accountId, region }),
  };
}

/** Finds the operation a request stands for; one the API does not serve fails naming it. */
function resolve(services: Services, request: ApiRequest): ResolvedCall {
  const target = header(request, 'x-amz-target');
  if (target?.startsWith(SECRETS_TARGET)) {
    const operation = target.slice(SECRETS_TARGET.length);
    return {
      service: 'secretsmanager',
      operation,
      label: operation,
      run: () => services.secrets.handle(operation, request),
    };
  }
  if (target !== undefined) {
    // Another JSON-protocol service (DynamoDB, Lambda's awsJson siblings, …): say which.
    const [service = target, operation = ''] = target.split('.');
    throw new AwsServiceError(
      'UnknownOperationException',
      400,
      `The local AWS API does not implement ${service} ${operation}: it serves iot, iot-data and secretsmanager (tools/local/README.md).`,
    );
  }
  const rest = `${request.method} ${request.path}`;
  for (const [service, routes] of [
    ['iot-data', services.iotData.routes],
    ['iot', services.iot.routes],
  ] as const) {
    const match = matchRoute(routes, request);
    if (match)
      return {
        service,
        operation: match.route.operation,
        target: match.name,
        label: `${match.route.operation} ${rest}`,
        run: () => match.route.handler(request, match.name ?? ''),
      };
  }
  const known = unsupportedOperation(request.method, request.path);
  throw new AwsServiceError(
    'UnknownOperationException',
    404,
    known
      ? `The local AWS API does not implement ${known.service} ${known.operation} (${rest}). tools/local/README.md lists what it serves.`
      : `The local AWS API does not implement ${rest}. It serves the iot, iot-data and secretsmanager operations that tools/local/README.md lists.`,
  );
}

type Dispatch = (request: ApiRequest) => Promise<{ call: ResolvedCall; response: ApiResponse }>;

/** The HTTP side: bodies in, JSON out, and errors in each protocol's shape. */
class ApiHttpServer {
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();

  constructor(
    private readonly dispatch: Dispatch,
    private readonly onCall: ((call: ApiCall) => void) | undefined,
  ) {
    this.server = createServer((req, res) => void this.handle(req, res));
    this.server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
    });
  }

  /** Listens and answers the base URL. */
  async listen(port: number, host: string): Promise<string> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    const address = this.server.address();
    return `http://${host}:${typeof address === 'object' && address ? address.port : 0}`;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    // Every JSON-protocol request names its operation in X-Amz-Target.
    const awsJson = req.headers['x-amz-target'] !== undefined;
    try {
      const url = new URL(req.url ?? '/', 'http://local');
      const { call, response } = await this.dispatch({
        method: req.method ?? 'GET',
        path: url.pathname,
        query: url.searchParams,
        headers: req.headers,
        body: await readBody(req),
      });
      send(res, response.status, awsJson, response.json ?? {});
      this.onCall?.({ service: call.service, operation: call.label, status: response.status });
    } catch (error) {
      const failure = asServiceError(error);
      // awsJson 1.1 names the error in the body's __type; REST-JSON in a header.
      if (awsJson)
        send(res, failure.status, true, { __type: failure.awsCode, message: failure.message });
      else {
        res.setHeader('x-amzn-ErrorType', failure.awsCode);
        send(res, failure.status, false, { message: failure.message });
      }
      this.onCall?.({
        service: awsJson ? 'secretsmanager' : 'iot',
        operation: `${req.method} ${req.url}`,
        status: failure.status,
        error: failure.awsCode,
        message: failure.message,
      });
    }
  }
}

function asServiceError(error: unknown): AwsServiceError {
  return error instanceof AwsServiceError
    ? error
    : new AwsServiceError(
        'InternalFailureException',
        500,
        `The local AWS API failed: ${String(error)}`,
      );
}

function sdkEnvFor(url: string, region: string): Record<string, string> {
  return {
    AWS_REGION: region,
    AWS_DEFAULT_REGION: region,
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_ENDPOINT_URL_IOT: url,
    AWS_ENDPOINT_URL_IOT_DATA_PLANE: url,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: url,
  };
}

function header(request: ApiRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES)
      throw new AwsServiceError(
        'RequestEntityTooLargeException',
        413,
        'The request body exceeds 1 MB.',
      );
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function send(res: ServerResponse, status: number, awsJson: boolean, json: unknown): void {
  const body = JSON.stringify(json);
  res.writeHead(status, {
    'content-type': awsJson ? 'application/x-amz-json-1.1' : 'application/json',
    'content-length': Buffer.byteLength(body),
    'x-amzn-RequestId': randomUUID(),
  });
  res.end(body);
}
