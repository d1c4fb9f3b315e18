/**
 * A downlink request of `lorawan/downlink`, read with valibot: the fields, refusal codes and
 * output of `parseDownlinkRequest` (libs/integration/src/traffic/downlink-request.ts). The issue
 * messages are the refusal codes.
 */
import * as v from 'valibot';

import type { DownlinkRequest } from '@tts-aws-iot/integration/traffic';
import {
  base64Bytes,
  downlinkRejection,
  type DownlinkOptions,
  isBase64,
  isCanonicalBase64,
  isJsonObject,
  readerOf,
  MAX_DOWNLINK_BYTES,
  THING_NAME,
  type JsonObject,
} from './common';
import { toDownlinkRequest } from './outputs';

// A missing key is the object's issue (its message below); a present one is the entry's.
const thingName = v.pipe(
  v.unknown(),
  v.check((t) => t !== null && t !== '', 'missing_thing_name'),
  v.string('invalid_thing_name'),
  v.regex(THING_NAME, 'invalid_thing_name'),
);

const bytes = v.nullish(
  v.pipe(
    v.string('invalid_bytes'),
    v.check(isBase64, 'invalid_bytes'),
    v.check(isCanonicalBase64, 'invalid_bytes'),
    v.transform((text: string) => base64Bytes(text)),
    v.check((b) => b.length <= MAX_DOWNLINK_BYTES, 'payload_too_large'),
  ),
);

const payload = v.nullish(v.custom<JsonObject>(isJsonObject, 'invalid_payload'));

const flag = (code: string) => v.nullish(v.boolean(code), false);

function requestSchema(options: DownlinkOptions) {
  const refusesPayload = options.e2eEnabled && !options.encodesPayload;
  return v.pipe(
    v.object(
      {
        thingName,
        bytes,
        payload,
        fPort: v.nullish(
          v.pipe(
            v.number('invalid_f_port'),
            v.integer('invalid_f_port'),
            v.minValue(1, 'invalid_f_port'),
            v.maxValue(223, 'invalid_f_port'),
          ),
        ),
        confirmed: flag('invalid_confirmed'),
        highPriority: flag('invalid_high_priority'),
        operation: v.nullish(v.picklist(['push', 'replace'], 'invalid_operation'), 'push'),
      },
      (issue) => (issue.path?.[0]?.key === 'thingName' ? 'missing_thing_name' : 'invalid_request'),
    ),
    v.check((r) => r.bytes != null || r.payload != null, 'missing_payload'),
    v.check((r) => r.bytes == null || r.payload == null, 'ambiguous_payload'),
    v.check((r) => r.payload == null || !refusesPayload, 'payload_not_supported_with_e2e'),
    v.transform((fields) => toDownlinkRequest(fields)),
  );
}

/** `parseDownlinkRequest` with valibot: the schema is made once per configuration. */
export function downlinkParserWithValibot(
  options: DownlinkOptions,
): (input: unknown) => DownlinkRequest {
  const schema = requestSchema(options);
  return readerOf<DownlinkRequest>(
    (request) => {
      const result = v.safeParse(schema, request, { abortEarly: true });
      if (result.success) return { value: result.output };
      const [issue] = result.issues;
      return { issue: { path: issue.path?.map((item) => item.key) ?? [], message: issue.message } };
    },
    downlinkRejection,
    'invalid_request',
  );
}
