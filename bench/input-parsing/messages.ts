/**
 * The inputs of `npm run bench input-parsing`: TTS uplinks in the shape TTS publishes with
 * `format: json` and skip payload crypto (docs/tts.md "Upstream messages"), downlink requests
 * as applications publish them, and single-fault variants of both that every parser must
 * refuse alike (the same code, and for TTS messages the same field).
 */

type Json = Record<string, unknown>;

const GATEWAYS = ['eu1-gw-rooftop', 'eu1-gw-basement', 'packetbroker'];

function reception(gateway: number, index: number): Json {
  const gatewayID = GATEWAYS[gateway % GATEWAYS.length] ?? 'gw';
  return {
    gateway_ids:
      gatewayID === 'packetbroker'
        ? { gateway_id: gatewayID }
        : { gateway_id: gatewayID, eui: `B827EBFFFE00${String(gateway).padStart(4, '0')}` },
    time: '2025-03-14T09:26:53.589Z',
    timestamp: 1_823_000_000 + index,
    rssi: -60 - ((index * 7 + gateway * 13) % 60),
    channel_rssi: -60 - ((index * 7 + gateway * 13) % 60),
    snr: ((index + gateway) % 20) - 7.5,
    location: { latitude: 52.37, longitude: 4.89, altitude: 12, source: 'SOURCE_REGISTRY' },
    uplink_token: 'ChsKGQoNZXUxLWd3LXJvb2Z0b3ASCLgn6//+AAAB',
    channel_index: index % 8,
    received_at: '2025-03-14T09:26:53.601Z',
  };
}

/** Uplink `index` of 100 devices: 20 payload bytes, one to three gateways, the AppSKey wrapped. */
export function uplinkMessage(index: number): Json {
  const device = index % 100;
  const devEUI = `70B3D57ED005${device.toString(16).toUpperCase().padStart(4, '0')}`;
  const gateways = 1 + (index % 3);
  return {
    end_device_ids: {
      device_id: `sensor-${device}`,
      application_ids: { application_id: 'city-air-quality' },
      dev_eui: devEUI,
      join_eui: '0000000000000001',
      dev_addr: `2601${device.toString(16).toUpperCase().padStart(4, '0')}`,
    },
    correlation_ids: [
      `as:up:01JPA3${index}`,
      `gs:conn:01JP9Z${device}`,
      `gs:uplink:01JPA3${index}`,
      `ns:uplink:01JPA3${index}`,
      `rpc:/ttn.lorawan.v3.GsNs/HandleUplink:01JPA3${index}`,
    ],
    received_at: '2025-03-14T09:26:53.812345678Z',
    uplink_message: {
      session_key_id: 'AZWaK7TQe5g2n8U1xIxO0A==',
      f_port: 1 + (index % 4),
      f_cnt: 1_000 + index,
      frm_payload: Buffer.alloc(20, index % 256).toString('base64'),
      rx_metadata: Array.from({ length: gateways }, (_, gateway) => reception(gateway, index)),
      settings: {
        data_rate: {
          lora: { bandwidth: 125_000, spreading_factor: 7 + (index % 6), coding_rate: '4/5' },
        },
        frequency: '867500000',
        timestamp: 1_823_000_000 + index,
      },
      received_at: '2025-03-14T09:26:53.640Z',
      app_s_key: {
        encrypted_key: Buffer.alloc(24, device).toString('base64'),
        kek_label: 'kek-2025-03',
      },
      last_a_f_cnt_down: 17,
      confirmed: false,
      consumed_airtime: '0.056576s',
      version_ids: {
        brand_id: 'example',
        model_id: 'aq-sensor',
        hardware_version: '1.0',
        firmware_version: '2.1',
        band_id: 'EU_863_870',
      },
      network_ids: {
        net_id: '000013',
        ns_id: 'EC656E0000000101',
        tenant_id: 'city',
        cluster_id: 'eu1',
        cluster_address: 'eu1.cloud.thethings.industries',
      },
    },
  };
}

