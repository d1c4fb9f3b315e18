import {
  CreateLogGroupCommand,
  CreateLogStreamCommand,
  PutRetentionPolicyCommand,
  type CloudWatchLogsClient,
  PutLogEventsCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import type { MessagePublisher } from '@tts-aws-iot/integration';

import { createCloudWatchLogsClient, type ClientOptions } from './clients';
import { fromAwsError } from './errors';

/**
 * The things' provisioning history in CloudWatch Logs, where The Things Stack's
 * troubleshooting guide looks: the log group `/thethings/lorawan/<stack>/things`, one log
 * stream per thing (named after the thing), one JSON event per provisioning outcome
 * (`created`, `claimed`, `deleted`, `skipped` with its reason, `failed` with the error).
 * Events hold the outcome's own fields only, never the thing's attributes, so no key or
 * claim code reaches the log.
 */

/** One entry of a thing's history: the fields of a provisioning outcome that are logged. */
export interface ProvisioningLogEntry {
  readonly status: string;
  readonly deviceID?: string;
  readonly reason?: string;
  readonly error?: { readonly name: string; readonly message: string };
}

/** Appends to a thing's provisioning history. */
export interface ProvisioningLogWriter {
  append(thingName: string, entry: ProvisioningLogEntry): Promise<void>;
}

/** Options of `CloudWatchProvisioningLog`. */
export interface ProvisioningLogOptions {
  /** The clock of the events' timestamps (milliseconds since the epoch); default `Date.now`. */
  readonly now?: () => number;
  /**
   * When set, a missing log group is created, kept this many days: for a group the stack
   * adopted from an earlier one (`AdoptThingLogGroup`), which that stack's update deletes.
   * Otherwise a missing group is an error (the stack creates it).
   */
  readonly createGroupWithRetentionInDays?: number;
}

/** `ProvisioningLogWriter` on CloudWatch Logs (CreateLogStream once per thing and container, PutLogEvents). */
export class CloudWatchProvisioningLog implements ProvisioningLogWriter {
  readonly #streams = new Set<string>();
  readonly #now: () => number;

  constructor(
    private readonly client: CloudWatchLogsClient,
    readonly logGroupName: string,
    private readonly options: ProvisioningLogOptions = {},
  ) {
    this.#now = options.now ?? Date.now;
  }

  async append(thingName: string, entry: ProvisioningLogEntry): Promise<void> {
    const message = JSON.stringify({ thingName, ...loggedFields(entry) });
    await this.#ensureStream(thingName);
    const put = () =>
      this.client.send(
        new PutLogEventsCommand({
          logGroupName: this.logGroupName,
          logStreamName: thingName,
          logEvents: [{ timestamp: this.#now(), message }],
        }),
      );
    try {
      await put();
    } catch (error) {
      // The stream was deleted since this container created it: create it again, once.
      if (!isNamed(error, 'ResourceNotFoundException')) throw this.#failed(error, 'PutLogEvents');
      this.#streams.delete(thingName);
      await this.#ensureStream(thingName);
      await put().catch((again: unknown) => {
        throw this.#failed(again, 'PutLogEvents');
      });
    }
  }

  async #ensureStream(thingName: string): Promise<void> {
    if (this.#streams.has(thingName)) return;
    const create = () =>
      this.client.send(
        new CreateLogStreamCommand({ logGroupName: this.logGroupName, logStreamName: thingName }),
      );
    try {
      await create().catch(async (error: unknown) => {
        // The group is gone (deleted by the stack it was adopted from): create it, once.
        const retentionInDays = this.options.createGroupWithRetentionInDays;
        if (!isNamed(error, 'ResourceNotFoundException') || retentionInDays === undefined)
          throw error;
        await this.#createGroup(retentionInDays);
        await create();
      });
    } catch (error) {
      if (!isNamed(error, 'ResourceAlreadyExistsException'))
        throw this.#failed(error, 'CreateLogStream');
    }
    this.#streams.add(thingName);
  }

  async #createGroup(retentionInDays: number): Promise<void> {
    const logGroupName = this.logGroupName;
    await this.client.send(new CreateLogGroupCommand({ logGroupName })).catch((error: unknown) => {
      if (!isNamed(error, 'ResourceAlreadyExistsException'))
        throw this.#failed(error, 'CreateLogGroup');
    });
    await this.client
      .send(new PutRetentionPolicyCommand({ logGroupName, retentionInDays }))
      .catch((error: unknown) => {
        throw this.#failed(error, 'PutRetentionPolicy');
      });
  }

  #failed(error: unknown, action: string): Error {
    return fromAwsError(error, {
      service: 'CloudWatch Logs',
      action,
      resource: `log group ${this.logGroupName}`,
    });
  }
}

function loggedFields(entry: ProvisioningLogEntry): ProvisioningLogEntry {
  return {
    status: entry.status,
    ...(typeof entry.deviceID === 'string' ? { deviceID: entry.deviceID } : {}),
    ...(typeof entry.reason === 'string' ? { reason: entry.reason } : {}),
    ...(entry.error ? { error: { name: entry.error.name, message: entry.error.message } } : {}),
  };
}

function isNamed(error: unknown, name: string): boolean {
  return (error as { name?: unknown } | undefined)?.name === name;
}

const PROVISIONING_TOPIC = /^lorawan\/([^/]+)\/provisioning$/;

/**
 * A publisher that also appends every outcome published on `lorawan/<thing>/provisioning`
 * to that thing's history. The outcome is published first; a history that cannot be written
 * is reported to `onLogFailure` and does not fail the provisioning, which is done by then.
 */
export function withProvisioningLog(
  publisher: MessagePublisher,
  log: ProvisioningLogWriter,
  onLogFailure: (error: unknown, thingName: string) => void,
): MessagePublisher {
  return {
    async publish(topic, payload, options) {
      await publisher.publish(topic, payload, options);
      const thingName = PROVISIONING_TOPIC.exec(topic)?.[1];
      if (thingName === undefined || !isEntry(payload)) return;
      await log
        .append(thingName, payload)
        .catch((error: unknown) => onLogFailure(error, thingName));
    },
  };
}

function isEntry(payload: unknown): payload is ProvisioningLogEntry {
  return (
    typeof payload === 'object' &&
    payload !== null &&
    typeof (payload as { status?: unknown }).status === 'string'
  );
}

/** Where the things' provisioning history goes, and who hears of a failed write. */
export interface ProvisioningLogTarget {
  readonly logGroupName: string;
  /** See `ProvisioningLogOptions`. */
  readonly createGroupWithRetentionInDays?: number;
  onFailure(error: unknown, thingName: string): void;
}

/** What `createAwsPorts` gives a history writer: its client settings and recorder. */
export interface ProvisioningLogClients {
  /** Records the client's calls (the tracer's `captureAWSv3Client`), or returns it as it is. */
  readonly capture: <T>(client: T) => T;
  readonly clientOptions?: ClientOptions;
}

/** The `provisioningLog` option of `createAwsPorts`: a target, and how its writer is made. */
export interface ProvisioningLogSettings extends ProvisioningLogTarget {
  writer(clients: ProvisioningLogClients): ProvisioningLogWriter;
}

/**
 * The history on CloudWatch Logs in `target`'s log group. The writer comes with the settings,
 * not from `createAwsPorts`, so that only the functions that write a history (the registry's,
 * which call this) hold the CloudWatch Logs client in their bundle and evaluate it at start.
 */
export function cloudWatchProvisioningLog(target: ProvisioningLogTarget): ProvisioningLogSettings {
  const { logGroupName, createGroupWithRetentionInDays } = target;
  return {
    logGroupName,
    ...(createGroupWithRetentionInDays === undefined ? {} : { createGroupWithRetentionInDays }),
    onFailure: (error, thingName) => target.onFailure(error, thingName),
    writer: ({ capture, clientOptions }) =>
      new CloudWatchProvisioningLog(
        capture(createCloudWatchLogsClient(clientOptions)),
        logGroupName,
        createGroupWithRetentionInDays === undefined ? {} : { createGroupWithRetentionInDays },
      ),
  };
}

/**
 * The `provisioningLog` option of `createAwsPorts` from the function's environment
 * (`PROVISIONING_LOG_GROUP`, which the registry template sets, and for an adopted group
 * `PROVISIONING_LOG_RETENTION_DAYS`), reporting a history that cannot be written as a
 * warning on `log`. Undefined without the variable.
 */
export function provisioningLogFromEnvironment(
  env: Readonly<Record<string, string | undefined>>,
  log: { warn(message: string, attributes: Readonly<Record<string, unknown>>): void },
): ProvisioningLogSettings | undefined {
  const logGroupName = env['PROVISIONING_LOG_GROUP']?.trim();
  if (!logGroupName) return undefined;
  const retention = Number(env['PROVISIONING_LOG_RETENTION_DAYS']?.trim() || Number.NaN);
  return cloudWatchProvisioningLog({
    logGroupName,
    ...(Number.isInteger(retention) && retention > 0
      ? { createGroupWithRetentionInDays: retention }
      : {}),
    onFailure: (error, thingName) =>
      log.warn("Could not write the thing's provisioning history.", {
        thing_name: thingName,
        log_group: logGroupName,
        error: error instanceof Error ? error.message : String(error),
      }),
  });
}
