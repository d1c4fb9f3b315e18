/**
 * Message integrity codes, one function per formula of the specification. Each takes the
 * bytes the MIC covers (`msg`: the PHYPayload without its MIC) and returns the 4-byte
 * MIC. `decodePHYPayload` models and {@link computeMIC} build on these.
 */
import { cmacInPlace, cmacScratch, type Scratch } from './aes';
import { checkUint, MAX_F_CNT, writeReversed, writeUintLE } from './bytes';
import { LorawanError } from './errors';
import type { AesKey, DevAddr, Eui64 } from './identifiers';

/**
 * The join or rejoin request a join-accept answers (LoRaWAN 1.1 §6.2.3): 0xFF for a
 * join-request, 0x00, 0x01 or 0x02 for a rejoin-request of that type.
 */
export type JoinReqType = 0xff | 0x00 | 0x01 | 0x02;

/** The B1 block parameters of a LoRaWAN 1.1 uplink MIC (1.1 §4.4.2). */
export interface UplinkMICParams {
  /** The FCnt of the acknowledged downlink (mod 2^16) when ACK is set, else 0. */
  readonly confFCnt: number;
  /** The data rate index of the uplink's transmission. */
  readonly txDr: number;
  /** The channel index of the uplink's transmission. */
  readonly txCh: number;
}

/** AES-CMAC (RFC 4493) of `message` under `key`: the full 16-byte tag. */
export function aesCmac(key: AesKey, message: Uint8Array): Uint8Array {
  const scratch = cmacScratch(message.length);
  scratch.bytes.set(message);
  return cmacInPlace(key, scratch, message.length, 16);
}

/**
 * LoRaWAN 1.0.x uplink data MIC (1.0.4 §4.4): `CMAC(NwkSKey, B0 | msg)[0..3]`,
 * `B0 = 49 | 00×4 | 00 | DevAddr | FCntUp | 00 | len(msg)`; `fCnt` the full 32-bit counter.
 */
export function computeLegacyUplinkMIC(
  nwkSKey: AesKey,
  devAddr: DevAddr,
  fCnt: number,
  msg: Uint8Array,
): Uint8Array {
  return dataMIC(nwkSKey, 0, 0, 0, 0, devAddr, fCnt, msg);
}

/** LoRaWAN 1.0.x downlink data MIC (1.0.4 §4.4): as the uplink one, with Dir 1 and FCntDown. */
export function computeLegacyDownlinkMIC(
  nwkSKey: AesKey,
  devAddr: DevAddr,
  fCnt: number,
  msg: Uint8Array,
): Uint8Array {
  return dataMIC(nwkSKey, 0, 0, 0, 1, devAddr, fCnt, msg);
}

/**
 * LoRaWAN 1.1 uplink data MIC (1.1 §4.4.2): `cmacS[0..1] | cmacF[0..1]` with
 * `cmacS = CMAC(SNwkSIntKey, B1 | msg)`, `B1 = 49 | ConfFCnt | TxDr | TxCh | 00 | DevAddr |
 * FCntUp | 00 | len(msg)`, and `cmacF = CMAC(FNwkSIntKey, B0 | msg)` (B0 as in 1.0).
 */
export function computeUplinkMIC(
  fNwkSIntKey: AesKey,
  sNwkSIntKey: AesKey,
  devAddr: DevAddr,
  fCnt: number,
  params: UplinkMICParams,
  msg: Uint8Array,
): Uint8Array {
  const confFCnt = checkUint('ConfFCnt', params.confFCnt, MAX_F_CNT) & 0xffff;
  const txDr = checkUint('TxDr', params.txDr, 0xff);
  const txCh = checkUint('TxCh', params.txCh, 0xff);
  const cmacS = dataMIC(sNwkSIntKey, confFCnt, txDr, txCh, 0, devAddr, fCnt, msg);
  const cmacF = dataMIC(fNwkSIntKey, 0, 0, 0, 0, devAddr, fCnt, msg);
  return new Uint8Array([cmacS[0]!, cmacS[1]!, cmacF[0]!, cmacF[1]!]);
}

/**
 * LoRaWAN 1.1 downlink data MIC (1.1 §4.4.1): `CMAC(SNwkSIntKey, B0 | msg)[0..3]`,
 * `B0 = 49 | ConfFCnt | 00 00 | 01 | DevAddr | FCntDown | 00 | len(msg)`; ConfFCnt is the
 * acknowledged uplink's FCnt (mod 2^16) when ACK is set, else 0.
 */
export function computeDownlinkMIC(
  sNwkSIntKey: AesKey,
  devAddr: DevAddr,
  fCnt: number,
  confFCnt: number,
  msg: Uint8Array,
): Uint8Array {
  return dataMIC(
    sNwkSIntKey,
    checkUint('ConfFCnt', confFCnt, MAX_F_CNT) & 0xffff,
    0,
    0,
    1,
    devAddr,
    fCnt,
    msg,
  );
}

