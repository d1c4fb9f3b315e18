/**
 * End-to-end encryption of the application payload (ARCHITECTURE.md feature 3): the
 * session's AppSKey arrives wrapped under a KEK of the customer's ring; it is unwrapped
 * here, only in memory and only for as long as one payload takes, and the FRMPayload is
 * decrypted (uplinks) or encrypted (downlinks) with it.
 */
import {
  IntegrityCheckError,
  isWrappedKeyEnvelope,
  parseKekRing,
  UnknownKekLabelError,
  type KekRing,
  type KeyEnvelope,
} from '@tts-aws-iot/keywrap';
import {
  decryptFRMPayload,
  encryptFRMPayload,
  parseAesKey,
  parseDevAddr,
  type AesKey,
} from '@tts-aws-iot/lorawan';
import { IntegrationError } from './errors';
import type { Counters, RefreshableSecretReader } from './ports';
import { toShadowEnvelope, type ShadowKeyEnvelope } from './shadow-state';

/** Session keys a container keeps unwrapped (about 100 bytes each). */
const MAX_CACHED_SESSION_KEYS = 10_000;

/**
 * The KEK ring of the `<stack>/kek` secret, parsed once per secret value. When an envelope
 * names a label the cached ring lacks (a KEK added since the container started), the secret
 * is read again once for that label before the label is declared unknown.
 */
export class KekRingSource {
  #text: string | undefined;
  #ring: KekRing | undefined;
  readonly #refreshedFor = new Set<string>();
  /**
   * Unwrapped session keys by envelope. A session sends many uplinks with one envelope, and
   * the same key object lets libs/lorawan reuse its cipher state: steady-state uplinks then
   * create no cipher at all. Bounded; emptied when the ring changes.
   */
  readonly #sessionKeys = new Map<string, AesKey>();

  constructor(
    private readonly secrets: RefreshableSecretReader,
    private readonly secretID: string,
  ) {}

  /**
   * The ring (from the reader's cache in steady state).
   *
   * @throws IntegrationError `invalid_kek_ring`, retryable: the events wait for the secret's
   *   fix (as for an invalid configuration) instead of being dropped, and the malformed value
   *   is dropped from the reader's cache, so that a retry reads the fixed one
   */
  async ring(): Promise<KekRing> {
    const text = await this.secrets.getSecretString(this.secretID);
    if (text !== this.#text || this.#ring === undefined) {
      try {
        this.#ring = parseKekRing(text);
      } catch (error) {
        this.secrets.invalidate?.(this.secretID);
        throw new IntegrationError(
          'invalid_kek_ring',
          `The KEK ring secret ${this.secretID} is malformed: ${(error as Error).message} Fix the secret's value.`,
          true,
          { secretID: this.secretID },
          { cause: error },
        );
      }
      this.#text = text;
      this.#sessionKeys.clear();
    }
    return this.#ring;
  }

