import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * moto (`python3 -m moto.server`) is the independent AWS emulator these tests hold the
 * adapters against. Off CI, a machine without it skips those suites and says so loudly;
 * under `CI=true` it is required and a missing moto fails the run.
 */
export interface MotoServer {
  /** e.g. `http://127.0.0.1:41234` */
  readonly endpoint: string;
  /** Environment for a process (or a Lambda bundle) that should talk to this moto. */
  readonly env: Readonly<Record<string, string>>;
  /** Configuration for an AWS SDK client of the test itself: `new IoTClient(moto.clientConfig)`. */
  readonly clientConfig: {
    readonly endpoint: string;
    readonly region: string;
    readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string };
  };
  /** Clears all state (`POST /moto-api/reset`). */
  reset(): Promise<void>;
  /**
   * Starts (or restarts, forgetting what came before) recording requests. moto keeps
   * published MQTT messages only in memory; its request recorder is how a test sees them,
   * and how it counts the calls a function made.
   */
  startRecording(): Promise<void>;
  /** The requests recorded since `startRecording()`, in order. */
  requests(): Promise<RecordedRequest[]>;
  /** The iot-data Publish calls recorded since `startRecording()`, in order. */
  published(): Promise<PublishedMessage[]>;
  stop(): Promise<void>;
}

/** One request moto received, as its recorder keeps it. */
export interface RecordedRequest {
  readonly method: string;
  /** Decoded, e.g. `/things/0004A30B001C0530/shadow`. */
  readonly path: string;
  readonly query: URLSearchParams;
  /** The `X-Amz-Target` header of JSON-protocol services (Secrets Manager). */
  readonly target: string | undefined;
  readonly body: string;
}

/** One iot-data Publish call as moto received it. */
export interface PublishedMessage {
  readonly topic: string;
  readonly qos: number;
  /** The payload as text (the integration publishes JSON). */
  readonly payload: string;
}

let availability: boolean | undefined;

/** Whether `python3 -m moto.server` can run here (checked once per process). */
function motoAvailable(): boolean {
  if (availability === undefined) {
    const probe = spawnSync('python3', ['-c', 'import moto.server'], {
      stdio: 'ignore',
      timeout: 20_000,
    });
    availability = probe.status === 0;
  }
  return availability;
}

/**
 * `describe` when moto is available; otherwise, off CI, `describe.skip` with a loud warning,
 * and under `CI=true` a failing suite that says moto is required.
 */
export function describeWithMoto(name: string, body: () => void): void {
  if (motoAvailable()) {
    describe(name, body);
  } else if (process.env['CI'] === 'true') {
    describe(name, () => {
      it('needs moto (python3 -m moto.server), which CI requires', () => {
        throw new Error(
          'moto is not installed: `pip install "moto[server]"` (CI=true requires it).',
        );
      });
    });
  } else {
    console.warn(
      `SKIPPED "${name}": moto is not installed (python3 -m moto.server). CI=true requires it.`,
    );
    describe.skip(name, body);
  }
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Starts a private moto server on a free loopback port and waits until it answers. */
export async function startMoto(
  options: { env?: Readonly<Record<string, string>> } = {},
): Promise<MotoServer> {
  const port = await freePort();
  // The recorder writes `moto_recording` into moto's working directory: a private one.
  const workDir = mkdtempSync(join(tmpdir(), 'moto-'));
  const endpoint = `http://127.0.0.1:${port}`;
  const child: ChildProcess = spawn(
    'python3',
    ['-m', 'moto.server', '-H', '127.0.0.1', '-p', String(port)],
    {
      stdio: ['ignore', 'ignore', 'pipe'],
      cwd: workDir,
      env: { ...process.env, ...options.env },
    },
  );
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  await waitUntilListening(child, endpoint, () => stderr);
  const requests = (): Promise<RecordedRequest[]> => recordedRequests(endpoint);
  return {
    endpoint,
    env: motoEnvironment(endpoint),
    clientConfig: {
      endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
    },
    async reset() {
      await fetch(`${endpoint}/moto-api/reset`, { method: 'POST' });
    },
    async startRecording() {
      await fetch(`${endpoint}/moto-api/recorder/reset-recording`, { method: 'POST' });
      await fetch(`${endpoint}/moto-api/recorder/start-recording`, { method: 'POST' });
    },
    requests,
    async published() {
      return (await requests())
        .filter((request) => request.path.startsWith('/topics/'))
        .map((request) => ({
          topic: request.path.slice('/topics/'.length),
          qos: Number(request.query.get('qos') ?? 0),
          payload: request.body,
        }));
    },
    stop: () => stopMoto(child, workDir),
  };
}

/** Polls moto's API until it answers, for at most 30 s; a moto that exits fails at once. */
async function waitUntilListening(
  child: ChildProcess,
  endpoint: string,
  stderr: () => string,
): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null)
      throw new Error(`moto exited early (${child.exitCode}): ${stderr()}`);
    try {
      const response = await fetch(`${endpoint}/moto-api/`);
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`moto did not start on ${endpoint} within 30 s: ${stderr()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The environment that points the AWS SDK (and the CLI) at one moto. */
function motoEnvironment(endpoint: string): Readonly<Record<string, string>> {
  return {
    AWS_REGION: 'us-east-1',
    AWS_DEFAULT_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'testing',
    AWS_SECRET_ACCESS_KEY: 'testing',
    AWS_ENDPOINT_URL: endpoint,
    AWS_ENDPOINT_URL_IOT: endpoint,
    AWS_ENDPOINT_URL_IOT_DATA_PLANE: endpoint,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: endpoint,
    AWS_ENDPOINT_URL_STS: endpoint,
  };
}

/** The requests moto's recorder holds, one JSON line each. */
async function recordedRequests(endpoint: string): Promise<RecordedRequest[]> {
  const recording = await (await fetch(`${endpoint}/moto-api/recorder/download-recording`)).text();
  return recording
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const entry = JSON.parse(line) as {
        method: string;
        url: string;
        headers: Record<string, string>;
        body: string | null;
        body_encoded: boolean;
      };
      const url = new URL(entry.url);
      const body = entry.body ?? '';
      return {
        method: entry.method,
        path: decodeURIComponent(url.pathname),
        query: url.searchParams,
        target: entry.headers['X-Amz-Target'] ?? entry.headers['x-amz-target'],
        body: entry.body_encoded ? Buffer.from(body, 'base64').toString('utf8') : body,
      };
    });
}

async function stopMoto(child: ChildProcess, workDir: string): Promise<void> {
  if (child.exitCode === null) {
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), 2000).unref();
    });
  }
  rmSync(workDir, { recursive: true, force: true });
}
