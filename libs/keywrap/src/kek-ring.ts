import { isWrappedKeyEnvelope, type KeyEnvelope, type WrappedKeyEnvelope } from './envelope';
import { IntegrityCheckError, KekRingError, UnknownKekLabelError } from './errors';
import { decodeHex, encodeHex } from './hex';
import { unwrapKey, wrapKey } from './wrap';

/** The TTS Join Server takes AES-128 KEKs only. */
const KEK_LENGTH = 16;
/** TTS bounds `kek_label` at 2048 characters. */
const MAX_KEK_LABEL_LENGTH = 2048;

/**
 * The application's key-encryption keys by label, and the label new keys are wrapped
 * under. A ring rather than one key so that a new KEK can be installed while sessions
 * wrapped under an older one still unwrap.
 *
 * The KEKs are held in a private field: logging or serializing a ring shows its labels
 * only.
 */
export class KekRing {
  /** The label of the KEK that {@link wrap} uses (and that TTS is configured with). */
  readonly currentLabel: string;
  readonly #keks: ReadonlyMap<string, Uint8Array>;

  /**
   * @param currentLabel the label to wrap under; must be one of `keks`' labels
   * @param keks AES-128 KEKs (16 bytes, not all zero) by non-empty label
   * @throws KekRingError when a label or KEK is invalid, or `currentLabel` is not in `keks`
   */
  constructor(currentLabel: string, keks: Readonly<Record<string, Uint8Array>>) {
    const entries = Object.entries(keks);
    if (entries.length === 0) {
      throw new KekRingError('', 'the ring holds no KEK: add at least one');
    }
    for (const [label, kek] of entries) {
      checkLabel(label, label);
      if (label === 'current') {
        throw new KekRingError(
          label,
          '"current" names the current KEK in the secret: choose another label',
        );
      }
      if (kek.length !== KEK_LENGTH) {
        throw new KekRingError(
          label,
          `the KEK is ${kek.length} bytes; TTS takes AES-128 KEKs (16 bytes)`,
        );
      }
      if (kek.every((byte) => byte === 0)) {
        throw new KekRingError(
          label,
          'the KEK is all zeros, which TTS rejects: generate a random one',
        );
      }
    }
    if (!Object.hasOwn(keks, currentLabel)) {
      throw new KekRingError(
        'current',
        `the current label "${currentLabel}" names no KEK in the ring`,
      );
    }
    this.currentLabel = currentLabel;
    this.#keks = new Map(entries.map(([label, kek]) => [label, Uint8Array.from(kek)]));
  }

