import { FormatterError } from './errors';

/**
 * What one formatter call may use. The defaults are also the maxima: a caller may tighten
 * them, never loosen them (the constructor refuses larger values).
 */
export interface SandboxLimits {
  /**
   * CPU time of one call (compile and run), in milliseconds. The Things Stack interrupts a
   * script after 100 ms (`script_timeout`) on its servers' cores; measured in CPU time, the
   * limit means the same on a Lambda that gets a fraction of a vCPU.
   */
  readonly timeoutMs: number;
  /**
   * Wall time of one call, in milliseconds, after which it is terminated from outside
   * QuickJS: the backstop for single built-in calls too long for the interrupt handler to
   * see. 1 000 ms is 100 ms of CPU time on the seventh of a vCPU a 256 MB Lambda gets.
   */
  readonly wallTimeoutMs: number;
  /**
   * The sandbox's whole WebAssembly memory, in bytes (a multiple of 64 KiB, at least 20 MiB:
   * QuickJS starts with 16 MiB, most of it free heap). The Things Stack sets no memory limit
   * (goja has none). A fixed-size memory is the only limit that holds: QuickJS's own
   * `setMemoryLimit` counts allocations, not bytes, when built for WebAssembly, so a script
   * could otherwise grow the instance to 2 GiB and the Lambda out of its memory.
   */
  readonly memoryBytes: number;
  /**
   * Native stack QuickJS may use, in bytes. The Things Stack's `StackDepthLimit` is unused;
   * 32 KiB gives some 185 nested JavaScript calls. Above about 40 KiB, QuickJS's own C
   * recursion (its parser on deeply nested literals) exhausts Node's stack before QuickJS
   * notices, which would cost the WebAssembly instance.
   */
  readonly maxStackBytes: number;
  /** Length of a custom script in characters: The Things Stack's API limit, 40 960. */
  readonly maxScriptLength: number;
  /**
   * Length of a Device Repository script, which The Things Stack exempts from the custom
   * limit (a repository codec of the corpus has 101 227 characters).
   */
  readonly maxRepositoryScriptLength: number;
  /**
   * Length of one call's JSON output in characters. The result is republished on AWS IoT,
   * whose messages are at most 128 KB with everything else the uplink carries.
   */
  readonly maxOutputLength: number;
}

/** The default (and maximal) limits; see `SandboxLimits` for why each is what it is. */
export const DEFAULT_SANDBOX_LIMITS: Readonly<SandboxLimits> = Object.freeze({
  timeoutMs: 100,
  wallTimeoutMs: 1_000,
  memoryBytes: 32 * 1024 * 1024,
  maxStackBytes: 32 * 1024,
  maxScriptLength: 40_960,
  maxRepositoryScriptLength: 512 * 1024,
  maxOutputLength: 64 * 1024,
});

/** The smallest value of each limit: QuickJS needs its initial 16 MiB and some room. */
const MINIMA: Readonly<Partial<SandboxLimits>> = { memoryBytes: 20 * 1024 * 1024 };

/** WebAssembly memory comes in pages of 64 KiB. */
export const WASM_PAGE_BYTES = 64 * 1024;

/**
 * The limits with `overrides` applied. Each must be an integer between its minimum (1, or
 * 20 MiB for `memoryBytes`, which must also be whole 64 KiB pages) and the default;
 * otherwise a `formatter_input` error names the limit.
 */
export function resolveLimits(overrides: Partial<SandboxLimits> = {}): Readonly<SandboxLimits> {
  const limits = { ...DEFAULT_SANDBOX_LIMITS, ...overrides };
  for (const name of Object.keys(DEFAULT_SANDBOX_LIMITS) as (keyof SandboxLimits)[]) {
    const value = limits[name];
    const maximum = DEFAULT_SANDBOX_LIMITS[name];
    const minimum = MINIMA[name] ?? 1;
    const pages = name !== 'memoryBytes' || value % WASM_PAGE_BYTES === 0;
    if (!Number.isSafeInteger(value) || value < minimum || value > maximum || !pages) {
      throw new FormatterError(
        'formatter_input',
        `Sandbox limit ${name} is ${String(value)}: give an integer from ${minimum} to ${maximum}` +
          `${name === 'memoryBytes' ? ' in whole 64 KiB pages' : ''} (the limits may be tightened, not loosened).`,
        { limit: name, value, minimum, maximum },
      );
    }
  }
  return Object.freeze(limits);
}
