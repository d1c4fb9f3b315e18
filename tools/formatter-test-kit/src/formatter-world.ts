import * as formatters from '@tts-aws-iot/formatters';
import {
  FormatterDirectory,
  formatterToolkit,
  type FormatterToolkit,
  type PayloadFormatting,
} from '@tts-aws-iot/integration/traffic';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { TtsClient } from '@tts-aws-iot/tts';
import {
  DEFAULT_API_KEY,
  repositoryKey,
  startTtsSim,
  type JsonObject,
  type TtsSim,
} from '@tts-aws-iot/tts-sim';

/** One sandbox engine for a test file: it holds no formatter state between calls. */
let toolkit: FormatterToolkit | undefined;

/** The TTS stand-in behind the traffic functions' formatter lookups, and a clock to move. */
export interface FormatterWorld {
  readonly sim: TtsSim;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Empties the stand-in and sets the clock back. */
  reset(): void;
  /** Moves the lookups' clock on (their cache expiry). */
  advance(ms: number): void;
  /** What a traffic function formats with: a fresh cache over the stand-in, the shared engine. */
  formatting(): PayloadFormatting;
  /**
   * The device on the stand-in's Application Server, with `formatters` (TTS JSON) and
   * `version_ids` when given; without formatters it uses the application's.
   */
  setDeviceFormatters(deviceID: string, formatters?: JsonObject, versionIDs?: JsonObject): void;
  /**
   * The device as a Device Repository device of `codec`'s model (`FORMATTER_REPOSITORY` both
   * ways, its `version_ids`), and the codec in the stand-in's Device Repository.
   */
  setRepositoryDevice(deviceID: string, codec: CorpusCodec): void;
}

/** One codec of the Device Repository corpus, with the repository's own examples. */
export interface CorpusCodec {
  /** The corpus folder. */
  readonly name: string;
  /** The model TTS resolves it for (the first device row; the band as TTS names it). */
  readonly model: {
    readonly brandID: string;
    readonly modelID: string;
    readonly firmwareVersion: string;
    readonly bandID: string;
  };
  readonly script: string;
  readonly uplinkDecoder: readonly CorpusDecodeExample[];
  readonly downlinkEncoder: readonly CorpusEncodeExample[];
}

/** An uplink decoder example: `bytes` hex, the expected `output`. */
export interface CorpusDecodeExample {
  readonly description: string;
  readonly fPort: number;
  readonly bytes: string;
  readonly output: {
    readonly data?: unknown;
    readonly warnings?: string[];
    readonly errors?: string[];
  };
  readonly normalizedOutput?: { readonly data: unknown; readonly warnings?: string[] };
}

/** A downlink encoder example: `input` as TTS passes it or not, `output.bytes` hex. */
export interface CorpusEncodeExample {
  readonly description: string;
  readonly input: Readonly<Record<string, unknown>> & {
    readonly data?: unknown;
    readonly fPort?: number;
  };
  readonly output: {
    readonly bytes?: string;
    readonly fPort?: number;
    readonly warnings?: string[];
    readonly errors?: string[];
  };
}

/** The codecs of the corpus folder (`device-repository/` of the workspace's reference material). */
export function readCorpus(folder: string): CorpusCodec[] {
  return readdirSync(folder, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort()
    .map((name) => {
      const examples = JSON.parse(readFileSync(join(folder, name, 'examples.json'), 'utf8'));
      const device = examples.devices[0];
      return {
        name,
        model: {
          brandID: examples.vendor,
          modelID: device.model_id,
          firmwareVersion: device.firmware_version,
          // The repository writes EU863-870; TTS's band ID is EU_863_870.
          bandID: String(device.band_id)
            .replace(/^([A-Z]+)(\d)/, '$1_$2')
            .replace(/-/g, '_'),
        },
        script: readFileSync(join(folder, name, 'codec.js'), 'utf8'),
        uplinkDecoder: examples.uplinkDecoder ?? [],
        downlinkEncoder: examples.downlinkEncoder ?? [],
      };
    });
}

/** The formatting dependencies of a Lambda, reading formatters from the TTS stand-in at `url`. */
function formattingThrough(url: string, applicationID: string, now: () => number) {
  const tts = new TtsClient({ baseURL: url, apiKey: () => DEFAULT_API_KEY, maxAttempts: 1 });
  const kit = (toolkit ??= formatterToolkit(formatters));
  return {
    formatters: new FormatterDirectory(tts, applicationID, { now }),
    toolkit: async () => kit,
  };
}

/**
 * The formatter side of a traffic test: a TTS stand-in (`start` in `beforeAll`) holding the
 * devices' and the application's formatters and Device Repository codecs, read through the
 * real TTS client.
 */
export function formatterWorld(applicationID: string): FormatterWorld {
  let sim: TtsSim | undefined;
  const start = 1_700_000_000_000;
  let clock = start;
  const running = (): TtsSim => {
    if (!sim) throw new Error('formatterWorld: call start() first (in beforeAll)');
    return sim;
  };
  return {
    get sim() {
      return running();
    },
    async start() {
      sim = await startTtsSim();
    },
    stop: () => running().close(),
    reset() {
      running().reset();
      clock = start;
    },
    advance(ms) {
      clock += ms;
    },
    formatting: () => formattingThrough(running().url, applicationID, () => clock),
    setRepositoryDevice(deviceID, codec) {
      this.setDeviceFormatters(
        deviceID,
        { up_formatter: 'FORMATTER_REPOSITORY', down_formatter: 'FORMATTER_REPOSITORY' },
        {
          brand_id: codec.model.brandID,
          model_id: codec.model.modelID,
          firmware_version: codec.model.firmwareVersion,
          band_id: codec.model.bandID,
        },
      );
      for (const direction of ['uplink/decoder', 'downlink/encoder'])
        running().state.repository.set(repositoryKey(codec.model, direction), {
          formatter: 'FORMATTER_JAVASCRIPT',
          formatter_parameter: codec.script,
        });
    },
    setDeviceFormatters(deviceID, formatters, versionIDs) {
      running().state.devices.as.set(`${applicationID}/${deviceID}`, {
        ids: { device_id: deviceID, application_ids: { application_id: applicationID } },
        ...(formatters ? { formatters } : {}),
        ...(versionIDs ? { version_ids: versionIDs } : {}),
      });
    },
  };
}
