/**
 * FormatterDirectory: which formatter applies to a device, as TTS's Application Server finds it,
 * and how the answers are cached (per device 15 minutes, repository codecs an hour, failures a
 * minute, concurrent lookups shared).
 */
import type {
  ApplicationServerFormatters,
  EndDeviceVersionIDs,
  MessagePayloadFormatters,
  PayloadFormatter,
} from '@tts-aws-iot/tts';
import { IntegrationError } from '../../src/errors';
import { FormatterDirectory, type FormatterReads } from '../../src/traffic/formatter-resolution';

const MODEL: EndDeviceVersionIDs = {
  brandID: 'acme',
  modelID: 'sensor',
  firmwareVersion: '1.0',
  bandID: 'EU_863_870',
};
const JS = (parameter: string): PayloadFormatter => ({
  formatter: 'FORMATTER_JAVASCRIPT',
  parameter,
});
const NONE: PayloadFormatter = { formatter: 'FORMATTER_NONE', parameter: '' };
const REPOSITORY: PayloadFormatter = { formatter: 'FORMATTER_REPOSITORY', parameter: '' };

/** TTS as far as the directory reads it, counting the calls. */
function tts(
  devices: Record<string, ApplicationServerFormatters>,
  link?: MessagePayloadFormatters,
  codecs: Record<string, PayloadFormatter> = {},
) {
  const calls: string[] = [];
  let failing = false;
  const reads: FormatterReads = {
    async getApplicationServerFormatters(ids) {
      calls.push(`device ${ids.deviceID}`);
      if (failing) throw new Error('TTS unreachable');
      return devices[ids.deviceID];
    },
    async getApplicationDefaultFormatters() {
      calls.push('link');
      return link;
    },
    async getRepositoryFormatter(_app, model, direction) {
      calls.push(`repository ${model.modelID} ${direction}`);
      return codecs[direction];
    },
  };
  return { reads, calls, fail: (value: boolean) => void (failing = value) };
}

function directory(reads: FormatterReads) {
  let now = 0;
  const formatters = new FormatterDirectory(reads, 'app1', { now: () => now });
  return { formatters, advance: (ms: number) => void (now += ms) };
}

describe('FormatterDirectory', () => {
  it("uses the device's own formatters both ways, else the application's", async () => {
    const world = tts(
      { own: { formatters: { up: JS('up'), down: NONE }, versionIDs: undefined } },
      { up: { formatter: 'FORMATTER_CAYENNELPP', parameter: '' }, down: JS('down') },
    );
    const { formatters } = directory(world.reads);
    await expect(formatters.formatterFor('own', 'up')).resolves.toEqual({
      kind: 'run',
      formatter: { type: 'FORMATTER_JAVASCRIPT', parameter: 'up', origin: 'custom' },
    });
    // Its own formatters say none downlink: the application's are not consulted.
    await expect(formatters.formatterFor('own', 'down')).resolves.toEqual({ kind: 'none' });
    await expect(formatters.formatterFor('other', 'down')).resolves.toMatchObject({
      formatter: { type: 'FORMATTER_JAVASCRIPT', parameter: 'down' },
    });
    expect(world.calls).toEqual(['device own', 'device other', 'link']);
  });

  it("resolves FORMATTER_REPOSITORY through the model's codec, one read per model and direction", async () => {
    const world = tts(
      {
        a: { formatters: { up: REPOSITORY, down: REPOSITORY }, versionIDs: MODEL },
        b: { formatters: { up: REPOSITORY, down: REPOSITORY }, versionIDs: MODEL },
      },
      undefined,
      { 'uplink/decoder': JS('codec') },
    );
    const { formatters } = directory(world.reads);
    await expect(formatters.formatterFor('a', 'up')).resolves.toEqual({
      kind: 'run',
      formatter: { type: 'FORMATTER_JAVASCRIPT', parameter: 'codec', origin: 'repository' },
    });
    await formatters.formatterFor('b', 'up');
    await expect(formatters.formatterFor('b', 'down')).resolves.toEqual({
      kind: 'unavailable',
      reason:
        'the Device Repository has no downlink encoder for acme/sensor firmware 1.0 band EU_863_870',
    });
    expect(world.calls.filter((call) => call.startsWith('repository'))).toEqual([
      'repository sensor uplink/decoder',
      'repository sensor downlink/encoder',
    ]);
  });

  it('says a repository device without a complete model cannot be formatted', async () => {
    const world = tts({ a: { formatters: { up: REPOSITORY, down: NONE }, versionIDs: undefined } });
    await expect(directory(world.reads).formatters.formatterFor('a', 'up')).resolves.toEqual({
      kind: 'unavailable',
      reason: expect.stringContaining('has no complete version_ids'),
    });
  });

  it('shares one lookup among concurrent callers and reads again after 15 minutes', async () => {
    const world = tts({ a: { formatters: { up: JS('x'), down: NONE }, versionIDs: undefined } });
    const { formatters, advance } = directory(world.reads);
    await Promise.all([1, 2, 3].map(() => formatters.formatterFor('a', 'up')));
    advance(15 * 60 * 1000 - 1);
    await formatters.formatterFor('a', 'up');
    expect(world.calls).toEqual(['device a']);
    advance(1);
    await formatters.formatterFor('a', 'up');
    expect(world.calls).toEqual(['device a', 'device a']);
  });

  it('keeps a failed lookup for a minute as formatter_lookup_failed (not retryable), then asks again', async () => {
    const world = tts({ a: { formatters: { up: JS('x'), down: NONE }, versionIDs: undefined } });
    const { formatters, advance } = directory(world.reads);
    world.fail(true);
    const error = await formatters.formatterFor('a', 'up').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IntegrationError);
    expect(error).toMatchObject({ code: 'formatter_lookup_failed', retryable: false });
    await expect(formatters.formatterFor('a', 'up')).rejects.toBe(error);
    world.fail(false);
    advance(60 * 1000);
    await expect(formatters.formatterFor('a', 'up')).resolves.toMatchObject({ kind: 'run' });
    expect(world.calls).toEqual(['device a', 'device a']);
  });
});
