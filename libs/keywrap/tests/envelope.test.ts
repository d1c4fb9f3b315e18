import fc from 'fast-check';
import {
  formatKeyEnvelope,
  isWrappedKeyEnvelope,
  KeyEnvelopeError,
  parseKeyEnvelope,
  type KeyEnvelope,
} from '../src/index';
import { bytes } from './vectors';

// The AppSKey envelope of the brocaar/lorawan backend vector (RFC 3394 under KEK 0807…).
const WRAPPED = 'E3D5A47BA25CBE6E5DA820846E0CB6A82B750C59D848EC7A';
const WRAPPED_BASE64 = Buffer.from(WRAPPED, 'hex').toString('base64');
const KEY = '01020304050607080102030405060708';

describe('parseKeyEnvelope', () => {
  it('reads a wrapped key from TTS JSON', () => {
    const envelope = parseKeyEnvelope({ encrypted_key: WRAPPED_BASE64, kek_label: 'app-kek' });
    expect(isWrappedKeyEnvelope(envelope)).toBe(true);
    expect(envelope).toEqual({ encryptedKey: bytes(WRAPPED), kekLabel: 'app-kek' });
  });

  it('reads a plain key in either case of hex', () => {
    expect(parseKeyEnvelope({ key: KEY })).toEqual({ key: bytes(KEY) });
    expect(parseKeyEnvelope({ key: 'abcdefabcdefabcdefabcdefabcdefab' })).toEqual({
      key: bytes('ABCDEFABCDEFABCDEFABCDEFABCDEFAB'),
    });
  });

  it('accepts lowerCamelCase field names, URL-safe base64 and missing padding, as TTS does', () => {
    const urlSafe = Buffer.from(WRAPPED, 'hex').toString('base64url');
    expect(parseKeyEnvelope({ encryptedKey: urlSafe, kekLabel: 'a' })).toEqual({
      encryptedKey: bytes(WRAPPED),
      kekLabel: 'a',
    });
  });

  it('treats empty strings and nulls as absent, since TTS omits zero values', () => {
    expect(parseKeyEnvelope({ key: KEY, kek_label: '', encrypted_key: null })).toEqual({
      key: bytes(KEY),
    });
  });

  it('ignores fields it does not know', () => {
    expect(parseKeyEnvelope({ key: KEY, future: 1 })).toEqual({ key: bytes(KEY) });
  });

  it.each<[string, unknown, string]>([
    ['not an object', 'x', ''],
    ['null', null, ''],
    ['an array', [KEY], ''],
    ['an empty envelope', {}, 'key'],
    [
      'both key and encrypted_key',
      { key: KEY, encrypted_key: WRAPPED_BASE64, kek_label: 'a' },
      'key',
    ],
    ['encrypted_key without a label', { encrypted_key: WRAPPED_BASE64 }, 'kek_label'],
    [
      'a label over 2048 characters',
      { encrypted_key: WRAPPED_BASE64, kek_label: 'x'.repeat(2049) },
      'kek_label',
    ],
    ['a label on a plain key', { key: KEY, kek_label: 'a' }, 'kek_label'],
    [
      'encrypted_key that is not base64',
      { encrypted_key: 'not base64!', kek_label: 'a' },
      'encrypted_key',
    ],
    [
      'base64 of a length no encoder writes',
      { encrypted_key: 'AAAAA', kek_label: 'a' },
      'encrypted_key',
    ],
    [
      'base64 with misplaced padding',
      { encrypted_key: `${WRAPPED_BASE64}==`, kek_label: 'a' },
      'encrypted_key',
    ],
    [
      'encrypted_key of the wrong length',
      { encrypted_key: 'AAAAAAAAAAAAAAAAAAAAAA==', kek_label: 'a' },
      'encrypted_key',
    ],
    ['a key that is not hex', { key: 'zz'.repeat(16) }, 'key'],
    ['a key of the wrong length', { key: 'AABB' }, 'key'],
    ['a key that is a number', { key: 42 }, 'key'],
    ['a label that is an array', { encrypted_key: WRAPPED_BASE64, kek_label: ['a'] }, 'kek_label'],
  ])('rejects %s, naming the field', (_, json, field) => {
    const error = catchEnvelopeError(() => parseKeyEnvelope(json));
    expect(error).toMatchObject({ code: 'invalid_key_envelope', attributes: { field } });
    expect(error.message).not.toMatch(/0102030405060708|E3D5A47B|49Wke6Jc/i);
  });

  it('only ever throws KeyEnvelopeErrors on arbitrary JSON', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.jsonValue(),
          fc.record(
            {
              key: fc.oneof(
                fc.string({ unit: fc.constantFrom(...'0123456789abcdefABCDEF') }),
                fc.jsonValue(),
              ),
              encrypted_key: fc.oneof(fc.base64String(), fc.jsonValue()),
              kek_label: fc.jsonValue(),
            },
            { requiredKeys: [] },
          ),
        ),
        (json) => {
          try {
            parseKeyEnvelope(json);
          } catch (error) {
            expect(error).toBeInstanceOf(KeyEnvelopeError);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('formatKeyEnvelope', () => {
  it('writes a wrapped key as base64 with its label', () => {
    expect(formatKeyEnvelope({ encryptedKey: bytes(WRAPPED), kekLabel: 'app-kek' })).toEqual({
      encrypted_key: WRAPPED_BASE64,
      kek_label: 'app-kek',
    });
  });

  it('writes a plain key as uppercase hex', () => {
    expect(formatKeyEnvelope({ key: bytes(KEY.toLowerCase()) })).toEqual({ key: KEY });
  });

  it('is undone by parseKeyEnvelope', () => {
    const envelope = fc.oneof(
      fc.record({
        encryptedKey: fc.uint8Array({ minLength: 24, maxLength: 24 }),
        kekLabel: fc.string({ minLength: 1 }),
      }),
      fc.record({ key: fc.uint8Array({ minLength: 16, maxLength: 16 }) }),
    );
    fc.assert(
      fc.property(envelope, (original: KeyEnvelope) => {
        expect(parseKeyEnvelope(JSON.parse(JSON.stringify(formatKeyEnvelope(original))))).toEqual(
          original,
        );
      }),
    );
  });
});

function catchEnvelopeError(action: () => unknown): KeyEnvelopeError {
  try {
    action();
  } catch (error) {
    if (error instanceof KeyEnvelopeError) return error;
    throw error;
  }
  throw new Error('expected a KeyEnvelopeError');
}
