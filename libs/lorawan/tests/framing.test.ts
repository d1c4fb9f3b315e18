import {
  decodeFCtrl,
  decodeFHDR,
  decodeMHDR,
  decodePHYPayload,
  directionOf,
  encodeFCtrl,
  encodeFHDR,
  encodeMHDR,
  encodePHYPayload,
  fromHex,
  LorawanError,
  parseDevAddr,
  parseEui64,
  toHex,
  type DataFrame,
  type JoinAccept,
  type MType,
  type PHYPayload,
  type RejoinRequest,
} from '../src/index';

describe('MHDR', () => {
  it('decodes and encodes every MType, with its direction', () => {
    const types: [MType, 'up' | 'down' | undefined][] = [
      ['JoinRequest', 'up'],
      ['JoinAccept', 'down'],
      ['UnconfirmedDataUp', 'up'],
      ['UnconfirmedDataDown', 'down'],
      ['ConfirmedDataUp', 'up'],
      ['ConfirmedDataDown', 'down'],
      ['RejoinRequest', 'up'],
      ['Proprietary', undefined],
    ];
    types.forEach(([mType, direction], value) => {
      expect(decodeMHDR(value << 5)).toEqual({ mType, major: 'LoRaWANR1' });
      expect(encodeMHDR(mType)).toBe(value << 5);
      expect(directionOf(mType)).toBe(direction);
    });
  });

  it('refuses reserved Major values and RFU bits', () => {
    expect(() => decodeMHDR(0x43)).toThrow(
      expect.objectContaining({ code: 'unsupported_major', attributes: { major: 3 } }),
    );
    expect(() => decodeMHDR(0x44)).toThrow(expect.objectContaining({ code: 'rfu_bits_set' }));
    expect(() => encodeMHDR('DataUp' as MType)).toThrow(
      expect.objectContaining({ code: 'invalid_value', attributes: { field: 'MType' } }),
    );
    expect(() => encodeMHDR('JoinRequest', 'LoRaWANR2' as 'LoRaWANR1')).toThrow(
      expect.objectContaining({ code: 'unsupported_major' }),
    );
  });
});

describe('FCtrl and FHDR, by direction', () => {
  it('reads the same bit as ClassB uplink and FPending downlink', () => {
    expect(decodeFCtrl(0xf3, 'up')).toEqual({
      fCtrl: { adr: true, adrAckReq: true, ack: true, classB: true },
      fOptsLen: 3,
    });
    expect(decodeFCtrl(0xb3, 'down')).toEqual({
      fCtrl: { adr: true, ack: true, fPending: true },
      fOptsLen: 3,
    });
    expect(encodeFCtrl({ adr: true, adrAckReq: true, ack: true, classB: true }, 3, 'up')).toBe(
      0xf3,
    );
    expect(encodeFCtrl({ adr: true, ack: true, fPending: true }, 3, 'down')).toBe(0xb3);
    expect(encodeFCtrl({ adr: false, ack: false, fPending: false }, 0, 'down')).toBe(0);
  });

  it('refuses the downlink RFU bit and malformed flags', () => {
    expect(() => decodeFCtrl(0x40, 'down')).toThrow(
      expect.objectContaining({ code: 'rfu_bits_set' }),
    );
    expect(() => encodeFCtrl({ adr: true, ack: false, fPending: false }, 16, 'down')).toThrow(
      expect.objectContaining({ attributes: { field: 'FOptsLen' } }),
    );
    expect(() => encodeFCtrl({ adr: 1, ack: false, fPending: false } as never, 0, 'down')).toThrow(
      expect.objectContaining({ attributes: { field: 'FCtrl.adr' } }),
    );
    expect(() =>
      encodeFCtrl({ adr: false, ack: false, fPending: false } as never, 0, 'up'),
    ).toThrow(expect.objectContaining({ attributes: { field: 'FCtrl.adrAckReq' } }));
    expect(() => encodeFCtrl(null as never, 0, 'up')).toThrow(
      expect.objectContaining({ attributes: { field: 'FCtrl' } }),
    );
  });

  it('decodes and encodes an FHDR with FOpts', () => {
    const bytes = fromHex('04030201A31000020305' + '01');
    const fhdr = decodeFHDR(bytes, 'up');
    expect(fhdr).toEqual({
      devAddr: parseDevAddr('01020304'),
      fCtrl: { adr: true, adrAckReq: false, ack: true, classB: false },
      fCnt: 16,
      fOpts: fromHex('020305'),
    });
    expect(toHex(encodeFHDR(fhdr, 'up'))).toBe('04030201A31000020305');
    expect(() => decodeFHDR(bytes.subarray(0, 6), 'down')).toThrow(
      expect.objectContaining({ code: 'invalid_length' }),
    );
    expect(() => decodeFHDR(bytes.subarray(0, 9), 'up')).toThrow(
      expect.objectContaining({
        code: 'invalid_length',
        attributes: { structure: 'FOpts', fOptsLen: 3 },
      }),
    );
    expect(() => encodeFHDR({ ...fhdr, fOpts: new Uint8Array(16) }, 'up')).toThrow(
      expect.objectContaining({ attributes: { field: 'FOpts' } }),
    );
    expect(() => encodeFHDR({ ...fhdr, fOpts: [1] as never }, 'up')).toThrow(
      expect.objectContaining({ message: expect.stringContaining('got object') }),
    );
  });
});

