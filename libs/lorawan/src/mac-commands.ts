/**
 * MAC commands of LoRaWAN 1.0.x and 1.1 (§5 of both, class B §14 of 1.0.4 / §15 of
 * TS001-1.1 class B, class C DeviceMode of 1.1) and of the relay specification TS011-1.0.0
 * (CIDs 0x40-0x46), decoded from FOpts or an FPort-0 FRMPayload and encoded, all from the
 * one table {@link MAC_COMMANDS}.
 *
 * Each command is `{ name, cid, ...fields }`, fields named after the specification in
 * camelCase. RFU bits are ignored when decoding (the specification reserves them for
 * later versions) and written as 0. CIDs 0x80-0xFF are proprietary: their length is not
 * standard, so such a command runs to the end of the payload and is returned raw.
 */
import { hexByte, readReversed, readUintLE, writeReversed, writeUintLE } from './bytes';
import { LorawanError } from './errors';
import type { AesKey, DevAddr, Direction } from './identifiers';

/** How a field sits in a command: `bits` bits at `shift` in the `size`-byte LE word at `at`. */
interface Layout {
  readonly at: number;
  readonly size: number;
  readonly shift: number;
  readonly bits: number;
}
interface UintField extends Layout {
  readonly kind: 'uint';
}
interface BoolField extends Layout {
  readonly kind: 'bool';
}
/** A two's complement signed integer of `bits` bits. */
interface IntField extends Layout {
  readonly kind: 'int';
}
/** A 24-bit frequency in units of 100 Hz, shown in Hz. */
interface HzField extends Layout {
  readonly kind: 'hz';
}
/** A DevAddr: 4 bytes at `at`, little-endian on the wire, shown in display order. */
interface DevAddrField {
  readonly kind: 'devAddr';
  readonly at: number;
}
/** An AES-128 key: 16 bytes at `at`, as on the wire (keys are never reversed). */
interface AesKeyField {
  readonly kind: 'aesKey';
  readonly at: number;
}
/** `size` bytes at `at`, as on the wire: a payload whose layout is not decoded here. */
interface RawField {
  readonly kind: 'raw';
  readonly at: number;
  readonly size: number;
}
/**
 * Bytes after the fixed part of the command (at `at`), as many as the `length` bits say:
 * little-endian on the wire, shown in display order.
 */
interface TailField {
  readonly kind: 'tail';
  readonly at: number;
  readonly length: Layout;
}
type BitField = UintField | BoolField | IntField | HzField;
type Field = BitField | DevAddrField | AesKeyField | RawField | TailField;

/**
 * A LoRaWAN L2 version, for {@link MACCommandOptions.version}: 1.0.0 to 1.0.4 (TS001) or
 * 1.1. Versions define MAC commands cumulatively, so each command has the first version
 * that defines it.
 */
export type MACVersion = '1.0.0' | '1.0.1' | '1.0.2' | '1.0.3' | '1.0.4' | '1.1';

/** Every {@link MACVersion}, oldest first. */
export const MAC_VERSIONS: readonly MACVersion[] = [
  '1.0.0',
  '1.0.1',
  '1.0.2',
  '1.0.3',
  '1.0.4',
  '1.1',
];

interface CommandSpec {
  readonly cid: number;
  readonly direction: Direction;
  /** The payload after the CID; a command with a `tail` field has that many bytes more. */
  readonly length: number;
  /** The first LoRaWAN version that defines the command; absent: every version. */
  readonly since?: MACVersion;
  readonly fields: Readonly<Record<string, Field>>;
}

/** The registry is shared by every caller: freeze it so that nobody can change it for the others. */
function deepFreeze<T extends object>(value: T): T {
  for (const child of Object.values(value))
    if (typeof child === 'object') deepFreeze(child as object);
  return Object.freeze(value);
}

const uint = (at: number, shift = 0, bits = 8, size = 1): UintField => ({
  kind: 'uint',
  at,
  size,
  shift,
  bits,
});
const bool = (at: number, shift: number, size = 1): BoolField => ({
  kind: 'bool',
  at,
  size,
  shift,
  bits: 1,
});
const int = (at: number, shift: number, bits: number): IntField => ({
  kind: 'int',
  at,
  size: 1,
  shift,
  bits,
});
const hz = (at: number): HzField => ({ kind: 'hz', at, size: 3, shift: 0, bits: 24 });
const devAddr = (at: number): DevAddrField => ({ kind: 'devAddr', at });
const aesKey = (at: number): AesKeyField => ({ kind: 'aesKey', at });
const raw = (at: number, size: number): RawField => ({ kind: 'raw', at, size });
const tail = (at: number, length: Layout): TailField => ({ kind: 'tail', at, length });

