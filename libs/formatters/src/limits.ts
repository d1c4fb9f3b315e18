import { FormatterError } from './errors';

/**
 * What one formatter call may use. The defaults are also the maxima: a caller may tighten
 * them, never loosen them (the constructor refuses larger values).
 */
export interface SandboxLimits {
  /**
   * Wall time of one call (compile and run), in milliseconds. The Things Stack interrupts a
   * script after 100 ms (`script_timeout`).
   */
  readonly timeoutMs: number;
  /**
   * Heap of one call's QuickJS runtime, in bytes. The Things Stack sets none (goja has no
   * memory limit); 16 MiB is some 30 times what the largest Device Repository codec of the
   * test corpus needs, and keeps a Lambda of 128 MB safe.
   */
  readonly memoryBytes: number;
  /**
   * Native stack QuickJS may use, in bytes. The Things Stack's `StackDepthLimit` is unused;
   * 64 KiB gives some 370 nested JavaScript calls, and stays below the point where QuickJS's
   * own C recursion (JSON, the parser) would exhaust Node's stack before QuickJS notices.
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
  memoryBytes: 16 * 1024 * 1024,
  maxStackBytes: 64 * 1024,
  maxScriptLength: 40_960,
  maxRepositoryScriptLength: 512 * 1024,
  maxOutputLength: 64 * 1024,
});

/**
 * The limits with `overrides` applied. Each must be a positive integer no larger than the
 * default; otherwise a `formatter_input` error names the limit.
 */
export function resolveLimits(overrides: Partial<SandboxLimits> = {}): Readonly<SandboxLimits> {
  const limits = { ...DEFAULT_SANDBOX_LIMITS, ...overrides };
  for (const name of Object.keys(DEFAULT_SANDBOX_LIMITS) as (keyof SandboxLimits)[]) {
    const value = limits[name];
    const maximum = DEFAULT_SANDBOX_LIMITS[name];
    if (!Number.isSafeInteger(value) || value <= 0 || value > maximum) {
      throw new FormatterError(
        'formatter_input',
        `Sandbox limit ${name} is ${String(value)}: give a positive integer of at most ${maximum} ` +
          '(the limits may be tightened, not loosened).',
        { limit: name, value, maximum },
      );
    }
  }
  return Object.freeze(limits);
}
