/**
 * PHYPayload (LoRaWAN 1.0.4 §4.1, 1.1 §4.1): MHDR | MACPayload | MIC, or MHDR |
 * Join-Request / Join-Accept / Rejoin-Request | MIC. Decoding is strict and lossless:
 * `encodePHYPayload(decodePHYPayload(bytes))` gives `bytes` back, which is what lets
 * the MIC functions work on the decoded model.
 */
import { copyOf } from './bytes';
import { LorawanError } from './errors';
import {
  joinAcceptLength,
  readEncryptedJoinAccept,
  readJoinAccept,
  readJoinRequest,
  readRejoinRequest,
  rejoinRequestLength,
  writeJoinAccept,
  writeJoinRequest,
  writeRejoinRequest,
  type EncryptedJoinAccept,
  type JoinAccept,
  type JoinRequest,
  type RejoinRequest,
} from './join';
import {
  dataFrameDirection,
  dataFrameMsgLength,
  readDataFrame,
  writeDataFrame,
  type DataFrame,
} from './mac-payload';
import { decodeMHDR, encodeMHDR, invalidMType, type Major } from './mhdr';

/** A proprietary message (MType 7): its format is not standard, so everything after the MHDR. */
export interface Proprietary {
  readonly mType: 'Proprietary';
  readonly major?: Major;
  readonly payload: Uint8Array;
}

/**
 * Any decoded PHYPayload, discriminated by `mType` (and, for join-accepts, by whether
 * it carries `encrypted`). Byte arrays in a decoded value are fresh copies: the caller's
 * buffer is never kept nor changed.
 */
export type PHYPayload =
  JoinRequest | JoinAccept | EncryptedJoinAccept | RejoinRequest | DataFrame | Proprietary;

/** Options of {@link decodePHYPayload}. */
export interface DecodeOptions {
  /**
   * How to read a join-accept: `encrypted` (the default, as on the air) gives an
   * {@link EncryptedJoinAccept}; `plain` decodes the output of `decryptJoinAccept`.
   */
  readonly joinAccept?: 'encrypted' | 'plain';
}

/** The most a LoRa frame carries. */
const MAX_PHY_PAYLOAD = 255;

/**
 * Decodes a PHYPayload. Every malformed input (wrong length, reserved Major or RFU bits,
 * reserved rejoin or CFList type, FOpts with FPort 0) throws a {@link LorawanError}.
 * MAC commands stay in `fOpts` / `frmPayload` as on the wire: see `decodeMACCommands`.
 */
export function decodePHYPayload(bytes: Uint8Array, options: DecodeOptions = {}): PHYPayload {
  if (!(bytes instanceof Uint8Array)) {
    throw new LorawanError(
      'invalid_value',
      `A PHYPayload is bytes (a Uint8Array), not ${typeof bytes}.`,
      { field: 'PHYPayload' },
    );
  }
  if (bytes.length === 0)
    throw new LorawanError(
      'invalid_length',
      'An empty PHYPayload; at least the MHDR is expected.',
      { length: 0 },
    );
  checkMaxLength(bytes.length);
  const { mType } = decodeMHDR(bytes[0]!);
  switch (mType) {
    case 'JoinRequest':
      return readJoinRequest(bytes);
    case 'JoinAccept':
      return options.joinAccept === 'plain'
        ? readJoinAccept(bytes)
        : readEncryptedJoinAccept(bytes);
    case 'RejoinRequest':
      return readRejoinRequest(bytes);
    case 'Proprietary':
      return { mType, major: 'LoRaWANR1', payload: copyOf(bytes, 1, bytes.length) };
    case 'UnconfirmedDataUp':
    case 'ConfirmedDataUp':
      return readDataFrame(bytes, mType, 'up');
    default:
      return readDataFrame(bytes, mType, 'down');
  }
}

/** Encodes a PHYPayload, checking every field; the MIC is taken from the model as is. */
export function encodePHYPayload(payload: PHYPayload): Uint8Array {
  switch (payload.mType) {
    case 'JoinRequest': {
      const bytes = new Uint8Array(23);
      return appendMIC(bytes, writeJoinRequest(payload, bytes), payload.mic);
    }
    case 'JoinAccept': {
      if ('encrypted' in payload) return encodeEncryptedJoinAccept(payload);
      const bytes = new Uint8Array(joinAcceptLength(payload));
      return appendMIC(bytes, writeJoinAccept(payload, bytes), payload.mic);
    }
    case 'RejoinRequest': {
      const bytes = new Uint8Array(rejoinRequestLength(payload));
      return appendMIC(bytes, writeRejoinRequest(payload, bytes), payload.mic);
    }
    case 'Proprietary':
      return encodeProprietary(payload);
    case 'UnconfirmedDataUp':
    case 'ConfirmedDataUp':
    case 'UnconfirmedDataDown':
    case 'ConfirmedDataDown': {
      const length = dataFrameMsgLength(payload) + 4;
      checkMaxLength(length);
      const bytes = new Uint8Array(length);
      return appendMIC(
        bytes,
        writeDataFrame(payload, bytes, 0, dataFrameDirection(payload)),
        payload.mic,
      );
    }
    default:
      throw invalidMType((payload as { readonly mType: unknown }).mType);
  }
}

function appendMIC(bytes: Uint8Array, offset: number, mic: Uint8Array): Uint8Array {
  if (!(mic instanceof Uint8Array) || mic.length !== 4) {
    throw new LorawanError('invalid_value', 'Invalid MIC: 4 bytes are expected.', { field: 'MIC' });
  }
  bytes.set(mic, offset);
  return bytes;
}

function encodeEncryptedJoinAccept(payload: EncryptedJoinAccept): Uint8Array {
  const { encrypted } = payload;
  if (!(encrypted instanceof Uint8Array) || (encrypted.length !== 16 && encrypted.length !== 32)) {
    throw new LorawanError(
      'invalid_value',
      'Invalid encrypted join-accept: 16 or 32 bytes (with a CFList) are expected.',
      {
        field: 'encrypted',
      },
    );
  }
  const bytes = new Uint8Array(1 + encrypted.length);
  bytes[0] = encodeMHDR('JoinAccept', payload.major);
  bytes.set(encrypted, 1);
  return bytes;
}

function encodeProprietary(payload: Proprietary): Uint8Array {
  if (!(payload.payload instanceof Uint8Array)) {
    throw new LorawanError('invalid_value', 'Invalid proprietary payload: bytes are expected.', {
      field: 'payload',
    });
  }
  checkMaxLength(1 + payload.payload.length);
  const bytes = new Uint8Array(1 + payload.payload.length);
  bytes[0] = encodeMHDR('Proprietary', payload.major);
  bytes.set(payload.payload, 1);
  return bytes;
}

function checkMaxLength(length: number): void {
  if (length > MAX_PHY_PAYLOAD) {
    throw new LorawanError(
      'payload_too_long',
      `A PHYPayload of ${length} bytes; a LoRa frame carries at most ${MAX_PHY_PAYLOAD}.`,
      {
        length,
      },
    );
  }
}
