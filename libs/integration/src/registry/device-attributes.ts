/**
 * The LoRaWAN attributes of a thing (docs/architecture.md "Thing attributes"): which registry
 * flow a new thing asks for, and the validated device it describes. Validation collects
 * every problem, so that one fix of the thing covers them all; messages name the attribute
 * and what it takes, and never repeat a key or a claim code.
 */
import { unwrapKey, unwrapKeyWithPadding, type KekRing } from '@tts-aws-iot/keywrap';
import { parseAesKey, parseEui64, toHex, type AesKey, type Eui64 } from '@tts-aws-iot/lorawan';
import type { EndDeviceVersionIDs, MacVersion, PhyVersion } from '@tts-aws-iot/tts';
import { FREQUENCY_PLAN_ID, type ThingNameScheme } from '../config';
import { InputError } from '../errors';

/** Attribute names of the registry flows. */
export const DEVICE_ATTRIBUTES = {
  devEUI: 'devEUI',
  joinEUI: 'joinEUI',
  appEUI: 'appEUI',
  stackName: 'stackName',
  deviceID: 'deviceID',
  lorawanVersion: 'lorawanVersion',
  regionalParametersVersion: 'regionalParametersVersion',
  frequencyPlanID: 'frequencyPlanID',
  appKey: 'appKey',
  nwkKey: 'nwkKey',
  claimAuthenticationCode: 'claimAuthenticationCode',
  /** The Device Repository model (`version_ids`): brand, model, firmware, hardware, band. */
  brandID: 'brandID',
  modelID: 'modelID',
  firmwareVersion: 'firmwareVersion',
  hardwareVersion: 'hardwareVersion',
  bandID: 'bandID',
  /** `true` on a thing whose device was claimed: deleting it releases the claim. */
  claimed: 'claimed',
  /**
   * The error code of a create or claim that failed for good: the keys and the code are gone
   * from the thing, and deleting it leaves the TTS device alone (it was never this thing's).
   */
  provisioningFailed: 'provisioningFailed',
} as const;

/**
 * Secret attributes (`appKey`, `nwkKey`, `claimAuthenticationCode`) may be given wrapped
 * under a KEK of the stack's KEK ring, as `wrapped:<kekLabel>:<hex>`: RFC 3394 for the
 * 16-byte keys, RFC 5649 (with padding) for the claim code's ASCII bytes. Every character
 * is one that thing attribute values allow. `npx keywrap attribute` prints such a value.
 */
const WRAPPED_ATTRIBUTE_PREFIX = 'wrapped:';

/** Whether an attribute value is in the wrapped form (`wrapped:<kekLabel>:<hex>`). */
function isWrappedAttribute(value: string | undefined): boolean {
  return value !== undefined && value.startsWith(WRAPPED_ATTRIBUTE_PREFIX);
}

/** The KEK labels that a thing's wrapped secret attributes name (none: no ring needed). */
export function wrappedSecretLabels(attributes: Readonly<Record<string, string>>): string[] {
  const labels = new Set<string>();
  for (const name of SECRET_ATTRIBUTES) {
    const value = attributes[name];
    if (value === undefined || !isWrappedAttribute(value)) continue;
    const rest = value.slice(WRAPPED_ATTRIBUTE_PREFIX.length);
    labels.add(rest.slice(0, Math.max(rest.lastIndexOf(':'), 0)));
  }
  return [...labels];
}

/** The attributes that hold key material. */
const SECRET_ATTRIBUTES = [
  DEVICE_ATTRIBUTES.appKey,
  DEVICE_ATTRIBUTES.nwkKey,
  DEVICE_ATTRIBUTES.claimAuthenticationCode,
] as const;

/** `lorawanVersion` values and the TTS MAC versions they stand for. */
const MAC_VERSIONS: Readonly<Record<string, MacVersion>> = {
  '1.0': 'MAC_V1_0',
  '1.0.1': 'MAC_V1_0_1',
  '1.0.2': 'MAC_V1_0_2',
  '1.0.3': 'MAC_V1_0_3',
  '1.0.4': 'MAC_V1_0_4',
  '1.1': 'MAC_V1_1',
};

