import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import {
  computeMIC,
  deriveJSEncKey,
  deriveJSIntKey,
  encodeMACCommands,
  encodePHYPayload,
  encryptFRMPayload,
  encryptJoinAccept,
  fromHex,
  parseAesKey,
  parseDevAddr,
  parseEui64,
  runCli,
  toHex,
  type DataFrame,
  type JoinAccept,
  type MACCommand,
} from '../src/index';
import { vectors } from './vectors';

function run(...argv: string[]): {
  code: number;
  out: string;
  err: string;
  json: Record<string, unknown>;
} {
  const chunks = { out: '', err: '' };
  const sink = (name: keyof typeof chunks) =>
    new Writable({
      write(chunk: Buffer, _encoding, done) {
        chunks[name] += chunk.toString();
        done();
      },
    });
  const code = runCli(argv, sink('out'), sink('err'));
  return {
    code,
    ...chunks,
    json: code === 0 && chunks.out.startsWith('{') ? JSON.parse(chunks.out) : {},
  };
}

const decode = (...argv: string[]) => run('decode', ...argv);

describe('lorawan decode: data frames', () => {
  it.each(vectors.data_frames_1_0.map((v) => [v.phyPayload, v] as const))(
    '%s prints its fields, a valid MIC and the plaintext',
    (hex, v) => {
      const keys = ['--nwk-s-key', v.nwkSKey, ...(v.appSKey ? ['--app-s-key', v.appSKey] : [])];
      const { code, json, err } = decode(hex, ...keys);
      expect(err).toBe('');
      expect(code).toBe(0);
      expect(json).toMatchObject({
        mType: v.mType,
        major: 'LoRaWANR1',
        devAddr: v.devAddr,
        fCnt: v.fCnt,
        fPort: v.fPort,
        mic: v.mic,
        micValid: true,
      });
      expect(json['fOpts']).toBe(v.fOpts ?? '');
      if (v.plaintext !== undefined && (v.fPort === 0 || v.appSKey))
        expect(json['plaintext']).toBe(v.plaintext);
      const fCtrl = parseInt(hex.slice(10, 12), 16);
      const flags = v.mType.endsWith('Up')
        ? { adr: fCtrl >= 0x80, adrAckReq: (fCtrl & 0x40) !== 0, ack: false, classB: false }
        : { adr: fCtrl >= 0x80, ack: true, fPending: false };
      expect(json['fCtrl']).toEqual({ ...flags, fOptsLen: (v.fOpts ?? '').length / 2 });
    },
  );

  it('reads base64 as well as hex, and says null for what needs a key', () => {
    const { json } = decode(
      Buffer.from('40F17DBE4900020001954378762B11FF0D', 'hex').toString('base64'),
    );
    expect(json).toMatchObject({
      devAddr: '49BE7DF1',
      frmPayload: '95437876',
      micValid: null,
      plaintext: null,
      macCommands: [],
    });
    expect(decode('QPF9vkkAAgABlUN4disR_w0').err).toMatch(/neither hex nor base64/);
  });

  it('shows the MAC commands of FOpts and of FPort 0', () => {
    const [, , , down, port0, , , fOpts] = vectors.data_frames_1_0;
    expect(decode(fOpts!.phyPayload, '--nwk-s-key', fOpts!.nwkSKey).json['macCommands']).toEqual([
      { cid: 2, name: 'LinkCheckReq' },
      { cid: 3, name: 'LinkADRAns', powerAck: true, dataRateAck: false, channelMaskAck: true },
    ]);
    expect(decode(port0!.phyPayload, '--nwk-s-key', port0!.nwkSKey).json['macCommands']).toEqual([
      { cid: 2, name: 'LinkCheckReq' },
    ]);
    expect(decode(port0!.phyPayload).json).toMatchObject({ plaintext: null, macCommands: null });
    expect(decode(down!.phyPayload).json['fCtrl']).toEqual({
      adr: false,
      ack: true,
      fPending: false,
      fOptsLen: 0,
    });
  });

  it('verifies and decrypts LoRaWAN 1.1 frames with their keys and context', () => {
    for (const f of vectors.lorawan_1_1_frames) {
      const args = [f.phyPayload, '--s-nwk-s-int-key', f.sNwkSIntKey];
      if (f.fNwkSIntKey) args.push('--f-nwk-s-int-key', f.fNwkSIntKey);
      if (f.nwkSEncKey) args.push('--nwk-s-enc-key', f.nwkSEncKey);
      if (f.appSKey) args.push('--app-s-key', f.appSKey);
      if (f.txDr !== undefined) args.push(`--tx-dr=${f.txDr}`, `--tx-ch=${f.txCh}`);
      if (f.confFCnt !== undefined) args.push('--conf-f-cnt', String(f.confFCnt));
      const { json } = decode(...args);
      expect(json['micValid']).toBe(true);
      if (f.plaintext) expect(json['plaintext']).toBe(f.plaintext);
      if (f.fOptsPlaintext)
        expect(json['macCommands']).toEqual([
          { cid: 2, name: 'LinkCheckAns', margin: 7, gwCnt: 1 },
        ]);
    }
    const rekey = vectors.lorawan_1_1_frames[6]!;
    expect(decode(rekey.phyPayload, '--nwk-s-enc-key', rekey.nwkSEncKey!).json).toMatchObject({
      micValid: null,
      plaintext: '0B01',
      macCommands: [{ cid: 0x0b, name: 'RekeyInd', minor: 1 }],
    });
    // Encrypted FOpts without the NwkSEncKey: unknown.
    const down = vectors.lorawan_1_1_frames[3]!;
    expect(decode(down.phyPayload, '--s-nwk-s-int-key', down.sNwkSIntKey).json).toMatchObject({
      micValid: true,
      macCommands: null,
    });
  });

  it('uses the full 32-bit counter given by --f-cnt', () => {
    const nwkSKey = parseAesKey('44024241ED4CE9A68C6A8BC055233FD3');
    const appSKey = parseAesKey('EC925802AE430CA77FD3DD73CB2CC588');
    const devAddr = parseDevAddr('49BE7DF1');
    const unsigned: DataFrame = {
      mType: 'ConfirmedDataUp',
      devAddr,
      fCtrl: { adr: true, adrAckReq: false, ack: false, classB: true },
      fCnt: 5,
      fOpts: new Uint8Array(0),
      fPort: 10,
      frmPayload: encryptFRMPayload(appSKey, 'up', devAddr, 0x20005, fromHex('CAFE')),
      mic: new Uint8Array(4),
    };
    const hex = toHex(
      encodePHYPayload({ ...unsigned, mic: computeMIC(unsigned, { nwkSKey }, { fCnt: 0x20005 }) }),
    );
    const keys = ['--nwk-s-key', toHex(nwkSKey), '--app-s-key', toHex(appSKey)];
    expect(decode(hex, ...keys, '--f-cnt', String(0x20005)).json).toMatchObject({
      fCnt: 0x20005,
      micValid: true,
      plaintext: 'CAFE',
    });
    expect(decode(hex, ...keys).json).toMatchObject({ fCnt: 5, micValid: false });
    expect(decode(hex, ...keys, '--f-cnt', '6')).toMatchObject({
      code: 2,
      err: expect.stringContaining("does not end in the frame's 16-bit FCnt 5"),
    });
  });

  it('fails on MAC commands that do not parse, with a hint when the MIC fails too', () => {
    const nwkSKey = parseAesKey('44024241ED4CE9A68C6A8BC055233FD3');
    const unsigned: DataFrame = {
      mType: 'UnconfirmedDataUp',
      devAddr: parseDevAddr('49BE7DF1'),
      fCtrl: { adr: false, adrAckReq: false, ack: false, classB: false },
      fCnt: 1,
      fOpts: fromHex('21'),
      frmPayload: new Uint8Array(0),
      mic: new Uint8Array(4),
    };
    const hex = toHex(encodePHYPayload({ ...unsigned, mic: computeMIC(unsigned, { nwkSKey }) }));
    expect(decode(hex, '--nwk-s-key', toHex(nwkSKey))).toMatchObject({
      code: 2,
      err: expect.stringMatching(
        /^lorawan: FOpts: Unknown uplink MAC command CID 0x21 at byte 0.*\.\n$/,
      ),
    });
    expect(decode(hex, '--nwk-s-key', '00000000000000000000000000000000').err).toMatch(
      /check the keys and counters\.\n$/,
    );
    // Without session keys the frame may be 1.1 with encrypted FOpts: not malformed.
    expect(decode(hex).json).toMatchObject({ fOpts: '21', macCommands: null });
  });
});

