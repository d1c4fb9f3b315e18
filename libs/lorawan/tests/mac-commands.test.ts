import {
  decodeMACCommands,
  encodeMACCommands,
  fromHex,
  MAC_COMMANDS,
  parseAesKey,
  parseDevAddr,
  toHex,
  type Direction,
  type MACCommand,
  type MACCommandName,
  type MACVersion,
} from '../src/index';

// One example per registry entry, as bytes and as the decoded command. The relay commands'
// bytes are ChirpStack's published test vectors (lrwn maccommand.rs).
const examples: readonly (readonly [Direction, string, MACCommand])[] = [
  ['up', '0101', { name: 'ResetInd', cid: 0x01, minor: 1 }],
  ['up', '02', { name: 'LinkCheckReq', cid: 0x02 }],
  [
    'up',
    '0307',
    { name: 'LinkADRAns', cid: 0x03, powerAck: true, dataRateAck: true, channelMaskAck: true },
  ],
  ['up', '04', { name: 'DutyCycleAns', cid: 0x04 }],
  [
    'up',
    '0506',
    {
      name: 'RXParamSetupAns',
      cid: 0x05,
      rx1DROffsetAck: true,
      rx2DataRateAck: true,
      channelAck: false,
    },
  ],
  ['up', '06FF3F', { name: 'DevStatusAns', cid: 0x06, battery: 255, margin: -1 }],
  ['up', '06001F', { name: 'DevStatusAns', cid: 0x06, battery: 0, margin: 31 }],
  ['up', '060120', { name: 'DevStatusAns', cid: 0x06, battery: 1, margin: -32 }],
  [
    'up',
    '0703',
    { name: 'NewChannelAns', cid: 0x07, dataRateRangeOk: true, channelFrequencyOk: true },
  ],
  ['up', '08', { name: 'RXTimingSetupAns', cid: 0x08 }],
  ['up', '09', { name: 'TxParamSetupAns', cid: 0x09 }],
  [
    'up',
    '0A02',
    { name: 'DlChannelAns', cid: 0x0a, uplinkFrequencyExists: true, channelFrequencyOk: false },
  ],
  ['up', '0B01', { name: 'RekeyInd', cid: 0x0b, minor: 1 }],
  ['up', '0C', { name: 'ADRParamSetupAns', cid: 0x0c }],
  ['up', '0D', { name: 'DeviceTimeReq', cid: 0x0d }],
  ['up', '0F01', { name: 'RejoinParamSetupAns', cid: 0x0f, timeOk: true }],
  ['up', '1007', { name: 'PingSlotInfoReq', cid: 0x10, periodicity: 7 }],
  [
    'up',
    '1102',
    { name: 'PingSlotChannelAns', cid: 0x11, dataRateOk: true, channelFrequencyOk: false },
  ],
  ['up', '12', { name: 'BeaconTimingReq', cid: 0x12 }],
  ['up', '1301', { name: 'BeaconFreqAns', cid: 0x13, beaconFrequencyOk: true }],
  ['up', '2002', { name: 'DeviceModeInd', cid: 0x20, class: 2 }],
  ['down', '0101', { name: 'ResetConf', cid: 0x01, minor: 1 }],
  ['down', '020A03', { name: 'LinkCheckAns', cid: 0x02, margin: 10, gwCnt: 3 }],
  [
    'down',
    '0353FF0071',
    {
      name: 'LinkADRReq',
      cid: 0x03,
      dataRate: 5,
      txPower: 3,
      chMask: 0x00ff,
      chMaskCntl: 7,
      nbTrans: 1,
    },
  ],
  ['down', '040F', { name: 'DutyCycleReq', cid: 0x04, maxDutyCycle: 15 }],
  [
    'down',
    '0523D2AD84',
    { name: 'RXParamSetupReq', cid: 0x05, rx1DROffset: 2, rx2DataRate: 3, frequency: 869525000 },
  ],
  ['down', '06', { name: 'DevStatusReq', cid: 0x06 }],
  [
    'down',
    '0703184F8450',
    { name: 'NewChannelReq', cid: 0x07, chIndex: 3, frequency: 867100000, maxDR: 5, minDR: 0 },
  ],
  ['down', '0801', { name: 'RXTimingSetupReq', cid: 0x08, delay: 1 }],
  [
    'down',
    '093B',
    {
      name: 'TxParamSetupReq',
      cid: 0x09,
      downlinkDwellTime: true,
      uplinkDwellTime: true,
      maxEIRP: 11,
    },
  ],
  ['down', '0A03184F84', { name: 'DlChannelReq', cid: 0x0a, chIndex: 3, frequency: 867100000 }],
  ['down', '0B01', { name: 'RekeyConf', cid: 0x0b, minor: 1 }],
  ['down', '0C65', { name: 'ADRParamSetupReq', cid: 0x0c, limitExp: 6, delayExp: 5 }],
  [
    'down',
    '0D7856341280',
    { name: 'DeviceTimeAns', cid: 0x0d, seconds: 0x12345678, fractionalSecond: 128 },
  ],
  [
    'down',
    '0DFFFFFFFFFF',
    { name: 'DeviceTimeAns', cid: 0x0d, seconds: 0xffffffff, fractionalSecond: 255 },
  ],
  [
    'down',
    '0E241D',
    { name: 'ForceRejoinReq', cid: 0x0e, period: 3, maxRetries: 5, rejoinType: 2, dataRate: 4 },
  ],
  ['down', '0FA3', { name: 'RejoinParamSetupReq', cid: 0x0f, maxTimeN: 10, maxCountN: 3 }],
  ['down', '10', { name: 'PingSlotInfoAns', cid: 0x10 }],
  [
    'down',
    '11184F8403',
    { name: 'PingSlotChannelReq', cid: 0x11, frequency: 867100000, dataRate: 3 },
  ],
  ['down', '12E80302', { name: 'BeaconTimingAns', cid: 0x12, delay: 1000, channel: 2 }],
  ['down', '13184F84', { name: 'BeaconFreqReq', cid: 0x13, frequency: 867100000 }],
  ['down', '2000', { name: 'DeviceModeConf', cid: 0x20, class: 0 }],
  [
    'down',
    '40A52C287684',
    {
      name: 'RelayConfReq',
      cid: 0x40,
      startStop: true,
      cadPeriodicity: 3,
      defaultChIdx: 0,
      secondChIdx: 1,
      secondChDR: 4,
      secondChAckOffset: 5,
      secondChFreq: 868100000,
    },
  ],
  [
    'up',
    '4015',
    {
      name: 'RelayConfAns',
      cid: 0x40,
      cadPeriodicityAck: false,
      defaultChIdxAck: true,
      secondChIdxAck: false,
      secondChDRAck: true,
      secondChAckOffsetAck: false,
      secondChFreqAck: true,
    },
  ],
  [
    'down',
    '410BA57E287684',
    {
      name: 'EndDeviceConfReq',
      cid: 0x41,
      relayModeActivation: 2,
      smartEnableLevel: 3,
      backoff: 63,
      secondChIdx: 1,
      secondChDR: 4,
      secondChAckOffset: 5,
      secondChFreq: 868100000,
    },
  ],
  [
    'up',
    '410D',
    {
      name: 'EndDeviceConfAns',
      cid: 0x41,
      backoffAck: true,
      secondChIdxAck: true,
      secondChDRAck: false,
      secondChFreqAck: true,
    },
  ],
  [
    'down',
    '42B00102020304050607080807060504030201',
    {
      name: 'FilterListReq',
      cid: 0x42,
      filterListIdx: 3,
      filterListAction: 1,
      filterListEUI: fromHex('01020304050607080807060504030202'),
    },
  ],
  [
    'up',
    '4202',
    {
      name: 'FilterListAns',
      cid: 0x42,
      combinedRulesAck: false,
      filterListLenAck: true,
      filterListActionAck: false,
    },
  ],
  [
    'down',
    '4303BC04030201800000000102030405060708' + '0102030405060708',
    {
      name: 'UpdateUplinkListReq',
      cid: 0x43,
      uplinkListIdx: 3,
      bucketSize: 2,
      reloadRate: 60,
      devAddr: parseDevAddr('01020304'),
      wFCnt: 128,
      rootWorSKey: parseAesKey('01020304050607080102030405060708'),
    },
  ],
  ['up', '43', { name: 'UpdateUplinkListAns', cid: 0x43 }],
  ['down', '4413', { name: 'CtrlUplinkListReq', cid: 0x44, ctrlUplinkAction: 1, uplinkListIdx: 3 }],
  [
    'up',
    '440180000000',
    { name: 'CtrlUplinkListAns', cid: 0x44, uplinkListIdxAck: true, wFCnt: 128 },
  ],
  [
    'down',
    '45642DD438DA',
    {
      name: 'ConfigureFwdLimitReq',
      cid: 0x45,
      resetLimitCounter: 3,
      joinReqReloadRate: 70,
      notifyReloadRate: 80,
      globalUplinkReloadRate: 90,
      overallReloadRate: 100,
      joinReqLimitSize: 3,
      notifyLimitSize: 1,
      globalUplinkLimitSize: 2,
      overallLimitSize: 2,
    },
  ],
  ['up', '45', { name: 'ConfigureFwdLimitAns', cid: 0x45 }],
  // ChirpStack reads this as DevAddr 01020304, WOR SNR -10 dB, WOR RSSI -120 dBm.
  [
    'up',
    '46040302012A0D',
    { name: 'NotifyNewEndDeviceReq', cid: 0x46, payload: fromHex('040302012A0D') },
  ],
];