describe('decodePHYPayload refuses malformed input with a LorawanError', () => {
  it.each([
    ['a non-byte input', 'x', 'invalid_value'],
    ['an empty frame', '', 'invalid_length'],
    ['a frame longer than 255 bytes', `40${'00'.repeat(255)}`, 'payload_too_long'],
    ['a reserved Major', '41F17DBE4900020001954378762B11FF0D', 'unsupported_major'],
    ['set MHDR RFU bits', '48F17DBE4900020001954378762B11FF0D', 'rfu_bits_set'],
    ['a short join-request', '0039363463336913AA05693574323831330489C65B13', 'invalid_length'],
    ['a long join-request', '0039363463336913AA05693574323831330489C65B130400', 'invalid_length'],
    ['a join-accept of 18 bytes', `20${'00'.repeat(17)}`, 'invalid_length'],
    ['a rejoin without type', 'C0', 'invalid_length'],
    ['a reserved rejoin type', `C003${'00'.repeat(17)}`, 'invalid_rejoin_type'],
    ['a rejoin type 1 of 19 bytes', `C001${'00'.repeat(17)}`, 'invalid_length'],
    ['a rejoin type 0 of 24 bytes', `C000${'00'.repeat(22)}`, 'invalid_length'],
    ['a data frame under 12 bytes', '40F17DBE490002000195', 'invalid_length'],
    ['FOpts longer than the frame', '40F17DBE4905020001954378', 'invalid_length'],
    ['FOpts with FPort 0', '40F17DBE4901020002009543787A', 'f_opts_with_f_port_0'],
    ['the downlink FCtrl RFU bit', '60F17DBE4940020001954378', 'rfu_bits_set'],
  ])('%s', (_, hex, code) => {
    const input = hex === 'x' ? ('x' as unknown as Uint8Array) : fromHex(hex);
    expect(() => decodePHYPayload(input)).toThrow(expect.objectContaining({ code }));
  });

  it.each([
    ['RxDelay RFU bits', `20${'00'.repeat(11)}10${'00'.repeat(4)}`, 'rfu_bits_set'],
    ['a reserved CFList type', `20${'00'.repeat(27)}02${'00'.repeat(4)}`, 'invalid_cf_list'],
    ['a join-accept of 20 bytes', `20${'00'.repeat(19)}`, 'invalid_length'],
  ])('a plain join-accept with %s', (_, hex, code) => {
    expect(() => decodePHYPayload(fromHex(hex), { joinAccept: 'plain' })).toThrow(
      expect.objectContaining({ code }),
    );
  });
});

