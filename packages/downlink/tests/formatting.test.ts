/**
 * Decoded downlinks under end-to-end encryption: a request's `payload` is encoded with the
 * device's encoder (read through the TTS client from the TTS stand-in, run in the formatter
 * engine's sandbox), then encrypted at a reserved counter and pushed. `operation: replace`
 * goes to TTS's `downlink/replace`.
 */
import { formatterWorld } from '@tts-aws-iot/formatter-test-kit';

import { handleDownlink } from '../src/downlink';
import { decryptPushed, setup, THING } from './fixtures';

const DEVICE_ID = 'eui-0004a30b001c0530';
const PUSH_TOPIC = 'thethings/lorawan/tts-stack/downlink/push';
const REPLACE_TOPIC = 'thethings/lorawan/tts-stack/downlink/replace';
const FAILED_TOPIC = `lorawan/${THING}/downlink/failed`;
const ENCODER = `function encodeDownlink(input) {
  if (typeof input.data.level !== 'number') return { errors: ['level is required'] };
  return { bytes: [0x10, input.data.level], fPort: 7, warnings: [] };
}`;

type Downlink = { f_port: number; f_cnt: number; frm_payload: string; session_key_id: string };
type Push = { downlinks: Downlink[] };

const world = formatterWorld('my-app');
beforeAll(() => world.start());
afterAll(() => world.stop());
beforeEach(() => world.reset());

async function traffic() {
  const ports = await setup();
  return { ...ports, deps: { ...ports.deps, formatting: world.formatting() } };
}

const plaintextOf = decryptPushed;

