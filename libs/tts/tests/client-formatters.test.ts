/**
 * The TTS client's formatter reads (the device's formatters on the AS, the application's
 * default formatters on the AS link, the Device Repository's codecs) and the Device Repository
 * model it registers, against the TTS stand-in, which holds every request to TTS's OpenAPI
 * description.
 */
import { repositoryKey, startTtsSim, type TtsSim } from '@tts-aws-iot/tts-sim';
import { registerEndDevice, TtsClient, type EndDeviceVersionIDs } from '../src';

const IDS = {
  applicationID: 'app1',
  deviceID: 'eui-0004a30b001c0530',
  devEUI: '0004A30B001C0530',
  joinEUI: '70B3D57ED0000000',
};
const MODEL: EndDeviceVersionIDs = {
  brandID: 'example',
  modelID: 'windsensor',
  firmwareVersion: '1.0',
  hardwareVersion: '1.0',
  bandID: 'EU_863_870',
};
const SCRIPT = 'function decodeUplink(input) { return { data: { b: input.bytes[0] } }; }';

let sim: TtsSim;
let tts: TtsClient;

beforeAll(async () => {
  sim = await startTtsSim();
  tts = new TtsClient({
    baseURL: sim.url,
    apiKey: () => 'NNSXS.TTSSIM.DEFAULTKEY',
    maxAttempts: 1,
  });
});
afterAll(() => sim.close());
beforeEach(() => sim.reset());

describe('the device formatters on the Application Server', () => {
  it('reads FORMATTER_REPOSITORY and the model of a device registered with version_ids', async () => {
    await tts.setApplicationServerDevice({ ids: IDS, versionIDs: MODEL });
    await expect(tts.getApplicationServerFormatters(IDS)).resolves.toEqual({
      formatters: {
        up: { formatter: 'FORMATTER_REPOSITORY', parameter: '' },
        down: { formatter: 'FORMATTER_REPOSITORY', parameter: '' },
      },
      versionIDs: MODEL,
    });
    expect(sim.requests.at(-1)?.query).toEqual({ field_mask: 'formatters,version_ids' });
  });

  it('reads a JavaScript formatter with its script', async () => {
    await tts.setApplicationServerDevice({ ids: IDS });
    const key = `${IDS.applicationID}/${IDS.deviceID}`;
    sim.state.devices.as.get(key)!['formatters'] = {
      up_formatter: 'FORMATTER_JAVASCRIPT',
      up_formatter_parameter: SCRIPT,
    };
    const read = await tts.getApplicationServerFormatters(IDS);
    expect(read?.formatters?.up).toEqual({ formatter: 'FORMATTER_JAVASCRIPT', parameter: SCRIPT });
    // TTS omits the zero value: an absent down formatter is FORMATTER_NONE.
    expect(read?.formatters?.down).toEqual({ formatter: 'FORMATTER_NONE', parameter: '' });
  });

  it('says a device without formatters has none, and an unknown device is undefined', async () => {
    await tts.setApplicationServerDevice({ ids: IDS });
    await expect(tts.getApplicationServerFormatters(IDS)).resolves.toEqual({
      formatters: undefined,
      versionIDs: undefined,
    });
    await expect(
      tts.getApplicationServerFormatters({ ...IDS, deviceID: 'other-device' }),
    ).resolves.toBeUndefined();
  });
});

describe("the application's default formatters (AS link)", () => {
  it('reads default_formatters, and undefined without a link or without formatters', async () => {
    await expect(tts.getApplicationDefaultFormatters('app1')).resolves.toBeUndefined();
    await tts.setSkipPayloadCrypto('app1', true);
    await expect(tts.getApplicationDefaultFormatters('app1')).resolves.toBeUndefined();
    sim.state.links.get('app1')!['default_formatters'] = {
      up_formatter: 'FORMATTER_CAYENNELPP',
      down_formatter: 'FORMATTER_CAYENNELPP',
    };
    await expect(tts.getApplicationDefaultFormatters('app1')).resolves.toEqual({
      up: { formatter: 'FORMATTER_CAYENNELPP', parameter: '' },
      down: { formatter: 'FORMATTER_CAYENNELPP', parameter: '' },
    });
  });
});

describe('the Device Repository codecs', () => {
  it("reads each direction's codec of a model, undefined for a model the repository lacks", async () => {
    sim.state.repository.set(repositoryKey(MODEL, 'uplink/decoder'), {
      formatter: 'FORMATTER_JAVASCRIPT',
      formatter_parameter: SCRIPT,
      codec_id: 'windsensor',
    });
    await expect(tts.getRepositoryFormatter('app1', MODEL, 'uplink/decoder')).resolves.toEqual({
      formatter: 'FORMATTER_JAVASCRIPT',
      parameter: SCRIPT,
    });
    expect(sim.requests.at(-1)?.query).toEqual({
      'version_ids.hardware_version': '1.0',
      field_mask: 'formatter,formatter_parameter',
    });
    await expect(
      tts.getRepositoryFormatter('app1', MODEL, 'downlink/encoder'),
    ).resolves.toBeUndefined();
  });
});

describe('registering a Device Repository model', () => {
  it('writes version_ids on IS and NS, and version_ids with FORMATTER_REPOSITORY on AS', async () => {
    const address = new URL(sim.url).host;
    await tts.createEndDevice({
      ids: IDS,
      joinServerAddress: address,
      networkServerAddress: address,
      applicationServerAddress: address,
      versionIDs: MODEL,
    });
    await tts.setNetworkServerDevice({
      ids: IDS,
      lorawanVersion: 'MAC_V1_0_3',
      lorawanPhyVersion: 'PHY_V1_0_3_REV_A',
      frequencyPlanID: 'EU_863_870_TTN',
      versionIDs: MODEL,
    });
    const key = `${IDS.applicationID}/${IDS.deviceID}`;
    const written = {
      brand_id: 'example',
      model_id: 'windsensor',
      firmware_version: '1.0',
      hardware_version: '1.0',
      band_id: 'EU_863_870',
    };
    expect(sim.state.devices.is.get(key)?.['version_ids']).toEqual(written);
    expect(sim.state.devices.ns.get(key)?.['version_ids']).toEqual(written);
  });

  it('registers a device of a model everywhere, its AS formatters from the repository', async () => {
    await registerEndDevice(tts, {
      ids: IDS,
      serverAddress: new URL(sim.url).host,
      activation: { kind: 'keys', appKey: new Uint8Array(16).fill(7) },
      lorawanVersion: 'MAC_V1_0_3',
      lorawanPhyVersion: 'PHY_V1_0_3_REV_A',
      frequencyPlanID: 'EU_863_870_TTN',
      versionIDs: MODEL,
      marker: { key: 'aws-iot-stack', value: 'tts-prod' },
    });
    const key = `${IDS.applicationID}/${IDS.deviceID}`;
    expect(sim.state.devices.as.get(key)?.['formatters']).toEqual({
      up_formatter: 'FORMATTER_REPOSITORY',
      down_formatter: 'FORMATTER_REPOSITORY',
    });
    expect(sim.state.devices.is.get(key)?.['version_ids']).toMatchObject({ brand_id: 'example' });
  });
});
