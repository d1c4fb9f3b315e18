import {
  computeMIC,
  dataFrameDirection,
  decodeMACCommands,
  decodePHYPayload,
  decryptFOpts,
  decryptFRMPayload,
  decryptJoinAccept,
  deriveJSIntKey,
  encodePHYPayload,
  fromHex,
  parseAesKey,
  parseDevAddr,
  parseEui64,
  toHex,
  verifyMIC,
  type DataFrame,
  type JoinAccept,
  type JoinRequest,
  type PHYPayload,
  type RejoinRequest,
} from '../src/index';
import { vectors } from './vectors';

const key = (hex: string) => parseAesKey(hex);
const decode = (hex: string) => decodePHYPayload(fromHex(hex));
const roundTrip = (hex: string, payload: PHYPayload) =>
  expect(toHex(encodePHYPayload(payload))).toBe(hex);

describe('LoRaWAN 1.0 data frames', () => {
  it.each(vectors.data_frames_1_0.map((v) => [v.phyPayload, v] as const))(
    '%s decodes, verifies, decrypts and encodes back',
    (hex, v) => {
      const frame = decode(hex) as DataFrame;
      expect(frame).toMatchObject({
        mType: v.mType,
        major: 'LoRaWANR1',
        fCnt: v.fCnt,
        fPort: v.fPort,
      });
      expect(dataFrameDirection(frame)).toBe(v.mType.endsWith('Up') ? 'up' : 'down');
      expect(toHex(frame.devAddr)).toBe(v.devAddr);
      expect(toHex(frame.fOpts)).toBe(v.fOpts ?? '');
      expect(toHex(frame.mic)).toBe(v.mic);
      expect(frame.fCtrl.adr).toBe((parseInt(hex.slice(10, 12), 16) & 0x80) !== 0);
      if (v.adr !== undefined) expect(frame.fCtrl.adr).toBe(v.adr);
      expect(frame.fCtrl.ack).toBe(v.ack ?? false);
      expect(verifyMIC(frame, { nwkSKey: key(v.nwkSKey) })).toBe(true);
      if (v.plaintext !== undefined) {
        const payloadKey = key(v.fPort === 0 ? v.nwkSKey : v.appSKey!);
        const direction = v.mType.endsWith('Up') ? 'up' : 'down';
        expect(
          toHex(
            decryptFRMPayload(payloadKey, direction, frame.devAddr, frame.fCnt, frame.frmPayload),
          ),
        ).toBe(v.plaintext);
      }
      roundTrip(hex, frame);
    },
  );

  it('detects a wrong MIC, key or counter', () => {
    const v = vectors.data_frames_1_0[0]!;
    const frame = decode(v.phyPayload) as DataFrame;
    expect(verifyMIC(frame, { nwkSKey: key(v.appSKey!) })).toBe(false);
    expect(verifyMIC(frame, { nwkSKey: key(v.nwkSKey) }, { fCnt: 0x10000 + frame.fCnt })).toBe(
      false,
    );
    expect(verifyMIC({ ...frame, mic: fromHex('2B11FF0E') }, { nwkSKey: key(v.nwkSKey) })).toBe(
      false,
    );
    expect(verifyMIC({ ...frame, mic: fromHex('2B11FF') }, { nwkSKey: key(v.nwkSKey) })).toBe(
      false,
    );
    expect(verifyMIC({ ...frame, mic: undefined as never }, { nwkSKey: key(v.nwkSKey) })).toBe(
      false,
    );
  });

  it('signs a frame built from fields, at a full 32-bit counter', () => {
    const nwkSKey = key('44024241ED4CE9A68C6A8BC055233FD3');
    const unsigned: DataFrame = {
      mType: 'ConfirmedDataDown',
      devAddr: parseDevAddr('49BE7DF1'),
      fCtrl: { adr: true, ack: true, fPending: true },
      fCnt: 0x0005,
      fOpts: fromHex('0207 01'.replace(' ', '')),
      frmPayload: new Uint8Array(0),
      mic: new Uint8Array(4),
    };
    const frame = { ...unsigned, mic: computeMIC(unsigned, { nwkSKey }, { fCnt: 0x20005 }) };
    const decoded = decodePHYPayload(encodePHYPayload(frame)) as DataFrame;
    expect(decoded).toEqual({ ...frame, major: 'LoRaWANR1' });
    expect(verifyMIC(decoded, { nwkSKey }, { fCnt: 0x20005 })).toBe(true);
    expect(verifyMIC(decoded, { nwkSKey })).toBe(false);
    expect(() => computeMIC(decoded, { nwkSKey }, { fCnt: 0x20006 })).toThrow(
      expect.objectContaining({ code: 'invalid_value', attributes: { field: 'FCnt' } }),
    );
  });

  it('decodes the MAC commands of FOpts and of FPort-0 payloads', () => {
    const [, , , , port0, fOpts] = vectors.data_frames_1_0;
    const frame = decode(fOpts!.phyPayload) as DataFrame;
    expect(decodeMACCommands(frame.fOpts, 'up')).toEqual([{ name: 'LinkCheckReq', cid: 2 }]);
    const zero = decode(port0!.phyPayload) as DataFrame;
    const plain = decryptFRMPayload(
      key(port0!.nwkSKey),
      'up',
      zero.devAddr,
      zero.fCnt,
      zero.frmPayload,
    );
    expect(decodeMACCommands(plain, 'up')).toEqual([{ name: 'LinkCheckReq', cid: 2 }]);
    const devStatus = decode(vectors.data_frames_1_0[9]!.phyPayload) as DataFrame;
    expect(decodeMACCommands(devStatus.fOpts, 'up')).toEqual([
      { name: 'DevStatusAns', cid: 6, battery: 0x73, margin: 7 },
    ]);
  });

  it('keeps no reference to the caller buffer and never changes it', () => {
    const bytes = fromHex(vectors.data_frames_1_0[1]!.phyPayload);
    const frame = decodePHYPayload(bytes) as DataFrame;
    verifyMIC(frame, { nwkSKey: key(vectors.data_frames_1_0[1]!.nwkSKey) });
    expect(toHex(bytes)).toBe(vectors.data_frames_1_0[1]!.phyPayload);
    bytes.fill(0);
    expect(toHex(frame.mic)).toBe(vectors.data_frames_1_0[1]!.mic);
    expect(frame.frmPayload.buffer).not.toBe(bytes.buffer);
  });
});