describe('MAC commands', () => {
  it('keeps its registry frozen', () => {
    expect(Object.isFrozen(MAC_COMMANDS)).toBe(true);
    expect(Object.isFrozen(MAC_COMMANDS.LinkADRReq.fields.chMask)).toBe(true);
  });

  it('has an example here for every command of the registry', () => {
    expect(new Set(examples.map(([, , command]) => command.name))).toEqual(
      new Set(Object.keys(MAC_COMMANDS)),
    );
  });

  it.each(
    examples.map(([direction, hex, command]) => [command.name, direction, hex, command] as const),
  )('%s (%slink %s) decodes and encodes back', (_, direction, hex, command) => {
    expect(decodeMACCommands(fromHex(hex), direction)).toEqual([command]);
    expect(toHex(encodeMACCommands([command], direction))).toBe(hex);
  });

  it('decodes a sequence, ending in a proprietary command that runs to the end', () => {
    const commands = decodeMACCommands(fromHex('020307800102'), 'up');
    expect(commands).toEqual([
      { name: 'LinkCheckReq', cid: 2 },
      { name: 'LinkADRAns', cid: 3, powerAck: true, dataRateAck: true, channelMaskAck: true },
      { name: 'Proprietary', cid: 0x80, payload: fromHex('0102') },
    ]);
    expect(toHex(encodeMACCommands(commands, 'up'))).toBe('020307800102');
    expect(decodeMACCommands(fromHex('FF'), 'down')).toEqual([
      { name: 'Proprietary', cid: 0xff, payload: new Uint8Array(0) },
    ]);
    expect(decodeMACCommands(new Uint8Array(0), 'down')).toEqual([]);
  });

  it('ignores RFU bits when decoding and writes them as 0', () => {
    const [command] = decodeMACCommands(fromHex('03F8'), 'up');
    expect(command).toEqual({
      name: 'LinkADRAns',
      cid: 3,
      powerAck: false,
      dataRateAck: false,
      channelMaskAck: false,
    });
    expect(toHex(encodeMACCommands([command!], 'up'))).toBe('0300');
  });

  it('stops at an unknown CID rather than guessing its length', () => {
    expect(() => decodeMACCommands(fromHex('0221'), 'up')).toThrow(
      expect.objectContaining({
        code: 'unknown_mac_command',
        attributes: { cid: 0x21, offset: 1, direction: 'up' },
      }),
    );
    // ForceRejoinReq exists only downlink.
    expect(() => decodeMACCommands(fromHex('0E'), 'up')).toThrow(
      expect.objectContaining({ code: 'unknown_mac_command' }),
    );
  });

  it('refuses a command cut short', () => {
    expect(() => decodeMACCommands(fromHex('0353FF00'), 'down')).toThrow(
      expect.objectContaining({
        code: 'truncated_mac_command',
        attributes: expect.objectContaining({ name: 'LinkADRReq', offset: 0 }),
      }),
    );
  });

  const linkADRReq = examples.find(([, , c]) => c.name === 'LinkADRReq')![2];

  it.each([
    ['an unknown name', { name: 'LinkAdrReq', cid: 3 }, 'unknown name'],
    [
      'the wrong direction',
      { name: 'LinkADRAns', cid: 3, powerAck: true, dataRateAck: true, channelMaskAck: true },
      'sent uplink',
    ],
    ['the wrong CID', { ...linkADRReq, cid: 4 }, 'has CID 0x03'],
    ['an integer out of range', { ...linkADRReq, txPower: 16 }, 'LinkADRReq.txPower is 16'],
    ['a fraction', { ...linkADRReq, chMask: 1.5 }, 'LinkADRReq.chMask is 1.5'],
    ['a missing field', { name: 'DutyCycleReq', cid: 4 }, 'DutyCycleReq.maxDutyCycle is undefined'],
    [
      'a flag that is not a boolean',
      { name: 'TxParamSetupReq', cid: 9, downlinkDwellTime: 1, uplinkDwellTime: false, maxEIRP: 0 },
      'downlinkDwellTime is 1',
    ],
    [
      'a frequency off the 100 Hz grid',
      { name: 'BeaconFreqReq', cid: 0x13, frequency: 867100050 },
      'a multiple of 100 Hz',
    ],
    [
      'a frequency above 24 bits',
      { name: 'BeaconFreqReq', cid: 0x13, frequency: 1677721600 },
      'a multiple of 100 Hz',
    ],
    [
      'a proprietary CID below 0x80',
      { name: 'Proprietary', cid: 0x7f, payload: new Uint8Array(0) },
      'from 0x80 to 0xFF',
    ],
    [
      'a proprietary payload that is not bytes',
      { name: 'Proprietary', cid: 0x80, payload: [1] },
      'payload as bytes',
    ],
  ])('refuses to encode %s', (_, command, problem) => {
    const direction = 'down';
    expect(() => encodeMACCommands([command as unknown as MACCommand], direction)).toThrow(
      expect.objectContaining({
        code: 'invalid_mac_command',
        message: expect.stringContaining(problem),
        attributes: { index: 0 },
      }),
    );
  });

  it('refuses a signed margin outside -32..31', () => {
    expect(() =>
      encodeMACCommands([{ name: 'DevStatusAns', cid: 6, battery: 0, margin: 32 }], 'up'),
    ).toThrow(expect.objectContaining({ message: expect.stringContaining('from -32 to 31') }));
  });

  it('refuses a proprietary command that is not last', () => {
    expect(() =>
      encodeMACCommands(
        [
          { name: 'Proprietary', cid: 0x80, payload: new Uint8Array(0) },
          { name: 'LinkCheckReq', cid: 2 },
        ],
        'up',
      ),
    ).toThrow(expect.objectContaining({ message: expect.stringContaining('must come last') }));
  });
});