/**
 * The registry: one entry per (CID, direction). `length` is the payload after the CID;
 * `since` the first LoRaWAN version that defines the command (absent: every version).
 * Sections are those of LoRaWAN 1.1 (1.0.4 has the same layouts where it has the command)
 * and of the relay specification TS011-1.0.0 (§6).
 */
export const MAC_COMMANDS = deepFreeze({
  /** 1.1 §5.1: the end-device's LoRaWAN minor version (1 for 1.1). ABP devices only. */
  ResetInd: {
    cid: 0x01,
    direction: 'up',
    length: 1,
    since: '1.1',
    fields: { minor: uint(0, 0, 4) },
  },
  ResetConf: {
    cid: 0x01,
    direction: 'down',
    length: 1,
    since: '1.1',
    fields: { minor: uint(0, 0, 4) },
  },
  /** §5.2: link check; Margin in dB above the demodulation floor, GwCnt gateways that heard it. */
  LinkCheckReq: { cid: 0x02, direction: 'up', length: 0, fields: {} },
  LinkCheckAns: {
    cid: 0x02,
    direction: 'down',
    length: 2,
    fields: { margin: uint(0), gwCnt: uint(1) },
  },
  /** §5.3: adaptive data rate. */
  LinkADRReq: {
    cid: 0x03,
    direction: 'down',
    length: 4,
    fields: {
      dataRate: uint(0, 4, 4),
      txPower: uint(0, 0, 4),
      chMask: uint(1, 0, 16, 2),
      chMaskCntl: uint(3, 4, 3),
      nbTrans: uint(3, 0, 4),
    },
  },
  LinkADRAns: {
    cid: 0x03,
    direction: 'up',
    length: 1,
    fields: { powerAck: bool(0, 2), dataRateAck: bool(0, 1), channelMaskAck: bool(0, 0) },
  },
  /** §5.4: aggregated duty cycle limit 1/2^MaxDutyCycle. */
  DutyCycleReq: {
    cid: 0x04,
    direction: 'down',
    length: 1,
    fields: { maxDutyCycle: uint(0, 0, 4) },
  },
  DutyCycleAns: { cid: 0x04, direction: 'up', length: 0, fields: {} },
  /** §5.5: receive windows; Frequency of RX2 in Hz. */
  RXParamSetupReq: {
    cid: 0x05,
    direction: 'down',
    length: 4,
    fields: { rx1DROffset: uint(0, 4, 3), rx2DataRate: uint(0, 0, 4), frequency: hz(1) },
  },
  RXParamSetupAns: {
    cid: 0x05,
    direction: 'up',
    length: 1,
    fields: { rx1DROffsetAck: bool(0, 2), rx2DataRateAck: bool(0, 1), channelAck: bool(0, 0) },
  },
  /** §5.6: Battery 0 external power, 1-254 level, 255 unknown; Margin the SNR in dB (-32..31). */
  DevStatusReq: { cid: 0x06, direction: 'down', length: 0, fields: {} },
  DevStatusAns: {
    cid: 0x06,
    direction: 'up',
    length: 2,
    fields: { battery: uint(0), margin: int(1, 0, 6) },
  },
  /** §5.7: create or modify a channel (Frequency 0 disables it). */
  NewChannelReq: {
    cid: 0x07,
    direction: 'down',
    length: 5,
    fields: { chIndex: uint(0), frequency: hz(1), maxDR: uint(4, 4, 4), minDR: uint(4, 0, 4) },
  },
  NewChannelAns: {
    cid: 0x07,
    direction: 'up',
    length: 1,
    fields: { dataRateRangeOk: bool(0, 1), channelFrequencyOk: bool(0, 0) },
  },
  /** §5.8: delay of RX1 in seconds (0 means 1). */
  RXTimingSetupReq: { cid: 0x08, direction: 'down', length: 1, fields: { delay: uint(0, 0, 4) } },
  RXTimingSetupAns: { cid: 0x08, direction: 'up', length: 0, fields: {} },
  /** §5.9 (1.0.2+): dwell time and maximum EIRP index. */
  TxParamSetupReq: {
    cid: 0x09,
    direction: 'down',
    length: 1,
    since: '1.0.2',
    fields: { downlinkDwellTime: bool(0, 5), uplinkDwellTime: bool(0, 4), maxEIRP: uint(0, 0, 4) },
  },
  TxParamSetupAns: { cid: 0x09, direction: 'up', length: 0, since: '1.0.2', fields: {} },
  /** §5.10 (1.0.2+): RX1 downlink frequency of a channel, in Hz. */
  DlChannelReq: {
    cid: 0x0a,
    direction: 'down',
    length: 4,
    since: '1.0.2',
    fields: { chIndex: uint(0), frequency: hz(1) },
  },
  DlChannelAns: {
    cid: 0x0a,
    direction: 'up',
    length: 1,
    since: '1.0.2',
    fields: { uplinkFrequencyExists: bool(0, 1), channelFrequencyOk: bool(0, 0) },
  },
  /** 1.1 §5.11: OTAA security context confirmation; the LoRaWAN minor version. */
  RekeyInd: {
    cid: 0x0b,
    direction: 'up',
    length: 1,
    since: '1.1',
    fields: { minor: uint(0, 0, 4) },
  },
  RekeyConf: {
    cid: 0x0b,
    direction: 'down',
    length: 1,
    since: '1.1',
    fields: { minor: uint(0, 0, 4) },
  },
  /** 1.1 §5.12: ADR_ACK_LIMIT = 2^limitExp, ADR_ACK_DELAY = 2^delayExp. */
  ADRParamSetupReq: {
    cid: 0x0c,
    direction: 'down',
    length: 1,
    since: '1.1',
    fields: { limitExp: uint(0, 4, 4), delayExp: uint(0, 0, 4) },
  },
  ADRParamSetupAns: { cid: 0x0c, direction: 'up', length: 0, since: '1.1', fields: {} },
  /** §5.13 (1.0.3+): GPS time, whole seconds and 1/256 s fractions. */
  DeviceTimeReq: { cid: 0x0d, direction: 'up', length: 0, since: '1.0.3', fields: {} },
  DeviceTimeAns: {
    cid: 0x0d,
    direction: 'down',
    length: 5,
    since: '1.0.3',
    fields: { seconds: uint(0, 0, 32, 4), fractionalSecond: uint(4) },
  },
  /** 1.1 §5.14: ask for a rejoin-request; Period 32 s × 2^period, retries, type, data rate. */
  ForceRejoinReq: {
    cid: 0x0e,
    direction: 'down',
    length: 2,
    since: '1.1',
    fields: {
      period: uint(0, 11, 3, 2),
      maxRetries: uint(0, 8, 3, 2),
      rejoinType: uint(0, 4, 3, 2),
      dataRate: uint(0, 0, 4, 2),
    },
  },
  /** 1.1 §5.15: periodic rejoin every 2^(maxCountN+4) uplinks or 2^(maxTimeN+10) s. */
  RejoinParamSetupReq: {
    cid: 0x0f,
    direction: 'down',
    length: 1,
    since: '1.1',
    fields: { maxTimeN: uint(0, 4, 4), maxCountN: uint(0, 0, 4) },
  },
  RejoinParamSetupAns: {
    cid: 0x0f,
    direction: 'up',
    length: 1,
    since: '1.1',
    fields: { timeOk: bool(0, 0) },
  },
  /** Class B: ping slot periodicity 2^periodicity s. */
  PingSlotInfoReq: {
    cid: 0x10,
    direction: 'up',
    length: 1,
    fields: { periodicity: uint(0, 0, 3) },
  },
  PingSlotInfoAns: { cid: 0x10, direction: 'down', length: 0, fields: {} },
  /** Class B: ping slot frequency in Hz (0: default) and data rate. */
  PingSlotChannelReq: {
    cid: 0x11,
    direction: 'down',
    length: 4,
    fields: { frequency: hz(0), dataRate: uint(3, 0, 4) },
  },
  PingSlotChannelAns: {
    cid: 0x11,
    direction: 'up',
    length: 1,
    fields: { dataRateOk: bool(0, 1), channelFrequencyOk: bool(0, 0) },
  },
  /**
   * Class B: delay to the next beacon in 30 ms units, channel. Deprecated by DeviceTimeReq
   * since 1.0.3 but not withdrawn, so it is decoded for every version.
   */
  BeaconTimingReq: { cid: 0x12, direction: 'up', length: 0, fields: {} },
  BeaconTimingAns: {
    cid: 0x12,
    direction: 'down',
    length: 3,
    fields: { delay: uint(0, 0, 16, 2), channel: uint(2) },
  },
  /** Class B: beacon frequency in Hz (0: default). */
  BeaconFreqReq: { cid: 0x13, direction: 'down', length: 3, fields: { frequency: hz(0) } },
  BeaconFreqAns: {
    cid: 0x13,
    direction: 'up',
    length: 1,
    fields: { beaconFrequencyOk: bool(0, 0) },
  },
  /** 1.1 §5.16 (class C): the device's class, 0x00 A, 0x02 C. */
  DeviceModeInd: {
    cid: 0x20,
    direction: 'up',
    length: 1,
    since: '1.1',
    fields: { class: uint(0) },
  },
  DeviceModeConf: {
    cid: 0x20,
    direction: 'down',
    length: 1,
    since: '1.1',
    fields: { class: uint(0) },
  },
  /**
   * TS011 §6.2: configures a relay. ChannelSettingsRelay (2 bytes): Start/Stop (13),
   * CADPeriodicity (12..10), DefaultChIdx (9), SecondChIdx (8..7: 0 none, 1 the second
   * channel), SecondChDR (6..3), SecondChAckOffset (2..0); then SecondChFreq in Hz.
   */
  RelayConfReq: {
    cid: 0x40,
    direction: 'down',
    length: 5,
    fields: {
      startStop: bool(0, 13, 2),
      cadPeriodicity: uint(0, 10, 3, 2),
      defaultChIdx: uint(0, 9, 1, 2),
      secondChIdx: uint(0, 7, 2, 2),
      secondChDR: uint(0, 3, 4, 2),
      secondChAckOffset: uint(0, 0, 3, 2),
      secondChFreq: hz(2),
    },
  },
  RelayConfAns: {
    cid: 0x40,
    direction: 'up',
    length: 1,
    fields: {
      cadPeriodicityAck: bool(0, 5),
      defaultChIdxAck: bool(0, 4),
      secondChIdxAck: bool(0, 3),
      secondChDRAck: bool(0, 2),
      secondChAckOffsetAck: bool(0, 1),
      secondChFreqAck: bool(0, 0),
    },
  },
  /**
   * TS011 §6.3: configures an end-device to use a relay. ActivationRelayMode:
   * RelayModeActivation (3..2: 0 disabled, 1 always, 2 dynamic, 3 end-device controlled),
   * SmartEnableLevel (1..0); ChannelSettingsED (2 bytes): Backoff (14..9), SecondChIdx
   * (8..7), SecondChDR (6..3), SecondChAckOffset (2..0); then SecondChFreq in Hz.
   */
  EndDeviceConfReq: {
    cid: 0x41,
    direction: 'down',
    length: 6,
    fields: {
      relayModeActivation: uint(0, 2, 2),
      smartEnableLevel: uint(0, 0, 2),
      backoff: uint(1, 9, 6, 2),
      secondChIdx: uint(1, 7, 2, 2),
      secondChDR: uint(1, 3, 4, 2),
      secondChAckOffset: uint(1, 0, 3, 2),
      secondChFreq: hz(3),
    },
  },
  /** Bit 3 is BackoffACK as The Things Stack and ChirpStack read it (Semtech's draft-era relay code names it the ACK offset's). */
  EndDeviceConfAns: {
    cid: 0x41,
    direction: 'up',
    length: 1,
    fields: {
      backoffAck: bool(0, 3),
      secondChIdxAck: bool(0, 2),
      secondChDRAck: bool(0, 1),
      secondChFreqAck: bool(0, 0),
    },
  },
  /**
   * TS011 §6.4: a join-request forwarding rule. FilterListParam (2 bytes): FilterListIdx
   * (10..7), FilterListAction (6..5: 0 no rule, 1 forward, 2 filter), FilterListLen (4..0);
   * then FilterListEUI, FilterListLen bytes: the leading bytes of JoinEUI | DevEUI, in
   * display order here (little-endian on the wire). The length follows the EUI given; the
   * specification allows up to 16 bytes and a relay refuses more (FilterListLenACK 0).
   */
  FilterListReq: {
    cid: 0x42,
    direction: 'down',
    length: 2,
    fields: {
      filterListIdx: uint(0, 7, 4, 2),
      filterListAction: uint(0, 5, 2, 2),
      filterListEUI: tail(2, uint(0, 0, 5, 2)),
    },
  },
  FilterListAns: {
    cid: 0x42,
    direction: 'up',
    length: 1,
    fields: {
      combinedRulesAck: bool(0, 2),
      filterListLenAck: bool(0, 1),
      filterListActionAck: bool(0, 0),
    },
  },
  /**
   * TS011 §6.5: adds or updates a trusted end-device. UplinkListIdx; UplinkLimit: BucketSize
   * (7..6), ReloadRate (5..0, 63: no limit); the device's DevAddr and WFCnt; RootWorSKey.
   */
  UpdateUplinkListReq: {
    cid: 0x43,
    direction: 'down',
    length: 26,
    fields: {
      uplinkListIdx: uint(0, 0, 4),
      bucketSize: uint(1, 6, 2),
      reloadRate: uint(1, 0, 6),
      devAddr: devAddr(2),
      wFCnt: uint(6, 0, 32, 4),
      rootWorSKey: aesKey(10),
    },
  },
  UpdateUplinkListAns: { cid: 0x43, direction: 'up', length: 0, fields: {} },
  /** TS011 §6.6: reads (action 0) or removes (action 1) a trusted end-device's entry. */
  CtrlUplinkListReq: {
    cid: 0x44,
    direction: 'down',
    length: 1,
    fields: { ctrlUplinkAction: uint(0, 4, 1), uplinkListIdx: uint(0, 0, 4) },
  },
  CtrlUplinkListAns: {
    cid: 0x44,
    direction: 'up',
    length: 5,
    fields: { uplinkListIdxAck: bool(0, 0), wFCnt: uint(1, 0, 32, 4) },
  },
  /**
   * TS011 §6.7: the relay's forwarding limits. ReloadRate (4 bytes): ResetLimitCounter
   * (29..28), JoinReqReloadRate (27..21), NotifyReloadRate (20..14), GlobalUplinkReloadRate
   * (13..7), OverallReloadRate (6..0), 127 meaning no limit; LoadCapacity: the bucket size
   * factors of the same four limits, 2 bits each from JoinReq (7..6) to Overall (1..0).
   */
  ConfigureFwdLimitReq: {
    cid: 0x45,
    direction: 'down',
    length: 5,
    fields: {
      resetLimitCounter: uint(0, 28, 2, 4),
      joinReqReloadRate: uint(0, 21, 7, 4),
      notifyReloadRate: uint(0, 14, 7, 4),
      globalUplinkReloadRate: uint(0, 7, 7, 4),
      overallReloadRate: uint(0, 0, 7, 4),
      joinReqLimitSize: uint(4, 6, 2),
      notifyLimitSize: uint(4, 4, 2),
      globalUplinkLimitSize: uint(4, 2, 2),
      overallLimitSize: uint(4, 0, 2),
    },
  },
  ConfigureFwdLimitAns: { cid: 0x45, direction: 'up', length: 0, fields: {} },
  /**
   * TS011 §6.8: a relay reports an end-device it does not serve: its DevAddr (4 bytes) and
   * PowerLevel (2 bytes: WOR SNR + 20 in bits 4..0, -(WOR RSSI + 15) in bits 11..5). The
   * payload stays raw: public implementations disagree on the order of the two fields
   * (Semtech's relay firmware and ChirpStack put DevAddr first, The Things Stack
   * PowerLevel), and a guess would misread one of them.
   */
  NotifyNewEndDeviceReq: {
    cid: 0x46,
    direction: 'up',
    length: 6,
    fields: { payload: raw(0, 6) },
  },
} as const satisfies Readonly<Record<string, CommandSpec>>);

