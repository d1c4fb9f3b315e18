import { join } from 'node:path';

import { wrapKey } from '@tts-aws-iot/keywrap';
import {
  decryptFRMPayload,
  encryptFRMPayload,
  parseAesKey,
  parseDevAddr,
} from '@tts-aws-iot/lorawan';
import {
  actionOf,
  describeWithMoto,
  freePort,
  publishedOn,
  runContainer,
  startStackAccount,
  type StackAccount,
} from '@tts-aws-iot/test-kit';

import {
  APP_S_KEY_ENVELOPE,
  APP_S_KEY_HEX,
  DEV_ADDR,
  DEV_EUI,
  e2eUplink,
  endDeviceIds,
  joinAccept,
  KEK_HEX,
  KEK_RING_SECRET,
  keyMaterialForms,
  plainUplink,
  SESSION_KEY_ID,
} from './fixtures';

const BUNDLE = join(__dirname, '../../../dist/packages/uplink/index.js');

/** The uplink bundle as Lambda runs it, through the real SDK clients, against moto. */
describeWithMoto('HandleUplink bundle against moto', () => {
  let account: StackAccount;
  let env: Record<string, string>;

  const shadowOf = async (thingName: string) => (await account.shadow(thingName)).state.reported;
  const device = (devEUI: string) => ({
    ...endDeviceIds,
    dev_eui: devEUI,
    device_id: `eui-${devEUI.toLowerCase()}`,
  });

  beforeAll(async () => {
    account = await startStackAccount({
      secrets: { 'tts-stack/kek': KEK_RING_SECRET },
      env: { POWERTOOLS_LOG_LEVEL: 'DEBUG', POWERTOOLS_METRICS_NAMESPACE: 'TtsAwsIotTest' },
    });
    env = account.env;
  }, 60_000);

  afterAll(() => account?.stop());

  it('creates the thing, then makes exactly UpdateThingShadow and Publish per uplink', async () => {
    await account.moto.startRecording();
    const uplinks = [70_000, 70_001, 70_002, 70_003, 70_004, 70_005].map((fCnt) =>
      e2eUplink(Uint8Array.of(fCnt & 0xff), fCnt),
    );
    const run = await runContainer(BUNDLE, env, [joinAccept(), ...uplinks]);
    expect(run.outcomes.every((outcome) => outcome.ok)).toBe(true);

    const actions = (await account.moto.requests()).map(actionOf);
    // Cold start: the registry (the DevEUI's things, in upper then lower case; none, so the
    // thing is created) and the KEK ring once; then two calls per message, and a shadow read
    // where the session's downlink counter moves: the join (fCntDown 0) and the first uplink
    // (last_a_f_cnt_down 4).
    const count = (name: string) => actions.filter((action) => action === name).length;
    expect(
      Object.fromEntries(
        ['ListThings', 'CreateThing', 'GetThingShadow', 'UpdateThingShadow', 'Publish'].map(
          (name) => [name, count(name)],
        ),
      ),
    ).toEqual({
      ListThings: 2,
      CreateThing: 1,
      GetThingShadow: 2,
      UpdateThingShadow: 7,
      Publish: 7,
    });
    // Besides: secrets, each read once per container (the KEK ring; the API key for formatters).
    expect(
      actions.filter((action) => count(action) > 0 && action.startsWith('GetSecret')).length,
    ).toBeLessThanOrEqual(2);
    expect(actions.length - count('GetSecretValue')).toBe(19);

    const thing = await account.thing(DEV_EUI);
    expect(thing).toMatchObject({
      thingTypeName: 'lorawan',
      attributes: { devEUI: DEV_EUI, stackName: 'tts-stack', deviceID: 'eui-0004a30b001c0530' },
    });
    const shadow = await shadowOf(DEV_EUI);
    // The session's downlink counter: 0 from the join, raised to TTS's last_a_f_cnt_down.
    expect(shadow).toMatchObject({
      fCntDown: 4,
      fCntDownSession: 'AYpZ2oDPE0rYOBmhqrUpuQ==',
      fCntUp: 70_005,
      lastAFCntDown: 4,
      gateways: 2,
      rssi: -97,
      snr: 7.25,
      devAddr: '260B1A2F',
      appSKeyEnvelope: { encryptedKey: APP_S_KEY_ENVELOPE.encrypted_key, kekLabel: 'kek-2' },
    });
    const published = publishedOn(await account.moto.requests(), `lorawan/${DEV_EUI}/uplink`) as {
      thingName: string;
      uplink_message: Record<string, unknown>;
    }[];
    expect(published.map((m) => m.uplink_message['frm_payload'])).toEqual(
      uplinks.map((_, i) => Buffer.from([(70_000 + i) & 0xff]).toString('base64')),
    );
    expect(
      published.every((m) => m.thingName === DEV_EUI && !('app_s_key' in m.uplink_message)),
    ).toBe(true);

    const everything = [
      run.stdout,
      run.stderr,
      ...(await account.moto.requests()).map((request) => request.body),
      JSON.stringify(await shadowOf(DEV_EUI)),
    ].join('\n');
    for (const form of keyMaterialForms()) expect(everything).not.toContain(form);
  }, 60_000);

  it('serves a device through the thing created for it by hand, whatever its name, with no registry call in steady state', async () => {
    const devEUI = '0004A30B001C0AAA';
    await account.createThing('greenhouse-7', { devEUI, stackName: 'tts-stack' });
    await account.moto.startRecording();
    const ids = { end_device_ids: device(devEUI) };
    const run = await runContainer(BUNDLE, env, [
      { ...e2eUplink(Uint8Array.of(1), 80_000), ...ids },
      { ...e2eUplink(Uint8Array.of(2), 80_001), ...ids },
      { ...e2eUplink(Uint8Array.of(3), 80_002), ...ids },
    ]);
    expect(run.outcomes.every((outcome) => outcome.ok)).toBe(true);
    const actions = (await account.moto.requests()).map(actionOf);
    // Once per container: the DevEUI in upper and in lower case.
    expect(actions.filter((action) => action === 'ListThings')).toHaveLength(2);
    expect(actions).not.toContain('CreateThing');
    expect(actions).not.toContain('DescribeThing');
    expect(actions.filter((action) => action === 'UpdateThingShadow')).toHaveLength(3);
    expect(await shadowOf('greenhouse-7')).toMatchObject({ fCntUp: 80_002 });
    expect(publishedOn(await account.moto.requests(), 'lorawan/greenhouse-7/uplink')).toHaveLength(
      3,
    );
    await expect(account.thing(devEUI)).rejects.toThrow();
  }, 30_000);

  it('refuses a DevEUI with two things of this stack, naming both, and writes nothing', async () => {
    const devEUI = '0004A30B001C0BBB';
    await account.createThing('twin-a', { devEUI, stackName: 'tts-stack' });
    await account.createThing('twin-b', { devEUI, stackName: 'tts-stack' });
    await account.moto.startRecording();
    const run = await runContainer(BUNDLE, env, [
      { ...e2eUplink(), end_device_ids: device(devEUI) },
    ]);
    expect(run.outcomes).toEqual([{ ok: true, value: null }]);
    expect(`${run.stdout}${run.stderr}`).toContain('"error_code":"duplicate_things"');
    const actions = (await account.moto.requests()).map(actionOf);
    expect(actions.filter((a) => a !== 'GetSecretValue' && a !== 'ListThings')).toEqual([]);
  }, 30_000);

  it('moves the queue TTS invalidated at a rejoin into the new session and replaces it, keys wrapped throughout', async () => {
    const devEUI = '0004A30B001C0DD1';
    await account.createThing('rejoiner', { devEUI, stackName: 'tts-stack' });
    const ids = { ...device(devEUI), dev_addr: DEV_ADDR };
    // Session S1 joined, and 5 downlink counters reserved in it.
    let run = await runContainer(BUNDLE, env, [{ ...joinAccept(), end_device_ids: ids }]);
    expect(run.outcomes).toEqual([{ ok: true, value: null }]);
    await account.report('rejoiner', { fCntDown: 5 });
    const newKey = '0F1E2D3C4B5A69788796A5B4C3D2E1F0';
    const kek = Buffer.from(KEK_HEX, 'hex');
    const queued = encryptFRMPayload(
      parseAesKey(APP_S_KEY_HEX),
      'down',
      parseDevAddr(DEV_ADDR),
      5,
      Buffer.from('open valve'),
    );
    await account.moto.startRecording();
    run = await runContainer(BUNDLE, env, [
      {
        end_device_ids: { ...ids, dev_addr: '260C0001' },
        correlation_ids: ['as:up:01J3'],
        received_at: '2024-05-01T12:10:00Z',
        join_accept: {
          session_key_id: 'UzItbmV3LXNlc3Npb24=',
          app_s_key: {
            encrypted_key: Buffer.from(wrapKey(kek, Buffer.from(newKey, 'hex'))).toString('base64'),
            kek_label: 'kek-2',
          },
          invalidated_downlinks: [
            {
              session_key_id: SESSION_KEY_ID,
              f_port: 10,
              f_cnt: 5,
              frm_payload: Buffer.from(queued).toString('base64'),
              correlation_ids: ['tts-aws-iot:downlink:dl-9', 'tts-aws-iot:attempt:1'],
            },
          ],
        },
      },
    ]);
    expect(run.outcomes).toEqual([{ ok: true, value: null }]);
    const [replace] = publishedOn(
      await account.moto.requests(),
      'thethings/lorawan/tts-stack/downlink/replace',
    ) as { downlinks: { f_cnt: number; frm_payload: string; session_key_id: string }[] }[];
    expect(replace?.downlinks).toMatchObject([
      { f_cnt: 1, session_key_id: 'UzItbmV3LXNlc3Npb24=' },
    ]);
    const sent = replace!.downlinks[0]!;
    expect(
      Buffer.from(
        decryptFRMPayload(
          parseAesKey(newKey),
          'down',
          parseDevAddr('260C0001'),
          1,
          Buffer.from(sent.frm_payload, 'base64'),
        ),
      ).toString(),
    ).toBe('open valve');
    const shadow = await shadowOf('rejoiner');
    expect(shadow).toMatchObject({
      sessionID: 'UzItbmV3LXNlc3Npb24=',
      fCntDown: 1,
    });
    // Its queue moved, the old session keeps its counter, not its key (no replay through it).
    expect(shadow?.['earlierSessions']).toEqual([{ sessionID: SESSION_KEY_ID, fCntDown: 5 }]);
    const everything = [run.stdout, run.stderr, JSON.stringify(shadow)].join('\n');
    for (const form of [...keyMaterialForms(), newKey, newKey.toLowerCase()])
      expect(everything).not.toContain(form);
  }, 30_000);

  it('keeps the decoded payload in the shadow without E2E', async () => {
    const devEUI = '0004A30B001C0DDD';
    const run = await runContainer(BUNDLE, { ...env, E2E_ENABLED: 'false' }, [
      { ...plainUplink(), end_device_ids: device(devEUI) },
    ]);
    expect(run.outcomes).toEqual([{ ok: true, value: null }]);
    expect(await shadowOf(devEUI)).toMatchObject({
      payload: { temperature: 21.5, humidity: 40 },
      fCntUp: 12,
    });
  }, 30_000);

  it('ends refused messages successfully, logged with their error code, without any call to AWS', async () => {
    await account.moto.startRecording();
    const refused: [unknown, string][] = [
      ['not json', 'invalid_message'],
      [
        {
          end_device_ids: { device_id: 'Bad_ID', application_ids: { application_id: 'my-app' } },
          uplink_message: {},
        },
        'invalid_field',
      ],
      [
        {
          ...e2eUplink(),
          end_device_ids: { ...endDeviceIds, application_ids: { application_id: 'someone-else' } },
        },
        'foreign_application',
      ],
      [{ end_device_ids: endDeviceIds }, 'no_message_type'],
      [
        { ...e2eUplink(), uplink_message: { ...e2eUplink().uplink_message, f_cnt: -1 } },
        'invalid_field',
      ],
      [
        {
          ...e2eUplink(),
          uplink_message: {
            ...e2eUplink().uplink_message,
            app_s_key: { ...APP_S_KEY_ENVELOPE, kek_label: 'kek-9' },
          },
        },
        'unknown_kek_label',
      ],
    ];
    const run = await runContainer(
      BUNDLE,
      env,
      refused.map(([message]) => message),
    );
    expect(run.outcomes.every((outcome) => outcome.ok)).toBe(true);
    const logs = `${run.stdout}\n${run.stderr}`
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(
      logs
        .filter((line) => line['message'] === 'Rejected: not retrying')
        .map((line) => line['error_code']),
    ).toEqual(refused.map(([, code]) => code));
    // The KEK ring is the only thing read (for the unknown label, twice: cached, then refreshed).
    expect(
      (await account.moto.requests()).map(actionOf).filter((action) => action !== 'GetSecretValue'),
    ).toEqual([]);
  }, 30_000);

  it('leaves a thing of another stack alone', async () => {
    const devEUI = '0004A30B001C0EEE';
    await account.createThing(devEUI, { devEUI, stackName: 'other-stack' });
    await account.moto.startRecording();
    const run = await runContainer(BUNDLE, env, [
      { ...e2eUplink(), end_device_ids: device(devEUI) },
    ]);
    expect(run.outcomes).toEqual([{ ok: true, value: null }]);
    expect(`${run.stdout}${run.stderr}`).toContain(
      `DevEUI ${devEUI} is registered for mismatching stack other-stack`,
    );
    expect(
      (await account.moto.requests())
        .map(actionOf)
        .filter((a) => a !== 'GetSecretValue' && a !== 'ListThings'),
    ).toEqual([]);
  }, 30_000);

  it('fails every invocation, for Lambda to retry, while the configuration is invalid', async () => {
    const { STACK_NAME: _stackName, ...withoutStackName } = env;
    const run = await runContainer(BUNDLE, { ...withoutStackName, THING_NAME_SCHEME: 'Serial' }, [
      plainUplink(),
      plainUplink(),
    ]);
    const failed = { ok: false, error: expect.objectContaining({ code: 'invalid_configuration' }) };
    expect(run.outcomes).toEqual([failed, failed]);
    expect(run.outcomes[0]).toMatchObject({
      error: {
        message: expect.stringContaining(
          'STACK_NAME is missing; THING_NAME_SCHEME "Serial" is invalid',
        ),
      },
    });
  }, 30_000);

  it('fails the invocation, for Lambda to retry, when AWS cannot be reached', async () => {
    const closed = `http://127.0.0.1:${await freePort()}`;
    const run = await runContainer(
      BUNDLE,
      { ...env, AWS_ENDPOINT_URL_IOT_DATA_PLANE: closed, E2E_ENABLED: 'false' },
      [plainUplink()],
    );
    expect(run.outcomes).toEqual([
      { ok: false, error: expect.objectContaining({ code: 'aws_unavailable' }) },
    ]);
  }, 60_000);
});