describe('MAC commands: relay fields', () => {
  it('reads FilterListReq for as many EUI bytes as FilterListLen says, then goes on', () => {
    // Rule 0, forward, a 2-byte JoinEUI prefix 0102; then DevStatusReq.
    const commands = decodeMACCommands(fromHex('42220002010' + '6'), 'down');
    expect(commands).toEqual([
      {
        name: 'FilterListReq',
        cid: 0x42,
        filterListIdx: 0,
        filterListAction: 1,
        filterListEUI: fromHex('0102'),
      },
      { name: 'DevStatusReq', cid: 0x06 },
    ]);
    expect(toHex(encodeMACCommands(commands, 'down'))).toBe('4222000201' + '06');
    expect(decodeMACCommands(fromHex('428001'), 'down')).toEqual([
      {
        name: 'FilterListReq',
        cid: 0x42,
        filterListIdx: 3,
        filterListAction: 0,
        filterListEUI: new Uint8Array(0),
      },
    ]);
  });

  it.each([
    ['the FilterListEUI', '42B001020203', 'needs 18 bytes after its CID, but only 5 remain'],
    ['FilterListParam', '42B0', 'needs 2 bytes after its CID, but only 1 remain'],
  ])('refuses a FilterListReq whose %s is cut short', (_, hex, problem) => {
    expect(() => decodeMACCommands(fromHex(hex), 'down')).toThrow(
      expect.objectContaining({
        code: 'truncated_mac_command',
        message: expect.stringContaining(problem),
      }),
    );
  });

  const update = examples.find(([, , c]) => c.name === 'UpdateUplinkListReq')![2];
  const filter = examples.find(([, , c]) => c.name === 'FilterListReq')![2];

  it.each([
    ['a DevAddr of 3 bytes', { ...update, devAddr: fromHex('010203') }, 'devAddr must be 4 bytes'],
    [
      'a RootWorSKey of 15 bytes',
      { ...update, rootWorSKey: fromHex('0102030405060708090A0B0C0D0E0F') },
      'rootWorSKey must be a 16-byte AES key',
    ],
    [
      'a FilterListEUI of 32 bytes',
      { ...filter, filterListEUI: new Uint8Array(32) },
      'filterListEUI must be a Uint8Array of at most 31 bytes',
    ],
    ['a FilterListEUI that is not bytes', { ...filter, filterListEUI: 'AB' }, 'at most 31 bytes'],
    [
      'a NotifyNewEndDeviceReq payload of 5 bytes',
      { name: 'NotifyNewEndDeviceReq', cid: 0x46, payload: new Uint8Array(5) },
      'payload must be 6 bytes',
    ],
    ['a command that is not an object', null, 'an object with a name and a CID'],
    ['a name that is not a string', { name: 42, cid: 3 }, 'unknown name 42'],
  ])('refuses to encode %s', (_, command, problem) => {
    const direction =
      (command as MACCommand | null)?.name === 'NotifyNewEndDeviceReq' ? 'up' : 'down';
    expect(() => encodeMACCommands([command as unknown as MACCommand], direction)).toThrow(
      expect.objectContaining({
        code: 'invalid_mac_command',
        message: expect.stringContaining(problem),
      }),
    );
  });

  it('never puts a key it refuses in the message', () => {
    const secret = 'C0FFEEC0FFEEC0FFEEC0FFEEC0FFEE';
    try {
      encodeMACCommands([{ ...update, rootWorSKey: fromHex(secret) } as MACCommand], 'down');
      throw new Error('encoded');
    } catch (error) {
      expect((error as Error).message).not.toMatch(/C0FFEE|192/i);
    }
  });
});

