import { formatKekRing, KekRing, parseKeyEnvelope, wrapKey } from '@tts-aws-iot/keywrap';
import { parseAesKey } from '@tts-aws-iot/lorawan';
import { lorawanVectors } from '@tts-aws-iot/test-kit';
import {
  decryptUplinkPayload,
  encryptDownlinkPayload,
  KEK_REFRESH_INTERVAL_MS,
  KekRingSource,
  MAX_FRM_PAYLOAD_BYTES,
  reencryptDownlinkPayload,
  unwrapCounted,
} from '../../src/traffic/e2e-session';
import { InputError, IntegrationError } from '../../src/errors';
import { InMemorySecretReader } from '../../src/testing/in-memory';

const vectors = lorawanVectors();

const hex = (text: string) => new Uint8Array(Buffer.from(text, 'hex'));
// RFC 3394 4.1: a 128-bit key wrapped under a 128-bit KEK.
const rfc = vectors.keywrap_rfc3394[0]!;
const ring = (keys: Record<string, string>, current = Object.keys(keys)[0]!) =>
  formatKekRing(
    new KekRing(
      current,
      Object.fromEntries(Object.entries(keys).map(([label, kek]) => [label, hex(kek)])),
    ),
  );
const wrapped = {
  encrypted_key: Buffer.from(hex(rfc.wrapped)).toString('base64'),
  kek_label: 'kek-1',
};

describe('KekRingSource', () => {
  it('unwraps an AppSKey under the KEK its label names', async () => {
    const source = new KekRingSource(
      new InMemorySecretReader(new Map([['s/kek', ring({ 'kek-1': rfc.kek })]])),
      's/kek',
    );
    const key = await source.unwrap(parseKeyEnvelope(wrapped), 'T');
    expect(Buffer.from(key).toString('hex').toUpperCase()).toBe(rfc.key);
  });

  it('reads the secret again once for a label the cached ring lacks, then knows the new KEK', async () => {
    const secrets = new Map([['s/kek', ring({ old: '0F0E0D0C0B0A09080706050403020100' })]]);
    const reader = new InMemorySecretReader(secrets);
    // Caches as the Lambdas' reader does, until told to drop the value.
    const cache = new Map<string, Promise<string>>();
    const cached = {
      getSecretString: (id: string) =>
        cache.get(id) ?? cache.set(id, reader.getSecretString(id)).get(id)!,
      invalidate: (id: string) => {
        cache.delete(id);
        reader.invalidate(id);
      },
    };
    const source = new KekRingSource(cached, 's/kek');
    await source.ring();
    secrets.set(
      's/kek',
      ring({ old: '0F0E0D0C0B0A09080706050403020100', 'kek-1': rfc.kek }, 'kek-1'),
    );
    await expect(source.unwrap(parseKeyEnvelope(wrapped), 'T')).resolves.toHaveLength(16);
    expect(reader.invalidated).toEqual(['s/kek']);
  });

  it('hands out one key object per session, until the ring changes', async () => {
    const secrets = new Map([['s/kek', ring({ 'kek-1': rfc.kek })]]);
    const source = new KekRingSource(new InMemorySecretReader(secrets), 's/kek');
    const first = await source.unwrap(parseKeyEnvelope(wrapped), 'T');
    // The same object lets libs/lorawan reuse its cipher state for the session.
    expect(await source.unwrap(parseKeyEnvelope(wrapped), 'T')).toBe(first);
    secrets.set('s/kek', ring({ 'kek-1': rfc.kek, 'kek-0': '0F0E0D0C0B0A09080706050403020100' }));
    const after = await source.unwrap(parseKeyEnvelope(wrapped), 'T');
    expect(after).not.toBe(first);
    expect(after).toEqual(first);
  });

  it('names the unknown label, and refreshes only once for it', async () => {
    const reader = new InMemorySecretReader(new Map([['s/kek', ring({ other: rfc.kek })]]));
    const source = new KekRingSource(reader, 's/kek');
    for (let i = 0; i < 2; i++) {
      const error = await source.unwrap(parseKeyEnvelope(wrapped), 'T').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(IntegrationError);
      expect(error).toMatchObject({
        code: 'unknown_kek_label',
        retryable: false,
        attributes: { kekLabel: 'kek-1' },
      });
      expect((error as Error).message).toContain('"kek-1"');
    }
    expect(reader.invalidated).toHaveLength(1);
  });

  it('reports an envelope that does not unwrap under the labelled KEK, without key bytes', async () => {
    const source = new KekRingSource(
      new InMemorySecretReader(
        new Map([['s/kek', ring({ 'kek-1': '0F0E0D0C0B0A09080706050403020100' })]]),
      ),
      's/kek',
    );
    const error = await source.unwrap(parseKeyEnvelope(wrapped), 'T').catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'app_s_key_unwrap_failed' });
    expect(JSON.stringify({ m: (error as Error).message })).not.toMatch(/0F0E0D0C|000102030405/i);
  });

  it('refuses a malformed ring without quoting it, and reads the secret anew on the retry', async () => {
    const secrets = new InMemorySecretReader(
      new Map([['s/kek', `{"current":"a","keys":{"a":"${rfc.kek.slice(2)}"}}`]]),
    );
    const source = new KekRingSource(secrets, 's/kek');
    const error = await source.ring().catch((e: unknown) => e);
    // Retryable, as an invalid configuration: the events wait for the fix, not dropped.
    expect(error).toMatchObject({ code: 'invalid_kek_ring', retryable: true });
    expect((error as Error).message).not.toContain(rfc.kek.slice(2));
    expect(secrets.invalidated).toEqual(['s/kek']);
  });

  it('wraps a plaintext AppSKey under the current KEK before the shadow keeps it, when allowed', async () => {
    const source = new KekRingSource(
      new InMemorySecretReader(new Map([['s/kek', ring({ 'kek-1': rfc.kek })]])),
      's/kek',
      { allowPlaintextKeys: true },
    );
    const stored = await source.toShadowEnvelope(parseKeyEnvelope({ key: rfc.key }));
    expect(stored).toEqual({
      encryptedKey: Buffer.from(wrapKey(hex(rfc.kek), hex(rfc.key))).toString('base64'),
      kekLabel: 'kek-1',
    });
    expect(JSON.stringify(stored)).not.toContain(rfc.key);
  });
});

