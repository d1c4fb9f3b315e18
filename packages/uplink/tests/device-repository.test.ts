/**
 * Every uplink decoder example of the Device Repository codec corpus (`device-repository/`
 * of the workspace's reference material) through HandleUplink with end-to-end encryption:
 * encrypted as the device sends it, decrypted, and decoded with the device's
 * FORMATTER_REPOSITORY codec, resolved from its version_ids through the TTS stand-in's Device
 * Repository. Each republished uplink carries the repository's expected `data` and `warnings`
 * (and `normalizedOutput`), or, for expected `errors`, TTS's failed-decode details with them.
 */
import { formatterWorld, readCorpus, type CorpusCodec } from '@tts-aws-iot/formatter-test-kit';
import { describeWithSharedReference } from '@tts-aws-iot/test-kit';

import { handleUplink, type UplinkDependencies } from '../src/uplink';
import { DEV_EUI, e2eUplink, endDeviceIds, setup } from './fixtures';

type Ports = Omit<ReturnType<typeof setup>, 'deps'> & { deps: UplinkDependencies };
type Message = {
  uplink_message: Record<string, unknown>;
  decode_failure?: { data: { name: string; attributes?: Record<string, unknown> } };
};

describeWithSharedReference(
  'Device Repository corpus through HandleUplink with E2E',
  'device-repository',
  (folder) => {
    const world = formatterWorld('my-app');
    beforeAll(() => world.start());
    afterAll(() => world.stop());

    const codecs = readCorpus(folder);
    const cases = codecs.flatMap((codec) =>
      codec.uplinkDecoder.map((example, index) => ({ codec, example, index })),
    );

    it('has uplink examples to run', () => {
      expect(cases.length).toBeGreaterThan(0);
    });

    let current: { codec: CorpusCodec; ports: Ports } | undefined;
    /** One container per codec: its device's formatters are looked up once. */
    function portsFor(codec: CorpusCodec): Ports {
      if (current?.codec === codec) return current.ports;
      world.reset();
      world.setRepositoryDevice(endDeviceIds.device_id, codec);
      const ports = setup();
      current = {
        codec,
        ports: { ...ports, deps: { ...ports.deps, formatting: world.formatting() } },
      };
      return current.ports;
    }

    it.each(cases)('$codec.name: $example.description', async ({ codec, example, index }) => {
      const ports = portsFor(codec);
      const uplink = e2eUplink(Uint8Array.from(Buffer.from(example.bytes, 'hex')), 70_000 + index);
      uplink.uplink_message.f_port = example.fPort;
      await handleUplink(uplink, ports.deps);
      const message = ports.publisher.on(`lorawan/${DEV_EUI}/uplink`).at(-1) as Message;
      const { data, warnings = [], errors = [] } = example.output;
      if (errors.length > 0) {
        expect(message.uplink_message['decoded_payload']).toBeUndefined();
        expect(message.decode_failure?.data).toMatchObject({
          name: 'output_errors',
          attributes: { errors: errors.join(', ') },
        });
        return;
      }
      expect(message.decode_failure).toBeUndefined();
      expect(message.uplink_message['decoded_payload']).toEqual(data);
      expect(message.uplink_message['decoded_payload_warnings']).toEqual(
        warnings.length > 0 ? warnings : undefined,
      );
      if (example.normalizedOutput !== undefined) {
        const normalized = example.normalizedOutput.data;
        expect(message.uplink_message['normalized_payload']).toEqual(
          Array.isArray(normalized) ? normalized : [normalized],
        );
      }
    });
  },
);
