import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import { build } from 'esbuild';

/**
 * The engine inside a Lambda-style esbuild bundle (one CommonJS file, minified, the Lambdas'
 * `mainFields`): the QuickJS WebAssembly bytes travel inlined in the bundle, so it decodes
 * with nothing beside it, in a process of its own.
 */
describe('the engine bundled with esbuild', () => {
  const root = resolve(__dirname, '..', '..', '..');
  let dir: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'formatters-bundle-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('loads its WebAssembly from the bundle alone and decodes', async () => {
    const entry = join(dir, 'entry.ts');
    writeFileSync(entry, "export { FormatterEngine } from '@tts-aws-iot/formatters';\n");
    const outfile = join(dir, 'lambda', 'index.js');
    await build({
      entryPoints: [entry],
      outfile,
      bundle: true,
      minify: true,
      platform: 'node',
      format: 'cjs',
      target: 'node20',
      mainFields: ['module', 'main'],
      tsconfig: join(root, 'tsconfig.base.json'),
      nodePaths: [join(root, 'node_modules')],
      logLevel: 'silent',
    });
    expect(statSync(outfile).size).toBeGreaterThan(500 * 1024);

    // Run from an empty folder, so that nothing can be found beside the bundle or above it.
    const script = `
      const { FormatterEngine } = require(${JSON.stringify(outfile)});
      new FormatterEngine()
        .decodeUplink(
          { type: 'FORMATTER_JAVASCRIPT', parameter: 'function decodeUplink(i) { return { data: { sum: i.bytes[0] + i.bytes[1] } }; }' },
          { bytes: Uint8Array.from([40, 2]), fPort: 1 },
        )
        .then((result) => process.stdout.write(JSON.stringify(result)));`;
    const output = execFileSync(process.execPath, ['-e', script], { cwd: dir, encoding: 'utf8' });
    expect(JSON.parse(output)).toEqual({ ok: true, data: { sum: 42 }, warnings: [], errors: [] });
  });
});
