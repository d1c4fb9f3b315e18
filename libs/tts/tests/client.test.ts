import {
  serverAddress,
  TtsApiError,
  TtsClient,
  TtsConnectionError,
  missingRights,
  type FetchFunction,
} from '../src';

const BASE = 'https://eu1.cloud.thethings.industries/api/v3';
const API_KEY =
  'NNSXS.ABCDEFGHIJKLMNOPQRSTUVWXYZ234567ABCDEFGHIJKLMNO.ABCDEFGHIJKLMNOPQRSTUVWXYZ234567ABCDEFGHIJKLMNOPQRSTUVWXYZ23';
const APP_KEY = Uint8Array.from(Buffer.from('00112233445566778899AABBCCDDEEFF', 'hex'));
const IDS = {
  applicationID: 'app1',
  deviceID: 'eui-0004a30b001c0530',
  devEUI: '0004a30b001c0530',
  joinEUI: '70B3D57ED0000000',
};

interface Recorded {
  readonly url: string;
  readonly method: string;
  readonly headers: Record<string, string>;
  readonly body: unknown;
}

type Answer = { status: number; body?: unknown; headers?: Record<string, string> } | Error;

/** A fetch that records every call and answers from a script (the last answer repeats). */
function scriptedFetch(...answers: Answer[]): { fetch: FetchFunction; calls: Recorded[] } {
  const calls: Recorded[] = [];
  const fetch: FetchFunction = async (url, init) => {
    calls.push({
      url,
      method: String(init.method),
      headers: { ...(init.headers as Record<string, string>) },
      body: init.body === undefined ? undefined : JSON.parse(String(init.body)),
    });
    const answer = answers[Math.min(calls.length, answers.length) - 1]!;
    if (answer instanceof Error) throw answer;
    const text =
      answer.body === undefined
        ? ''
        : typeof answer.body === 'string'
          ? answer.body
          : JSON.stringify(answer.body);
    return new Response(text === '' ? null : text, {
      status: answer.status,
      headers: answer.headers,
    });
  };
  return { fetch, calls };
}

function ttsError(
  status: number,
  grpcCode: number,
  namespace: string,
  name: string,
  messageFormat: string,
  attributes: Record<string, unknown> = {},
) {
  return {
    status,
    body: {
      code: grpcCode,
      message: `error:${namespace}:${name} (${messageFormat})`,
      details: [
        {
          '@type': 'type.googleapis.com/ttn.lorawan.v3.ErrorDetails',
          namespace,
          name,
          message_format: messageFormat,
          attributes,
          correlation_id: '0f3c1c2b7a5e4d2c',
          code: grpcCode,
        },
      ],
    },
  };
}

/** An error as Powertools logs it: message, stack and every field, through its causes. */
function logged(error: unknown, depth = 0): string {
  // Duck-typed: fetch's errors come from another realm than Jest's `Error`.
  if (typeof error !== 'object' || error === null || depth > 8) return String(error);
  const { message, stack, cause } = error as {
    message?: unknown;
    stack?: unknown;
    cause?: unknown;
  };
  return [message, stack, JSON.stringify({ ...error }), logged(cause, depth + 1)].join('\n');
}

function client(
  fetch: FetchFunction,
  sleeps: number[] = [],
  extra: { maxAttempts?: number; timeoutMs?: number } = {},
) {
  return new TtsClient({
    baseURL: BASE,
    apiKey: async () => API_KEY,
    fetch,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    random: () => 0.5,
    baseDelayMs: 100,
    maxDelayMs: 1000,
    ...extra,
  });
}

