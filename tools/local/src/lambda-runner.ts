import { randomUUID } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import { LambdaInvocationError } from './errors';

/** One function: a built bundle exporting `handler`, and the environment it runs with. */
export interface LambdaFunction {
  /** The local name (`uplink`), also the Lambda context's `functionName`. */
  readonly name: string;
  /** Absolute path of the bundle (`dist/packages/uplink/index.js`). */
  readonly bundle: string;
  /** The function's configuration (docs/architecture.md "Config"); the runner adds the runtime's own variables. */
  readonly env: Readonly<Record<string, string>>;
  /** Default 30 s, as the templates configure for the traffic functions. */
  readonly timeoutMs?: number;
  /** Concurrent execution environments (cold-started on demand). Default 2. */
  readonly maxConcurrency?: number;
}

/** How an asynchronous invocation ended, after its retries. */
export type AsyncOutcome =
  { readonly ok: true } | { readonly ok: false; readonly error: LambdaInvocationError };

/** One line a function wrote to stdout or stderr (Powertools writes JSON lines). */
export interface LambdaLogLine {
  readonly functionName: string;
  readonly line: string;
}

export interface LambdaRunnerOptions {
  readonly functions: readonly LambdaFunction[];
  readonly onLog?: (log: LambdaLogLine) => void;
  /** An asynchronous invocation failed on every attempt (the on-failure destination). */
  readonly onAsyncFailure?: (
    functionName: string,
    error: LambdaInvocationError,
    event: unknown,
  ) => void;
  /** Pauses between asynchronous retries. Lambda waits about 1 and 2 minutes; locally shorter. */
  readonly retryDelaysMs?: readonly number[];
}

const DEFAULT_TIMEOUT_MS = 30_000;
const DEFAULT_MAX_CONCURRENCY = 2;
const DEFAULT_RETRY_DELAYS_MS = [1_000, 2_000];
const MEMORY_MB = '256';

/**
 * What runs inside each execution environment (a worker thread): load the bundle once — its
 * module scope is the cold start — then run invocations one at a time, as Lambda does.
 */
const BOOTSTRAP = `
const { parentPort, workerData } = require('node:worker_threads');
let handler;
let loadError;
try {
  handler = require(workerData.bundle).handler;
  if (typeof handler !== 'function') throw new TypeError(workerData.bundle + ' does not export a handler function');
} catch (error) {
  loadError = error;
}
const failure = (id, error) => ({
  id,
  ok: false,
  errorType: (error && error.name) || 'Error',
  errorMessage: (error && error.message) || String(error),
});
parentPort.on('message', async ({ id, event, context }) => {
  if (loadError) return parentPort.postMessage({ ...failure(id, loadError), initFailed: true });
  const deadline = Date.now() + context.timeoutMs;
  const lambdaContext = {
    ...context,
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done() {},
    succeed() {},
    fail() {},
  };
  try {
    const result = await handler(event, lambdaContext);
    parentPort.postMessage({ id, ok: true, result: result === undefined ? undefined : JSON.parse(JSON.stringify(result)) });
  } catch (error) {
    parentPort.postMessage(failure(id, error));
  }
});
`;

interface Pending {
  readonly event: unknown;
  readonly resolve: (result: unknown) => void;
  readonly reject: (error: LambdaInvocationError) => void;
}

/** What the bootstrap posts back for an invocation. */
interface WorkerAnswer {
  readonly id: string;
  readonly ok: boolean;
  readonly result?: unknown;
  readonly errorType?: string;
  readonly errorMessage?: string;
  /** The bundle did not load: Lambda discards such a sandbox and initializes anew next time. */
  readonly initFailed?: boolean;
}

/** One execution environment of a function. */
interface Environment {
  readonly functionName: string;
  readonly worker: Worker;
  busy: boolean;
  current: { id: string; pending: Pending; timer: NodeJS.Timeout } | undefined;
}

/**
 * Runs the Lambda bundles unchanged, in-process: every execution environment is a worker
 * thread with the function's own `process.env` (bundles read their configuration at cold
 * start), one invocation at a time, up to `maxConcurrency` environments per function.
 * Synchronous invocations (`invoke`) answer the handler's result; asynchronous ones
 * (`invokeEvent`, what IoT rules use) retry twice on error, as Lambda does.
 */
export class LambdaRunner {
  private readonly functions = new Map<string, LambdaFunction>();
  private readonly environments = new Map<string, Environment[]>();
  private readonly queues = new Map<string, Pending[]>();
  private readonly inFlight = new Set<Promise<unknown>>();
  private closed = false;