/** A copy of `message` with the value at `path` replaced (`undefined`: removed). */
export function changed(message: Json, path: readonly (string | number)[], value: unknown): Json {
  const copy = structuredClone(message);
  let parent: unknown = copy;
  for (const key of path.slice(0, -1)) parent = (parent as Record<string | number, unknown>)[key];
  const last = path[path.length - 1] ?? '';
  if (value === undefined) delete (parent as Record<string | number, unknown>)[last];
  else (parent as Record<string | number, unknown>)[last] = value;
  return copy;
}

/** The uplink the single faults are made of. */
export const up = uplinkMessage(7);

/** Uplinks the parsers must read alike: TTS's omitted zero values, nulls and empty strings. */
export const SPARSE_UPLINKS: readonly Json[] = [
  up,
  {
    end_device_ids: { device_id: 'abp-1', application_ids: { application_id: 'app' } },
    uplink_message: {},
  },
  changed(
    changed(
      changed(up, ['uplink_message', 'f_port'], null),
      ['uplink_message', 'session_key_id'],
      '',
    ),
    ['end_device_ids', 'dev_eui'],
    'abcdef0123456789',
  ),
  changed(
    changed(up, ['uplink_message', 'rx_metadata', 0, 'rssi'], undefined),
    ['uplink_message', 'app_s_key'],
    null,
  ),
  changed(changed(up, ['correlation_ids'], null), ['simulated'], true),
  changed(up, ['uplink_message', 'decoded_payload'], { pm25: 12.5 }),
];

/** Single faults, each with the error code and field of the hand parser. */
export const BAD_UPLINKS: readonly {
  readonly input: unknown;
  readonly code: string;
  readonly field?: string;
}[] = [
  { input: '{"end_device_ids":', code: 'invalid_message' },
  { input: [up], code: 'invalid_message' },
  {
    input: changed(up, ['end_device_ids'], undefined),
    code: 'missing_field',
    field: 'end_device_ids',
  },
  { input: changed(up, ['end_device_ids'], []), code: 'invalid_field', field: 'end_device_ids' },
  {
    input: changed(up, ['end_device_ids', 'device_id'], 'Sensor_7'),
    code: 'invalid_field',
    field: 'end_device_ids.device_id',
  },
  {
    input: changed(up, ['end_device_ids', 'application_ids', 'application_id'], ''),
    code: 'missing_field',
    field: 'end_device_ids.application_ids.application_id',
  },
  {
    input: changed(up, ['end_device_ids', 'dev_eui'], '70B3D57E'),
    code: 'invalid_field',
    field: 'end_device_ids.dev_eui',
  },
  {
    input: changed(up, ['end_device_ids', 'dev_addr'], 42),
    code: 'invalid_field',
    field: 'end_device_ids.dev_addr',
  },
  {
    input: changed(up, ['correlation_ids'], ['as:up:1', 5]),
    code: 'invalid_field',
    field: 'correlation_ids',
  },
  { input: changed(up, ['simulated'], 'yes'), code: 'invalid_field', field: 'simulated' },
  {
    input: changed(up, ['join_accept'], { session_key_id: 'AQ==' }),
    code: 'multiple_message_types',
  },
  {
    input: changed(up, ['uplink_message', 'session_key_id'], 'AZWaK7TQe5g2n8U1xIxO0A'),
    code: 'invalid_field',
    field: 'uplink_message.session_key_id',
  },
  {
    input: changed(up, ['uplink_message', 'f_port'], 300),
    code: 'invalid_field',
    field: 'uplink_message.f_port',
  },
  {
    input: changed(up, ['uplink_message', 'f_cnt'], -1),
    code: 'invalid_field',
    field: 'uplink_message.f_cnt',
  },
  {
    input: changed(up, ['uplink_message', 'frm_payload'], 'not base64!'),
    code: 'invalid_field',
    field: 'uplink_message.frm_payload',
  },
  {
    input: changed(up, ['uplink_message', 'decoded_payload'], [1]),
    code: 'invalid_field',
    field: 'uplink_message.decoded_payload',
  },
  {
    input: changed(up, ['uplink_message', 'rx_metadata'], {}),
    code: 'invalid_field',
    field: 'uplink_message.rx_metadata',
  },
  {
    input: changed(up, ['uplink_message', 'rx_metadata', 0, 'gateway_ids'], undefined),
    code: 'missing_field',
    field: 'uplink_message.rx_metadata[0].gateway_ids',
  },
  {
    input: changed(up, ['uplink_message', 'rx_metadata', 1, 'snr'], 'high'),
    code: 'invalid_field',
    field: 'uplink_message.rx_metadata[1].snr',
  },
  {
    input: changed(up, ['uplink_message', 'app_s_key', 'encrypted_key'], 'AAAA'),
    code: 'invalid_field',
    field: 'uplink_message.app_s_key.encrypted_key',
  },
  {
    input: changed(up, ['uplink_message', 'app_s_key'], 'secret'),
    code: 'invalid_field',
    field: 'uplink_message.app_s_key',
  },
  {
    input: changed(up, ['uplink_message', 'last_a_f_cnt_down'], 1.5),
    code: 'invalid_field',
    field: 'uplink_message.last_a_f_cnt_down',
  },
];

