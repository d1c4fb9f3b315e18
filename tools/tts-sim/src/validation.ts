// The field rules of TTS's protobuf validators that the integration can trip over, as valibot
// schemas whose messages are protoc-gen-validate's wording of the reasons. `readAt` turns the
// first issue into TTS's `pkg/errors:validation` error naming the field.
import * as v from 'valibot';
import { isJsonObject, jsonObject, readInput, type InputIssue } from '@tts-aws-iot/input';
import { TtsError, validationError } from './errors';
import type { JsonObject } from './fields';

const ID_PATTERN = '^[a-z0-9](?:[-]?[a-z0-9]){2,}$';
const ID = new RegExp(ID_PATTERN);
const MAX_ID_LENGTH = 36;
const EUI = /^[0-9A-Fa-f]{16}$/;
const AES128_KEY = /^[0-9A-Fa-f]{32}$/;
const AUTHENTICATION_CODE_PATTERN = '^[A-Z0-9]{1,32}$';
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

/** The reason TTS gives for a field that is missing (or empty, or not a message). */
export const REQUIRED = 'value is required';

/**
 * A field TTS reads as its zero value when it is absent, as protobuf does: absent is `''`, so
 * that the field's own rule refuses it with its own reason.
 */
export function zeroString<const S extends v.GenericSchema<string, unknown>>(schema: S) {
  return v.optional(schema, '');
}

/** An application, device or pub/sub ID. */
export const id = v.pipe(
  v.string(REQUIRED),
  v.nonEmpty(REQUIRED),
  v.maxLength(MAX_ID_LENGTH, `value length must be at most ${MAX_ID_LENGTH} runes`),
  v.regex(ID, `value does not match regex pattern "${ID_PATTERN}"`),
);

const hex = (pattern: RegExp, reason: string) =>
  v.pipe(v.string(reason), v.regex(pattern, reason), v.toUpperCase());

/** An EUI-64 in hex of either case; read as uppercase, as TTS answers. */
export const eui = hex(EUI, 'value must be 16 hex digits');

/** An AES-128 key in hex of either case; read as uppercase. */
export const aes128Key = hex(AES128_KEY, 'value must be 32 hex digits');

const AUTHENTICATION_CODE_REASON = `value does not match regex pattern "${AUTHENTICATION_CODE_PATTERN}"`;

/** A claim authentication code. */
export const authenticationCode = v.pipe(
  v.string(AUTHENTICATION_CODE_REASON),
  v.regex(new RegExp(AUTHENTICATION_CODE_PATTERN), AUTHENTICATION_CODE_REASON),
);

/** The longest value of an entity's `attributes`. */
const MAX_ATTRIBUTE_VALUE_LENGTH = 200;
const ATTRIBUTE_KEY_REASON = `key does not match regex pattern "${ID_PATTERN}" (at most ${MAX_ID_LENGTH} runes)`;
const ATTRIBUTE_VALUE_REASON = `value must be a string of at most ${MAX_ATTRIBUTE_VALUE_LENGTH} runes`;

/**
 * An entity's `attributes` map: keys as IDs, string values of at most 200 characters. Every own
 * key is checked (valibot's record skips `__proto__` and `constructor`); the first bad entry is
 * refused as `attributes[key]`.
 */
export const attributes = v.nullish(
  v.pipe(
    jsonObject('value must be a map of strings'),
    v.rawCheck(({ dataset, addIssue }) => {
      if (!dataset.typed) return;
      const map = dataset.value;
      for (const [key, value] of Object.entries(map)) {
        const reason = attributeProblem(key, value);
        if (reason === undefined) continue;
        addIssue({
          message: reason,
          path: [{ type: 'object', origin: 'value', input: map, key, value }],
        });
        return;
      }
    }),
  ),
);

function attributeProblem(key: string, value: unknown): string | undefined {
  if (key.length > MAX_ID_LENGTH || !ID.test(key)) return ATTRIBUTE_KEY_REASON;
  if (typeof value !== 'string' || value.length > MAX_ATTRIBUTE_VALUE_LENGTH)
    return ATTRIBUTE_VALUE_REASON;
  return undefined;
}

/**
 * A string field with a protoc-gen-validate pattern: absent or `''` passes unless `required`,
 * anything else must be a string that matches and is at most `maxLength` long.
 */
function patterned(
  pattern: string,
  { required = false, maxLength }: { required?: boolean; maxLength?: number },
) {
  const regex = new RegExp(pattern);
  return v.optional(
    v.pipe(
      v.unknown(),
      v.check((value) => value !== '' || !required, REQUIRED),
      v.check(
        (value) => value === '' || (typeof value === 'string' && regex.test(value)),
        `value does not match regex pattern "${pattern}"`,
      ),
      v.check(
        (value) =>
          maxLength === undefined || typeof value !== 'string' || value.length <= maxLength,
        `value length must be at most ${maxLength} runes`,
      ),
    ),
    '',
  );
}

