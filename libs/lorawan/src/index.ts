export { runCli } from './cli';
export { decryptFOpts, decryptFRMPayload, decryptJoinAccept, encryptFOpts, encryptFRMPayload, encryptJoinAccept } from './encryption';
export type { FOptsCounter } from './encryption';
export { LorawanError } from './errors';
export type { LorawanErrorCode } from './errors';
export { reconstructFCnt } from './frame-counter';
export { fromHex, parseAesKey, parseDevAddr, parseEui64, toHex } from './identifiers';
export type { AesKey, DevAddr, Direction, Eui64 } from './identifiers';
export {
  deriveAppSKey,
  deriveFNwkSIntKey,
  deriveJSEncKey,
  deriveJSIntKey,
  deriveLegacyAppSKey,
  deriveLegacyNwkSKey,
  deriveNwkSEncKey,
  deriveSNwkSIntKey,
} from './key-derivation';
export {
  aesCmac,
  computeDownlinkMIC,
  computeJoinAcceptMIC,
  computeJoinRequestMIC,
  computeLegacyDownlinkMIC,
  computeLegacyJoinAcceptMIC,
  computeLegacyUplinkMIC,
  computeRejoinRequestMIC,
  computeUplinkMIC,
} from './mic';
export type { JoinReqType, UplinkMICParams } from './mic';
