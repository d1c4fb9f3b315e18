import {
  FormatterDirectory,
  type PayloadFormatterRunner,
  type PayloadFormatting,
} from '@tts-aws-iot/integration';
import { FormatterEngine } from '@tts-aws-iot/formatters';
import { TtsClient } from '@tts-aws-iot/tts';
import { DEFAULT_API_KEY, startTtsSim, type JsonObject, type TtsSim } from '@tts-aws-iot/tts-sim';

/** One sandbox engine for a test file: it holds no formatter state between calls. */
let engine: FormatterEngine | undefined;

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
    formatting() {
      const tts = new TtsClient({
        baseURL: running().url,
        apiKey: () => DEFAULT_API_KEY,
        maxAttempts: 1,
      });
      const runner: PayloadFormatterRunner = (engine ??= new FormatterEngine());
      return {
        formatters: new FormatterDirectory(tts, applicationID, { now: () => clock }),
        runner: () => runner,
      };
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
