import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePort } from '@tts-aws-iot/test-kit';
import { STATE_FILE_NAME, StateFile } from '../src/state';

// `npm start` as a user runs it, stopped by a signal: to the process, to its process group,
// or to npm. Each must stop everything, exit 0 and leave the state saved.
const ROOT = resolve(__dirname, '..', '..', '..');
const dataDirs: string[] = [];
afterAll(() => dataDirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

interface Started {
  readonly child: ChildProcess;
  readonly dataDir: string;
  readonly output: () => string;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts the stack through `command` and resolves once it printed its Ready line. */
async function startUntilReady(command: 'node' | 'npm'): Promise<Started> {
  const dataDir = mkdtempSync(join(tmpdir(), 'local-signals-'));
  dataDirs.push(dataDir);
  const [mqtt, api, tts] = [await freePort(), await freePort(), await freePort()];
  const options = [
    ...['--mqtt-port', String(mqtt), '--api-port', String(api), '--tts-port', String(tts)],
    ...['--devices', '1', '--claim-devices', '0', '--data-dir', dataDir],
  ];
  const args =
    command === 'node' ? ['tools/scripts/start.mjs', ...options] : ['start', '--', ...options];
  const child = spawn(command === 'node' ? process.execPath : 'npm', args, {
    cwd: ROOT,
    detached: true, // its own process group, as a terminal gives it
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, npm_config_update_notifier: 'false' },
  });
  let output = '';
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) =>
    child.on('exit', (code, signal) => done({ code, signal })),
  );
  await new Promise<void>((ready, fail) => {
    const read = (chunk: Buffer) => {
      output += chunk.toString();
      if (/^Ready: /m.test(output)) ready();
    };
    child.stdout!.on('data', read);
    child.stderr!.on('data', read);
    void exited.then(() => fail(new Error(`The stack exited before it was ready:\n${output}`)));
  });
  return { child, dataDir, output: () => output, exited };
}

/** The things of the saved state (the IoT registry's part). */
function savedThings(dataDir: string): string[] {
  const parts = new StateFile(join(dataDir, STATE_FILE_NAME)).read();
  const iot = parts?.['iot'] as { things: [string, unknown][] } | undefined;
  return (iot?.things ?? []).map(([name]) => name);
}

describe('stopping npm start with a signal', () => {
  it('SIGINT to the process stops everything, exits 0 and saves the state', async () => {
    const started = await startUntilReady('node');
    started.child.kill('SIGINT');
    expect(await started.exited).toEqual({ code: 0, signal: null });
    expect(started.output()).toMatch(/stopping \(SIGINT\)[\s\S]*stopped; state saved in/);
    expect(savedThings(started.dataDir)).toEqual(['0004A30B001C0001']);
  }, 120_000);

  it('SIGTERM to the process group (as a terminal or a supervisor sends it) does the same', async () => {
    const started = await startUntilReady('node');
    process.kill(-started.child.pid!, 'SIGTERM');
    expect(await started.exited).toEqual({ code: 0, signal: null });
    expect(savedThings(started.dataDir)).toEqual(['0004A30B001C0001']);
  }, 120_000);

  it('SIGINT to npm reaches the stack: npm exits 0 and the state is saved', async () => {
    const started = await startUntilReady('npm');
    started.child.kill('SIGINT');
    expect(await started.exited).toEqual({ code: 0, signal: null });
    expect(started.output()).toContain('stopping (SIGINT)');
    expect(savedThings(started.dataDir)).toEqual(['0004A30B001C0001']);
  }, 120_000);
});
