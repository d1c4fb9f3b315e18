import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LambdaInvocationError } from '../src/errors';
import { LambdaRunner, type LambdaLogLine } from '../src/lambda-runner';

// Tiny stand-ins for the esbuild bundles: CommonJS modules exporting `handler`.
const BUNDLE = `
const coldStartGreeting = process.env.GREETING;
let invocations = 0;
exports.handler = async (event, context) => {
  invocations += 1;
  console.log(JSON.stringify({ level: 'INFO', message: 'invoked', invocation: invocations }));
  if (event.hang) return new Promise(() => {});
  if (invocations <= (event.failTimes ?? 0)) throw new RangeError('attempt ' + invocations + ' failed');
  return { greeting: coldStartGreeting, functionName: context.functionName, invocations, remaining: context.getRemainingTimeInMillis() > 0 };
};
`;

let dir: string;
let bundle: string;
let runner: LambdaRunner | undefined;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'local-runner-'));
  bundle = join(dir, 'index.js');
  writeFileSync(bundle, BUNDLE);
});

afterEach(async () => {
  await runner?.close();
  runner = undefined;
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function until(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('the Lambda runner', () => {
  it('gives every function its own environment variables, read at cold start', async () => {
    runner = new LambdaRunner({
      functions: [
        { name: 'uplink', bundle, env: { GREETING: 'up' } },
        { name: 'downlink', bundle, env: { GREETING: 'down' } },
      ],
    });
    const [up, down] = await Promise.all([
      runner.invoke('uplink', {}),
      runner.invoke('downlink', {}),
    ]);
    expect(up).toEqual({ greeting: 'up', functionName: 'uplink', invocations: 1, remaining: true });
    expect(down).toEqual({
      greeting: 'down',
      functionName: 'downlink',
      invocations: 1,
      remaining: true,
    });
    expect(process.env['GREETING']).toBeUndefined();
  });

  it('keeps a warm environment between invocations and forwards its log lines', async () => {
    const logs: LambdaLogLine[] = [];
    runner = new LambdaRunner({
      functions: [{ name: 'uplink', bundle, env: {}, maxConcurrency: 1 }],
      onLog: (log) => logs.push(log),
    });
    await runner.invoke('uplink', {});
    expect(await runner.invoke('uplink', {})).toMatchObject({ invocations: 2 });
    // stdout travels from the worker on its own channel, possibly after the result.
    await until(() => logs.length >= 2);
    expect(logs.map((log) => [log.functionName, JSON.parse(log.line).invocation])).toEqual([
      ['uplink', 1],
      ['uplink', 2],
    ]);
  });

  it('retries a failing asynchronous invocation twice, as Lambda does', async () => {
    const failures: string[] = [];
    runner = new LambdaRunner({
      functions: [{ name: 'uplink', bundle, env: {}, maxConcurrency: 1 }],
      retryDelaysMs: [5, 5],
      onAsyncFailure: (name, error) => failures.push(`${name}: ${error.errorType}`),
    });
    await runner.invokeEvent('uplink', { failTimes: 2 });
    expect(failures).toEqual([]);
    expect(await runner.invoke('uplink', {})).toMatchObject({ invocations: 4 });

    await runner.invokeEvent('uplink', { failTimes: 100 });
    expect(failures).toEqual(['uplink: RangeError']);
  });

  it('stops a timed-out invocation and cold-starts a fresh environment', async () => {
    // 1.5 s, not less: the queued invocation's fresh environment must load within the same
    // timeout on a loaded 2-core machine.
    runner = new LambdaRunner({
      functions: [{ name: 'uplink', bundle, env: {}, timeoutMs: 1_500, maxConcurrency: 1 }],
    });
    await runner.invoke('uplink', {});
    const timedOut = runner.invoke('uplink', { hang: true });
    const queued = runner.invoke('uplink', {});
    await expect(timedOut).rejects.toMatchObject({
      errorType: 'TimeoutError',
      message: expect.stringContaining('Task timed out after 1.50 seconds'),
    });
    // The queued invocation runs in a new environment: module state starts over.
    expect(await queued).toMatchObject({ invocations: 1 });
  });

  it('reports a bundle that does not load, and an unknown function', async () => {
    runner = new LambdaRunner({
      functions: [{ name: 'claim', bundle: join(dir, 'missing.js'), env: {} }],
    });
    await expect(runner.invoke('claim', {})).rejects.toThrow(
      /claim failed: Error: Cannot find module/,
    );
    await expect(runner.invoke('nope', {})).rejects.toBeInstanceOf(LambdaInvocationError);
  });

  it('initializes anew after a bundle failed to load, as Lambda does: a bundle rebuilt meanwhile runs', async () => {
    const later = join(dir, 'later.js');
    runner = new LambdaRunner({
      functions: [{ name: 'uplink', bundle: later, env: {}, maxConcurrency: 1 }],
    });
    await expect(runner.invoke('uplink', {})).rejects.toThrow(/Cannot find module/);
    writeFileSync(later, BUNDLE);
    await expect(runner.invoke('uplink', {})).resolves.toMatchObject({ invocations: 1 });
  });

  it('waits for in-flight invocations with idle()', async () => {
    runner = new LambdaRunner({
      functions: [{ name: 'uplink', bundle, env: {}, maxConcurrency: 1 }],
      retryDelaysMs: [5, 5],
    });
    let settled = false;
    void runner.invokeEvent('uplink', { failTimes: 1 }).then(() => (settled = true));
    await runner.idle();
    expect(settled).toBe(true);
  });
});
