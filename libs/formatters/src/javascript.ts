import { FormatterError } from './errors';

/**
 * The JavaScript formatter contract of The Things Stack: which function is called with
 * what, and what of its result is accepted. The script runs with a wrapper appended, as
 * The Things Stack appends one; the wrapper turns the result into JSON inside the sandbox
 * (refusing NaN and ±Infinity, which The Things Stack's output conversion refuses) and the
 * host checks its shape here.
 */

/** The wrapper's entry point; unlikely to clash with a formatter's own names. */
const ENTRY = '__ttsAwsIotFormatterMain';

/**
 * JSON of the formatter's result, `{"result": …}`, or `{"invalid": "<why>"}` when it has a
 * number JSON cannot hold or cannot be converted at all. The sandbox's own errors (memory,
 * interrupt) are rethrown so that they are reported as such.
 */
const OUTPUT = `
function __ttsAwsIotFormatterOutput(value) {
  var problem;
  var text;
  try {
    text = JSON.stringify(value, function (key, item) {
      if (typeof item === 'number' && !isFinite(item) && problem === undefined) {
        problem = (key === '' ? 'a value' : 'field "' + key + '"') + ' is ' + String(item);
      }
      return item;
    });
  } catch (error) {
    if (error instanceof InternalError) throw error;
    return JSON.stringify({ invalid: 'it does not convert to JSON (' + String(error) + ')' });
  }
  if (problem !== undefined) return JSON.stringify({ invalid: problem + ', which JSON cannot hold' });
  return text === undefined ? '{}' : '{"result":' + text + '}';
}`;

/** Uplinks: `decodeUplink` then `normalizeUplink`, else the legacy `Decoder(bytes, fPort)`. */
const UPLINK = `
function ${ENTRY}(input) {
  var bytes = input.bytes.slice();
  if (typeof decodeUplink !== 'function') {
    if (typeof Decoder !== 'function') {
      throw new ReferenceError('the formatter defines neither decodeUplink nor Decoder');
    }
    return __ttsAwsIotFormatterOutput({ decoded: { data: Decoder(bytes, input.fPort) } });
  }
  var argument = { bytes: bytes, fPort: input.fPort };
  if (input.recvTime !== undefined) argument.recvTime = new Date(input.recvTime);
  var decoded = decodeUplink(argument);
  var errors = decoded.errors;
  var normalized;
  if ((!errors || !errors.length) && decoded.data && typeof normalizeUplink === 'function') {
    normalized = normalizeUplink({ data: decoded.data });
  }
  return __ttsAwsIotFormatterOutput({ decoded: decoded, normalized: normalized });
}`;

/** Downlinks: `encodeDownlink`, else the legacy `Encoder(data, fPort)`. */
const DOWNLINK_ENCODE = `
function ${ENTRY}(input) {
  if (typeof encodeDownlink === 'function') {
    return __ttsAwsIotFormatterOutput(encodeDownlink({ data: input.data, fPort: input.fPort }));
  }
  if (typeof Encoder !== 'function') {
    throw new ReferenceError('the formatter defines neither encodeDownlink nor Encoder');
  }
  return __ttsAwsIotFormatterOutput({ bytes: Encoder(input.data, input.fPort), fPort: input.fPort });
}`;

/** Downlink decoding: `decodeDownlink` only (it has no legacy form). */
const DOWNLINK_DECODE = `
function ${ENTRY}(input) {
  if (typeof decodeDownlink !== 'function') {
    throw new ReferenceError('the formatter defines no decodeDownlink');
  }
  return __ttsAwsIotFormatterOutput(decodeDownlink({ bytes: input.bytes.slice(), fPort: input.fPort }));
}`;

/** Which function of the script a call runs. */
export type ScriptEntry = 'uplink' | 'downlinkEncode' | 'downlinkDecode';

const WRAPPERS: Readonly<Record<ScriptEntry, string>> = {
  uplink: UPLINK,
  downlinkEncode: DOWNLINK_ENCODE,
  downlinkDecode: DOWNLINK_DECODE,
};

/**
 * The program the sandbox evaluates: the script, the wrapper, and the call with `input`
 * (JSON-parsed inside the sandbox, so that the formatter gets plain data and nothing of the
 * host). Its completion value is the wrapper's JSON text.
 */
export function scriptProgram(script: string, entry: ScriptEntry, input: unknown): string {
  const json = JSON.stringify(JSON.stringify(input));
  return `${script}\n;${OUTPUT}\n${WRAPPERS[entry]}\n${ENTRY}(JSON.parse(${json}));\n`;
}

/** The formatter's result from the wrapper's JSON text; `formatter_output` when unusable. */
export function parseScriptOutput(text: string): unknown {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw outputError('it is not the JSON the wrapper gives (was the wrapper tampered with?)');
  }
  if (!isPlainObject(parsed)) throw outputError('it is not the JSON the wrapper gives');
  if (typeof parsed['invalid'] === 'string') throw outputError(parsed['invalid']);
  if (parsed['result'] === undefined || parsed['result'] === null) {
    throw new FormatterError('formatter_output', 'The formatter returned nothing.', {
      tts: 'no_script_output',
    });
  }
  return parsed['result'];
}

/** `value` as an object, or `formatter_output` saying what `what` should have been. */
export function objectField(value: unknown, what: string): Record<string, unknown> {
  if (!isPlainObject(value)) throw outputError(`${what} is ${kindOf(value)}, not an object`);
  return value;
}

/** An optional object field (`data`): absent or null gives undefined. */
export function optionalObjectField(
  value: unknown,
  what: string,
): Record<string, unknown> | undefined {
  return value === undefined || value === null ? undefined : objectField(value, what);
}

/** An optional list of strings (`warnings`, `errors`): absent or null gives `[]`. */
export function stringList(value: unknown, what: string): string[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || !value.every((item) => typeof item === 'string')) {
    throw outputError(`${what} is ${kindOf(value)}, not a list of strings`);
  }
  return [...value];
}

/** `bytes` of an encoder: a list of integers 0–255. */
export function byteList(value: unknown): Uint8Array {
  if (
    !Array.isArray(value) ||
    !value.every((item) => Number.isInteger(item) && item >= 0 && item <= 255)
  ) {
    throw outputError(`bytes is ${kindOf(value)}, not a list of integers from 0 to 255`);
  }
  return Uint8Array.from(value as number[]);
}

/** An encoder's optional `fPort`: absent or null gives undefined; else an integer 1–255. */
export function optionalFPort(value: unknown): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Number.isInteger(value) || (value as number) < 1 || (value as number) > 255) {
    throw outputError(`fPort is ${JSON.stringify(value)}, not an integer from 1 to 255`);
  }
  return value as number;
}

function outputError(problem: string): FormatterError {
  return new FormatterError('formatter_output', `The formatter's output is invalid: ${problem}.`, {
    problem,
  });
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function kindOf(value: unknown): string {
  if (Array.isArray(value)) return 'a list';
  if (value === null) return 'null';
  if (value === undefined) return 'missing';
  return `a ${typeof value}`;
}
