import { createContext, Script } from 'node:vm';

/**
 * A hard time limit on synchronous host code, from Node's `vm` timeout: a watchdog thread
 * terminates the JavaScript (and WebAssembly) running on this thread when the time is up,
 * and the call throws `ERR_SCRIPT_EXECUTION_TIMEOUT`. Whatever the call was doing is left
 * half done, so the caller must drop the state it touched.
 *
 * The vm context holds nothing but the slot for the function to call; the function itself
 * runs with the host's globals, as any host function does.
 */
export class Watchdog {
  private readonly script = new Script('call()', { filename: 'formatter-watchdog.js' });
  private readonly slot: { call: (() => unknown) | undefined } = createContext({
    call: undefined,
  }) as { call: (() => unknown) | undefined };

  /** `fn()`, terminated after `timeoutMs` milliseconds. */
  run<T>(fn: () => T, timeoutMs: number): T {
    this.slot.call = fn;
    try {
      return this.script.runInContext(this.slot, { timeout: timeoutMs }) as T;
    } finally {
      this.slot.call = undefined;
    }
  }
}

/** Whether `error` is the watchdog's termination. */
export function isWatchdogTimeout(error: unknown): boolean {
  // Duck-typed: the error may come from another realm (a test runner's vm context).
  return (
    typeof error === 'object' &&
    error !== null &&
    (error as { code?: unknown }).code === 'ERR_SCRIPT_EXECUTION_TIMEOUT'
  );
}
