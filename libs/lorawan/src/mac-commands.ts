/**
 * MAC commands of LoRaWAN 1.0.4 and 1.1 (§5 of both, class B §14 of 1.0.4 / §15 of
 * TS001-1.1 class B, class C DeviceMode of 1.1), decoded from FOpts or an FPort-0
 * FRMPayload and encoded, all from the one table {@link MAC_COMMANDS}.
 *
 * Each command is `{ name, cid, ...fields }`, fields named after the specification in
 * camelCase. RFU bits are ignored when decoding (the specification reserves them for
 * later versions) and written as 0. CIDs 0x80-0xFF are proprietary: their length is not
 * standard, so such a command runs to the end of the payload and is returned raw.
 */
import { hexByte, readUintLE, writeUintLE } from './bytes';
import { LorawanError } from './errors';
import type { Direction } from './identifiers';

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
type Field = UintField | BoolField | IntField | HzField;

interface CommandSpec {
  readonly cid: number;
  readonly direction: Direction;
  readonly length: number;
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
const bool = (at: number, shift: number): BoolField => ({
  kind: 'bool',
  at,
  size: 1,
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

/**
 * The registry: one entry per (CID, direction). `length` is the payload after the CID.
 * Sections are those of LoRaWAN 1.1 (1.0.4 has the same layouts where it has the command).
 */
export const MAC_COMMANDS = deepFreeze({
  /** 1.1 §5.1: the end-device's LoRaWAN minor version (1 for 1.1). ABP devices only. */
  ResetInd: { cid: 0x01, direction: 'up', length: 1, fields: { minor: uint(0, 0, 4) } },
  ResetConf: { cid: 0x01, direction: 'down', length: 1, fields: { minor: uint(0, 0, 4) } },
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
  /** §5.9: dwell time and maximum EIRP index. */
  TxParamSetupReq: {
    cid: 0x09,
    direction: 'down',
    length: 1,
    fields: { downlinkDwellTime: bool(0, 5), uplinkDwellTime: bool(0, 4), maxEIRP: uint(0, 0, 4) },
  },
  TxParamSetupAns: { cid: 0x09, direction: 'up', length: 0, fields: {} },
  /** §5.10: RX1 downlink frequency of a channel, in Hz. */
  DlChannelReq: {
    cid: 0x0a,
    direction: 'down',
    length: 4,
    fields: { chIndex: uint(0), frequency: hz(1) },
  },
  DlChannelAns: {
    cid: 0x0a,
    direction: 'up',
    length: 1,
    fields: { uplinkFrequencyExists: bool(0, 1), channelFrequencyOk: bool(0, 0) },
  },
  /** 1.1 §5.11: OTAA security context confirmation; the LoRaWAN minor version. */
  RekeyInd: { cid: 0x0b, direction: 'up', length: 1, fields: { minor: uint(0, 0, 4) } },
  RekeyConf: { cid: 0x0b, direction: 'down', length: 1, fields: { minor: uint(0, 0, 4) } },
  /** 1.1 §5.12: ADR_ACK_LIMIT = 2^limitExp, ADR_ACK_DELAY = 2^delayExp. */
  ADRParamSetupReq: {
    cid: 0x0c,
    direction: 'down',
    length: 1,
    fields: { limitExp: uint(0, 4, 4), delayExp: uint(0, 0, 4) },
  },
  ADRParamSetupAns: { cid: 0x0c, direction: 'up', length: 0, fields: {} },
  /** §5.13 (1.0.3+): GPS time, whole seconds and 1/256 s fractions. */
  DeviceTimeReq: { cid: 0x0d, direction: 'up', length: 0, fields: {} },
  DeviceTimeAns: {
    cid: 0x0d,
    direction: 'down',
    length: 5,
    fields: { seconds: uint(0, 0, 32, 4), fractionalSecond: uint(4) },
  },
  /** 1.1 §5.14: ask for a rejoin-request; Period 32 s × 2^period, retries, type, data rate. */
  ForceRejoinReq: {
    cid: 0x0e,
    direction: 'down',
    length: 2,
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
    fields: { maxTimeN: uint(0, 4, 4), maxCountN: uint(0, 0, 4) },
  },
  RejoinParamSetupAns: { cid: 0x0f, direction: 'up', length: 1, fields: { timeOk: bool(0, 0) } },
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
  /** Class B (deprecated by DeviceTimeReq, still decoded): delay to the next beacon in 30 ms units, channel. */
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
  DeviceModeInd: { cid: 0x20, direction: 'up', length: 1, fields: { class: uint(0) } },
  DeviceModeConf: { cid: 0x20, direction: 'down', length: 1, fields: { class: uint(0) } },
} as const satisfies Readonly<Record<string, CommandSpec>>);

type Registry = typeof MAC_COMMANDS;

/** The name of a standard MAC command, e.g. `LinkADRReq`. */
export type MACCommandName = keyof Registry;

type FieldValue<F> = F extends BoolField ? boolean : number;

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

type Entry = CommandSpec & { readonly name: string };

const BY_CID: Readonly<Record<Direction, readonly (Entry | undefined)[]>> = (() => {
  const table = {
    up: new Array<Entry | undefined>(0x80),
    down: new Array<Entry | undefined>(0x80),
  };
  for (const [name, spec] of Object.entries(MAC_COMMANDS) as [string, CommandSpec][])
    table[spec.direction][spec.cid] = { name, ...spec };
  return table;
})();

/**
 * Decodes the MAC commands of FOpts (after decryption in 1.1) or of an FPort-0
 * FRMPayload (after decryption) sent in `direction`. An unknown CID is an error rather
 * than an empty command: without its length nothing after it can be parsed.
 */
export function decodeMACCommands(bytes: Uint8Array, direction: Direction): MACCommand[] {
  const commands: MACCommand[] = [];
  let offset = 0;
  while (offset < bytes.length) {
    const cid = bytes[offset]!;
    if (cid >= 0x80) {
      commands.push({ name: 'Proprietary', cid, payload: bytes.slice(offset + 1) });
      break;
    }
    const entry = BY_CID[direction][cid];
    if (entry === undefined) {
      throw new LorawanError(
        'unknown_mac_command',
        `Unknown ${direction}link MAC command CID 0x${hexByte(cid)} at byte ${offset}; the rest of the payload cannot be parsed.`,
        { cid, offset, direction },
      );
    }
    const end = offset + 1 + entry.length;
    if (end > bytes.length) {
      throw new LorawanError(
        'truncated_mac_command',
        `MAC command ${entry.name} at byte ${offset} needs ${entry.length} bytes after its CID, but only ${bytes.length - offset - 1} remain.`,
        { cid, offset, direction, name: entry.name },
      );
    }
    const command: Record<string, unknown> = { name: entry.name, cid };
    for (const [key, field] of Object.entries(entry.fields))
      command[key] = readField(bytes, offset + 1, field);
    commands.push(command as MACCommand);
    offset = end;
  }
  return commands;
}

/**
 * Encodes MAC commands sent in `direction`, checking each: a known name (or a proprietary
 * CID, last), the right direction, the registry's CID, and every field in range.
 */
export function encodeMACCommands(
  commands: readonly MACCommand[],
  direction: Direction,
): Uint8Array {
  const parts: Uint8Array[] = [];
  commands.forEach((command, index) => {
    if (command.name === 'Proprietary') {
      parts.push(encodeProprietary(command, index, commands.length));
      return;
    }
    const spec: CommandSpec | undefined = Object.hasOwn(MAC_COMMANDS, command.name)
      ? MAC_COMMANDS[command.name]
      : undefined;
    if (spec === undefined)
      throw invalidCommand(index, `unknown name ${JSON.stringify(command.name)}`);
    if (spec.direction !== direction)
      throw invalidCommand(
        index,
        `${command.name} is sent ${spec.direction}link, not ${direction}link`,
      );
    if (command.cid !== spec.cid)
      throw invalidCommand(
        index,
        `${command.name} has CID 0x${hexByte(spec.cid)}, not ${String(command.cid)}`,
      );
    const bytes = new Uint8Array(1 + spec.length);
    bytes[0] = spec.cid;
    const values = command as unknown as Readonly<Record<string, unknown>>;
    for (const [key, field] of Object.entries(spec.fields))
      writeField(bytes, 1, field, values[key], `${command.name}.${key}`, index);
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

function readField(bytes: Uint8Array, base: number, field: Field): number | boolean {
  const word = readUintLE(bytes, base + field.at, field.size);
  const value = Math.floor(word / 2 ** field.shift) % 2 ** field.bits;
  switch (field.kind) {
    case 'bool':
      return value === 1;
    case 'int':
      return value >= 2 ** (field.bits - 1) ? value - 2 ** field.bits : value;
    case 'hz':
      return value * 100;
    default:
      return value;
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
  let raw: number;
  switch (field.kind) {
    case 'bool':
      if (typeof value !== 'boolean') throw invalidField(index, name, value, 'true or false');
      raw = value ? 1 : 0;
      break;
    case 'int': {
      const limit = 2 ** (field.bits - 1);
      if (!isIntegerIn(value, -limit, limit - 1))
        throw invalidField(index, name, value, `an integer from ${-limit} to ${limit - 1}`);
      raw = value < 0 ? value + 2 * limit : value;
      break;
    }
    case 'hz': {
      const max = (2 ** field.bits - 1) * 100;
      if (!isIntegerIn(value, 0, max) || value % 100 !== 0)
        throw invalidField(index, name, value, `a multiple of 100 Hz from 0 to ${max}`);
      raw = value / 100;
      break;
    }
    default:
      if (!isIntegerIn(value, 0, 2 ** field.bits - 1))
        throw invalidField(index, name, value, `an integer from 0 to ${2 ** field.bits - 1}`);
      raw = value;
  }
  const word = readUintLE(bytes, base + field.at, field.size) + raw * 2 ** field.shift;
  writeUintLE(bytes, base + field.at, word, field.size);
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
