import { isJsonObject, type JsonObject } from '@tts-aws-iot/input';
import { TtsApiError } from '../errors';
import { apiPath, TtsHttp, type TtsHttpOptions } from './http';
import type {
  ApplicationServerDevice,
  ApplicationServerFormatters,
  AuthInfo,
  AwsIotPubSub,
  ClaimRequest,
  EndDeviceIDs,
  EndDeviceVersionIDs,
  IdentityServerDevice,
  JoinServerDevice,
  MessagePayloadFormatters,
  NetworkServerDevice,
  OtaaDeviceIDs,
  PayloadFormatter,
  PayloadFormatterType,
  RegisteredEndDevice,
  RepositoryCodecDirection,
} from './types';

/**
 * The `host[:port]` that TTS components use to find each other, from the API base URL
 * (`https://eu1.cloud.thethings.industries/api/v3` → `eu1.cloud.thethings.industries`;
 * a non-default port is kept). The Identity Server and Join Server registrations carry it.
 */
export function serverAddress(baseURL: string): string {
  return new URL(baseURL).host;
}

/**
 * The TTS HTTP API calls the integration makes, one method per call (docs/tts.md). Writes send
 * `{<message>, field_mask: {paths}}` with only the fields they set; every route and field
 * is checked against TTS's OpenAPI description by `tests/swagger.test.ts`.
 *
 * Deletes answer `false` when there was nothing to delete: callers undoing or removing a
 * registration treat NotFound as done.
 */
export class TtsClient {
  private readonly http: TtsHttp;

  constructor(options: TtsHttpOptions | { readonly http: TtsHttp }) {
    this.http = 'http' in options ? options.http : new TtsHttp(options);
  }

  /** The caller's rights (`GET /auth_info`). */
  async getAuthInfo(): Promise<AuthInfo> {
    const answer = await this.http.request({ method: 'GET', path: '/auth_info' });
    const apiKey = objectAt(answer, 'api_key');
    const applicationID = stringAt(
      objectAt(objectAt(apiKey, 'entity_ids'), 'application_ids'),
      'application_id',
    );
    return {
      rights: stringsAt(objectAt(apiKey, 'api_key'), 'rights'),
      universalRights: stringsAt(objectAt(answer, 'universal_rights'), 'rights'),
      ...(applicationID ? { applicationID } : {}),
      isAdmin: valueAt(answer, 'is_admin') === true,
    };
  }

  /** Registers the device on the Identity Server (`POST /applications/{app}/devices`). */
  async createEndDevice(device: IdentityServerDevice): Promise<void> {
    await this.http.request({
      method: 'POST',
      path: apiPath`/applications/${device.ids.applicationID}/devices`,
      body: {
        end_device: {
          ids: deviceIDs(device.ids),
          ...(device.joinServerAddress ? { join_server_address: device.joinServerAddress } : {}),
          network_server_address: device.networkServerAddress,
          application_server_address: device.applicationServerAddress,
          ...(device.attributes && Object.keys(device.attributes).length > 0
            ? { attributes: { ...device.attributes } }
            : {}),
          ...(device.versionIDs ? { version_ids: versionIDs(device.versionIDs) } : {}),
        },
      },
    });
  }

