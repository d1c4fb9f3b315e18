import fc from 'fast-check';
import { TtsError, TtsMessageError } from '../src/errors';
import { findErrorDetails, parseApplicationUp } from '../src/messages';

// Shapes as TTS v3.32 publishes them with `format: json` (docs/tts.md "Upstream messages").
const ids = {
  device_id: 'eui-0004a30b001c0530',
  application_ids: { application_id: 'my-app' },
  dev_eui: '0004A30B001C0530',
  join_eui: '70B3D57ED0000000',
  dev_addr: '260B1A2F',
};

const uplink = {
  end_device_ids: ids,
  correlation_ids: ['as:up:01HZZ', 'gs:uplink:01HZY'],
  received_at: '2024-05-01T12:00:00.123456789Z',
  uplink_message: {
    session_key_id: 'AYpZ2oDPE0rYOBmhqrUpuQ==',
    f_port: 10,
    f_cnt: 70000,
    frm_payload: 'AQID',
    rx_metadata: [
      {
        gateway_ids: { gateway_id: 'gw-1', eui: 'B827EBFFFE000001' },
        rssi: -110,
        channel_rssi: -110,
        snr: -4.5,
      },
      { gateway_ids: { gateway_id: 'gw-2' }, channel_rssi: -97, snr: 7.25, uplink_token: 'abc' },
    ],
    settings: {
      data_rate: { lora: { bandwidth: 125000, spreading_factor: 7 } },
      frequency: '868100000',
    },
    received_at: '2024-05-01T12:00:00.1Z',
    app_s_key: { encrypted_key: 'H6aLCoEStEeu80vY+1p7gp0+hiNx0s/l', kek_label: 'kek-1' },
    last_a_f_cnt_down: 4,
    consumed_airtime: '0.061696s',
    network_ids: { net_id: '000013' },
  },
};