const DURATION_REASON = 'value must be a duration such as "3600s"';

/** The AWS IoT provider of a pub/sub (`ApplicationPubSub.AWSIoTProvider`). */
export const awsIotProvider = v.looseObject(
  {
    region: zeroString(
      v.picklist(AWS_IOT_REGIONS, `value must be in list [${AWS_IOT_REGIONS.join(' ')}]`),
    ),
    assume_role: v.nullish(
      v.looseObject(
        {
          arn: patterned(ROLE_ARN_PATTERN, { required: true }),
          external_id: patterned(EXTERNAL_ID_PATTERN, { maxLength: 1224 }),
          session_duration: v.optional(
            v.pipe(v.string(DURATION_REASON), v.regex(DURATION, DURATION_REASON)),
          ),
        },
        REQUIRED,
      ),
    ),
    endpoint_address: patterned(ENDPOINT_ADDRESS_PATTERN, { maxLength: 128 }),
    default: v.nullish(
      v.looseObject({ stack_name: patterned(STACK_NAME_PATTERN, { maxLength: 128 }) }, REQUIRED),
    ),
  },
  REQUIRED,
);

const KEK_IN_THE_CLEAR = 'value is required: the simulator takes the KEK in the clear';
const KEK_LABEL_REQUIRED = 'value is required with a KEK';

/**
 * Join Server application activation settings with a KEK: an AES-128 key that is not all
 * zeros, in the clear (anything but an object is a KEK without its key), and its label.
 */
const kekSettings = v.looseObject(
  {
    kek: v.pipe(
      v.unknown(),
      v.transform((kek) => (isJsonObject(kek) ? kek : {})),
      v.looseObject(
        {
          key: v.pipe(
            aes128Key,
            v.check((key) => !/^0+$/.test(key), 'value must not be the zero key'),
          ),
        },
        KEK_IN_THE_CLEAR,
      ),
    ),
    kek_label: zeroString(
      v.pipe(
        v.string(KEK_LABEL_REQUIRED),
        v.nonEmpty(KEK_LABEL_REQUIRED),
        v.maxLength(2048, 'value length must be at most 2048 runes'),
      ),
    ),
  },
  REQUIRED,
);

/** The settings as stored: with a KEK, the KEK checked and its key in uppercase hex. */
export function checkKekSettings(settings: JsonObject): JsonObject {
  if (settings['kek'] === undefined) return settings;
  const { kek } = readAt(kekSettings, settings, 'settings');
  return { ...settings, kek };
}

/** Refusals that are not `validation` errors, by the code a schema gives as its message. */
const REFUSALS: Readonly<Record<string, () => TtsError>> = {
  no_join_eui: () =>
    new TtsError({
      status: 400,
      namespace: 'pkg/deviceclaimingserver',
      name: 'no_join_eui',
      messageFormat: 'failed to extract JoinEUI from request',
    }),
};

/** The message of a schema whose refusal is the Device Claiming Server's `no_join_eui`. */
export const NO_JOIN_EUI = 'no_join_eui';

/**
 * Reads `value`, which sits at field path `at` of the request (`end_device.ids`), with
 * `schema`. The first issue is TTS's `validation` error naming the field from the request's
 * root, with the schema's message as the reason.
 */
export function readAt<const S extends v.GenericSchema>(
  schema: S,
  value: unknown,
  at: string,
): v.InferOutput<S> {
  return readInput(schema, value, (issue) => refusal(issue, at));
}

function refusal(issue: InputIssue, at: string): TtsError {
  const special = Object.hasOwn(REFUSALS, issue.expected) ? REFUSALS[issue.expected] : undefined;
  return special ? special() : validationError(ttsField(issue.path, at), issue.expected);
}

/** Map fields, whose entries TTS names `attributes[key]`. */
const MAP_FIELDS: ReadonlySet<string | number> = new Set(['attributes']);

/** The field as TTS names it: `end_device.ids.dev_eui`, `downlinks[0].f_port`, `attributes[key]`. */
function ttsField(path: readonly (string | number)[], at: string): string {
  let field = at;
  path.forEach((key, index) => {
    const previous = index === 0 ? at.slice(at.lastIndexOf('.') + 1) : path[index - 1];
    if (typeof key === 'number' || (previous !== undefined && MAP_FIELDS.has(previous)))
      field += `[${key}]`;
    else field += field === '' ? key : `.${key}`;
  });
  return field;
}

/** An application, device or pub/sub ID at `field` (a path parameter). */
export function checkID(value: unknown, field: string): string {
  return readAt(id, value, field);
}

/** An EUI-64 at `field`, in uppercase (an option of the simulator). */
export function checkEUI(value: unknown, field: string): string {
  return readAt(eui, value, field);
}
