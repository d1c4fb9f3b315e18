// The field rules of TTS's protobuf validators that the integration can trip over, with
// protoc-gen-validate's wording of the reasons.
import { validationError } from './errors';
import { getAt, isObject, type JsonObject } from './fields';

const ID_PATTERN = '^[a-z0-9](?:[-]?[a-z0-9]){2,}$';
const ID = new RegExp(ID_PATTERN);
const MAX_ID_LENGTH = 36;
const EUI = /^[0-9A-Fa-f]{16}$/;
const AES128_KEY = /^[0-9A-Fa-f]{32}$/;
const AUTHENTICATION_CODE_PATTERN = '^[A-Z0-9]{1,32}$';
const AUTHENTICATION_CODE = new RegExp(AUTHENTICATION_CODE_PATTERN);
const DURATION = /^\d+(?:\.\d{1,9})?s$/;

/** `AWSIoTProvider.region`: the regions TTS's AWS IoT provider takes. */
const AWS_IOT_REGIONS: readonly string[] = [
  'af-south-1',
  'ap-east-1',
  'ap-northeast-1',
  'ap-northeast-2',
  'ap-south-1',
  'ap-southeast-1',
  'ap-southeast-2',
  'ca-central-1',
  'eu-central-1',
  'eu-north-1',
  'eu-south-1',
  'eu-west-1',
  'eu-west-2',
  'eu-west-3',
  'me-south-1',
  'sa-east-1',
  'us-east-1',
  'us-east-2',
  'us-west-1',
  'us-west-2',
];
const ROLE_ARN_PATTERN = '^arn:aws:iam::[0-9]{12}:role\\/[A-Za-z0-9_+=,.@-]+$';
const EXTERNAL_ID_PATTERN = '^[\\w+=,.@:\\/-]*$';
const STACK_NAME_PATTERN = '^[A-Za-z][A-Za-z0-9\\-]*$';
const ENDPOINT_ADDRESS_PATTERN =
  '^((([a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9\\-]*[a-zA-Z0-9])\\.)*([A-Za-z0-9]|[A-Za-z0-9][A-Za-z0-9\\-]*[A-Za-z0-9])|)$';

/** An application, device or pub/sub ID. */
export function checkID(value: unknown, field: string): string {
  if (typeof value !== 'string' || value === '') throw validationError(field, 'value is required');
  if (value.length > MAX_ID_LENGTH) {
    throw validationError(field, `value length must be at most ${MAX_ID_LENGTH} runes`);
  }
  if (!ID.test(value)) {
    throw validationError(field, `value does not match regex pattern "${ID_PATTERN}"`);
  }
  return value;
}

/** The longest value of an entity's `attributes`. */
const MAX_ATTRIBUTE_VALUE_LENGTH = 200;

/**
 * An entity's `attributes` map: keys as IDs (`^[a-z0-9](?:[-]?[a-z0-9]){2,}$`, at most 36
 * characters), string values of at most 200 characters.
 */
export function checkAttributes(value: unknown, field: string): void {
  if (value === undefined || value === null) return;
  if (!isObject(value)) throw validationError(field, 'value must be a map of strings');
  for (const [key, item] of Object.entries(value)) {
    if (key.length > MAX_ID_LENGTH || !ID.test(key)) {
      throw validationError(
        `${field}[${key}]`,
        `key does not match regex pattern "${ID_PATTERN}" (at most ${MAX_ID_LENGTH} runes)`,
      );
    }
    if (typeof item !== 'string' || item.length > MAX_ATTRIBUTE_VALUE_LENGTH) {
      throw validationError(
        `${field}[${key}]`,
        `value must be a string of at most ${MAX_ATTRIBUTE_VALUE_LENGTH} runes`,
      );
    }
  }
}

/** An EUI-64 in hex of either case; returned uppercase, as TTS answers. */
export function checkEUI(value: unknown, field: string): string {
  if (typeof value !== 'string' || !EUI.test(value)) {
    throw validationError(field, 'value must be 16 hex digits');
  }
  return value.toUpperCase();
}