describe('LoRaWAN 1.1 data frames', () => {
  const frames = vectors.lorawan_1_1_frames;
  const keysOf = (f: (typeof frames)[number]) => ({
    sNwkSIntKey: key(f.sNwkSIntKey),
    ...(f.fNwkSIntKey && { fNwkSIntKey: key(f.fNwkSIntKey) }),
  });

  it.each(frames.map((f) => [f.phyPayload, f] as const))(
    '%s verifies with the 1.1 MIC and encodes back',
    (hex, f) => {
      const frame = decode(hex) as DataFrame;
      expect(toHex(frame.mic)).toBe(f.mic);
      const context = { confFCnt: f.confFCnt, txDr: f.txDr, txCh: f.txCh };
      expect(verifyMIC(frame, keysOf(f), context)).toBe(true);
      expect(verifyMIC(frame, keysOf(f), { ...context, txCh: (f.txCh ?? 0) + 1 })).toBe(
        frame.mType.endsWith('Down'),
      );
      roundTrip(hex, frame);
    },
  );

  it.each(frames.filter((f) => f.fOptsPlaintext).map((f) => [f.note!, f] as const))(
    'decrypts FOpts and FRMPayload (%s)',
    (_, f) => {
      const frame = decode(f.phyPayload) as DataFrame;
      const counter = frame.fPort !== undefined && frame.fPort > 0 ? 'aFCntDown' : 'nFCnt';
      const fOpts = decryptFOpts(
        key(f.nwkSEncKey!),
        'down',
        frame.devAddr,
        frame.fCnt,
        frame.fOpts,
        counter,
      );
      expect(toHex(fOpts)).toBe(f.fOptsPlaintext);
      expect(decodeMACCommands(fOpts, 'down')).toEqual([
        { name: 'LinkCheckAns', cid: 2, margin: 7, gwCnt: 1 },
      ]);
      if (f.plaintext)
        expect(
          toHex(
            decryptFRMPayload(key(f.appSKey!), 'down', frame.devAddr, frame.fCnt, frame.frmPayload),
          ),
        ).toBe(f.plaintext);
    },
  );

  it.each(
    frames.filter((f) => f.fPort === 0 && f.plaintext).map((f) => [f.phyPayload, f] as const),
  )('decrypts the FPort-0 payload of %s with the NwkSEncKey', (_, f) => {
    const frame = decode(f.phyPayload) as DataFrame;
    const plain = decryptFRMPayload(
      key(f.nwkSEncKey!),
      'up',
      frame.devAddr,
      frame.fCnt,
      frame.frmPayload,
    );
    expect(toHex(plain)).toBe(f.plaintext);
    expect(decodeMACCommands(plain, 'up')).toEqual([{ name: 'RekeyInd', cid: 0x0b, minor: 1 }]);
  });

  it('says which key or context a 1.1 MIC lacks', () => {
    const [noAck, ack] = frames;
    const up = decode(ack!.phyPayload);
    const all = keysOf(ack!);
    expect(() => computeMIC(up, {})).toThrow(expect.objectContaining({ code: 'missing_key' }));
    expect(() => computeMIC(up, { sNwkSIntKey: all.sNwkSIntKey })).toThrow(
      expect.objectContaining({ code: 'missing_key' }),
    );
    expect(() => computeMIC(up, all, { txDr: 2, txCh: 3 })).toThrow(
      expect.objectContaining({ code: 'missing_context', attributes: { field: 'confFCnt' } }),
    );
    expect(() => computeMIC(up, all, { confFCnt: 1, txCh: 3 })).toThrow(
      expect.objectContaining({ code: 'missing_context', attributes: { field: 'txDr' } }),
    );
    expect(() => computeMIC(up, all, { confFCnt: 1, txDr: 3 })).toThrow(
      expect.objectContaining({ code: 'missing_context', attributes: { field: 'txCh' } }),
    );
    expect(() => computeMIC(up, { ...all, nwkSKey: all.sNwkSIntKey })).toThrow(
      expect.objectContaining({ code: 'conflicting_keys' }),
    );
    // Without ACK, ConfFCnt is 0 whatever is given.
    const unacked = decode(noAck!.phyPayload);
    expect(verifyMIC(unacked, all, { txDr: 2, txCh: 3 })).toBe(true);
    expect(verifyMIC(unacked, all, { confFCnt: 9, txDr: 2, txCh: 3 })).toBe(true);
  });

  it('covers ConfFCnt in an acknowledging 1.1 downlink', () => {
    const down = decode('6004030201230000DFB4F1E24F1F9F') as DataFrame;
    const sNwkSIntKey = key(frames[3]!.sNwkSIntKey);
    const signed = { ...down, mic: computeMIC(down, { sNwkSIntKey }, { confFCnt: 7 }) };
    expect(verifyMIC(signed, { sNwkSIntKey }, { confFCnt: 7 })).toBe(true);
    expect(verifyMIC(signed, { sNwkSIntKey }, { confFCnt: 8 })).toBe(false);
  });
});

