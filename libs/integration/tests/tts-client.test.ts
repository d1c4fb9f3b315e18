import type { FetchFunction } from '@tts-aws-iot/tts';

import { InMemorySecretReader } from '../src/testing/in-memory';
import { createTtsClient } from '../src/tts-client';

const SETTINGS = { clusterURL: 'https://tts.example/api/v3', apiKeySecretID: 'tts-prod/api-key' };

/** A fetch that answers `statuses` in turn (then 200) and records the Authorization header of each call. */
function scriptedFetch(...statuses: number[]) {
  const authorizations: (string | null)[] = [];
  const urls: string[] = [];
  const fetch: FetchFunction = async (url, init) => {
    urls.push(url);
    authorizations.push(new Headers(init.headers).get('authorization'));
    return new Response(JSON.stringify({ universal_rights: {} }), {
      status: statuses.shift() ?? 200,
      headers: { 'content-type': 'application/json' },
    });
  };
  return { fetch, authorizations, urls };
}

describe('createTtsClient', () => {
  it('calls the cluster with the API key from the secret', async () => {
    const secrets = new InMemorySecretReader(new Map([['tts-prod/api-key', 'NNSXS.KEY-1']]));
    const { fetch, authorizations, urls } = scriptedFetch();
    await createTtsClient(SETTINGS, secrets, { fetch }).getAuthInfo();
    expect(urls).toEqual(['https://tts.example/api/v3/auth_info']);
    expect(authorizations).toEqual(['Bearer NNSXS.KEY-1']);
    expect(secrets.invalidated).toEqual([]);
  });

  it('drops the cached key and reads the secret again once TTS answers 401: a rotated key works at once', async () => {
    const secrets = new InMemorySecretReader(new Map([['tts-prod/api-key', 'NNSXS.OLD']]));
    const { fetch, authorizations } = scriptedFetch(401);
    // The key is rotated while the first request is under way.
    const rotating: FetchFunction = async (url, init) => {
      const response = await fetch(url, init);
      secrets.secrets.set('tts-prod/api-key', 'NNSXS.NEW');
      return response;
    };
    const client = createTtsClient(SETTINGS, secrets, { fetch: rotating });
    await client.getAuthInfo();
    expect(secrets.invalidated).toEqual(['tts-prod/api-key']);
    expect(authorizations).toEqual(['Bearer NNSXS.OLD', 'Bearer NNSXS.NEW']);
  });
});
