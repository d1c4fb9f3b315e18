import {
  fromHex,
  LorawanError,
  parseAesKey,
  parseDevAddr,
  parseEui64,
  reconstructFCnt,
  toHex,
} from '../src/index';

describe('identifier parsers', () => {
  it.each([
    ['parseAesKey', parseAesKey, '2b7e151628aed2a6abf7158809cf4f3c'],
    ['parseDevAddr', parseDevAddr, '26011bda'],
    ['parseEui64', parseEui64, '70b3d57ed0000001'],
  ] as const)(
    '%s takes hex in either case, or bytes in display order (copied)',
    (_, parse, hex) => {
      const parsed = parse(hex);
      expect(toHex(parsed)).toBe(hex.toUpperCase());
      expect(toHex(parse(hex.toUpperCase()))).toBe(hex.toUpperCase());
      const bytes = fromHex(hex);
      const fromBytes = parse(bytes);
      bytes[0] = 0;
      expect(toHex(fromBytes)).toBe(hex.toUpperCase());
      expect(fromBytes).toBeInstanceOf(Uint8Array);
    },
  );

  it.each([
    ['parseAesKey', parseAesKey, 'invalid_aes_key', 32],
    ['parseDevAddr', parseDevAddr, 'invalid_dev_addr', 8],
    ['parseEui64', parseEui64, 'invalid_eui64', 16],
  ] as const)(
    '%s refuses wrong lengths, non-hex characters and other types',
    (_, parse, code, digits) => {
      const problem = (input: unknown) => {
        try {
          parse(input as string);
        } catch (error) {
          expect(error).toBeInstanceOf(LorawanError);
          expect((error as LorawanError).code).toBe(code);
          return (error as LorawanError).message;
        }
        throw new Error('accepted');
      };
      expect(problem('A'.repeat(digits - 1))).toContain(`${digits - 1} characters`);
      expect(problem('A'.repeat(digits + 2))).toContain(`${digits} hex digits expected`);
      expect(problem(`${'A'.repeat(digits - 1)}G`)).toContain('a character other than a hex digit');
      expect(problem(`0x${'A'.repeat(digits - 2)}`)).toContain(
        'a character other than a hex digit',
      );
      expect(problem(new Uint8Array(digits / 2 + 1))).toContain(`got ${digits / 2 + 1} bytes`);
      expect(problem(12)).toContain('got number');
    },
  );

  it('never repeats a rejected key in the error', () => {
    const secret = '2B7E151628AED2A6ABF7158809CF4F3';
    expect(() => parseAesKey(secret)).toThrow(
      expect.objectContaining({ message: expect.not.stringContaining(secret.slice(0, 8)) }),
    );
  });
});

describe('hex', () => {
  it('toHex writes uppercase, fromHex reads either case', () => {
    expect(toHex(new Uint8Array([0, 0xab, 0x0f]))).toBe('00AB0F');
    expect(toHex(fromHex('00aB0f'))).toBe('00AB0F');
    expect(fromHex('')).toHaveLength(0);
  });

  it('fromHex refuses odd lengths and non-hex characters, saying where', () => {
    expect(() => fromHex('ABC')).toThrow(
      expect.objectContaining({
        code: 'invalid_hex',
        message: expect.stringContaining('3 characters, an odd number'),
      }),
    );
    expect(() => fromHex('AB C')).toThrow(
      expect.objectContaining({
        code: 'invalid_hex',
        message: expect.stringContaining('at position 2'),
      }),
    );
  });
});

describe('reconstructFCnt', () => {
  it.each([
    [0, 0, 0],
    [5, 5, 5],
    [5, 6, 6],
    [5, 4, 0x10004],
    [0x1ffff, 0, 0x20000],
    [0x12345, 0x2346, 0x12346],
    [0xfffffff0, 0xffff, 0xffffffff],
  ])('after %i, wire %i is %i', (last, wire, full) => {
    expect(reconstructFCnt(last, wire)).toBe(full);
  });

  it('refuses to pass 2^32 - 1 and out-of-range arguments', () => {
    expect(() => reconstructFCnt(0xfffffff0, 1)).toThrow(
      expect.objectContaining({ code: 'f_cnt_overflow' }),
    );
    expect(() => reconstructFCnt(0, 0x10000)).toThrow(
      expect.objectContaining({ code: 'invalid_value' }),
    );
    expect(() => reconstructFCnt(2 ** 32, 0)).toThrow(
      expect.objectContaining({ code: 'invalid_value' }),
    );
    expect(() => reconstructFCnt(NaN, 0)).toThrow(LorawanError);
  });
});