describe('parseApplicationUp', () => {
  it('reads an uplink with the identifiers, metadata and key envelope', () => {
    const up = parseApplicationUp(uplink);
    expect(up.type).toBe('uplink_message');
    if (up.type !== 'uplink_message') return;
    expect(up.ids).toEqual({
      deviceID: 'eui-0004a30b001c0530',
      applicationID: 'my-app',
      devEUI: '0004A30B001C0530',
      joinEUI: '70B3D57ED0000000',
      devAddr: '260B1A2F',
    });
    expect(up.correlationIDs).toEqual(['as:up:01HZZ', 'gs:uplink:01HZY']);
    expect(up.uplink.fCnt).toBe(70000);
    expect(up.uplink.fPort).toBe(10);
    expect(Array.from(up.uplink.frmPayload)).toEqual([1, 2, 3]);
    expect(up.uplink.rxMetadata).toEqual([
      { gatewayID: 'gw-1', gatewayEUI: 'B827EBFFFE000001', rssi: -110, snr: -4.5 },
      { gatewayID: 'gw-2', gatewayEUI: undefined, rssi: -97, snr: 7.25 },
    ]);
    expect(up.uplink.appSKey).toEqual({ encryptedKey: expect.any(Uint8Array), kekLabel: 'kek-1' });
    expect(up.uplink.lastAFCntDown).toBe(4);
    expect(up.raw).toBe(uplink);
  });

  it('reads omitted zero values as zero or empty, as TTS omits them', () => {
    const up = parseApplicationUp({ end_device_ids: ids, uplink_message: { rx_metadata: [] } });
    if (up.type !== 'uplink_message') throw new Error(up.type);
    expect(up.uplink.fCnt).toBe(0);
    expect(up.uplink.fPort).toBe(0);
    expect(up.uplink.frmPayload).toHaveLength(0);
    expect(up.uplink.appSKey).toBeUndefined();
    expect(up.correlationIDs).toEqual([]);
  });

  it('normalises lowercase EUIs and DevAddr to uppercase', () => {
    const up = parseApplicationUp({
      end_device_ids: { ...ids, dev_eui: '0004a30b001c0530', dev_addr: '260b1a2f' },
      join_accept: {},
    });
    expect(up.ids.devEUI).toBe('0004A30B001C0530');
    expect(up.ids.devAddr).toBe('260B1A2F');
  });

  it('reads a join-accept with its session key', () => {
    const up = parseApplicationUp({
      end_device_ids: ids,
      join_accept: {
        session_key_id: 'AYpZ2oDPE0rYOBmhqrUpuQ==',
        app_s_key: { key: '2B7E151628AED2A6ABF7158809CF4F3C' },
        received_at: 'x',
      },
    });
    if (up.type !== 'join_accept') throw new Error(up.type);
    expect(up.joinAccept.sessionKeyID).toBe('AYpZ2oDPE0rYOBmhqrUpuQ==');
    expect(up.joinAccept.appSKey?.key).toHaveLength(16);
  });

  it.each(['downlink_queued', 'downlink_sent', 'downlink_ack', 'downlink_nack'] as const)(
    'reads %s',
    (type) => {
      const up = parseApplicationUp({
        end_device_ids: ids,
        [type]: {
          f_port: 1,
          f_cnt: 3,
          frm_payload: 'AQ==',
          confirmed: true,
          priority: 'NORMAL',
          correlation_ids: ['tts-aws-iot:downlink:1'],
        },
      });
      expect(up.type).toBe(type);
      if (up.type !== type) return;
      expect(up.downlink).toMatchObject({
        fPort: 1,
        fCnt: 3,
        confirmed: true,
        priority: 'NORMAL',
        correlationIDs: ['tts-aws-iot:downlink:1'],
      });
    },
  );

  it('reads a downlink failure and finds f_cnt_too_low among its causes', () => {
    const up = parseApplicationUp({
      end_device_ids: ids,
      downlink_failed: {
        downlink: {
          f_port: 1,
          f_cnt: 2,
          frm_payload: 'AQ==',
          session_key_id: 'AYpZ2oDPE0rYOBmhqrUpuQ==',
        },
        error: {
          namespace: 'pkg/applicationserver',
          name: 'downlink',
          code: 3,
          cause: {
            namespace: 'pkg/networkserver',
            name: 'f_cnt_too_low',
            attributes: { f_cnt: 2, min_f_cnt: 9 },
            code: 3,
          },
        },
      },
    });
    if (up.type !== 'downlink_failed') throw new Error(up.type);
    expect(findErrorDetails(up.error, 'f_cnt_too_low')?.attributes).toEqual({
      f_cnt: 2,
      min_f_cnt: 9,
    });
    expect(findErrorDetails(up.error, 'unknown_session')).toBeUndefined();
  });

  it('reads a solved location and service data', () => {
    const location = parseApplicationUp({
      end_device_ids: ids,
      location_solved: {
        service: 'lora-cloud',
        location: {
          latitude: 52.1,
          longitude: 4.3,
          altitude: 2,
          accuracy: 20,
          source: 'SOURCE_GPS',
        },
      },
    });
    if (location.type !== 'location_solved') throw new Error(location.type);
    expect(location.location.location).toEqual({
      latitude: 52.1,
      longitude: 4.3,
      altitude: 2,
      accuracy: 20,
      source: 'SOURCE_GPS',
    });
    const service = parseApplicationUp({
      end_device_ids: ids,
      service_data: { service: 'lora-cloud', data: { a: 1 } },
    });
    if (service.type !== 'service_data') throw new Error(service.type);
    expect(service.serviceData).toEqual({ service: 'lora-cloud', data: { a: 1 } });
  });

  it('reads the JSON text form as well', () => {
    expect(parseApplicationUp(JSON.stringify(uplink)).type).toBe('uplink_message');
  });

  it.each(['downlink_queue_invalidated', 'uplink_normalized', 'some_future_message'])(
    'marks %s as unsupported instead of failing',
    (field) => {
      const up = parseApplicationUp({ end_device_ids: ids, [field]: { downlinks: [] } });
      expect(up).toMatchObject({ type: 'unsupported', field });
    },
  );

  // Each malformed message is refused with its own code and the field at fault.
  it.each<[string, unknown, string, string | undefined]>([
    ['text that is not JSON', '{"end_device_ids":', 'invalid_message', undefined],
    ['an array', [uplink], 'invalid_message', undefined],
    ['null', null, 'invalid_message', undefined],
    ['no end_device_ids', { uplink_message: {} }, 'missing_field', 'end_device_ids'],
    [
      'end_device_ids as a string',
      { end_device_ids: 'x', uplink_message: {} },
      'invalid_field',
      'end_device_ids',
    ],
    [
      'no device_id',
      { end_device_ids: { application_ids: ids.application_ids }, uplink_message: {} },
      'missing_field',
      'end_device_ids.device_id',
    ],
    [
      'an uppercase device_id',
      { end_device_ids: { ...ids, device_id: 'Dev-1' }, uplink_message: {} },
      'invalid_field',
      'end_device_ids.device_id',
    ],
    [
      'no application_ids',
      { end_device_ids: { device_id: 'dev-1' }, uplink_message: {} },
      'missing_field',
      'end_device_ids.application_ids',
    ],
    [
      'an application_id with "/"',
      {
        end_device_ids: { ...ids, application_ids: { application_id: 'a/b' } },
        uplink_message: {},
      },
      'invalid_field',
      'end_device_ids.application_ids.application_id',
    ],
    [
      'a 15-digit dev_eui',
      { end_device_ids: { ...ids, dev_eui: '0004A30B001C053' }, uplink_message: {} },
      'invalid_field',
      'end_device_ids.dev_eui',
    ],
    [
      'a non-hex dev_addr',
      { end_device_ids: { ...ids, dev_addr: '260B1A2G' }, uplink_message: {} },
      'invalid_field',
      'end_device_ids.dev_addr',
    ],
    [
      'no message at all',
      { end_device_ids: ids, correlation_ids: [] },
      'no_message_type',
      undefined,
    ],
    [
      'two messages',
      { end_device_ids: ids, uplink_message: {}, join_accept: {} },
      'multiple_message_types',
      undefined,
    ],
    [
      'uplink_message as an array',
      { end_device_ids: ids, uplink_message: [] },
      'invalid_field',
      'uplink_message',
    ],
    [
      'f_cnt as a string',
      { end_device_ids: ids, uplink_message: { f_cnt: '7' } },
      'invalid_field',
      'uplink_message.f_cnt',
    ],
    [
      'f_cnt beyond 32 bits',
      { end_device_ids: ids, uplink_message: { f_cnt: 2 ** 32 } },
      'invalid_field',
      'uplink_message.f_cnt',
    ],
    [
      'a negative f_port',
      { end_device_ids: ids, uplink_message: { f_port: -1 } },
      'invalid_field',
      'uplink_message.f_port',
    ],
    [
      'frm_payload not base64',
      { end_device_ids: ids, uplink_message: { frm_payload: 'AQ!D' } },
      'invalid_field',
      'uplink_message.frm_payload',
    ],
    [
      'rx_metadata as an object',
      { end_device_ids: ids, uplink_message: { rx_metadata: {} } },
      'invalid_field',
      'uplink_message.rx_metadata',
    ],
    [
      'rx_metadata without gateway_ids',
      { end_device_ids: ids, uplink_message: { rx_metadata: [{ rssi: -1 }] } },
      'missing_field',
      'uplink_message.rx_metadata[0].gateway_ids',
    ],
    [
      'rssi as a string',
      {
        end_device_ids: ids,
        uplink_message: { rx_metadata: [{ gateway_ids: { gateway_id: 'g1' }, rssi: '-1' }] },
      },
      'invalid_field',
      'uplink_message.rx_metadata[0].rssi',
    ],
    [
      'app_s_key without kek_label',
      {
        end_device_ids: ids,
        uplink_message: { app_s_key: { encrypted_key: 'H6aLCoEStEeu80vY+1p7gp0+hiNx0s/l' } },
      },
      'invalid_field',
      'uplink_message.app_s_key.kek_label',
    ],
    [
      'app_s_key of the wrong length',
      {
        end_device_ids: ids,
        join_accept: { app_s_key: { encrypted_key: 'AQID', kek_label: 'k' } },
      },
      'invalid_field',
      'join_accept.app_s_key.encrypted_key',
    ],
    [
      'correlation_ids with a number',
      { end_device_ids: ids, correlation_ids: [1], uplink_message: {} },
      'invalid_field',
      'correlation_ids',
    ],
    [
      'downlink_failed without error',
      { end_device_ids: ids, downlink_failed: { downlink: {} } },
      'missing_field',
      'downlink_failed.error',
    ],
    [
      'location_solved without location',
      { end_device_ids: ids, location_solved: { service: 'x' } },
      'missing_field',
      'location_solved.location',
    ],
    [
      'a latitude of 91',
      { end_device_ids: ids, location_solved: { location: { latitude: 91, longitude: 0 } } },
      'invalid_field',
      'location_solved.location.latitude',
    ],
    [
      'simulated as a string',
      { end_device_ids: ids, simulated: 'yes', uplink_message: {} },
      'invalid_field',
      'simulated',
    ],
    // TTS omits empty strings, so an empty device_id is a missing one; an empty string where
    // an object belongs, or a null reception, is wrong rather than absent.
    [
      'an empty device_id',
      { end_device_ids: { ...ids, device_id: '' }, uplink_message: {} },
      'missing_field',
      'end_device_ids.device_id',
    ],
    [
      'end_device_ids as an empty string',
      { end_device_ids: '', uplink_message: {} },
      'invalid_field',
      'end_device_ids',
    ],
    [
      'a null reception',
      { end_device_ids: ids, uplink_message: { rx_metadata: [null] } },
      'invalid_field',
      'uplink_message.rx_metadata[0]',
    ],
    [
      'channel_rssi as a string when there is no rssi',
      {
        end_device_ids: ids,
        uplink_message: { rx_metadata: [{ gateway_ids: { gateway_id: 'g1' }, channel_rssi: 'x' }] },
      },
      'invalid_field',
      'uplink_message.rx_metadata[0].channel_rssi',
    ],
    [
      'a cause with a bad code',
      {
        end_device_ids: ids,
        downlink_failed: { downlink: {}, error: { cause: { cause: { code: -3 } } } },
      },
      'invalid_field',
      'downlink_failed.error.cause.cause.code',
    ],
  ])('refuses %s', (_label, message, code, field) => {
    let thrown: unknown;
    try {
      parseApplicationUp(message);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(TtsMessageError);
    expect((thrown as TtsMessageError).code).toBe(code);
    expect((thrown as TtsMessageError).attributes['field']).toBe(field);
  });

  it('says in its message where the field is, what it holds and what it should be', () => {
    expect(() =>
      parseApplicationUp({ end_device_ids: ids, uplink_message: { f_port: 300 } }),
    ).toThrow(
      'Invalid TTS message: uplink_message.f_port is 300; expected a whole number from 0 to 255.',
    );
    expect(() => parseApplicationUp({ end_device_ids: ids, location_solved: {} })).toThrow(
      'Invalid TTS message: location_solved.location is missing.',
    );
  });

  it('reads channel_rssi only when rssi is absent, as TTS may send either', () => {
    const up = parseApplicationUp({
      end_device_ids: ids,
      uplink_message: {
        rx_metadata: [{ gateway_ids: { gateway_id: 'g1' }, rssi: -80, channel_rssi: 'x' }],
      },
    });
    if (up.type !== 'uplink_message') throw new Error(up.type);
    expect(up.uplink.rxMetadata[0]?.rssi).toBe(-80);
  });

  it('reads eight causes deep and leaves deeper ones out', () => {
    let error: Record<string, unknown> = { name: 'level-10' };
    for (let level = 9; level >= 0; level--) error = { name: `level-${level}`, cause: error };
    const up = parseApplicationUp({
      end_device_ids: ids,
      downlink_failed: { downlink: {}, error },
    });
    if (up.type !== 'downlink_failed') throw new Error(up.type);
    expect(findErrorDetails(up.error, 'level-8')?.cause).toBeUndefined();
    expect(findErrorDetails(up.error, 'level-9')).toBeUndefined();
  });

  it('never quotes a plaintext key in its errors', () => {
    const key = '2B7E151628AED2A6ABF7158809CF4F3C';
    for (const appSKey of [{ key: key.slice(2) }, { key, kek_label: 'x' }, { key: `${key}00` }]) {
      try {
        parseApplicationUp({ end_device_ids: ids, join_accept: { app_s_key: appSKey } });
        throw new Error('accepted');
      } catch (error) {
        expect(error).toBeInstanceOf(TtsMessageError);
        expect(
          JSON.stringify({ m: (error as Error).message, a: (error as TtsMessageError).attributes }),
        ).not.toContain(key.slice(2, 20));
      }
    }
  });

  it('only ever throws its own errors, whatever the input', () => {
    const arbitraryMessage = fc.oneof(
      fc.anything(),
      fc.record({
        end_device_ids: fc.oneof(fc.constant(ids), fc.anything()),
        uplink_message: fc.anything(),
      }),
      fc.record({
        end_device_ids: fc.constant(ids),
        uplink_message: fc.dictionary(
          fc.constantFrom(
            'f_cnt',
            'f_port',
            'frm_payload',
            'rx_metadata',
            'app_s_key',
            'session_key_id',
          ),
          fc.anything(),
        ),
      }),
      fc.record({
        end_device_ids: fc.constant(ids),
        downlink_failed: fc.record({ downlink: fc.anything(), error: fc.anything() }),
      }),
    );
    fc.assert(
      fc.property(arbitraryMessage, (message) => {
        try {
          parseApplicationUp(message);
        } catch (error) {
          if (!(error instanceof TtsError)) throw error;
        }
      }),
      { numRuns: 500 },
    );
  });
});
