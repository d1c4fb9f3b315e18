import { deviceKey, startTtsSim, type TtsSim } from '../src/index';

const APP = 'app1';
const KEY = 'NNSXS.FULLKEY.SECRET';
const READ_ONLY_KEY = 'NNSXS.READKEY.SECRET';
const OTHER_APP_KEY = 'NNSXS.OTHERKEY.SECRET';
const CLAIMABLE_JOIN_EUI = '70B3D57ED0000000';
const IDS = {
  device_id: 'dev1',
  application_ids: { application_id: APP },
  dev_eui: '0004a30b001c0530',
  join_eui: '0000000000000001',
};

let sim: TtsSim;

beforeAll(async () => {
  sim = await startTtsSim({
    apiKeys: {
      [KEY]: ['RIGHT_APPLICATION_ALL'],
      [READ_ONLY_KEY]: ['RIGHT_APPLICATION_DEVICES_READ'],
      [OTHER_APP_KEY]: { applicationID: 'other-app', rights: ['RIGHT_APPLICATION_ALL'] },
    },
    claimableJoinEUIs: [CLAIMABLE_JOIN_EUI.toLowerCase()],
  });
});

afterEach(() => sim.reset());

afterAll(() => sim.close());

interface Answer {
  status: number;
  body: Record<string, unknown>;
}