describe('lorawan decode: join and rejoin', () => {
  it.each(vectors.join_requests.map((v) => [v.phyPayload, v] as const))(
    'join-request %s',
    (hex, v) => {
      const { json } = decode(hex, '--app-key', v.appKey);
      expect(json).toMatchObject({ mType: 'JoinRequest', mic: v.mic, micValid: true });
      expect(Object.keys(json)).toEqual([
        'mType',
        'major',
        'joinEUI',
        'devEUI',
        'devNonce',
        'mic',
        'micValid',
      ]);
      if (v.devNonce) expect(json['devNonce']).toBe(v.devNonce);
      expect(decode(hex, '--nwk-key', v.appKey).json['micValid']).toBe(true);
    },
  );

  it('join-accept: opaque without a key, decrypted and verified with one', () => {
    const v = vectors.join_accepts[0]!;
    expect(decode(v.phyPayload).json).toEqual({
      mType: 'JoinAccept',
      major: 'LoRaWANR1',
      encrypted: v.phyPayload.slice(2),
      micValid: null,
    });
    expect(decode(v.phyPayload, '--app-key', v.appKey!).json).toEqual({
      mType: 'JoinAccept',
      major: 'LoRaWANR1',
      joinNonce: v.joinNonce,
      netID: v.netID,
      devAddr: v.devAddr,
      dlSettings: { optNeg: false, rx1DROffset: 0, rx2DataRate: 0 },
      rxDelay: 0,
      cfList: null,
      mic: v.mic,
      micValid: true,
    });
    const v11 = vectors.join_accepts[2]!;
    expect(decode(v11.phyPayload, '--nwk-key', v11.nwkKey!).json).toMatchObject({
      dlSettings: { optNeg: true },
      micValid: null,
    });
  });

  it('join-accept with a CFList: decrypts it, checks its MIC and prints the CFList', () => {
    const appKey = parseAesKey('0102030405060708090A0B0C0D0E0F10');
    const unsigned: JoinAccept = {
      mType: 'JoinAccept',
      joinNonce: 1,
      netID: 0x13,
      devAddr: parseDevAddr('260B1234'),
      dlSettings: { optNeg: false, rx1DROffset: 1, rx2DataRate: 8 },
      rxDelay: 1,
      cfList: { type: 'ChannelMask', enabledChannels: [8, 9, 10, 11, 12, 13, 14, 15, 65] },
      mic: new Uint8Array(4),
    };
    const plain = encodePHYPayload({ ...unsigned, mic: computeMIC(unsigned, { appKey }) });
    const { json } = decode(toHex(encryptJoinAccept(appKey, plain)), '--app-key', toHex(appKey));
    expect(json).toMatchObject({
      joinNonce: '000001',
      netID: '000013',
      cfList: unsigned.cfList,
      micValid: true,
    });
    const frequencies = { type: 'Frequencies', frequencies: [867100000, 0, 0, 0, 0] } as const;
    const withFrequencies = encodePHYPayload({ ...unsigned, cfList: frequencies });
    expect(
      decode(toHex(encryptJoinAccept(appKey, withFrequencies)), '--app-key', toHex(appKey)).json,
    ).toMatchObject({ cfList: frequencies, micValid: false });
  });

  it('join-accept decrypted with the wrong key: says to check the key', () => {
    const v = vectors.join_accepts[0]!;
    const { code, err } = decode(v.phyPayload, '--app-key', '0102030405060708090A0B0C0D0E0F10');
    expect(code).toBe(2);
    expect(err).toMatch(
      /^lorawan: .*Check the key: a join-accept decrypted with another key reads as garbage\.\n$/,
    );
  });

  it.each(vectors.rejoin_requests.map((v) => [v.type, v] as const))(
    'rejoin-request type %i',
    (type, v) => {
      const keyFlag = type === 1 ? '--js-int-key' : '--s-nwk-s-int-key';
      const { json } = decode(v.phyPayload, keyFlag, v.key);
      expect(json).toMatchObject({
        mType: 'RejoinRequest',
        rejoinType: type,
        rjCount: 0xdb,
        mic: v.mic,
        micValid: true,
      });
      expect(json[type === 1 ? 'joinEUI' : 'netID']).toBe(
        type === 1 ? '0102030405060708' : '010203',
      );
      expect(decode(v.phyPayload).json['micValid']).toBeNull();
    },
  );

  it('join-accept with OptNeg: verifies the MIC given the request it answers', () => {
    const v = vectors.join_accepts.find((a) => a.lorawan === '1.1')!;
    const keys = ['--nwk-key', v.nwkKey!, '--js-int-key', v.jsIntKey!];
    const request = ['--join-eui', v.joinEUI!, '--dev-nonce', v.devNonce!];
    expect(decode(v.phyPayload, ...keys, ...request).json).toMatchObject({
      dlSettings: { optNeg: true },
      mic: v.mic,
      micValid: true,
    });
    expect(decode(v.phyPayload, ...keys, ...request, '--join-req-type', '0xFF').json).toMatchObject(
      { micValid: true },
    );
    // The MIC covers the request: another DevNonce, another MIC.
    expect(
      decode(v.phyPayload, ...keys, '--join-eui', v.joinEUI!, '--dev-nonce', '0103').json,
    ).toMatchObject({ micValid: false });
    expect(decode(v.phyPayload, ...keys, '--join-eui', v.joinEUI!).json).toMatchObject({
      micValid: null,
    });
  });

  describe('join-accept answering a rejoin-request', () => {
    const nwkKey = parseAesKey('0102030405060708090A0B0C0D0E0F10');
    const devEUI = parseEui64('0004A30B001C0530');
    const joinEUI = parseEui64('70B3D57ED0000000');
    const jsIntKey = deriveJSIntKey(nwkKey, devEUI);
    const jsEncKey = deriveJSEncKey(nwkKey, devEUI);
    const unsigned: JoinAccept = {
      mType: 'JoinAccept',
      joinNonce: 7,
      netID: 0x13,
      devAddr: parseDevAddr('260B1234'),
      dlSettings: { optNeg: true, rx1DROffset: 0, rx2DataRate: 3 },
      rxDelay: 1,
      mic: new Uint8Array(4),
    };
    const mic = computeMIC(unsigned, { jsIntKey }, { joinReqType: 2, joinEUI, devNonce: 0xdb });
    const hex = toHex(encryptJoinAccept(jsEncKey, encodePHYPayload({ ...unsigned, mic })));
    const request = ['--join-req-type', '2', '--join-eui', toHex(joinEUI), '--dev-nonce', '00DB'];

    it('decrypts with --js-enc-key and verifies with --js-int-key', () => {
      const keys = ['--js-enc-key', toHex(jsEncKey), '--js-int-key', toHex(jsIntKey)];
      expect(decode(hex, ...keys, ...request).json).toMatchObject({
        joinNonce: '000007',
        devAddr: '260B1234',
        micValid: true,
      });
    });

    it('derives both keys from --nwk-key and --dev-eui', () => {
      const keys = ['--nwk-key', toHex(nwkKey), '--dev-eui', toHex(devEUI)];
      expect(decode(hex, ...keys, ...request).json).toMatchObject({ micValid: true });
      expect(
        decode(hex, ...keys, ...request.slice(0, 4), '--dev-nonce', '00DC').json,
      ).toMatchObject({ micValid: false });
    });

    it('stays encrypted without a key for it', () => {
      expect(decode(hex, '--nwk-key', toHex(nwkKey), ...request).json).toEqual({
        mType: 'JoinAccept',
        major: 'LoRaWANR1',
        encrypted: hex.slice(2),
        micValid: null,
      });
    });

    it('asks for the rejoin type when given --js-enc-key alone', () => {
      expect(decode(hex, '--js-enc-key', toHex(jsEncKey))).toMatchObject({
        code: 2,
        err: expect.stringContaining('give its --join-req-type (0, 1 or 2)'),
      });
    });
  });

  it('rejoin-request type 1: derives the JSIntKey from --nwk-key', () => {
    const v = vectors.rejoin_requests[1]!;
    expect(decode(v.phyPayload, '--nwk-key', v.key).json['micValid']).toBe(false);
  });

  it('proprietary: prints the payload after the MHDR', () => {
    expect(decode('E0CAFE').json).toEqual({
      mType: 'Proprietary',
      major: 'LoRaWANR1',
      payload: 'CAFE',
    });
  });
});

