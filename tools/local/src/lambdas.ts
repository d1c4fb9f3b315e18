import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { LocalStackError } from './errors';
import { LambdaRunner, type LambdaFunction } from './lambda-runner';
import type { TrafficLog } from './log';
import type { LocalOptions } from './options';

/** The six Lambda packages, as Nx builds them into `dist/packages/<name>/index.js`. */
export const LAMBDA_NAMES = [
  'uplink',
  'downlink',
  'create-device',
  'claim',
  'thing-type',
  'pubsub-config',
] as const;

export type LambdaName = (typeof LAMBDA_NAMES)[number];

/**
 * What a bundle needs beside its index.js: the functions that run payload formatters read
 * QuickJS's WebAssembly from there on their first JavaScript formatter.
 */
export const BUNDLE_SIDE_FILES: Readonly<Partial<Record<LambdaName, readonly string[]>>> = {
  uplink: ['emscripten-module.wasm'],
  downlink: ['emscripten-module.wasm'],
};

/** Where the functions' configuration points: the local API, the TTS stand-in, the secrets. */
export interface LambdaTargets {
  /** The AWS SDK's endpoint variables (`AWS_ENDPOINT_URL_IOT`, …) and credentials. */
  readonly sdkEnv: Readonly<Record<string, string>>;
  readonly apiUrl: string;
  readonly ttsUrl: string;
  readonly kekSecretID: string;
  readonly apiKeySecretID: string;
}

export const FREQUENCY_PLAN_ID = 'EU_863_870_TTN';

/**
 * The built bundle of every function, with the files it needs beside it.
 *
 * @throws LocalStackError `bundles_missing` naming the ones not built, and how to build them
 */
export function lambdaBundles(rootDir: string): Record<LambdaName, string> {
  const bundles = Object.fromEntries(
    LAMBDA_NAMES.map((name) => [name, join(rootDir, 'dist', 'packages', name, 'index.js')]),
  ) as Record<LambdaName, string>;
  const missing = LAMBDA_NAMES.filter((name) =>
    [
      bundles[name],
      ...(BUNDLE_SIDE_FILES[name] ?? []).map((file) => join(dirname(bundles[name]), file)),
    ].some((file) => !existsSync(file)),
  );
  if (missing.length > 0) {
    throw new LocalStackError(
      'bundles_missing',
      `The Lambda bundles of ${missing.join(', ')} are not built: run \`npx nx run-many -t build --projects=tag:type:lambda\` (npm start does it when they are missing).`,
      { missing },
    );
  }
  return bundles;
}

/** Every function's environment, as the templates configure it (docs/architecture.md "Config"). */
export function lambdaEnvironment(
  options: LocalOptions,
  targets: LambdaTargets,
): Record<string, string> {
  return {
    ...targets.sdkEnv,
    STACK_NAME: options.stackName,
    THING_TYPE_NAME: options.thingTypeName,
    THING_NAME_SCHEME: 'DevEUI',
    THING_SHADOW_METRICS: 'true',
    APPLICATION_ID: options.applicationID,
    CLUSTER_ADDRESS: targets.ttsUrl,
    // The TTS stand-in speaks plain HTTP, which a deployment refuses.
    ALLOW_HTTP_CLUSTER: 'true',
    E2E_ENABLED: String(options.e2e),
    KEK_SECRET_ID: targets.kekSecretID,
    API_KEY_SECRET_ID: targets.apiKeySecretID,
    IOT_DATA_ENDPOINT: targets.apiUrl,
    DEFAULT_FREQUENCY_PLAN_ID: FREQUENCY_PLAN_ID,
    POWERTOOLS_SERVICE_NAME: 'tts-aws-iot',
    POWERTOOLS_METRICS_NAMESPACE: 'tts-aws-iot-local',
    POWERTOOLS_LOG_LEVEL: options.verbose ? 'DEBUG' : 'INFO',
    // No X-Ray daemon and no CloudWatch here.
    POWERTOOLS_TRACE_ENABLED: 'false',
    POWERTOOLS_METRICS_DISABLED: 'true',
  };
}

/** The runner of the six bundles, their log lines going to the traffic log. */
export function startLambdas(
  bundles: Readonly<Record<LambdaName, string>>,
  env: Readonly<Record<string, string>>,
  log: TrafficLog,
  concurrency: number,
  retryDelaysMs?: readonly number[],
): LambdaRunner {
  const functions: LambdaFunction[] = LAMBDA_NAMES.map((name) => ({
    name,
    bundle: bundles[name],
    env,
    maxConcurrency: concurrency,
    timeoutMs: name === 'thing-type' || name === 'pubsub-config' ? 60_000 : 30_000,
  }));
  return new LambdaRunner({
    functions,
    onLog: (line) => log.lambda(line),
    onAsyncFailure: (name, error) => log.info(`${name} failed after its retries: ${error.message}`),
    ...(retryDelaysMs && { retryDelaysMs }),
  });
}
