import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { BUNDLE_SIDE_FILES, LAMBDA_NAMES, lambdaBundles } from '../src/lambdas';

describe('lambdaBundles', () => {
  let root: string;
  const put = (name: string, file: string) => {
    mkdirSync(join(root, 'dist', 'packages', name), { recursive: true });
    writeFileSync(join(root, 'dist', 'packages', name, file), '');
  };

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'local-bundles-'));
    for (const name of LAMBDA_NAMES) put(name, 'index.js');
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it("counts a bundle built without QuickJS's WebAssembly beside it as missing", () => {
    put('downlink', 'emscripten-module.wasm');
    expect(() => lambdaBundles(root)).toThrow(
      expect.objectContaining({ code: 'bundles_missing', attributes: { missing: ['uplink'] } }),
    );
  });

  it('gives every index.js once the side files are there', () => {
    for (const [name, files] of Object.entries(BUNDLE_SIDE_FILES))
      for (const file of files ?? []) put(name, file);
    expect(lambdaBundles(root)).toEqual(
      Object.fromEntries(
        LAMBDA_NAMES.map((name) => [name, join(root, 'dist', 'packages', name, 'index.js')]),
      ),
    );
  });
});