  /** The labels of the KEKs in the ring. */
  get labels(): readonly string[] {
    return [...this.#keks.keys()];
  }

  /** The current label and its KEK (for example to install on the TTS Join Server). */
  current(): { readonly label: string; readonly kek: Uint8Array } {
    return { label: this.currentLabel, kek: this.get(this.currentLabel) };
  }

  /**
   * The KEK with `label` (a copy).
   *
   * @throws UnknownKekLabelError when the ring holds no KEK with that label
   */
  get(label: string): Uint8Array {
    return Uint8Array.from(this.#kek(label));
  }

  /**
   * The key in `envelope`: unwrapped (RFC 3394) under the KEK its label names, or as is
   * when it came in the clear.
   *
   * @throws UnknownKekLabelError when the ring holds no KEK with the envelope's label
   * @throws IntegrityCheckError when the key does not unwrap under that KEK
   */
  unwrap(envelope: KeyEnvelope): Uint8Array {
    if (!isWrappedKeyEnvelope(envelope)) return Uint8Array.from(envelope.key);
    try {
      return unwrapKey(this.#kek(envelope.kekLabel), envelope.encryptedKey);
    } catch (error) {
      // Say which KEK failed: with a ring, "the wrong KEK" is the likely cause.
      if (error instanceof IntegrityCheckError) {
        throw new IntegrityCheckError('RFC 3394', envelope.kekLabel);
      }
      throw error;
    }
  }

  /** Wraps `key` (RFC 3394) under the current KEK. */
  wrap(key: Uint8Array): WrappedKeyEnvelope {
    return {
      encryptedKey: wrapKey(this.#kek(this.currentLabel), key),
      kekLabel: this.currentLabel,
    };
  }

  /** What `JSON.stringify` shows of a ring: the labels, never the KEKs. */
  toJSON(): { currentLabel: string; labels: readonly string[] } {
    return { currentLabel: this.currentLabel, labels: this.labels };
  }

  #kek(label: string): Uint8Array {
    const kek = this.#keks.get(label);
    if (kek === undefined) throw new UnknownKekLabelError(label, this.labels);
    return kek;
  }
}

const RING_SHAPE = '{"current":"<label>","<label>":"<32 hex>"}';

/**
 * Reads the KEK ring from its secret (`<stack>/kek` in Secrets Manager). The secret is
 * flat, `{"current":"<label>","<label>":"<32 hex digits>",…}`: every member but `current`
 * is a KEK under its label. Flat because CloudFormation's GenerateSecretString can add
 * exactly one generated member to a JSON template, so the stack can create the first KEK
 * itself; rotating adds a member and points `current` at it. The nested form
 * `{"current":…,"keys":{"<label>":…}}` is read too, for rings written by hand.
 *
 * @throws KekRingError naming the field (never its value) when the secret is malformed
 */
export function parseKekRing(secretString: string): KekRing {
  let json: unknown;
  try {
    json = JSON.parse(secretString);
  } catch {
    // JSON.parse quotes the text around the error, which would be KEK hex: drop its message.
    throw new KekRingError('', `the secret is not valid JSON; expected ${RING_SHAPE}`);
  }
  if (!isObject(json)) throw new KekRingError('', `expected a JSON object ${RING_SHAPE}`);
  const { current, ...members } = json;
  if (typeof current !== 'string') {
    throw new KekRingError('current', 'expected the label of the current KEK (a string)');
  }
  checkLabel(current, 'current');
  const nested = members['keys'];
  const [entries, prefix] = isObject(nested) ? [nested, 'keys.'] : [members, ''];
  const keks: Record<string, Uint8Array> = {};
  for (const [label, hex] of Object.entries(entries)) {
    const kek = typeof hex === 'string' ? decodeHex(hex) : undefined;
    if (kek === undefined || kek.length !== KEK_LENGTH) {
      throw new KekRingError(`${prefix}${label}`, 'expected an AES-128 KEK as 32 hex digits');
    }
    keks[label] = kek;
  }
  return new KekRing(current, keks);
}

/**
 * Writes a KEK ring in its (flat) secret format, the inverse of {@link parseKekRing}. The
 * result holds the KEKs in the clear: it belongs in Secrets Manager and nowhere else.
 */
export function formatKekRing(ring: KekRing): string {
  const keks = Object.fromEntries(ring.labels.map((label) => [label, encodeHex(ring.get(label))]));
  return JSON.stringify({ current: ring.currentLabel, ...keks });
}

/**
 * The ring of `ringSecret` with one more KEK: that of an earlier deployment, whose secret
 * holds the KEK alone as 32 hex digits (the form The Things Stack's documented templates
 * store it in), under the label its Join Server knows it by (for those templates, the
 * secret's ARN). Sessions wrapped under it keep unwrapping; the current KEK stays the ring's.
 *
 * @throws KekRingError naming the existing secret (never its value) when it is not 32 hex
 *   digits, or when the ring already holds another KEK under that label
 */
export function addExistingKek(ringSecret: string, label: string, existingSecret: string): KekRing {
  const ring = parseKekRing(ringSecret);
  const kek = decodeHex(existingSecret.trim());
  if (kek === undefined || kek.length !== KEK_LENGTH)
    throw new KekRingError(label, 'the existing KEK secret is not an AES-128 KEK as 32 hex digits');
  if (ring.labels.includes(label) && encodeHex(ring.get(label)) !== encodeHex(kek))
    throw new KekRingError(
      label,
      "the ring holds another KEK under the existing KEK's label: remove it from the ring secret",
    );
  const keks = Object.fromEntries(ring.labels.map((each) => [each, ring.get(each)]));
  return new KekRing(ring.currentLabel, { ...keks, [label]: kek });
}

function checkLabel(label: string, field: string): void {
  if (label === '' || label.length > MAX_KEK_LABEL_LENGTH) {
    throw new KekRingError(field, `a KEK label is 1 to ${MAX_KEK_LABEL_LENGTH} characters`);
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
