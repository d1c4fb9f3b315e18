import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { AwsServiceError } from '../errors';
import { matchRoute, type ApiRequest, type ApiResponse } from './http';
import { IotControlPlane } from './iot';
import { IotDataPlane } from './iot-data';
import { SecretsManager } from './secrets';

/** One answered API call, for the traffic log. */
export interface ApiCall {
  readonly service: 'iot' | 'iot-data' | 'secretsmanager';
  /** e.g. `POST /things/0004A30B001C0530` or `secretsmanager.GetSecretValue`. */
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
  /** Environment that points the AWS SDK v3 clients of a process at this API. */
  readonly sdkEnv: Readonly<Record<string, string>>;
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 1024 * 1024;

/**
 * Starts the API on `host:port` (defaults `127.0.0.1:4566`). Requests are told apart as the
 * services' protocols allow: Secrets Manager is awsJson 1.1 (`POST /` with `X-Amz-Target`),
 * the data plane owns `/things/{name}/shadow` and `/topics/…`, the control plane the rest.
 * Signatures are not checked: any credentials work.
 */
export async function startAwsApi(options: AwsApiOptions): Promise<AwsApi> {
  const host = options.host ?? '127.0.0.1';
  const accountId = options.accountId ?? '123456789012';
  const region = options.region ?? 'us-east-1';
  const publishEvent = (topic: string, payload: string) =>
    options.publish(topic, payload, { qos: 1, retain: false });
  const iot = new IotControlPlane({
    accountId,
    region,
    endpointAddress: options.endpointAddress,
    publish: publishEvent,
  });
  const iotData = new IotDataPlane({ publish: options.publish });
  const secrets = new SecretsManager({ accountId, region });

  const dispatch = async (
    request: ApiRequest,
  ): Promise<{ service: ApiCall['service']; operation: string; response: ApiResponse }> => {
    const target = header(request, 'x-amz-target');
    if (target?.startsWith('secretsmanager.')) {
      const operation = target.slice('secretsmanager.'.length);
      return {
        service: 'secretsmanager',
        operation: target,
        response: secrets.handle(operation, request),
      };
    }
    const operation = `${request.method} ${request.path}`;
    const data = matchRoute(iotData.routes, request);
    if (data)
      return {
        service: 'iot-data',
        operation,
        response: await data.route.handler(request, data.params),
      };
    const control = matchRoute(iot.routes, request);
    if (control)
      return {
        service: 'iot',
        operation,
        response: await control.route.handler(request, control.params),
      };
    throw new AwsServiceError(
      'UnknownOperationException',
      404,
      `The local AWS API does not implement ${request.method} ${request.path}. It serves the iot, iot-data and secretsmanager operations the integration uses (tools/local/src/aws-api).`,
    );
  };

  const sockets = new Set<Socket>();
  const server = createServer((req, res) => {
    void handle(req, res);
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const awsJson = String(req.headers['x-amz-target'] ?? '').startsWith('secretsmanager.');
    const service: ApiCall['service'] = awsJson ? 'secretsmanager' : 'iot';
    try {
      const body = await readBody(req);
      const url = new URL(req.url ?? '/', 'http://local');
      const request: ApiRequest = {
        method: req.method ?? 'GET',
        path: url.pathname,
        query: url.searchParams,
        headers: req.headers,
        body,
      };
      const answer = await dispatch(request);
      send(
        res,
        answer.response.status,
        awsJson ? 'application/x-amz-json-1.1' : 'application/json',
        answer.response.json ?? {},
      );
      options.onCall?.({
        service: answer.service,
        operation: answer.operation,
        status: answer.response.status,
      });
    } catch (error) {
      const failure =
        error instanceof AwsServiceError
          ? error
          : new AwsServiceError(
              'InternalFailureException',
              500,
              `The local AWS API failed: ${String(error)}`,
            );
      // REST-JSON names the error in a header; awsJson 1.1 in the body's __type.
      if (awsJson) {
        send(res, failure.status, 'application/x-amz-json-1.1', {
          __type: failure.awsCode,
          message: failure.message,
        });
      } else {
        res.setHeader('x-amzn-ErrorType', failure.awsCode);
        send(res, failure.status, 'application/json', { message: failure.message });
      }
      options.onCall?.({
        service,
        operation: `${req.method} ${req.url}`,
        status: failure.status,
        error: failure.awsCode,
        message: failure.message,
      });
    }
  };

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 4566, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const url = `http://${host}:${port}`;
  return {
    url,
    iot,
    iotData,
    secrets,
    sdkEnv: {
      AWS_REGION: region,
      AWS_DEFAULT_REGION: region,
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
      AWS_ENDPOINT_URL_IOT: url,
      AWS_ENDPOINT_URL_IOT_DATA_PLANE: url,
      AWS_ENDPOINT_URL_SECRETS_MANAGER: url,
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
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

function send(res: ServerResponse, status: number, contentType: string, json: unknown): void {
  const body = JSON.stringify(json);
  res.writeHead(status, {
    'content-type': contentType,
    'content-length': Buffer.byteLength(body),
    'x-amzn-RequestId': randomUUID(),
  });
  res.end(body);
}
