// The published vectors of /work/shared/reference (the workspace's sibling `shared` folder,
// an input of every test target in nx.json).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const file = join(
  __dirname,
  '..',
  '..',
  '..',
  '..',
  'shared',
  'reference',
  'vectors',
  'lorawan-vectors.json',
);

interface Vectors {
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
    key: string;
    devAddr: string;
    fCnt: number;
    uplink: boolean;
    plaintext: string;
    ciphertext: string;
  }[];
  readonly legacy_mic: readonly {
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
    key: string;
    devAddr: string;
    fCnt: number;
    plaintext: string;
    uplink: string;
    downlink: string;
  }[];
  readonly rejoin_requests: readonly {
    phyPayload: string;
    key: string;
    type: number;
    mic: string;
  }[];
}

export const vectors = JSON.parse(readFileSync(file, 'utf8')) as Vectors;
