/**
 * Join messages: join-request (LoRaWAN 1.0.4 §6.2.4, 1.1 §6.2.2), join-accept with
 * DLSettings and CFList (1.0.4 §6.2.5-6, 1.1 §6.2.3, RP002 CFList), rejoin-request types
 * 0, 1, 2 (1.1 §6.2.4). The `read*` functions decode a PHYPayload, copying its fields;
 * the `write*` functions write MHDR and fields, without the MIC.
 */
import {
  checkBoolean,
  checkUint,
  copyOf,
  readReversed,
  readUintLE,
  writeReversed,
  writeUintLE,
} from './bytes';
import { LorawanError } from './errors';
import { checkIdentifier, type DevAddr, type Eui64 } from './identifiers';
import { encodeMHDR, type Major } from './mhdr';

/** A join-request: 23 bytes on the air. */
export interface JoinRequest {
  readonly mType: 'JoinRequest';
  readonly major?: Major;
  readonly joinEUI: Eui64;
  readonly devEUI: Eui64;
  readonly devNonce: number;
  readonly mic: Uint8Array;
}

/** DLSettings: OptNeg (1.1; RFU in 1.0) | RX1DROffset | RX2DataRate. */
export interface DLSettings {
  readonly optNeg: boolean;
  readonly rx1DROffset: number;
  readonly rx2DataRate: number;
}

/**
 * The optional CFList of a join-accept (RP002 §2.x): CFListType 0 gives five extra
 * channel frequencies in Hz (0: no channel); CFListType 1 a channel mask, given as the
 * indices of the set bits (0-119: bit i of ChMask j is channel 16j + i).
 */
export type CFList =
  | { readonly type: 'Frequencies'; readonly frequencies: readonly number[] }
  | { readonly type: 'ChannelMask'; readonly enabledChannels: readonly number[] };

/** A join-accept in the clear (after {@link decryptJoinAccept}): 17 bytes, 33 with a CFList. */
export interface JoinAccept {
  readonly mType: 'JoinAccept';
  readonly major?: Major;
  /** JoinNonce (1.1) / AppNonce (1.0): 24 bits. */
  readonly joinNonce: number;
  /** NetID: 24 bits. */
  readonly netID: number;
  readonly devAddr: DevAddr;
  readonly dlSettings: DLSettings;
  /** RxDelay's Del: seconds to RX1, 0 meaning 1. */
  readonly rxDelay: number;
  readonly cfList?: CFList;
  readonly mic: Uint8Array;
}

/** A join-accept as on the air: everything after the MHDR is encrypted (MIC included). */
export interface EncryptedJoinAccept {
  readonly mType: 'JoinAccept';
  readonly major?: Major;
  /** JoinNonce … CFList | MIC, encrypted: 16 or 32 bytes. */
  readonly encrypted: Uint8Array;
}

/** Rejoin-request type 0 (reset context) or 2 (rekey): 19 bytes, MIC with SNwkSIntKey. */
export interface RejoinRequest02 {
  readonly mType: 'RejoinRequest';
  readonly major?: Major;
  readonly rejoinType: 0 | 2;
  readonly netID: number;
  readonly devEUI: Eui64;
  /** RJcount0. */
  readonly rjCount: number;
  readonly mic: Uint8Array;
}

/** Rejoin-request type 1 (restore a lost session): 24 bytes, MIC with JSIntKey. */
export interface RejoinRequest1 {
  readonly mType: 'RejoinRequest';
  readonly major?: Major;
  readonly rejoinType: 1;
  readonly joinEUI: Eui64;
  readonly devEUI: Eui64;
  /** RJcount1. */
  readonly rjCount: number;
  readonly mic: Uint8Array;
}

/** A rejoin-request (LoRaWAN 1.1 §6.2.4), discriminated by `rejoinType`. */
export type RejoinRequest = RejoinRequest02 | RejoinRequest1;

/** Reads a join-request PHYPayload (23 bytes). */
export function readJoinRequest(bytes: Uint8Array): JoinRequest {
  expectLength('join-request', bytes.length, 23);
  return {
    mType: 'JoinRequest',
    major: 'LoRaWANR1',
    joinEUI: readReversed(bytes, 1, 8) as Eui64,
    devEUI: readReversed(bytes, 9, 8) as Eui64,
    devNonce: readUintLE(bytes, 17, 2),
    mic: copyOf(bytes, 19, 23),
  };
}

