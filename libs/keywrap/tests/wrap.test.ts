import fc from 'fast-check';
import {
  IntegrityCheckError,
  KeyLengthError,
  KeyWrapError,
  unwrapKey,
  unwrapKeyWithPadding,
  wrapKey,
  wrapKeyWithPadding,
} from '../src/index';
import { bytes, hex, rfc3394Vectors, rfc5649Vectors } from './vectors';

const kekArbitrary = fc
  .constantFrom(16, 24, 32)
  .chain((length) => fc.uint8Array({ minLength: length, maxLength: length }));
const rfc3394KeyArbitrary = fc
  .integer({ min: 2, max: 8 })
  .chain((blocks) => fc.uint8Array({ minLength: blocks * 8, maxLength: blocks * 8 }));

describe('RFC 3394 key wrap', () => {
  it.each(rfc3394Vectors)(
    'wraps the key of $source to the published result',
    ({ kek, key, wrapped }) => {
      expect(hex(wrapKey(bytes(kek), bytes(key)))).toBe(wrapped);
    },
  );

  it.each(rfc3394Vectors)(
    'unwraps the wrapped key of $source to the published key',
    ({ kek, key, wrapped }) => {
      expect(hex(unwrapKey(bytes(kek), bytes(wrapped)))).toBe(key);
    },
  );

  it('returns plain Uint8Arrays that do not share memory with other results', () => {
    const { kek, key } = rfc3394Vectors[0]!;
    const wrapped = wrapKey(bytes(kek), bytes(key));
    expect(Object.getPrototypeOf(wrapped)).toBe(Uint8Array.prototype);
    expect(wrapped.byteOffset).toBe(0);
    expect(wrapped.buffer.byteLength).toBe(24);
  });

  it('unwraps what it wrapped, for every KEK size and key length', () => {
    fc.assert(
      fc.property(kekArbitrary, rfc3394KeyArbitrary, (kek, key) => {
        expect(unwrapKey(kek, wrapKey(kek, key))).toEqual(key);
      }),
    );
  });

  it('fails the integrity check when any byte of the wrapped key is altered', () => {
    fc.assert(
      fc.property(
        kekArbitrary,
        rfc3394KeyArbitrary,
        fc.nat(),
        fc.integer({ min: 1, max: 255 }),
        (kek, key, at, flip) => {
          const wrapped = wrapKey(kek, key);
          wrapped[at % wrapped.length]! ^= flip;
          expect(() => unwrapKey(kek, wrapped)).toThrow(IntegrityCheckError);
        },
      ),
    );
  });

  it('fails the integrity check under another KEK, without quoting key bytes', () => {
    const { kek, key, wrapped } = rfc3394Vectors[0]!;
    const otherKek = bytes(kek);
    otherKek[0]! ^= 1;
    const error = catchError(() => unwrapKey(otherKek, bytes(wrapped)));
    expect(error).toBeInstanceOf(IntegrityCheckError);
    expect(error).toMatchObject({
      code: 'integrity_check_failed',
      attributes: { algorithm: 'RFC 3394' },
    });
    expect(error.cause).toBeUndefined();
    for (const secret of [kek, hex(otherKek), key, wrapped])
      expect(error.message.toUpperCase()).not.toContain(secret);
  });

  it.each([0, 8, 12, 15, 17, 33])('refuses to wrap under a KEK of %i bytes', (length) => {
    expect(() => wrapKey(new Uint8Array(length), new Uint8Array(16))).toThrow(
      expect.objectContaining({
        code: 'invalid_kek_length',
        attributes: expect.objectContaining({ length }),
      }),
    );
  });

  it.each([0, 8, 15, 17, 20])(
    'refuses to wrap a key of %i bytes, pointing to RFC 5649',
    (length) => {
      const error = catchError(() => wrapKey(new Uint8Array(16), new Uint8Array(length)));
      expect(error).toBeInstanceOf(KeyLengthError);
      expect(error).toMatchObject({
        code: 'invalid_key_length',
        attributes: { subject: 'key', length },
      });
      expect(error.message).toContain('RFC 5649');
    },
  );

  it.each([0, 16, 23, 25])('refuses to unwrap a wrapped key of %i bytes', (length) => {
    expect(() => unwrapKey(new Uint8Array(16), new Uint8Array(length))).toThrow(
      expect.objectContaining({ code: 'invalid_wrapped_key_length' }),
    );
  });

  it('refuses to unwrap under a KEK of the wrong size', () => {
    expect(() => unwrapKey(new Uint8Array(20), new Uint8Array(24))).toThrow(
      expect.objectContaining({ code: 'invalid_kek_length' }),
    );
  });
});

