import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { SecretReader } from '@tts-aws-iot/integration';

import { AwsDeploymentError, fromAwsError, isNotFound } from './errors';

/** `SecretReader` on Secrets Manager (`AWSCURRENT`). Reads on every call; wrap it in `CachedSecretReader`. */
export class SecretsManagerSecretReader implements SecretReader {
  constructor(private readonly client: SecretsManagerClient) {}

  async getSecretString(secretID: string): Promise<string> {
    let secret: string | undefined;
    try {
      ({ SecretString: secret } = await this.client.send(
        new GetSecretValueCommand({ SecretId: secretID }),
      ));
    } catch (error) {
      if (isNotFound(error)) {
        throw new AwsDeploymentError(
          'secret_not_found',
          `Secret ${secretID} does not exist (or has no current version). Check the stack created it and the function's secret ID setting.`,
          { secretID },
          { cause: error },
        );
      }
      throw fromAwsError(error, {
        service: 'Secrets Manager',
        action: 'GetSecretValue',
        resource: `secret ${secretID}`,
      });
    }
    if (secret === undefined) {
      throw new AwsDeploymentError(
        'secret_not_string',
        `Secret ${secretID} holds binary data; store its value as a string.`,
        { secretID },
      );
    }
    return secret;
  }
}

/**
 * Caches another `SecretReader` per secret ID for the life of the container, so
 * steady-state invocations make no Secrets Manager call. Concurrent first reads share one
 * request; a failed read is not cached, so the next call tries again.
 */
export class CachedSecretReader implements SecretReader {
  private readonly cache = new Map<string, Promise<string>>();

  constructor(private readonly inner: SecretReader) {}

  getSecretString(secretID: string): Promise<string> {
    const cached = this.cache.get(secretID);
    if (cached) return cached;
    const pending = this.inner.getSecretString(secretID);
    this.cache.set(secretID, pending);
    pending.catch(() => {
      // Only forget this read: a newer one may have replaced it after an invalidate().
      if (this.cache.get(secretID) === pending) this.cache.delete(secretID);
    });
    return pending;
  }

  /**
   * Forgets a cached secret (or all of them), so the next read fetches it again: for a
   * caller that finds the value outdated, e.g. a KEK label that is not in the cached ring.
   */
  invalidate(secretID?: string): void {
    if (secretID === undefined) this.cache.clear();
    else this.cache.delete(secretID);
  }
}