/** Writes MHDR | JoinEUI | DevEUI | DevNonce; returns the offset of the MIC. */
export function writeJoinRequest(message: JoinRequest, bytes: Uint8Array): number {
  bytes[0] = encodeMHDR('JoinRequest', message.major);
  writeReversed(bytes, 1, checkIdentifier(message.joinEUI, 8, 'invalid_eui64', 'JoinEUI'));
  writeReversed(bytes, 9, checkIdentifier(message.devEUI, 8, 'invalid_eui64', 'DevEUI'));
  writeUintLE(bytes, 17, checkUint('DevNonce', message.devNonce, 0xffff), 2);
  return 19;
}

/** Reads a join-accept as on the air (17 or 33 bytes), without decrypting it. */
export function readEncryptedJoinAccept(bytes: Uint8Array): EncryptedJoinAccept {
  expectLength('join-accept', bytes.length, 17, 33);
  return { mType: 'JoinAccept', major: 'LoRaWANR1', encrypted: copyOf(bytes, 1, bytes.length) };
}

/** Reads a decrypted join-accept PHYPayload (17 or 33 bytes). */
export function readJoinAccept(bytes: Uint8Array): JoinAccept {
  expectLength('join-accept', bytes.length, 17, 33);
  const dlSettings = bytes[11]!;
  const rxDelay = bytes[12]!;
  if (rxDelay & 0xf0)
    throw new LorawanError(
      'rfu_bits_set',
      'Join-accept RxDelay has RFU bits 7..4 set; they must be 0.',
      { field: 'RxDelay' },
    );
  const cfList = bytes.length === 33 ? readCFList(bytes, 13) : undefined;
  return {
    mType: 'JoinAccept',
    major: 'LoRaWANR1',
    joinNonce: readUintLE(bytes, 1, 3),
    netID: readUintLE(bytes, 4, 3),
    devAddr: readReversed(bytes, 7, 4) as DevAddr,
    dlSettings: {
      optNeg: (dlSettings & 0x80) !== 0,
      rx1DROffset: (dlSettings >>> 4) & 0x07,
      rx2DataRate: dlSettings & 0x0f,
    },
    rxDelay,
    ...(cfList && { cfList }),
    mic: copyOf(bytes, bytes.length - 4, bytes.length),
  };
}

/** The PHYPayload length of a join-accept: 17, or 33 with a CFList. */
export function joinAcceptLength(message: JoinAccept): number {
  return message.cfList === undefined ? 17 : 33;
}

/** Writes MHDR | JoinNonce | NetID | DevAddr | DLSettings | RxDelay | CFList; returns the offset of the MIC. */
export function writeJoinAccept(message: JoinAccept, bytes: Uint8Array): number {
  bytes[0] = encodeMHDR('JoinAccept', message.major);
  writeUintLE(bytes, 1, checkUint('JoinNonce', message.joinNonce, 0xffffff), 3);
  writeUintLE(bytes, 4, checkUint('NetID', message.netID, 0xffffff), 3);
  writeReversed(bytes, 7, checkIdentifier(message.devAddr, 4, 'invalid_dev_addr', 'DevAddr'));
  const { dlSettings } = message;
  if (typeof dlSettings !== 'object' || dlSettings === null) {
    throw new LorawanError(
      'invalid_value',
      'Invalid DLSettings: an object with optNeg, rx1DROffset and rx2DataRate is expected.',
      {
        field: 'DLSettings',
      },
    );
  }
  bytes[11] =
    (checkBoolean('DLSettings.optNeg', dlSettings.optNeg) ? 0x80 : 0) |
    (checkUint('DLSettings.rx1DROffset', dlSettings.rx1DROffset, 7) << 4) |
    checkUint('DLSettings.rx2DataRate', dlSettings.rx2DataRate, 15);
  bytes[12] = checkUint('RxDelay', message.rxDelay, 15);
  if (message.cfList === undefined) return 13;
  writeCFList(message.cfList, bytes, 13);
  return 29;
}

/** Reads a rejoin-request PHYPayload: 19 bytes for types 0 and 2, 24 for type 1. */
export function readRejoinRequest(bytes: Uint8Array): RejoinRequest {
  const rejoinType = bytes.length > 1 ? bytes[1]! : -1;
  if (rejoinType === 1) {
    expectLength('rejoin-request type 1', bytes.length, 24);
    return {
      mType: 'RejoinRequest',
      major: 'LoRaWANR1',
      rejoinType,
      joinEUI: readReversed(bytes, 2, 8) as Eui64,
      devEUI: readReversed(bytes, 10, 8) as Eui64,
      rjCount: readUintLE(bytes, 18, 2),
      mic: copyOf(bytes, 20, 24),
    };
  }
  if (rejoinType === 0 || rejoinType === 2) {
    expectLength(`rejoin-request type ${rejoinType}`, bytes.length, 19);
    return {
      mType: 'RejoinRequest',
      major: 'LoRaWANR1',
      rejoinType,
      netID: readUintLE(bytes, 2, 3),
      devEUI: readReversed(bytes, 5, 8) as Eui64,
      rjCount: readUintLE(bytes, 13, 2),
      mic: copyOf(bytes, 15, 19),
    };
  }
  if (rejoinType < 0) expectLength('rejoin-request', bytes.length, 19, 24);
  throw new LorawanError(
    'invalid_rejoin_type',
    `Rejoin type ${rejoinType} is reserved; 0, 1 and 2 are defined.`,
    { rejoinType },
  );
}