type Registry = typeof MAC_COMMANDS;

/** The name of a standard MAC command, e.g. `LinkADRReq`. */
export type MACCommandName = keyof Registry;

type FieldValue<F> = F extends BoolField
  ? boolean
  : F extends DevAddrField
    ? DevAddr
    : F extends AesKeyField
      ? AesKey
      : F extends RawField | TailField
        ? Uint8Array
        : number;

/** The decoded form of the standard command `N`: name, CID and its fields. */
export type MACCommandOf<N extends MACCommandName> = {
  readonly name: N;
  readonly cid: Registry[N]['cid'];
} & {
  readonly [K in keyof Registry[N]['fields']]: FieldValue<Registry[N]['fields'][K]>;
};

/** A proprietary command (CID 0x80-0xFF): the bytes after the CID, to the end of the payload. */
export interface ProprietaryMACCommand {
  readonly name: 'Proprietary';
  readonly cid: number;
  readonly payload: Uint8Array;
}

/** Any MAC command, discriminated by `name`. */
export type MACCommand =
  { [N in MACCommandName]: MACCommandOf<N> }[MACCommandName] | ProprietaryMACCommand;

/** Options of {@link decodeMACCommands} and {@link encodeMACCommands}. */
export interface MACCommandOptions {
  /**
   * The device's LoRaWAN version: commands it does not define are refused, as a network
   * server must (a 1.0.x device sends no RekeyInd, a 1.0.2 one no DeviceTimeReq). Default:
   * every command of the registry. The relay commands (TS011) are not tied to a version.
   */
  readonly version?: MACVersion;
}

