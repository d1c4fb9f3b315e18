import { FormatterError } from './errors';

/**
 * CayenneLPP as The Things Stack's `FORMATTER_CAYENNELPP` reads and writes it: an uplink is
 * a sequence of `channel, type, value` records, decoded to keys `<name>_<channel>`; a
 * downlink is a sequence of `channel, int16 value × 100` records, made from the numeric
 * `value_<channel>` keys of the decoded payload (any other key is ignored). Values are
 * single-precision floats, as The Things Stack computes them (`27.2` °C reads back as
 * `27.200000762939453`).
 */

/** How one LPP data type is laid out: its name, and the scale of each signed/unsigned field. */
interface LppType {
  readonly name: string;
  /** Field names for a multi-value type (`x`, `y`, `z`), or undefined for a single number. */
  readonly fields?: readonly string[];
  /** Bytes per field. */
  readonly size: 1 | 2 | 3;
  readonly signed: boolean;
  /** The raw value is divided by this. */
  readonly divisor: number;
}

/** The LPP types The Things Stack decodes, by type byte. */
const LPP_TYPES: ReadonlyMap<number, LppType> = new Map<number, LppType>([
  [0x00, { name: 'digital_in', size: 1, signed: false, divisor: 1 }],
  [0x01, { name: 'digital_out', size: 1, signed: false, divisor: 1 }],
  [0x02, { name: 'analog_in', size: 2, signed: true, divisor: 100 }],
  [0x03, { name: 'analog_out', size: 2, signed: true, divisor: 100 }],
  [0x65, { name: 'luminosity', size: 2, signed: false, divisor: 1 }],
  [0x66, { name: 'presence', size: 1, signed: false, divisor: 1 }],
  [0x67, { name: 'temperature', size: 2, signed: true, divisor: 10 }],
  [0x68, { name: 'relative_humidity', size: 1, signed: false, divisor: 2 }],
  [0x71, { name: 'accelerometer', fields: ['x', 'y', 'z'], size: 2, signed: true, divisor: 1000 }],
  [0x73, { name: 'barometric_pressure', size: 2, signed: false, divisor: 10 }],
  [0x86, { name: 'gyrometer', fields: ['x', 'y', 'z'], size: 2, signed: true, divisor: 100 }],
  [
    0x88,
    {
      name: 'gps',
      fields: ['latitude', 'longitude', 'altitude'],
      size: 3,
      signed: true,
      divisor: 10_000,
    },
  ],
]);

/** GPS altitude is in centimetres, unlike its latitude and longitude (1/10 000 degree). */
const GPS_ALTITUDE_DIVISOR = 100;

/**
 * Decodes a CayenneLPP uplink to The Things Stack's keys (`temperature_3`,
 * `accelerometer_7: {x, y, z}`, `gps_1: {latitude, longitude, altitude}`). A truncated
 * record or an unknown type throws `FormatterError` `formatter_error` naming the byte.
 */
export function decodeCayenneLpp(bytes: Uint8Array): Record<string, unknown> {
  const data: Record<string, unknown> = {};
  let offset = 0;
  while (offset < bytes.length) {
    if (offset + 2 > bytes.length) throw lppError(`a record at byte ${offset} has no type`);
    const channel = bytes[offset]!;
    const typeByte = bytes[offset + 1]!;
    const type = LPP_TYPES.get(typeByte);
    if (type === undefined) {
      throw lppError(`type 0x${hex(typeByte)} at byte ${offset + 1} is not a CayenneLPP type`);
    }
    const count = type.fields?.length ?? 1;
    const end = offset + 2 + count * type.size;
    if (end > bytes.length) {
      throw lppError(`the ${type.name} record at byte ${offset} needs ${end - offset} bytes`);
    }
    const values = Array.from({ length: count }, (_, index) =>
      readField(bytes, offset + 2 + index * type.size, type, type.fields?.[index]),
    );
    data[`${type.name}_${channel}`] =
      type.fields === undefined
        ? values[0]
        : Object.fromEntries(type.fields.map((field, index) => [field, values[index]]));
    offset = end;
  }
  return data;
}

function readField(bytes: Uint8Array, offset: number, type: LppType, field?: string): number {
  let raw = 0;
  for (let index = 0; index < type.size; index++) raw = raw * 256 + bytes[offset + index]!;
  const bits = type.size * 8;
  if (type.signed && raw >= 2 ** (bits - 1)) raw -= 2 ** bits;
  const divisor = field === 'altitude' ? GPS_ALTITUDE_DIVISOR : type.divisor;
  return divisor === 1 ? raw : Math.fround(raw / divisor);
}

/**
 * Encodes a downlink's decoded payload as The Things Stack does: each numeric
 * `value_<channel>` key (channel 0–255) becomes `channel, int16(value × 100)`, in channel
 * order; other keys are ignored. A value outside the int16 range after scaling throws
 * `FormatterError` `formatter_error` naming the key.
 */
export function encodeCayenneLpp(data: Readonly<Record<string, unknown>>): Uint8Array {
  const records: [number, number][] = [];
  for (const [key, value] of Object.entries(data)) {
    const match = /^value_(\d{1,3})$/.exec(key);
    const channel = match === null ? NaN : Number(match[1]);
    if (typeof value !== 'number' || !(channel <= 255)) continue;
    const scaled = Math.trunc(Math.fround(Math.fround(value) * 100));
    if (!(scaled >= -32_768 && scaled <= 32_767)) {
      throw lppError(`${key} is ${value}: CayenneLPP values go from -327.68 to 327.67`);
    }
    records.push([channel, scaled]);
  }
  records.sort(([a], [b]) => a - b);
  const bytes = new Uint8Array(records.length * 3);
  records.forEach(([channel, scaled], index) => {
    bytes[index * 3] = channel;
    bytes[index * 3 + 1] = (scaled >> 8) & 0xff;
    bytes[index * 3 + 2] = scaled & 0xff;
  });
  return bytes;
}

function lppError(problem: string): FormatterError {
  return new FormatterError('formatter_error', `Invalid CayenneLPP payload: ${problem}.`, {
    formatter: 'FORMATTER_CAYENNELPP',
    message: problem,
  });
}

function hex(byte: number): string {
  return byte.toString(16).toUpperCase().padStart(2, '0');
}