  /**
   * The device's identifiers and `attributes` on the Identity Server, or `undefined` when it
   * is not registered.
   */
  async getEndDevice(ids: EndDeviceIDs): Promise<RegisteredEndDevice | undefined> {
    let answer: unknown;
    try {
      answer = await this.http.request({
        method: 'GET',
        path: apiPath`/applications/${ids.applicationID}/devices/${ids.deviceID}`,
        query: { field_mask: 'attributes' },
      });
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
    const got = objectAt(answer, 'ids');
    return {
      applicationID:
        stringAt(objectAt(got, 'application_ids'), 'application_id') ?? ids.applicationID,
      deviceID: stringAt(got, 'device_id') ?? ids.deviceID,
      devEUI: stringAt(got, 'dev_eui') ?? '',
      joinEUI: stringAt(got, 'join_eui') ?? '',
      attributes: stringRecordAt(answer, 'attributes'),
    };
  }

  /** Removes the device from the Identity Server. */
  async deleteEndDevice(ids: EndDeviceIDs): Promise<boolean> {
    return this.delete(apiPath`/applications/${ids.applicationID}/devices/${ids.deviceID}`);
  }

  /** Registers the device and its root keys on the Join Server (create or update). */
  async setJoinServerDevice(device: JoinServerDevice): Promise<void> {
    const rootKeys = {
      app_key: { key: hex(device.appKey) },
      ...(device.nwkKey ? { nwk_key: { key: hex(device.nwkKey) } } : {}),
    };
    await this.http.request({
      method: 'PUT',
      path: apiPath`/js/applications/${device.ids.applicationID}/devices/${device.ids.deviceID}`,
      body: {
        end_device: {
          ids: deviceIDs(device.ids),
          network_server_address: device.networkServerAddress,
          application_server_address: device.applicationServerAddress,
          root_keys: rootKeys,
        },
        field_mask: {
          paths: [
            'ids.dev_eui',
            'ids.join_eui',
            'network_server_address',
            'application_server_address',
            'root_keys.app_key.key',
            ...(device.nwkKey ? ['root_keys.nwk_key.key'] : []),
          ],
        },
      },
    });
  }

  /** Removes the device from the Join Server. */
  async deleteJoinServerDevice(ids: EndDeviceIDs): Promise<boolean> {
    return this.delete(apiPath`/js/applications/${ids.applicationID}/devices/${ids.deviceID}`);
  }

  /** Registers the device on the Network Server as an OTAA device (create or update). */
  async setNetworkServerDevice(device: NetworkServerDevice): Promise<void> {
    await this.http.request({
      method: 'PUT',
      path: apiPath`/ns/applications/${device.ids.applicationID}/devices/${device.ids.deviceID}`,
      body: {
        end_device: {
          ids: deviceIDs(device.ids),
          supports_join: true,
          lorawan_version: device.lorawanVersion,
          lorawan_phy_version: device.lorawanPhyVersion,
          frequency_plan_id: device.frequencyPlanID,
          ...(device.versionIDs ? { version_ids: versionIDs(device.versionIDs) } : {}),
        },
        field_mask: {
          paths: [
            'ids.dev_eui',
            'ids.join_eui',
            'supports_join',
            'lorawan_version',
            'lorawan_phy_version',
            'frequency_plan_id',
            ...(device.versionIDs ? ['version_ids'] : []),
          ],
        },
      },
    });
  }

  /** Removes the device from the Network Server. */
  async deleteNetworkServerDevice(ids: EndDeviceIDs): Promise<boolean> {
    return this.delete(apiPath`/ns/applications/${ids.applicationID}/devices/${ids.deviceID}`);
  }

  /** Registers the device on the Application Server (create or update). */
  async setApplicationServerDevice(device: ApplicationServerDevice): Promise<void> {
    const override = device.skipPayloadCryptoOverride;
    const model = device.versionIDs;
    await this.http.request({
      method: 'PUT',
      path: apiPath`/as/applications/${device.ids.applicationID}/devices/${device.ids.deviceID}`,
      body: {
        end_device: {
          ids: deviceIDs(device.ids),
          ...(override === undefined ? {} : { skip_payload_crypto_override: override }),
          // As the TTS Console registers a Device Repository device: its codecs both ways.
          ...(model
            ? {
                version_ids: versionIDs(model),
                formatters: {
                  up_formatter: 'FORMATTER_REPOSITORY',
                  down_formatter: 'FORMATTER_REPOSITORY',
                },
              }
            : {}),
        },
        field_mask: {
          paths: [
            'ids.dev_eui',
            'ids.join_eui',
            ...(override === undefined ? [] : ['skip_payload_crypto_override']),
            ...(model ? ['version_ids', 'formatters'] : []),
          ],
        },
      },
    });
  }

  /**
   * The device's formatters and Device Repository model on the Application Server, or
   * `undefined` when the AS does not have the device.
   */
  async getApplicationServerFormatters(
    ids: EndDeviceIDs,
  ): Promise<ApplicationServerFormatters | undefined> {
    const answer = await getOrUndefined(
      this.http,
      apiPath`/as/applications/${ids.applicationID}/devices/${ids.deviceID}`,
      { field_mask: 'formatters,version_ids' },
    );
    if (answer === undefined) return undefined;
    return {
      formatters: formattersAt(answer, 'formatters'),
      versionIDs: versionIDsAt(answer, 'version_ids'),
    };
  }

  /**
   * The application's default formatters (`default_formatters` of the AS link), or
   * `undefined` when it has none, or no link.
   */
  async getApplicationDefaultFormatters(
    applicationID: string,
  ): Promise<MessagePayloadFormatters | undefined> {
    const answer = await getOrUndefined(
      this.http,
      apiPath`/as/applications/${applicationID}/link`,
      {
        field_mask: 'default_formatters',
      },
    );
    return answer === undefined ? undefined : formattersAt(answer, 'default_formatters');
  }

  /**
   * The Device Repository's codec of a model for one direction (as the AS resolves
   * `FORMATTER_REPOSITORY`), or `undefined` when the repository has none for that model.
   */
  async getRepositoryFormatter(
    applicationID: string,
    model: EndDeviceVersionIDs,
    direction: RepositoryCodecDirection,
  ): Promise<PayloadFormatter | undefined> {
    const { brandID, modelID, firmwareVersion, bandID } = model;
    const base = apiPath`/dr/applications/${applicationID}/brands/${brandID}/models/${modelID}/${firmwareVersion}/${bandID}`;
    const answer = await getOrUndefined(this.http, `${base}/formatters/${direction}`, {
      ...(model.hardwareVersion ? { 'version_ids.hardware_version': model.hardwareVersion } : {}),
      field_mask: 'formatter,formatter_parameter',
    });
    return answer === undefined
      ? undefined
      : formatterAt(answer, 'formatter', 'formatter_parameter');
  }

  /** Removes the device from the Application Server. */
  async deleteApplicationServerDevice(ids: EndDeviceIDs): Promise<boolean> {
    return this.delete(apiPath`/as/applications/${ids.applicationID}/devices/${ids.deviceID}`);
  }

  /**
   * Claims the device on the Device Claiming Server (`POST /edcs/claim`): the external Join
   * Server checks the authentication code and now serves the device for this application.
   */
  async claimEndDevice(claim: ClaimRequest): Promise<void> {
    await this.http.request({
      method: 'POST',
      path: '/edcs/claim',
      body: {
        authenticated_identifiers: {
          join_eui: claim.joinEUI,
          dev_eui: claim.devEUI,
          authentication_code: claim.authenticationCode,
        },
        target_application_ids: { application_id: claim.applicationID },
        target_device_id: claim.deviceID,
      },
    });
  }

  /** Whether a Join Server that supports claiming serves `joinEUI` (`POST /edcs/claim/info`). */
  async supportsClaiming(joinEUI: string): Promise<boolean> {
    const answer = await this.http.request({
      method: 'POST',
      path: '/edcs/claim/info',
      body: { join_eui: joinEUI },
    });
    return valueAt(answer, 'supports_claiming') === true;
  }

  /**
   * Releases a claim, so that the device can be claimed again elsewhere. With the EUIs the
   * Device Claiming Server needs no Identity Server registration to find the Join Server.
   */
  async unclaimEndDevice(ids: EndDeviceIDs): Promise<boolean> {
    const query = {
      ...(ids.devEUI ? { dev_eui: ids.devEUI.toUpperCase() } : {}),
      ...(ids.joinEUI ? { join_eui: ids.joinEUI.toUpperCase() } : {}),
    };
    return this.delete(apiPath`/edcs/claim/${ids.applicationID}/devices/${ids.deviceID}`, query);
  }

  /** Creates or replaces the application's AWS IoT pub/sub with the default integration, JSON format. */
  async setAwsIotPubSub(pubSub: AwsIotPubSub): Promise<void> {
    await this.http.request({
      method: 'PUT',
      path: apiPath`/as/pubsub/${pubSub.applicationID}/${pubSub.pubSubID}`,
      body: {
        pubsub: {
          ids: {
            application_ids: { application_id: pubSub.applicationID },
            pub_sub_id: pubSub.pubSubID,
          },
          format: 'json',
          aws_iot: {
            region: pubSub.region,
            assume_role: {
              arn: pubSub.roleArn,
              external_id: pubSub.externalID,
              session_duration: `${pubSub.sessionDurationSeconds ?? 3600}s`,
            },
            endpoint_address: pubSub.endpointAddress,
            default: { stack_name: pubSub.stackName },
          },
        },
        field_mask: {
          paths: [
            'format',
            'provider.aws_iot.region',
            'provider.aws_iot.assume_role',
            'provider.aws_iot.endpoint_address',
            'provider.aws_iot.deployment.default.stack_name',
          ],
        },
      },
    });
  }

  /** Removes a pub/sub. */
  async deletePubSub(ids: {
    readonly applicationID: string;
    readonly pubSubID: string;
  }): Promise<boolean> {
    return this.delete(apiPath`/as/pubsub/${ids.applicationID}/${ids.pubSubID}`);
  }

  /**
   * Sets the application's `skip_payload_crypto` on the Application Server link: with it,
   * TTS passes payloads encrypted and hands out the AppSKey only wrapped (end-to-end encryption).
   */
  async setSkipPayloadCrypto(applicationID: string, skipPayloadCrypto: boolean): Promise<void> {
    await this.http.request({
      method: 'PUT',
      path: apiPath`/as/applications/${applicationID}/link`,
      body: {
        link: { skip_payload_crypto: skipPayloadCrypto },
        field_mask: { paths: ['skip_payload_crypto'] },
      },
    });
  }

  /**
   * Installs the application's key-encryption key on the Join Server: from then on it wraps
   * session keys with it (RFC 3394). The label names the KEK in the wrapped envelopes.
   */
  async setApplicationKek(
    applicationID: string,
    kek: { readonly label: string; readonly key: Uint8Array },
  ): Promise<void> {
    await this.http.request({
      method: 'POST',
      path: apiPath`/js/applications/${applicationID}/settings`,
      body: {
        settings: { kek_label: kek.label, kek: { key: hex(kek.key) } },
        field_mask: { paths: ['kek_label', 'kek.key'] },
      },
    });
  }

  /** Removes the application's activation settings (the KEK) from the Join Server. */
  async deleteApplicationKek(applicationID: string): Promise<boolean> {
    return this.delete(apiPath`/js/applications/${applicationID}/settings`);
  }

  private async delete(path: string, query?: Record<string, string>): Promise<boolean> {
    try {
      await this.http.request({
        method: 'DELETE',
        path,
        ...(query && Object.keys(query).length > 0 ? { query } : {}),
      });
      return true;
    } catch (error) {
      if (isNotFound(error)) return false;
      throw error;
    }
  }
}

/** A GET's answer, or `undefined` when TTS answers NotFound (JSON has no `undefined`). */
async function getOrUndefined(
  http: TtsHttp,
  path: string,
  query: Record<string, string>,
): Promise<unknown> {
  try {
    return await http.request({ method: 'GET', path, query });
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

/** Whether `error` is TTS saying that the entity does not exist. */
function isNotFound(error: unknown): boolean {
  return error instanceof TtsApiError && error.status === 404;
}

function deviceIDs(ids: OtaaDeviceIDs): Record<string, unknown> {
  return {
    device_id: ids.deviceID,
    application_ids: { application_id: ids.applicationID },
    dev_eui: ids.devEUI.toUpperCase(),
    join_eui: ids.joinEUI.toUpperCase(),
  };
}

function versionIDs(model: EndDeviceVersionIDs): Record<string, string> {
  return {
    brand_id: model.brandID,
    model_id: model.modelID,
    firmware_version: model.firmwareVersion,
    ...(model.hardwareVersion ? { hardware_version: model.hardwareVersion } : {}),
    band_id: model.bandID,
  };
}

const FORMATTER_TYPES: ReadonlySet<string> = new Set<PayloadFormatterType>([
  'FORMATTER_NONE',
  'FORMATTER_REPOSITORY',
  'FORMATTER_GRPC_SERVICE',
  'FORMATTER_JAVASCRIPT',
  'FORMATTER_CAYENNELPP',
]);

function isFormatterType(value: unknown): value is PayloadFormatterType {
  return typeof value === 'string' && FORMATTER_TYPES.has(value);
}

/** One formatter of an answer; TTS omits the zero value `FORMATTER_NONE` and empty parameters. */
function formatterAt(value: unknown, typeKey: string, parameterKey: string): PayloadFormatter {
  const type = valueAt(value, typeKey);
  const parameter = valueAt(value, parameterKey);
  return {
    formatter: isFormatterType(type) ? type : 'FORMATTER_NONE',
    parameter: typeof parameter === 'string' ? parameter : '',
  };
}

/** `MessagePayloadFormatters` at `key`, or `undefined` when the answer has none. */
function formattersAt(value: unknown, key: string): MessagePayloadFormatters | undefined {
  const formatters = objectAt(value, key);
  if (!formatters) return undefined;
  return {
    up: formatterAt(formatters, 'up_formatter', 'up_formatter_parameter'),
    down: formatterAt(formatters, 'down_formatter', 'down_formatter_parameter'),
  };
}

function versionIDsAt(value: unknown, key: string): EndDeviceVersionIDs | undefined {
  const ids = objectAt(value, key);
  const brandID = stringAt(ids, 'brand_id');
  const modelID = stringAt(ids, 'model_id');
  if (!ids || !brandID || !modelID) return undefined;
  const hardwareVersion = stringAt(ids, 'hardware_version');
  return {
    brandID,
    modelID,
    firmwareVersion: stringAt(ids, 'firmware_version') ?? '',
    ...(hardwareVersion ? { hardwareVersion } : {}),
    bandID: stringAt(ids, 'band_id') ?? '',
  };
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    .toString('hex')
    .toUpperCase();
}

// The answers of TTS are input from the network: read leniently (what has the expected shape
// is taken, anything else is as good as absent), never trusted to have the shape asked for.

/** The value at `key` of an answer's object; `undefined` when it is not an object. */
function valueAt(value: unknown, key: string): unknown {
  return isJsonObject(value) ? value[key] : undefined;
}

function objectAt(value: unknown, key: string): JsonObject | undefined {
  const field = valueAt(value, key);
  return isJsonObject(field) ? field : undefined;
}

function stringAt(value: unknown, key: string): string | undefined {
  const field = valueAt(value, key);
  return typeof field === 'string' && field !== '' ? field : undefined;
}

function stringRecordAt(value: unknown, key: string): Record<string, string> {
  const record = objectAt(value, key) ?? {};
  return Object.fromEntries(
    Object.entries(record).filter(
      (entry): entry is [string, string] => typeof entry[1] === 'string',
    ),
  );
}

function stringsAt(value: unknown, key: string): string[] {
  const field = valueAt(value, key);
  return Array.isArray(field)
    ? field.filter((item): item is string => typeof item === 'string')
    : [];
}
