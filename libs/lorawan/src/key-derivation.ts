/**
 * Session and join-server key derivation: `aes128_encrypt(root key, prefix | fields |
 * pad16)`, fields little-endian as on the air (LoRaWAN 1.0.4 §6.2.5, 1.1 §6.2.2, §6.1.1.3).
 * `joinNonce` and `netID` are 24-bit, `devNonce` 16-bit numbers (display order value).
 */
import { aesEncryptBlocks } from './aes';
import { checkUint, writeReversed, writeUintLE } from './bytes';
import type { AesKey, Eui64 } from './identifiers';

/** LoRaWAN 1.0 NwkSKey (1.0.4 §6.2.5): `aes128_encrypt(AppKey, 01 | JoinNonce | NetID | DevNonce | pad16)`. */
export function deriveLegacyNwkSKey(
  appKey: AesKey,
  joinNonce: number,
  netID: number,
  devNonce: number,
): AesKey {
  return deriveFromJoin(0x01, appKey, joinNonce, netID, devNonce);
}

/** LoRaWAN 1.0 AppSKey (1.0.4 §6.2.5): `aes128_encrypt(AppKey, 02 | JoinNonce | NetID | DevNonce | pad16)`. */
export function deriveLegacyAppSKey(
  appKey: AesKey,
  joinNonce: number,
  netID: number,
  devNonce: number,
): AesKey {
  return deriveFromJoin(0x02, appKey, joinNonce, netID, devNonce);
}

/** LoRaWAN 1.1 FNwkSIntKey (1.1 §6.2.2, OptNeg 1): `aes128_encrypt(NwkKey, 01 | JoinNonce | JoinEUI | DevNonce | pad16)`. */
export function deriveFNwkSIntKey(
  nwkKey: AesKey,
  joinNonce: number,
  joinEUI: Eui64,
  devNonce: number,
): AesKey {
  return deriveFromJoin(0x01, nwkKey, joinNonce, joinEUI, devNonce);
}

/** LoRaWAN 1.1 AppSKey (1.1 §6.2.2, OptNeg 1): `aes128_encrypt(AppKey, 02 | JoinNonce | JoinEUI | DevNonce | pad16)`. */
export function deriveAppSKey(
  appKey: AesKey,
  joinNonce: number,
  joinEUI: Eui64,
  devNonce: number,
): AesKey {
  return deriveFromJoin(0x02, appKey, joinNonce, joinEUI, devNonce);
}

/** LoRaWAN 1.1 SNwkSIntKey (1.1 §6.2.2, OptNeg 1): `aes128_encrypt(NwkKey, 03 | JoinNonce | JoinEUI | DevNonce | pad16)`. */
export function deriveSNwkSIntKey(
  nwkKey: AesKey,
  joinNonce: number,
  joinEUI: Eui64,
  devNonce: number,
): AesKey {
  return deriveFromJoin(0x03, nwkKey, joinNonce, joinEUI, devNonce);
}

/** LoRaWAN 1.1 NwkSEncKey (1.1 §6.2.2, OptNeg 1): `aes128_encrypt(NwkKey, 04 | JoinNonce | JoinEUI | DevNonce | pad16)`. */
export function deriveNwkSEncKey(
  nwkKey: AesKey,
  joinNonce: number,
  joinEUI: Eui64,
  devNonce: number,
): AesKey {
  return deriveFromJoin(0x04, nwkKey, joinNonce, joinEUI, devNonce);
}

/** LoRaWAN 1.1 JSEncKey (1.1 §6.1.1.3): `aes128_encrypt(NwkKey, 05 | DevEUI | pad16)`. */
export function deriveJSEncKey(nwkKey: AesKey, devEUI: Eui64): AesKey {
  return deriveJoinServerKey(0x05, nwkKey, devEUI);
}

/** LoRaWAN 1.1 JSIntKey (1.1 §6.1.1.3): `aes128_encrypt(NwkKey, 06 | DevEUI | pad16)`. */
export function deriveJSIntKey(nwkKey: AesKey, devEUI: Eui64): AesKey {
  return deriveJoinServerKey(0x06, nwkKey, devEUI);
}

/**
 * `aes128_encrypt(key, prefix | JoinNonce | NetID or JoinEUI | DevNonce | pad16)`: the 1.0
 * session keys carry the 3-byte NetID, the 1.1 ones the 8-byte JoinEUI.
 */
function deriveFromJoin(
  prefix: number,
  key: AesKey,
  joinNonce: number,
  network: number | Eui64,
  devNonce: number,
): AesKey {
  const block = new Uint8Array(16);
  block[0] = prefix;
  writeUintLE(block, 1, checkUint('JoinNonce', joinNonce, 0xffffff), 3);
  let devNonceAt = 12;
  if (typeof network === 'number') {
    writeUintLE(block, 4, checkUint('NetID', network, 0xffffff), 3);
    devNonceAt = 7;
  } else writeReversed(block, 4, network);
  writeUintLE(block, devNonceAt, checkUint('DevNonce', devNonce, 0xffff), 2);
  return encrypt(key, block);
}

function deriveJoinServerKey(prefix: number, key: AesKey, devEUI: Eui64): AesKey {
  const block = new Uint8Array(16);
  block[0] = prefix;
  writeReversed(block, 1, devEUI);
  return encrypt(key, block);
}

function encrypt(key: AesKey, block: Uint8Array): AesKey {
  return new Uint8Array(aesEncryptBlocks(key, block)) as AesKey;
}