describe('join-requests', () => {
  it.each(vectors.join_requests.map((v) => [v.phyPayload, v] as const))(
    '%s decodes, verifies and encodes back',
    (hex, v) => {
      const request = decode(hex) as JoinRequest;
      expect(request.mType).toBe('JoinRequest');
      expect(toHex(request.joinEUI) + toHex(request.devEUI)).toBe(
        hex.slice(2, 18).match(/../g)!.reverse().join('') +
          hex.slice(18, 34).match(/../g)!.reverse().join(''),
      );
      if (v.devNonce) expect(request.devNonce).toBe(parseInt(v.devNonce, 16));
      expect(verifyMIC(request, { appKey: key(v.appKey) })).toBe(true);
      expect(
        verifyMIC(request, {
          nwkKey: key(v.appKey),
          appKey: key('00000000000000000000000000000000'),
        }),
      ).toBe(true);
      expect(verifyMIC(request, { appKey: key('00000000000000000000000000000000') })).toBe(false);
      roundTrip(hex, request);
    },
  );

  it('needs the AppKey or NwkKey for its MIC', () => {
    expect(() =>
      computeMIC(decode(vectors.join_requests[0]!.phyPayload), {
        nwkSKey: key(vectors.join_requests[0]!.appKey),
      }),
    ).toThrow(expect.objectContaining({ code: 'missing_key' }));
  });
});