/** The refusal measured: a fault deep in the message, where every parser has read most of it. */
export const REFUSED_UPLINK = changed(up, ['uplink_message', 'rx_metadata', 1, 'snr'], 'high');

/** A downlink request with E2E: the FRMPayload as bytes. */
export function downlinkRequest(index: number): Json {
  return {
    thingName: `70B3D57ED005${(index % 100).toString(16).toUpperCase().padStart(4, '0')}`,
    bytes: Buffer.from([1, index % 256, 0, 60]).toString('base64'),
    fPort: 15,
    confirmed: index % 2 === 0,
  };
}

const down = downlinkRequest(3);

/** Requests the parsers must read alike. */
export const GOOD_DOWNLINKS: readonly Json[] = [
  down,
  { thingName: 'lamp-3', bytes: 'AQI=', fPort: null, highPriority: true, operation: 'replace' },
  { thingName: 'lamp-3', bytes: '', confirmed: null, operation: null },
];

/** Single faults of a request with E2E (payload JSON refused), each with the hand parser's code. */
export const BAD_DOWNLINKS: readonly { readonly input: unknown; readonly code: string }[] = [
  { input: 'thingName=lamp', code: 'invalid_request' },
  { input: changed(down, ['thingName'], undefined), code: 'missing_thing_name' },
  { input: changed(down, ['thingName'], 'lamp 3'), code: 'invalid_thing_name' },
  { input: changed(down, ['bytes'], undefined), code: 'missing_payload' },
  { input: changed(down, ['payload'], { on: true }), code: 'ambiguous_payload' },
  { input: changed(down, ['bytes'], 'AQI'), code: 'invalid_bytes' },
  { input: changed(down, ['bytes'], 'AQJ='), code: 'invalid_bytes' },
  {
    input: changed(down, ['bytes'], Buffer.alloc(243).toString('base64')),
    code: 'payload_too_large',
  },
  {
    input: changed(changed(down, ['bytes'], undefined), ['payload'], { on: true }),
    code: 'payload_not_supported_with_e2e',
  },
  {
    input: changed(changed(down, ['bytes'], undefined), ['payload'], [1]),
    code: 'invalid_payload',
  },
  { input: changed(down, ['fPort'], 0), code: 'invalid_f_port' },
  { input: changed(down, ['fPort'], 224), code: 'invalid_f_port' },
  { input: changed(down, ['confirmed'], 'yes'), code: 'invalid_confirmed' },
  { input: changed(down, ['highPriority'], 1), code: 'invalid_high_priority' },
  { input: changed(down, ['operation'], 'append'), code: 'invalid_operation' },
];

