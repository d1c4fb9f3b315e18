import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { Tracer } from '@aws-lambda-powertools/tracer';

/** The Powertools instances one Lambda shares between its handler and its adapters. */
export interface LambdaKit {
  readonly logger: Logger;
  readonly tracer: Tracer;
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

export interface LambdaKitOptions {
  /** The log-visible function name (ARCHITECTURE.md), e.g. `HandleUplink`. */
  readonly functionName: string;
  /** Default: `POWERTOOLS_SERVICE_NAME`, else `tts-aws-iot`. */
  readonly serviceName?: string;
  /** Default: `POWERTOOLS_METRICS_NAMESPACE`, else `TtsAwsIot`. */
  readonly metricsNamespace?: string;
}

/** Default service name and metrics namespace when neither option nor Powertools variable sets them. */
export const DEFAULT_SERVICE_NAME = 'tts-aws-iot';
export const DEFAULT_METRICS_NAMESPACE = 'TtsAwsIot';

/**
 * Creates the Logger, Tracer and Metrics of one Lambda (once, at module scope). Every log
 * line carries `function` = the log-visible name. The tracer records nothing outside
 * Lambda (Powertools checks the environment) or with `POWERTOOLS_TRACE_ENABLED=false`;
 * wrap SDK clients with `kit.captureAWSv3Client(client)`.
 */
export function createLambdaKit(options: LambdaKitOptions): LambdaKit {
  // Options win over Powertools' variables inside Powertools, so only fall back to a
  // default when the variable is absent too.
  const serviceName =
    options.serviceName ?? (process.env['POWERTOOLS_SERVICE_NAME'] || DEFAULT_SERVICE_NAME);
  const namespace =
    options.metricsNamespace ??
    (process.env['POWERTOOLS_METRICS_NAMESPACE'] || DEFAULT_METRICS_NAMESPACE);
  const tracer = new Tracer({ serviceName });
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
    captureAWSv3Client: (client) => tracer.captureAWSv3Client(client),
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
