import type { SecretReader } from '@tts-aws-iot/integration';
import { addExistingKek, formatKekRing } from '@tts-aws-iot/keywrap';

/**
 * Migration from The Things Stack's documented templates: their KEK secret holds one KEK as
 * 32 hex digits, and their Join Server knows it by the secret's ARN. Named with
 * `ExistingKEKSecretArn`, it is read as one more member of this stack's KEK ring, so that
 * sessions wrapped under it keep decrypting while new ones are wrapped under the ring's
 * current KEK.
 */
export interface ExistingKek {
  /** The KEK ring secret (`KEK_SECRET_ID`) that the existing KEK joins. */
  readonly ringSecretID: string;
  /** The earlier deployment's KEK secret. */
  readonly secretID: string;
  /** The KEK's label on the Join Server (the documented templates: the secret's ARN). */
  readonly label: string;
}

/**
 * The existing KEK from the function's environment: `EXISTING_KEK_SECRET_ID` (with
 * `KEK_SECRET_ID`) and `EXISTING_KEK_LABEL` (default: the secret ID, which the stack gives as
 * the ARN). Undefined when no existing KEK is configured.
 */
export function existingKekFromEnvironment(
  env: Readonly<Record<string, string | undefined>>,
): ExistingKek | undefined {
  const secretID = env['EXISTING_KEK_SECRET_ID']?.trim();
  const ringSecretID = env['KEK_SECRET_ID']?.trim();
  if (!secretID || !ringSecretID) return undefined;
  return { ringSecretID, secretID, label: env['EXISTING_KEK_LABEL']?.trim() || secretID };
}

/**
 * Answers reads of the KEK ring secret with the ring plus the existing KEK (in the ring's
 * own secret format, so every reader of the ring sees it), and other reads as they are.
 */
export class ExistingKekSecretReader implements SecretReader {
  constructor(
    private readonly inner: SecretReader,
    private readonly existing: ExistingKek,
  ) {}

  async getSecretString(secretID: string): Promise<string> {
    if (secretID !== this.existing.ringSecretID) return this.inner.getSecretString(secretID);
    const [ring, kek] = await Promise.all([
      this.inner.getSecretString(secretID),
      this.inner.getSecretString(this.existing.secretID),
    ]);
    return formatKekRing(addExistingKek(ring, this.existing.label, kek));
  }
}
