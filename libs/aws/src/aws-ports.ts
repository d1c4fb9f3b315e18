import type { IoTDataPlaneClient } from '@aws-sdk/client-iot-data-plane';
import type { MessagePublisher } from '@tts-aws-iot/integration';

import {
  createIotClient,
  createIotDataClient,
  createSecretsManagerClient,
  type ClientOptions,
} from './clients';
import {
  existingKekFromEnvironment,
  ExistingKekSecretReader,
  type ExistingKek,
} from './existing-kek';
import { withProvisioningLog, type ProvisioningLogSettings } from './provisioning-log';
import { IotDataPublisher } from './publisher';
import { CachedSecretReader, SecretsManagerSecretReader } from './secrets';
import { IotShadowStore } from './shadow-store';
import { IotThingRegistry } from './thing-registry';

/** The AWS adapters of one Lambda container. */
export interface AwsPorts {
  readonly registry: IotThingRegistry;
  /** Secrets Manager behind a cache that lives as long as the container. */
  readonly secrets: CachedSecretReader;
  readonly shadows: IotShadowStore;
  /** IoT publish; with `provisioningLog`, outcomes also go to the things' history. */
  readonly publisher: MessagePublisher;
}

/** The adapters that need no data-plane endpoint. */
export type ControlPlanePorts = Pick<AwsPorts, 'registry' | 'secrets'>;

/** How `createAwsPorts` builds the SDK clients. */
export interface AwsPortsOptions {
  /** Records each SDK client's calls, e.g. the tracer's `captureAWSv3Client` (lambda-kit's `kit.captureAWSv3Client`). */
  readonly captureClient?: <T>(client: T) => T;
  /** Settings of every client (attempts, timeouts). */
  readonly clientOptions?: ClientOptions;
  /**
   * The things' provisioning history (`PROVISIONING_LOG_GROUP`): outcomes published on
   * `lorawan/<thing>/provisioning` are also appended to the thing's log stream there;
   * `onFailure` hears of a history that could not be written.
   */
  readonly provisioningLog?: ProvisioningLogSettings;
  /**
   * A KEK of an earlier deployment that reads of the KEK ring include (migration); default:
   * from `EXISTING_KEK_SECRET_ID`, `EXISTING_KEK_LABEL` and `KEK_SECRET_ID` in the environment.
   */
  readonly existingKek?: ExistingKek;
}

/**
 * The AWS adapters a Lambda uses, each built at its first use and kept: a function pays
 * only for the clients it needs (no Secrets Manager client for uplinks without E2E, no
 * data-plane client for a custom resource), and a container builds each one once. Shadows
 * and publish share one data-plane client, and so its connections.
 *
 * @param options.iotDataEndpoint the account's IoT data endpoint (`IntegrationConfig.iotDataEndpoint`),
 *   for shadows and publish
 */
export function createAwsPorts(
  options: AwsPortsOptions & { readonly iotDataEndpoint: string },
): AwsPorts;
export function createAwsPorts(options?: AwsPortsOptions): ControlPlanePorts;
export function createAwsPorts(
  options: AwsPortsOptions & { readonly iotDataEndpoint?: string } = {},
): ControlPlanePorts {
  return new LazyAwsPorts(options);
}

class LazyAwsPorts implements AwsPorts {
  #registry: IotThingRegistry | undefined;
  #secrets: CachedSecretReader | undefined;
  #data: IoTDataPlaneClient | undefined;
  #shadows: IotShadowStore | undefined;
  #publisher: MessagePublisher | undefined;

  constructor(private readonly options: AwsPortsOptions & { readonly iotDataEndpoint?: string }) {}

  get registry(): IotThingRegistry {
    return (this.#registry ??= new IotThingRegistry(
      this.#capture(createIotClient(this.options.clientOptions)),
    ));
  }

  get secrets(): CachedSecretReader {
    if (this.#secrets) return this.#secrets;
    const reader = new SecretsManagerSecretReader(
      this.#capture(createSecretsManagerClient(this.options.clientOptions)),
    );
    const existing = this.options.existingKek ?? existingKekFromEnvironment(process.env);
    return (this.#secrets = new CachedSecretReader(
      existing ? new ExistingKekSecretReader(reader, existing) : reader,
    ));
  }

  get shadows(): IotShadowStore {
    return (this.#shadows ??= new IotShadowStore(this.#dataClient()));
  }

  get publisher(): MessagePublisher {
    if (this.#publisher) return this.#publisher;
    const publisher = new IotDataPublisher(this.#dataClient());
    const history = this.options.provisioningLog;
    return (this.#publisher = history
      ? withProvisioningLog(
          publisher,
          history.writer({
            capture: (client) => this.#capture(client),
            ...(this.options.clientOptions ? { clientOptions: this.options.clientOptions } : {}),
          }),
          history.onFailure,
        )
      : publisher);
  }

  #dataClient(): IoTDataPlaneClient {
    const endpoint = this.options.iotDataEndpoint;
    // The overloads hand out shadows and publish only with an endpoint.
    if (endpoint === undefined)
      throw new TypeError('createAwsPorts: shadows and publish need iotDataEndpoint.');
    return (this.#data ??= this.#capture(
      createIotDataClient(endpoint, this.options.clientOptions),
    ));
  }

  #capture<T>(client: T): T {
    return this.options.captureClient ? this.options.captureClient(client) : client;
  }
}