interface Entry {
  readonly name: string;
  readonly cid: number;
  readonly direction: Direction;
  readonly length: number;
  /** Index of the first version in {@link MAC_VERSIONS}. */
  readonly since: number;
  readonly fields: readonly (readonly [string, Field])[];
  readonly tail: readonly [string, TailField] | undefined;
}

const BY_NAME = new Map<string, Entry>();
const BY_CID: Readonly<Record<Direction, readonly (Entry | undefined)[]>> = (() => {
  const table = {
    up: new Array<Entry | undefined>(0x80),
    down: new Array<Entry | undefined>(0x80),
  };
  for (const [name, spec] of Object.entries(MAC_COMMANDS) as [string, CommandSpec][]) {
    const fields = Object.entries(spec.fields);
    const entry: Entry = {
      name,
      cid: spec.cid,
      direction: spec.direction,
      length: spec.length,
      since: spec.since === undefined ? 0 : MAC_VERSIONS.indexOf(spec.since),
      fields,
      tail: fields.find((field): field is [string, TailField] => field[1].kind === 'tail'),
    };
    table[spec.direction][spec.cid] = entry;
    BY_NAME.set(name, entry);
  }
  return table;
})();

/**
 * Decodes the MAC commands of FOpts (after decryption in 1.1) or of an FPort-0
 * FRMPayload (after decryption) sent in `direction`. An unknown CID, or one that
 * `options.version` does not define, is an error rather than an empty command: without
 * its length nothing after it can be parsed.
 */
