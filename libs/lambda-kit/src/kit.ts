import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Tracer } from '@aws-lambda-powertools/tracer';

/** The Powertools instances one Lambda shares between its handler and its adapters. */
export interface LambdaKit {
  readonly logger: Logger;
  /**
   * Undefined outside Lambda and with `POWERTOOLS_TRACE_ENABLED=false`: the X-Ray SDK is
   * then never loaded.
   */
  readonly tracer: Tracer | undefined;
  readonly metrics: Metrics;
  /**
   * Records the client's calls as X-Ray subsegments (`tracer.captureAWSv3Client`); returns
   * the client unchanged when tracing is off (outside Lambda, in tests).
   */
  captureAWSv3Client<T>(client: T): T;
  /**
   * Count metrics (the `Counters` port of libs/integration, matched structurally):
   * `count('Uplinks')` adds 1 to the metric flushed at the end of the invocation.
   */
  readonly counters: { count(name: string, value?: number): void };
}

/** Options of `createLambdaKit`. */
export interface LambdaKitOptions {
  /** The log-visible function name (docs/architecture.md), e.g. `HandleUplink`. */
  readonly functionName: string;
  /** Default: `POWERTOOLS_SERVICE_NAME`, else `tts-aws-iot`. */
  readonly serviceName?: string;
  /** Default: `POWERTOOLS_METRICS_NAMESPACE`, else `TtsAwsIot`. */
  readonly metricsNamespace?: string;
}

/** Default service name and metrics namespace when neither option nor Powertools variable sets them. */
const DEFAULT_SERVICE_NAME = 'tts-aws-iot';
const DEFAULT_METRICS_NAMESPACE = 'TtsAwsIot';

/**
 * Creates the Logger, Tracer and Metrics of one Lambda (once, at module scope). Every log
 * line carries `function` = the log-visible name. Outside Lambda or with
 * `POWERTOOLS_TRACE_ENABLED=false` there is no tracer at all; in Lambda, Powertools decides
 * the rest. Wrap SDK clients with `kit.captureAWSv3Client(client)`.
 */
export function createLambdaKit(options: LambdaKitOptions): LambdaKit {
  // Options win over Powertools' variables inside Powertools, so only fall back to a
  // default when the variable is absent too.
  const serviceName =
    options.serviceName ?? (process.env['POWERTOOLS_SERVICE_NAME'] || DEFAULT_SERVICE_NAME);
  const namespace =
    options.metricsNamespace ??
    (process.env['POWERTOOLS_METRICS_NAMESPACE'] || DEFAULT_METRICS_NAMESPACE);
  const tracer = tracingIsOff(process.env) ? undefined : loadTracing().createTracer(serviceName);
  const logger = new Logger({ serviceName, persistentKeys: { function: options.functionName } });
  const metrics = new Metrics({
    serviceName,
    namespace,
    functionName: options.functionName,
    logger: metricsLog(logger),
  });
  return {
    logger,
    tracer,
    metrics,
    captureAWSv3Client: (client) => (tracer ? tracer.captureAWSv3Client(client) : client),
    counters: { count: (name, value = 1) => metrics.addMetric(name, MetricUnit.Count, value) },
  };
}

/**
 * Routes the metrics utility's own notices through the structured logger. Most
 * invocations add no metric, so "No application metrics to publish" is expected and
 * goes to debug instead of a warning per invocation.
 */
function metricsLog(logger: Logger) {
  return {
    debug: (message: string) => logger.debug(message),
    info: (message: string) => logger.info(message),
    warn: (message: string) =>
      message.startsWith('No application metrics') ? logger.debug(message) : logger.warn(message),
    error: (message: string) => logger.error(message),
  };
}

/**
 * Whether Powertools would certainly leave tracing off: `POWERTOOLS_TRACE_ENABLED=false`,
 * or not in Lambda (no `AWS_EXECUTION_ENV`), as in tests and the local stack. Loading the
 * X-Ray SDK there would cost every cold start ~10 ms and, through its async hook, every
 * `await` of every invocation (HandleUplink's logic runs at half speed with it loaded).
 * Any other case loads the tracer and leaves the finer checks to Powertools.
 */
function tracingIsOff(env: NodeJS.ProcessEnv): boolean {
  return (
    env['POWERTOOLS_TRACE_ENABLED']?.trim().toLowerCase() === 'false' ||
    !env['AWS_EXECUTION_ENV']?.trim()
  );
}

/** tracing.ts, evaluated only now: a static import would load the X-Ray SDK in every case. */
function loadTracing(): typeof import('./tracing') {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- deferred on purpose (above)
  return require('./tracing') as typeof import('./tracing');
}