  /**
   * The AppSKey in `envelope`: unwrapped under the KEK its label names, or as is when TTS sent
   * it in the clear (no KEK configured on the Join Server).
   *
   * @throws IntegrationError `unknown_kek_label` (naming the label) or `app_s_key_unwrap_failed`;
   *   neither is retryable
   */
  async unwrap(envelope: KeyEnvelope, thingName: string): Promise<AesKey> {
    let ring = await this.ring();
    const cacheKey = isWrappedKeyEnvelope(envelope)
      ? `${envelope.kekLabel}\u0000${Buffer.from(envelope.encryptedKey).toString('base64')}`
      : undefined;
    const cached = cacheKey === undefined ? undefined : this.#sessionKeys.get(cacheKey);
    if (cached) return cached;
    if (
      isWrappedKeyEnvelope(envelope) &&
      !ring.labels.includes(envelope.kekLabel) &&
      this.secrets.invalidate
    ) {
      if (!this.#refreshedFor.has(envelope.kekLabel)) {
        this.#refreshedFor.add(envelope.kekLabel);
        this.secrets.invalidate(this.secretID);
        ring = await this.ring();
      }
    }
    try {
      const key = parseAesKey(ring.unwrap(envelope));
      if (cacheKey !== undefined) {
        // Oldest first out: sessions that stopped sending age out.
        if (this.#sessionKeys.size >= MAX_CACHED_SESSION_KEYS)
          this.#sessionKeys.delete(this.#sessionKeys.keys().next().value as string);
        this.#sessionKeys.set(cacheKey, key);
      }
      return key;
    } catch (error) {
      if (error instanceof UnknownKekLabelError) {
        throw new IntegrationError(
          'unknown_kek_label',
          `The AppSKey of ${thingName} is wrapped with KEK label "${envelope.kekLabel}", which the KEK ring secret ${this.secretID} does not hold. Add that KEK to the ring, or set the Join Server's KEK to one of the ring's labels (${ring.labels.join(', ')}).`,
          false,
          { thingName, kekLabel: envelope.kekLabel, knownLabels: ring.labels },
          { cause: error },
        );
      }
      if (error instanceof IntegrityCheckError) {
        throw new IntegrationError(
          'app_s_key_unwrap_failed',
          `The AppSKey of ${thingName} does not unwrap under KEK "${envelope.kekLabel}": the Join Server wraps with another key under that label, or the envelope is corrupt. Make the ring's KEK for that label the one installed on the Join Server.`,
          false,
          { thingName, kekLabel: envelope.kekLabel },
          { cause: error },
        );
      }
      throw error;
    }
  }

  /**
   * The envelope as the shadow keeps it: a wrapped key as TTS sent it, a plaintext key
   * wrapped under the ring's current KEK first (so no plaintext key is ever stored).
   */
  async toShadowEnvelope(envelope: KeyEnvelope): Promise<ShadowKeyEnvelope> {
    if (isWrappedKeyEnvelope(envelope)) return toShadowEnvelope(envelope);
    return toShadowEnvelope((await this.ring()).wrap(envelope.key));
  }
}

/** The metric counting session keys that could not be unwrapped. */
export const DECRYPT_FAILURES_METRIC = 'DecryptFailures';

/** `keks.unwrap`, with a failure counted as `DecryptFailures` before it is rethrown. */
export async function unwrapCounted(
  keks: KekRingSource,
  envelope: KeyEnvelope,
  thingName: string,
  counters: Counters,
): Promise<AesKey> {
  try {
    return await keks.unwrap(envelope, thingName);
  } catch (error) {
    counters.count(DECRYPT_FAILURES_METRIC);
    throw error;
  }
}

/** Decrypts an uplink FRMPayload with the session's AppSKey at the uplink's full 32-bit `fCnt`. */
export function decryptUplinkPayload(
  appSKey: AesKey,
  devAddr: string,
  fCnt: number,
  ciphertext: Uint8Array,
): Uint8Array {
  return decryptFRMPayload(appSKey, 'up', parseDevAddr(devAddr), fCnt, ciphertext);
}

/** Encrypts a downlink FRMPayload with the session's AppSKey at the downlink counter `fCnt`. */
export function encryptDownlinkPayload(
  appSKey: AesKey,
  devAddr: string,
  fCnt: number,
  plaintext: Uint8Array,
): Uint8Array {
  return encryptFRMPayload(appSKey, 'down', parseDevAddr(devAddr), fCnt, plaintext);
}

/**
 * Moves an encrypted downlink FRMPayload from counter `fromFCnt` to `toFCnt` (after
 * `f_cnt_too_low`): decrypt at the old counter, encrypt at the new one.
 */
export function reencryptDownlinkPayload(
  appSKey: AesKey,
  devAddr: string,
  fromFCnt: number,
  toFCnt: number,
  ciphertext: Uint8Array,
): Uint8Array {
  const address = parseDevAddr(devAddr);
  const plaintext = decryptFRMPayload(appSKey, 'down', address, fromFCnt, ciphertext);
  return encryptFRMPayload(appSKey, 'down', address, toFCnt, plaintext);
}
