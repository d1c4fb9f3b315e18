import { Tracer } from '@aws-lambda-powertools/tracer';

/**
 * Creates the Powertools Tracer. Importing this module loads the AWS X-Ray SDK, which
 * registers a process-wide async hook (its context propagation) as it loads: kit.ts
 * `require`s this module only when tracing may be on, never imports it statically.
 */
export function createTracer(serviceName: string): Tracer {
  return new Tracer({ serviceName });
}