describe('MAC commands by LoRaWAN version', () => {
  const since: Partial<Record<MACCommandName, MACVersion>> = {
    TxParamSetupReq: '1.0.2',
    TxParamSetupAns: '1.0.2',
    DlChannelReq: '1.0.2',
    DlChannelAns: '1.0.2',
    DeviceTimeReq: '1.0.3',
    DeviceTimeAns: '1.0.3',
    ResetInd: '1.1',
    ResetConf: '1.1',
    RekeyInd: '1.1',
    RekeyConf: '1.1',
    ADRParamSetupReq: '1.1',
    ADRParamSetupAns: '1.1',
    ForceRejoinReq: '1.1',
    RejoinParamSetupReq: '1.1',
    RejoinParamSetupAns: '1.1',
    DeviceModeInd: '1.1',
    DeviceModeConf: '1.1',
  };
  const versions: readonly MACVersion[] = ['1.0.0', '1.0.1', '1.0.2', '1.0.3', '1.0.4', '1.1'];

  it('states in the registry the first version of each command', () => {
    for (const [name, spec] of Object.entries(MAC_COMMANDS))
      expect([name, (spec as { since?: MACVersion }).since]).toEqual([
        name,
        since[name as MACCommandName],
      ]);
  });

  it.each(versions)(
    'LoRaWAN %s: decodes and encodes exactly the commands it defines',
    (version) => {
      const defines = (name: string) => {
        const first = since[name as MACCommandName];
        return first === undefined || versions.indexOf(first) <= versions.indexOf(version);
      };
      for (const [direction, hex, command] of examples) {
        const bytes = fromHex(hex);
        if (defines(command.name)) {
          expect(decodeMACCommands(bytes, direction, { version })).toEqual([command]);
          expect(toHex(encodeMACCommands([command], direction, { version }))).toBe(hex);
        } else {
          expect(() => decodeMACCommands(bytes, direction, { version })).toThrow(
            expect.objectContaining({
              code: 'unknown_mac_command',
              attributes: { cid: command.cid, offset: 0, direction, version },
            }),
          );
          expect(() => encodeMACCommands([command], direction, { version })).toThrow(
            expect.objectContaining({ code: 'invalid_mac_command' }),
          );
        }
      }
    },
  );

  it('says which version brought a command it refuses', () => {
    expect(() => decodeMACCommands(fromHex('020B01'), 'up', { version: '1.0.4' })).toThrow(
      'Unknown uplink MAC command CID 0x0B in LoRaWAN 1.0.4 (RekeyInd is LoRaWAN 1.1 and later) at byte 1',
    );
    expect(() =>
      encodeMACCommands(
        [{ name: 'DeviceTimeAns', cid: 0x0d, seconds: 1, fractionalSecond: 0 }],
        'down',
        {
          version: '1.0.2',
        },
      ),
    ).toThrow(
      'Invalid MAC command #0: DeviceTimeAns is LoRaWAN 1.0.3 and later; a LoRaWAN 1.0.2 device does not know it.',
    );
  });

  it('refuses an unknown version or direction, and input that is not bytes', () => {
    const invalid = (field: string) =>
      expect.objectContaining({ code: 'invalid_value', attributes: { field } });
    expect(() =>
      decodeMACCommands(new Uint8Array(0), 'up', { version: '1.0' as MACVersion }),
    ).toThrow(invalid('version'));
    expect(() => encodeMACCommands([], 'sideways' as Direction)).toThrow(invalid('direction'));
    expect(() => decodeMACCommands('0202' as unknown as Uint8Array, 'down')).toThrow(
      invalid('MAC commands'),
    );
  });
});
