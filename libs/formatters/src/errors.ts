import { CodedError } from '@tts-aws-iot/errors';

/**
 * Errors of `@tts-aws-iot/formatters`. A formatter's own failure (it threw, ran too long,
 * returned `errors`, gave output The Things Stack would refuse) is not thrown at the
 * caller: it comes back as the `error` of the decode or encode result, so that an uplink is
 * still delivered without `decoded_payload`, as The Things Stack delivers it. Only a
 * caller's mistake (bad input, bad limits) is thrown.
 */

/**
 * Stable identifiers of formatter failures:
 *
 * | code                        | what                                                                  |
 * | --------------------------- | --------------------------------------------------------------------- |
 * | `formatter_timeout`         | the script ran past the time limit and was interrupted                |
 * | `formatter_memory`          | the script went over the memory limit                                 |
 * | `formatter_stack`           | the script went over the stack limit (too deep a recursion)          |
 * | `formatter_error`           | the script does not compile or threw (including a missing function)   |
 * | `formatter_reported_errors` | the formatter returned a non-empty `errors` (CayenneLPP: bad payload) |
 * | `formatter_output`          | the output is not what The Things Stack accepts, or is too large      |
 * | `formatter_too_large`       | the script is longer than the limit for its origin                    |
 * | `formatter_unsupported`     | a formatter type this engine cannot run (gRPC, unresolved repository) |
 * | `formatter_sandbox`         | the sandbox itself failed (it is replaced for the next call)          |
 * | `formatter_input`           | the caller gave bad input or limits (thrown, never returned)          |
 */
export type FormatterErrorCode =
  | 'formatter_timeout'
  | 'formatter_memory'
  | 'formatter_stack'
  | 'formatter_error'
  | 'formatter_reported_errors'
  | 'formatter_output'
  | 'formatter_too_large'
  | 'formatter_unsupported'
  | 'formatter_sandbox'
  | 'formatter_input';

/**
 * A payload formatter failed, or was called wrongly. `code` is stable; `attributes` say
 * what was wrong (limits, lengths, the formatter's own error strings), never payload bytes.
 * `retryable` is false: the same formatter on the same payload fails the same way, except
 * for `formatter_timeout` and `formatter_sandbox`, which depend on the machine.
 */
export class FormatterError extends CodedError<FormatterErrorCode> {
  override readonly name = 'FormatterError';
  /** Whether running the same formatter on the same input again may succeed. */
  declare readonly retryable: boolean;

  constructor(
    code: FormatterErrorCode,
    message: string,
    /** What the failure is about; the formatter's `errors` under `errors`. */
    attributes: Readonly<Record<string, unknown>> = {},
    options?: { cause?: unknown },
  ) {
    const retryable = code === 'formatter_timeout' || code === 'formatter_sandbox';
    super(code, message, attributes, { ...options, retryable });
  }
}
