import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { FormatterEngine, FormatterError, type Formatter } from '../src';

/** The Things Stack's JavaScript formatter contract, as the engine runs it. */

const engine = new FormatterEngine();

function js(source: string, origin?: 'custom' | 'repository'): Formatter {
  return { type: 'FORMATTER_JAVASCRIPT', parameter: source, ...(origin ? { origin } : {}) };
}

const BYTES = Uint8Array.from([0x0a, 0x14, 0xff]);

describe('uplinks', () => {
  it('calls decodeUplink with the bytes as a list of numbers and the FPort', async () => {
    const result = await engine.decodeUplink(
      js(
        'function decodeUplink(input) { return { data: { bytes: input.bytes, isArray: Array.isArray(input.bytes), fPort: input.fPort, hasTime: "recvTime" in input } }; }',
      ),
      { bytes: BYTES, fPort: 7 },
    );
    expect(result).toEqual({
      ok: true,
      data: { bytes: [10, 20, 255], isArray: true, fPort: 7, hasTime: false },
      warnings: [],
      errors: [],
    });
  });

  it('passes recvTime as a Date when given', async () => {
    const result = await engine.decodeUplink(
      js(
        'function decodeUplink(input) { return { data: { iso: input.recvTime.toISOString(), isDate: input.recvTime instanceof Date } }; }',
      ),
      { bytes: BYTES, fPort: 1, recvTime: new Date('2024-05-01T12:00:00.123Z') },
    );
    expect(result.data).toEqual({ iso: '2024-05-01T12:00:00.123Z', isDate: true });
  });

  it('keeps the warnings of a successful decode', async () => {
    const result = await engine.decodeUplink(
      js('function decodeUplink() { return { data: { a: 1 }, warnings: ["low battery"] }; }'),
      { bytes: BYTES, fPort: 1 },
    );
    expect(result).toEqual({ ok: true, data: { a: 1 }, warnings: ['low battery'], errors: [] });
  });

  it('reports the formatter’s errors as a failed decode, without data', async () => {
    const result = await engine.decodeUplink(
      js(
        'function decodeUplink() { return { data: { partial: true }, errors: ["bad length", "unknown port"], warnings: ["w"] }; }',
      ),
      { bytes: BYTES, fPort: 1 },
    );
    expect(result).toMatchObject({
      ok: false,
      warnings: ['w'],
      errors: ['bad length', 'unknown port'],
    });
    expect(result.data).toBeUndefined();
    expect(result.error).toBeInstanceOf(FormatterError);
    expect(result.error).toMatchObject({
      code: 'formatter_reported_errors',
      message: 'The formatter reported: bad length, unknown port',
      attributes: { errors: ['bad length', 'unknown port'] },
    });
  });

  it('runs normalizeUplink on the decoded data and keeps a single measurement as a list', async () => {
    const result = await engine.decodeUplink(
      js(`
        function decodeUplink(input) { return { data: { celsius: input.bytes[0] } }; }
        function normalizeUplink(input) {
          return { data: { air: { temperature: input.data.celsius } }, warnings: ["estimated"] };
        }`),
      { bytes: BYTES, fPort: 1 },
    );
    expect(result).toEqual({
      ok: true,
      data: { celsius: 10 },
      warnings: [],
      errors: [],
      normalized: { data: [{ air: { temperature: 10 } }], warnings: ['estimated'] },
    });
  });

  it('keeps a list of normalized measurements as it is', async () => {
    const result = await engine.decodeUplink(
      js(`
        function decodeUplink() { return { data: { a: 1 } }; }
        function normalizeUplink() { return { data: [{ m: 1 }, { m: 2 }] }; }`),
      { bytes: BYTES, fPort: 1 },
    );
    expect(result.normalized).toEqual({ data: [{ m: 1 }, { m: 2 }], warnings: [] });
  });

  it('does not normalize when the decoder reported errors or gave no data', async () => {
    const marker = 'function normalizeUplink() { throw new Error("must not run"); }';
    const failed = await engine.decodeUplink(
      js(`function decodeUplink() { return { errors: ["no"] }; } ${marker}`),
      { bytes: BYTES, fPort: 1 },
    );
    expect(failed.error?.code).toBe('formatter_reported_errors');
    const empty = await engine.decodeUplink(
      js(`function decodeUplink() { return { warnings: ["nothing"] }; } ${marker}`),
      { bytes: BYTES, fPort: 1 },
    );
    expect(empty).toEqual({ ok: true, warnings: ['nothing'], errors: [] });
  });

  it('fails the decode when normalizeUplink reports errors', async () => {
    const result = await engine.decodeUplink(
      js(`
        function decodeUplink() { return { data: { a: 1 }, warnings: ["w"] }; }
        function normalizeUplink() { return { errors: ["cannot normalize"] }; }`),
      { bytes: BYTES, fPort: 1 },
    );
    expect(result).toMatchObject({ ok: false, errors: ['cannot normalize'], warnings: ['w'] });
    expect(result.data).toBeUndefined();
    expect(result.normalized).toBeUndefined();
  });

  it('refuses a normalized measurement that is not an object', async () => {
    const result = await engine.decodeUplink(
      js(`
        function decodeUplink() { return { data: { a: 1 } }; }
        function normalizeUplink() { return { data: [{ m: 1 }, 2] }; }`),
      { bytes: BYTES, fPort: 1 },
    );
    expect(result.error).toMatchObject({
      code: 'formatter_output',
      message:
        "The formatter's output is invalid: normalized measurement 2 is a number, not an object.",
    });
  });

  it('falls back to the legacy Decoder(bytes, port)', async () => {
    const result = await engine.decodeUplink(
      js('function Decoder(bytes, port) { return { first: bytes[0], port: port }; }'),
      { bytes: BYTES, fPort: 9 },
    );
    expect(result).toEqual({ ok: true, data: { first: 10, port: 9 }, warnings: [], errors: [] });
  });

  it('says so when the script defines neither decodeUplink nor Decoder', async () => {
    const result = await engine.decodeUplink(js('function encodeDownlink() {}'), {
      bytes: BYTES,
      fPort: 1,
    });
    expect(result.error).toMatchObject({
      code: 'formatter_error',
      message:
        'The formatter failed: ReferenceError: the formatter defines neither decodeUplink nor Decoder',
    });
  });

  it.each([
    ['NaN', 'NaN', 'field "x" is NaN, which JSON cannot hold'],
    ['Infinity', '1 / 0', 'field "x" is Infinity, which JSON cannot hold'],
    [
      'a BigInt',
      '10n',
      'it does not convert to JSON (TypeError: Do not know how to serialize a BigInt)',
    ],
  ])('refuses output with %s, as The Things Stack does', async (_what, value, problem) => {
    const result = await engine.decodeUplink(
      js(`function decodeUplink() { return { data: { x: ${value} } }; }`),
      { bytes: BYTES, fPort: 1 },
    );
    expect(result.error).toMatchObject({
      code: 'formatter_output',
      message: `The formatter's output is invalid: ${problem}.`,
    });
  });

  it.each([
    ['data that is a list', 'return { data: [1, 2] };', 'data is a list, not an object'],
    ['data that is a number', 'return { data: 3 };', 'data is a number, not an object'],
    [
      'warnings that are no strings',
      'return { data: {}, warnings: [1] };',
      'warnings is a list, not a list of strings',
    ],
    [
      'errors that are a string',
      'return { errors: "bad" };',
      'errors is a string, not a list of strings',
    ],
    [
      'a result that is a string',
      'return "data";',
      'decodeUplink’s result is a string, not an object',
    ],
  ])('refuses %s', async (_what, body, problem) => {
    const result = await engine.decodeUplink(js(`function decodeUplink() { ${body} }`), {
      bytes: BYTES,
      fPort: 1,
    });
    expect(result.error?.message).toBe(`The formatter's output is invalid: ${problem}.`);
  });

  it('reports a decoder that returns nothing as a script error, as The Things Stack does', async () => {
    const result = await engine.decodeUplink(js('function decodeUplink() {}'), {
      bytes: BYTES,
      fPort: 1,
    });
    expect(result.error).toMatchObject({ code: 'formatter_error' });
    expect(result.error?.message).toMatch(/TypeError/);
  });

  it('decodes nothing for FORMATTER_NONE and for FPort 0', async () => {
    const none = await engine.decodeUplink({ type: 'FORMATTER_NONE' }, { bytes: BYTES, fPort: 1 });
    expect(none).toEqual({ ok: true, warnings: [], errors: [] });
    const port0 = await engine.decodeUplink(
      js('function decodeUplink() { throw new Error("x"); }'),
      {
        bytes: BYTES,
        fPort: 0,
      },
    );
    expect(port0).toEqual({ ok: true, warnings: [], errors: [] });
  });

  it('decodes CayenneLPP natively', async () => {
    const result = await engine.decodeUplink(
      { type: 'FORMATTER_CAYENNELPP' },
      { bytes: Uint8Array.from([0x03, 0x67, 0x01, 0x10, 0x05, 0x67, 0x00, 0xff]), fPort: 1 },
    );
    expect(result).toEqual({
      ok: true,
      data: { temperature_3: 27.200000762939453, temperature_5: 25.5 },
      warnings: [],
      errors: [],
    });
  });

  it('reports a payload that is not CayenneLPP', async () => {
    const result = await engine.decodeUplink(
      { type: 'FORMATTER_CAYENNELPP' },
      { bytes: Uint8Array.from([0x01, 0x99, 0x00]), fPort: 1 },
    );
    expect(result.error).toMatchObject({
      code: 'formatter_error',
      message: 'Invalid CayenneLPP payload: type 0x99 at byte 1 is not a CayenneLPP type.',
    });
  });

  it.each([
    ['FORMATTER_REPOSITORY', /must be resolved to the Device Repository script first/],
    ['FORMATTER_GRPC_SERVICE', /not supported/],
    ['FORMATTER_SOMETHING_NEW', /Formatter type FORMATTER_SOMETHING_NEW is unknown/],
  ])('reports %s as unsupported', async (type, message) => {
    const result = await engine.decodeUplink({ type } as unknown as Formatter, {
      bytes: BYTES,
      fPort: 1,
    });
    expect(result.error?.code).toBe('formatter_unsupported');
    expect(result.error?.message).toMatch(message);
  });

  it('refuses a custom script over 40 960 characters, not a Device Repository one', async () => {
    const long = `function decodeUplink() { return { data: {} }; }\n//${'x'.repeat(41_000)}`;
    const custom = await engine.decodeUplink(js(long), { bytes: BYTES, fPort: 1 });
    expect(custom.error).toMatchObject({
      code: 'formatter_too_large',
      message: `The custom formatter script has ${long.length} characters, over the limit of 40960.`,
    });
    const repository = await engine.decodeUplink(js(long, 'repository'), {
      bytes: BYTES,
      fPort: 1,
    });
    expect(repository.ok).toBe(true);
  });

  it.each([
    [
      'bytes that are no Uint8Array',
      { bytes: [1, 2] as unknown as Uint8Array, fPort: 1 },
      'bytes must be a Uint8Array',
    ],
    [
      'an FPort over 255',
      { bytes: BYTES, fPort: 256 },
      'fPort is 256; give an integer from 0 to 255',
    ],
    [
      'an FPort that is no integer',
      { bytes: BYTES, fPort: 1.5 },
      'fPort is 1.5; give an integer from 0 to 255',
    ],
    [
      'an invalid recvTime',
      { bytes: BYTES, fPort: 1, recvTime: new Date(NaN) },
      'recvTime is not a valid Date',
    ],
  ])('throws for %s', async (_what, input, problem) => {
    await expect(
      engine.decodeUplink(js('function decodeUplink() {}'), input),
    ).rejects.toMatchObject({
      code: 'formatter_input',
      message: `Invalid formatter input: ${problem}.`,
    });
  });
});