/**
 * Join-request MIC (1.0.4 §6.2.5, 1.1 §6.2.2): `CMAC(key, MHDR | JoinEUI | DevEUI |
 * DevNonce)[0..3]`. Key: AppKey (1.0), NwkKey (1.1).
 */
export function computeJoinRequestMIC(key: AesKey, msg: Uint8Array): Uint8Array {
  return cmac(key, msg);
}

/**
 * Rejoin-request MIC (1.1 §6.2.4.4, §6.2.4.5): `CMAC(key, MHDR | fields)[0..3]`.
 * Key: SNwkSIntKey for types 0 and 2, JSIntKey for type 1.
 */
export function computeRejoinRequestMIC(key: AesKey, msg: Uint8Array): Uint8Array {
  return cmac(key, msg);
}

/**
 * Join-accept MIC of LoRaWAN 1.0 (1.0.4 §6.2.6), also used by 1.1 when OptNeg is 0:
 * `CMAC(key, MHDR | JoinNonce | NetID | DevAddr | DLSettings | RxDelay | CFList)[0..3]`.
 * Key: AppKey (1.0), NwkKey (1.1).
 */
export function computeLegacyJoinAcceptMIC(key: AesKey, msg: Uint8Array): Uint8Array {
  return cmac(key, msg);
}

/**
 * Join-accept MIC of LoRaWAN 1.1 with OptNeg 1 (1.1 §6.2.3): `CMAC(JSIntKey, JoinReqType |
 * JoinEUI | DevNonce | MHDR | JoinNonce | NetID | DevAddr | DLSettings | RxDelay | CFList)`,
 * JoinEUI and DevNonce in wire order. `devNonce` is the request's DevNonce (or RJcount).
 */
export function computeJoinAcceptMIC(
  jsIntKey: AesKey,
  joinReqType: JoinReqType,
  joinEUI: Eui64,
  devNonce: number,
  msg: Uint8Array,
): Uint8Array {
  if (joinReqType !== 0xff && joinReqType !== 0 && joinReqType !== 1 && joinReqType !== 2) {
    throw new LorawanError(
      'invalid_value',
      `Invalid JoinReqType: ${String(joinReqType)}; 0xFF, 0, 1 or 2 is expected.`,
      {
        field: 'JoinReqType',
      },
    );
  }
  checkUint('DevNonce', devNonce, 0xffff);
  const length = 11 + msg.length;
  const scratch = cmacScratch(length);
  const buffer = scratch.bytes;
  buffer[0] = joinReqType;
  writeReversed(buffer, 1, joinEUI);
  writeUintLE(buffer, 9, devNonce, 2);
  buffer.set(msg, 11);
  return cmacInPlace(jsIntKey, scratch, length, 4);
}

function cmac(key: AesKey, msg: Uint8Array): Uint8Array {
  const scratch = cmacScratch(msg.length);
  scratch.bytes.set(msg);
  return cmacInPlace(key, scratch, msg.length, 4);
}

function dataMIC(
  key: AesKey,
  confFCnt: number,
  txDr: number,
  txCh: number,
  dir: number,
  devAddr: DevAddr,
  fCnt: number,
  msg: Uint8Array,
): Uint8Array {
  const scratch = dataMICScratch(fCnt, msg.length);
  scratch.bytes.set(msg, 16);
  return dataMICInPlace(key, scratch, confFCnt, txDr, txCh, dir, devAddr, fCnt, msg.length);
}

/**
 * Checks a data MIC's counter and message length, and returns the scratch to write the
 * message into, at offset 16 (after the B block).
 */
export function dataMICScratch(fCnt: number, msgLength: number): Scratch {
  checkUint('FCnt', fCnt, MAX_F_CNT);
  if (msgLength > 255) {
    throw new LorawanError(
      'payload_too_long',
      `A MIC covers at most 255 bytes (its B block holds the length in one byte); got ${msgLength}.`,
      { length: msgLength },
    );
  }
  return cmacScratch(16 + msgLength);
}

/**
 * The data MIC over the scratch from {@link dataMICScratch}, the message at offset 16:
 * writes the B0/B1 block (`49 | ConfFCnt | TxDr | TxCh | Dir | DevAddr | FCnt | 00 | len`)
 * and CMACs it all.
 */
export function dataMICInPlace(
  key: AesKey,
  scratch: Scratch,
  confFCnt: number,
  txDr: number,
  txCh: number,
  dir: number,
  devAddr: DevAddr,
  fCnt: number,
  msgLength: number,
): Uint8Array {
  const buffer = scratch.bytes;
  buffer[0] = 0x49;
  buffer[1] = confFCnt & 0xff;
  buffer[2] = confFCnt >>> 8;
  buffer[3] = txDr;
  buffer[4] = txCh;
  buffer[5] = dir;
  writeReversed(buffer, 6, devAddr);
  writeUintLE(buffer, 10, fCnt, 4);
  buffer[14] = 0;
  buffer[15] = msgLength;
  return cmacInPlace(key, scratch, 16 + msgLength, 4);
}
