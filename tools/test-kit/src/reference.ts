import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The workspace's reference material, `../shared/reference` beside the checkout. CI has it;
 * a plain clone does not, so the repository keeps its own copies of what tests need (the
 * vectors below, tools/tts-sim/api) and only the checks that those copies still match the
 * originals read this folder.
 */
const SHARED_REFERENCE_DIR = join(__dirname, '..', '..', '..', '..', 'shared', 'reference');

/** The repository's copy of `vectors/lorawan-vectors.json` of the workspace's reference material. */
const LORAWAN_VECTORS_FILE = join(__dirname, '..', 'vectors', 'lorawan-vectors.json');

/**
 * Published test vectors for LoRaWAN framing and crypto, AES-CMAC and AES key wrap. Hex is
 * as on the wire unless a field name says otherwise; devAddr, EUIs, NetID, JoinNonce and
 * DevNonce are in display (big-endian) order (the file's `about`).
 */
export interface LorawanVectors {
  readonly about: string;
  readonly keywrap_rfc3394: readonly KeyWrapVector[];
  readonly keywrap_rfc5649: readonly KeyWrapVector[];
  readonly cmac_rfc4493: readonly { key: string; message: string; mac: string }[];
  readonly data_frames_1_0: readonly {
    source: string;
    phyPayload: string;
    nwkSKey: string;
    appSKey?: string;
    mType: string;
    devAddr: string;
    fCnt: number;
    fPort: number;
    fOpts?: string;
    adr?: boolean;
    ack?: boolean;
    mic: string;
    plaintext?: string;
  }[];
  readonly frm_payload_crypto: readonly {
    source: string;
    key: string;
    devAddr: string;
    fCnt: number;
    uplink: boolean;
    plaintext: string;
    ciphertext: string;
  }[];
  readonly legacy_mic: readonly {
    source: string;
    key: string;
    devAddr: string;
    fCnt: number;
    uplink: boolean;
    message: string;
    mic: string;
  }[];
  readonly join_requests: readonly {
    source: string;
    phyPayload: string;
    appKey: string;
    devNonce?: string;
    mic: string;
  }[];
  readonly join_accepts: readonly {
    source: string;
    lorawan: string;
    phyPayload: string;
    appKey?: string;
    nwkKey?: string;
    jsIntKey?: string;
    joinReqType?: string;
    joinEUI?: string;
    devNonce?: string;
    decryptedBody?: string;
    joinNonce?: string;
    netID?: string;
    devAddr?: string;
    dlSettings?: string;
    rxDelay?: string;
    mic: string;
  }[];
  readonly key_derivation: readonly Readonly<Record<string, string>>[];
  readonly lorawan_1_1_frames: readonly {
    source: string;
    phyPayload: string;
    sNwkSIntKey: string;
    fNwkSIntKey?: string;
    nwkSEncKey?: string;
    appSKey?: string;
    confFCnt?: number;
    txDr?: number;
    txCh?: number;
    fPort?: number;
    note?: string;
    fOptsPlaintext?: string;
    plaintext?: string;
    mic: string;
  }[];
  readonly fopts_crypto_1_1: readonly {
    source: string;
    key: string;
    devAddr: string;
    fCnt: number;
    plaintext: string;
    uplink: string;
    downlink: string;
  }[];
  readonly rejoin_requests: readonly {
    source: string;
    phyPayload: string;
    key: string;
    type: number;
    mic: string;
  }[];
}

/** A published AES key-wrap vector (hex as in the RFC). */
export interface KeyWrapVector {
  readonly source: string;
  readonly kek: string;
  readonly key: string;
  readonly wrapped: string;
}

let vectors: LorawanVectors | undefined;

/** The published LoRaWAN, AES-CMAC and key-wrap test vectors (the repository's copy, read once). */
export function lorawanVectors(): LorawanVectors {
  vectors ??= JSON.parse(readFileSync(LORAWAN_VECTORS_FILE, 'utf8')) as LorawanVectors;
  return vectors;
}

/** Where `relativePath` of the workspace's reference material is (whether or not it exists here). */
function sharedReferencePath(relativePath: string): string {
  return join(SHARED_REFERENCE_DIR, relativePath);
}

/**
 * `describe` with the path of `relativePath` in the workspace's reference material when it
 * exists; otherwise `describe.skip` with a loud warning — or, where the reference folder is
 * known to be there (`.ci/run` sets `REFERENCE_REQUIRED=true`), a failing suite. Not tied to
 * `CI=true`: a contributor's hosted CI has CI set but no reference folder.
 */
export function describeWithSharedReference(
  name: string,
  relativePath: string,
  body: (path: string) => void,
): void {
  const path = sharedReferencePath(relativePath);
  if (existsSync(path)) {
    describe(name, () => body(path));
  } else if (process.env['REFERENCE_REQUIRED'] === 'true') {
    describe(name, () => {
      it(`needs ${relativePath} of the workspace's reference material, which this CI requires`, () => {
        throw new Error(
          `${path} is missing: REFERENCE_REQUIRED=true requires the workspace's reference folder beside the repository.`,
        );
      });
    });
  } else {
    // Straight to stderr: Jest drops the console output of a file whose tests are all skipped.
    process.stderr.write(
      `SKIPPED "${name}": ${path} is missing (the workspace's reference folder is not beside this checkout). REFERENCE_REQUIRED=true requires it.\n`,
    );
    describe.skip(name, () => body(path));
  }
}
