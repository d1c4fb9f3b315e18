import {
  aesCmac,
  computeDownlinkMIC,
  computeJoinAcceptMIC,
  computeJoinRequestMIC,
  computeLegacyDownlinkMIC,
  computeLegacyJoinAcceptMIC,
  computeLegacyUplinkMIC,
  computeRejoinRequestMIC,
  computeUplinkMIC,
  decryptFOpts,
  decryptFRMPayload,
  decryptJoinAccept,
  deriveAppSKey,
  deriveFNwkSIntKey,
  deriveJSEncKey,
  deriveJSIntKey,
  deriveLegacyAppSKey,
  deriveLegacyNwkSKey,
  deriveNwkSEncKey,
  deriveSNwkSIntKey,
  encryptFOpts,
  encryptFRMPayload,
  encryptJoinAccept,
  fromHex,
  LorawanError,
  parseAesKey,
  parseDevAddr,
  parseEui64,
  toHex,
  type JoinReqType,
} from '../src/index';
import { vectors } from './vectors';

const key = (hex: string) => parseAesKey(hex);
const num = (hex: string) => parseInt(hex, 16);

describe('AES-CMAC (RFC 4493)', () => {
  it.each(vectors.cmac_rfc4493.map((v) => [v.message.length / 2, v] as const))(
    'matches the RFC example for a %i-byte message',
    (_, v) => {
      expect(toHex(aesCmac(key(v.key), fromHex(v.message)))).toBe(v.mac);
    },
  );

  it('gives the same tag however calls with the same key interleave', () => {
    const k = key(vectors.cmac_rfc4493[0]!.key);
    const other = parseAesKey('000102030405060708090A0B0C0D0E0F');
    const tags = vectors.cmac_rfc4493.map((v) => {
      aesCmac(other, fromHex(v.message));
      return toHex(aesCmac(k, fromHex(v.message)));
    });
    expect(tags).toEqual(vectors.cmac_rfc4493.map((v) => v.mac));
  });

  it('notices a cached key whose bytes were rewritten', () => {
    const [a, b] = vectors.cmac_rfc4493;
    const k = key(a!.key);
    expect(toHex(aesCmac(k, fromHex(a!.message)))).toBe(a!.mac);
    k.set(parseAesKey('000102030405060708090A0B0C0D0E0F'));
    expect(toHex(aesCmac(k, fromHex(b!.message)))).toBe(
      toHex(aesCmac(parseAesKey('000102030405060708090A0B0C0D0E0F'), fromHex(b!.message))),
    );
    k.set(key(a!.key));
    expect(toHex(aesCmac(k, fromHex(b!.message)))).toBe(b!.mac);
  });

  it('leaves the message untouched', () => {
    const message = fromHex(vectors.cmac_rfc4493[2]!.message);
    aesCmac(key(vectors.cmac_rfc4493[2]!.key), message);
    expect(toHex(message)).toBe(vectors.cmac_rfc4493[2]!.message);
  });
});