describe('handleDownlink with E2E: decoded payloads', () => {
  it("encodes the payload with the device's encoder, on the encoder's FPort, and encrypts it", async () => {
    world.setDeviceFormatters(DEVICE_ID, {
      down_formatter: 'FORMATTER_JAVASCRIPT',
      down_formatter_parameter: ENCODER,
    });
    const ports = await traffic();
    const outcome = await handleDownlink({ thingName: THING, payload: { level: 3 } }, ports.deps);
    expect(outcome).toMatchObject({ status: 'pushed', fCnt: 5 });
    const [push] = ports.publisher.on(PUSH_TOPIC) as Push[];
    expect(push?.downlinks[0]).toMatchObject({ f_port: 7, f_cnt: 5 });
    expect(plaintextOf(push!.downlinks[0]!)).toEqual([0x10, 3]);
  });

  it("sends on the request's FPort when it sets one", async () => {
    world.setDeviceFormatters(DEVICE_ID, {
      down_formatter: 'FORMATTER_JAVASCRIPT',
      down_formatter_parameter: ENCODER,
    });
    const ports = await traffic();
    await handleDownlink({ thingName: THING, payload: { level: 9 }, fPort: 20 }, ports.deps);
    const [push] = ports.publisher.on(PUSH_TOPIC) as Push[];
    expect(push?.downlinks[0]?.f_port).toBe(20);
    expect(plaintextOf(push!.downlinks[0]!)).toEqual([0x10, 9]);
  });

  it('encodes CayenneLPP with the application default formatters', async () => {
    world.setDeviceFormatters(DEVICE_ID);
    world.sim.state.links.set('my-app', {
      default_formatters: { down_formatter: 'FORMATTER_CAYENNELPP' },
    });
    const ports = await traffic();
    await handleDownlink({ thingName: THING, payload: { value_2: -50.51 }, fPort: 3 }, ports.deps);
    const [push] = ports.publisher.on(PUSH_TOPIC) as Push[];
    expect(Buffer.from(plaintextOf(push!.downlinks[0]!)).toString('hex')).toBe('02ec45');
  });

  it("answers the encoder's errors on downlink/failed in TTS's shape, and uses no counter", async () => {
    world.setDeviceFormatters(DEVICE_ID, {
      down_formatter: 'FORMATTER_JAVASCRIPT',
      down_formatter_parameter: ENCODER,
    });
    const ports = await traffic();
    const outcome = await handleDownlink({ thingName: THING, payload: { led: true } }, ports.deps);
    expect(outcome).toMatchObject({ status: 'rejected', code: 'output_errors' });
    expect(ports.publisher.on(PUSH_TOPIC)).toEqual([]);
    expect(ports.publisher.on(FAILED_TOPIC)).toEqual([
      expect.objectContaining({
        thingName: THING,
        downlink_failed: {
          downlink: expect.objectContaining({ decoded_payload: { led: true } }),
          error: expect.objectContaining({
            namespace: 'pkg/messageprocessors/javascript',
            name: 'output_errors',
            message_format: expect.stringContaining('level is required'),
          }),
        },
      }),
    ]);
    expect(ports.metrics['DownlinkEncodeFailures']).toBe(1);
    expect(ports.shadows.reported(THING, 'lorawan')?.['fCntDown']).toBe(0);
  });

  it.each([
    ['returns errors quoting', "return { errors: ['bad code ' + input.data.code] };"],
    ['throws an error quoting', "throw new Error('bad code ' + input.data.code);"],
  ])(
    'keeps the plaintext out of the log when the encoder %s the payload (the thing’s topic has it)',
    async (_, body) => {
      world.setDeviceFormatters(DEVICE_ID, {
        down_formatter: 'FORMATTER_JAVASCRIPT',
        down_formatter_parameter: `function encodeDownlink(input) { ${body} }`,
      });
      const ports = await traffic();
      const secret = 'door-pin-4711';
      const outcome = await handleDownlink(
        { thingName: THING, payload: { code: secret } },
        ports.deps,
      );
      expect(outcome).toMatchObject({ status: 'rejected' });
      expect(JSON.stringify(ports.publisher.on(FAILED_TOPIC))).toContain(secret);
      expect(ports.logs).toContainEqual(
        expect.objectContaining({
          message: 'Downlink request rejected',
          attributes: expect.objectContaining({
            reason: expect.stringContaining("the device's downlink formatter failed"),
          }),
        }),
      );
      expect(JSON.stringify(ports.logs)).not.toContain(secret);
    },
  );

  it('stops an encoder that loops, answers the timeout, and encodes the next request', async () => {
    world.setDeviceFormatters(DEVICE_ID, {
      down_formatter: 'FORMATTER_JAVASCRIPT',
      down_formatter_parameter:
        'function encodeDownlink(input) { while (input.data.spin) {} return { bytes: [1] }; }',
    });
    const ports = await traffic();
    const looped = await handleDownlink({ thingName: THING, payload: { spin: true } }, ports.deps);
    expect(looped).toMatchObject({ status: 'rejected', code: 'script_timeout' });
    const next = await handleDownlink({ thingName: THING, payload: { spin: false } }, ports.deps);
    expect(next).toMatchObject({ status: 'pushed' });
  });

  it('refuses a payload for a device without a downlink formatter', async () => {
    world.setDeviceFormatters(DEVICE_ID);
    const ports = await traffic();
    const outcome = await handleDownlink({ thingName: THING, payload: { level: 1 } }, ports.deps);
    expect(outcome).toMatchObject({ status: 'rejected', code: 'no_downlink_formatter' });
  });
});

describe('handleDownlink: operation replace', () => {
  it("pushes to TTS's downlink/replace, at a newly reserved counter with E2E", async () => {
    const ports = await traffic();
    await handleDownlink({ thingName: THING, bytes: 'AQI=', fPort: 2 }, ports.deps, 'first');
    await handleDownlink(
      { thingName: THING, bytes: 'AwQ=', fPort: 2, operation: 'replace' },
      ports.deps,
      'second',
    );
    const [pushed] = ports.publisher.on(PUSH_TOPIC) as Push[];
    const [replaced] = ports.publisher.on(REPLACE_TOPIC) as Push[];
    expect(pushed?.downlinks[0]?.f_cnt).toBe(5);
    expect(replaced?.downlinks[0]?.f_cnt).toBe(6);
    expect(plaintextOf(replaced!.downlinks[0]!)).toEqual([3, 4]);
  });

  it('pushes to downlink/replace without E2E too', async () => {
    const ports = await setup({ e2eEnabled: false, kekSecretID: undefined });
    await handleDownlink({ thingName: THING, bytes: 'AQI=', operation: 'replace' }, ports.deps);
    expect(ports.publisher.on(REPLACE_TOPIC)).toHaveLength(1);
    expect(ports.publisher.on(PUSH_TOPIC)).toEqual([]);
  });
});