describe('TtsClient transport', () => {
  it('sends JSON with the Bearer API key to the cluster URL', async () => {
    const { fetch, calls } = scriptedFetch({ status: 200, body: {} });
    await client(fetch).setSkipPayloadCrypto('app1', true);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.url).toBe(`${BASE}/as/applications/app1/link`);
    expect(calls[0]!.method).toBe('PUT');
    expect(calls[0]!.headers['authorization']).toBe(`Bearer ${API_KEY}`);
    expect(calls[0]!.headers['content-type']).toBe('application/json');
  });

  it('percent-encodes IDs so that they cannot change the route', async () => {
    const { fetch, calls } = scriptedFetch({ status: 200, body: {} });
    await client(fetch).deleteEndDevice({ applicationID: 'app1', deviceID: '../../users/admin' });
    expect(calls[0]!.url).toBe(`${BASE}/applications/app1/devices/..%2F..%2Fusers%2Fadmin`);
  });

  it.each([429, 500, 502, 503, 504])(
    'retries HTTP %i with exponential backoff and jitter, then succeeds',
    async (status) => {
      const sleeps: number[] = [];
      const { fetch, calls } = scriptedFetch({ status }, { status }, { status: 200, body: {} });
      await client(fetch, sleeps).setSkipPayloadCrypto('app1', true);
      expect(calls).toHaveLength(3);
      // random() = 0.5 of the ceilings 100 ms and 200 ms.
      expect(sleeps).toEqual([50, 100]);
    },
  );

  it('caps the backoff at maxDelayMs', async () => {
    const sleeps: number[] = [];
    const { fetch } = scriptedFetch({ status: 503 });
    await expect(
      client(fetch, sleeps, { maxAttempts: 7 }).deletePubSub({
        applicationID: 'app1',
        pubSubID: 'aws-iot',
      }),
    ).rejects.toThrow(TtsApiError);
    expect(sleeps).toEqual([50, 100, 200, 400, 500, 500]);
  });

  it('retries network failures', async () => {
    const { fetch, calls } = scriptedFetch(
      new TypeError('fetch failed', { cause: new Error('connect ECONNREFUSED 127.0.0.1:1885') }),
      { status: 200, body: {} },
    );
    await client(fetch).setSkipPayloadCrypto('app1', false);
    expect(calls).toHaveLength(2);
  });

  it.each([400, 401, 403, 404, 409, 501])('does not retry HTTP %i', async (status) => {
    const { fetch, calls } = scriptedFetch({ status });
    await expect(client(fetch).setSkipPayloadCrypto('app1', true)).rejects.toMatchObject({
      status,
      retryable: false,
    });
    expect(calls).toHaveLength(1);
  });

  it('gives up after maxAttempts with a retryable error', async () => {
    const { fetch, calls } = scriptedFetch(
      ttsError(503, 14, 'pkg/networkserver', 'unavailable', 'Network Server unavailable'),
    );
    const error = await client(fetch, [], { maxAttempts: 3 })
      .setSkipPayloadCrypto('app1', true)
      .catch((e: unknown) => e);
    expect(calls).toHaveLength(3);
    expect(error).toBeInstanceOf(TtsApiError);
    expect(error).toMatchObject({ code: 'unavailable', status: 503, retryable: true });
  });

  it('waits as long as TTS asks in Retry-After, up to the cap', async () => {
    const sleeps: number[] = [];
    const { fetch } = scriptedFetch(
      { status: 429, headers: { 'retry-after': '0.7' } },
      { status: 429, headers: { 'retry-after': '60' } },
      { status: 200, body: {} },
    );
    await client(fetch, sleeps).setSkipPayloadCrypto('app1', true);
    expect(sleeps).toEqual([700, 1000]);
  });

  it('aborts an attempt that outlasts the timeout and reports tts_timeout', async () => {
    const hanging: FetchFunction = (_url, init) =>
      new Promise((_resolve, reject) =>
        init.signal?.addEventListener('abort', () => reject(init.signal?.reason)),
      );
    const error = await client(hanging, [], { maxAttempts: 2, timeoutMs: 5 })
      .setSkipPayloadCrypto('app1', true)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TtsConnectionError);
    expect(error).toMatchObject({ code: 'tts_timeout', retryable: true });
    expect((error as Error).message).toContain('PUT /as/applications/app1/link');
  });

  it('reports an unreachable cluster as tts_unreachable with the cause', async () => {
    const { fetch } = scriptedFetch(
      new TypeError('fetch failed', { cause: new Error('getaddrinfo ENOTFOUND nowhere.example') }),
    );
    const error = await client(fetch, [], { maxAttempts: 1 })
      .getAuthInfo()
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'tts_unreachable', retryable: true });
    expect((error as Error).message).toContain('ENOTFOUND');
  });

  it('keeps an API key that fetch quotes out of the error and its causes, as a logger prints them', async () => {
    // fetch refuses a header value with a control character, quoting the whole value.
    const badKey = `${API_KEY}\u0000`;
    const fetchError = (await fetch('http://127.0.0.1:9/', {
      headers: { authorization: `Bearer ${badKey}` },
    }).then(
      () => undefined,
      (e: unknown) => e,
    )) as Error;
    expect(fetchError.message).toContain(API_KEY);
    const failing: FetchFunction = async () => {
      throw fetchError;
    };
    const error = await new TtsClient({
      baseURL: BASE,
      apiKey: async () => badKey,
      fetch: failing,
      maxAttempts: 1,
    })
      .getAuthInfo()
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'tts_unreachable', retryable: true });
    expect(logged(error)).toContain('invalid header value');
    expect(logged(error)).not.toContain(API_KEY.split('.')[2]!);
  });

  it('says whether a refusal followed an attempt that went unanswered (and so may have landed)', async () => {
    const conflict = ttsError(
      409,
      6,
      'pkg/identityserver/bunstore',
      'end_device_euis_taken',
      'taken',
    );
    const device = { ids: IDS, networkServerAddress: 'x', applicationServerAddress: 'x' };
    const retried = await client(scriptedFetch(new TypeError('fetch failed'), conflict).fetch)
      .createEndDevice(device)
      .catch((e: unknown) => e);
    expect(retried).toMatchObject({ status: 409, afterUnansweredAttempt: true });
    const direct = await client(scriptedFetch(conflict).fetch)
      .createEndDevice(device)
      .catch((e: unknown) => e);
    expect(direct).toMatchObject({ status: 409, afterUnansweredAttempt: false });
  });

  it('parses TTS error bodies into namespace, name, message and correlation id', async () => {
    const { fetch } = scriptedFetch(
      ttsError(
        409,
        6,
        'pkg/identityserver/bunstore',
        'end_device_euis_taken',
        'an end device with JoinEUI `{join_eui}` and DevEUI `{dev_eui}` is already registered as `{device_id}` in application `{application_id}`',
        {
          join_eui: '70B3D57ED0000000',
          dev_eui: '0004A30B001C0530',
          device_id: 'other',
          application_id: 'app1',
        },
      ),
    );
    const error = (await client(fetch)
      .createEndDevice({ ids: IDS, networkServerAddress: 'x', applicationServerAddress: 'x' })
      .catch((e: unknown) => e)) as TtsApiError;
    expect(error).toBeInstanceOf(TtsApiError);
    expect(error.code).toBe('end_device_euis_taken');
    expect(error.namespace).toBe('pkg/identityserver/bunstore');
    expect(error.correlationID).toBe('0f3c1c2b7a5e4d2c');
    expect(error.status).toBe(409);
    expect(error.message).toBe(
      'TTS refused POST /applications/app1/devices: an end device with JoinEUI `70B3D57ED0000000` and DevEUI `0004A30B001C0530` is already registered as `other` in application `app1` (pkg/identityserver/bunstore:end_device_euis_taken, HTTP 409, correlation id 0f3c1c2b7a5e4d2c).',
    );
  });

  it('names an error without a TTS body after its HTTP status', async () => {
    const { fetch } = scriptedFetch({ status: 502, body: '<html>Bad Gateway</html>' });
    const error = await client(fetch, [], { maxAttempts: 1 })
      .getAuthInfo()
      .catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: 'http_502',
      status: 502,
      retryable: true,
      namespace: undefined,
    });
    expect((error as Error).message).toContain('<html>Bad Gateway</html>');
  });

  it('never lets the API key or key material into an error message', async () => {
    const { fetch } = scriptedFetch(
      ttsError(
        400,
        3,
        'pkg/ttnpb',
        'field_value',
        'invalid value `{value}` for `{field}` with key {key}',
        {
          value: '00112233445566778899AABBCCDDEEFF',
          field: 'root_keys.app_key.key',
          key: API_KEY,
        },
      ),
    );
    const error = (await client(fetch)
      .setJoinServerDevice({
        ids: IDS,
        networkServerAddress: 'x',
        applicationServerAddress: 'x',
        appKey: APP_KEY,
      })
      .catch((e: unknown) => e)) as Error;
    expect(error.message).toContain('root_keys.app_key.key');
    expect(error.message).not.toContain('00112233445566778899AABBCCDDEEFF');
    expect(error.message).not.toContain(API_KEY.split('.')[2]!);
    expect(JSON.stringify(error)).not.toContain(API_KEY);
  });

  it('reads the API key anew after a 401 and repeats the call with a rotated key', async () => {
    const reads: (boolean | undefined)[] = [];
    const { fetch, calls } = scriptedFetch(
      ttsError(401, 16, 'pkg/auth', 'token_not_found', 'API key not found'),
      { status: 200, body: {} },
    );
    const tts = new TtsClient({
      baseURL: BASE,
      fetch,
      apiKey: (options) => {
        reads.push(options?.refresh);
        return options?.refresh ? 'NNSXS.NEW.KEY' : 'NNSXS.OLD.KEY';
      },
    });
    await tts.setSkipPayloadCrypto('app1', true);
    expect(reads).toEqual([undefined, true]);
    expect(calls.map((call) => call.headers['authorization'])).toEqual([
      'Bearer NNSXS.OLD.KEY',
      'Bearer NNSXS.NEW.KEY',
    ]);
  });

  it('reports a 401 when the refreshed key is the same', async () => {
    const { fetch, calls } = scriptedFetch(
      ttsError(401, 16, 'pkg/auth', 'token_not_found', 'API key not found'),
    );
    const tts = new TtsClient({ baseURL: BASE, fetch, apiKey: () => 'NNSXS.SAME.KEY' });
    await expect(tts.getAuthInfo()).rejects.toMatchObject({
      status: 401,
      code: 'token_not_found',
      retryable: false,
    });
    expect(calls).toHaveLength(1);
  });

  it('reads the API key for every request, so that a rotated secret takes effect', async () => {
    const keys = ['NNSXS.FIRST.KEY', 'NNSXS.SECOND.KEY'];
    const { fetch, calls } = scriptedFetch({ status: 200, body: {} });
    const tts = new TtsClient({ baseURL: BASE, apiKey: () => keys.shift()!, fetch });
    await tts.setSkipPayloadCrypto('app1', true);
    await tts.setSkipPayloadCrypto('app1', true);
    expect(calls.map((call) => call.headers['authorization'])).toEqual([
      'Bearer NNSXS.FIRST.KEY',
      'Bearer NNSXS.SECOND.KEY',
    ]);
  });
});