describe('join-accepts', () => {
  const accepts = vectors.join_accepts;

  it('stays opaque until decrypted, and encodes back', () => {
    const v = accepts[0]!;
    const accept = decode(v.phyPayload);
    expect(accept).toEqual({
      mType: 'JoinAccept',
      major: 'LoRaWANR1',
      encrypted: fromHex(v.phyPayload.slice(2)),
    });
    roundTrip(v.phyPayload, accept);
    expect(() => computeMIC(accept, { appKey: key(v.appKey!) })).toThrow(
      expect.objectContaining({ code: 'unsupported_message' }),
    );
  });

  it('decodes the published 1.0 join-accept once decrypted, and verifies its MIC', () => {
    const v = accepts[0]!;
    const plain = decryptJoinAccept(key(v.appKey!), fromHex(v.phyPayload));
    const accept = decodePHYPayload(plain, { joinAccept: 'plain' }) as JoinAccept;
    expect(accept).toMatchObject({
      joinNonce: parseInt(v.joinNonce!, 16),
      netID: parseInt(v.netID!, 16),
      dlSettings: { optNeg: false, rx1DROffset: 0, rx2DataRate: 0 },
      rxDelay: 0,
    });
    expect(toHex(accept.devAddr)).toBe(v.devAddr);
    expect(accept.cfList).toBeUndefined();
    expect(verifyMIC(accept, { appKey: key(v.appKey!) })).toBe(true);
    roundTrip(toHex(plain), accept);
  });

  it('verifies the published 1.1 join-accept (OptNeg) against its join-request', () => {
    const v = accepts.find((a) => a.lorawan === '1.1')!;
    const accept = decodePHYPayload(decryptJoinAccept(key(v.nwkKey!), fromHex(v.phyPayload)), {
      joinAccept: 'plain',
    }) as JoinAccept;
    expect(accept.dlSettings.optNeg).toBe(true);
    const context = {
      joinReqType: 0xff,
      joinEUI: parseEui64(v.joinEUI!),
      devNonce: parseInt(v.devNonce!, 16),
    } as const;
    expect(verifyMIC(accept, { jsIntKey: key(v.jsIntKey!) }, context)).toBe(true);
    expect(verifyMIC(accept, { jsIntKey: key(v.jsIntKey!) }, { ...context, joinReqType: 0 })).toBe(
      false,
    );
    expect(() => computeMIC(accept, { nwkKey: key(v.nwkKey!) }, context)).toThrow(
      expect.objectContaining({ code: 'missing_key' }),
    );
    expect(() => computeMIC(accept, { jsIntKey: key(v.jsIntKey!) })).toThrow(
      expect.objectContaining({ code: 'missing_context' }),
    );
  });

  it('carries a CFList of frequencies or of a channel mask', () => {
    const base: JoinAccept = {
      mType: 'JoinAccept',
      joinNonce: 0xabcdef,
      netID: 0x000013,
      devAddr: parseDevAddr('26011234'),
      dlSettings: { optNeg: false, rx1DROffset: 2, rx2DataRate: 3 },
      rxDelay: 5,
      mic: new Uint8Array(4),
    };
    const appKey = key('0102030405060708090A0B0C0D0E0F10');
    for (const cfList of [
      { type: 'Frequencies', frequencies: [867100000, 867300000, 867500000, 867700000, 0] },
      { type: 'ChannelMask', enabledChannels: [0, 1, 2, 3, 4, 5, 6, 7, 65, 119] },
    ] as const) {
      const unsigned = { ...base, cfList };
      const signed = { ...unsigned, mic: computeMIC(unsigned, { appKey }) };
      const bytes = encodePHYPayload(signed);
      expect(bytes).toHaveLength(33);
      const decoded = decodePHYPayload(bytes, { joinAccept: 'plain' });
      expect(decoded).toEqual({ ...signed, major: 'LoRaWANR1' });
      expect(verifyMIC(decoded, { appKey })).toBe(true);
    }
    expect(
      toHex(
        encodePHYPayload({ ...base, cfList: { type: 'Frequencies', frequencies: [867100000] } }),
      ).slice(26, 58),
    ).toBe('184F84000000000000000000000000' + '00');
  });
});

