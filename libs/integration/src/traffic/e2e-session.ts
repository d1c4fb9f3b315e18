/**
 * End-to-end encryption of the application payload (docs/architecture.md feature 3): the
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
  LorawanError,
  parseAesKey,
  parseDevAddr,
  type AesKey,
} from '@tts-aws-iot/lorawan';
import { BoundedCache } from '../bounded-cache';
import { IntegrationError, InputError } from '../errors';
import type { Counters, RefreshableSecretReader } from '../ports';
import { toShadowEnvelope, type ShadowKeyEnvelope } from './shadow-state';

/** Session keys a container keeps unwrapped (about 100 bytes each), least recently used out. */
const MAX_CACHED_SESSION_KEYS = 10_000;
/** How long an unwrapped session key stays cached. */
const SESSION_KEY_TTL_MS = 60 * 60 * 1000;
/** At most one re-read of the KEK secret per this long for labels the ring lacks. */
export const KEK_REFRESH_INTERVAL_MS = 60 * 1000;

/** The largest FRMPayload LoRaWAN carries (MACPayload 250 bytes at most, less FHDR and FPort). */
export const MAX_FRM_PAYLOAD_BYTES = 242;

/** Options of {@link KekRingSource}. */
export interface KekRingOptions {
  /**
   * Accept session keys that TTS sends in the clear (`ALLOW_PLAINTEXT_SESSION_KEYS`): the
   * Join Server has no KEK for the device. Default false: such keys are refused.
   */
  readonly allowPlaintextKeys?: boolean;
  /** Milliseconds (default `Date.now`), for the caches' age and the re-read rate. */
  readonly now?: () => number;
}

/**
 * The KEK ring of the `<stack>/kek` secret, parsed once per secret value. When an envelope
 * names a label the cached ring lacks (a KEK added since the container started), the secret
 * is read again before the label is declared unknown: at most once per
 * {@link KEK_REFRESH_INTERVAL_MS}, however many unknown labels arrive.
 */
export class KekRingSource {
  #text: string | undefined;
  #ring: KekRing | undefined;
  #lastRefreshAt: number | undefined;
  readonly #now: () => number;
  /** Whether session keys TTS sends in the clear are accepted. */
  readonly allowPlaintextKeys: boolean;
  /**
   * Unwrapped session keys by envelope. A session sends many uplinks with one envelope, and
   * the same key object lets libs/lorawan reuse its cipher state: steady-state uplinks then
   * create no cipher at all. Bounded in size and age; emptied when the ring changes.
   */
  readonly #sessionKeys: BoundedCache<string, AesKey>;

  constructor(
    private readonly secrets: RefreshableSecretReader,
    private readonly secretID: string,
    options: KekRingOptions = {},
  ) {
    this.#now = options.now ?? Date.now;
    this.allowPlaintextKeys = options.allowPlaintextKeys ?? false;
    this.#sessionKeys = new BoundedCache(MAX_CACHED_SESSION_KEYS, SESSION_KEY_TTL_MS, this.#now);
  }