describe('FRMPayload encryption', () => {
  it.each(vectors.frm_payload_crypto.map((v) => [v.uplink ? 'up' : 'down', v] as const))(
    'matches the published %slink vector both ways',
    (direction, v) => {
      const args = [key(v.key), direction, parseDevAddr(v.devAddr), v.fCnt] as const;
      expect(toHex(encryptFRMPayload(...args, fromHex(v.plaintext)))).toBe(v.ciphertext);
      expect(toHex(decryptFRMPayload(...args, fromHex(v.ciphertext)))).toBe(v.plaintext);
    },
  );

  it('returns a new buffer and leaves the input untouched', () => {
    const payload = fromHex('01020304');
    const out = encryptFRMPayload(
      key('01010101010101010101010101010101'),
      'up',
      parseDevAddr('01020304'),
      1,
      payload,
    );
    expect(out).not.toBe(payload);
    expect(toHex(payload)).toBe('01020304');
  });

  it('encrypts an empty payload to an empty one', () => {
    expect(
      encryptFRMPayload(
        key('01010101010101010101010101010101'),
        'up',
        parseDevAddr('01020304'),
        1,
        new Uint8Array(0),
      ),
    ).toHaveLength(0);
  });

  it('uses a new counter block every 16 bytes', () => {
    const k = key('01010101010101010101010101010101');
    const addr = parseDevAddr('01020304');
    const stream = encryptFRMPayload(k, 'up', addr, 7, new Uint8Array(48));
    expect(toHex(stream.subarray(0, 16))).not.toBe(toHex(stream.subarray(16, 32)));
    expect(toHex(encryptFRMPayload(k, 'up', addr, 7, new Uint8Array(20)))).toBe(
      toHex(stream.subarray(0, 20)),
    );
  });

  it('takes the full 32-bit counter', () => {
    const k = key('01010101010101010101010101010101');
    const addr = parseDevAddr('01020304');
    const low = encryptFRMPayload(k, 'up', addr, 1, fromHex('01020304'));
    expect(toHex(encryptFRMPayload(k, 'up', addr, 0x10001, fromHex('01020304')))).not.toBe(
      toHex(low),
    );
    expect(() => encryptFRMPayload(k, 'up', addr, 2 ** 32, low)).toThrow(
      expect.objectContaining({ code: 'invalid_value' }),
    );
    expect(() => encryptFRMPayload(k, 'up', addr, -1, low)).toThrow(LorawanError);
  });

  it('refuses more than 255 blocks, where the one-byte block counter would wrap', () => {
    const k = key('01010101010101010101010101010101');
    expect(
      encryptFRMPayload(k, 'up', parseDevAddr('01020304'), 0, new Uint8Array(4080)),
    ).toHaveLength(4080);
    expect(() =>
      encryptFRMPayload(k, 'up', parseDevAddr('01020304'), 0, new Uint8Array(4081)),
    ).toThrow(expect.objectContaining({ code: 'payload_too_long' }));
  });
});

describe('LoRaWAN 1.1 FOpts encryption (erratum A-block)', () => {
  const v = vectors.fopts_crypto_1_1[0]!;
  const args = (direction: 'up' | 'down') =>
    [key(v.key), direction, parseDevAddr(v.devAddr), v.fCnt] as const;

  it.each([['up', v.uplink] as const, ['down', v.downlink] as const])(
    'matches the published %slink vector both ways',
    (direction, ciphertext) => {
      expect(toHex(encryptFOpts(...args(direction), fromHex(v.plaintext)))).toBe(ciphertext);
      expect(toHex(decryptFOpts(...args(direction), fromHex(ciphertext)))).toBe(v.plaintext);
    },
  );

  it('binds AFCntDown downlinks to another keystream than NFCntDown ones', () => {
    const a = encryptFOpts(...args('down'), fromHex(v.plaintext), 'aFCntDown');
    expect(toHex(a)).not.toBe(v.downlink);
    expect(toHex(decryptFOpts(...args('down'), a, 'aFCntDown'))).toBe(v.plaintext);
  });

  it('refuses more than the 15 bytes FOpts can hold', () => {
    expect(() => encryptFOpts(...args('up'), new Uint8Array(16))).toThrow(
      expect.objectContaining({ code: 'invalid_length' }),
    );
  });
});