/** The PHYPayload length of a rejoin-request: 24 for type 1, else 19. */
export function rejoinRequestLength(message: RejoinRequest): number {
  return message.rejoinType === 1 ? 24 : 19;
}

/** Writes MHDR | RejoinType | fields | RJcount; returns the offset of the MIC. */
export function writeRejoinRequest(message: RejoinRequest, bytes: Uint8Array): number {
  bytes[0] = encodeMHDR('RejoinRequest', message.major);
  if (message.rejoinType === 1) {
    bytes[1] = 1;
    writeReversed(bytes, 2, checkIdentifier(message.joinEUI, 8, 'invalid_eui64', 'JoinEUI'));
    writeReversed(bytes, 10, checkIdentifier(message.devEUI, 8, 'invalid_eui64', 'DevEUI'));
    writeUintLE(bytes, 18, checkUint('RJcount1', message.rjCount, 0xffff), 2);
    return 20;
  }
  if (message.rejoinType !== 0 && message.rejoinType !== 2) {
    throw new LorawanError(
      'invalid_rejoin_type',
      `Rejoin type ${String(message.rejoinType)} is reserved; use 0, 1 or 2.`,
      {
        rejoinType: message.rejoinType,
      },
    );
  }
  bytes[1] = message.rejoinType;
  writeUintLE(bytes, 2, checkUint('NetID', message.netID, 0xffffff), 3);
  writeReversed(bytes, 5, checkIdentifier(message.devEUI, 8, 'invalid_eui64', 'DevEUI'));
  writeUintLE(bytes, 13, checkUint('RJcount0', message.rjCount, 0xffff), 2);
  return 15;
}

function readCFList(bytes: Uint8Array, offset: number): CFList {
  const type = bytes[offset + 15]!;
  if (type === 0) {
    const frequencies = [0, 3, 6, 9, 12].map((at) => readUintLE(bytes, offset + at, 3) * 100);
    return { type: 'Frequencies', frequencies };
  }
  if (type === 1) {
    const enabledChannels: number[] = [];
    for (let channel = 0; channel < 120; channel++)
      if (bytes[offset + (channel >>> 3)]! & (1 << (channel & 7))) enabledChannels.push(channel);
    return { type: 'ChannelMask', enabledChannels };
  }
  throw new LorawanError(
    'invalid_cf_list',
    `CFListType ${type} is reserved; 0 (frequencies) and 1 (channel mask) are defined.`,
    {
      cfListType: type,
    },
  );
}

function writeCFList(cfList: CFList, bytes: Uint8Array, offset: number): void {
  // Unused frequencies and clear mask bits are zeros; the buffer may hold older bytes.
  bytes.fill(0, offset, offset + 15);
  if (
    cfList.type === 'Frequencies' &&
    Array.isArray(cfList.frequencies) &&
    cfList.frequencies.length <= 5
  ) {
    cfList.frequencies.forEach((frequency, i) => {
      const units = frequency / 100;
      if (!Number.isInteger(units) || units < 0 || units > 0xffffff) {
        throw new LorawanError(
          'invalid_value',
          `Invalid CFList frequency ${String(frequency)}: a multiple of 100 Hz up to 1677721500 Hz is expected.`,
          {
            field: 'CFList',
          },
        );
      }
      writeUintLE(bytes, offset + 3 * i, units, 3);
    });
    bytes[offset + 15] = 0;
    return;
  }
  if (cfList.type === 'ChannelMask' && Array.isArray(cfList.enabledChannels)) {
    for (const channel of cfList.enabledChannels) {
      checkUint('CFList channel', channel, 119);
      bytes[offset + (channel >>> 3)]! |= 1 << (channel & 7);
    }
    bytes[offset + 15] = 1;
    return;
  }
  throw new LorawanError(
    'invalid_cf_list',
    'Invalid CFList: use {type: "Frequencies", frequencies: up to 5 values in Hz} or {type: "ChannelMask", enabledChannels: indices 0-119}.',
    { field: 'CFList' },
  );
}

function expectLength(structure: string, length: number, ...expected: number[]): void {
  if (!expected.includes(length)) {
    throw new LorawanError(
      'invalid_length',
      `A ${structure} has ${expected.join(' or ')} bytes, not ${length}.`,
      { structure, length },
    );
  }
}
