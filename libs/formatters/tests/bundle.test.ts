import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import { build } from 'esbuild';

/**
 * The engine inside a Lambda-style esbuild bundle (one CommonJS file, minified, the Lambdas'
 * `mainFields`), run in a process of its own from a folder outside the workspace, so that
 * nothing but what lies beside the bundle can be found: the QuickJS WebAssembly is not in
 * the bundle but in the file the Lambda build puts beside it.
 */
describe('the engine bundled with esbuild', () => {
  const root = resolve(__dirname, '..', '..', '..');
  let dir: string;
  let outfile: string;

  /** Two uplinks decoded by the bundle in one fresh process: their results, as JSON. */
  function decodeTwice(): unknown[] {
    const script = `
      const { FormatterEngine } = require(${JSON.stringify(outfile)});
      const engine = new FormatterEngine();
      const formatter = { type: 'FORMATTER_JAVASCRIPT', parameter: 'function decodeUplink(i) { return { data: { sum: i.bytes[0] + i.bytes[1] } }; }' };
      const input = { bytes: Uint8Array.from([40, 2]), fPort: 1 };
      (async () => {
        const results = [await engine.decodeUplink(formatter, input), await engine.decodeUplink(formatter, input)];
        process.stdout.write(JSON.stringify(results.map(({ error, ...rest }) => error ? { ...rest, code: error.code, file: error.attributes.file } : rest)));
      })();`;
    return JSON.parse(
      execFileSync(process.execPath, ['-e', script], { cwd: dir, encoding: 'utf8' }),
    ) as unknown[];
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'formatters-bundle-'));
    const entry = join(dir, 'entry.ts');
    writeFileSync(entry, "export { FormatterEngine } from '@tts-aws-iot/formatters';\n");
    outfile = join(dir, 'lambda', 'index.js');
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
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('carries no WebAssembly inside the bundle', () => {
    expect(statSync(outfile).size).toBeLessThan(200 * 1024);
  });

  it('without the WebAssembly file beside it, fails each JavaScript call naming the file', () => {
    const file = join(dir, 'lambda', 'emscripten-module.wasm');
    const failure = { ok: false, code: 'formatter_sandbox', file };
    expect(decodeTwice()).toMatchObject([failure, failure]);
  });

  it('with the WebAssembly file beside it, decodes', () => {
    const wasm = require.resolve('@jitl/quickjs-wasmfile-release-sync/wasm');
    copyFileSync(wasm, join(dir, 'lambda', 'emscripten-module.wasm'));
    const decoded = { ok: true, data: { sum: 42 }, warnings: [], errors: [] };
    expect(decodeTwice()).toEqual([decoded, decoded]);
  });
});
