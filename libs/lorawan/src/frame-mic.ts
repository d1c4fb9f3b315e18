/**
 * MIC of a decoded message: picks the formula of `mic.ts` that the message type, the
 * LoRaWAN version (told by the keys given) and the frame's flags call for. A data frame is
 * re-encoded straight into the CMAC scratch buffer, after its B0 block, so checking a MIC
 * costs one allocation and no copy of the caller's bytes.
 */
import { cmacInPlace, cmacScratch } from './aes';
import { checkUint, MAX_F_CNT } from './bytes';
import { LorawanError } from './errors';
import type { AesKey, Eui64 } from './identifiers';
import {
  joinAcceptLength,
  writeJoinAccept,
  writeJoinRequest,
  writeRejoinRequest,
  type JoinAccept,
} from './join';
import {
  dataFrameDirection,
  dataFrameMsgLength,
  writeDataFrame,
  type DataFrame,
} from './mac-payload';
import { computeJoinAcceptMIC, dataMICInPlace, dataMICScratch, type JoinReqType } from './mic';
import type { PHYPayload } from './phy-payload';

/**
 * The keys a MIC may need; give those of the device's version. Data frames: `nwkSKey`
 * (1.0.x), or `sNwkSIntKey` plus, for uplinks, `fNwkSIntKey` (1.1). Join-request and
 * join-accept with OptNeg 0: `appKey` (1.0) or `nwkKey` (1.1, preferred when both are
 * given). Join-accept with OptNeg 1 and rejoin type 1: `jsIntKey`. Rejoin types 0 and 2:
 * `sNwkSIntKey`.
 */
export interface MICKeys {
  readonly appKey?: AesKey;
  readonly nwkKey?: AesKey;
  readonly jsIntKey?: AesKey;
  readonly nwkSKey?: AesKey;
  readonly fNwkSIntKey?: AesKey;
  readonly sNwkSIntKey?: AesKey;
}

/** What a MIC covers besides the message itself. */
export interface MICContext {
  /**
   * A data frame's full 32-bit counter; its low 16 bits must be the frame's FCnt.
   * Default: the 16 bits on the wire (see `reconstructFCnt`).
   */
  readonly fCnt?: number;
  /** LoRaWAN 1.1 data frames with ACK set: the acknowledged frame's counter. */
  readonly confFCnt?: number;
  /** LoRaWAN 1.1 uplinks: the data rate index and channel index used. */
  readonly txDr?: number;
  readonly txCh?: number;
  /** LoRaWAN 1.1 join-accepts with OptNeg 1: the request answered and its JoinEUI and DevNonce (or RJcount). */
  readonly joinReqType?: JoinReqType;
  readonly joinEUI?: Eui64;
  readonly devNonce?: number;
}

/**
 * Computes the MIC that `payload` should carry (its own `mic` is ignored), so that
 * `{ ...frame, mic: computeMIC(frame, keys) }` signs a frame. Throws `missing_key` or
 * `missing_context` when the keys or context for this message are not all given,
 * `conflicting_keys` when both 1.0 and 1.1 data keys are, and `unsupported_message` for an
 * encrypted join-accept (decrypt it first) or a proprietary message.
 */
export function computeMIC(
  payload: PHYPayload,
  keys: MICKeys,
  context: MICContext = {},
): Uint8Array {
  switch (payload.mType) {
    case 'JoinRequest': {
      const key = joinKey(keys, 'join-request');
      const scratch = cmacScratch(32);
      return cmacInPlace(key, scratch, writeJoinRequest(payload, scratch.bytes), 4);
    }
    case 'RejoinRequest': {
      const key =
        payload.rejoinType === 1
          ? need(keys.jsIntKey, 'a rejoin-request type 1 MIC needs the JSIntKey')
          : need(
              keys.sNwkSIntKey,
              `a rejoin-request type ${payload.rejoinType} MIC needs the SNwkSIntKey`,
            );
      const scratch = cmacScratch(32);
      return cmacInPlace(key, scratch, writeRejoinRequest(payload, scratch.bytes), 4);
    }
    case 'JoinAccept':
      if ('encrypted' in payload) {
        throw new LorawanError(
          'unsupported_message',
          'The join-accept is encrypted; decrypt it with decryptJoinAccept and decode it with joinAccept: "plain".',
          {
            mType: payload.mType,
          },
        );
      }
      return joinAcceptMIC(payload, keys, context);
    case 'Proprietary':
      throw new LorawanError('unsupported_message', 'A proprietary message has no standard MIC.', {
        mType: payload.mType,
      });
    default:
      return dataFrameMIC(payload, keys, context);
  }
}

/** Whether `payload.mic` is the MIC {@link computeMIC} gives (compared in constant time). */
export function verifyMIC(payload: PHYPayload, keys: MICKeys, context: MICContext = {}): boolean {
  const expected = computeMIC(payload, keys, context);
  const actual: unknown = (payload as { readonly mic?: unknown }).mic;
  if (!(actual instanceof Uint8Array) || actual.length !== 4) return false;
  let difference = 0;
  for (let i = 0; i < 4; i++) difference |= expected[i]! ^ actual[i]!;
  return difference === 0;
}