/** `regionalParametersVersion` values (lowercase) and the TTS PHY versions they stand for. */
const PHY_VERSIONS: Readonly<Record<string, PhyVersion>> = {
  '1.0': 'PHY_V1_0',
  '1.0.1': 'PHY_V1_0_1',
  // As The Things Stack's AWS IoT integration documents it: 1.0.2 is revision A (TTS's
  // PHY_V1_0_2_REV_A); revision B is asked for by name.
  '1.0.2': 'PHY_V1_0_2_REV_A',
  '1.0.2-a': 'PHY_V1_0_2_REV_A',
  '1.0.2-b': 'PHY_V1_0_2_REV_B',
  '1.0.3-a': 'PHY_V1_0_3_REV_A',
  '1.1-a': 'PHY_V1_1_REV_A',
  '1.1-b': 'PHY_V1_1_REV_B',
  'rp002-1.0.0': 'RP002_V1_0_0',
  'rp002-1.0.1': 'RP002_V1_0_1',
  'rp002-1.0.2': 'RP002_V1_0_2',
  'rp002-1.0.3': 'RP002_V1_0_3',
  'rp002-1.0.4': 'RP002_V1_0_4',
};

const RP002: readonly PhyVersion[] = [
  'RP002_V1_0_0',
  'RP002_V1_0_1',
  'RP002_V1_0_2',
  'RP002_V1_0_3',
  'RP002_V1_0_4',
];

/**
 * The Regional Parameters versions each LoRaWAN version is specified against (the pairs
 * the TTS Console offers): a device registered with another pair joins with the wrong
 * channel plan or MAC behaviour.
 */
const COMPATIBLE_PHY_VERSIONS: Readonly<Record<MacVersion, readonly PhyVersion[]>> = {
  MAC_V1_0: ['PHY_V1_0'],
  MAC_V1_0_1: ['PHY_V1_0_1'],
  MAC_V1_0_2: ['PHY_V1_0_2_REV_A', 'PHY_V1_0_2_REV_B'],
  MAC_V1_0_3: ['PHY_V1_0_3_REV_A'],
  MAC_V1_0_4: RP002,
  MAC_V1_1: ['PHY_V1_1_REV_A', 'PHY_V1_1_REV_B', ...RP002],
};

/** TTS IDs (`device_id`): lowercase letters and digits, single hyphens inside, 3 to 36 characters. */
const DEVICE_ID = /^[a-z0-9](?:-?[a-z0-9]){2,}$/;
const DEVICE_ID_MAX = 36;
/** The Device Claiming Server's authentication codes (uppercase letters and digits). */
const CLAIM_AUTHENTICATION_CODE = /^[A-Z0-9]{1,32}$/;

/** The attributes of a Device Repository model (`version_ids`). */
const MODEL_ATTRIBUTES = [
  DEVICE_ATTRIBUTES.brandID,
  DEVICE_ATTRIBUTES.modelID,
  DEVICE_ATTRIBUTES.firmwareVersion,
  DEVICE_ATTRIBUTES.hardwareVersion,
  DEVICE_ATTRIBUTES.bandID,
] as const;
/** Device Repository brand and model IDs: like TTS IDs, with underscores allowed too. */
const REPOSITORY_ID = /^[a-z0-9](?:[-_]?[a-z0-9]){2,}$/;
/** TTS's limit for `firmware_version` and `hardware_version`. */
const MAX_VERSION_LENGTH = 32;
/** TTS band IDs: `EU_863_870`, `AS_923_2`, `ISM_2400`, `CN_470_510_20_A`. */
const BAND_ID = /^[A-Z]{2,3}(?:_[0-9A-Z]+){1,4}$/;
/** The Device Repository's region keys (`EU863-870`, `AS923-2`), which TTS maps to band IDs. */
const REPOSITORY_BAND = /^([A-Z]{2,3})([0-9]{3,4})(?:-([0-9]{3}))?(?:-([0-9]))?$/;

/** The LoRaWAN versions a claimed device is registered with when its thing names none. */
const CLAIM_DEFAULT_LORAWAN_VERSION = '1.0.3';
/** For a claimed device without `regionalParametersVersion`: the latest that goes with its LoRaWAN version. */
const DEFAULT_PHY_VERSIONS: Readonly<Record<MacVersion, PhyVersion>> = {
  MAC_V1_0: 'PHY_V1_0',
  MAC_V1_0_1: 'PHY_V1_0_1',
  MAC_V1_0_2: 'PHY_V1_0_2_REV_B',
  MAC_V1_0_3: 'PHY_V1_0_3_REV_A',
  MAC_V1_0_4: 'RP002_V1_0_4',
  MAC_V1_1: 'RP002_V1_0_4',
};

