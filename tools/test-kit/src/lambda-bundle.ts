import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname } from 'node:path';

import type { RecordedRequest } from './moto';

/**
 * Built Lambda bundles (`dist/packages/<name>/index.js`) run as Lambda runs them: the bundle
 * as built (Node's own `require`, not Jest's transform), its handler called with a Lambda
 * context, its module state and caches living as long as the container does.
 */

/** A bundle's `handler`. */
export type BundleHandler = (event: unknown, context: unknown) => Promise<unknown>;

/**
 * Loads a bundle into this process, with `env` added to the environment until `restore()`.
 * Node caches the module: one file's tests share one container.
 */
export function loadBundle(
  bundle: string,
  env: Readonly<Record<string, string>>,
): { readonly handler: BundleHandler; restore(): void } {
  if (!existsSync(bundle)) {
    const name = basename(dirname(bundle));
    throw new Error(
      `${bundle} is missing: run \`npx nx build ${name}\` first (the test target does).`,
    );
  }
  const saved = { ...process.env };
  Object.assign(process.env, env);
  const { handler } = createRequire(__filename)(bundle) as { handler: BundleHandler };
  return { handler, restore: () => void (process.env = saved) };
}

// The container: reads {events, concurrent} from stdin, writes the outcomes to fd 3, so that
// stdout carries the function's own log lines only.
const CONTAINER = `
const { writeSync, readFileSync } = require('node:fs');
const { handler } = require(process.argv[1]);
const { events, concurrent, requestIDs } = JSON.parse(readFileSync(0, 'utf8'));
// Unique across containers, as Lambda's are, unless the test gives them (a retry keeps its ID).
const run = require('node:crypto').randomUUID().slice(0, 8);
const context = (i) => ({
  functionName: 'fn', functionVersion: '$LATEST', memoryLimitInMB: '256', logGroupName: '/aws/lambda/fn',
  logStreamName: 'stream', awsRequestId: (requestIDs && requestIDs[i]) || run + '-request-' + i, callbackWaitsForEmptyEventLoop: true,
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:fn', getRemainingTimeInMillis: () => 30000,
});
const invoke = (event, i) => Promise.resolve(handler(event, context(i))).then(
  (value) => ({ ok: true, value: value === undefined ? null : value }),
  (error) => ({ ok: false, error: { name: error && error.name, message: String(error && error.message), code: error && error.code } }),
);
(async () => {
  const outcomes = concurrent ? await Promise.all(events.map(invoke)) : [];
  if (!concurrent) for (let i = 0; i < events.length; i++) outcomes.push(await invoke(events[i], i));
  writeSync(3, JSON.stringify(outcomes));
})();
`;

/** What one invocation came to: the handler's result, or the error it threw. */
export type InvocationOutcome =
  | { ok: true; value: unknown }
  | { ok: false; error: { name?: string; message: string; code?: string } };

/** What a container run produced. */
export interface ContainerRun {
  readonly outcomes: InvocationOutcome[];
  /** Everything the function wrote: its log lines (JSON, one per line). */
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Invokes the bundle at `bundle` with `events` in a fresh container (a Node process) with
 * environment `env`; one after the other, or all at once with `concurrent`. Each invocation
 * gets a unique request ID, or the one at its index in `requestIDs` (to replay a retry).
 */
export async function runContainer(
  bundle: string,
  env: Readonly<Record<string, string>>,
  events: readonly unknown[],
  options: { readonly concurrent?: boolean; readonly requestIDs?: readonly string[] } = {},
): Promise<ContainerRun> {
  const child = spawn(process.execPath, ['-e', CONTAINER, bundle], {
    env: { PATH: process.env['PATH'] ?? '', ...env },
    stdio: ['pipe', 'pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  let result = '';
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  (child.stdio[3] as NodeJS.ReadableStream).on(
    'data',
    (chunk: Buffer) => (result += chunk.toString()),
  );
  child.stdin?.end(
    JSON.stringify({
      events,
      concurrent: options.concurrent ?? false,
      requestIDs: options.requestIDs ?? [],
    }),
  );
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  if (!result) {
    throw new Error(
      `The container exited (${code}) without outcomes.\nstdout: ${stdout}\nstderr: ${stderr}`,
    );
  }
  return { outcomes: JSON.parse(result) as InvocationOutcome[], stdout, stderr };
}

/** The AWS API action of a recorded request (of the ones the functions use). */
export function actionOf(request: RecordedRequest): string {
  if (request.target) return request.target.split('.').pop() ?? request.target;
  if (request.path.startsWith('/topics/')) return 'Publish';
  if (/^\/things\/[^/]+\/shadow$/.test(request.path))
    return request.method === 'GET' ? 'GetThingShadow' : 'UpdateThingShadow';
  if (request.path === '/things' && request.method === 'GET') return 'ListThings';
  if (/^\/things\/[^/]+$/.test(request.path)) {
    if (request.method === 'GET') return 'DescribeThing';
    return request.method === 'POST' ? 'CreateThing' : request.method;
  }
  return `${request.method} ${request.path}`;
}

/** The messages published on `topic` among the recorded requests, parsed. */
export function publishedOn(requests: readonly RecordedRequest[], topic: string): unknown[] {
  return requests
    .filter((request) => actionOf(request) === 'Publish' && request.path === `/topics/${topic}`)
    .map((request) => JSON.parse(request.body) as unknown);
}
