import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { IoTClient } from '@aws-sdk/client-iot';
import { IoTDataPlaneClient } from '@aws-sdk/client-iot-data-plane';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

/**
 * SDK client factories with the settings every Lambda wants: a few attempts with the
 * SDK's standard backoff (throttling is common on the IoT APIs), and timeouts that fail a
 * hung connection well inside a Lambda's time limit. The SDK's Node handler already keeps
 * connections alive (its agents use `keepAlive: true`), so warm invocations skip the TLS
 * handshake. Region and credentials come from the Lambda environment as usual.
 */

/** Options shared by the factories; tests and tools may override the defaults. */
export interface ClientOptions {
  /** Total attempts per call, including the first (default 3). */
  readonly maxAttempts?: number;
  /** Milliseconds to establish a connection (default 3000). */
  readonly connectionTimeout?: number;
  /** Milliseconds of socket inactivity before a request fails (default 10000). */
  readonly requestTimeout?: number;
}

function baseConfig(options: ClientOptions) {
  return {
    maxAttempts: options.maxAttempts ?? 3,
    requestHandler: {
      connectionTimeout: options.connectionTimeout ?? 3_000,
      requestTimeout: options.requestTimeout ?? 10_000,
    },
  };
}

/**
 * The IoT data-plane client (shadows, publish) for the account's endpoint: `endpoint` is
 * `config.iotDataEndpoint` (e.g. `https://xyz-ats.iot.us-east-1.amazonaws.com`), because
 * the SDK's default data-plane address is not the account's.
 *
 * When `AWS_ENDPOINT_URL_IOT_DATA_PLANE` is set, it wins over `endpoint`: that is the SDK's
 * own variable for pointing a client elsewhere, and the local stack and the emulator tests
 * use it to redirect the unchanged bundles. (An explicit `endpoint` would otherwise take
 * precedence over the variable in the SDK.)
 */
export function createIotDataClient(
  endpoint: string,
  options: ClientOptions & { readonly env?: Readonly<Record<string, string | undefined>> } = {},
): IoTDataPlaneClient {
  const env = options.env ?? process.env;
  const override = env['AWS_ENDPOINT_URL_IOT_DATA_PLANE']?.trim();
  return new IoTDataPlaneClient({ ...baseConfig(options), endpoint: override || endpoint });
}

/** The IoT control-plane client (registry, thing types, endpoints). */
export function createIotClient(options: ClientOptions = {}): IoTClient {
  return new IoTClient(baseConfig(options));
}

/** The Secrets Manager client. */
export function createSecretsManagerClient(options: ClientOptions = {}): SecretsManagerClient {
  return new SecretsManagerClient(baseConfig(options));
}

/** The CloudWatch Logs client (the things' provisioning history). */
export function createCloudWatchLogsClient(options: ClientOptions = {}): CloudWatchLogsClient {
  return new CloudWatchLogsClient(baseConfig(options));
}