  constructor(private readonly options: LambdaRunnerOptions) {
    for (const fn of options.functions) this.functions.set(fn.name, fn);
  }

  /** The functions' names. */
  get functionNames(): string[] {
    return [...this.functions.keys()];
  }

  /** Invokes synchronously (RequestResponse) and answers the handler's result. */
  invoke(functionName: string, event: unknown): Promise<unknown> {
    const fn = this.functions.get(functionName);
    if (!fn)
      return Promise.reject(
        new LambdaInvocationError(
          functionName,
          'ResourceNotFoundException',
          `no function ${functionName}; known: ${this.functionNames.join(', ')}`,
        ),
      );
    if (this.closed)
      return Promise.reject(
        new LambdaInvocationError(functionName, 'RunnerClosed', 'the local stack is stopping'),
      );
    const invocation = new Promise<unknown>((resolve, reject) => {
      const pending: Pending = { event, resolve, reject };
      const environment = this.idleEnvironment(fn);
      if (environment) this.run(fn, environment, pending);
      else this.queue(fn.name).push(pending);
    });
    return this.track(invocation);
  }

  /**
   * Invokes asynchronously (Event): the caller need not wait; a failing invocation is retried
   * twice, then reported to `onAsyncFailure`. The returned promise settles after the last
   * attempt with its outcome, for callers (tests, CloudFormation) that want to know.
   */
  invokeEvent(functionName: string, event: unknown): Promise<AsyncOutcome> {
    const delays = this.options.retryDelaysMs ?? DEFAULT_RETRY_DELAYS_MS;
    const attempt = async (): Promise<AsyncOutcome> => {
      for (let retry = 0; ; retry++) {
        try {
          await this.invoke(functionName, event);
          return { ok: true };
        } catch (error) {
          const failure =
            error instanceof LambdaInvocationError
              ? error
              : new LambdaInvocationError(functionName, 'Error', String(error));
          if (retry >= delays.length || this.closed) {
            // An invocation cut short by stopping the stack is no failure of the function.
            if (!this.closed) this.options.onAsyncFailure?.(functionName, failure, event);
            return { ok: false, error: failure };
          }
          await new Promise((resolve) => setTimeout(resolve, delays[retry]).unref());
        }
      }
    };
    return this.track(attempt());
  }

