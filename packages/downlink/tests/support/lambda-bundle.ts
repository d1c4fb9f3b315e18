import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { startMoto, type MotoServer } from '@tts-aws-iot/test-kit';

/**
 * Runs a built Lambda bundle the way Lambda does: one Node process is one container (module
 * state and caches live as long as it does), the handler is called with a Lambda context,
 * and everything the function logs on stdout and stderr is captured.
 */

// The container: reads {events, concurrent} from stdin, writes the outcomes to fd 3, so that
// stdout carries the function's own log lines only.
const CONTAINER = `
const { writeSync, readFileSync } = require('node:fs');
const { handler } = require(process.argv[1]);
const { events, concurrent } = JSON.parse(readFileSync(0, 'utf8'));
const context = (i) => ({
  functionName: 'fn', functionVersion: '$LATEST', memoryLimitInMB: '256', logGroupName: '/aws/lambda/fn',
  logStreamName: 'stream', awsRequestId: 'request-' + i, callbackWaitsForEmptyEventLoop: true,
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
export type Outcome = { ok: true; value: unknown } | { ok: false; error: { name?: string; message: string; code?: string } };

/** What a container run produced. */
export interface ContainerRun {
  readonly outcomes: Outcome[];
  /** Everything the function wrote: its log lines (JSON, one per line). */
  readonly stdout: string;
  readonly stderr: string;
}

/** Invokes the bundle at `bundle` with `events` in one fresh container with environment `env`. */
export async function runContainer(
  bundle: string,
  env: Readonly<Record<string, string>>,
  events: readonly unknown[],
  options: { readonly concurrent?: boolean } = {},
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
  (child.stdio[3] as NodeJS.ReadableStream).on('data', (chunk: Buffer) => (result += chunk.toString()));
  child.stdin?.end(JSON.stringify({ events, concurrent: options.concurrent ?? false }));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  if (!result) throw new Error(`The container exited (${code}) without outcomes.\nstdout: ${stdout}\nstderr: ${stderr}`);
  return { outcomes: JSON.parse(result) as Outcome[], stdout, stderr };
}

/** One request moto received, as its recorder keeps it. */
export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly query: URLSearchParams;
  readonly target: string | undefined;
  readonly body: string;
}

/** A private moto whose request recorder is on: what the bundles sent to "AWS" can be read back. */
export interface RecordingMoto {
  readonly moto: MotoServer;
  /** Forgets the requests recorded so far. */
  clearRecording(): Promise<void>;
  /** The requests recorded since the last clear. */
  recording(): RecordedRequest[];
  stop(): Promise<void>;
}

export async function startRecordingMoto(): Promise<RecordingMoto> {
  const directory = mkdtempSync(join(tmpdir(), 'moto-recording-'));
  const file = join(directory, 'recording.jsonl');
  writeFileSync(file, '');
  // startMoto passes our environment on to moto.
  const saved = { path: process.env['MOTO_RECORDER_FILEPATH'], enabled: process.env['MOTO_ENABLE_RECORDING'] };
  process.env['MOTO_RECORDER_FILEPATH'] = file;
  process.env['MOTO_ENABLE_RECORDING'] = 'true';
  let moto: MotoServer;
  try {
    moto = await startMoto();
  } finally {
    restore('MOTO_RECORDER_FILEPATH', saved.path);
    restore('MOTO_ENABLE_RECORDING', saved.enabled);
  }
  return {
    moto,
    async clearRecording() {
      await fetch(`${moto.endpoint}/moto-api/recorder/reset-recording`, { method: 'POST' });
    },
    recording() {
      return readFileSync(file, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((line) => {
          const entry = JSON.parse(line) as { method: string; url: string; headers: Record<string, string>; body: string | null; body_encoded: boolean };
          const url = new URL(entry.url);
          const body = entry.body ?? '';
          return {
            method: entry.method,
            path: decodeURIComponent(url.pathname),
            query: url.searchParams,
            target: entry.headers['X-Amz-Target'] ?? entry.headers['x-amz-target'],
            body: entry.body_encoded ? Buffer.from(body, 'base64').toString() : body,
          };
        });
    },
    async stop() {
      await moto.stop();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}

function restore(name: string, value: string | undefined): void {
  if (value === undefined) delete process.env[name];
  else process.env[name] = value;
}

/** The AWS API action of a recorded request (the ones these functions use). */
export function actionOf(request: RecordedRequest): string {
  if (request.target) return request.target.split('.').pop() ?? request.target;
  if (request.path.startsWith('/topics/')) return 'Publish';
  if (/^\/things\/[^/]+\/shadow$/.test(request.path)) return request.method === 'GET' ? 'GetThingShadow' : 'UpdateThingShadow';
  if (/^\/things\/[^/]+$/.test(request.path)) return request.method === 'GET' ? 'DescribeThing' : request.method === 'POST' ? 'CreateThing' : request.method;
  return `${request.method} ${request.path}`;
}

/** The messages published on `topic`, parsed. */
export function publishedOn(recording: readonly RecordedRequest[], topic: string): unknown[] {
  return recording.filter((r) => actionOf(r) === 'Publish' && r.path === `/topics/${topic}`).map((r) => JSON.parse(r.body) as unknown);
}
