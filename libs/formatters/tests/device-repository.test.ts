import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { describeWithSharedReference } from '@tts-aws-iot/test-kit';

import { DEFAULT_SANDBOX_LIMITS, FormatterEngine, type Formatter } from '../src';
import { QuickJsSandbox } from '../src/sandbox';

/**
 * Every example of the Device Repository codec corpus (`device-repository/` of the
 * workspace's reference material: real codecs with the repository's own expected outputs)
 * runs through the engine, in the sandbox, as The Things Stack would run it, and gives the
 * repository's expected `data`, `warnings` and `errors` (and `normalizedOutput`).
 */

interface DecoderExample {
  readonly description: string;
  readonly fPort: number;
  readonly bytes: string;
  readonly output: Expected;
  readonly normalizedOutput?: { readonly data: unknown; readonly warnings?: string[] };
}

interface EncoderExample {
  readonly description: string;
  readonly input: { readonly data: unknown; readonly fPort?: number };
  readonly output: Expected & { readonly bytes?: string; readonly fPort?: number };
}

interface Expected {
  readonly data?: unknown;
  readonly warnings?: string[];
  readonly errors?: string[];
}

interface CodecExamples {
  readonly uplinkDecoder?: DecoderExample[];
  readonly downlinkDecoder?: DecoderExample[];
  readonly downlinkEncoder?: EncoderExample[];
}

const engine = new FormatterEngine();
const sandbox = new QuickJsSandbox(DEFAULT_SANDBOX_LIMITS);

function bytesOf(hex: string): Uint8Array {
  return Uint8Array.from(Buffer.from(hex, 'hex'));
}

/** A decode result gives what the repository expects (an absent list is an empty one). */
function expectDecoded(result: Expected, output: Expected): void {
  expect({ data: result.data, warnings: result.warnings, errors: result.errors }).toEqual({
    data: output.data,
    warnings: output.warnings ?? [],
    errors: output.errors ?? [],
  });
}

function inputOf(example: DecoderExample): { bytes: Uint8Array; fPort: number } {
  return { bytes: bytesOf(example.bytes), fPort: example.fPort };
}

describeWithSharedReference('Device Repository codec corpus', 'device-repository', (corpus) => {
  const codecs = readdirSync(corpus, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();

  it('has codecs to run', () => {
    expect(codecs.length).toBeGreaterThan(0);
  });

  const codec = (name: string) => ({
    name,
    examples: JSON.parse(
      readFileSync(join(corpus, name, 'examples.json'), 'utf8'),
    ) as CodecExamples,
    formatter: {
      type: 'FORMATTER_JAVASCRIPT',
      parameter: readFileSync(join(corpus, name, 'codec.js'), 'utf8'),
      origin: 'repository',
    } satisfies Formatter,
  });
  const loaded = codecs.map(codec);
  const cases = <T>(pick: (examples: CodecExamples) => T[] | undefined) =>
    loaded.flatMap(({ name, examples, formatter }) =>
      (pick(examples) ?? []).map((example) => ({ name, formatter, example })),
    );

  it.each(cases((examples) => examples.uplinkDecoder))(
    '$name uplink: $example.description',
    async ({ formatter, example }) => {
      const result = await engine.decodeUplink(formatter, inputOf(example));
      expectDecoded(result, example.output);
      expect(result.ok).toBe((example.output.errors ?? []).length === 0);
      if (example.normalizedOutput !== undefined) {
        const { data, warnings } = example.normalizedOutput;
        expect(result.normalized).toEqual({
          data: Array.isArray(data) ? data : [data],
          warnings: warnings ?? [],
        });
      }
    },
  );

  it.each(cases((examples) => examples.downlinkDecoder))(
    '$name downlink decode: $example.description',
    async ({ formatter, example }) => {
      expectDecoded(await engine.decodeDownlink(formatter, inputOf(example)), example.output);
    },
  );

  // The Things Stack calls encodeDownlink({data, fPort}) and nothing else; the repository's
  // validator passes an example's input as it stands. Examples whose input has other keys
  // (ellenex/pls2-l reads `input.command`) cannot work through The Things Stack: the engine
  // must give the codec's own answer to the input TTS gives, and the sandbox run the
  // validator's way must give the repository's expected output.
  const encoderCases = cases((examples) => examples.downlinkEncoder);
  const withinContract = encoderCases.filter(({ example }) =>
    Object.keys(example.input).every((key) => key === 'data' || key === 'fPort'),
  );
  const outsideContract = encoderCases.filter((item) => !withinContract.includes(item));

  it.each(withinContract)(
    '$name downlink encode: $example.description',
    async ({ formatter, example }) => {
      const result = await engine.encodeDownlink(formatter, example.input);
      const { bytes, fPort, warnings, errors } = example.output;
      expect({
        bytes: result.bytes === undefined ? undefined : Buffer.from(result.bytes).toString('hex'),
        fPort: result.ok ? result.fPort : undefined,
        warnings: result.warnings,
        errors: result.errors,
      }).toEqual({ bytes, fPort, warnings: warnings ?? [], errors: errors ?? [] });
    },
  );

  it.each(outsideContract)(
    '$name downlink encode outside the TTS contract: $example.description',
    async ({ formatter, example }) => {
      const throughTts = await engine.encodeDownlink(formatter, {
        data: example.input.data,
        ...(example.input.fPort === undefined ? {} : { fPort: example.input.fPort }),
      });
      expect(throughTts.ok).toBe(false);
      expect(throughTts.error?.code).toBe('formatter_reported_errors');

      const asValidator = JSON.parse(
        await sandbox.evaluate(
          `${formatter.parameter}\n;JSON.stringify(encodeDownlink(${JSON.stringify(example.input)}));`,
        ),
      ) as Expected & { bytes?: number[] };
      expect({
        ...asValidator,
        ...(asValidator.bytes === undefined
          ? {}
          : { bytes: Buffer.from(asValidator.bytes).toString('hex') }),
      }).toEqual(example.output);
    },
  );

  it('finds each kind of example', () => {
    expect(cases((examples) => examples.uplinkDecoder).length).toBeGreaterThan(0);
    expect(cases((examples) => examples.downlinkDecoder).length).toBeGreaterThan(0);
    expect(withinContract.length).toBeGreaterThan(0);
  });
});