describe('TtsClient calls', () => {
  it('registers on the Identity Server with the component addresses', async () => {
    const { fetch, calls } = scriptedFetch({ status: 200, body: {} });
    await client(fetch).createEndDevice({
      ids: IDS,
      joinServerAddress: 'eu1.example',
      networkServerAddress: 'eu1.example',
      applicationServerAddress: 'eu1.example',
    });
    expect(calls[0]!.method).toBe('POST');
    expect(calls[0]!.body).toEqual({
      end_device: {
        ids: {
          device_id: IDS.deviceID,
          application_ids: { application_id: 'app1' },
          dev_eui: '0004A30B001C0530',
          join_eui: '70B3D57ED0000000',
        },
        join_server_address: 'eu1.example',
        network_server_address: 'eu1.example',
        application_server_address: 'eu1.example',
      },
    });
  });

  it('writes the given attributes (the stack marker) into the Identity Server registration', async () => {
    const { fetch, calls } = scriptedFetch({ status: 200, body: {} });
    await client(fetch).createEndDevice({
      ids: IDS,
      networkServerAddress: 'eu1.example',
      applicationServerAddress: 'eu1.example',
      attributes: { 'aws-iot-stack': 'stack1' },
    });
    expect(calls[0]!.body).toMatchObject({
      end_device: { attributes: { 'aws-iot-stack': 'stack1' } },
    });
  });

  it('leaves out join_server_address for a claimed device', async () => {
    const { fetch, calls } = scriptedFetch({ status: 200, body: {} });
    await client(fetch).createEndDevice({
      ids: IDS,
      networkServerAddress: 'eu1.example',
      applicationServerAddress: 'eu1.example',
    });
    expect(calls[0]!.body).not.toHaveProperty('end_device.join_server_address');
  });

  it('sends the AppKey and, for LoRaWAN 1.1, the NwkKey as uppercase hex with their mask paths', async () => {
    const { fetch, calls } = scriptedFetch({ status: 200, body: {} });
    const nwkKey = Uint8Array.from(Buffer.from('ffeeddccbbaa99887766554433221100', 'hex'));
    await client(fetch).setJoinServerDevice({
      ids: IDS,
      networkServerAddress: 'ns',
      applicationServerAddress: 'as',
      appKey: APP_KEY,
      nwkKey,
    });
    const body = calls[0]!.body as {
      end_device: { root_keys: unknown };
      field_mask: { paths: string[] };
    };
    expect(body.end_device.root_keys).toEqual({
      app_key: { key: '00112233445566778899AABBCCDDEEFF' },
      nwk_key: { key: 'FFEEDDCCBBAA99887766554433221100' },
    });
    expect(body.field_mask.paths).toEqual(
      expect.arrayContaining(['root_keys.app_key.key', 'root_keys.nwk_key.key']),
    );
  });

  it('registers an OTAA device on the Network Server', async () => {
    const { fetch, calls } = scriptedFetch({ status: 200, body: {} });
    await client(fetch).setNetworkServerDevice({
      ids: IDS,
      lorawanVersion: 'MAC_V1_0_3',
      lorawanPhyVersion: 'PHY_V1_0_3_REV_A',
      frequencyPlanID: 'EU_863_870_TTN',
    });
    expect(calls[0]!.body).toMatchObject({
      end_device: {
        supports_join: true,
        lorawan_version: 'MAC_V1_0_3',
        lorawan_phy_version: 'PHY_V1_0_3_REV_A',
        frequency_plan_id: 'EU_863_870_TTN',
      },
    });
  });

  it('answers false when deleting something that is already gone', async () => {
    const { fetch } = scriptedFetch(
      ttsError(404, 5, 'pkg/networkserver', 'not_found', 'device not found'),
    );
    await expect(client(fetch).deleteNetworkServerDevice(IDS)).resolves.toBe(false);
  });

  it('answers true when a delete removed something', async () => {
    const { fetch } = scriptedFetch({ status: 200, body: {} });
    await expect(client(fetch).deleteApplicationServerDevice(IDS)).resolves.toBe(true);
  });

  it('answers undefined for a device the Identity Server does not have', async () => {
    const { fetch } = scriptedFetch(
      ttsError(404, 5, 'pkg/identityserver/store', 'not_found', 'end device not found'),
    );
    await expect(client(fetch).getEndDevice(IDS)).resolves.toBeUndefined();
  });

  it('reads a registered device identifiers and attributes, asking for them with a field mask', async () => {
    const { fetch, calls } = scriptedFetch({
      status: 200,
      body: {
        ids: {
          device_id: IDS.deviceID,
          application_ids: { application_id: 'app1' },
          dev_eui: '0004A30B001C0530',
          join_eui: '70B3D57ED0000000',
        },
        attributes: { 'aws-iot-stack': 'stack1', other: 7 },
      },
    });
    await expect(client(fetch).getEndDevice(IDS)).resolves.toEqual({
      ...IDS,
      devEUI: '0004A30B001C0530',
      attributes: { 'aws-iot-stack': 'stack1' },
    });
    expect(calls[0]!.url).toContain('field_mask=attributes');
  });

  it('claims with the authenticated identifiers and the target device', async () => {
    const { fetch, calls } = scriptedFetch({ status: 200, body: {} });
    await client(fetch).claimEndDevice({
      devEUI: '0004A30B001C0530',
      joinEUI: '70B3D57ED0000000',
      authenticationCode: 'ABC123',
      applicationID: 'app1',
      deviceID: 'dev1',
    });
    expect(calls[0]!.body).toEqual({
      authenticated_identifiers: {
        join_eui: '70B3D57ED0000000',
        dev_eui: '0004A30B001C0530',
        authentication_code: 'ABC123',
      },
      target_application_ids: { application_id: 'app1' },
      target_device_id: 'dev1',
    });
  });

  it('reads whether a JoinEUI supports claiming', async () => {
    const { fetch } = scriptedFetch(
      { status: 200, body: { join_eui: '70B3D57ED0000000', supports_claiming: true } },
      { status: 200, body: {} },
    );
    const tts = client(fetch);
    await expect(tts.supportsClaiming('70B3D57ED0000000')).resolves.toBe(true);
    // TTS leaves out false values.
    await expect(tts.supportsClaiming('0000000000000000')).resolves.toBe(false);
  });

  it('configures the AWS IoT pub/sub with the default integration', async () => {
    const { fetch, calls } = scriptedFetch({ status: 200, body: {} });
    await client(fetch).setAwsIotPubSub({
      applicationID: 'app1',
      pubSubID: 'aws-iot',
      region: 'eu-west-1',
      roleArn: 'arn:aws:iam::123456789012:role/Name',
      externalID: 'x',
      endpointAddress: 'abc-ats.iot.eu-west-1.amazonaws.com',
      stackName: 'my-stack',
    });
    expect(calls[0]!.url).toBe(`${BASE}/as/pubsub/app1/aws-iot`);
    expect(calls[0]!.body).toEqual({
      pubsub: {
        ids: { application_ids: { application_id: 'app1' }, pub_sub_id: 'aws-iot' },
        format: 'json',
        aws_iot: {
          region: 'eu-west-1',
          assume_role: {
            arn: 'arn:aws:iam::123456789012:role/Name',
            external_id: 'x',
            session_duration: '3600s',
          },
          endpoint_address: 'abc-ats.iot.eu-west-1.amazonaws.com',
          default: { stack_name: 'my-stack' },
        },
      },
      field_mask: {
        paths: [
          'format',
          'provider.aws_iot.region',
          'provider.aws_iot.assume_role',
          'provider.aws_iot.endpoint_address',
          'provider.aws_iot.deployment.default.stack_name',
        ],
      },
    });
  });

  it('installs the KEK with its label', async () => {
    const { fetch, calls } = scriptedFetch({ status: 200, body: {} });
    await client(fetch).setApplicationKek('app1', { label: 'kek-1', key: APP_KEY });
    expect(calls[0]!.body).toEqual({
      settings: { kek_label: 'kek-1', kek: { key: '00112233445566778899AABBCCDDEEFF' } },
      field_mask: { paths: ['kek_label', 'kek.key'] },
    });
  });

  it('reads the API key rights and its application from auth_info', async () => {
    const { fetch } = scriptedFetch({
      status: 200,
      body: {
        api_key: {
          api_key: {
            id: 'K1',
            rights: ['RIGHT_APPLICATION_INFO', 'RIGHT_APPLICATION_TRAFFIC_READ'],
          },
          entity_ids: { application_ids: { application_id: 'app1' } },
        },
      },
    });
    await expect(client(fetch).getAuthInfo()).resolves.toEqual({
      rights: ['RIGHT_APPLICATION_INFO', 'RIGHT_APPLICATION_TRAFFIC_READ'],
      universalRights: [],
      applicationID: 'app1',
      isAdmin: false,
    });
  });

  // An answer is input from the network: a shape other than TTS's reads as "nothing there".
  it.each(['null', '[]', '"x"', '{"api_key": [], "is_admin": "yes"}'])(
    'reads an auth_info answer of %s as no rights, without failing',
    async (body) => {
      const { fetch } = scriptedFetch({ status: 200, body });
      await expect(client(fetch).getAuthInfo()).resolves.toEqual({
        rights: [],
        universalRights: [],
        isAdmin: false,
      });
    },
  );

  it('reads a claim-info answer of another shape as no claiming', async () => {
    const { fetch } = scriptedFetch({ status: 200, body: 'null' });
    await expect(client(fetch).supportsClaiming('70B3D57ED0000000')).resolves.toBe(false);
  });
});

