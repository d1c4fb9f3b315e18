import {
  decodeMACCommands,
  encodeMACCommands,
  fromHex,
  MAC_COMMANDS,
  toHex,
  type Direction,
  type MACCommand,
} from '../src/index';

// One example per registry entry, as bytes and as the decoded command.
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