/** Which registry flow a new thing asks for. */
export type ProvisioningKind = 'create' | 'claim';

/** What the parsers need besides the attributes. */
export interface DeviceAttributeContext {
  readonly thingName: string;
  readonly stackName: string;
  readonly thingNameScheme: ThingNameScheme;
  /** The frequency plan of a device whose thing names none (the region's plan). */
  readonly defaultFrequencyPlanID: string;
  /** The stack's KEK ring, for wrapped secret attributes; without it they are refused. */
  readonly kekRing?: KekRing;
  /** Where the KEK ring is, for the messages (the KEK secret's ID). */
  readonly kekSecretID?: string;
}

/** The radio settings the Network Server registration takes. */
interface RadioSettings {
  readonly lorawanVersion: MacVersion;
  readonly lorawanPhyVersion: PhyVersion;
  readonly frequencyPlanID: string;
  /**
   * The Device Repository model, from `brandID`, `modelID`, `firmwareVersion`,
   * `hardwareVersion` (optional) and `bandID`: TTS then formats payloads with its codec.
   */
  readonly versionIDs?: EndDeviceVersionIDs;
}

/** A device to create in TTS with its root keys (OTAA on the cluster's Join Server). */
export interface OtaaDeviceSpec extends RadioSettings {
  readonly kind: 'create';
  readonly deviceID: string;
  readonly devEUI: Eui64;
  readonly joinEUI: Eui64;
  readonly appKey: AesKey;
  /** Set exactly for LoRaWAN 1.1. */
  readonly nwkKey?: AesKey;
}

/** A device to claim from its external Join Server, then register on IS, NS and AS. */
export interface ClaimDeviceSpec extends RadioSettings {
  readonly kind: 'claim';
  readonly deviceID: string;
  readonly devEUI: Eui64;
  readonly joinEUI: Eui64;
  /** Uppercase letters and digits. */
  readonly authenticationCode: string;
}

/**
 * Which flow a thing's attributes ask for: `create` with an `appKey`, `claim` with a
 * `claimAuthenticationCode` (and no `appKey`), none for the things the uplink Lambda creates.
 * A thing with both is the create flow's to refuse, so that exactly one Lambda answers it.
 */
export function provisioningKind(
  attributes: Readonly<Record<string, string>>,
): ProvisioningKind | undefined {
  if (present(attributes[DEVICE_ATTRIBUTES.appKey])) return 'create';
  if (present(attributes[DEVICE_ATTRIBUTES.claimAuthenticationCode])) return 'claim';
  return undefined;
}

/**
 * Validates the attributes of a thing to create in TTS with its root keys.
 *
 * @throws InputError `invalid_device_attributes` listing every problem (`attributes.problems`)
 */
export function parseOtaaDeviceAttributes(
  attributes: Readonly<Record<string, string>>,
  context: DeviceAttributeContext,
): OtaaDeviceSpec {
  const check = new AttributeCheck(attributes, context);
  const { devEUI, joinEUI } = check.euis();
  const radio = check.radio(undefined, context.defaultFrequencyPlanID);
  const appKey = check.key(DEVICE_ATTRIBUTES.appKey, "set the device's AppKey");
  let nwkKey: AesKey | undefined;
  if (radio?.lorawanVersion === 'MAC_V1_1') {
    nwkKey = check.key(DEVICE_ATTRIBUTES.nwkKey, 'LoRaWAN 1.1 devices need their NwkKey');
  } else if (radio && present(attributes[DEVICE_ATTRIBUTES.nwkKey])) {
    check.problem(
      `nwkKey is set, but LoRaWAN ${attributes[DEVICE_ATTRIBUTES.lorawanVersion]} devices have no NwkKey: remove it, or set lorawanVersion 1.1`,
    );
  }
  if (present(attributes[DEVICE_ATTRIBUTES.claimAuthenticationCode])) {
    check.problem(
      'appKey and claimAuthenticationCode are both set: keep appKey to register the device with its keys, or claimAuthenticationCode to claim it',
    );
  }
  const deviceID = check.deviceID(devEUI, context);
  const versionIDs = check.versionIDs();
  check.throwIfProblems(context.thingName);
  return {
    kind: 'create',
    deviceID: deviceID!,
    devEUI: devEUI!,
    joinEUI: joinEUI!,
    ...radio!,
    ...(versionIDs ? { versionIDs } : {}),
    appKey: appKey!,
    ...(nwkKey ? { nwkKey } : {}),
  };
}