describe('KekRingSource: plaintext session keys (E2E downgrade)', () => {
  it('refuses a plaintext AppSKey by default: neither unwrapped nor stored', async () => {
    const source = new KekRingSource(
      new InMemorySecretReader(new Map([['s/kek', ring({ 'kek-1': rfc.kek })]])),
      's/kek',
    );
    const plain = parseKeyEnvelope({ key: rfc.key });
    expect(source.refuses(plain)).toBe(true);
    expect(source.refuses(parseKeyEnvelope(wrapped))).toBe(false);
    for (const attempt of [source.unwrap(plain, 'T'), source.toShadowEnvelope(plain, 'T')]) {
      const error = await attempt.catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'plaintext_session_key', retryable: false });
      expect((error as Error).message).toMatch(/Join Server .* no KEK for this device/);
      expect((error as Error).message).not.toContain(rfc.key);
    }
  });
});

describe('KekRingSource: bounded caches', () => {
  it('reads the KEK secret again at most once a minute, however many unknown labels arrive', async () => {
    const reader = new InMemorySecretReader(new Map([['s/kek', ring({ other: rfc.kek })]]));
    let now = 1_000_000;
    const source = new KekRingSource(reader, 's/kek', { now: () => now });
    for (let i = 0; i < 50; i++) {
      const envelope = parseKeyEnvelope({ ...wrapped, kek_label: `unknown-${i}` });
      await expect(source.unwrap(envelope, 'T')).rejects.toMatchObject({
        code: 'unknown_kek_label',
      });
    }
    expect(reader.invalidated).toHaveLength(1);
    now += KEK_REFRESH_INTERVAL_MS - 1;
    await source.unwrap(parseKeyEnvelope({ ...wrapped, kek_label: 'late' }), 'T').catch(() => 0);
    expect(reader.invalidated).toHaveLength(1);
    now += 1;
    await source.unwrap(parseKeyEnvelope({ ...wrapped, kek_label: 'later' }), 'T').catch(() => 0);
    expect(reader.invalidated).toHaveLength(2);
  });

  it('forgets an unwrapped session key after an hour', async () => {
    let now = 0;
    const source = new KekRingSource(
      new InMemorySecretReader(new Map([['s/kek', ring({ 'kek-1': rfc.kek })]])),
      's/kek',
      { now: () => now },
    );
    const first = await source.unwrap(parseKeyEnvelope(wrapped), 'T');
    now += 59 * 60 * 1000;
    expect(await source.unwrap(parseKeyEnvelope(wrapped), 'T')).toBe(first);
    now += 60 * 60 * 1000;
    const again = await source.unwrap(parseKeyEnvelope(wrapped), 'T');
    expect(again).not.toBe(first);
    expect(again).toEqual(first);
  });
});