describe('missingRights', () => {
  it('lists the required rights that a key lacks', () => {
    const missing = missingRights({
      rights: ['RIGHT_APPLICATION_DEVICES_READ', 'RIGHT_APPLICATION_TRAFFIC_READ'],
      universalRights: [],
      isAdmin: false,
    });
    expect(missing).toEqual([
      'RIGHT_APPLICATION_DEVICES_READ_KEYS',
      'RIGHT_APPLICATION_DEVICES_WRITE',
      'RIGHT_APPLICATION_DEVICES_WRITE_KEYS',
      'RIGHT_APPLICATION_SETTINGS_BASIC',
      'RIGHT_APPLICATION_SETTINGS_PACKAGES',
      'RIGHT_APPLICATION_TRAFFIC_DOWN_WRITE',
    ]);
  });

  it('counts RIGHT_APPLICATION_ALL as every application right', () => {
    expect(
      missingRights({ rights: ['RIGHT_APPLICATION_ALL'], universalRights: [], isAdmin: false }),
    ).toEqual([]);
  });
});

describe('serverAddress', () => {
  it.each([
    ['https://eu1.cloud.thethings.industries/api/v3', 'eu1.cloud.thethings.industries'],
    ['https://tts.example.com:8443/api/v3', 'tts.example.com:8443'],
    ['http://127.0.0.1:1885/api/v3', '127.0.0.1:1885'],
  ])('derives the component address of %s', (url, address) => {
    expect(serverAddress(url)).toBe(address);
  });
});
