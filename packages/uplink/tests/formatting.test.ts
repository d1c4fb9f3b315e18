/**
 * Payload formatters under end-to-end encryption: after decrypting, HandleUplink decodes the
 * payload with the device's formatter as the Application Server would, read through the TTS
 * client from the TTS stand-in and run in the formatter engine's sandbox.
 */
import type { IntegrationConfig } from '@tts-aws-iot/integration';
import { formatterWorld } from '@tts-aws-iot/formatter-test-kit';
import { repositoryKey } from '@tts-aws-iot/tts-sim';

import { handleUplink } from '../src/uplink';
import { DEV_EUI, e2eUplink, endDeviceIds, plainUplink, setup } from './fixtures';

const DECODER = `function decodeUplink(input) {
  if (input.bytes.length < 2) return { errors: ['too short'] };
  return { data: { temperature: (input.bytes[0] << 8 | input.bytes[1]) / 10, port: input.fPort },
           warnings: input.bytes[0] > 0 ? ['high byte set'] : [] };
}
function normalizeUplink(input) {
  return { data: { air: { temperature: input.data.temperature } } };
}`;

const world = formatterWorld('my-app');
beforeAll(() => world.start());
afterAll(() => world.stop());
beforeEach(() => world.reset());

/** The in-memory traffic ports, with formatting over the stand-in when E2E is on. */
function traffic(overrides: Partial<IntegrationConfig> = {}) {
  const ports = setup(overrides);
  const e2e = overrides.e2eEnabled ?? true;
  return { ...ports, deps: { ...ports.deps, ...(e2e ? { formatting: world.formatting() } : {}) } };
}

function setDeviceFormatters(
  formatters?: Record<string, unknown>,
  versionIDs?: Record<string, unknown>,
) {
  world.setDeviceFormatters(endDeviceIds.device_id, formatters as never, versionIDs as never);
}

type Message = {
  uplink_message: {
    frm_payload?: string;
    decoded_payload?: Record<string, unknown>;
    decoded_payload_warnings?: string[];
    normalized_payload?: unknown[];
  };
  decode_failure?: unknown;
};

function uplinkOn(ports: ReturnType<typeof traffic>): Message[] {
  return ports.publisher.on(`lorawan/${DEV_EUI}/uplink`) as Message[];
}