describe('downlinks', () => {
  it('calls encodeDownlink with data and fPort and takes its bytes and fPort', async () => {
    const result = await engine.encodeDownlink(
      js(
        'function encodeDownlink(input) { return { bytes: [input.data.level, input.fPort], fPort: 3, warnings: ["clamped"] }; }',
      ),
      { data: { level: 7 }, fPort: 2 },
    );
    expect(result).toEqual({
      ok: true,
      bytes: Uint8Array.from([7, 2]),
      fPort: 3,
      warnings: ['clamped'],
      errors: [],
    });
  });

  it('takes the request’s fPort when the encoder gives none, else 1', async () => {
    const formatter = js('function encodeDownlink() { return { bytes: [1] }; }');
    await expect(engine.encodeDownlink(formatter, { data: {}, fPort: 5 })).resolves.toMatchObject({
      fPort: 5,
    });
    await expect(engine.encodeDownlink(formatter, { data: {} })).resolves.toMatchObject({
      fPort: 1,
    });
  });

  it('falls back to the legacy Encoder(object, port)', async () => {
    const result = await engine.encodeDownlink(
      js('function Encoder(object, port) { return [object.on ? 1 : 0, port]; }'),
      { data: { on: true }, fPort: 4 },
    );
    expect(result).toEqual({
      ok: true,
      bytes: Uint8Array.from([1, 4]),
      fPort: 4,
      warnings: [],
      errors: [],
    });
  });

  it('reports the encoder’s errors', async () => {
    const result = await engine.encodeDownlink(
      js('function encodeDownlink() { return { errors: ["unknown command"] }; }'),
      { data: {} },
    );
    expect(result).toMatchObject({ ok: false, errors: ['unknown command'], warnings: [] });
    expect(result.bytes).toBeUndefined();
  });

  it.each([
    ['no bytes', 'return {};', 'bytes is missing, not a list of integers from 0 to 255'],
    [
      'a byte over 255',
      'return { bytes: [256] };',
      'bytes is a list, not a list of integers from 0 to 255',
    ],
    [
      'an fPort of 0',
      'return { bytes: [1], fPort: 0 };',
      'fPort is 0, not an integer from 1 to 255',
    ],
  ])('refuses an encoder output with %s', async (_what, body, problem) => {
    const result = await engine.encodeDownlink(js(`function encodeDownlink() { ${body} }`), {
      data: {},
    });
    expect(result.error?.message).toBe(`The formatter's output is invalid: ${problem}.`);
  });

  it('encodes CayenneLPP natively', async () => {
    const result = await engine.encodeDownlink(
      { type: 'FORMATTER_CAYENNELPP' },
      { data: { value_2: -50.51, other: 'ignored' } },
    );
    expect(result).toEqual({
      ok: true,
      bytes: Uint8Array.from([0x02, 0xec, 0x45]),
      fPort: 1,
      warnings: [],
      errors: [],
    });
  });

  it('cannot encode without a formatter', async () => {
    const result = await engine.encodeDownlink({ type: 'FORMATTER_NONE' }, { data: { a: 1 } });
    expect(result.error).toMatchObject({ code: 'formatter_unsupported' });
    expect(result.error?.message).toMatch(/send bytes instead/);
  });

  it('throws for a request FPort outside 1–255', async () => {
    await expect(
      engine.encodeDownlink(js('function encodeDownlink() {}'), { data: {}, fPort: 0 }),
    ).rejects.toMatchObject({ code: 'formatter_input' });
  });

  it('decodes a downlink with decodeDownlink, which has no legacy form', async () => {
    const formatter = js(
      'function decodeDownlink(input) { return { data: { level: input.bytes[0] }, warnings: [] }; }',
    );
    await expect(engine.decodeDownlink(formatter, { bytes: BYTES, fPort: 2 })).resolves.toEqual({
      ok: true,
      data: { level: 10 },
      warnings: [],
      errors: [],
    });
    const legacy = await engine.decodeDownlink(js('function Decoder() { return {}; }'), {
      bytes: BYTES,
      fPort: 2,
    });
    expect(legacy.error?.message).toMatch(/defines no decodeDownlink/);
  });
});

