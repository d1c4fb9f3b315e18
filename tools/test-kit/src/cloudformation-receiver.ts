import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isJsonObject, parseJsonText } from '@tts-aws-iot/input';

/** One request CloudFormation's response URL received. */
export interface ReceivedResponse {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  /** The body's JSON object; `{}` when the body is not one (the test asserts on `body`). */
  readonly json: Readonly<Record<string, unknown>>;
}

/**
 * A local stand-in for the pre-signed S3 URL CloudFormation hands a custom resource.
 * `statuses` are the HTTP statuses of the first answers (then 200).
 */
export async function startCloudFormationReceiver(statuses: number[] = []) {
  const received: ReceivedResponse[] = [];
  const pending = [...statuses];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const parsed = parseJsonText(body);
      const json = 'json' in parsed && isJsonObject(parsed.json) ? parsed.json : {};
      received.push({
        method: request.method ?? '',
        path: request.url ?? '',
        headers: request.headers,
        body,
        json,
      });
      response.statusCode = pending.shift() ?? 200;
      response.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: (path = '/response') => `http://127.0.0.1:${port}${path}`,
    received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
