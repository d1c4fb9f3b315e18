import fc from 'fast-check';

import { decodeCayenneLpp, encodeCayenneLpp, FormatterError } from '../src';

function hex(text: string): Uint8Array {
  return Uint8Array.from(Buffer.from(text.replace(/ /g, ''), 'hex'));
}

/**
 * CayenneLPP uplinks as The Things Stack decodes them: `<type>_<channel>` keys, values as
 * single-precision floats (the expected numbers are the float32 nearest to each reading).
 */
const UPLINKS: readonly [string, string, Record<string, unknown>][] = [
  [
    'two temperatures (the documentation’s example)',
    '03 67 01 10 05 67 00 FF',
    { temperature_3: 27.200000762939453, temperature_5: 25.5 },
  ],
  ['a digital input', '01 00 64', { digital_in_1: 100 }],
  ['a digital output', '02 01 01', { digital_out_2: 1 }],
  ['a negative analog input', '03 02 FF 9C', { analog_in_3: -1 }],
  ['an analog output', '04 03 01 2C', { analog_out_4: 3 }],
  ['luminosity', '05 65 01 90', { luminosity_5: 400 }],
  ['presence', '06 66 01', { presence_6: 1 }],
  ['relative humidity in half percent', '07 68 61', { relative_humidity_7: 48.5 }],
  [
    'an accelerometer',
    '06 71 04 D2 FB 2E 00 00',
    { accelerometer_6: { x: 1.2339999675750732, y: -1.2339999675750732, z: 0 } },
  ],
  ['barometric pressure', '0A 73 27 7F', { barometric_pressure_10: 1011.0999755859375 }],
  [
    'a gyrometer',
    '0B 86 00 7B FF 85 01 C8',
    { gyrometer_11: { x: 1.2300000190734863, y: -1.2300000190734863, z: 4.559999942779541 } },
  ],
  [
    'a GPS position (the format’s own example)',
    '01 88 06 76 5F F2 96 0A 00 03 E8',
    { gps_1: { latitude: 42.351898193359375, longitude: -87.9094009399414, altitude: 10 } },
  ],
  ['nothing', '', {}],
  [
    'the same channel and type twice: the last wins',
    '01 67 00 0A 01 67 00 14',
    { temperature_1: 2 },
  ],
];

describe('decodeCayenneLpp', () => {
  it.each(UPLINKS)('decodes %s', (_what, bytes, data) => {
    expect(decodeCayenneLpp(hex(bytes))).toEqual(data);
  });

  it.each([
    ['an unknown type', '01 99 00', 'type 0x99 at byte 1 is not a CayenneLPP type'],
    ['a truncated value', '03 67 01', 'the temperature record at byte 0 needs 4 bytes'],
    ['a channel without a type', '03 67 01 10 05', 'a record at byte 4 has no type'],
  ])('refuses %s, naming the byte', (_what, bytes, problem) => {
    expect(() => decodeCayenneLpp(hex(bytes))).toThrow(
      new FormatterError('formatter_error', `Invalid CayenneLPP payload: ${problem}.`),
    );
  });

  it('throws nothing but FormatterError, whatever the bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        try {
          const data = decodeCayenneLpp(bytes);
          expect(typeof data).toBe('object');
        } catch (error) {
          expect(error).toBeInstanceOf(FormatterError);
        }
      }),
    );
  });
});

describe('encodeCayenneLpp', () => {
  it.each([
    ['a negative value (The Things Stack’s test)', { value_2: -50.51 }, '02 EC 45'],
    [
      'values in channel order',
      { value_7: 1, value_1: 327.67, value_0: -327.68 },
      '00 80 00 01 7F FF 07 00 64',
    ],
    [
      'nothing but the numeric value_<channel> keys',
      { value_3: '1', temperature_1: 2, value_x: 3, value_4: 0.5 },
      '04 00 32',
    ],
    ['a channel above 255 as no channel', { value_256: 1 }, ''],
  ])('encodes %s', (_what, data, bytes) => {
    expect(Buffer.from(encodeCayenneLpp(data)).toString('hex')).toBe(
      bytes.replace(/ /g, '').toLowerCase(),
    );
  });

  it('refuses a value outside the int16 range after scaling, naming the key', () => {
    expect(() => encodeCayenneLpp({ value_1: 400 })).toThrow(
      'Invalid CayenneLPP payload: value_1 is 400: CayenneLPP values go from -327.68 to 327.67.',
    );
  });

  it('writes each value as channel and hundredths, readable back as an analog value', () => {
    fc.assert(
      fc.property(
        fc.dictionary(
          fc.integer({ min: 0, max: 255 }).map((channel) => `value_${channel}`),
          fc.integer({ min: -32_768, max: 32_767 }).map((hundredths) => hundredths / 100),
        ),
        (data) => {
          const bytes = encodeCayenneLpp(data);
          expect(bytes.length).toBe(Object.keys(data).length * 3);
          for (let offset = 0; offset < bytes.length; offset += 3) {
            const view = new DataView(bytes.buffer, bytes.byteOffset + offset, 3);
            // Scaled in single precision and truncated, as The Things Stack's int16(value × 100):
            // 79.52 is sent as 7951. So the value read back is at most a hundredth off.
            const sent = data[`value_${view.getUint8(0)}`]!;
            const difference = sent - view.getInt16(1) / 100;
            expect(Math.abs(difference)).toBeLessThan(0.0101);
          }
        },
      ),
    );
  });
});
