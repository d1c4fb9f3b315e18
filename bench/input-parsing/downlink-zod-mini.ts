/**
 * A downlink request of `lorawan/downlink`, read with zod's mini build: the fields, refusal
 * codes and output of `parseDownlinkRequest` (libs/integration/src/traffic/downlink-request.ts). The
 * issue messages are the refusal codes.
 */
import * as z from 'zod/mini';

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

const thingName = z.pipe(
  z
    .unknown()
    .check(z.refine((t) => t !== undefined && t !== null && t !== '', 'missing_thing_name')),
  z.string('invalid_thing_name').check(z.regex(THING_NAME, 'invalid_thing_name')),
);

const bytes = z.nullish(
  z
    .pipe(
      z
        .string('invalid_bytes')
        .check(z.refine(isBase64, 'invalid_bytes'), z.refine(isCanonicalBase64, 'invalid_bytes')),
      z.transform((text: string) => base64Bytes(text)),
    )
    .check(z.refine((b) => b.length <= MAX_DOWNLINK_BYTES, 'payload_too_large')),
);

const payload = z.nullish(z.custom<JsonObject>(isJsonObject, 'invalid_payload'));

const flag = (code: string) =>
  z.pipe(
    z.nullish(z.boolean(code)),
    z.transform((b) => b ?? false),
  );

function requestSchema(options: DownlinkOptions) {
  const refusesPayload = options.e2eEnabled && !options.encodesPayload;
  return z.pipe(
    z
      .object({
        thingName,
        bytes,
        payload,
        fPort: z.nullish(
          z
            .int('invalid_f_port')
            .check(z.minimum(1, 'invalid_f_port'), z.maximum(223, 'invalid_f_port')),
        ),
        confirmed: flag('invalid_confirmed'),
        highPriority: flag('invalid_high_priority'),
        operation: z.pipe(
          z.nullish(z.enum(['push', 'replace'], 'invalid_operation')),
          z.transform((o) => o ?? 'push'),
        ),
      })
      .check(
        z.refine((r) => r.bytes != null || r.payload != null, 'missing_payload'),
        z.refine((r) => r.bytes == null || r.payload == null, 'ambiguous_payload'),
        z.refine((r) => r.payload == null || !refusesPayload, 'payload_not_supported_with_e2e'),
      ),
    z.transform((fields) => toDownlinkRequest(fields)),
  );
}

/** `parseDownlinkRequest` with zod mini: the schema is made once per configuration. */
export function downlinkParserWithZodMini(
  options: DownlinkOptions,
): (input: unknown) => DownlinkRequest {
  const schema = requestSchema(options);
  return readerOf<DownlinkRequest>(
    (request) => {
      const result = z.safeParse(schema, request);
      if (result.success) return { value: result.data };
      const [issue] = result.error.issues;
      return { issue: { path: issue?.path ?? [], message: issue?.message ?? '' } };
    },
    downlinkRejection,
    'invalid_request',
  );
}