/** A request of each kind with every field the parsers read, for the probes. */
export const PROBED_DOWNLINKS: readonly Json[] = [
  {
    thingName: 'lamp-3',
    bytes: 'AQI=',
    payload: null,
    fPort: 15,
    confirmed: true,
    highPriority: false,
    operation: 'push',
  },
  {
    thingName: 'lamp-3',
    bytes: null,
    payload: { on: true, level: 3 },
    fPort: 2,
    confirmed: false,
    highPriority: true,
    operation: 'replace',
  },
];

/** Values at the edges of the request's rules, probed besides the shared ones. */
export const DOWNLINK_PROBES: readonly unknown[] = [
  0,
  223,
  224,
  false,
  'push',
  'replace',
  'AQJ=',
  'lamp 3',
  'a'.repeat(129),
  Buffer.alloc(242).toString('base64'),
  Buffer.alloc(243).toString('base64'),
];

/** The refusal measured for requests. */
export const REFUSED_DOWNLINK = changed(down, ['fPort'], 224);

const ids = up['end_device_ids'];
const downlink = {
  session_key_id: 'AZWaK7TQe5g2n8U1xIxO0A==',
  f_port: 15,
  f_cnt: 42,
  frm_payload: 'AQIDBA==',
  confirmed: true,
  priority: 'NORMAL',
  correlation_ids: ['tts-aws-iot:downlink:7'],
};

/** One message of every other type the production parser reads (the zod mini schema reads uplinks only). */
export const OTHER_MESSAGES: readonly Json[] = [
  {
    end_device_ids: ids,
    join_accept: {
      session_key_id: 'AZWaK7TQe5g2n8U1xIxO0A==',
      app_s_key: { key: '2B7E151628AED2A6ABF7158809CF4F3C' },
      received_at: '2025-03-14T09:26:53.640Z',
    },
  },
  ...['downlink_queued', 'downlink_sent', 'downlink_ack', 'downlink_nack'].map((type) => ({
    end_device_ids: ids,
    [type]: downlink,
  })),
  {
    end_device_ids: ids,
    downlink_failed: {
      downlink,
      error: {
        namespace: 'pkg/applicationserver',
        name: 'downlink',
        code: 3,
        cause: { namespace: 'pkg/networkserver', name: 'f_cnt_too_low', attributes: { f_cnt: 2 } },
      },
    },
  },
  {
    end_device_ids: ids,
    location_solved: {
      service: 'lora-cloud',
      location: { latitude: 52.1, longitude: 4.3, altitude: 2, source: 'SOURCE_GPS' },
    },
  },
  { end_device_ids: ids, service_data: { service: 'lora-cloud', data: { a: 1 } } },
  { end_device_ids: ids, downlink_queue_invalidated: { downlinks: [] } },
];

/**
 * Every field the production parser reads, in each message, given each of these values in
 * turn: single faults (and some good values) on which the hand parser and the production parser
 * must agree, to the code and field of a refusal and to the output of an acceptance.
 */
const PROBES: readonly unknown[] = [
  undefined,
  null,
  '',
  'x',
  'AQ==',
  'AbCdEf0123456789',
  -1,
  1.5,
  91,
  2 ** 32,
  true,
  [],
  ['a'],
  [1],
  {},
];
export const PROBE_COUNT = PROBES.length;

/** The paths of every value in `value` (objects and arrays walked, up to a depth). */
function pathsOf(value: unknown, path: readonly (string | number)[] = []): (string | number)[][] {
  if (path.length > 5 || typeof value !== 'object' || value === null) return [];
  const entries = Array.isArray(value)
    ? value.map((item, i) => [i, item] as const)
    : Object.entries(value as Json);
  return entries.flatMap(([key, item]) => [[...path, key], ...pathsOf(item, [...path, key])]);
}

/** Each message with each of its fields replaced by each probe (and each of `more`). */
export function probedMessages(messages: readonly Json[], more: readonly unknown[] = []): Json[] {
  return messages.flatMap((message) =>
    pathsOf(message).flatMap((path) =>
      [...PROBES, ...more]
        // JSON has no holes in arrays.
        .filter((probe) => probe !== undefined || typeof path[path.length - 1] !== 'number')
        .map((probe) => changed(message, path, probe)),
    ),
  );
}
