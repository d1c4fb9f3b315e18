import { CodedError } from '@tts-aws-iot/errors';

/**
 * The stable codes of {@link LorawanError}. Callers branch on these, never on messages.
 *
 * - `invalid_hex`: a hex string has an odd length or a character outside 0-9, A-F, a-f.
 * - `invalid_aes_key`, `invalid_dev_addr`, `invalid_eui64`: an identifier has the wrong length.
 * - `invalid_length`: a message or field is shorter or longer than its structure allows.
 * - `unsupported_major`: MHDR Major is not 0 (LoRaWAN R1), the only major version defined.
 * - `rfu_bits_set`: bits the specification reserves (RFU) are set where the frame's MIC
 *   covers them, so the frame cannot be decoded without losing them.
 * - `invalid_rejoin_type`, `invalid_cf_list`: a type field has a reserved value.
 * - `f_opts_with_f_port_0`: MAC commands in FOpts and in an FPort-0 FRMPayload at once.
 * - `unknown_mac_command`, `truncated_mac_command`: a MAC command cannot be decoded.
 * - `invalid_mac_command`: a MAC command to encode is unknown, sent the wrong way, or has a bad field.
 * - `invalid_value`: an argument or field to encode is out of range or of the wrong type.
 * - `payload_too_long`: more than 255 AES blocks (the block counter is one byte), or a
 *   PHYPayload longer than the 255 bytes a LoRa frame carries.
 * - `f_cnt_overflow`: a rebuilt 32-bit frame counter would pass 2^32 - 1.
 * - `missing_key`, `conflicting_keys`, `missing_context`: a MIC cannot be computed with
 *   the keys or the frame context (counters, data rate, channel) given.
 * - `unsupported_message`: the operation does not apply to this kind of message.
 */
export type LorawanErrorCode =
  | 'invalid_hex'
  | 'invalid_aes_key'
  | 'invalid_dev_addr'
  | 'invalid_eui64'
  | 'invalid_length'
  | 'unsupported_major'
  | 'rfu_bits_set'
  | 'invalid_rejoin_type'
  | 'invalid_cf_list'
  | 'f_opts_with_f_port_0'
  | 'unknown_mac_command'
  | 'truncated_mac_command'
  | 'invalid_mac_command'
  | 'invalid_value'
  | 'payload_too_long'
  | 'f_cnt_overflow'
  | 'missing_key'
  | 'conflicting_keys'
  | 'missing_context'
  | 'unsupported_message';

/**
 * Every failure of this library: a malformed frame, a bad identifier, a value out of
 * range. `code` is stable; `attributes` name what was wrong (offsets, lengths, fields)
 * and never carry key material. The library throws nothing else for bad input.
 */
export class LorawanError extends CodedError<LorawanErrorCode> {
  override readonly name = 'LorawanError';

  constructor(
    code: LorawanErrorCode,
    message: string,
    attributes: Readonly<Record<string, unknown>>,
    options?: { cause?: unknown },
  ) {
    super(code, message, attributes, options);
  }
}