async function call(
  method: string,
  path: string,
  body?: unknown,
  key: string | null = KEY,
): Promise<Answer> {
  const response = await fetch(`${sim.url}${path}`, {
    method,
    headers: {
      ...(key === null ? {} : { authorization: `Bearer ${key}` }),
      'content-type': 'application/json',
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/** The `details[0]` of a TTS error body. */
function details(answer: Answer): Record<string, unknown> {
  return (answer.body['details'] as Record<string, unknown>[])[0]!;
}

async function createOnIdentityServer(ids: Record<string, unknown> = IDS): Promise<Answer> {
  return call('POST', `/applications/${APP}/devices`, {
    end_device: {
      ids,
      join_server_address: 'tts.example',
      network_server_address: 'tts.example',
      application_server_address: 'tts.example',
    },
  });
}

describe('end devices', () => {
  it('registers an OTAA device on IS, JS, NS and AS with the bodies docs/tts.md describes', async () => {
    expect((await createOnIdentityServer()).status).toBe(200);
    const js = await call('PUT', `/js/applications/${APP}/devices/dev1`, {
      end_device: {
        ids: IDS,
        network_server_address: 'tts.example',
        application_server_address: 'tts.example',
        root_keys: { app_key: { key: '0123456789abcdef0123456789abcdef' } },
      },
      field_mask: {
        paths: [
          'ids.dev_eui',
          'ids.join_eui',
          'network_server_address',
          'application_server_address',
          'root_keys.app_key.key',
        ],
      },
    });
    const ns = await call('PUT', `/ns/applications/${APP}/devices/dev1`, {
      end_device: {
        ids: IDS,
        supports_join: true,
        lorawan_version: 'MAC_V1_0_3',
        lorawan_phy_version: 'PHY_V1_0_3_REV_A',
        frequency_plan_id: 'EU_863_870_TTN',
      },
      field_mask:
        'ids.dev_eui,ids.join_eui,supports_join,lorawan_version,lorawan_phy_version,frequency_plan_id',
    });
    const as = await call('PUT', `/as/applications/${APP}/devices/dev1`, {
      end_device: { ids: IDS },
      field_mask: { paths: ['ids.dev_eui', 'ids.join_eui'] },
    });
    expect([js.status, ns.status, as.status]).toEqual([200, 200, 200]);

    const key = deviceKey(APP, 'dev1');
    expect(sim.state.devices.is.get(key)).toMatchObject({
      ids: { dev_eui: '0004A30B001C0530', join_eui: '0000000000000001' },
    });
    expect(sim.state.devices.js.get(key)).toMatchObject({
      root_keys: { app_key: { key: '0123456789ABCDEF0123456789ABCDEF' } },
    });
    expect(sim.state.devices.ns.get(key)).toMatchObject({
      lorawan_version: 'MAC_V1_0_3',
      frequency_plan_id: 'EU_863_870_TTN',
    });
    expect(sim.state.devices.as.has(key)).toBe(true);

    // Without a field mask a Get answers identifiers and timestamps only, as TTS does.
    const plain = await call('GET', `/ns/applications/${APP}/devices/dev1`);
    expect(plain.body).not.toHaveProperty('frequency_plan_id');
    const masked = await call(
      'GET',
      `/ns/applications/${APP}/devices/dev1?field_mask=frequency_plan_id`,
    );
    expect(masked.body).toMatchObject({
      ids: { device_id: 'dev1' },
      frequency_plan_id: 'EU_863_870_TTN',
    });
  });

  it('answers 409 end_device_euis_taken when the EUIs are registered as another device', async () => {
    await createOnIdentityServer();
    const answer = await createOnIdentityServer({
      ...IDS,
      device_id: 'dev2',
      dev_eui: IDS.dev_eui.toUpperCase(),
    });
    expect(answer.status).toBe(409);
    expect(answer.body).toMatchObject({
      code: 6,
      message: expect.stringMatching(/^error:pkg\/identityserver:end_device_euis_taken \(/),
    });
    expect(details(answer)).toMatchObject({
      '@type': 'type.googleapis.com/ttn.lorawan.v3.ErrorDetails',
      name: 'end_device_euis_taken',
      attributes: { device_id: 'dev1', application_id: APP, dev_eui: '0004A30B001C0530' },
      correlation_id: expect.stringMatching(/^[0-9a-f]{32}$/),
      code: 6,
    });
  });

  it('answers 404 not_found for a device a component does not have, and deletes what it has', async () => {
    expect((await call('DELETE', `/ns/applications/${APP}/devices/dev1`)).status).toBe(404);
    await createOnIdentityServer();
    expect((await call('DELETE', `/applications/${APP}/devices/dev1`)).body).toEqual({});
    expect(details(await call('GET', `/applications/${APP}/devices/dev1`))).toMatchObject({
      name: 'not_found',
    });
  });

  it('stores end-device attributes on IS, answers them for field_mask=attributes, and refuses keys TTS refuses', async () => {
    const created = await call('POST', `/applications/${APP}/devices`, {
      end_device: {
        ids: IDS,
        network_server_address: 'tts.example',
        application_server_address: 'tts.example',
        attributes: { 'aws-iot-stack': 'tts-stack' },
      },
    });
    expect(created.status).toBe(200);
    const path = `/applications/${APP}/devices/dev1`;
    expect((await call('GET', path)).body).not.toHaveProperty('attributes');
    expect((await call('GET', `${path}?field_mask=attributes`)).body).toMatchObject({
      attributes: { 'aws-iot-stack': 'tts-stack' },
    });
    for (const key of ['awsIotStack', 'a', 'aws--iot', 'x'.repeat(37)]) {
      const refused = await call('POST', `/applications/${APP}/devices`, {
        end_device: {
          ids: { ...IDS, device_id: 'dev2', dev_eui: '0004a30b001c0531' },
          network_server_address: 'tts.example',
          application_server_address: 'tts.example',
          attributes: { [key]: 'v' },
        },
      });
      expect(refused.status).toBe(400);
      expect(details(refused)).toMatchObject({
        name: 'validation',
        attributes: { field: `end_device.attributes[${key}]` },
      });
    }
  });

  it('validates IDs and EUIs as TTS does', async () => {
    const badID = await createOnIdentityServer({ ...IDS, device_id: 'Dev_1' });
    expect(badID.status).toBe(400);
    expect(details(badID)).toMatchObject({
      namespace: 'pkg/errors',
      name: 'validation',
      attributes: { field: 'end_device.ids.device_id' },
    });
    expect(details(await createOnIdentityServer({ ...IDS, dev_eui: '0004A30B' }))).toMatchObject({
      attributes: { field: 'end_device.ids.dev_eui' },
    });
    expect((await call('GET', `/applications/${'a'.repeat(37)}/devices/dev1`)).status).toBe(400);
  });
});

describe('checking requests against the swagger', () => {
  it('refuses a body field the API does not have, naming it, at any depth', async () => {
    const topLevel = await call('POST', '/edcs/claim/info', {
      join_eui: CLAIMABLE_JOIN_EUI,
      joinEui: CLAIMABLE_JOIN_EUI,
      extra: 1,
    });
    expect(topLevel.status).toBe(400);
    expect(details(topLevel)).toMatchObject({
      name: 'unknown_field',
      attributes: { field: 'extra' },
    });
    const nested = await createOnIdentityServer({ ...IDS, devEui: undefined, dev_euid: 'X' });
    expect(details(nested)).toMatchObject({
      name: 'unknown_field',
      attributes: { field: 'end_device.ids.dev_euid' },
    });
  });

  it('accepts lowerCamelCase field names, as TTS does', async () => {
    const answer = await call('POST', `/applications/${APP}/devices`, {
      endDevice: {
        ids: { deviceId: 'dev1', devEui: IDS.dev_eui, joinEui: IDS.join_eui },
        networkServerAddress: 'tts.example',
      },
    });
    expect(answer.status).toBe(200);
    expect(sim.state.devices.is.get(deviceKey(APP, 'dev1'))).toMatchObject({
      network_server_address: 'tts.example',
    });
  });

  it('refuses field mask paths the message does not have, and takes oneof names in them', async () => {
    const answer = await call('PUT', `/as/applications/${APP}/devices/dev1`, {
      end_device: { ids: IDS },
      field_mask: { paths: ['ids.dev_eui', 'root_keys.app_key.value', 'bogus'] },
    });
    expect(answer.status).toBe(400);
    expect(details(answer)).toMatchObject({
      name: 'field_mask_paths',
      attributes: { forbidden_paths: ['root_keys.app_key.value', 'bogus'] },
    });
    const query = await call('GET', `/as/pubsub/${APP}/aws-iot?field_mask=provider.aws_iot.nope`);
    expect(details(query)).toMatchObject({ name: 'field_mask_paths' });
  });

  it('answers 404 for paths the API does not have, 405 for methods, and 501 for routes it does not serve', async () => {
    expect((await call('GET', '/applications/app1/gadgets')).status).toBe(404);
    expect((await fetch(`${sim.url.replace('/api/v3', '')}/other`)).status).toBe(404);
    expect((await call('PATCH', '/auth_info')).status).toBe(405);
    const unserved = await call('GET', `/applications/${APP}/devices`);
    expect(unserved.status).toBe(501);
    expect(details(unserved)).toMatchObject({ name: 'unimplemented' });
    expect(details(await call('GET', `/as/pubsub/${APP}/aws-iot?limit=1`))).toMatchObject({
      attributes: { field: 'limit' },
    });
  });
});

describe('authentication and rights', () => {
  it('answers 401 without a Bearer key or with an unknown one', async () => {
    expect(await call('GET', '/auth_info', undefined, null)).toMatchObject({
      status: 401,
      body: { code: 16 },
    });
    expect((await call('GET', '/auth_info', undefined, 'NNSXS.NOPE.NOPE')).status).toBe(401);
  });

  it('tells a key its rights on auth_info, never the key itself', async () => {
    const answer = await call('GET', '/auth_info', undefined, OTHER_APP_KEY);
    expect(answer.body).toEqual({
      api_key: {
        api_key: { id: 'OTHERKEY', rights: ['RIGHT_APPLICATION_ALL'] },
        entity_ids: { application_ids: { application_id: 'other-app' } },
      },
    });
  });

  it('answers 403 listing the missing rights, and no_application_rights for another application', async () => {
    const insufficient = await call(
      'DELETE',
      `/applications/${APP}/devices/dev1`,
      undefined,
      READ_ONLY_KEY,
    );
    expect(insufficient.status).toBe(403);
    expect(details(insufficient)).toMatchObject({
      name: 'insufficient_application_rights',
      attributes: { uid: APP, missing: ['RIGHT_APPLICATION_DEVICES_WRITE'] },
    });
    const otherApp = await call(
      'GET',
      `/applications/${APP}/devices/dev1`,
      undefined,
      OTHER_APP_KEY,
    );
    expect(details(otherApp)).toMatchObject({
      namespace: 'pkg/auth/rights',
      name: 'no_application_rights',
      code: 7,
    });
  });
});

describe('claiming', () => {
  const claim = (joinEUI: string, authenticationCode = 'ABC123'): Promise<Answer> =>
    call('POST', '/edcs/claim', {
      authenticated_identifiers: {
        join_eui: joinEUI,
        dev_eui: IDS.dev_eui,
        authentication_code: authenticationCode,
      },
      target_application_ids: { application_id: APP },
      target_device_id: 'dev1',
    });

  it('claims on a claimable JoinEUI, echoing the identifiers, and unclaims', async () => {
    expect((await call('POST', '/edcs/claim/info', { join_eui: CLAIMABLE_JOIN_EUI })).body).toEqual(
      { join_eui: CLAIMABLE_JOIN_EUI, supports_claiming: true },
    );
    expect((await claim(CLAIMABLE_JOIN_EUI)).body).toEqual({
      device_id: 'dev1',
      application_ids: { application_id: APP },
      dev_eui: '0004A30B001C0530',
      join_eui: CLAIMABLE_JOIN_EUI,
    });
    expect(sim.state.claims.get(deviceKey(APP, 'dev1'))).toMatchObject({
      authenticationCode: 'ABC123',
    });
    // Unclaiming reads the JoinEUI from the Identity Server registration.
    expect(details(await call('DELETE', `/edcs/claim/${APP}/devices/dev1`))).toMatchObject({
      name: 'device_not_found',
    });
    await createOnIdentityServer({ ...IDS, join_eui: CLAIMABLE_JOIN_EUI });
    expect((await call('DELETE', `/edcs/claim/${APP}/devices/dev1`)).status).toBe(200);
    expect(sim.state.claims.size).toBe(0);
  });

  it('answers claiming_not_supported for other JoinEUIs and refuses malformed codes', async () => {
    expect((await call('POST', '/edcs/claim/info', { join_eui: IDS.join_eui })).body).toEqual({
      join_eui: IDS.join_eui,
    });
    const unsupported = await claim(IDS.join_eui);
    expect(unsupported.status).toBe(409);
    expect(details(unsupported)).toMatchObject({
      name: 'claiming_not_supported',
      code: 10,
      attributes: { eui: IDS.join_eui },
    });
    expect(details(await claim(CLAIMABLE_JOIN_EUI, 'abc-123'))).toMatchObject({
      attributes: { field: 'authenticated_identifiers.authentication_code' },
    });
  });
});

describe('application settings', () => {
  const pubsub = (awsIot: Record<string, unknown>): Promise<Answer> =>
    call('PUT', `/as/pubsub/${APP}/aws-iot`, {
      pubsub: {
        ids: { application_ids: { application_id: APP }, pub_sub_id: 'aws-iot' },
        format: 'json',
        aws_iot: awsIot,
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
  const awsIot = {
    region: 'eu-west-1',
    assume_role: {
      arn: 'arn:aws:iam::123456789012:role/Name',
      external_id: 'x',
      session_duration: '3600s',
    },
    endpoint_address: 'abc-ats.iot.eu-west-1.amazonaws.com',
    default: { stack_name: 'my-stack' },
  };

  it('sets the AWS IoT pub/sub of docs/tts.md and refuses values TTS refuses', async () => {
    expect((await pubsub(awsIot)).status).toBe(200);
    expect(sim.state.pubsubs.get(deviceKey(APP, 'aws-iot'))).toMatchObject({
      format: 'json',
      aws_iot: awsIot,
    });
    expect(details(await pubsub({ ...awsIot, region: 'eu-central-2' }))).toMatchObject({
      attributes: { field: 'pubsub.aws_iot.region' },
    });
    expect(
      details(
        await pubsub({
          ...awsIot,
          assume_role: { ...awsIot.assume_role, arn: 'arn:aws:iam::1:role/x' },
        }),
      ),
    ).toMatchObject({
      attributes: { field: 'pubsub.aws_iot.assume_role.arn' },
    });
    expect(details(await pubsub({ ...awsIot, default: { stack_name: '1stack' } }))).toMatchObject({
      attributes: { field: 'pubsub.aws_iot.default.stack_name' },
    });
  });

  it('installs a KEK with its label, refusing the zero key and a KEK without label', async () => {
    const set = (settings: Record<string, unknown>): Promise<Answer> =>
      call('POST', `/js/applications/${APP}/settings`, {
        settings,
        field_mask: { paths: ['kek_label', 'kek.key'] },
      });
    expect(
      (await set({ kek_label: 'kek-1', kek: { key: '000102030405060708090a0b0c0d0e0f' } })).status,
    ).toBe(200);
    expect(sim.state.kekSettings.get(APP)).toEqual({
      kek_label: 'kek-1',
      kek: { key: '000102030405060708090A0B0C0D0E0F' },
    });
    expect(details(await set({ kek_label: 'kek-2', kek: { key: '0'.repeat(32) } }))).toMatchObject({
      attributes: { field: 'settings.kek.key' },
    });
    expect(details(await set({ kek: { key: '000102030405060708090a0b0c0d0e0f' } }))).toMatchObject({
      attributes: { field: 'settings.kek_label' },
    });
    expect(sim.state.kekSettings.get(APP)).toMatchObject({ kek_label: 'kek-1' });
  });
});

describe('downlinks', () => {
  const push = (downlink: Record<string, unknown>): Promise<Answer> =>
    call('POST', `/as/applications/${APP}/devices/dev1/down/push`, {
      end_device_ids: IDS,
      downlinks: [downlink],
    });

  it('with skip payload crypto, requires f_cnt and session_key_id and refuses counters below the session minimum', async () => {
    await call('PUT', `/as/applications/${APP}/link`, {
      link: { skip_payload_crypto: true },
      field_mask: { paths: ['skip_payload_crypto'] },
    });
    sim.state.devices.as.set(deviceKey(APP, 'dev1'), { ids: IDS });
    sim.state.sessions.set(deviceKey(APP, 'dev1'), { sessionKeyID: 'AQI=', minFCnt: 5 });
    const downlink = {
      f_port: 1,
      frm_payload: 'AQ==',
      priority: 'NORMAL',
      session_key_id: 'AQI=',
      f_cnt: 5,
    };

    expect(details(await push({ ...downlink, f_cnt: undefined }))).toMatchObject({
      attributes: { field: 'downlinks[0].f_cnt' },
    });
    expect((await push(downlink)).status).toBe(200);
    // Queued counters must increase strictly.
    expect(details(await push(downlink))).toMatchObject({
      name: 'f_cnt_too_low',
      attributes: { f_cnt: 5, min_f_cnt: 6 },
    });
    expect(details(await push({ ...downlink, f_cnt: 6, session_key_id: 'AwQ=' }))).toMatchObject({
      name: 'unknown_session',
    });
    expect(sim.state.downlinkQueues.get(deviceKey(APP, 'dev1'))).toEqual([downlink]);
  });
});

describe('request bodies', () => {
  const validation = (field: string, reason: string | RegExp) => ({
    namespace: 'pkg/errors',
    name: 'validation',
    attributes: {
      field,
      reason: reason instanceof RegExp ? expect.stringMatching(reason) : reason,
    },
  });

  it('refuses a bad field by its path with the validator’s reason, and stores nothing', async () => {
    const device = (extra: Record<string, unknown>) =>
      call('POST', `/applications/${APP}/devices`, { end_device: { ids: IDS, ...extra } });
    expect(details(await call('POST', `/applications/${APP}/devices`, {}))).toMatchObject(
      validation('end_device', 'value is required'),
    );
    expect(details(await device({ attributes: { key: 'x'.repeat(201) } }))).toMatchObject(
      validation('end_device.attributes[key]', /at most 200 runes/),
    );
    expect(
      details(await call('POST', `/applications/${APP}/devices`, { end_device: { ids: {} } })),
    ).toMatchObject(validation('end_device.ids.device_id', 'value is required'));
    expect(sim.state.devices.is.size).toBe(0);
  });

  it('checks every attribute key, whatever its name', async () => {
    const body = (attributes: string) =>
      `{"end_device":{"ids":${JSON.stringify(IDS)},"attributes":${attributes}}}`;
    const raw = (text: string) =>
      fetch(`${sim.url}/applications/${APP}/devices`, {
        method: 'POST',
        headers: { authorization: `Bearer ${KEY}` },
        body: text,
      }).then(async (response) => ({
        status: response.status,
        body: (await response.json()) as Record<string, unknown>,
      }));
    expect(details(await raw(body('{"__proto__":"x"}')))).toMatchObject(
      validation('end_device.attributes[__proto__]', /^key does not match/),
    );
    expect((await raw(body('{"constructor":"c"}'))).status).toBe(200);
    expect(sim.state.devices.is.get(deviceKey(APP, 'dev1'))?.['attributes']).toEqual(
      JSON.parse('{"constructor":"c"}'),
    );
  });

  it('answers no_join_eui for a claim without authenticated identifiers', async () => {
    const answer = await call('POST', '/edcs/claim', {
      target_application_ids: { application_id: APP },
      target_device_id: 'dev1',
    });
    expect(answer.status).toBe(400);
    expect(details(answer)).toMatchObject({
      namespace: 'pkg/deviceclaimingserver',
      name: 'no_join_eui',
    });
  });

  it('refuses a field mask of another shape', async () => {
    const answer = await call('PUT', `/as/applications/${APP}/link`, {
      link: { skip_payload_crypto: true },
      field_mask: { paths: [1] },
    });
    expect(details(answer)).toMatchObject(
      validation('field_mask', 'expected "a,b" or {"paths": ["a", "b"]}'),
    );
  });

  it('refuses downlinks without an FPort in range or without a payload', async () => {
    sim.state.devices.as.set(deviceKey(APP, 'dev1'), { ids: IDS });
    const push = (downlinks: unknown[]) =>
      call('POST', `/as/applications/${APP}/devices/dev1/down/push`, {
        end_device_ids: IDS,
        downlinks,
      });
    expect(details(await push([{ f_port: 1, frm_payload: 'AQ==' }, { f_port: 0 }]))).toMatchObject(
      validation('downlinks[1].f_port', 'value must be inside range [1, 255]'),
    );
    expect(details(await push([{ f_port: '2' }]))).toMatchObject(
      validation('downlinks[0].frm_payload', 'value is required without decoded_payload'),
    );
    expect(sim.state.downlinkQueues.get(deviceKey(APP, 'dev1'))).toBeUndefined();
  });
});

describe('fault injection and the request log', () => {
  it('fails the next matching requests as told, then answers normally', async () => {
    sim.failNext({
      method: 'GET',
      pathPattern: '/applications/*/devices/*',
      status: 503,
      times: 2,
    });
    await createOnIdentityServer();
    const first = await call('GET', `/applications/${APP}/devices/dev1`);
    expect(first.status).toBe(503);
    expect(details(first)).toMatchObject({ name: 'unavailable', code: 14 });
    expect((await call('GET', `/applications/${APP}/devices/dev1`)).status).toBe(503);
    expect((await call('GET', `/applications/${APP}/devices/dev1`)).status).toBe(200);
  });

  it('can name the injected error and its attributes', async () => {
    sim.failNext({
      pathPattern: /\/down\/push$/,
      status: 400,
      name: 'f_cnt_too_low',
      namespace: 'pkg/networkserver',
      attributes: { min_f_cnt: 9 },
    });
    expect(
      details(
        await call('POST', `/as/applications/${APP}/devices/dev1/down/push`, { downlinks: [] }),
      ),
    ).toMatchObject({
      namespace: 'pkg/networkserver',
      name: 'f_cnt_too_low',
      attributes: { min_f_cnt: 9 },
    });
  });

  it('drops the connection for status 0', async () => {
    sim.failNext({ pathPattern: '/auth_info', status: 0 });
    await expect(call('GET', '/auth_info')).rejects.toThrow();
    expect((await call('GET', '/auth_info')).status).toBe(200);
  });

  it('logs every request with its path, query, body and answer', async () => {
    sim.setLatency(5);
    await call('POST', '/edcs/claim/info', { join_eui: CLAIMABLE_JOIN_EUI });
    await call('GET', `/as/applications/${APP}/link?field_mask=skip_payload_crypto`);
    expect(sim.requests).toEqual([
      {
        method: 'POST',
        path: '/edcs/claim/info',
        query: {},
        body: { join_eui: CLAIMABLE_JOIN_EUI },
        status: 200,
      },
      {
        method: 'GET',
        path: `/as/applications/${APP}/link`,
        query: { field_mask: 'skip_payload_crypto' },
        body: undefined,
        status: 404,
      },
    ]);
  });
});

describe('snapshot and restore', () => {
  it('restores the registries, pub/subs and claims into another simulator, which then answers from them', async () => {
    expect((await createOnIdentityServer()).status).toBe(200);
    sim.state.claims.set(deviceKey(APP, 'dev1'), {
      applicationID: APP,
      deviceID: 'dev1',
      devEUI: IDS.dev_eui,
      joinEUI: IDS.join_eui,
      authenticationCode: 'C0DE',
    });
    // Through a JSON round trip, as the local stack saves it.
    const saved: unknown = JSON.parse(JSON.stringify(sim.snapshot()));
    const other = await startTtsSim({ apiKeys: { [KEY]: ['RIGHT_APPLICATION_ALL'] } });
    try {
      other.restore(saved);
      expect([...other.state.devices.is.keys()]).toEqual([deviceKey(APP, 'dev1')]);
      expect(other.state.claims.get(deviceKey(APP, 'dev1'))).toMatchObject({
        authenticationCode: 'C0DE',
      });
      const answer = await fetch(`${other.url}/applications/${APP}/devices/dev1`, {
        headers: { authorization: `Bearer ${KEY}` },
      });
      expect(answer.status).toBe(200);
      // A copy: changing the restored state leaves the snapshot's source alone.
      other.state.devices.is.clear();
      expect(sim.state.devices.is.size).toBe(1);
    } finally {
      await other.close();
    }
  });

  it('refuses something that is not a snapshot, naming the missing part, and changes nothing', () => {
    sim.state.links.set(APP, { skip_payload_crypto: true });
    expect(() => sim.restore({ devices: { is: [] } })).toThrow(/saved state has no `devices.js`/);
    expect(sim.state.links.get(APP)).toEqual({ skip_payload_crypto: true });
  });

  it('tells onRequest of each answered request and keeps only maxLoggedRequests of them', async () => {
    const seen: number[] = [];
    const other = await startTtsSim({
      onRequest: (request) => seen.push(request.status),
      maxLoggedRequests: 2,
    });
    try {
      for (let i = 0; i < 3; i++) await fetch(`${other.url}/auth_info`);
      expect(seen).toEqual([401, 401, 401]);
      expect(other.requests).toHaveLength(2);
    } finally {
      await other.close();
    }
  });
});
