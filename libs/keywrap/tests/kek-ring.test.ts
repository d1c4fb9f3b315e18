import { inspect } from 'node:util';
import fc from 'fast-check';
import {
  addExistingKek,
  formatKekRing,
  IntegrityCheckError,
  KekRing,
  KekRingError,
  KeyWrapError,
  parseKekRing,
  UnknownKekLabelError,
  wrapKey,
} from '../src/index';
import { bytes, hex, rfc3394Vectors } from './vectors';

// The brocaar/lorawan backend vector: an AppSKey wrapped under an AES-128 KEK.
const vector = rfc3394Vectors.find((candidate) => candidate.source.includes('KeyEnvelope'))!;
const OLD_KEK = vector.kek;
const NEW_KEK = '000102030405060708090A0B0C0D0E0F';
// The flat secret format that the stack generates: every member but `current` is a KEK.
const SECRET = JSON.stringify({
  current: 'kek-2',
  'kek-1': OLD_KEK,
  'kek-2': NEW_KEK.toLowerCase(),
});

describe('parseKekRing', () => {
  it('reads the ring from its secret, keys in either case of hex', () => {
    const ring = parseKekRing(SECRET);
    expect(ring.currentLabel).toBe('kek-2');
    expect(ring.labels).toEqual(['kek-1', 'kek-2']);
    expect(hex(ring.get('kek-1'))).toBe(OLD_KEK);
    expect(ring.current()).toEqual({ label: 'kek-2', kek: bytes(NEW_KEK) });
  });

  it('reads the nested form written by hand the same way', () => {
    const nested = parseKekRing(
      JSON.stringify({ current: 'kek-2', keys: { 'kek-1': OLD_KEK, 'kek-2': NEW_KEK } }),
    );
    expect(formatKekRing(nested)).toBe(formatKekRing(parseKekRing(SECRET)));
  });

  it.each<[string, string, string]>([
    ['text that is not JSON', `{"current":"a","keys":{"a":"${NEW_KEK}"`, ''],
    ['JSON that is not an object', `["${NEW_KEK}"]`, ''],
    ['a missing current label', `{"keys":{"a":"${NEW_KEK}"}}`, 'current'],
    ['an empty current label', `{"current":"","keys":{"a":"${NEW_KEK}"}}`, 'current'],
    ['no KEK at all', '{"current":"a"}', ''],
    ['keys as an array', `{"current":"a","keys":["${NEW_KEK}"]}`, 'keys'],
    ['no keys at all', '{"current":"a","keys":{}}', ''],
    ['a flat KEK that is not hex', `{"current":"a","a":"${NEW_KEK.slice(0, 30)}ZZ"}`, 'a'],
    ['a flat all-zero KEK', `{"current":"a","a":"${'0'.repeat(32)}"}`, 'a'],
    ['a current label with no key', `{"current":"b","keys":{"a":"${NEW_KEK}"}}`, 'current'],
    ['a KEK that is not hex', `{"current":"a","keys":{"a":"${NEW_KEK.slice(0, 30)}ZZ"}}`, 'keys.a'],
    ['a 192-bit KEK', `{"current":"a","keys":{"a":"${NEW_KEK}0011223344556677"}}`, 'keys.a'],
    ['a KEK that is a number', '{"current":"a","keys":{"a":1}}', 'keys.a'],
    ['an all-zero KEK', `{"current":"a","keys":{"a":"${'0'.repeat(32)}"}}`, 'a'],
    ['an empty label', `{"current":"a","keys":{"a":"${NEW_KEK}","":"${OLD_KEK}"}}`, ''],
  ])('rejects %s, naming the field but never the key', (_, secret, field) => {
    const error = catchError(() => parseKekRing(secret));
    expect(error).toBeInstanceOf(KekRingError);
    expect(error).toMatchObject({ code: 'invalid_kek_ring', attributes: { field } });
    expect(error.cause).toBeUndefined();
    expect(error.message.toUpperCase()).not.toMatch(/0001020304|0807060504/);
  });

  it('only ever throws KekRingErrors on arbitrary input', () => {
    const hexString = fc.string({
      unit: fc.constantFrom(...'0123456789abcdef'),
      minLength: 30,
      maxLength: 34,
    });
    const secret = fc.oneof(
      fc.string(),
      fc.json(),
      fc
        .record({
          current: fc.string({ maxLength: 3 }),
          keys: fc.dictionary(fc.string({ maxLength: 3 }), hexString),
        })
        .map((ring) => JSON.stringify(ring)),
    );
    fc.assert(
      fc.property(secret, (text) => {
        try {
          parseKekRing(text);
        } catch (error) {
          expect(error).toBeInstanceOf(KekRingError);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('is undone by formatKekRing', () => {
    const ring = parseKekRing(SECRET);
    expect(JSON.parse(formatKekRing(ring))).toEqual({
      current: 'kek-2',
      'kek-1': OLD_KEK,
      'kek-2': NEW_KEK,
    });
    expect(formatKekRing(parseKekRing(formatKekRing(ring)))).toBe(formatKekRing(ring));
  });
});

describe('KekRing', () => {
  const ring = parseKekRing(SECRET);

  it('unwraps an envelope under the KEK its label names, not only the current one', () => {
    const envelope = { encryptedKey: bytes(vector.wrapped), kekLabel: 'kek-1' };
    expect(hex(ring.unwrap(envelope))).toBe(vector.key);
  });

  it('returns a plain key as it came', () => {
    expect(hex(ring.unwrap({ key: bytes(vector.key) }))).toBe(vector.key);
  });

  it('wraps under the current KEK, and unwraps that again', () => {
    const wrapped = ring.wrap(bytes(vector.key));
    expect(wrapped.kekLabel).toBe('kek-2');
    expect(wrapped.encryptedKey).toHaveLength(24);
    expect(hex(ring.unwrap(wrapped))).toBe(vector.key);
  });

  it('names an unknown label, and the labels it holds', () => {
    const error = catchError(() =>
      ring.unwrap({ encryptedKey: bytes(vector.wrapped), kekLabel: 'kek-9' }),
    );
    expect(error).toBeInstanceOf(UnknownKekLabelError);
    expect(error).toMatchObject({
      code: 'unknown_kek_label',
      attributes: { label: 'kek-9', knownLabels: ['kek-1', 'kek-2'] },
    });
    expect(error.message).toContain('"kek-9"');
    expect(() => ring.get('kek-9')).toThrow(UnknownKekLabelError);
  });

  it('names the KEK under which unwrapping failed the integrity check', () => {
    const error = catchError(() =>
      ring.unwrap({ encryptedKey: bytes(vector.wrapped), kekLabel: 'kek-2' }),
    );
    expect(error).toBeInstanceOf(IntegrityCheckError);
    expect(error).toMatchObject({
      code: 'integrity_check_failed',
      attributes: { kekLabel: 'kek-2' },
    });
    expect(error.message).toContain('KEK "kek-2"');
  });

  it('passes on length errors of the wrapped key unchanged', () => {
    expect(() => ring.unwrap({ encryptedKey: new Uint8Array(20), kekLabel: 'kek-1' })).toThrow(
      expect.objectContaining({ code: 'invalid_wrapped_key_length' }),
    );
  });

  it('hands out copies, so callers cannot change its KEKs', () => {
    ring.get('kek-1').fill(0);
    ring.current().kek.fill(0);
    expect(hex(ring.get('kek-1'))).toBe(OLD_KEK);
    expect(hex(ring.get('kek-2'))).toBe(NEW_KEK);
  });

  it('keeps its own copy of the KEKs it was built from', () => {
    const kek = bytes(NEW_KEK);
    const built = new KekRing('a', { a: kek });
    kek.fill(1);
    expect(hex(built.get('a'))).toBe(NEW_KEK);
  });

  it('shows labels, never KEKs, when logged or serialized', () => {
    const shown = `${JSON.stringify(ring)} ${inspect(ring, { showHidden: true, depth: 5 })}`;
    expect(shown).toContain('kek-1');
    expect(shown.toUpperCase()).not.toMatch(/0807060504|0001020304|\b8, 7, 6, 5\b|\b0, 1, 2, 3\b/);
    expect(JSON.parse(JSON.stringify(ring))).toEqual({
      currentLabel: 'kek-2',
      labels: ['kek-1', 'kek-2'],
    });
  });

  it('refuses a KEK of another size than AES-128 when built directly', () => {
    expect(() => new KekRing('a', { a: new Uint8Array(32).fill(1) })).toThrow(
      expect.objectContaining({ code: 'invalid_kek_ring', attributes: { field: 'a' } }),
    );
  });

  it('refuses the label "current", which the secret format reserves', () => {
    expect(() => new KekRing('current', { current: bytes(NEW_KEK) })).toThrow(
      expect.objectContaining({ code: 'invalid_kek_ring', attributes: { field: 'current' } }),
    );
  });

  it('refuses a label over 2048 characters', () => {
    const label = 'x'.repeat(2049);
    expect(() => new KekRing(label, { [label]: bytes(NEW_KEK) })).toThrow(KekRingError);
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

describe('addExistingKek (migration from a KEK secret of 32 hex digits)', () => {
  const ours = '000102030405060708090A0B0C0D0E0F';
  const theirs = 'f0e1d2c3b4a5968778695a4b3c2d1e0f';
  const label = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:old-stack-kek-AbCdEf';
  const ringSecret = JSON.stringify({ current: 'my-stack-kek-1', 'my-stack-kek-1': ours });

  it('unwraps what was wrapped under the existing KEK, and keeps wrapping under the current one', () => {
    const ring = addExistingKek(ringSecret, label, `${theirs}\n`);
    const appSKey = Uint8Array.from({ length: 16 }, (_, i) => i * 7);
    const wrappedByOldJoinServer = {
      encryptedKey: wrapKey(Uint8Array.from(Buffer.from(theirs, 'hex')), appSKey),
      kekLabel: label,
    };
    expect(ring.unwrap(wrappedByOldJoinServer)).toEqual(appSKey);
    expect(ring.currentLabel).toBe('my-stack-kek-1');
    expect([...ring.labels].sort()).toEqual([label, 'my-stack-kek-1'].sort());
  });

  it("reads the documented templates' form, 32 uppercase hex digits, as the same KEK", () => {
    const lower = addExistingKek(ringSecret, label, theirs);
    const upper = addExistingKek(ringSecret, label, theirs.toUpperCase());
    expect(upper.get(label)).toEqual(lower.get(label));
  });

  it.each(['', 'not-hex', theirs.slice(2), JSON.stringify({ current: 'x', x: theirs })])(
    'refuses an existing secret %j that is not 32 hex digits, naming the label but not the value',
    (secret) => {
      expect(() => addExistingKek(ringSecret, label, secret)).toThrow(
        `Invalid KEK ring field ${label}: the existing KEK secret is not an AES-128 KEK as 32 hex digits.`,
      );
    },
  );

  it('refuses a ring that holds another KEK under that label, and accepts the same KEK there', () => {
    const clash = JSON.stringify({
      current: 'my-stack-kek-1',
      'my-stack-kek-1': ours,
      [label]: ours,
    });
    expect(() => addExistingKek(clash, label, theirs)).toThrow('holds another KEK');
    const same = JSON.stringify({
      current: 'my-stack-kek-1',
      'my-stack-kek-1': ours,
      [label]: theirs,
    });
    expect(addExistingKek(same, label, theirs).labels).toHaveLength(2);
  });
});
