export { runCli } from './cli';
export { computePingOffset, pingSlotStarts } from './class-b';
export {
  decryptFOpts,
  decryptFRMPayload,
  decryptJoinAccept,
  encryptFOpts,
  encryptFRMPayload,
  encryptJoinAccept,
} from './encryption';
export type { FOptsCounter } from './encryption';
export { LorawanError } from './errors';
export type { LorawanErrorCode } from './errors';
export { decodeFCtrl, decodeFHDR, encodeFCtrl, encodeFHDR } from './fhdr';
export type { DownlinkFCtrl, FCtrl, FHDR, UplinkFCtrl } from './fhdr';
export { computeMIC, verifyMIC } from './frame-mic';
export type { MICContext, MICKeys } from './frame-mic';
export { reconstructFCnt } from './frame-counter';
export { fromHex, parseAesKey, parseDevAddr, parseEui64, toHex } from './identifiers';
export type { AesKey, DevAddr, Direction, Eui64 } from './identifiers';
export type {
  CFList,
  DLSettings,
  EncryptedJoinAccept,
  JoinAccept,
  JoinRequest,
  RejoinRequest,
  RejoinRequest02,
  RejoinRequest1,
} from './join';
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
export { decodeMACCommands, encodeMACCommands, MAC_COMMANDS } from './mac-commands';
export type {
  MACCommand,
  MACCommandName,
  MACCommandOf,
  MACCommandOptions,
  MACVersion,
  ProprietaryMACCommand,
} from './mac-commands';
export { dataFrameDirection } from './mac-payload';
export type { DataFrame, DownlinkDataFrame, UplinkDataFrame } from './mac-payload';
export { decodeMHDR, directionOf, encodeMHDR } from './mhdr';
export type { Major, MHDR, MType } from './mhdr';
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
export { decodePHYPayload, encodePHYPayload } from './phy-payload';
export { decodeForwardUplinkReq, encodeForwardUplinkReq, RELAY_F_PORT } from './relay';
export type { ForwardUplinkReq } from './relay';
export type { DecodeOptions, PHYPayload, Proprietary } from './phy-payload';