describe('payload crypto on input from outside', () => {
  const key = parseAesKey(rfc.key);
  it('refuses an FRMPayload beyond the LoRaWAN maximum of 242 bytes as bad input', () => {
    for (const length of [MAX_FRM_PAYLOAD_BYTES + 1, 5000]) {
      const payload = new Uint8Array(length);
      for (const operation of [
        () => decryptUplinkPayload(key, '260B1A2F', 1, payload),
        () => encryptDownlinkPayload(key, '260B1A2F', 1, payload),
        () => reencryptDownlinkPayload(key, '260B1A2F', 1, 2, payload),
      ]) {
        expect(operation).toThrow(InputError);
        expect(operation).toThrow(expect.objectContaining({ code: 'frm_payload_too_long' }));
      }
    }
    expect(decryptUplinkPayload(key, '260B1A2F', 1, new Uint8Array(242))).toHaveLength(242);
  });

  it('turns a LorawanError of bad input into a non-retryable InputError', () => {
    const error = (() => {
      try {
        decryptUplinkPayload(key, '260B1A', 1, new Uint8Array(4));
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(InputError);
    expect(error).toMatchObject({ code: 'invalid_dev_addr', retryable: false });
  });
});

describe('unwrapCounted', () => {
  it('counts a session key that does not unwrap as DecryptFailures, and rethrows', async () => {
    const counted: string[] = [];
    const counters = { count: (name: string) => void counted.push(name) };
    const source = new KekRingSource(
      new InMemorySecretReader(new Map([['s/kek', ring({ 'kek-1': rfc.kek })]])),
      's/kek',
    );
    await expect(
      unwrapCounted(source, parseKeyEnvelope(wrapped), 'T', counters),
    ).resolves.toHaveLength(16);
    expect(counted).toEqual([]);
    const unknown = parseKeyEnvelope({ ...wrapped, kek_label: 'kek-9' });
    await expect(unwrapCounted(source, unknown, 'T', counters)).rejects.toMatchObject({
      code: 'unknown_kek_label',
    });
    expect(counted).toEqual(['DecryptFailures']);
  });
});

describe('FRMPayload crypto', () => {
  it.each(vectors.frm_payload_crypto)('matches the $source vector (uplink $uplink)', (vector) => {
    const key = parseAesKey(vector.key);
    if (vector.uplink) {
      expect(
        Buffer.from(decryptUplinkPayload(key, vector.devAddr, vector.fCnt, hex(vector.ciphertext)))
          .toString('hex')
          .toUpperCase(),
      ).toBe(vector.plaintext);
    } else {
      expect(
        Buffer.from(encryptDownlinkPayload(key, vector.devAddr, vector.fCnt, hex(vector.plaintext)))
          .toString('hex')
          .toUpperCase(),
      ).toBe(vector.ciphertext);
    }
  });

  it('moves a downlink to another counter as if it had been encrypted there', () => {
    const key = parseAesKey('2B7E151628AED2A6ABF7158809CF4F3C');
    const plaintext = hex('0102030405060708090A');
    const atFive = encryptDownlinkPayload(key, '260B1A2F', 5, plaintext);
    expect(reencryptDownlinkPayload(key, '260B1A2F', 5, 9, atFive)).toEqual(
      encryptDownlinkPayload(key, '260B1A2F', 9, plaintext),
    );
  });
});
