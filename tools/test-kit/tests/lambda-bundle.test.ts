import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { loadBundle, runContainer } from '../src';

/** A bundle as esbuild writes them: CommonJS exporting `handler`, with module state. */
const BUNDLE = `
let invocations = 0;
exports.handler = async (event, context) => {
  invocations += 1;
  console.log(JSON.stringify({ message: 'invoked', request: context.awsRequestId, stack: process.env.STACK_NAME }));
  if (event.fail) throw Object.assign(new Error('refused'), { code: 'invalid_configuration' });
  return event.silent ? undefined : { invocations };
};
`;

describe('Lambda bundles', () => {
  let directory: string;
  let bundle: string;
  beforeAll(() => {
    directory = mkdtempSync(join(tmpdir(), 'bundle-'));
    bundle = join(directory, 'index.js');
    writeFileSync(bundle, BUNDLE);
  });
  afterAll(() => rmSync(directory, { recursive: true, force: true }));

  it('runs events in one container, keeping module state, with the outcomes apart from the log lines', async () => {
    const run = await runContainer(bundle, { STACK_NAME: 'tts-stack' }, [
      {},
      { silent: true },
      { fail: true },
    ]);
    expect(run.outcomes).toEqual([
      { ok: true, value: { invocations: 1 } },
      { ok: true, value: null },
      { ok: false, error: { name: 'Error', message: 'refused', code: 'invalid_configuration' } },
    ]);
    expect(
      run.stdout
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line)),
    ).toEqual([
      { message: 'invoked', request: expect.stringMatching(/-request-0$/), stack: 'tts-stack' },
      { message: 'invoked', request: expect.stringMatching(/-request-1$/), stack: 'tts-stack' },
      { message: 'invoked', request: expect.stringMatching(/-request-2$/), stack: 'tts-stack' },
    ]);
  });

  it('gives every invocation its own request ID across containers, or the one the test names', async () => {
    const requests = async (options: { requestIDs?: string[] } = {}) =>
      (await runContainer(bundle, {}, [{}, {}], options)).stdout
        .trim()
        .split('\n')
        .map((line) => (JSON.parse(line) as { request: string }).request);
    const [first, second] = await Promise.all([requests(), requests()]);
    expect(new Set([...first, ...second]).size).toBe(4);
    expect(await requests({ requestIDs: ['retried', 'retried'] })).toEqual(['retried', 'retried']);
  });

  it('runs events concurrently in one container', async () => {
    const run = await runContainer(bundle, {}, [{}, {}, {}], { concurrent: true });
    expect(
      run.outcomes
        .map((outcome) => outcome.ok && (outcome.value as { invocations: number }).invocations)
        .sort(),
    ).toEqual([1, 2, 3]);
  });

  it('loads a bundle into this process with its environment, and restores the environment', async () => {
    const log = jest.spyOn(console, 'log').mockImplementation(() => undefined);
    const loaded = loadBundle(bundle, { STACK_NAME: 'loaded-stack' });
    await expect(
      loaded.handler({ silent: true }, { awsRequestId: 'r-1' }),
    ).resolves.toBeUndefined();
    expect(JSON.parse(log.mock.calls[0]![0] as string)).toMatchObject({ stack: 'loaded-stack' });
    log.mockRestore();
    loaded.restore();
    expect(process.env['STACK_NAME']).toBeUndefined();
  });

  it('says how to build a bundle that is missing', () => {
    expect(() => loadBundle(join(directory, 'uplink', 'index.js'), {})).toThrow(
      'run `npx nx build uplink` first',
    );
  });
});
