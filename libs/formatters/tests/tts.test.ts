import {
  FormatterEngine,
  FormatterError,
  formatterErrorDetails,
  formattersOf,
  uplinkMessageFields,
  type Formatter,
  type FormatterErrorCode,
} from '../src';

const engine = new FormatterEngine();
const BYTES = Uint8Array.from([1, 2]);

function js(source: string): Formatter {
  return { type: 'FORMATTER_JAVASCRIPT', parameter: source };
}

describe('uplinkMessageFields', () => {
  it('gives decoded_payload, its warnings and normalized_payload as The Things Stack sets them', async () => {
    const result = await engine.decodeUplink(
      js(`
        function decodeUplink(input) { return { data: { a: input.bytes[0] }, warnings: ["w"] }; }
        function normalizeUplink() { return { data: { air: { temperature: 20 } }, warnings: ["n"] }; }`),
      { bytes: BYTES, fPort: 1 },
    );
    expect(uplinkMessageFields(result)).toEqual({
      decoded_payload: { a: 1 },
      decoded_payload_warnings: ['w'],
      normalized_payload: [{ air: { temperature: 20 } }],
      normalized_payload_warnings: ['n'],
    });
  });

  it('leaves out empty lists, as The Things Stack leaves out zero values', async () => {
    const result = await engine.decodeUplink(
      js('function decodeUplink() { return { data: { a: 1 } }; }'),
      {
        bytes: BYTES,
        fPort: 1,
      },
    );
    expect(uplinkMessageFields(result)).toEqual({ decoded_payload: { a: 1 } });
  });

  it('sets nothing for a failed or skipped decode (the uplink keeps only frm_payload)', async () => {
    const failed = await engine.decodeUplink(
      js('function decodeUplink() { return { errors: ["x"] }; }'),
      {
        bytes: BYTES,
        fPort: 1,
      },
    );
    expect(uplinkMessageFields(failed)).toEqual({});
    const none = await engine.decodeUplink({ type: 'FORMATTER_NONE' }, { bytes: BYTES, fPort: 1 });
    expect(uplinkMessageFields(none)).toEqual({});
  });
});

describe('formatterErrorDetails', () => {
  it('gives output_errors with the errors joined by ", " for errors the formatter reported', async () => {
    const result = await engine.decodeUplink(
      js('function decodeUplink() { return { errors: ["bad length", "unknown port"] }; }'),
      { bytes: BYTES, fPort: 1 },
    );
    expect(formatterErrorDetails(result.error!)).toEqual({
      namespace: 'pkg/messageprocessors/javascript',
      name: 'output_errors',
      message_format: '{errors}',
      attributes: { errors: 'bad length, unknown port' },
      code: 10,
    });
  });

  it('gives script with the message for a formatter that threw', async () => {
    const result = await engine.decodeUplink(
      js('function decodeUplink() { throw new RangeError("no"); }'),
      {
        bytes: BYTES,
        fPort: 1,
      },
    );
    expect(formatterErrorDetails(result.error!)).toEqual({
      namespace: 'pkg/scripting/javascript',
      name: 'script',
      message_format: '{message}',
      attributes: { message: 'The formatter failed: RangeError: no' },
      code: 10,
    });
  });

  it('gives no_script_output for a formatter that returned nothing', () => {
    const error = new FormatterError('formatter_output', 'The formatter returned nothing.', {
      tts: 'no_script_output',
    });
    expect(formatterErrorDetails(error)).toEqual({
      namespace: 'pkg/scripting/javascript',
      name: 'no_script_output',
      message_format: 'no script output',
      code: 10,
    });
  });

  it('gives CayenneLPP’s output error for a payload that is not CayenneLPP', async () => {
    const result = await engine.decodeUplink(
      { type: 'FORMATTER_CAYENNELPP' },
      { bytes: Uint8Array.from([1]), fPort: 1 },
    );
    expect(formatterErrorDetails(result.error!)).toMatchObject({
      namespace: 'pkg/messageprocessors/cayennelpp',
      name: 'output',
      code: 2,
    });
  });

  it.each<[FormatterErrorCode, string, string, number]>([
    ['formatter_timeout', 'pkg/scripting/javascript', 'script_timeout', 4],
    ['formatter_memory', 'pkg/scripting/javascript', 'script', 10],
    ['formatter_stack', 'pkg/scripting/javascript', 'script', 10],
    ['formatter_output', 'pkg/messageprocessors/javascript', 'output', 2],
    ['formatter_too_large', 'tts-aws-iot/formatters', 'script_too_large', 3],
    ['formatter_unsupported', 'tts-aws-iot/formatters', 'formatter_unsupported', 12],
    ['formatter_sandbox', 'tts-aws-iot/formatters', 'sandbox', 14],
    ['formatter_input', 'tts-aws-iot/formatters', 'input', 3],
  ])('maps %s to %s:%s (code %d) with the message', (code, namespace, name, grpcCode) => {
    const details = formatterErrorDetails(new FormatterError(code, `what happened (${code})`));
    expect(details).toMatchObject({ namespace, name, code: grpcCode });
    expect(details.attributes).toEqual({ message: `what happened (${code})` });
  });
});

describe('formattersOf', () => {
  it('takes both directions from MessagePayloadFormatters', () => {
    expect(
      formattersOf({
        up_formatter: 'FORMATTER_JAVASCRIPT',
        up_formatter_parameter: 'function decodeUplink() {}',
        down_formatter: 'FORMATTER_CAYENNELPP',
      }),
    ).toEqual({
      uplink: { type: 'FORMATTER_JAVASCRIPT', parameter: 'function decodeUplink() {}' },
      downlink: { type: 'FORMATTER_CAYENNELPP' },
    });
  });

  it('makes an absent formatter FORMATTER_NONE (zero values are left out of the JSON)', () => {
    expect(formattersOf(undefined)).toEqual({
      uplink: { type: 'FORMATTER_NONE' },
      downlink: { type: 'FORMATTER_NONE' },
    });
  });
});
