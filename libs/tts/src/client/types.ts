/** A LoRaWAN MAC version as TTS names it (the `lorawan_version` enum). */
export type MacVersion =
  'MAC_V1_0' | 'MAC_V1_0_1' | 'MAC_V1_0_2' | 'MAC_V1_0_3' | 'MAC_V1_0_4' | 'MAC_V1_1';

/** A LoRaWAN Regional Parameters version as TTS names it (the `lorawan_phy_version` enum). */
export type PhyVersion =
  | 'PHY_V1_0'
  | 'PHY_V1_0_1'
  | 'PHY_V1_0_2_REV_A'
  | 'PHY_V1_0_2_REV_B'
  | 'PHY_V1_0_3_REV_A'
  | 'PHY_V1_1_REV_A'
  | 'PHY_V1_1_REV_B'
  | 'RP002_V1_0_0'
  | 'RP002_V1_0_1'
  | 'RP002_V1_0_2'
  | 'RP002_V1_0_3'
  | 'RP002_V1_0_4';

/** Identifies an end device in an application. EUIs are 16 hex digits (TTS answers uppercase). */
export interface EndDeviceIDs {
  readonly applicationID: string;
  readonly deviceID: string;
  readonly devEUI?: string;
  readonly joinEUI?: string;
}

/** An end device's identifiers with both EUIs, as OTAA registration needs them. */
export interface OtaaDeviceIDs extends EndDeviceIDs {
  readonly devEUI: string;
  readonly joinEUI: string;
}

/** The Identity Server registration: where the device's JS, NS and AS are (`host[:port]`). */
export interface IdentityServerDevice {
  readonly ids: OtaaDeviceIDs;
  /** Absent for a claimed device: its Join Server is external. */
  readonly joinServerAddress?: string;
  readonly networkServerAddress: string;
  readonly applicationServerAddress: string;
  /**
   * The device's `attributes` on the Identity Server (keys `^[a-z0-9](?:-?[a-z0-9]){2,}$`, at
   * most 36 characters). The integration marks the devices it registers here.
   */
  readonly attributes?: Readonly<Record<string, string>>;
  /** The Device Repository model of the device (`version_ids`). */
  readonly versionIDs?: EndDeviceVersionIDs;
}

/** A device as the Identity Server has it: its identifiers and its `attributes`. */
export interface RegisteredEndDevice extends OtaaDeviceIDs {
  /** Empty when the device has none. */
  readonly attributes: Readonly<Record<string, string>>;
}

/** The Join Server registration with the root keys (AppKey; NwkKey for LoRaWAN 1.1). */
export interface JoinServerDevice {
  readonly ids: OtaaDeviceIDs;
  readonly networkServerAddress: string;
  readonly applicationServerAddress: string;
  readonly appKey: Uint8Array;
  readonly nwkKey?: Uint8Array;
}

/** The Network Server registration of an OTAA device. */
export interface NetworkServerDevice {
  readonly ids: OtaaDeviceIDs;
  readonly lorawanVersion: MacVersion;
  readonly lorawanPhyVersion: PhyVersion;
  readonly frequencyPlanID: string;
  /** The Device Repository model of the device (`version_ids`). */
  readonly versionIDs?: EndDeviceVersionIDs;
}

/** The Application Server registration. */
export interface ApplicationServerDevice {
  readonly ids: OtaaDeviceIDs;
  /** Overrides the application's `skip_payload_crypto` for this device when set. */
  readonly skipPayloadCryptoOverride?: boolean;
  /**
   * The Device Repository model of the device (`version_ids`); with it the device's
   * `formatters` are set to `FORMATTER_REPOSITORY` both ways.
   */
  readonly versionIDs?: EndDeviceVersionIDs;
}

/**
 * A Device Repository model with version information (`EndDeviceVersionIdentifiers`). The
 * repository resolves codecs by brand, model, firmware version and band; TTS does not use
 * the hardware version for that.
 */
export interface EndDeviceVersionIDs {
  readonly brandID: string;
  readonly modelID: string;
  readonly firmwareVersion: string;
  readonly hardwareVersion?: string;
  /** A TTS band ID, e.g. `EU_863_870`. */
  readonly bandID: string;
}

/** TTS's payload formatter types (the `PayloadFormatter` enum). */
export type PayloadFormatterType =
  | 'FORMATTER_NONE'
  | 'FORMATTER_REPOSITORY'
  | 'FORMATTER_GRPC_SERVICE'
  | 'FORMATTER_JAVASCRIPT'
  | 'FORMATTER_CAYENNELPP';

/** One direction's formatter: its type and parameter (the script for `FORMATTER_JAVASCRIPT`). */
export interface PayloadFormatter {
  readonly formatter: PayloadFormatterType;
  readonly parameter: string;
}

/** `MessagePayloadFormatters`: the uplink and downlink formatters of a device or application. */
export interface MessagePayloadFormatters {
  readonly up: PayloadFormatter;
  readonly down: PayloadFormatter;
}

/** The Application Server's formatter settings of a device (`GET /as/…/devices/{id}`). */
export interface ApplicationServerFormatters {
  /** The device's own formatters; `undefined` when it has none (the application's apply). */
  readonly formatters: MessagePayloadFormatters | undefined;
  readonly versionIDs: EndDeviceVersionIDs | undefined;
}

/** The Device Repository's codec for one direction of a model. */
export type RepositoryCodecDirection = 'uplink/decoder' | 'downlink/encoder';

/** A claim on the Device Claiming Server: the device's proof of ownership and where it goes. */
export interface ClaimRequest {
  readonly devEUI: string;
  readonly joinEUI: string;
  /** `^[A-Z0-9]{1,32}$` */
  readonly authenticationCode: string;
  readonly applicationID: string;
  readonly deviceID: string;
}

/** An AWS IoT pub/sub with the default integration (docs/tts.md "Pub/sub with the AWS IoT provider"). */
export interface AwsIotPubSub {
  readonly applicationID: string;
  readonly pubSubID: string;
  /** The AWS region of the IoT endpoint, e.g. `eu-west-1`. */
  readonly region: string;
  /** The cross-account role TTS assumes. */
  readonly roleArn: string;
  readonly externalID: string;
  /** Assumed-role session duration in seconds. Default 3600. */
  readonly sessionDurationSeconds?: number;
  /** The account's `iot:Data-ATS` address (host name). */
  readonly endpointAddress: string;
  /** The integration's stack name: TTS publishes under `thethings/lorawan/<stack>`. */
  readonly stackName: string;
}

/** Who an API key is and what it may do (`GET /auth_info`). */
export interface AuthInfo {
  /** Rights of the API key (empty for other kinds of credentials). */
  readonly rights: readonly string[];
  /** Rights that hold for every entity (admins). */
  readonly universalRights: readonly string[];
  /** The application the API key belongs to, when it is an application key. */
  readonly applicationID?: string;
  readonly isAdmin: boolean;
}