describe('handleUplink with E2E: decoding with the device formatter', () => {
  it('puts decoded_payload, its warnings and normalized_payload where TTS puts them, and the payload in the shadow', async () => {
    setDeviceFormatters({ up_formatter: 'FORMATTER_JAVASCRIPT', up_formatter_parameter: DECODER });
    const ports = traffic();
    await handleUplink(e2eUplink(Uint8Array.of(0x01, 0x0b)), ports.deps);
    const [message] = uplinkOn(ports);
    expect(message?.uplink_message).toMatchObject({
      frm_payload: 'AQs=',
      decoded_payload: { temperature: 26.7, port: 10 },
      decoded_payload_warnings: ['high byte set'],
      normalized_payload: [{ air: { temperature: 26.7 } }],
    });
    expect(message?.decode_failure).toBeUndefined();
    expect(ports.shadows.shadows.get(`${DEV_EUI}/lorawan`)?.reported).toMatchObject({
      payload: { temperature: 26.7, port: 10 },
    });
  });

  it('reads the formatters once per container: a steady-state uplink makes no TTS call', async () => {
    setDeviceFormatters({ up_formatter: 'FORMATTER_JAVASCRIPT', up_formatter_parameter: DECODER });
    const ports = traffic();
    await Promise.all([
      handleUplink(e2eUplink(Uint8Array.of(0, 1), 70_000), ports.deps),
      handleUplink(e2eUplink(Uint8Array.of(0, 2), 70_001), ports.deps),
    ]);
    const calls = world.sim.requests.length;
    await handleUplink(e2eUplink(Uint8Array.of(0, 3), 70_002), ports.deps);
    expect(world.sim.requests.length).toBe(calls);
    // Both concurrent uplinks shared one lookup: the device's formatters, once.
    expect(world.sim.requests.map((request) => `${request.method} ${request.path}`)).toEqual([
      `GET /as/applications/my-app/devices/eui-0004a30b001c0530`,
    ]);
    expect(uplinkOn(ports).map((m) => m.uplink_message.decoded_payload?.['temperature'])).toEqual([
      0.1, 0.2, 0.3,
    ]);
  });

  it("uses the application's default formatters when the device has none (CayenneLPP)", async () => {
    setDeviceFormatters(undefined);
    world.sim.state.links.set('my-app', {
      skip_payload_crypto: true,
      default_formatters: { up_formatter: 'FORMATTER_CAYENNELPP' },
    });
    const ports = traffic();
    await handleUplink(
      e2eUplink(Uint8Array.from(Buffer.from('03670110056700ff', 'hex'))),
      ports.deps,
    );
    expect(uplinkOn(ports)[0]?.uplink_message.decoded_payload).toEqual({
      temperature_3: 27.200000762939453,
      temperature_5: 25.5,
    });
  });

  it("uses the Device Repository's codec of the device's version_ids for FORMATTER_REPOSITORY", async () => {
    const model = {
      brand_id: 'example',
      model_id: 'windsensor',
      firmware_version: '1.0',
      band_id: 'EU_863_870',
    };
    setDeviceFormatters({ up_formatter: 'FORMATTER_REPOSITORY' }, model);
    world.sim.state.repository.set(
      repositoryKey(
        { brandID: 'example', modelID: 'windsensor', firmwareVersion: '1.0', bandID: 'EU_863_870' },
        'uplink/decoder',
      ),
      { formatter: 'FORMATTER_JAVASCRIPT', formatter_parameter: DECODER },
    );
    const ports = traffic();
    await handleUplink(e2eUplink(Uint8Array.of(0x00, 0xff)), ports.deps);
    expect(uplinkOn(ports)[0]?.uplink_message.decoded_payload).toEqual({
      temperature: 25.5,
      port: 10,
    });
  });

  it('republishes an uplink whose formatter fails, undecoded, with TTS decode failure and a metric', async () => {
    setDeviceFormatters({
      up_formatter: 'FORMATTER_JAVASCRIPT',
      up_formatter_parameter:
        'function decodeUplink(input) { throw new Error("bad frame " + input.bytes[0]); }',
    });
    const ports = traffic();
    await handleUplink(e2eUplink(Uint8Array.of(7, 7)), ports.deps);
    const [message] = uplinkOn(ports);
    expect(message?.uplink_message.frm_payload).toBe('Bwc=');
    expect(message?.uplink_message.decoded_payload).toBeUndefined();
    expect(message?.decode_failure).toMatchObject({
      name: 'as.up.data.decode.fail',
      data: { namespace: 'pkg/scripting/javascript', name: 'script' },
    });
    expect(JSON.stringify(message?.decode_failure)).toContain('bad frame 7');
    // The formatter's message may quote the decrypted payload: stated on the topic, not logged.
    expect(ports.logs).toContainEqual(
      expect.objectContaining({ attributes: expect.objectContaining({ error_name: 'script' }) }),
    );
    expect(JSON.stringify(ports.logs)).not.toContain('bad frame');
    expect(ports.metrics['UplinkDecodeFailures']).toBe(1);
    expect(ports.metrics['Uplinks']).toBe(1);
    expect(ports.shadows.shadows.get(`${DEV_EUI}/lorawan`)?.reported?.['payload']).toBeUndefined();
  });

  it("states the formatter's own errors, and decodes the next uplink it takes", async () => {
    setDeviceFormatters({ up_formatter: 'FORMATTER_JAVASCRIPT', up_formatter_parameter: DECODER });
    const ports = traffic();
    await handleUplink(e2eUplink(Uint8Array.of(1)), ports.deps);
    expect(uplinkOn(ports)[0]?.decode_failure).toMatchObject({
      data: { name: 'output_errors', attributes: { errors: 'too short' } },
    });
    await handleUplink(e2eUplink(Uint8Array.of(0, 9), 70_001), ports.deps);
    expect(uplinkOn(ports)[1]?.uplink_message.decoded_payload).toEqual({
      temperature: 0.9,
      port: 10,
    });
  });

  it('stops an endless formatter, reports the timeout, and leaves the next uplink unharmed', async () => {
    setDeviceFormatters({
      up_formatter: 'FORMATTER_JAVASCRIPT',
      up_formatter_parameter:
        'function decodeUplink(input) { if (input.bytes[0] === 1) { for (;;) {} } return { data: { ok: true } }; }',
    });
    const ports = traffic();
    await handleUplink(e2eUplink(Uint8Array.of(1)), ports.deps);
    await handleUplink(e2eUplink(Uint8Array.of(2), 70_001), ports.deps);
    const [looped, next] = uplinkOn(ports);
    expect(looped?.decode_failure).toMatchObject({ data: { name: 'script_timeout' } });
    expect(next?.uplink_message.decoded_payload).toEqual({ ok: true });
  });

  it('republishes undecoded, states and counts it when TTS cannot be asked, and asks again only after a minute', async () => {
    setDeviceFormatters({ up_formatter: 'FORMATTER_JAVASCRIPT', up_formatter_parameter: DECODER });
    world.sim.failNext({ pathPattern: '/as/applications/*/devices/*', status: 403, times: 1 });
    const ports = traffic();
    await handleUplink(e2eUplink(Uint8Array.of(0, 1)), ports.deps);
    await handleUplink(e2eUplink(Uint8Array.of(0, 2), 70_001), ports.deps);
    const [first, second] = uplinkOn(ports);
    expect(first?.decode_failure).toMatchObject({ data: { name: 'formatter_lookup_failed' } });
    expect(second?.decode_failure).toMatchObject({ data: { name: 'formatter_lookup_failed' } });
    expect(ports.metrics['FormatterLookupFailures']).toBe(2);
    expect(world.sim.requests).toHaveLength(1);
    world.advance(60_000);
    await handleUplink(e2eUplink(Uint8Array.of(0, 3), 70_002), ports.deps);
    expect(uplinkOn(ports)[2]?.uplink_message.decoded_payload).toEqual({
      temperature: 0.3,
      port: 10,
    });
  });

  it("leaves the uplink of a device without formatters (its own or the application's) as it is", async () => {
    setDeviceFormatters(undefined);
    const ports = traffic();
    await handleUplink(e2eUplink(Uint8Array.of(0, 1)), ports.deps);
    const [message] = uplinkOn(ports);
    expect(message?.uplink_message.decoded_payload).toBeUndefined();
    expect(message?.decode_failure).toBeUndefined();
  });
});

describe('handleUplink without E2E', () => {
  it("keeps TTS's decoded payload and asks TTS nothing", async () => {
    const ports = traffic({ e2eEnabled: false, kekSecretID: undefined });
    await handleUplink(plainUplink({ temperature: 21.5 }), ports.deps);
    expect(uplinkOn(ports)[0]?.uplink_message.decoded_payload).toEqual({ temperature: 21.5 });
    expect(world.sim.requests).toEqual([]);
  });
});
