import { decodeCayenneLpp, encodeCayenneLpp } from './cayennelpp';
import { FormatterError } from './errors';
import {
  byteList,
  objectField,
  optionalFPort,
  optionalObjectField,
  parseScriptOutput,
  scriptProgram,
  stringList,
  type ScriptEntry,
} from './javascript';
import { resolveLimits, type SandboxLimits } from './limits';
import { QuickJsSandbox } from './sandbox';
import type {
  DownlinkDecodeInput,
  DownlinkDecodeResult,
  DownlinkEncodeInput,
  DownlinkEncodeResult,
  Formatter,
  NormalizedUplink,
  UplinkDecodeInput,
  UplinkDecodeResult,
} from './types';

/** The FPort a downlink goes on when neither the encoder nor the request gives one. */
const DEFAULT_DOWNLINK_F_PORT = 1;

/** A formatter that goes through every step of a call: compile, decode, normalize, output. */
const WARM_UP_FORMATTER: Formatter = {
  type: 'FORMATTER_JAVASCRIPT',
  parameter:
    'function decodeUplink(input) { return { data: { value: input.bytes[0] / 2 }, warnings: [] }; }\n' +
    'function normalizeUplink(input) { return { data: { battery: input.data.value } }; }',
};

/** Options of a `FormatterEngine`. */
export interface FormatterEngineOptions {
  /** Tighter limits than the defaults (`DEFAULT_SANDBOX_LIMITS`), which are also the maxima. */
  readonly limits?: Partial<SandboxLimits>;
  /** The clock `timeoutMs` is measured on (milliseconds); this thread's CPU time by default. */
  readonly now?: () => number;
  /**
   * QuickJS's WebAssembly file (`emscripten-module.wasm`), read on the first JavaScript
   * formatter; by default the one beside the bundle, else the installed variant's.
   */
  readonly wasmFile?: string;
}

/**
 * Runs The Things Stack's payload formatters outside The Things Stack, with the same
 * contract: JavaScript (`decodeUplink`/`normalizeUplink`, `encodeDownlink`,
 * `decodeDownlink`, the legacy `Decoder`/`Encoder`) in a QuickJS WebAssembly sandbox, a
 * fresh one per call; CayenneLPP natively. A formatter's failure comes back in the result
 * (`ok: false`, `error`), never as an exception; only bad input from the caller throws
 * `FormatterError` `formatter_input`. One engine per Lambda container is enough: it holds
 * only the WebAssembly module, never a formatter's state.
 */
export class FormatterEngine {
  readonly limits: Readonly<SandboxLimits>;
  private readonly sandbox: QuickJsSandbox;

  constructor(options: FormatterEngineOptions = {}) {
    this.limits = resolveLimits(options.limits);
    const clock = options.now === undefined ? undefined : { now: options.now, measures: 'time' };
    this.sandbox = new QuickJsSandbox(this.limits, clock, options.wasmFile);
  }

  /**
   * Creates the sandbox ahead of the first call, for a Lambda's init phase: instantiates the
   * WebAssembly module and runs one small formatter through it, so that V8 has compiled
   * the code every call goes through (it compiles WebAssembly functions on first use).
   */
  async ready(): Promise<void> {
    await this.sandbox.ready();
    const warmUp = await this.decodeUplink(WARM_UP_FORMATTER, {
      bytes: Uint8Array.of(1),
      fPort: 1,
    });
    if (!warmUp.ok) throw warmUp.error;
  }

  /**
   * Decodes an uplink's FRMPayload with `formatter`. `FORMATTER_NONE` and FPort 0 give an
   * `ok` result without `data`, as The Things Stack decodes neither.
   */
  async decodeUplink(formatter: Formatter, input: UplinkDecodeInput): Promise<UplinkDecodeResult> {
    checkUplinkInput(input);
    if (formatter.type === 'FORMATTER_NONE' || input.fPort === 0) {
      return { ok: true, warnings: [], errors: [] };
    }
    try {
      if (formatter.type === 'FORMATTER_CAYENNELPP') {
        return { ok: true, data: decodeCayenneLpp(input.bytes), warnings: [], errors: [] };
      }
      return uplinkResult(
        await this.run(formatter, 'uplink', {
          bytes: Array.from(input.bytes),
          fPort: input.fPort,
          ...(input.recvTime === undefined ? {} : { recvTime: input.recvTime.getTime() }),
        }),
      );
    } catch (error) {
      return failed(error);
    }
  }

  /**
   * Encodes a downlink's decoded payload with `formatter`. The FPort is the encoder's,
   * else the request's, else 1. `FORMATTER_NONE` cannot encode: it fails
   * `formatter_unsupported`, since a decoded payload then has no bytes to send.
   */
  async encodeDownlink(
    formatter: Formatter,
    input: DownlinkEncodeInput,
  ): Promise<DownlinkEncodeResult> {
    if (input.fPort !== undefined) checkFPort(input.fPort, 1);
    try {
      if (formatter.type === 'FORMATTER_CAYENNELPP') {
        const bytes = encodeCayenneLpp(objectField(input.data, 'the payload'));
        return encodedResult({ bytes: Array.from(bytes) }, input.fPort);
      }
      const output = await this.run(formatter, 'downlinkEncode', {
        data: input.data,
        fPort: input.fPort,
      });
      return encodedResult(output, input.fPort);
    } catch (error) {
      return failed(error);
    }
  }

  /** Decodes a downlink's FRMPayload with the formatter's `decodeDownlink`. */
  async decodeDownlink(
    formatter: Formatter,
    input: DownlinkDecodeInput,
  ): Promise<DownlinkDecodeResult> {
    checkBytes(input.bytes);
    checkFPort(input.fPort, 1);
    const argument = { bytes: Array.from(input.bytes), fPort: input.fPort };
    try {
      return decodedResult(await this.run(formatter, 'downlinkDecode', argument));
    } catch (error) {
      return failed(error);
    }
  }

