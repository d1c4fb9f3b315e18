/**
 * The frame header (LoRaWAN 1.0.4 §4.3.1, 1.1 §4.3.1): DevAddr(4) | FCtrl(1) | FCnt(2) |
 * FOpts(0..15). FCtrl differs by direction, so direction is always an explicit argument.
 */
import {
  checkBoolean,
  checkBytes,
  checkUint,
  copyOf,
  readReversed,
  readUintLE,
  writeReversed,
  writeUintLE,
} from './bytes';
import { LorawanError } from './errors';
import { checkIdentifier, type DevAddr, type Direction } from './identifiers';

/** Uplink FCtrl: ADR | ADRACKReq | ACK | ClassB | FOptsLen(4). */
export interface UplinkFCtrl {
  readonly adr: boolean;
  readonly adrAckReq: boolean;
  readonly ack: boolean;
  /** Class B enabled (LoRaWAN 1.0.4 §4.3.1.1; FPending's bit in downlinks). */
  readonly classB: boolean;
}

/** Downlink FCtrl: ADR | RFU | ACK | FPending | FOptsLen(4). */
export interface DownlinkFCtrl {
  readonly adr: boolean;
  readonly ack: boolean;
  readonly fPending: boolean;
}

/** FCtrl of either direction; which one a byte means depends on the direction. */
export type FCtrl = UplinkFCtrl | DownlinkFCtrl;

/** A decoded frame header. `fOpts` is as on the wire: encrypted in LoRaWAN 1.1. */
export interface FHDR<F extends FCtrl = FCtrl> {
  readonly devAddr: DevAddr;
  readonly fCtrl: F;
  /** The 16 low bits of the frame counter, as on the wire. */
  readonly fCnt: number;
  readonly fOpts: Uint8Array;
}

/** Decodes an FCtrl byte for `direction`; `fOptsLen` is the length of FOpts it announces. */
export function decodeFCtrl(
  byte: number,
  direction: 'up',
): { fCtrl: UplinkFCtrl; fOptsLen: number };
export function decodeFCtrl(
  byte: number,
  direction: 'down',
): { fCtrl: DownlinkFCtrl; fOptsLen: number };
export function decodeFCtrl(byte: number, direction: Direction): { fCtrl: FCtrl; fOptsLen: number };
export function decodeFCtrl(
  byte: number,
  direction: Direction,
): { fCtrl: FCtrl; fOptsLen: number } {
  return { fCtrl: readFCtrl(byte, direction), fOptsLen: byte & 0x0f };
}

function readFCtrl(byte: number, direction: Direction): FCtrl {
  const adr = (byte & 0x80) !== 0;
  const ack = (byte & 0x20) !== 0;
  if (direction === 'up')
    return { adr, adrAckReq: (byte & 0x40) !== 0, ack, classB: (byte & 0x10) !== 0 };
  if (byte & 0x40) {
    throw new LorawanError('rfu_bits_set', 'Downlink FCtrl has its RFU bit 6 set; it must be 0.', {
      field: 'FCtrl',
    });
  }
  return { adr, ack, fPending: (byte & 0x10) !== 0 };
}

/** Encodes an FCtrl byte for `direction`, with FOptsLen `fOptsLen` (0..15). */
export function encodeFCtrl(fCtrl: FCtrl, fOptsLen: number, direction: Direction): number {
  checkUint('FOptsLen', fOptsLen, 15);
  if (typeof fCtrl !== 'object' || fCtrl === null) {
    throw new LorawanError(
      'invalid_value',
      `Invalid FCtrl: an object with the ${direction}link flags is expected.`,
      { field: 'FCtrl' },
    );
  }
  let byte = fOptsLen;
  if (checkBoolean('FCtrl.adr', fCtrl.adr)) byte |= 0x80;
  if (checkBoolean('FCtrl.ack', fCtrl.ack)) byte |= 0x20;
  if (direction === 'up') {
    const up = fCtrl as UplinkFCtrl;
    if (checkBoolean('FCtrl.adrAckReq', up.adrAckReq)) byte |= 0x40;
    if (checkBoolean('FCtrl.classB', up.classB)) byte |= 0x10;
  } else if (checkBoolean('FCtrl.fPending', (fCtrl as DownlinkFCtrl).fPending)) {
    byte |= 0x10;
  }
  return byte;
}

/** Decodes the FHDR at the start of `bytes` (which may run on into FPort and FRMPayload). */
export function decodeFHDR(bytes: Uint8Array, direction: 'up'): FHDR<UplinkFCtrl>;
export function decodeFHDR(bytes: Uint8Array, direction: 'down'): FHDR<DownlinkFCtrl>;
export function decodeFHDR(bytes: Uint8Array, direction: Direction): FHDR;
export function decodeFHDR(bytes: Uint8Array, direction: Direction): FHDR {
  return readFHDR(bytes, 0, bytes.length, direction);
}

/** Encodes an FHDR for `direction`: 7 bytes plus FOpts. */
export function encodeFHDR(fhdr: FHDR, direction: Direction): Uint8Array {
  const bytes = new Uint8Array(7 + checkBytes('FOpts', fhdr.fOpts, 15).length);
  writeFHDR(bytes, 0, fhdr, direction);
  return bytes;
}

/** Reads an FHDR from `bytes[offset, end)`, copying FOpts. */
export function readFHDR(
  bytes: Uint8Array,
  offset: number,
  end: number,
  direction: Direction,
): FHDR {
  if (end - offset < 7) {
    throw new LorawanError(
      'invalid_length',
      `FHDR of ${end - offset} bytes; at least 7 (DevAddr, FCtrl, FCnt) are expected.`,
      {
        structure: 'FHDR',
        length: end - offset,
      },
    );
  }
  const fCtrl = readFCtrl(bytes[offset + 4]!, direction);
  const fOptsLen = bytes[offset + 4]! & 0x0f;
  if (offset + 7 + fOptsLen > end) {
    throw new LorawanError(
      'invalid_length',
      `FCtrl announces ${fOptsLen} bytes of FOpts, but only ${end - offset - 7} follow the FHDR.`,
      {
        structure: 'FOpts',
        fOptsLen,
      },
    );
  }
  return {
    devAddr: readReversed(bytes, offset, 4) as DevAddr,
    fCtrl,
    fCnt: readUintLE(bytes, offset + 5, 2),
    fOpts: copyOf(bytes, offset + 7, offset + 7 + fOptsLen),
  };
}

/** Writes an FHDR at `offset`; returns the offset after it. FOpts must be at most 15 bytes. */
export function writeFHDR(
  bytes: Uint8Array,
  offset: number,
  fhdr: FHDR,
  direction: Direction,
): number {
  const fOpts = checkBytes('FOpts', fhdr.fOpts, 15);
  writeReversed(bytes, offset, checkIdentifier(fhdr.devAddr, 4, 'invalid_dev_addr', 'DevAddr'));
  bytes[offset + 4] = encodeFCtrl(fhdr.fCtrl, fOpts.length, direction);
  writeUintLE(bytes, offset + 5, checkUint('FCnt', fhdr.fCnt, 0xffff), 2);
  bytes.set(fOpts, offset + 7);
  return offset + 7 + fOpts.length;
}