describe('data frame MICs', () => {
  it.each(vectors.legacy_mic.map((v) => [v.uplink ? 'uplink' : 'downlink', v] as const))(
    'LoRaWAN 1.0 %s MIC matches the published vector',
    (_, v) => {
      const compute = v.uplink ? computeLegacyUplinkMIC : computeLegacyDownlinkMIC;
      expect(toHex(compute(key(v.key), parseDevAddr(v.devAddr), v.fCnt, fromHex(v.message)))).toBe(
        v.mic,
      );
    },
  );

  const frames = vectors.lorawan_1_1_frames;
  const msg = (hex: string) => fromHex(hex.slice(0, -8));
  const devAddrOf = (hex: string) =>
    parseDevAddr(hex.slice(8, 10) + hex.slice(6, 8) + hex.slice(4, 6) + hex.slice(2, 4));
  const fCntOf = (hex: string) => num(hex.slice(14, 16) + hex.slice(12, 14));
  const ackOf = (hex: string) => (num(hex.slice(10, 12)) & 0x20) !== 0;

  it.each(
    frames
      .filter((f) => f.phyPayload.startsWith('40'))
      .map((f) => [f.note ?? f.source, f] as const),
  )('LoRaWAN 1.1 uplink MIC matches the published vector (%s)', (_, f) => {
    const params = {
      confFCnt: ackOf(f.phyPayload) ? (f.confFCnt ?? 0) : 0,
      txDr: f.txDr!,
      txCh: f.txCh!,
    };
    const mic = computeUplinkMIC(
      key(f.fNwkSIntKey!),
      key(f.sNwkSIntKey),
      devAddrOf(f.phyPayload),
      fCntOf(f.phyPayload),
      params,
      msg(f.phyPayload),
    );
    expect(toHex(mic)).toBe(f.mic);
  });

  it.each(frames.filter((f) => f.phyPayload.startsWith('60')).map((f) => [f.note!, f] as const))(
    'LoRaWAN 1.1 downlink MIC matches the published vector (%s)',
    (_, f) => {
      const mic = computeDownlinkMIC(
        key(f.sNwkSIntKey),
        devAddrOf(f.phyPayload),
        fCntOf(f.phyPayload),
        0,
        msg(f.phyPayload),
      );
      expect(toHex(mic)).toBe(f.mic);
    },
  );

  it('covers ConfFCnt modulo 2^16 in a 1.1 downlink MIC', () => {
    const k = key('02020202020202020202020202020202');
    const addr = parseDevAddr('01020304');
    const m = fromHex('6004030201230000');
    expect(toHex(computeDownlinkMIC(k, addr, 0, 0x10005, m))).toBe(
      toHex(computeDownlinkMIC(k, addr, 0, 5, m)),
    );
    expect(toHex(computeDownlinkMIC(k, addr, 0, 6, m))).not.toBe(
      toHex(computeDownlinkMIC(k, addr, 0, 5, m)),
    );
  });

  it('refuses out-of-range B-block fields and messages longer than the length byte', () => {
    const k = key('02020202020202020202020202020202');
    const addr = parseDevAddr('01020304');
    expect(() =>
      computeUplinkMIC(k, k, addr, 0, { confFCnt: 0, txDr: 256, txCh: 0 }, new Uint8Array(8)),
    ).toThrow(expect.objectContaining({ code: 'invalid_value', attributes: { field: 'TxDr' } }));
    expect(() => computeLegacyUplinkMIC(k, addr, 0, new Uint8Array(256))).toThrow(
      expect.objectContaining({ code: 'payload_too_long' }),
    );
  });
});

describe('join MICs', () => {
  it.each(vectors.join_requests.map((v) => [v.source, v] as const))(
    'join-request MIC matches the published vector (%s)',
    (_, v) => {
      expect(toHex(computeJoinRequestMIC(key(v.appKey), fromHex(v.phyPayload.slice(0, -8))))).toBe(
        v.mic,
      );
    },
  );

  it.each(vectors.rejoin_requests.map((v) => [v.type, v] as const))(
    'rejoin-request type %i MIC matches the published vector',
    (_, v) => {
      expect(toHex(computeRejoinRequestMIC(key(v.key), fromHex(v.phyPayload.slice(0, -8))))).toBe(
        v.mic,
      );
    },
  );

  const accepts = vectors.join_accepts;

  it.each(accepts.filter((v) => v.lorawan === '1.0').map((v) => [v.phyPayload, v] as const))(
    '1.0 join-accept %s decrypts, and encrypts back, with its MIC',
    (_, v) => {
      const k = key(v.appKey!);
      const plain = decryptJoinAccept(k, fromHex(v.phyPayload));
      const body =
        v.decryptedBody ??
        v.joinNonce!.match(/../g)!.reverse().join('') +
          v.netID!.match(/../g)!.reverse().join('') +
          v.devAddr!.match(/../g)!.reverse().join('') +
          v.dlSettings! +
          v.rxDelay!;
      expect(toHex(plain)).toBe(`20${body}${v.mic}`);
      expect(toHex(computeLegacyJoinAcceptMIC(k, plain.subarray(0, -4)))).toBe(v.mic);
      expect(toHex(encryptJoinAccept(k, plain))).toBe(v.phyPayload);
    },
  );

  it('1.1 join-accept (OptNeg) decrypts with the NwkKey and its MIC covers the join-request', () => {
    const v = accepts.find((a) => a.lorawan === '1.1')!;
    const plain = decryptJoinAccept(key(v.nwkKey!), fromHex(v.phyPayload));
    expect(toHex(plain)).toBe(`20${v.decryptedBody}${v.mic}`);
    const mic = computeJoinAcceptMIC(
      key(v.jsIntKey!),
      num(v.joinReqType!) as JoinReqType,
      parseEui64(v.joinEUI!),
      num(v.devNonce!),
      plain.subarray(0, -4),
    );
    expect(toHex(mic)).toBe(v.mic);
    expect(toHex(encryptJoinAccept(key(v.nwkKey!), plain))).toBe(v.phyPayload);
  });

  it('refuses a join-accept of the wrong length and a reserved JoinReqType', () => {
    const k = key('00000000000000000000000000000000');
    expect(() => decryptJoinAccept(k, new Uint8Array(18))).toThrow(
      expect.objectContaining({ code: 'invalid_length' }),
    );
    expect(() => encryptJoinAccept(k, new Uint8Array(32))).toThrow(
      expect.objectContaining({ code: 'invalid_length' }),
    );
    expect(() =>
      computeJoinAcceptMIC(
        k,
        3 as JoinReqType,
        parseEui64('0000000000000000'),
        0,
        new Uint8Array(13),
      ),
    ).toThrow(expect.objectContaining({ code: 'invalid_value' }));
    expect(() =>
      computeJoinAcceptMIC(k, 0xff, parseEui64('0000000000000000'), 0x10000, new Uint8Array(13)),
    ).toThrow(expect.objectContaining({ code: 'invalid_value' }));
  });
});

