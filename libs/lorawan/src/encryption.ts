/**
 * Payload encryption: FRMPayload (LoRaWAN 1.0.4 §4.3.3, 1.1 §4.3.3), FOpts (1.1 §4.3.1.6
 * as amended by the 1.1 erratum) and the join-accept (1.0.4 §6.2.6, 1.1 §6.2.3).
 * Every function returns a new buffer and leaves its arguments untouched.
 */
import { aesDecryptBlocks, aesEncryptBlocks, Scratch } from './aes';
import { checkUint, MAX_F_CNT, writeReversed, writeUintLE } from './bytes';
import { LorawanError } from './errors';
import type { AesKey, DevAddr, Direction } from './identifiers';

/**
 * Which frame counter a 1.1 FOpts keystream is bound to (the erratum's A-block byte 4):
 * `nFCnt` for FCntUp and NFCntDown (0x01), `aFCntDown` for AFCntDown (0x02) — the
 * latter for downlinks that also carry an FPort > 0.
 */
export type FOptsCounter = 'nFCnt' | 'aFCntDown';

/**
 * Encrypts an FRMPayload (LoRaWAN 1.0.4 §4.3.3.1, 1.1 §4.3.3.1): XOR with
 * `AES-ECB(K, A_i)`, `A_i = 01 | 00×4 | Dir | DevAddr | FCnt | 00 | i`.
 * K is the AppSKey for FPort 1-255 and the NwkSKey (1.1: NwkSEncKey) for FPort 0.
 * `fCnt` is the full 32-bit counter (1.1 downlinks: AFCntDown for FPort > 0, else NFCntDown).
 */
export function encryptFRMPayload(
  key: AesKey,
  direction: Direction,
  devAddr: DevAddr,
  fCnt: number,
  payload: Uint8Array,
): Uint8Array {
  return xorKeystream(key, 0x00, direction, devAddr, fCnt, payload);
}

/**
 * Decrypts an FRMPayload: the keystream is the same as {@link encryptFRMPayload}'s, so
 * decrypting is the same XOR (the same function, under the name that says what it is for).
 */
export const decryptFRMPayload: typeof encryptFRMPayload = encryptFRMPayload;

/**
 * Encrypts LoRaWAN 1.1 FOpts with the NwkSEncKey (1.1 §4.3.1.6 with the erratum's
 * A-block that every interoperable stack uses: `01 | 00×3 | 01 or 02 | Dir | DevAddr |
 * FCnt | 00 | 01`, byte 4 set by `counter`). `fCnt` is the full 32-bit counter.
 */
export function encryptFOpts(
  nwkSEncKey: AesKey,
  direction: Direction,
  devAddr: DevAddr,
  fCnt: number,
  fOpts: Uint8Array,
  counter: FOptsCounter = 'nFCnt',
): Uint8Array {
  if (fOpts.length > 15) {
    throw new LorawanError(
      'invalid_length',
      `FOpts of ${fOpts.length} bytes; at most 15 fit in the FHDR.`,
      { length: fOpts.length },
    );
  }
  return xorKeystream(
    nwkSEncKey,
    counter === 'aFCntDown' ? 0x02 : 0x01,
    direction,
    devAddr,
    fCnt,
    fOpts,
  );
}

/** Decrypts LoRaWAN 1.1 FOpts: the same keystream as {@link encryptFOpts}, so the same XOR. */
export const decryptFOpts: typeof encryptFOpts = encryptFOpts;

/** Room for the counter blocks of the longest payload (255 blocks). */
const KEYSTREAM_SCRATCH = new Scratch(255);

function xorKeystream(
  key: AesKey,
  byte4: number,
  direction: Direction,
  devAddr: DevAddr,
  fCnt: number,
  data: Uint8Array,
): Uint8Array {
  checkUint('FCnt', fCnt, MAX_F_CNT);
  const length = data.length;
  const out = new Uint8Array(length);
  if (length === 0) return out;
  const count = Math.ceil(length / 16);
  if (count > 255) {
    throw new LorawanError(
      'payload_too_long',
      `Payload of ${length} bytes: the keystream counter is one byte, so at most 4080 bytes (255 blocks) can be encrypted.`,
      { length },
    );
  }
  // The counter blocks go in a reused buffer (see aes.ts), so every byte is written.
  const blocks = KEYSTREAM_SCRATCH.blocks(count);
  blocks[0] = 0x01;
  blocks[1] = blocks[2] = blocks[3] = 0;
  blocks[4] = byte4;
  blocks[5] = direction === 'up' ? 0 : 1;
  writeReversed(blocks, 6, devAddr);
  writeUintLE(blocks, 10, fCnt, 4);
  blocks[14] = 0;
  blocks[15] = 1;
  for (let i = 1; i < count; i++) {
    blocks.copyWithin(i * 16, 0, 15);
    blocks[i * 16 + 15] = i + 1;
  }
  const keystream = aesEncryptBlocks(key, blocks);
  for (let i = 0; i < length; i++) out[i] = data[i]! ^ keystream[i]!;
  return out;
}

/**
 * Encrypts a join-accept for the air (LoRaWAN 1.0.4 §6.2.6, 1.1 §6.2.3): the network
 * side applies AES-ECB *decryption* to JoinNonce…CFList|MIC so that the end-device needs
 * only AES encryption. `plain` is the whole PHYPayload (MHDR, body, MIC: 17 or 33 bytes).
 * Key: AppKey (1.0); NwkKey (1.1, answering a join-request) or JSEncKey (1.1, a rejoin).
 */
export function encryptJoinAccept(key: AesKey, plain: Uint8Array): Uint8Array {
  return transformJoinAccept(plain, aesDecryptBlocks(key, checkJoinAccept(plain).subarray(1)));
}

/**
 * Decrypts a join-accept as the end-device does (AES-ECB encryption of everything after
 * the MHDR), returning the plain PHYPayload. Key: as for {@link encryptJoinAccept}.
 */
export function decryptJoinAccept(key: AesKey, phyPayload: Uint8Array): Uint8Array {
  return transformJoinAccept(
    phyPayload,
    aesEncryptBlocks(key, checkJoinAccept(phyPayload).subarray(1)),
  );
}

function checkJoinAccept(phyPayload: Uint8Array): Uint8Array {
  if (phyPayload.length !== 17 && phyPayload.length !== 33) {
    throw new LorawanError(
      'invalid_length',
      `Join-accept of ${phyPayload.length} bytes; 17, or 33 with a CFList, are expected.`,
      {
        length: phyPayload.length,
      },
    );
  }
  return phyPayload;
}

function transformJoinAccept(phyPayload: Uint8Array, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(phyPayload.length);
  out[0] = phyPayload[0]!;
  out.set(body, 1);
  return out;
}
