import { lorawanVectors } from '@tts-aws-iot/test-kit';

const vectors = lorawanVectors();

export const rfc3394Vectors = vectors.keywrap_rfc3394;
export const rfc5649Vectors = vectors.keywrap_rfc5649;

export function bytes(hex: string): Uint8Array {
  return new Uint8Array(Buffer.from(hex, 'hex'));
}

export function hex(data: Uint8Array): string {
  return Buffer.from(data).toString('hex').toUpperCase();
}