function joinAcceptMIC(payload: JoinAccept, keys: MICKeys, context: MICContext): Uint8Array {
  const length = joinAcceptLength(payload) - 4;
  if (!payload.dlSettings?.optNeg) {
    const key = joinKey(keys, 'join-accept');
    const scratch = cmacScratch(32);
    writeJoinAccept(payload, scratch.bytes);
    return cmacInPlace(key, scratch, length, 4);
  }
  const jsIntKey = need(
    keys.jsIntKey,
    'a LoRaWAN 1.1 join-accept MIC (OptNeg set) needs the JSIntKey',
  );
  const { joinReqType, joinEUI, devNonce } = context;
  if (joinReqType === undefined || joinEUI === undefined || devNonce === undefined) {
    throw new LorawanError(
      'missing_context',
      'A LoRaWAN 1.1 join-accept MIC (OptNeg set) covers the request it answers: give joinReqType, joinEUI and devNonce.',
      { mType: 'JoinAccept' },
    );
  }
  // computeJoinAcceptMIC builds its input in the shared scratch: give it the message apart.
  const msg = new Uint8Array(length);
  writeJoinAccept(payload, msg);
  return computeJoinAcceptMIC(jsIntKey, joinReqType, joinEUI, devNonce, msg);
}

function dataFrameMIC(frame: DataFrame, keys: MICKeys, context: MICContext): Uint8Array {
  const direction = dataFrameDirection(frame);
  const dir = direction === 'up' ? 0 : 1;
  const fCnt = fullFCnt(frame.fCnt, context.fCnt);
  const msgLength = dataFrameMsgLength(frame);
  const scratch = dataMICScratch(fCnt, msgLength);
  const { devAddr } = frame;
  if (keys.nwkSKey !== undefined) {
    if (keys.fNwkSIntKey !== undefined || keys.sNwkSIntKey !== undefined) {
      throw new LorawanError(
        'conflicting_keys',
        'Both a LoRaWAN 1.0 NwkSKey and 1.1 network session keys were given; give the keys of one version.',
        {},
      );
    }
    writeDataFrame(frame, scratch.bytes, 16, direction);
    return dataMICInPlace(keys.nwkSKey, scratch, 0, 0, 0, dir, devAddr, fCnt, msgLength);
  }
  const sNwkSIntKey = need(
    keys.sNwkSIntKey,
    'a data frame MIC needs the NwkSKey (LoRaWAN 1.0) or the SNwkSIntKey (1.1, and for uplinks the FNwkSIntKey)',
  );
  const fNwkSIntKey =
    direction === 'up'
      ? need(
          keys.fNwkSIntKey,
          'a LoRaWAN 1.1 uplink MIC needs the FNwkSIntKey as well as the SNwkSIntKey',
        )
      : undefined;
  // 1.1 §4.4: ConfFCnt is 0 unless the frame acknowledges a confirmed frame.
  const confFCnt = frame.fCtrl.ack
    ? checkUint('ConfFCnt', needContext(context.confFCnt, 'confFCnt', 'with ACK set'), MAX_F_CNT) &
      0xffff
    : 0;
  if (fNwkSIntKey === undefined) {
    writeDataFrame(frame, scratch.bytes, 16, direction);
    return dataMICInPlace(sNwkSIntKey, scratch, confFCnt, 0, 0, dir, devAddr, fCnt, msgLength);
  }
  const txDr = checkUint('TxDr', needContext(context.txDr, 'txDr', 'of an uplink'), 0xff);
  const txCh = checkUint('TxCh', needContext(context.txCh, 'txCh', 'of an uplink'), 0xff);
  // The CMAC overwrites its input, so the frame is written again for the second one.
  writeDataFrame(frame, scratch.bytes, 16, direction);
  const cmacS = dataMICInPlace(
    sNwkSIntKey,
    scratch,
    confFCnt,
    txDr,
    txCh,
    0,
    devAddr,
    fCnt,
    msgLength,
  );
  writeDataFrame(frame, scratch.bytes, 16, direction);
  const cmacF = dataMICInPlace(fNwkSIntKey, scratch, 0, 0, 0, 0, devAddr, fCnt, msgLength);
  return new Uint8Array([cmacS[0]!, cmacS[1]!, cmacF[0]!, cmacF[1]!]);
}

function fullFCnt(wire: number, fCnt: number | undefined): number {
  if (fCnt === undefined) return wire;
  checkUint('FCnt', fCnt, MAX_F_CNT);
  if (fCnt % 0x10000 !== wire) {
    throw new LorawanError(
      'invalid_value',
      `FCnt ${fCnt} does not end in the frame's 16-bit FCnt ${wire}; rebuild it with reconstructFCnt.`,
      {
        field: 'FCnt',
      },
    );
  }
  return fCnt;
}

function joinKey(keys: MICKeys, message: string): AesKey {
  return need(
    keys.nwkKey ?? keys.appKey,
    `a ${message} MIC needs the AppKey (LoRaWAN 1.0) or the NwkKey (1.1)`,
  );
}

function need(key: AesKey | undefined, problem: string): AesKey {
  if (key === undefined)
    throw new LorawanError('missing_key', `Cannot compute the MIC: ${problem}.`, {});
  return key;
}

function needContext(value: number | undefined, name: string, when: string): number {
  if (value === undefined) {
    throw new LorawanError(
      'missing_context',
      `Cannot compute the LoRaWAN 1.1 MIC: ${name} is needed for a data frame ${when}.`,
      { field: name },
    );
  }
  return value;
}
