import {
  newQuickJSWASMModuleFromVariant,
  newVariant,
  type QuickJSContext,
  type QuickJSHandle,
  type QuickJSSyncVariant,
  type QuickJSWASMModule,
} from 'quickjs-emscripten-core';

import { FormatterError } from './errors';
import { WASM_PAGE_BYTES, type SandboxLimits } from './limits';
import { compiledWasm, defaultWasmFile, type CompiledWasm } from './wasm-file';
import { isWatchdogTimeout, Watchdog } from './watchdog';

/** A clock of milliseconds, and what it measures (for the time-limit message). */
export interface SandboxClock {
  readonly now: () => number;
  readonly measures: string;
}

/**
 * This thread's CPU time, where Node has `process.threadCpuUsage` (Node 24, the Lambda
 * runtime, has it); else wall time. CPU time is what The Things Stack's 100 ms amount to on
 * a server core; a Lambda of 256 MB gets about a seventh of a vCPU, where 100 ms of wall time
 * would be some 15 ms of work.
 */
export function threadCpuClock(): SandboxClock {
  const usage = (process as { threadCpuUsage?: () => { user: number; system: number } })
    .threadCpuUsage;
  if (typeof usage !== 'function') return { now: () => performance.now(), measures: 'time' };
  const now = () => {
    const { user, system } = usage.call(process);
    return (user + system) / 1000;
  };
  return { now, measures: 'CPU time' };
}

type Loaded<K extends 'importFFI' | 'importModuleLoader'> = Awaited<
  ReturnType<QuickJSSyncVariant[K]>
>;

/**
 * The release build of QuickJS whose WebAssembly is a file of its own
 * (`@jitl/quickjs-wasmfile-release-sync`), through its CommonJS modules, required only when
 * the first instance is made: the package's own variant object reaches them with `import()`,
 * which resolves to its ES modules in a bundle, and those locate files by `import.meta.url`,
 * which a CommonJS bundle does not have.
 */
const WASM_FILE_VARIANT: QuickJSSyncVariant = {
  type: 'sync',
  importFFI: async () =>
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the CommonJS build, see above
    (require('@jitl/quickjs-wasmfile-release-sync/ffi') as { QuickJSFFI: Loaded<'importFFI'> })
      .QuickJSFFI,
  importModuleLoader: async () =>
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the CommonJS build, see above
    require('@jitl/quickjs-wasmfile-release-sync/emscripten-module') as Loaded<'importModuleLoader'>,
};

/** `WebAssembly.Memory`, which the ECMAScript library typings leave out. */
const WasmMemory = (
  globalThis as unknown as {
    WebAssembly: { Memory: new (descriptor: { initial: number; maximum: number }) => object };
  }
).WebAssembly.Memory;

/** The initial memory the QuickJS build declares (16 MiB). */
const QUICKJS_INITIAL_PAGES = 256;

/**
 * QuickJS compiled to WebAssembly, one fresh runtime and context per evaluation.
 *
 * The WebAssembly module (QuickJS itself) is read from its file (`wasmFile`: beside the
 * bundle in a Lambda, see wasm-file.ts), compiled and instantiated on first use; the compiled
 * module is kept for the container, so a replaced instance does not read it again. Each
 * `evaluate` then creates a new QuickJS runtime with its own heap limit, stack limit and
 * interrupt handler, and a new context in it with only the ECMAScript built-ins: no module
 * loader, no host functions, no `std`/`os`, nothing of Node. The runtime is freed when the
 * call ends, so nothing a script does survives into the next call.
 *
 * Time is limited twice: QuickJS's interrupt handler stops a script after `timeoutMs` of CPU
 * time, but QuickJS asks it only between operations (every few thousand), so a loop of long
 * built-in calls (`repeat` or `indexOf` over megabytes) can outlast it by minutes; a
 * watchdog then terminates the call after `wallTimeoutMs`. A terminated or trapped (host
 * stack overflow, abort) WebAssembly instance is dropped, unfreed, and the next call
 * instantiates a new one.
 */
export class QuickJsSandbox {
  private module: Promise<QuickJSWASMModule> | undefined;
  private instances = 0;
  private readonly watchdog = new Watchdog();

  constructor(
    private readonly limits: SandboxLimits,
    private readonly clock: SandboxClock = threadCpuClock(),
    /** Where QuickJS's WebAssembly binary is read from. */
    private readonly wasmFile: string = defaultWasmFile(),
  ) {}

