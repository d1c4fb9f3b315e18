import { TtsClient, type TtsHttpOptions } from '@tts-aws-iot/tts';

import type { RefreshableSecretReader } from './ports';

/** Where the TTS API is and which secret holds its key (`IntegrationConfig`, or a custom resource's settings). */
export interface TtsClientSettings {
  /** The TTS API base URL, ending in `/api/v3`. */
  readonly clusterURL: string;
  /** The `<stack>/api-key` secret. */
  readonly apiKeySecretID: string;
}

/**
 * The TTS API client of a stack, with the API key read from its secret through `secrets` (in
 * a Lambda, a cache that lives as long as the container). When TTS answers 401 the client
 * asks for the key once more with `refresh`: the cached value is dropped first, so that a
 * rotated key takes effect without a cold start.
 *
 * @param options transport settings (retries, timeouts, a `fetch` for tests)
 */
export function createTtsClient(
  settings: TtsClientSettings,
  secrets: RefreshableSecretReader,
  options: Omit<TtsHttpOptions, 'baseURL' | 'apiKey'> = {},
): TtsClient {
  const { clusterURL, apiKeySecretID } = settings;
  return new TtsClient({
    ...options,
    baseURL: clusterURL,
    apiKey: ({ refresh } = {}) => {
      if (refresh) secrets.invalidate?.(apiKeySecretID);
      return secrets.getSecretString(apiKeySecretID);
    },
  });
}