  /** Whether `envelope` is a session key sent in the clear that this source refuses. */
  refuses(envelope: KeyEnvelope): boolean {
    return !isWrappedKeyEnvelope(envelope) && !this.allowPlaintextKeys;
  }

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
   * it in the clear (no KEK configured on the Join Server) and that is explicitly allowed.
   *
   * @throws IntegrationError `unknown_kek_label` (naming the label), `app_s_key_unwrap_failed`
   *   or `plaintext_session_key`; none is retryable
   */
  async unwrap(envelope: KeyEnvelope, thingName: string): Promise<AesKey> {
    if (!isWrappedKeyEnvelope(envelope) && !this.allowPlaintextKeys)
      throw plaintextSessionKeyError(thingName);
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
      const now = this.#now();
      if (
        this.#lastRefreshAt === undefined ||
        now - this.#lastRefreshAt >= KEK_REFRESH_INTERVAL_MS
      ) {
        this.#lastRefreshAt = now;
        this.secrets.invalidate(this.secretID);
        ring = await this.ring();
      }
    }
    try {
      const key = parseAesKey(ring.unwrap(envelope));
      if (cacheKey !== undefined) this.#sessionKeys.set(cacheKey, key);
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
  async toShadowEnvelope(
    envelope: KeyEnvelope,
    thingName = 'the device',
  ): Promise<ShadowKeyEnvelope> {
    if (isWrappedKeyEnvelope(envelope)) return toShadowEnvelope(envelope);
    if (!this.allowPlaintextKeys) throw plaintextSessionKeyError(thingName);
    return toShadowEnvelope((await this.ring()).wrap(envelope.key));
  }
}

/** The metric counting session keys that could not be unwrapped. */
export const DECRYPT_FAILURES_METRIC = 'DecryptFailures';

/** The metric counting session keys refused because TTS sent them in the clear. */
export const REFUSED_SESSION_KEYS_METRIC = 'RefusedSessionKeys';

/** The refusal of a session key that TTS sent in the clear although E2E is on. */
export function plaintextSessionKeyError(thingName: string): IntegrationError {
  return new IntegrationError(
    'plaintext_session_key',
    `The Join Server sent the AppSKey of ${thingName} in the clear: it has no KEK for this device, so The Things Stack saw the key. Refused: nothing stored, nothing decrypted. Configure the Join Server's KEK for the device (or set ALLOW_PLAINTEXT_SESSION_KEYS=true to accept such keys knowingly).`,
    false,
    { thingName },
  );
}

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

/**
 * Runs a libs/lorawan operation on input from outside: its `LorawanError` (a payload too long,
 * a bad DevAddr) is bad input, never retried.
 */
function lorawanInput<T>(what: string, operation: () => T): T {
  try {
    return operation();
  } catch (error) {
    if (error instanceof LorawanError) {
      throw new InputError(
        error.code,
        `${what} cannot be processed: ${error.message}`,
        error.attributes,
        { cause: error },
      );
    }
    throw error;
  }
}

function checkLength(what: string, payload: Uint8Array): void {
  if (payload.length > MAX_FRM_PAYLOAD_BYTES) {
    throw new InputError(
      'frm_payload_too_long',
      `${what} has ${payload.length} bytes of FRMPayload; LoRaWAN carries at most ${MAX_FRM_PAYLOAD_BYTES}. The message is not processed.`,
      { length: payload.length, max: MAX_FRM_PAYLOAD_BYTES },
    );
  }
}

/**
 * Decrypts an uplink FRMPayload with the session's AppSKey at the uplink's full 32-bit `fCnt`.
 *
 * @throws InputError `frm_payload_too_long` past 242 bytes, or the `LorawanError`'s code
 */
export function decryptUplinkPayload(
  appSKey: AesKey,
  devAddr: string,
  fCnt: number,
  ciphertext: Uint8Array,
): Uint8Array {
  return decryptInput('The uplink', 'up', { appSKey, devAddr, fCnt }, ciphertext);
}

/** Decrypts an FRMPayload from outside, its length and DevAddr checked as input. */
function decryptInput(
  what: string,
  direction: 'up' | 'down',
  at: { readonly appSKey: AesKey; readonly devAddr: string; readonly fCnt: number },
  ciphertext: Uint8Array,
): Uint8Array {
  checkLength(what, ciphertext);
  return lorawanInput(what, () =>
    decryptFRMPayload(at.appSKey, direction, parseDevAddr(at.devAddr), at.fCnt, ciphertext),
  );
}

/** Encrypts a downlink FRMPayload with the session's AppSKey at the downlink counter `fCnt`. */
export function encryptDownlinkPayload(
  appSKey: AesKey,
  devAddr: string,
  fCnt: number,
  plaintext: Uint8Array,
): Uint8Array {
  checkLength('The downlink', plaintext);
  return lorawanInput('The downlink', () =>
    encryptFRMPayload(appSKey, 'down', parseDevAddr(devAddr), fCnt, plaintext),
  );
}

/**
 * Decrypts a downlink FRMPayload that was encrypted with the session's AppSKey at `fCnt` (a
 * downlink TTS invalidated, to be encrypted again under the current session).
 *
 * @throws InputError `frm_payload_too_long` past 242 bytes, or the `LorawanError`'s code
 */
export function decryptDownlinkPayload(
  appSKey: AesKey,
  devAddr: string,
  fCnt: number,
  ciphertext: Uint8Array,
): Uint8Array {
  return decryptInput('The invalidated downlink', 'down', { appSKey, devAddr, fCnt }, ciphertext);
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
  checkLength('The reported downlink', ciphertext);
  return lorawanInput('The reported downlink', () => {
    const address = parseDevAddr(devAddr);
    const plaintext = decryptFRMPayload(appSKey, 'down', address, fromFCnt, ciphertext);
    return encryptFRMPayload(appSKey, 'down', address, toFCnt, plaintext);
  });
}