/** An AES-128 key in hex of either case; returned uppercase. */
export function checkAES128Key(value: unknown, field: string): string {
  if (typeof value !== 'string' || !AES128_KEY.test(value)) {
    throw validationError(field, 'value must be 32 hex digits');
  }
  return value.toUpperCase();
}

/** A claim authentication code. */
export function checkAuthenticationCode(value: unknown, field: string): string {
  if (typeof value !== 'string' || !AUTHENTICATION_CODE.test(value)) {
    throw validationError(
      field,
      `value does not match regex pattern "${AUTHENTICATION_CODE_PATTERN}"`,
    );
  }
  return value;
}

/** The AWS IoT provider of a pub/sub (`ApplicationPubSub.AWSIoTProvider`). */
export function checkAwsIotProvider(provider: JsonObject, field: string): void {
  const region = provider['region'];
  if (typeof region !== 'string' || !AWS_IOT_REGIONS.includes(region)) {
    throw validationError(
      `${field}.region`,
      `value must be in list [${AWS_IOT_REGIONS.join(' ')}]`,
    );
  }
  checkPattern(
    getAt(provider, ['assume_role', 'arn']),
    `${field}.assume_role.arn`,
    ROLE_ARN_PATTERN,
    { required: isObject(provider['assume_role']) },
  );
  checkPattern(
    getAt(provider, ['assume_role', 'external_id']),
    `${field}.assume_role.external_id`,
    EXTERNAL_ID_PATTERN,
    { maxLength: 1224 },
  );
  const duration = getAt(provider, ['assume_role', 'session_duration']);
  if (duration !== undefined && (typeof duration !== 'string' || !DURATION.test(duration))) {
    throw validationError(
      `${field}.assume_role.session_duration`,
      'value must be a duration such as "3600s"',
    );
  }
  checkPattern(
    provider['endpoint_address'],
    `${field}.endpoint_address`,
    ENDPOINT_ADDRESS_PATTERN,
    { maxLength: 128 },
  );
  checkPattern(
    getAt(provider, ['default', 'stack_name']),
    `${field}.default.stack_name`,
    STACK_NAME_PATTERN,
    { maxLength: 128 },
  );
}

/**
 * Join Server application activation settings: an AES-128 KEK that is not all zeros, in
 * the clear, and its label with it. Returns the settings with the KEK in uppercase hex.
 */
export function checkKekSettings(settings: JsonObject): JsonObject {
  const kek = settings['kek'];
  if (kek === undefined) return settings;
  if (!isObject(kek) || kek['key'] === undefined) {
    throw validationError(
      'settings.kek.key',
      'value is required: the simulator takes the KEK in the clear',
    );
  }
  const key = checkAES128Key(kek['key'], 'settings.kek.key');
  if (/^0+$/.test(key)) throw validationError('settings.kek.key', 'value must not be the zero key');
  const label = settings['kek_label'];
  if (typeof label !== 'string' || label === '') {
    throw validationError('settings.kek_label', 'value is required with a KEK');
  }
  if (label.length > 2048) {
    throw validationError('settings.kek_label', 'value length must be at most 2048 runes');
  }
  return { ...settings, kek: { ...kek, key } };
}

function checkPattern(
  value: unknown,
  field: string,
  pattern: string,
  { required = false, maxLength }: { required?: boolean; maxLength?: number },
): void {
  if (value === undefined || value === '') {
    if (required) throw validationError(field, 'value is required');
    return;
  }
  if (typeof value !== 'string' || !new RegExp(pattern).test(value)) {
    throw validationError(field, `value does not match regex pattern "${pattern}"`);
  }
  if (maxLength !== undefined && value.length > maxLength) {
    throw validationError(field, `value length must be at most ${maxLength} runes`);
  }
}