/**
 * Validates the attributes of a thing to claim. `lorawanVersion` (default 1.0.3),
 * `regionalParametersVersion` (default: the latest for that LoRaWAN version) and
 * `frequencyPlanID` are optional: the Network Server registration needs them, and the
 * claim carries none.
 *
 * @throws InputError `invalid_device_attributes` listing every problem (`attributes.problems`)
 */
export function parseClaimDeviceAttributes(
  attributes: Readonly<Record<string, string>>,
  context: DeviceAttributeContext,
): ClaimDeviceSpec {
  const check = new AttributeCheck(attributes, context);
  const { devEUI, joinEUI } = check.euis();
  const radio = check.radio(CLAIM_DEFAULT_LORAWAN_VERSION, context.defaultFrequencyPlanID);
  // null: a wrapped code that did not unwrap, reported already.
  const unwrapped = check.claimCode();
  const code = (unwrapped ?? '').toUpperCase();
  if (unwrapped !== null && !CLAIM_AUTHENTICATION_CODE.test(code)) {
    check.problem(
      `claimAuthenticationCode is invalid: use the code from the device's label, 1 to 32 letters and digits`,
    );
  }
  const deviceID = check.deviceID(devEUI, context);
  const versionIDs = check.versionIDs();
  check.throwIfProblems(context.thingName);
  return {
    kind: 'claim',
    deviceID: deviceID!,
    devEUI: devEUI!,
    joinEUI: joinEUI!,
    ...radio!,
    ...(versionIDs ? { versionIDs } : {}),
    authenticationCode: code,
  };
}

/**
 * The attribute update after a create or claim that failed for good: the root keys and the
 * claim code leave the registry (plaintext or wrapped), and `provisioningFailed` records the
 * error code (in the characters attribute values allow), so that deleting the thing leaves
 * the TTS device of that ID alone.
 */
