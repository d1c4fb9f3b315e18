import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

import { FormatterError } from './errors';

/**
 * QuickJS's WebAssembly binary, which the engine reads from disk on its first JavaScript
 * formatter rather than carrying it in the bundle: a Lambda bundle that inlined it (as
 * base64, 817 KB of the uplink bundle's 1.6 MB) paid for parsing it at every cold start,
 * although most containers never run a formatter.
 */

/** The file's name, in the variant's package and beside a Lambda bundle that can run formatters. */
export const QUICKJS_WASM_FILE = 'emscripten-module.wasm';

/** The installed variant, where the file is when the engine runs from the workspace. */
const VARIANT_WASM = '@jitl/quickjs-wasmfile-release-sync/wasm';

/**
 * Where the file is: beside the code that runs (a bundle's folder, `dist/packages/<name>/`,
 * where the Lambda build puts it), else in the installed variant package (the engine run
 * from its sources or from a tool's bundle inside the workspace).
 */
export function defaultWasmFile(): string {
  const beside = join(__dirname, QUICKJS_WASM_FILE);
  if (existsSync(beside)) return beside;
  try {
    return require.resolve(VARIANT_WASM);
  } catch {
    return beside;
  }
}

/** A compiled `WebAssembly.Module`, which the ECMAScript library typings leave out. */
export type CompiledWasm = object;

/** `WebAssembly.compile`, likewise. */
const Wasm = (
  globalThis as unknown as {
    WebAssembly: { compile: (bytes: Uint8Array) => Promise<CompiledWasm> };
  }
).WebAssembly;

/** Compiled modules by file, once per container: a replaced instance reuses its module. */
const compiled = new Map<string, Promise<CompiledWasm>>();

/**
 * The compiled QuickJS module of `file`, read and compiled on the first call only. A file
 * that cannot be read or compiled fails `formatter_sandbox` naming it, and is tried again
 * on the next call (the container goes on serving, with formatters failing, meanwhile).
 */
export function compiledWasm(file: string): Promise<CompiledWasm> {
  let module = compiled.get(file);
  if (module === undefined) {
    module = readFile(file)
      .then((bytes) => Wasm.compile(bytes))
      .catch((error: unknown) => {
        compiled.delete(file);
        throw wasmFileError(file, error);
      });
    compiled.set(file, module);
  }
  return module;
}

function wasmFileError(file: string, error: unknown): FormatterError {
  const reason =
    (error as { code?: unknown }).code === 'ENOENT' ? 'it is missing' : describe(error);
  return new FormatterError(
    'formatter_sandbox',
    `The QuickJS WebAssembly file ${file} could not be loaded (${reason}): ship ${QUICKJS_WASM_FILE} ` +
      'beside the bundle, as the Lambda build and `npm run package` do.',
    { file },
    { cause: error },
  );
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