describe('lorawan decode: MAC commands', () => {
  const nwkSKey = parseAesKey('44024241ED4CE9A68C6A8BC055233FD3');
  const devAddr = parseDevAddr('49BE7DF1');
  /** A 1.0 data frame carrying `commands` in FOpts, or in an FPort-0 payload. */
  function frameWith(commands: MACCommand[], direction: 'up' | 'down', fPort0 = false): string {
    const bytes = encodeMACCommands(commands, direction);
    const unsigned: DataFrame = {
      ...(direction === 'up'
        ? {
            mType: 'UnconfirmedDataUp',
            fCtrl: { adr: false, adrAckReq: false, ack: false, classB: false },
          }
        : { mType: 'UnconfirmedDataDown', fCtrl: { adr: false, ack: false, fPending: false } }),
      devAddr,
      fCnt: 1,
      fOpts: fPort0 ? new Uint8Array(0) : bytes,
      ...(fPort0 && { fPort: 0 }),
      frmPayload: fPort0
        ? encryptFRMPayload(nwkSKey, direction, devAddr, 1, bytes)
        : new Uint8Array(0),
      mic: new Uint8Array(4),
    } as DataFrame;
    return toHex(encodePHYPayload({ ...unsigned, mic: computeMIC(unsigned, { nwkSKey }) }));
  }

  it('shows relay commands, bytes in hex and a key sent in a command not at all', () => {
    const commands: MACCommand[] = [
      {
        name: 'UpdateUplinkListReq',
        cid: 0x43,
        uplinkListIdx: 1,
        bucketSize: 0,
        reloadRate: 63,
        devAddr: parseDevAddr('260B1234'),
        wFCnt: 9,
        rootWorSKey: parseAesKey('C0FFEE00C0FFEE00C0FFEE00C0FFEE00'),
      },
      {
        name: 'FilterListReq',
        cid: 0x42,
        filterListIdx: 1,
        filterListAction: 1,
        filterListEUI: fromHex('70B3D57E'),
      },
    ];
    const { out, json } = decode(frameWith(commands, 'down', true), '--nwk-s-key', toHex(nwkSKey));
    expect(json['macCommands']).toEqual([
      {
        cid: 0x43,
        name: 'UpdateUplinkListReq',
        uplinkListIdx: 1,
        bucketSize: 0,
        reloadRate: 63,
        devAddr: '260B1234',
        wFCnt: 9,
        rootWorSKey: '(a key, not shown)',
      },
      {
        cid: 0x42,
        name: 'FilterListReq',
        filterListIdx: 1,
        filterListAction: 1,
        filterListEUI: '70B3D57E',
      },
    ]);
    expect(json['plaintext']).toBe('(MAC commands carrying a key, not shown)');
    expect(out).not.toMatch(/C0FFEE/);
  });

  it('--mac-version refuses the commands that version does not define', () => {
    const hex = frameWith([{ name: 'DeviceTimeReq', cid: 0x0d }], 'up');
    const key = ['--nwk-s-key', toHex(nwkSKey)];
    expect(decode(hex, ...key, '--mac-version', '1.0.3').json['macCommands']).toEqual([
      { cid: 0x0d, name: 'DeviceTimeReq' },
    ]);
    expect(decode(hex, ...key, '--mac-version', '1.0.2')).toMatchObject({
      code: 2,
      err: expect.stringContaining(
        'FOpts: Unknown uplink MAC command CID 0x0D in LoRaWAN 1.0.2 (DeviceTimeReq is LoRaWAN 1.0.3 and later)',
      ),
    });
    // Without keys, 1.0.x FOpts are in the clear and a wrong one is an error; 1.1 ones are encrypted.
    expect(decode(hex, '--mac-version', '1.0.2').code).toBe(2);
    expect(decode(hex, '--mac-version', '1.1').json).toMatchObject({ macCommands: null });
  });
});