export function failedProvisioningAttributes(code: string): Record<string, string | null> {
  const safeCode = code.replace(/[^a-zA-Z0-9_.,@/:#=[\]-]/g, '_').slice(0, 128) || 'internal';
  return {
    ...Object.fromEntries(SECRET_ATTRIBUTES.map((name) => [name, null])),
    [DEVICE_ATTRIBUTES.provisioningFailed]: safeCode,
  };
}

function present(value: string | undefined): value is string {
  return value !== undefined && value !== '';
}

const list = (values: Iterable<string>): string => [...values].join(', ');

/** How the attribute spells a Regional Parameters version (`RP002-1.0.3`, `1.0.2-b`). */
const phyAttributeValue = (key: string): string => key.replace('rp002', 'RP002');
const PHY_ATTRIBUTE_VALUES = list(Object.keys(PHY_VERSIONS).map(phyAttributeValue));

/** The attribute value of a PHY version (the explicit revision for 1.0.2). */
function phyName(phy: PhyVersion): string {
  return phyAttributeValue(
    Object.keys(PHY_VERSIONS).find((key) => PHY_VERSIONS[key] === phy && key !== '1.0.2')!,
  );
}

/** Collects the problems of one attribute set. */
class AttributeCheck {
  readonly #problems: string[] = [];

  constructor(
    private readonly attributes: Readonly<Record<string, string>>,
    private readonly context: DeviceAttributeContext,
  ) {}

  problem(text: string): void {
    this.#problems.push(text);
  }

  throwIfProblems(thingName: string): void {
    if (this.#problems.length === 0) return;
    throw new InputError(
      'invalid_device_attributes',
      `Thing ${thingName} has invalid LoRaWAN attributes: ${this.#problems.join('; ')}. Fix them, then delete the thing and create it again.`,
      { thingName, problems: [...this.#problems] },
    );
  }

  euis(): { devEUI?: Eui64; joinEUI?: Eui64 } {
    const devEUI = this.#eui(
      DEVICE_ATTRIBUTES.devEUI,
      this.attributes[DEVICE_ATTRIBUTES.devEUI],
      "the device's DevEUI",
    );
    if (devEUI && devEUI.every((byte) => byte === 0)) {
      this.problem(
        "devEUI 0000000000000000 is invalid: the zero EUI identifies no device; use the DevEUI on the device's label",
      );
    }
    const joinEUIText = this.attributes[DEVICE_ATTRIBUTES.joinEUI];
    const appEUIText = this.attributes[DEVICE_ATTRIBUTES.appEUI];
    if (
      present(joinEUIText) &&
      present(appEUIText) &&
      joinEUIText.toUpperCase() !== appEUIText.toUpperCase()
    ) {
      this.problem(
        `joinEUI ${joinEUIText} and appEUI ${appEUIText} differ: they name the same EUI (AppEUI before LoRaWAN 1.1); set one of them`,
      );
      return { devEUI };
    }
    if (!present(joinEUIText) && present(appEUIText))
      return { devEUI, joinEUI: this.#eui(DEVICE_ATTRIBUTES.appEUI, appEUIText, '') };
    const joinEUI = this.#eui(
      DEVICE_ATTRIBUTES.joinEUI,
      joinEUIText,
      "the device's JoinEUI (or set appEUI)",
    );
    return { devEUI, joinEUI };
  }

  #eui(name: string, text: string | undefined, what: string): Eui64 | undefined {
    if (!present(text)) {
      this.problem(`${name} is missing: set ${what}, 16 hex digits`);
      return undefined;
    }
    try {
      return parseEui64(text);
    } catch {
      this.problem(
        `${name} ${JSON.stringify(text)} is invalid: use 16 hex digits without separators`,
      );
      return undefined;
    }
  }

  /** LoRaWAN version, Regional Parameters version (checked as a pair) and frequency plan. */
  radio(
    defaultLorawanVersion: string | undefined,
    defaultFrequencyPlanID: string,
  ): RadioSettings | undefined {
    const macText = this.attributes[DEVICE_ATTRIBUTES.lorawanVersion] || defaultLorawanVersion;
    const phyText = this.attributes[DEVICE_ATTRIBUTES.regionalParametersVersion];
    let mac: MacVersion | undefined;
    if (!present(macText)) {
      this.problem(
        `lorawanVersion is missing: set the device's LoRaWAN version, one of ${list(Object.keys(MAC_VERSIONS))}`,
      );
    } else {
      mac = MAC_VERSIONS[macText];
      if (!mac)
        this.problem(
          `lorawanVersion ${JSON.stringify(macText)} is not supported: use one of ${list(Object.keys(MAC_VERSIONS))}`,
        );
    }
    let phy: PhyVersion | undefined;
    if (!present(phyText)) {
      if (defaultLorawanVersion === undefined)
        this.problem(
          `regionalParametersVersion is missing: set the device's Regional Parameters version, one of ${PHY_ATTRIBUTE_VALUES}`,
        );
      else if (mac) phy = DEFAULT_PHY_VERSIONS[mac];
    } else {
      phy = PHY_VERSIONS[phyText.toLowerCase()];
      if (!phy)
        this.problem(
          `regionalParametersVersion ${JSON.stringify(phyText)} is not supported: use one of ${PHY_ATTRIBUTE_VALUES}`,
        );
    }
    if (mac && phy && !COMPATIBLE_PHY_VERSIONS[mac].includes(phy)) {
      this.problem(
        `regionalParametersVersion ${phyText} does not go with lorawanVersion ${macText}: use ${list(COMPATIBLE_PHY_VERSIONS[mac].map(phyName))}`,
      );
    }
    const frequencyPlanID =
      this.attributes[DEVICE_ATTRIBUTES.frequencyPlanID] || defaultFrequencyPlanID;
    if (!FREQUENCY_PLAN_ID.test(frequencyPlanID)) {
      this.problem(
        `frequencyPlanID ${JSON.stringify(frequencyPlanID)} is invalid: use a TTS frequency plan ID such as EU_863_870_TTN or US_902_928_FSB_2`,
      );
    }
    return mac && phy
      ? { lorawanVersion: mac, lorawanPhyVersion: phy, frequencyPlanID }
      : undefined;
  }

  key(name: string, what: string): AesKey | undefined {
    const text = this.attributes[name];
    if (!present(text)) {
      this.problem(`${name} is missing: ${what} (32 hex digits, or wrapped:<kekLabel>:<hex>)`);
      return undefined;
    }
    if (isWrappedAttribute(text)) {
      const key = this.#unwrap(name, text, 'key');
      // A wrapped key of another length is refused by the unwrap (RFC 3394 wraps 16 bytes to 24).
      return key && parseAesKey(toHex(key));
    }
    try {
      return parseAesKey(text);
    } catch {
      // The value may be a key with a typo: say how it is wrong, never what it is.
      const shape =
        text.length === 32 ? 'a character other than a hex digit' : `${text.length} characters`;
      this.problem(`${name} is invalid: use 32 hex digits (got ${shape})`);
      return undefined;
    }
  }

  /** The claim authentication code, unwrapped when it is wrapped; `null` when that failed (reported). */
  claimCode(): string | undefined | null {
    const name = DEVICE_ATTRIBUTES.claimAuthenticationCode;
    const text = this.attributes[name];
    if (!isWrappedAttribute(text)) return text;
    const bytes = this.#unwrap(name, text!, 'code');
    if (bytes === undefined) return null;
    const code = Buffer.from(bytes).toString('latin1');
    if (!CLAIM_AUTHENTICATION_CODE.test(code.toUpperCase())) {
      this.problem(
        `claimAuthenticationCode unwraps to no claim authentication code: wrap the code from the device's label, 1 to 32 letters and digits (npx keywrap attribute --code)`,
      );
      return null;
    }
    return code;
  }

  /**
   * The key material in a `wrapped:<kekLabel>:<hex>` value, unwrapped under the ring's KEK of
   * that label: RFC 3394 for a key, RFC 5649 for a code. Problems name the attribute and the
   * label, never the value.
   */
  #unwrap(name: string, text: string, kind: 'key' | 'code'): Uint8Array | undefined {
    const rest = text.slice(WRAPPED_ATTRIBUTE_PREFIX.length);
    const separator = rest.lastIndexOf(':');
    const label = separator > 0 ? rest.slice(0, separator) : '';
    const hex = separator > 0 ? rest.slice(separator + 1) : '';
    const form = `wrapped:<kekLabel>:<hex> (npx keywrap attribute)`;
    const expected = kind === 'key' ? 48 : undefined;
    if (label === '' || !/^(?:[0-9a-fA-F]{2})+$/.test(hex)) {
      this.problem(`${name} is not in the wrapped form: use ${form}`);
      return undefined;
    }
    if (expected !== undefined && hex.length !== expected) {
      this.problem(
        `${name} is wrapped, but ${hex.length} hex digits are no wrapped 16-byte key (48 hex digits): wrap the key with npx keywrap attribute --key`,
      );
      return undefined;
    }
    if (kind === 'code' && (hex.length < 32 || hex.length % 16 !== 0)) {
      this.problem(
        `${name} is wrapped, but ${hex.length} hex digits are no wrapped code (RFC 5649, a multiple of 16 hex digits, at least 32): wrap the code with npx keywrap attribute --code`,
      );
      return undefined;
    }
    const ring = this.context.kekRing;
    const where = this.context.kekSecretID
      ? `the KEK ring secret ${this.context.kekSecretID}`
      : 'the KEK ring secret (KEK_SECRET_ID)';
    if (!ring) {
      this.problem(
        `${name} is wrapped, but this stack has no KEK ring to unwrap it: deploy it with end-to-end encryption (its KEK secret holds the ring), or give the value in plaintext`,
      );
      return undefined;
    }
    if (!ring.labels.includes(label)) {
      this.problem(
        `${name} is wrapped under KEK label ${JSON.stringify(label)}, which ${where} does not hold (it holds ${list(ring.labels)}): wrap it under one of those labels`,
      );
      return undefined;
    }
    try {
      const wrapped = Uint8Array.from(Buffer.from(hex, 'hex'));
      const kek = ring.get(label);
      return kind === 'key' ? unwrapKey(kek, wrapped) : unwrapKeyWithPadding(kek, wrapped);
    } catch {
      this.problem(
        `${name} does not unwrap under KEK label ${JSON.stringify(label)} of ${where}: it was wrapped under another KEK or is corrupt; wrap it again with that label's KEK`,
      );
      return undefined;
    }
  }

  /**
   * The Device Repository model, when any of its attributes is set: then `brandID`,
   * `modelID`, `firmwareVersion` and `bandID` are all required (`hardwareVersion` is
   * optional: the repository does not resolve codecs by it).
   */
  versionIDs(): EndDeviceVersionIDs | undefined {
    const value = (name: string): string | undefined => {
      const text = this.attributes[name];
      return present(text) ? text : undefined;
    };
    const names = MODEL_ATTRIBUTES.filter((name) => value(name) !== undefined);
    if (names.length === 0) return undefined;
    const problems = this.#problems.length;
    const id = (name: string, what: string): string => {
      const text = value(name);
      if (text === undefined)
        this.problem(
          `${name} is missing: a Device Repository device (${list(names)} set) needs ${what}`,
        );
      else if (!REPOSITORY_ID.test(text) || text.length > DEVICE_ID_MAX)
        this.problem(
          `${name} ${JSON.stringify(text)} is invalid: use the Device Repository's ${what}, 3 to 36 lowercase letters and digits with single hyphens or underscores between them`,
        );
      return text ?? '';
    };
    const version = (name: string, what: string, required: boolean): string | undefined => {
      const text = value(name);
      if (text === undefined && required)
        this.problem(
          `${name} is missing: a Device Repository device (${list(names)} set) needs ${what}`,
        );
      else if (text !== undefined && text.length > MAX_VERSION_LENGTH)
        this.problem(
          `${name} is invalid: use the Device Repository's ${what}, at most ${MAX_VERSION_LENGTH} characters (got ${text.length})`,
        );
      return text;
    };
    const brandID = id(DEVICE_ATTRIBUTES.brandID, 'brand ID (e.g. the-things-products)');
    const modelID = id(DEVICE_ATTRIBUTES.modelID, 'model ID (e.g. the-things-uno)');
    const firmwareVersion = version(DEVICE_ATTRIBUTES.firmwareVersion, 'firmware version', true);
    const hardwareVersion = version(DEVICE_ATTRIBUTES.hardwareVersion, 'hardware version', false);
    const bandID = this.#bandID(value(DEVICE_ATTRIBUTES.bandID), names);
    if (this.#problems.length > problems) return undefined;
    return {
      brandID,
      modelID,
      firmwareVersion: firmwareVersion!,
      ...(hardwareVersion === undefined ? {} : { hardwareVersion }),
      bandID: bandID!,
    };
  }

  /** A TTS band ID (`EU_863_870`), also given as the repository writes it (`EU863-870`). */
  #bandID(text: string | undefined, names: readonly string[]): string | undefined {
    const name = DEVICE_ATTRIBUTES.bandID;
    if (text === undefined) {
      this.problem(
        `${name} is missing: a Device Repository device (${list(names)} set) needs the band, a TTS band ID such as EU_863_870 or US_902_928`,
      );
      return undefined;
    }
    if (BAND_ID.test(text)) return text;
    const repository = REPOSITORY_BAND.exec(text);
    if (repository) return repository.slice(1).filter(Boolean).join('_');
    this.problem(
      `${name} ${JSON.stringify(text)} is invalid: use a TTS band ID such as EU_863_870, US_902_928 or AS_923_2 (or the repository's EU863-870)`,
    );
    return undefined;
  }

  /**
   * The TTS device ID: the `deviceID` attribute, else the one the thing name carries (the
   * DeviceID scheme), else `eui-<deveui>`. The thing may have any name: a device's traffic
   * goes to the thing of its DevEUI (things.ts).
   */
  deviceID(devEUI: Eui64 | undefined, context: DeviceAttributeContext): string | undefined {
    const attribute = this.attributes[DEVICE_ATTRIBUTES.deviceID];
    const prefix = `${context.stackName}_`;
    let deviceID: string | undefined;
    if (present(attribute)) deviceID = attribute;
    else if (context.thingNameScheme === 'DeviceID' && context.thingName.startsWith(prefix))
      deviceID = context.thingName.slice(prefix.length);
    else if (devEUI) deviceID = `eui-${toHex(devEUI).toLowerCase()}`;
    if (deviceID === undefined) return undefined;
    if (!DEVICE_ID.test(deviceID) || deviceID.length > DEVICE_ID_MAX) {
      this.problem(
        `deviceID ${JSON.stringify(deviceID)} is invalid: use 3 to 36 lowercase letters and digits, with single hyphens between them`,
      );
      return undefined;
    }
    return deviceID;
  }
}