  /** Resolves once no invocation is running, queued or waiting for a retry (or after `timeoutMs`). */
  async idle(timeoutMs = Infinity): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.inFlight.size > 0 && Date.now() < deadline) {
      const timeout = new Promise((resolve) =>
        setTimeout(resolve, Math.min(deadline - Date.now(), 2 ** 31 - 1)).unref(),
      );
      await Promise.race([Promise.allSettled([...this.inFlight]), timeout]);
    }
  }

  /** Stops every execution environment; queued invocations fail. */
  async close(): Promise<void> {
    this.closed = true;
    for (const [name, queue] of this.queues) {
      for (const pending of queue.splice(0))
        pending.reject(
          new LambdaInvocationError(name, 'RunnerClosed', 'the local stack is stopping'),
        );
    }
    const all = [...this.environments.values()].flat();
    this.environments.clear();
    await Promise.all(
      all.map((environment) => this.terminate(environment, 'the local stack is stopping')),
    );
  }

  private track<T>(promise: Promise<T>): Promise<T> {
    this.inFlight.add(promise);
    const forget = () => this.inFlight.delete(promise);
    promise.then(forget, forget);
    return promise;
  }

  private queue(name: string): Pending[] {
    let queue = this.queues.get(name);
    if (!queue) this.queues.set(name, (queue = []));
    return queue;
  }

  /** An idle environment, cold-starting a new one while under the concurrency limit. */
  private idleEnvironment(fn: LambdaFunction): Environment | undefined {
    const environments = this.environments.get(fn.name) ?? [];
    this.environments.set(fn.name, environments);
    const idle = environments.find((environment) => !environment.busy);
    if (idle) return idle;
    if (environments.length >= (fn.maxConcurrency ?? DEFAULT_MAX_CONCURRENCY)) return undefined;
    const environment = this.start(fn);
    environments.push(environment);
    return environment;
  }

  private start(fn: LambdaFunction): Environment {
    const worker = new Worker(BOOTSTRAP, {
      eval: true,
      workerData: { bundle: fn.bundle },
      env: {
        ...fn.env,
        AWS_LAMBDA_FUNCTION_NAME: fn.name,
        AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
        AWS_LAMBDA_FUNCTION_MEMORY_SIZE: MEMORY_MB,
        AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${fn.name}`,
      },
      stdout: true,
      stderr: true,
    });
    const environment: Environment = {
      functionName: fn.name,
      worker,
      busy: false,
      current: undefined,
    };
    this.forwardLines(fn, worker);
    worker.on('message', (message: WorkerAnswer) => this.settle(fn, environment, message));
    // A crash (an uncaught exception outside the handler's promise) ends the environment, as
    // Lambda discards a sandbox whose runtime exited.
    worker.on('error', (error) => this.discard(fn, environment, `${error.name}: ${error.message}`));
    worker.on('exit', (code) =>
      this.discard(fn, environment, `the runtime exited with code ${code}`),
    );
    return environment;
  }

  /** Hands each line the function writes to `onLog`. */
  private forwardLines(fn: LambdaFunction, worker: Worker): void {
    for (const stream of [worker.stdout, worker.stderr]) {
      let buffered = '';
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => {
        buffered += chunk;
        const lines = buffered.split('\n');
        buffered = lines.pop() ?? '';
        for (const line of lines)
          if (line.trim()) this.options.onLog?.({ functionName: fn.name, line });
      });
    }
  }

  /** The environment's answer to its current invocation; then the next queued one runs. */
  private settle(fn: LambdaFunction, environment: Environment, message: WorkerAnswer): void {
    const current = environment.current;
    if (!current || current.id !== message.id) return;
    clearTimeout(current.timer);
    environment.current = undefined;
    environment.busy = false;
    if (message.ok) current.pending.resolve(message.result);
    else
      current.pending.reject(
        new LambdaInvocationError(
          fn.name,
          message.errorType ?? 'Error',
          message.errorMessage ?? 'unknown error',
        ),
      );
    if (message.initFailed) {
      // A bundle rebuilt while the stack runs loads again in a new environment.
      this.remove(fn, environment);
      void environment.worker.terminate();
      return;
    }
    this.next(fn, environment);
  }

  private run(fn: LambdaFunction, environment: Environment, pending: Pending): void {
    const id = randomUUID();
    const timeoutMs = fn.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    environment.busy = true;
    const timer = setTimeout(() => {
      // Lambda stops a timed-out sandbox; its module state is lost with it.
      void this.terminate(
        environment,
        `Task timed out after ${(timeoutMs / 1000).toFixed(2)} seconds`,
        'TimeoutError',
      );
      this.remove(fn, environment);
    }, timeoutMs);
    timer.unref();
    environment.current = { id, pending, timer };
    environment.worker.postMessage({
      id,
      event: pending.event,
      context: {
        functionName: fn.name,
        functionVersion: '$LATEST',
        invokedFunctionArn: `arn:aws:lambda:us-east-1:123456789012:function:${fn.name}`,
        memoryLimitInMB: MEMORY_MB,
        awsRequestId: id,
        logGroupName: `/aws/lambda/${fn.name}`,
        logStreamName: `local/${fn.name}`,
        timeoutMs,
      },
    });
  }

  /** Hands the next queued invocation to an environment that became free. */
  private next(fn: LambdaFunction, environment: Environment | undefined): void {
    const pending = this.queue(fn.name).shift();
    if (!pending) return;
    const target = environment && !environment.busy ? environment : this.idleEnvironment(fn);
    if (target) this.run(fn, target, pending);
    else this.queue(fn.name).unshift(pending);
  }

  private discard(fn: LambdaFunction, environment: Environment, reason: string): void {
    const current = environment.current;
    environment.current = undefined;
    if (current) {
      clearTimeout(current.timer);
      current.pending.reject(new LambdaInvocationError(fn.name, 'Runtime.ExitError', reason));
    }
    this.remove(fn, environment);
  }

  private remove(fn: LambdaFunction, environment: Environment): void {
    const environments = this.environments.get(fn.name);
    const index = environments?.indexOf(environment) ?? -1;
    if (index < 0) return;
    environments!.splice(index, 1);
    if (!this.closed) this.next(fn, undefined);
  }

  private async terminate(
    environment: Environment,
    reason: string,
    errorType = 'RunnerClosed',
  ): Promise<void> {
    const current = environment.current;
    environment.current = undefined;
    if (current) {
      clearTimeout(current.timer);
      current.pending.reject(
        new LambdaInvocationError(environment.functionName, errorType, reason),
      );
    }
    await environment.worker.terminate();
  }
}