describe('the engine', () => {
  it('loads the sandbox ahead of the first call when asked', async () => {
    const fresh = new FormatterEngine();
    await expect(fresh.ready()).resolves.toBeUndefined();
  });

  it('measures the time limit on the clock it is given', async () => {
    let reads = 0;
    const ticking = new FormatterEngine({
      limits: { timeoutMs: 50 },
      now: () => (reads += 1) * 10,
    });
    const result = await ticking.decodeUplink(js('function decodeUplink() { for (;;) {} }'), {
      bytes: BYTES,
      fPort: 1,
    });
    expect(result.error).toMatchObject({
      code: 'formatter_timeout',
      message: 'The formatter used more than 50 ms of time and was stopped.',
      attributes: { limit: 50, clock: 'time' },
    });
    expect(reads).toBeGreaterThan(5);
  });

  it('fails each JavaScript call with the missing WebAssembly file named, and goes on serving', async () => {
    const wasmFile = join(tmpdir(), 'no-such-folder', 'emscripten-module.wasm');
    const missing = new FormatterEngine({ wasmFile });
    const formatter = js('function decodeUplink() { return { data: {} }; }');
    for (let call = 0; call < 2; call++) {
      const result = await missing.decodeUplink(formatter, { bytes: BYTES, fPort: 1 });
      expect(result.ok).toBe(false);
      expect(result.error).toMatchObject({
        code: 'formatter_sandbox',
        message: `The QuickJS WebAssembly file ${wasmFile} could not be loaded (it is missing): ship emscripten-module.wasm beside the bundle, as the Lambda build and \`npm run package\` do.`,
        attributes: { file: wasmFile },
      });
    }
    const cayenne = await missing.decodeUplink(
      { type: 'FORMATTER_CAYENNELPP' },
      { bytes: Uint8Array.of(1, 0x67, 0x01, 0x10), fPort: 1 },
    );
    expect(cayenne).toMatchObject({ ok: true, data: { temperature_1: 27.200000762939453 } });
  });

  it('refuses limits looser than the defaults', () => {
    expect(() => new FormatterEngine({ limits: { timeoutMs: 101 } })).toThrow(
      'Sandbox limit timeoutMs is 101: give an integer from 1 to 100 (the limits may be tightened, not loosened).',
    );
    expect(() => new FormatterEngine({ limits: { memoryBytes: 21 * 1024 * 1024 + 1 } })).toThrow(
      /memoryBytes .* in whole 64 KiB pages/,
    );
    expect(() => new FormatterEngine({ limits: { memoryBytes: 16 * 1024 * 1024 } })).toThrow(
      /from 20971520 to 33554432/,
    );
  });
});
