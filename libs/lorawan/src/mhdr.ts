/** The MAC header (LoRaWAN 1.0.4 §4.2, 1.1 §4.2): MType (bits 7..5), RFU (4..2), Major (1..0). */
import { hexByte } from './bytes';
import { LorawanError } from './errors';
import type { Direction } from './identifiers';

/** The message type (MType), named as in the specification. */
export type MType =
  | 'JoinRequest'
  | 'JoinAccept'
  | 'UnconfirmedDataUp'
  | 'UnconfirmedDataDown'
  | 'ConfirmedDataUp'
  | 'ConfirmedDataDown'
  | 'RejoinRequest'
  | 'Proprietary';

/** The major version of the frame format: only LoRaWAN R1 (Major 0) is defined. */
export type Major = 'LoRaWANR1';

/** A decoded MAC header. */
export interface MHDR {
  readonly mType: MType;
  readonly major: Major;
}

const M_TYPES: readonly MType[] = [
  'JoinRequest',
  'JoinAccept',
  'UnconfirmedDataUp',
  'UnconfirmedDataDown',
  'ConfirmedDataUp',
  'ConfirmedDataDown',
  'RejoinRequest',
  'Proprietary',
];

/** The eight valid MHDRs, decoded once: decoding allocates nothing. */
const MHDRS: readonly MHDR[] = M_TYPES.map((mType) =>
  Object.freeze({ mType, major: 'LoRaWANR1' as const }),
);

const M_TYPE_VALUES: Readonly<Record<string, number>> = Object.fromEntries(
  M_TYPES.map((mType, value) => [mType, value]),
);

/**
 * Decodes the MHDR byte. Major values 1-3 are reserved (a receiver cannot know the frame
 * format), and set RFU bits would be lost on re-encoding although the MIC covers them:
 * both are errors.
 */
export function decodeMHDR(byte: number): MHDR {
  if ((byte & 0x03) !== 0) {
    throw new LorawanError(
      'unsupported_major',
      `MHDR Major ${byte & 0x03} is reserved; only 0 (LoRaWAN R1) is defined.`,
      {
        major: byte & 0x03,
      },
    );
  }
  if ((byte & 0x1c) !== 0) {
    throw new LorawanError(
      'rfu_bits_set',
      `MHDR 0x${hexByte(byte)} has RFU bits 4..2 set; they must be 0.`,
      { field: 'MHDR' },
    );
  }
  return MHDRS[byte >>> 5]!;
}

/** Encodes an MHDR byte; `major` defaults to LoRaWAN R1. */
export function encodeMHDR(mType: MType, major: Major = 'LoRaWANR1'): number {
  const value = Object.hasOwn(M_TYPE_VALUES, mType) ? M_TYPE_VALUES[mType] : undefined;
  if (value === undefined) throw invalidMType(mType);
  if (major !== 'LoRaWANR1') {
    throw new LorawanError(
      'unsupported_major',
      `Invalid Major ${JSON.stringify(major)}; only LoRaWANR1 is defined.`,
      { field: 'Major' },
    );
  }
  return value << 5;
}

/** The direction of a message type; `undefined` for Proprietary, which may go either way. */
export function directionOf(mType: MType): Direction | undefined {
  switch (mType) {
    case 'JoinRequest':
    case 'UnconfirmedDataUp':
    case 'ConfirmedDataUp':
    case 'RejoinRequest':
      return 'up';
    case 'JoinAccept':
    case 'UnconfirmedDataDown':
    case 'ConfirmedDataDown':
      return 'down';
    default:
      return undefined;
  }
}

/** The error for an MType that is not one of the eight names of {@link MType}. */
export function invalidMType(mType: unknown): LorawanError {
  return new LorawanError(
    'invalid_value',
    `Invalid MType ${JSON.stringify(mType)}; use one of ${M_TYPES.join(', ')}.`,
    { field: 'MType' },
  );
}