  /** Runs a JavaScript formatter's `entry` in a fresh sandbox; other types fail here. */
  private async run(
    formatter: Formatter,
    entry: ScriptEntry,
    input: unknown,
  ): Promise<Record<string, unknown>> {
    const script = this.scriptOf(formatter);
    const output = await this.sandbox.evaluate(scriptProgram(script, entry, input));
    return objectField(parseScriptOutput(output), 'the result');
  }

  private scriptOf(formatter: Formatter): string {
    if (formatter.type !== 'FORMATTER_JAVASCRIPT') {
      throw new FormatterError(
        'formatter_unsupported',
        UNSUPPORTED[formatter.type] ?? `Formatter type ${String(formatter.type)} is unknown.`,
        { formatter: formatter.type },
      );
    }
    const script = formatter.parameter ?? '';
    const fromRepository = formatter.origin === 'repository';
    const limit = fromRepository
      ? this.limits.maxRepositoryScriptLength
      : this.limits.maxScriptLength;
    if (script.length > limit) {
      throw new FormatterError(
        'formatter_too_large',
        `The ${fromRepository ? 'Device Repository' : 'custom'} formatter script has ${script.length} characters, ` +
          `over the limit of ${limit}.`,
        { length: script.length, limit },
      );
    }
    return script;
  }
}

const UNSUPPORTED: Readonly<Partial<Record<string, string>>> = {
  FORMATTER_NONE:
    'The formatter is FORMATTER_NONE: a decoded payload cannot be encoded; send bytes instead.',
  FORMATTER_REPOSITORY:
    'FORMATTER_REPOSITORY must be resolved to the Device Repository script first (by the device’s version_ids).',
  FORMATTER_GRPC_SERVICE:
    'FORMATTER_GRPC_SERVICE formatters are not supported (The Things Stack has not implemented them either).',
};

/** The uplink result from the wrapper's `{decoded, normalized}`. */
function uplinkResult(output: Record<string, unknown>): UplinkDecodeResult {
  const decoded = decodedResult(objectField(output['decoded'], 'decodeUplink’s result'));
  if (!decoded.ok || output['normalized'] === undefined || output['normalized'] === null) {
    return decoded;
  }
  const normalizer = objectField(output['normalized'], 'normalizeUplink’s result');
  const warnings = stringList(normalizer['warnings'], 'normalizeUplink’s warnings');
  const errors = stringList(normalizer['errors'], 'normalizeUplink’s errors');
  if (errors.length > 0) return failed(reportedErrors(errors), decoded.warnings);
  const data = normalizer['data'];
  if (data === undefined || data === null) return decoded;
  const measurements = Array.isArray(data) ? data : [data];
  const normalized: NormalizedUplink = {
    data: measurements.map((item, index) =>
      objectField(item, `normalized measurement ${index + 1}`),
    ),
    warnings,
  };
  return { ...decoded, normalized };
}

/** `{data, warnings, errors}` of a decoder. */
function decodedResult(output: Record<string, unknown>): DownlinkDecodeResult {
  const warnings = stringList(output['warnings'], 'warnings');
  const errors = stringList(output['errors'], 'errors');
  if (errors.length > 0) return failed(reportedErrors(errors), warnings);
  const data = optionalObjectField(output['data'], 'data');
  return { ok: true, ...(data === undefined ? {} : { data }), warnings, errors: [] };
}

/** `{bytes, fPort, warnings, errors}` of an encoder; the FPort falls back to the request's, then 1. */
function encodedResult(output: Record<string, unknown>, requested?: number): DownlinkEncodeResult {
  const warnings = stringList(output['warnings'], 'warnings');
  const errors = stringList(output['errors'], 'errors');
  if (errors.length > 0) return failed(reportedErrors(errors), warnings);
  const fPort = optionalFPort(output['fPort']) ?? requested ?? DEFAULT_DOWNLINK_F_PORT;
  return { ok: true, bytes: byteList(output['bytes']), fPort, warnings, errors: [] };
}

function reportedErrors(errors: string[]): FormatterError {
  return new FormatterError(
    'formatter_reported_errors',
    `The formatter reported: ${errors.join(', ')}`,
    {
      errors,
    },
  );
}

/** A failed result; a non-formatter error (a bug here) is rethrown. */
function failed(
  error: unknown,
  warnings: string[] = [],
): { ok: false; warnings: string[]; errors: string[]; error: FormatterError } {
  if (!(error instanceof FormatterError)) throw error;
  const errors =
    error.code === 'formatter_reported_errors'
      ? [...(error.attributes['errors'] as string[])]
      : [error.message];
  return { ok: false, warnings, errors, error };
}

function checkUplinkInput(input: UplinkDecodeInput): void {
  checkBytes(input.bytes);
  checkFPort(input.fPort, 0);
  const { recvTime } = input;
  if (recvTime !== undefined && (!(recvTime instanceof Date) || Number.isNaN(recvTime.getTime()))) {
    throw inputError('recvTime is not a valid Date');
  }
}

function checkBytes(bytes: unknown): void {
  if (!(bytes instanceof Uint8Array)) throw inputError('bytes must be a Uint8Array');
}

function checkFPort(fPort: unknown, minimum: number): void {
  if (!Number.isInteger(fPort) || (fPort as number) < minimum || (fPort as number) > 255) {
    throw inputError(`fPort is ${String(fPort)}; give an integer from ${minimum} to 255`);
  }
}

function inputError(problem: string): FormatterError {
  return new FormatterError('formatter_input', `Invalid formatter input: ${problem}.`, { problem });
}