describe('lorawan: command line errors', () => {
  it('prints usage on --help (exit 0) and without arguments (exit 2)', () => {
    expect(run('--help')).toMatchObject({
      code: 0,
      out: expect.stringContaining('Usage: lorawan decode'),
    });
    expect(run()).toMatchObject({ code: 2, err: expect.stringContaining('Usage: lorawan decode') });
  });

  it.each([
    ['an unknown command', ['encode', '00'], 'unknown command "encode"'],
    ['an unknown option', ['decode', '00', '--key', 'x'], 'unknown option --key'],
    ['an option without value', ['decode', '00', '--app-key'], '--app-key needs a value'],
    [
      'a bad number',
      ['decode', '00', '--f-cnt', '-1'],
      '--f-cnt takes an integer from 0 to 4294967295',
    ],
    [
      'a number too large',
      ['decode', '00', '--tx-dr', '256'],
      '--tx-dr takes an integer from 0 to 255',
    ],
    ['no frame', ['decode'], 'got 0'],
    ['two frames', ['decode', '00', '00'], 'got 2'],
    [
      'neither hex nor base64',
      ['decode', `${'x'.repeat(45)}!`],
      `"${'x'.repeat(40)}…" is neither hex nor base64`,
    ],
    [
      'a NwkSKey with a NwkSEncKey',
      [
        'decode',
        '40F17DBE4900020001954378762B11FF0D',
        '--nwk-s-key',
        '0'.repeat(32),
        '--nwk-s-enc-key',
        '0'.repeat(32),
      ],
      'one LoRaWAN version',
    ],
    [
      'a NwkSKey with 1.1 integrity keys',
      [
        'decode',
        '40F17DBE4900020001954378762B11FF0D',
        '--nwk-s-key',
        '0'.repeat(32),
        '--s-nwk-s-int-key',
        '0'.repeat(32),
      ],
      'give the keys of one version',
    ],
    ['a malformed frame', ['decode', '40F17DBE49'], 'at least 12 bytes'],
    [
      'a malformed EUI',
      ['decode', '00', '--join-eui', '70B3D57E'],
      '--join-eui takes 16 hex digits',
    ],
    [
      'a DevNonce in decimal',
      ['decode', '00', '--dev-nonce', '258'],
      '--dev-nonce takes 4 hex digits',
    ],
    [
      'a reserved JoinReqType',
      ['decode', '00', '--join-req-type', 'rejoin'],
      '--join-req-type takes 0xFF (a join-request) or 0, 1, 2',
    ],
    ['a JoinReqType of 3', ['decode', '00', '--join-req-type', '3'], 'not "3"'],
    [
      'an unknown MAC version',
      ['decode', '00', '--mac-version', '1.2'],
      '--mac-version takes one of',
    ],
    [
      '1.1 keys with a 1.0 MAC version',
      [
        'decode',
        '40F17DBE4900020001954378762B11FF0D',
        '--mac-version',
        '1.0.4',
        '--s-nwk-s-int-key',
        '0'.repeat(32),
      ],
      'has no FNwkSIntKey',
    ],
    [
      'a 1.0 key with MAC version 1.1',
      [
        'decode',
        '40F17DBE4900020001954378762B11FF0D',
        '--mac-version',
        '1.1',
        '--nwk-s-key',
        '0'.repeat(32),
      ],
      '--nwk-s-key is a LoRaWAN 1.0 key',
    ],
    ['a reserved Major', ['decode', '41F17DBE4900020001954378762B11FF0D'], 'Major 1 is reserved'],
  ])('exits 2 with one line for %s', (_, argv, message) => {
    const { code, out, err } = run(...argv);
    expect(code).toBe(2);
    expect(out).toBe('');
    expect(err).toContain(message);
    expect(err.split('\n')).toHaveLength(2);
  });

  it('never echoes a malformed key', () => {
    const secret = 'C0FFEE'.repeat(5);
    const { code, err } = decode('00', '--app-s-key', secret);
    expect(code).toBe(2);
    expect(err).toBe(
      'lorawan: --app-s-key takes 32 hex digits (an AES-128 key); got 30 characters.\n',
    );
    expect(decode('00', '--nwk-key', 'z'.repeat(32)).err).toContain('with non-hex ones');
  });
});

describe('bin/lorawan.cjs', () => {
  it('runs the built CLI with node', () => {
    const root = join(__dirname, '..', '..', '..');
    execFileSync(
      process.execPath,
      [require.resolve('typescript/bin/tsc'), '-p', 'libs/lorawan/tsconfig.lib.json'],
      { cwd: root },
    );
    const out = execFileSync(
      process.execPath,
      [
        'libs/lorawan/bin/lorawan.cjs',
        'decode',
        '40F17DBE4900020001954378762B11FF0D',
        '--nwk-s-key',
        '44024241ED4CE9A68C6A8BC055233FD3',
      ],
      {
        cwd: root,
        encoding: 'utf8',
      },
    );
    expect(JSON.parse(out)).toMatchObject({ devAddr: '49BE7DF1', micValid: true });
    let status = 0;
    try {
      execFileSync(process.execPath, ['libs/lorawan/bin/lorawan.cjs', 'decode', 'zz'], {
        cwd: root,
        stdio: 'pipe',
      });
    } catch (error) {
      status = (error as { status: number }).status;
    }
    expect(status).toBe(2);
  }, 60_000);
});