export function decodeMACCommands(
  bytes: Uint8Array,
  direction: Direction,
  options: MACCommandOptions = {},
): MACCommand[] {
  checkDirection(direction);
  const version = versionIndex(options.version);
  if (!(bytes instanceof Uint8Array)) {
    throw new LorawanError(
      'invalid_value',
      `MAC commands are bytes (a Uint8Array), not ${typeof bytes}.`,
      { field: 'MAC commands' },
    );
  }
  const commands: MACCommand[] = [];
  let offset = 0;
  while (offset < bytes.length) {
    const cid = bytes[offset]!;
    if (cid >= 0x80) {
      commands.push({ name: 'Proprietary', cid, payload: bytes.slice(offset + 1) });
      break;
    }
    const entry = BY_CID[direction][cid];
    if (entry === undefined || entry.since > version) {
      const defined =
        entry === undefined
          ? ''
          : ` in LoRaWAN ${MAC_VERSIONS[version]!} (${entry.name} is LoRaWAN ${MAC_VERSIONS[entry.since]!} and later)`;
      throw new LorawanError(
        'unknown_mac_command',
        `Unknown ${direction}link MAC command CID 0x${hexByte(cid)}${defined} at byte ${offset}; the rest of the payload cannot be parsed.`,
        { cid, offset, direction, ...(options.version && { version: options.version }) },
      );
    }
    const base = offset + 1;
    let length = entry.length;
    if (base + length <= bytes.length && entry.tail)
      length += readBits(bytes, base, entry.tail[1].length);
    if (base + length > bytes.length) {
      throw new LorawanError(
        'truncated_mac_command',
        `MAC command ${entry.name} at byte ${offset} needs ${length} bytes after its CID, but only ${bytes.length - base} remain.`,
        { cid, offset, direction, name: entry.name },
      );
    }
    const command: Record<string, unknown> = { name: entry.name, cid };
    for (const [key, field] of entry.fields) command[key] = readField(bytes, base, field);
    commands.push(command as MACCommand);
    offset = base + length;
  }
  return commands;
}

