/**
 * Every downlink encoder example of the Device Repository codec corpus (`device-repository/`
 * of the workspace's reference material) through HandleDownlink with end-to-end encryption:
 * the example's `data` as a request's decoded payload, encoded with the device's
 * FORMATTER_REPOSITORY codec (resolved from its version_ids through the TTS stand-in's Device
 * Repository), encrypted at a reserved counter and pushed. The pushed frame decrypts to the
 * repository's expected bytes on its FPort; expected `errors` come back on the thing's
 * `downlink/failed` topic. Examples whose input has fields TTS never passes to an encoder
 * (`input.command`) get the codec's own answer to what TTS passes: a refusal.
 */
import { formatterWorld, readCorpus, type CorpusCodec } from '@tts-aws-iot/formatter-test-kit';
import { describeWithSharedReference } from '@tts-aws-iot/test-kit';

import { handleDownlink, type DownlinkDependencies } from '../src/downlink';
import { decryptPushed, setup, THING } from './fixtures';

const DEVICE_ID = 'eui-0004a30b001c0530';
const PUSH_TOPIC = 'thethings/lorawan/tts-stack/downlink/push';
type Ports = Omit<Awaited<ReturnType<typeof setup>>, 'deps'> & { deps: DownlinkDependencies };
type Push = { downlinks: { f_port: number; f_cnt: number; frm_payload: string }[] };
type Failed = { downlink_failed: { error: { name: string; message_format: string } } };

describeWithSharedReference(
  'Device Repository corpus through HandleDownlink with E2E',
  'device-repository',
  (folder) => {
    const world = formatterWorld('my-app');
    beforeAll(() => world.start());
    afterAll(() => world.stop());

    const cases = readCorpus(folder).flatMap((codec) =>
      codec.downlinkEncoder.map((example) => ({
        codec,
        example,
        withinContract: Object.keys(example.input).every(
          (key) => key === 'data' || key === 'fPort',
        ),
      })),
    );

    it('has downlink encoder examples to run', () => {
      expect(cases.filter((item) => item.withinContract).length).toBeGreaterThan(0);
    });

    let current: { codec: CorpusCodec; ports: Ports } | undefined;
    /** One container per codec: its device's formatters are looked up once. */
    async function portsFor(codec: CorpusCodec): Promise<Ports> {
      if (current?.codec === codec) return current.ports;
      world.reset();
      world.setRepositoryDevice(DEVICE_ID, codec);
      const ports = await setup();
      current = {
        codec,
        ports: { ...ports, deps: { ...ports.deps, formatting: world.formatting() } },
      };
      return current.ports;
    }

    it.each(cases)(
      '$codec.name: $example.description',
      async ({ codec, example, withinContract }) => {
        const ports = await portsFor(codec);
        const { fPort } = example.input;
        const pushes = ports.publisher.on(PUSH_TOPIC).length;
        const outcome = await handleDownlink(
          {
            thingName: THING,
            payload: example.input.data,
            ...(fPort === undefined ? {} : { fPort }),
          },
          ports.deps,
        );
        const { bytes, errors = [] } = example.output;
        if (!withinContract || errors.length > 0) {
          expect(outcome).toMatchObject({ status: 'rejected', code: 'output_errors' });
          const [answer] = ports.publisher
            .on(`lorawan/${THING}/downlink/failed`)
            .slice(-1) as Failed[];
          if (withinContract)
            expect(answer?.downlink_failed.error.message_format).toContain(errors.join(', '));
          expect(ports.publisher.on(PUSH_TOPIC)).toHaveLength(pushes);
          return;
        }
        expect(outcome).toMatchObject({ status: 'pushed' });
        const [push] = ports.publisher.on(PUSH_TOPIC).slice(-1) as Push[];
        const downlink = push!.downlinks[0]!;
        expect(downlink.f_port).toBe(example.output.fPort);
        const plaintext = decryptPushed(downlink);
        expect(Buffer.from(plaintext).toString('hex')).toBe(bytes);
      },
    );
  },
);
