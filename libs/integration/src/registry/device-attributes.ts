/**
 * The LoRaWAN attributes of a thing (docs/architecture.md "Thing attributes"): which registry
 * flow a new thing asks for, and the validated device it describes. Each attribute is read
 * with a valibot schema whose message is the problem it reports; validation collects every
 * problem, so that one fix of the thing covers them all. Messages name the attribute and
 * what it takes, and never repeat a key or a claim code.
 */
import { ProblemList } from '@tts-aws-iot/input';
import { unwrapKey, unwrapKeyWithPadding, type KekRing } from '@tts-aws-iot/keywrap';
import { parseAesKey, parseEui64, toHex, type AesKey, type Eui64 } from '@tts-aws-iot/lorawan';
import type { EndDeviceVersionIDs, MacVersion, PhyVersion } from '@tts-aws-iot/tts';
import { FREQUENCY_PLAN_ID, type ThingNameScheme } from '../config';
import * as v from 'valibot';
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
function isWrappedAttribute(value: string | undefined): value is string {
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

/** What both flows register a device with. */
interface DeviceRegistration extends RadioSettings {
  readonly deviceID: string;
  readonly devEUI: Eui64;
  readonly joinEUI: Eui64;
}

/** A device to create in TTS with its root keys (OTAA on the cluster's Join Server). */
export interface OtaaDeviceSpec extends DeviceRegistration {
  readonly kind: 'create';
  readonly appKey: AesKey;
  /** Set exactly for LoRaWAN 1.1. */
  readonly nwkKey?: AesKey;
}

/** A device to claim from its external Join Server, then register on IS, NS and AS. */
export interface ClaimDeviceSpec extends DeviceRegistration {
  readonly kind: 'claim';
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
  const versions = check.versions(undefined);
  const frequencyPlanID = check.frequencyPlanID(context.defaultFrequencyPlanID);
  const appKey = check.key(KEYS.appKey);
  let nwkKey: AesKey | undefined;
  if (versions?.lorawanVersion === 'MAC_V1_1') {
    nwkKey = check.key(KEYS.nwkKey);
  } else if (versions && present(attributes[DEVICE_ATTRIBUTES.nwkKey])) {
    check.add(
      `nwkKey is set, but LoRaWAN ${attributes[DEVICE_ATTRIBUTES.lorawanVersion]} devices have no NwkKey: remove it, or set lorawanVersion 1.1`,
    );
  }
  if (present(attributes[DEVICE_ATTRIBUTES.claimAuthenticationCode])) {
    check.add(
      'appKey and claimAuthenticationCode are both set: keep appKey to register the device with its keys, or claimAuthenticationCode to claim it',
    );
  }
  const deviceID = check.deviceID(devEUI, context);
  const versionIDs = check.versionIDs();
  const device = registration({ deviceID, devEUI, joinEUI, versions, frequencyPlanID, versionIDs });
  return check.result(
    device && appKey
      ? { kind: 'create', ...device, appKey, ...(nwkKey ? { nwkKey } : {}) }
      : undefined,
  );
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
  const versions = check.versions(CLAIM_DEFAULT_LORAWAN_VERSION);
  const frequencyPlanID = check.frequencyPlanID(context.defaultFrequencyPlanID);
  const authenticationCode = check.claimCode();
  const deviceID = check.deviceID(devEUI, context);
  const versionIDs = check.versionIDs();
  const device = registration({ deviceID, devEUI, joinEUI, versions, frequencyPlanID, versionIDs });
  return check.result(
    device && authenticationCode ? { kind: 'claim', ...device, authenticationCode } : undefined,
  );
}

/** The registration, when every part of it was read (undefined: one was refused, a problem). */
function registration(parts: {
  readonly deviceID: string | undefined;
  readonly devEUI: Eui64 | undefined;
  readonly joinEUI: Eui64 | undefined;
  readonly versions: Pick<RadioSettings, 'lorawanVersion' | 'lorawanPhyVersion'> | undefined;
  readonly frequencyPlanID: string | undefined;
  readonly versionIDs: EndDeviceVersionIDs | undefined;
}): DeviceRegistration | undefined {
  const { deviceID, devEUI, joinEUI, versions, frequencyPlanID, versionIDs } = parts;
  if (!deviceID || !devEUI || !joinEUI || !versions || !frequencyPlanID) return undefined;
  return {
    deviceID,
    devEUI,
    joinEUI,
    ...versions,
    frequencyPlanID,
    ...(versionIDs ? { versionIDs } : {}),
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

/** The attribute value of each PHY version (the explicit revision for 1.0.2). */
const PHY_NAMES: ReadonlyMap<PhyVersion, string> = new Map(
  Object.entries(PHY_VERSIONS)
    .filter(([key]) => key !== '1.0.2')
    .map(([key, phy]) => [phy, phyAttributeValue(key)]),
);

// The schemas of the attributes. Each issue message is the problem the thing is refused
// with: it names the attribute and what it takes, and shows a value only where it can be no
// key material (an EUI, a version, an ID).

/** A string attribute that must be set; the registry's `''` counts as unset. */
function requiredText(missing: string) {
  return v.pipe(v.optional(v.string(missing), ''), v.nonEmpty(missing));
}

/** The value `read` makes of the text, or the problem `refusal` words when it makes none. */
function readAs<T>(read: (text: string) => T | undefined, refusal: (text: string) => string) {
  return v.rawTransform<string, T>(({ dataset, addIssue, NEVER }) => {
    const value = read(dataset.value);
    if (value !== undefined) return value;
    addIssue({ message: refusal(dataset.value) });
    return NEVER;
  });
}

/** A parser of `@tts-aws-iot/lorawan`, with `undefined` for what it refuses. */
function orUndefined<T>(parse: (text: string) => T): (text: string) => T | undefined {
  return (text) => {
    try {
      return parse(text);
    } catch {
      return undefined;
    }
  };
}

/** A table's entry, never one of `Object.prototype`'s (`constructor`, `toString`). */
function entryOf<T>(table: Readonly<Record<string, T>>): (key: string) => T | undefined {
  return (key) => (Object.hasOwn(table, key) ? table[key] : undefined);
}

function euiSchema(name: string, what: string) {
  return v.pipe(
    requiredText(`${name} is missing: set ${what}, 16 hex digits`),
    readAs(
      orUndefined(parseEui64),
      (text) => `${name} ${JSON.stringify(text)} is invalid: use 16 hex digits without separators`,
    ),
  );
}

const DEV_EUI = v.pipe(
  euiSchema(DEVICE_ATTRIBUTES.devEUI, "the device's DevEUI"),
  v.check(
    (eui) => eui.some((byte) => byte !== 0),
    "devEUI 0000000000000000 is invalid: the zero EUI identifies no device; use the DevEUI on the device's label",
  ),
);
const JOIN_EUI = euiSchema(DEVICE_ATTRIBUTES.joinEUI, "the device's JoinEUI (or set appEUI)");
const APP_EUI = euiSchema(DEVICE_ATTRIBUTES.appEUI, '');

const MAC_ATTRIBUTE_VALUES = list(Object.keys(MAC_VERSIONS));
const MAC_VERSION = v.pipe(
  requiredText(
    `lorawanVersion is missing: set the device's LoRaWAN version, one of ${MAC_ATTRIBUTE_VALUES}`,
  ),
  readAs(
    entryOf(MAC_VERSIONS),
    (text) =>
      `lorawanVersion ${JSON.stringify(text)} is not supported: use one of ${MAC_ATTRIBUTE_VALUES}`,
  ),
);
/** Set: the flow without a default version refuses a missing one before it reads it. */
const PHY_VERSION = v.pipe(
  v.string(),
  readAs(
    (text) => entryOf(PHY_VERSIONS)(text.toLowerCase()),
    (text) =>
      `regionalParametersVersion ${JSON.stringify(text)} is not supported: use one of ${PHY_ATTRIBUTE_VALUES}`,
  ),
);
const FREQUENCY_PLAN = v.pipe(
  v.string(),
  v.regex(
    FREQUENCY_PLAN_ID,
    (issue) =>
      `frequencyPlanID ${JSON.stringify(issue.input)} is invalid: use a TTS frequency plan ID such as EU_863_870_TTN or US_902_928_FSB_2`,
  ),
);

/** `wrapped:<kekLabel>:<hex>`: the label is everything up to the last colon. */
const WRAPPED_FORM = /^wrapped:(.+):((?:[0-9a-fA-F]{2})+)$/s;
const WRAPPED_FORM_HINT = 'wrapped:<kekLabel>:<hex> (npx keywrap attribute)';

/** Key material wrapped under the KEK of `label`, still to unwrap. */
interface WrappedSecret {
  readonly label: string;
  readonly wrapped: Uint8Array;
}

/** A wrapped secret's form: the label, and hex digits of a length `fits` takes. */
function wrappedSchema(
  name: string,
  fits: (digits: number) => boolean,
  wrongLength: (digits: number) => string,
) {
  return v.pipe(
    v.string(),
    readAs(
      (text) => {
        const [, label, hex] = WRAPPED_FORM.exec(text) ?? [];
        return label !== undefined && hex !== undefined ? { label, hex } : undefined;
      },
      () => `${name} is not in the wrapped form: use ${WRAPPED_FORM_HINT}`,
    ),
    v.check(
      ({ hex }) => fits(hex.length),
      (issue) => wrongLength(issue.input.hex.length),
    ),
    v.transform(({ label, hex }): WrappedSecret => ({
      label,
      wrapped: Uint8Array.from(Buffer.from(hex, 'hex')),
    })),
  );
}

/** The schemas of a root key attribute: plaintext, or wrapped with RFC 3394 (16 bytes to 24). */
function keySchemas(name: string, what: string) {
  return {
    name,
    // The value may be a key with a typo: say how it is wrong, never what it is.
    plain: v.pipe(
      requiredText(`${name} is missing: ${what} (32 hex digits, or wrapped:<kekLabel>:<hex>)`),
      readAs(
        orUndefined(parseAesKey),
        (text) =>
          `${name} is invalid: use 32 hex digits (got ${text.length === 32 ? 'a character other than a hex digit' : `${text.length} characters`})`,
      ),
    ),
    wrapped: wrappedSchema(
      name,
      (digits) => digits === 48,
      (digits) =>
        `${name} is wrapped, but ${digits} hex digits are no wrapped 16-byte key (48 hex digits): wrap the key with npx keywrap attribute --key`,
    ),
  };
}

type KeySchemas = ReturnType<typeof keySchemas>;

const KEYS = {
  appKey: keySchemas(DEVICE_ATTRIBUTES.appKey, "set the device's AppKey"),
  nwkKey: keySchemas(DEVICE_ATTRIBUTES.nwkKey, 'LoRaWAN 1.1 devices need their NwkKey'),
} as const;

/** A claim code in plaintext, uppercased; missing reads as the empty code, refused. */
const CLAIM_CODE = v.pipe(
  v.optional(v.string(), ''),
  v.toUpperCase(),
  v.regex(
    CLAIM_AUTHENTICATION_CODE,
    "claimAuthenticationCode is invalid: use the code from the device's label, 1 to 32 letters and digits",
  ),
);
/** A claim code wrapped with RFC 5649 (padded to 8-byte blocks, one more for the integrity check). */
const WRAPPED_CLAIM_CODE = wrappedSchema(
  DEVICE_ATTRIBUTES.claimAuthenticationCode,
  (digits) => digits >= 32 && digits % 16 === 0,
  (digits) =>
    `claimAuthenticationCode is wrapped, but ${digits} hex digits are no wrapped code (RFC 5649, a multiple of 16 hex digits, at least 32): wrap the code with npx keywrap attribute --code`,
);
/** The bytes a wrapped claim code unwraps to, read as Latin-1 text. */
const UNWRAPPED_CLAIM_CODE = v.pipe(
  v.string(),
  v.toUpperCase(),
  v.regex(
    CLAIM_AUTHENTICATION_CODE,
    "claimAuthenticationCode unwraps to no claim authentication code: wrap the code from the device's label, 1 to 32 letters and digits (npx keywrap attribute --code)",
  ),
);

const DEVICE_ID_SCHEMA = v.pipe(
  v.string(),
  v.check(
    (id) => DEVICE_ID.test(id) && id.length <= DEVICE_ID_MAX,
    (issue) =>
      `deviceID ${JSON.stringify(issue.input)} is invalid: use 3 to 36 lowercase letters and digits, with single hyphens between them`,
  ),
);

/** A Device Repository attribute: its schema, and what a model without it lacks (none: optional). */
interface ModelAttribute<T> {
  readonly name: (typeof MODEL_ATTRIBUTES)[number];
  readonly needs: string | undefined;
  readonly schema: v.GenericSchema<string, T>;
}

function repositoryID(name: ModelAttribute<string>['name'], what: string): ModelAttribute<string> {
  const schema = v.pipe(
    v.string(),
    v.check(
      (text) => REPOSITORY_ID.test(text) && text.length <= DEVICE_ID_MAX,
      (issue) =>
        `${name} ${JSON.stringify(issue.input)} is invalid: use the Device Repository's ${what}, 3 to 36 lowercase letters and digits with single hyphens or underscores between them`,
    ),
  );
  return { name, needs: what, schema };
}

function repositoryVersion(
  name: ModelAttribute<string>['name'],
  what: string,
  required: boolean,
): ModelAttribute<string> {
  const schema = v.pipe(
    v.string(),
    v.maxLength(
      MAX_VERSION_LENGTH,
      (issue) =>
        `${name} is invalid: use the Device Repository's ${what}, at most ${MAX_VERSION_LENGTH} characters (got ${issue.input.length})`,
    ),
  );
  return { name, needs: required ? what : undefined, schema };
}

const MODEL = {
  brandID: repositoryID(DEVICE_ATTRIBUTES.brandID, 'brand ID (e.g. the-things-products)'),
  modelID: repositoryID(DEVICE_ATTRIBUTES.modelID, 'model ID (e.g. the-things-uno)'),
  firmwareVersion: repositoryVersion(DEVICE_ATTRIBUTES.firmwareVersion, 'firmware version', true),
  hardwareVersion: repositoryVersion(DEVICE_ATTRIBUTES.hardwareVersion, 'hardware version', false),
  /** A TTS band ID (`EU_863_870`), also given as the repository writes it (`EU863-870`). */
  bandID: {
    name: DEVICE_ATTRIBUTES.bandID,
    needs: 'the band, a TTS band ID such as EU_863_870 or US_902_928',
    schema: v.pipe(
      v.string(),
      readAs(
        (text) =>
          BAND_ID.test(text)
            ? text
            : REPOSITORY_BAND.exec(text)?.slice(1).filter(Boolean).join('_'),
        (text) =>
          `bandID ${JSON.stringify(text)} is invalid: use a TTS band ID such as EU_863_870, US_902_928 or AS_923_2 (or the repository's EU863-870)`,
      ),
    ),
  },
} as const satisfies Record<string, ModelAttribute<string>>;

/** Collects the problems of one attribute set. */
class AttributeCheck extends ProblemList {
  constructor(
    private readonly attributes: Readonly<Record<string, string>>,
    private readonly context: DeviceAttributeContext,
  ) {
    super();
  }

  /**
   * The device to register, built where every attribute it needs was read.
   *
   * @throws InputError `invalid_device_attributes` with every problem found
   */
  result<T>(spec: T | undefined): T {
    if (spec !== undefined && this.problems.length === 0) return spec;
    const { thingName } = this.context;
    const problems = this.problems.length > 0 ? [...this.problems] : ['they are incomplete'];
    throw new InputError(
      'invalid_device_attributes',
      `Thing ${thingName} has invalid LoRaWAN attributes: ${problems.join('; ')}. Fix them, then delete the thing and create it again.`,
      { thingName, problems },
    );
  }

  euis(): { devEUI?: Eui64 | undefined; joinEUI?: Eui64 | undefined } {
    const devEUI = this.read(DEV_EUI, this.attributes[DEVICE_ATTRIBUTES.devEUI]);
    const joinEUIText = this.attributes[DEVICE_ATTRIBUTES.joinEUI];
    const appEUIText = this.attributes[DEVICE_ATTRIBUTES.appEUI];
    if (
      present(joinEUIText) &&
      present(appEUIText) &&
      joinEUIText.toUpperCase() !== appEUIText.toUpperCase()
    ) {
      this.add(
        `joinEUI ${joinEUIText} and appEUI ${appEUIText} differ: they name the same EUI (AppEUI before LoRaWAN 1.1); set one of them`,
      );
      return { devEUI };
    }
    if (!present(joinEUIText) && present(appEUIText))
      return { devEUI, joinEUI: this.read(APP_EUI, appEUIText) };
    return { devEUI, joinEUI: this.read(JOIN_EUI, joinEUIText) };
  }

  /** The LoRaWAN and Regional Parameters versions, checked as a pair. */
  versions(
    defaultLorawanVersion: string | undefined,
  ): Pick<RadioSettings, 'lorawanVersion' | 'lorawanPhyVersion'> | undefined {
    const macText = this.attributes[DEVICE_ATTRIBUTES.lorawanVersion] || defaultLorawanVersion;
    const phyText = this.attributes[DEVICE_ATTRIBUTES.regionalParametersVersion];
    const mac = this.read(MAC_VERSION, macText);
    let phy: PhyVersion | undefined;
    if (present(phyText)) phy = this.read(PHY_VERSION, phyText);
    else if (defaultLorawanVersion === undefined)
      this.add(
        `regionalParametersVersion is missing: set the device's Regional Parameters version, one of ${PHY_ATTRIBUTE_VALUES}`,
      );
    else if (mac) phy = DEFAULT_PHY_VERSIONS[mac];
    if (!mac || !phy) return undefined;
    const compatible = COMPATIBLE_PHY_VERSIONS[mac];
    if (!compatible.includes(phy))
      this.add(
        `regionalParametersVersion ${phyText} does not go with lorawanVersion ${macText}: use ${list(compatible.map((each) => PHY_NAMES.get(each) ?? each))}`,
      );
    return { lorawanVersion: mac, lorawanPhyVersion: phy };
  }

  frequencyPlanID(defaultFrequencyPlanID: string): string | undefined {
    return this.read(
      FREQUENCY_PLAN,
      this.attributes[DEVICE_ATTRIBUTES.frequencyPlanID] || defaultFrequencyPlanID,
    );
  }

  key(schemas: KeySchemas): AesKey | undefined {
    const text = this.attributes[schemas.name];
    if (!isWrappedAttribute(text)) return this.read(schemas.plain, text);
    // A wrapped key of another length is refused by the unwrap (RFC 3394 wraps 16 bytes to 24).
    const key = this.#unwrap(schemas.name, this.read(schemas.wrapped, text), unwrapKey);
    return key && parseAesKey(key);
  }

  /** The claim authentication code (uppercase), unwrapped when it is wrapped. */
  claimCode(): string | undefined {
    const name = DEVICE_ATTRIBUTES.claimAuthenticationCode;
    const text = this.attributes[name];
    if (!isWrappedAttribute(text)) return this.read(CLAIM_CODE, text);
    const bytes = this.#unwrap(name, this.read(WRAPPED_CLAIM_CODE, text), unwrapKeyWithPadding);
    return bytes && this.read(UNWRAPPED_CLAIM_CODE, Buffer.from(bytes).toString('latin1'));
  }

  /**
   * The key material of a wrapped secret (undefined: its form was refused already),
   * unwrapped under the ring's KEK of its label: RFC 3394 for a key, RFC 5649 for a code.
   * Problems name the attribute and the label, never the value.
   */
  #unwrap(
    name: string,
    secret: WrappedSecret | undefined,
    unwrap: (kek: Uint8Array, wrapped: Uint8Array) => Uint8Array,
  ): Uint8Array | undefined {
    if (secret === undefined) return undefined;
    const { label, wrapped } = secret;
    const ring = this.context.kekRing;
    const where = this.context.kekSecretID
      ? `the KEK ring secret ${this.context.kekSecretID}`
      : 'the KEK ring secret (KEK_SECRET_ID)';
    if (!ring) {
      this.add(
        `${name} is wrapped, but this stack has no KEK ring to unwrap it: deploy it with end-to-end encryption (its KEK secret holds the ring), or give the value in plaintext`,
      );
      return undefined;
    }
    if (!ring.labels.includes(label)) {
      this.add(
        `${name} is wrapped under KEK label ${JSON.stringify(label)}, which ${where} does not hold (it holds ${list(ring.labels)}): wrap it under one of those labels`,
      );
      return undefined;
    }
    try {
      return unwrap(ring.get(label), wrapped);
    } catch {
      this.add(
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
    const names = MODEL_ATTRIBUTES.filter((name) => present(this.attributes[name]));
    if (names.length === 0) return undefined;
    const brandID = this.#model(MODEL.brandID, names);
    const modelID = this.#model(MODEL.modelID, names);
    const firmwareVersion = this.#model(MODEL.firmwareVersion, names);
    const hardwareVersion = this.#model(MODEL.hardwareVersion, names);
    const bandID = this.#model(MODEL.bandID, names);
    if (!brandID || !modelID || !firmwareVersion || !bandID) return undefined;
    return {
      brandID,
      modelID,
      firmwareVersion,
      ...(hardwareVersion === undefined ? {} : { hardwareVersion }),
      bandID,
    };
  }

  #model<T>(attribute: ModelAttribute<T>, names: readonly string[]): T | undefined {
    const text = this.attributes[attribute.name];
    if (present(text)) return this.read(attribute.schema, text);
    if (attribute.needs !== undefined)
      this.add(
        `${attribute.name} is missing: a Device Repository device (${list(names)} set) needs ${attribute.needs}`,
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
    return deviceID === undefined ? undefined : this.read(DEVICE_ID_SCHEMA, deviceID);
  }
}