/**
 * Encodes MAC commands sent in `direction`, checking each: a known name (or a proprietary
 * CID, last), the right direction, the registry's CID, a command `options.version`
 * defines, and every field in range.
 */
export function encodeMACCommands(
  commands: readonly MACCommand[],
  direction: Direction,
  options: MACCommandOptions = {},
): Uint8Array {
  checkDirection(direction);
  const version = versionIndex(options.version);
  const parts: Uint8Array[] = [];
  commands.forEach((command, index) => {
    if (typeof command !== 'object' || command === null)
      throw invalidCommand(index, 'an object with a name and a CID is expected');
    if (command.name === 'Proprietary') {
      parts.push(encodeProprietary(command, index, commands.length));
      return;
    }
    const entry = typeof command.name === 'string' ? BY_NAME.get(command.name) : undefined;
    if (entry === undefined)
      throw invalidCommand(index, `unknown name ${JSON.stringify(command.name)}`);
    if (entry.direction !== direction)
      throw invalidCommand(
        index,
        `${entry.name} is sent ${entry.direction}link, not ${direction}link`,
      );
    if (command.cid !== entry.cid)
      throw invalidCommand(
        index,
        `${entry.name} has CID 0x${hexByte(entry.cid)}, not ${String(command.cid)}`,
      );
    if (entry.since > version)
      throw invalidCommand(
        index,
        `${entry.name} is LoRaWAN ${MAC_VERSIONS[entry.since]!} and later; a LoRaWAN ${MAC_VERSIONS[version]!} device does not know it`,
      );
    const values = command as unknown as Readonly<Record<string, unknown>>;
    let length = entry.length;
    if (entry.tail) {
      const [key, field] = entry.tail;
      length += checkTail(values[key], field, `${entry.name}.${key}`, index).length;
    }
    const bytes = new Uint8Array(1 + length);
    bytes[0] = entry.cid;
    for (const [key, field] of entry.fields)
      writeField(bytes, 1, field, values[key], `${entry.name}.${key}`, index);
    parts.push(bytes);
  });
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

function checkDirection(direction: Direction): void {
  if (direction !== 'up' && direction !== 'down') {
    throw new LorawanError(
      'invalid_value',
      `Invalid direction ${JSON.stringify(direction)}; "up" or "down" is expected.`,
      { field: 'direction' },
    );
  }
}

/** The index of `version` in {@link MAC_VERSIONS}; without a version, the last one. */
function versionIndex(version: MACVersion | undefined): number {
  if (version === undefined) return MAC_VERSIONS.length - 1;
  const index = MAC_VERSIONS.indexOf(version);
  if (index < 0) {
    throw new LorawanError(
      'invalid_value',
      `Invalid LoRaWAN version ${JSON.stringify(version)}; use one of ${MAC_VERSIONS.join(', ')}.`,
      { field: 'version' },
    );
  }
  return index;
}

function encodeProprietary(
  command: ProprietaryMACCommand,
  index: number,
  count: number,
): Uint8Array {
  if (!Number.isInteger(command.cid) || command.cid < 0x80 || command.cid > 0xff) {
    throw invalidCommand(
      index,
      `a proprietary command needs a CID from 0x80 to 0xFF, not ${String(command.cid)}`,
    );
  }
  if (!(command.payload instanceof Uint8Array))
    throw invalidCommand(index, 'a proprietary command needs its payload as bytes');
  if (index !== count - 1) {
    throw invalidCommand(
      index,
      'a proprietary command runs to the end of the payload, so it must come last',
    );
  }
  const bytes = new Uint8Array(1 + command.payload.length);
  bytes[0] = command.cid;
  bytes.set(command.payload, 1);
  return bytes;
}

function readBits(bytes: Uint8Array, base: number, layout: Layout): number {
  const word = readUintLE(bytes, base + layout.at, layout.size);
  return Math.floor(word / 2 ** layout.shift) % 2 ** layout.bits;
}

function readField(bytes: Uint8Array, base: number, field: Field): number | boolean | Uint8Array {
  switch (field.kind) {
    case 'devAddr':
      return readReversed(bytes, base + field.at, 4);
    case 'aesKey':
      return bytes.slice(base + field.at, base + field.at + 16);
    case 'raw':
      return bytes.slice(base + field.at, base + field.at + field.size);
    case 'tail':
      return readReversed(bytes, base + field.at, readBits(bytes, base, field.length));
    case 'bool':
      return readBits(bytes, base, field) === 1;
    case 'int': {
      const value = readBits(bytes, base, field);
      return value >= 2 ** (field.bits - 1) ? value - 2 ** field.bits : value;
    }
    case 'hz':
      return readBits(bytes, base, field) * 100;
    default:
      return readBits(bytes, base, field);
  }
}

function writeField(
  bytes: Uint8Array,
  base: number,
  field: Field,
  value: unknown,
  name: string,
  index: number,
): void {
  switch (field.kind) {
    case 'devAddr':
      writeReversed(bytes, base + field.at, checkBytes(value, 4, name, index));
      return;
    case 'aesKey':
      // A key is never echoed in the message, whatever was given.
      if (!(value instanceof Uint8Array) || value.length !== 16)
        throw invalidCommand(index, `${name} must be a 16-byte AES key`);
      bytes.set(value, base + field.at);
      return;
    case 'raw':
      bytes.set(checkBytes(value, field.size, name, index), base + field.at);
      return;
    case 'tail': {
      const eui = checkTail(value, field, name, index);
      writeReversed(bytes, base + field.at, eui);
      writeBits(bytes, base, field.length, eui.length);
      return;
    }
    default:
      writeBits(bytes, base, field, bitValue(field, value, name, index));
  }
}

/** The raw bits of a bit field's value, checked against its range. */
function bitValue(field: BitField, value: unknown, name: string, index: number): number {
  switch (field.kind) {
    case 'bool':
      if (typeof value !== 'boolean') throw invalidField(index, name, value, 'true or false');
      return value ? 1 : 0;
    case 'int': {
      const limit = 2 ** (field.bits - 1);
      if (!isIntegerIn(value, -limit, limit - 1))
        throw invalidField(index, name, value, `an integer from ${-limit} to ${limit - 1}`);
      return value < 0 ? value + 2 * limit : value;
    }
    case 'hz': {
      const max = (2 ** field.bits - 1) * 100;
      if (!isIntegerIn(value, 0, max) || value % 100 !== 0)
        throw invalidField(index, name, value, `a multiple of 100 Hz from 0 to ${max}`);
      return value / 100;
    }
    default:
      if (!isIntegerIn(value, 0, 2 ** field.bits - 1))
        throw invalidField(index, name, value, `an integer from 0 to ${2 ** field.bits - 1}`);
      return value;
  }
}

function writeBits(bytes: Uint8Array, base: number, layout: Layout, value: number): void {
  const word = readUintLE(bytes, base + layout.at, layout.size) + value * 2 ** layout.shift;
  writeUintLE(bytes, base + layout.at, word, layout.size);
}

function checkBytes(value: unknown, size: number, name: string, index: number): Uint8Array {
  if (!(value instanceof Uint8Array) || value.length !== size)
    throw invalidCommand(index, `${name} must be ${size} bytes`);
  return value;
}

function checkTail(value: unknown, field: TailField, name: string, index: number): Uint8Array {
  const max = 2 ** field.length.bits - 1;
  if (!(value instanceof Uint8Array) || value.length > max)
    throw invalidCommand(index, `${name} must be a Uint8Array of at most ${max} bytes`);
  return value;
}

function isIntegerIn(value: unknown, min: number, max: number): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max;
}

function invalidField(index: number, name: string, value: unknown, expected: string): LorawanError {
  return invalidCommand(index, `${name} is ${String(value)}; ${expected} is expected`);
}

function invalidCommand(index: number, problem: string): LorawanError {
  return new LorawanError('invalid_mac_command', `Invalid MAC command #${index}: ${problem}.`, {
    index,
  });
}