describe('RFC 5649 key wrap with padding', () => {
  it.each(rfc5649Vectors)(
    'wraps the $key.length-digit key of $source to the published result',
    ({ kek, key, wrapped }) => {
      expect(hex(wrapKeyWithPadding(bytes(kek), bytes(key)))).toBe(wrapped);
    },
  );

  it.each(rfc5649Vectors)(
    'unwraps to the $key.length-digit key of $source',
    ({ kek, key, wrapped }) => {
      expect(hex(unwrapKeyWithPadding(bytes(kek), bytes(wrapped)))).toBe(key);
    },
  );

  it('unwraps what it wrapped, for every KEK size and key length', () => {
    fc.assert(
      fc.property(kekArbitrary, fc.uint8Array({ minLength: 1, maxLength: 70 }), (kek, key) => {
        const wrapped = wrapKeyWithPadding(kek, key);
        expect(wrapped.length).toBe(Math.max(16, Math.ceil(key.length / 8) * 8 + 8));
        expect(unwrapKeyWithPadding(kek, wrapped)).toEqual(key);
      }),
    );
  });

  it('fails the integrity check when any byte of the wrapped key is altered', () => {
    fc.assert(
      fc.property(
        kekArbitrary,
        fc.uint8Array({ minLength: 1, maxLength: 40 }),
        fc.nat(),
        fc.integer({ min: 1, max: 255 }),
        (kek, key, at, flip) => {
          const wrapped = wrapKeyWithPadding(kek, key);
          wrapped[at % wrapped.length]! ^= flip;
          expect(() => unwrapKeyWithPadding(kek, wrapped)).toThrow(
            expect.objectContaining({
              code: 'integrity_check_failed',
              attributes: { algorithm: 'RFC 5649' },
            }),
          );
        },
      ),
    );
  });

  it('refuses to wrap an empty key', () => {
    expect(() => wrapKeyWithPadding(new Uint8Array(16), new Uint8Array(0))).toThrow(
      expect.objectContaining({
        code: 'invalid_key_length',
        attributes: expect.objectContaining({ length: 0 }),
      }),
    );
  });

  it.each([0, 8, 15, 17])('refuses to unwrap a wrapped key of %i bytes', (length) => {
    expect(() => unwrapKeyWithPadding(new Uint8Array(16), new Uint8Array(length))).toThrow(
      expect.objectContaining({ code: 'invalid_wrapped_key_length' }),
    );
  });

  it('refuses a KEK of the wrong size both ways', () => {
    expect(() => wrapKeyWithPadding(new Uint8Array(8), new Uint8Array(1))).toThrow(KeyLengthError);
    expect(() => unwrapKeyWithPadding(new Uint8Array(8), new Uint8Array(16))).toThrow(
      KeyLengthError,
    );
  });
});

describe('unwrapping garbage', () => {
  it('only ever throws KeyWrapErrors, whatever the KEK and input', () => {
    fc.assert(
      fc.property(
        fc.oneof(kekArbitrary, fc.uint8Array({ maxLength: 40 })),
        fc.uint8Array({ maxLength: 80 }),
        fc.boolean(),
        (kek, wrapped, padded) => {
          try {
            (padded ? unwrapKeyWithPadding : unwrapKey)(kek, wrapped);
          } catch (error) {
            expect(error).toBeInstanceOf(KeyWrapError);
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});

function catchError(action: () => unknown): KeyWrapError {
  try {
    action();
  } catch (error) {
    if (error instanceof KeyWrapError) return error;
    throw error;
  }
  throw new Error('expected a KeyWrapError');
}