describe('encodePHYPayload checks every field', () => {
  const frame: DataFrame = {
    mType: 'UnconfirmedDataUp',
    devAddr: parseDevAddr('01020304'),
    fCtrl: { adr: false, adrAckReq: false, ack: false, classB: false },
    fCnt: 1,
    fOpts: new Uint8Array(0),
    fPort: 1,
    frmPayload: fromHex('CAFE'),
    mic: fromHex('01020304'),
  };
  const accept: JoinAccept = {
    mType: 'JoinAccept',
    joinNonce: 1,
    netID: 2,
    devAddr: parseDevAddr('01020304'),
    dlSettings: { optNeg: false, rx1DROffset: 0, rx2DataRate: 0 },
    rxDelay: 1,
    mic: fromHex('01020304'),
  };
  const rejoin: RejoinRequest = {
    mType: 'RejoinRequest',
    rejoinType: 0,
    netID: 1,
    devEUI: parseEui64('0102030405060708'),
    rjCount: 0,
    mic: fromHex('01020304'),
  };
  const bad = (payload: unknown) => () => encodePHYPayload(payload as PHYPayload);

  it('encodes a frame without FPort, and one with FPort but no payload', () => {
    const { fPort: _, ...noPort } = frame;
    expect(toHex(encodePHYPayload({ ...noPort, frmPayload: new Uint8Array(0) }))).toBe(
      '400403020100010001020304',
    );
    expect(toHex(encodePHYPayload({ ...frame, frmPayload: new Uint8Array(0) }))).toBe(
      '40040302010001000101020304',
    );
  });

  it.each([
    ['an unknown MType', { ...frame, mType: 'Data' }, 'invalid_value', 'MType'],
    ['a Major other than R1', { ...frame, major: 'R2' }, 'unsupported_major', 'Major'],
    ['a 32-bit FCnt', { ...frame, fCnt: 0x10000 }, 'invalid_value', 'FCnt'],
    ['FOpts of 16 bytes', { ...frame, fOpts: new Uint8Array(16) }, 'invalid_value', 'FOpts'],
    ['an FRMPayload without FPort', { ...frame, fPort: undefined }, 'invalid_value', 'FPort'],
    [
      'FOpts with FPort 0',
      { ...frame, fPort: 0, fOpts: fromHex('02') },
      'f_opts_with_f_port_0',
      'FOpts',
    ],
    ['FPort 256', { ...frame, fPort: 256 }, 'invalid_value', 'FPort'],
    [
      'a DevAddr of 3 bytes',
      { ...frame, devAddr: fromHex('010203') },
      'invalid_dev_addr',
      'DevAddr',
    ],
    ['a MIC of 3 bytes', { ...frame, mic: fromHex('010203') }, 'invalid_value', 'MIC'],
    [
      'an FRMPayload that is not bytes',
      { ...frame, frmPayload: 'CAFE' },
      'invalid_value',
      'FRMPayload',
    ],
    [
      'a frame over 255 bytes',
      { ...frame, frmPayload: new Uint8Array(243) },
      'payload_too_long',
      undefined,
    ],
    [
      'an EUI of 7 bytes',
      {
        mType: 'JoinRequest',
        joinEUI: fromHex('01020304050607'),
        devEUI: parseEui64('0102030405060708'),
        devNonce: 1,
        mic: fromHex('01020304'),
      },
      'invalid_eui64',
      'JoinEUI',
    ],
    [
      'a DevNonce over 16 bits',
      {
        mType: 'JoinRequest',
        joinEUI: parseEui64('0102030405060708'),
        devEUI: parseEui64('0102030405060708'),
        devNonce: 0x10000,
        mic: fromHex('01020304'),
      },
      'invalid_value',
      'DevNonce',
    ],
    ['a JoinNonce over 24 bits', { ...accept, joinNonce: 0x1000000 }, 'invalid_value', 'JoinNonce'],
    ['DLSettings missing', { ...accept, dlSettings: undefined }, 'invalid_value', 'DLSettings'],
    [
      'an RX1DROffset over 7',
      { ...accept, dlSettings: { ...accept.dlSettings, rx1DROffset: 8 } },
      'invalid_value',
      'DLSettings.rx1DROffset',
    ],
    ['an RxDelay over 15', { ...accept, rxDelay: 16 }, 'invalid_value', 'RxDelay'],
    [
      'six CFList frequencies',
      { ...accept, cfList: { type: 'Frequencies', frequencies: [0, 0, 0, 0, 0, 0] } },
      'invalid_cf_list',
      'CFList',
    ],
    [
      'a CFList frequency off the 100 Hz grid',
      { ...accept, cfList: { type: 'Frequencies', frequencies: [868100050] } },
      'invalid_value',
      'CFList',
    ],
    [
      'a negative CFList frequency',
      { ...accept, cfList: { type: 'Frequencies', frequencies: [-100] } },
      'invalid_value',
      'CFList',
    ],
    [
      'CFList channel 120',
      { ...accept, cfList: { type: 'ChannelMask', enabledChannels: [120] } },
      'invalid_value',
      'CFList channel',
    ],
    [
      'an unknown CFList type',
      { ...accept, cfList: { type: 'Other' } },
      'invalid_cf_list',
      'CFList',
    ],
    [
      'an encrypted join-accept of 17 bytes',
      { mType: 'JoinAccept', encrypted: new Uint8Array(17) },
      'invalid_value',
      'encrypted',
    ],
    ['a reserved rejoin type', { ...rejoin, rejoinType: 3 }, 'invalid_rejoin_type', undefined],
    ['a rejoin NetID over 24 bits', { ...rejoin, netID: 0x1000000 }, 'invalid_value', 'NetID'],
    [
      'a rejoin type 1 RJcount1 over 16 bits',
      { ...rejoin, rejoinType: 1, joinEUI: parseEui64('0102030405060708'), rjCount: 0x10000 },
      'invalid_value',
      'RJcount1',
    ],
    [
      'a proprietary payload that is not bytes',
      { mType: 'Proprietary', payload: 'CAFE' },
      'invalid_value',
      'payload',
    ],
    [
      'a proprietary payload over 254 bytes',
      { mType: 'Proprietary', payload: new Uint8Array(255) },
      'payload_too_long',
      undefined,
    ],
  ])('refuses %s', (_, payload, code, field) => {
    expect(bad(payload)).toThrow(LorawanError);
    expect(bad(payload)).toThrow(
      expect.objectContaining({
        code,
        ...(field && { attributes: expect.objectContaining({ field }) }),
      }),
    );
  });

  it('encodes an encrypted join-accept as given', () => {
    expect(toHex(encodePHYPayload({ mType: 'JoinAccept', encrypted: new Uint8Array(32) }))).toBe(
      `20${'00'.repeat(32)}`,
    );
  });
});
