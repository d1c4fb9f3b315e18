import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** A published key-wrap vector (hex as in the RFC). */
export interface KeyWrapVector {
  readonly source: string;
  readonly kek: string;
  readonly key: string;
  readonly wrapped: string;
}

const vectors = JSON.parse(
  readFileSync(
    join(__dirname, '../../../../shared/reference/vectors/lorawan-vectors.json'),
    'utf8',
  ),
) as { keywrap_rfc3394: KeyWrapVector[]; keywrap_rfc5649: KeyWrapVector[] };

export const rfc3394Vectors = vectors.keywrap_rfc3394;
export const rfc5649Vectors = vectors.keywrap_rfc5649;

export function bytes(hex: string): Uint8Array {
  return new Uint8Array(Buffer.from(hex, 'hex'));
}

export function hex(data: Uint8Array): string {
  return Buffer.from(data).toString('hex').toUpperCase();
}