describe('key derivation', () => {
  const [legacy, v11, tts] = vectors.key_derivation as [
    Record<string, string>,
    Record<string, string>,
    Record<string, string>,
  ];

  it('derives the LoRaWAN 1.0 session keys of the published vectors', () => {
    for (const v of [
      legacy,
      {
        ...tts,
        appKey: tts['key']!,
        nwkSKey: tts['legacyNwkSKey']!,
        appSKey: tts['legacyAppSKey']!,
      },
    ]) {
      const args = [
        key(v['appKey']!),
        num(v['joinNonce']!),
        num(v['netID']!),
        num(v['devNonce']!),
      ] as const;
      expect(toHex(deriveLegacyNwkSKey(...args))).toBe(v['nwkSKey']);
      expect(toHex(deriveLegacyAppSKey(...args))).toBe(v['appSKey']);
    }
  });

  it('derives the LoRaWAN 1.1 session keys of the published vectors', () => {
    for (const v of [v11, { ...tts, appKey: tts['key']!, nwkKey: tts['key']! }]) {
      const rest = [num(v['joinNonce']!), parseEui64(v['joinEUI']!), num(v['devNonce']!)] as const;
      expect(toHex(deriveFNwkSIntKey(key(v['nwkKey']!), ...rest))).toBe(v['fNwkSIntKey']);
      expect(toHex(deriveSNwkSIntKey(key(v['nwkKey']!), ...rest))).toBe(v['sNwkSIntKey']);
      expect(toHex(deriveNwkSEncKey(key(v['nwkKey']!), ...rest))).toBe(v['nwkSEncKey']);
      expect(toHex(deriveAppSKey(key(v['appKey']!), ...rest))).toBe(v['appSKey']);
    }
  });

  it('derives the LoRaWAN 1.1 join server keys of the published vector', () => {
    expect(toHex(deriveJSIntKey(key(tts['key']!), parseEui64(tts['devEUI']!)))).toBe(
      tts['jsIntKey'],
    );
    expect(toHex(deriveJSEncKey(key(tts['key']!), parseEui64(tts['devEUI']!)))).toBe(
      tts['jsEncKey'],
    );
  });

  it('refuses nonces and NetIDs wider than their fields', () => {
    const k = key(legacy['appKey']!);
    expect(() => deriveLegacyNwkSKey(k, 0x1000000, 0, 0)).toThrow(
      expect.objectContaining({ code: 'invalid_value', attributes: { field: 'JoinNonce' } }),
    );
    expect(() => deriveLegacyAppSKey(k, 0, -1, 0)).toThrow(
      expect.objectContaining({ attributes: { field: 'NetID' } }),
    );
    expect(() => deriveAppSKey(k, 0, parseEui64('0000000000000001'), 1.5)).toThrow(
      expect.objectContaining({ attributes: { field: 'DevNonce' } }),
    );
  });
});
