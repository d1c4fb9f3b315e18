/**
 * The AES primitives everything else is built on: AES-128-ECB over whole blocks and
 * AES-CMAC (RFC 4493), with per-key state cached so that steady-state calls create no
 * cipher and derive no key schedule.
 *
 * Why this shape: node:crypto has no CMAC, and creating a cipher costs far more than
 * encrypting a few blocks. An ECB cipher that is never finalised can encrypt block after
 * block through `update()`, since ECB keeps no state between blocks. CMAC is a CBC-MAC,
 * and a never-finalised CBC cipher chains each call onto its previous output; XORing that
 * output into the first block of the next message cancels it, which gives a CBC-MAC with
 * a zero IV in one native call per message.
 *
 * The inputs are built in preallocated scratch buffers, and the cipher is handed views of
 * them made once per block count: on a short frame, allocating a buffer or even creating a
 * view costs more than the AES work. Calls are synchronous and never nest, so a buffer is
 * never used by two computations at once.
 */
import { createCipheriv, createDecipheriv, type Cipheriv, type Decipheriv } from 'node:crypto';
import type { AesKey } from './identifiers';

interface KeyState {
  /** A private copy of the key, to notice a caller who rewrote a cached key's bytes. */
  readonly key: Uint8Array;
  readonly ecb: Cipheriv;
  readonly cbc: Cipheriv;
  /** The CBC cipher's chaining value: its last output block. */
  readonly chain: Uint8Array;
  /** The CMAC subkeys K1 and K2 (RFC 4493 §2.3). */
  readonly k1: Uint8Array;
  readonly k2: Uint8Array;
  ecbDecrypt: Decipheriv | undefined;
}

const states = new WeakMap<Uint8Array, KeyState>();

function stateOf(key: AesKey): KeyState {
  const state = states.get(key);
  if (state !== undefined && sameBlock(state.key, key)) return state;
  const fresh = createState(key);
  states.set(key, fresh);
  return fresh;
}

function createState(key: AesKey): KeyState {
  const ecb = createCipheriv('aes-128-ecb', key, null).setAutoPadding(false);
  const cbc = createCipheriv('aes-128-cbc', key, new Uint8Array(16)).setAutoPadding(false);
  // RFC 4493 §2.3 Generate_Subkey: L = AES-128(K, 0^128); K1 = L << 1 (^ Rb if MSB(L));
  // K2 = K1 << 1 (^ Rb if MSB(K1)).
  const l = ecb.update(new Uint8Array(16));
  const k1 = doubleBlock(l);
  const k2 = doubleBlock(k1);
  return {
    key: new Uint8Array(key),
    ecb,
    cbc,
    chain: new Uint8Array(16),
    k1,
    k2,
    ecbDecrypt: undefined,
  };
}

const RB = 0x87;

function doubleBlock(block: Uint8Array): Uint8Array {
  const out = new Uint8Array(16);
  for (let i = 0; i < 15; i++) out[i] = ((block[i]! << 1) | (block[i + 1]! >>> 7)) & 0xff;
  out[15] = ((block[15]! << 1) & 0xff) ^ (block[0]! & 0x80 ? RB : 0);
  return out;
}

function sameBlock(a: Uint8Array, b: Uint8Array): boolean {
  for (let i = 0; i < 16; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** A scratch buffer of whole blocks, with a view of its first n blocks for every n used. */
export class Scratch {
  readonly bytes: Uint8Array;
  private readonly views: Uint8Array[] = [];

  constructor(blocks: number) {
    this.bytes = new Uint8Array(blocks * 16);
  }

  /** The first `count` blocks. */
  blocks(count: number): Uint8Array {
    return (this.views[count] ??= this.bytes.subarray(0, count * 16));
  }
}

/** Room for a B block and the largest message a MIC covers (255 bytes): 17 blocks. */
const CMAC_SCRATCH = new Scratch(17);

/** The shared CMAC scratch when `length` bytes fit in it, else a new buffer for them. */
export function cmacScratch(length: number): Scratch {
  return length <= CMAC_SCRATCH.bytes.length ? CMAC_SCRATCH : new Scratch(Math.ceil(length / 16));
}

/** AES-128-ECB encryption of whole blocks (`blocks.length` a multiple of 16). */
export function aesEncryptBlocks(key: AesKey, blocks: Uint8Array): Buffer {
  return stateOf(key).ecb.update(blocks);
}

/** AES-128-ECB decryption of whole blocks (`blocks.length` a multiple of 16). */
export function aesDecryptBlocks(key: AesKey, blocks: Uint8Array): Buffer {
  const state = stateOf(key);
  state.ecbDecrypt ??= createDecipheriv('aes-128-ecb', key, null).setAutoPadding(false);
  return state.ecbDecrypt.update(blocks);
}

/**
 * AES-CMAC (RFC 4493 §2.4) of the first `length` bytes of `scratch` (from
 * {@link cmacScratch}), returning the first `size` bytes of the tag. The scratch bytes
 * after the message are padded here; the message itself is overwritten.
 */
export function cmacInPlace(
  key: AesKey,
  scratch: Scratch,
  length: number,
  size: number,
): Uint8Array {
  const state = stateOf(key);
  const buffer = scratch.bytes;
  // Steps 2-4: n blocks; the last one complete → XOR K1, else pad with 10^i and XOR K2.
  const n = length === 0 ? 1 : Math.ceil(length / 16);
  const last = (n - 1) * 16;
  let subkey = state.k1;
  if (length === 0 || length % 16 !== 0) {
    buffer[length] = 0x80;
    for (let i = length + 1; i < n * 16; i++) buffer[i] = 0;
    subkey = state.k2;
  }
  for (let i = 0; i < 16; i++) buffer[last + i]! ^= subkey[i]!;
  // Steps 5-6: CBC-MAC with a zero IV; cancel the cipher's chaining value (see top).
  const chain = state.chain;
  for (let i = 0; i < 16; i++) buffer[i]! ^= chain[i]!;
  const out = state.cbc.update(scratch.blocks(n));
  for (let i = 0, at = out.length - 16; i < 16; i++) chain[i] = out[at + i]!;
  return chain.slice(0, size);
}