  /** How many WebAssembly instances this sandbox has created (one, unless one was replaced). */
  get instancesCreated(): number {
    return this.instances;
  }

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
    const loading = this.load();
    const module = await loading;
    // A call that ran while this one waited may have abandoned the instance: take the next.
    if (this.module !== loading) return this.evaluate(source);
    try {
      return this.watchdog.run(() => this.evaluateIn(module, source), this.limits.wallTimeoutMs);
    } catch (error) {
      // After running out of memory the heap may be fragmented to the ceiling: start afresh.
      if (error instanceof FormatterError && error.code === 'formatter_memory')
        this.module = undefined;
      if (error instanceof FormatterError) throw error;
      // The instance stopped in the middle of QuickJS (terminated, or trapped): its heap and
      // stack pointer cannot be trusted any more, so it is dropped without being freed.
      this.module = undefined;
      if (isWatchdogTimeout(error)) throw wallTimeoutError(this.limits);
      throw new FormatterError(
        'formatter_sandbox',
        `The QuickJS sandbox failed (${describe(error)}); it is replaced for the next call.`,
        {},
        { cause: error },
      );
    }
  }

  /**
   * One evaluation in a new runtime. The runtime is freed when QuickJS returned normally
   * (with a value or a script error); a host exception out of QuickJS leaves it alone.
   */
  private evaluateIn(module: QuickJSWASMModule, source: string): string {
    const runtime = module.newRuntime();
    const deadline = this.clock.now() + this.limits.timeoutMs;
    let interrupted = false;
    runtime.setMemoryLimit(this.limits.memoryBytes);
    runtime.setMaxStackSize(this.limits.maxStackBytes);
    runtime.setInterruptHandler(() => (interrupted ||= this.clock.now() > deadline));
    const context = runtime.newContext();
    const result = context.evalCode(source, 'formatter.js', { type: 'global' });
    try {
      if (result.error !== undefined) {
        const thrown: unknown = context.dump(result.error);
        result.error.dispose();
        throw interrupted
          ? timeoutError(this.limits, this.clock.measures)
          : scriptFailure(thrown, this.limits);
      }
      return readOutput(context, result.value, this.limits.maxOutputLength);
    } finally {
      context.dispose();
      runtime.dispose();
    }
  }

  private load(): Promise<QuickJSWASMModule> {
    // The compiled module is awaited first, outside Emscripten: a file that cannot be read
    // then fails this call (and the next tries again) instead of rejecting in its loader.
    this.module ??= compiledWasm(this.wasmFile)
      .then((wasmModule) => this.instantiate(wasmModule))
      .catch((error: unknown) => {
        this.module = undefined;
        if (error instanceof FormatterError) throw error;
        throw new FormatterError(
          'formatter_sandbox',
          `The QuickJS WebAssembly module did not load (${describe(error)}).`,
          {},
          { cause: error },
        );
      });
    return this.module;
  }

  private instantiate(wasmModule: CompiledWasm): Promise<QuickJSWASMModule> {
    // The build declares 16 MiB of initial memory; a fixed maximum is the memory limit.
    const wasmMemory = new WasmMemory({
      initial: QUICKJS_INITIAL_PAGES,
      maximum: this.limits.memoryBytes / WASM_PAGE_BYTES,
    });
    this.instances += 1;
    return newQuickJSWASMModuleFromVariant(
      newVariant(WASM_FILE_VARIANT, { wasmMemory, wasmModule }),
    );
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

function timeoutError(limits: SandboxLimits, measures: string): FormatterError {
  return new FormatterError(
    'formatter_timeout',
    `The formatter used more than ${limits.timeoutMs} ms of ${measures} and was stopped.`,
    { limit: limits.timeoutMs, clock: measures },
  );
}

function wallTimeoutError(limits: SandboxLimits): FormatterError {
  return new FormatterError(
    'formatter_timeout',
    `The formatter ran longer than ${limits.wallTimeoutMs} ms and was terminated.`,
    { limit: limits.wallTimeoutMs, clock: 'wall' },
  );
}

/** Classifies what a script threw (as `context.dump` gives it) into a `FormatterError`. */
function scriptFailure(thrown: unknown, limits: SandboxLimits): FormatterError {
  const { name, message } = errorParts(thrown);
  if (name === 'InternalError' && message === 'out of memory') {
    return new FormatterError(
      'formatter_memory',
      `The formatter ran out of the sandbox's ${limits.memoryBytes} bytes of memory and was stopped.`,
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