describe('rejoin-requests', () => {
  it.each(vectors.rejoin_requests.map((v) => [v.type, v] as const))(
    'type %i decodes, verifies and encodes back',
    (type, v) => {
      const rejoin = decode(v.phyPayload) as RejoinRequest;
      expect(rejoin).toMatchObject({ mType: 'RejoinRequest', rejoinType: type, rjCount: 0xdb });
      expect(toHex(rejoin.devEUI)).toBe(type === 1 ? '090A0B0C0D0E0F10' : '0102030405060708');
      if (rejoin.rejoinType === 1) expect(toHex(rejoin.joinEUI)).toBe('0102030405060708');
      else expect(rejoin.netID).toBe(0x010203);
      const keys = type === 1 ? { jsIntKey: key(v.key) } : { sNwkSIntKey: key(v.key) };
      expect(verifyMIC(rejoin, keys)).toBe(true);
      expect(() =>
        computeMIC(rejoin, type === 1 ? { sNwkSIntKey: key(v.key) } : { jsIntKey: key(v.key) }),
      ).toThrow(expect.objectContaining({ code: 'missing_key' }));
      roundTrip(v.phyPayload, rejoin);
    },
  );

  it('verifies a type 1 rejoin with the JSIntKey derived from the NwkKey', () => {
    const nwkKey = key('0102030405060708090A0B0C0D0E0F10');
    const unsigned: RejoinRequest = {
      mType: 'RejoinRequest',
      rejoinType: 1,
      joinEUI: parseEui64('70B3D57ED0000000'),
      devEUI: parseEui64('0004A30B001C0530'),
      rjCount: 3,
      mic: new Uint8Array(4),
    };
    const jsIntKey = deriveJSIntKey(nwkKey, unsigned.devEUI);
    const rejoin = decodePHYPayload(
      encodePHYPayload({ ...unsigned, mic: computeMIC(unsigned, { jsIntKey }) }),
    );
    expect(verifyMIC(rejoin, { jsIntKey })).toBe(true);
  });
});

describe('proprietary messages', () => {
  it('keep everything after the MHDR, and have no standard MIC', () => {
    const message = decode('E0010203');
    expect(message).toEqual({
      mType: 'Proprietary',
      major: 'LoRaWANR1',
      payload: fromHex('010203'),
    });
    roundTrip('E0010203', message);
    roundTrip('E0', decode('E0'));
    expect(() => computeMIC(message, {})).toThrow(
      expect.objectContaining({ code: 'unsupported_message' }),
    );
  });
});
