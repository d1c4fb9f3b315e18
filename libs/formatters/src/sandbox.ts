import variant from '@jitl/quickjs-singlefile-cjs-release-sync';
import {
  newQuickJSWASMModuleFromVariant,
  type QuickJSContext,
  type QuickJSHandle,
  type QuickJSWASMModule,
} from 'quickjs-emscripten-core';

import { FormatterError } from './errors';
import type { SandboxLimits } from './limits';

/**
 * QuickJS compiled to WebAssembly, one fresh runtime and context per evaluation.
 *
 * The WebAssembly module (QuickJS itself, with the wasm bytes inlined in the JavaScript so
 * that an esbuild bundle needs no side file) is instantiated once, on first use. Each
 * `evaluate` then creates a new QuickJS runtime with its own heap limit, stack limit and
 * interrupt handler, and a new context in it with only the ECMAScript built-ins: no module
 * loader, no host functions, no `std`/`os`, nothing of Node. The runtime is freed when the
 * call ends, so nothing a script does survives into the next call.
 *
 * Should the WebAssembly instance itself trap (a host stack overflow, an abort), it is
 * dropped, unfreed, and the next call instantiates a new one.
 */
export class QuickJsSandbox {
  private module: Promise<QuickJSWASMModule> | undefined;

  constructor(
    private readonly limits: SandboxLimits,
    private readonly now: () => number = Date.now,
  ) {}

  /** Instantiates the WebAssembly module now rather than on the first call. */
  async ready(): Promise<void> {
    await this.load();
  }

  /**
   * Evaluates `source` as a global script and returns its completion value, which must be a
   * string (the formatter wrappers return JSON text). Script failures throw a
   * `FormatterError` (`formatter_timeout`, `formatter_memory`, `formatter_stack`,
   * `formatter_error`, `formatter_output`, or `formatter_sandbox` when QuickJS itself failed).
   */
  async evaluate(source: string): Promise<string> {
    const module = await this.load();
    let trapped = false;
    const runtime = module.newRuntime();
    try {
      const deadline = this.now() + this.limits.timeoutMs;
      let interrupted = false;
      runtime.setMemoryLimit(this.limits.memoryBytes);
      runtime.setMaxStackSize(this.limits.maxStackBytes);
      runtime.setInterruptHandler(() => (interrupted ||= this.now() > deadline));
      const context = runtime.newContext();
      try {
        const result = context.evalCode(source, 'formatter.js', { type: 'global' });
        if (result.error !== undefined) {
          const thrown: unknown = context.dump(result.error);
          result.error.dispose();
          throw scriptFailure(thrown, interrupted, this.limits);
        }
        return readOutput(context, result.value, this.limits.maxOutputLength);
      } finally {
        context.dispose();
      }
    } catch (error) {
      if (error instanceof FormatterError) throw error;
      trapped = true;
      this.module = undefined;
      throw new FormatterError(
        'formatter_sandbox',
        `The QuickJS sandbox failed (${describe(error)}); it is replaced for the next call.`,
        {},
        { cause: error },
      );
    } finally {
      if (!trapped) runtime.dispose();
    }
  }

  private load(): Promise<QuickJSWASMModule> {
    this.module ??= newQuickJSWASMModuleFromVariant(variant).catch((error: unknown) => {
      this.module = undefined;
      throw new FormatterError(
        'formatter_sandbox',
        `The QuickJS WebAssembly module did not load (${describe(error)}).`,
        {},
        { cause: error },
      );
    });
    return this.module;
  }
}

/** The completion value as a string of at most `maxLength` characters; frees the handle. */
function readOutput(context: QuickJSContext, value: QuickJSHandle, maxLength: number): string {
  try {
    if (context.typeof(value) !== 'string') {
      throw new FormatterError('formatter_output', 'The formatter gave no output.', {
        tts: 'no_script_output',
      });
    }
    const length = context.getProp(value, 'length').consume((handle) => context.getNumber(handle));
    if (length > maxLength) {
      throw new FormatterError(
        'formatter_output',
        `The formatter's output is ${length} characters as JSON, over the limit of ${maxLength}: ` +
          'return less data.',
        { length, limit: maxLength },
      );
    }
    return context.getString(value);
  } finally {
    value.dispose();
  }
}

/** Classifies what a script threw (as `context.dump` gives it) into a `FormatterError`. */
function scriptFailure(
  thrown: unknown,
  interrupted: boolean,
  limits: SandboxLimits,
): FormatterError {
  const { name, message } = errorParts(thrown);
  if (interrupted) {
    return new FormatterError(
      'formatter_timeout',
      `The formatter ran longer than ${limits.timeoutMs} ms and was stopped.`,
      { limit: limits.timeoutMs },
    );
  }
  if (name === 'InternalError' && message === 'out of memory') {
    return new FormatterError(
      'formatter_memory',
      `The formatter used more than ${limits.memoryBytes} bytes of memory and was stopped.`,
      { limit: limits.memoryBytes },
    );
  }
  if (message === 'stack overflow') {
    return new FormatterError(
      'formatter_stack',
      `The formatter went over the stack limit of ${limits.maxStackBytes} bytes (too deep a recursion) and was stopped.`,
      { limit: limits.maxStackBytes },
    );
  }
  const text = name === undefined ? message : `${name}: ${message}`;
  return new FormatterError('formatter_error', `The formatter failed: ${text}`, {
    message: text,
  });
}

/** The name and message of a dumped error, or the thrown value as text. */
function errorParts(thrown: unknown): { name?: string; message: string } {
  if (typeof thrown === 'object' && thrown !== null && 'message' in thrown) {
    const { name, message } = thrown as { name?: unknown; message?: unknown };
    return {
      ...(typeof name === 'string' ? { name } : {}),
      message: clip(String(message)),
    };
  }
  return {
    message: clip(typeof thrown === 'string' ? thrown : (JSON.stringify(thrown) ?? 'undefined')),
  };
}

/** A script's error message, bounded: it goes into logs and republished messages. */
function clip(text: string): string {
  return text.length > 500 ? `${text.slice(0, 500)}…` : text;
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
