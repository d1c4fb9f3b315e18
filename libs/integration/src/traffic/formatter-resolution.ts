/**
 * Which payload formatter applies to a device, found as The Things Stack's Application Server
 * finds it (docs/tts.md "Payload formatters"): the device's own `formatters` on the AS when it
 * has any, else the application's `default_formatters` on the AS link; `FORMATTER_REPOSITORY`
 * stands for the Device Repository's codec of the device's `version_ids`. With end-to-end
 * encryption the AS cannot run formatters on payloads it cannot read, so the traffic functions
 * run them after decryption, and need to know which.
 *
 * Every answer is cached per container, with a time to live, and single-flight: concurrent
 * lookups for one device share one set of TTS calls, and a steady-state uplink costs a cache
 * read, never an API call.
 */
import type {
  ApplicationServerFormatters,
  EndDeviceIDs,
  EndDeviceVersionIDs,
  MessagePayloadFormatters,
  PayloadFormatter,
  PayloadFormatterType,
  RepositoryCodecDirection,
} from '@tts-aws-iot/tts';
import { BoundedCache } from '../bounded-cache';
import { IntegrationError } from '../errors';

/** The TTS reads formatter resolution makes (`TtsClient` has them). */
export interface FormatterReads {
  getApplicationServerFormatters(
    ids: EndDeviceIDs,
  ): Promise<ApplicationServerFormatters | undefined>;
  getApplicationDefaultFormatters(
    applicationID: string,
  ): Promise<MessagePayloadFormatters | undefined>;
  getRepositoryFormatter(
    applicationID: string,
    model: EndDeviceVersionIDs,
    direction: RepositoryCodecDirection,
  ): Promise<PayloadFormatter | undefined>;
}

/**
 * A formatter to run: its type and parameter (the script of `FORMATTER_JAVASCRIPT`), and
 * whether the script came from the Device Repository (exempt from the custom-script limit).
 */
export interface FormatterSpec {
  readonly type: PayloadFormatterType;
  readonly parameter?: string;
  readonly origin?: 'custom' | 'repository';
}

/**
 * What applies to one direction of a device: no formatter (raw payloads only), one to run,
 * or one that cannot be had (a repository device without a model, a model without a codec):
 * the message then gets TTS's failed-format shape with `reason`.
 */
export type ResolvedFormatter =
  | { readonly kind: 'none' }
  | { readonly kind: 'run'; readonly formatter: FormatterSpec }
  | { readonly kind: 'unavailable'; readonly reason: string };

/** A direction of traffic: uplinks are decoded, downlinks encoded. */
export type FormatterDirection = 'up' | 'down';

/** How long answers are cached, and how many. */
export interface FormatterCacheOptions {
  /** Milliseconds (default `Date.now`). */
  readonly now?: () => number;
  /** A device's and the application's formatters (default 15 minutes). */
  readonly settingsTtlMs?: number;
  /** A Device Repository codec (default 1 hour, as TTS's Application Server caches them). */
  readonly repositoryTtlMs?: number;
  /** A failed lookup, before TTS is asked again (default 1 minute). */
  readonly errorTtlMs?: number;
  /** Devices kept (default 10,000). */
  readonly maxDevices?: number;
}

/** The metric counting formatter lookups that failed (TTS unreachable, rights missing). */
export const FORMATTER_LOOKUP_FAILURES_METRIC = 'FormatterLookupFailures';

const DEFAULT_SETTINGS_TTL_MS = 15 * 60 * 1000;
const DEFAULT_REPOSITORY_TTL_MS = 60 * 60 * 1000;
const DEFAULT_ERROR_TTL_MS = 60 * 1000;
const DEFAULT_MAX_DEVICES = 10_000;
/** Models × directions kept; a fleet has few models. */
const MAX_REPOSITORY_CODECS = 500;

const NONE: ResolvedFormatter = { kind: 'none' };
const CODEC_OF: Readonly<Record<FormatterDirection, RepositoryCodecDirection>> = {
  up: 'uplink/decoder',
  down: 'downlink/encoder',
};

/** A device's settings as the AS has them: its formatters (or the application's) and model. */
interface DeviceSettings {
  readonly formatters: MessagePayloadFormatters | undefined;
  readonly versionIDs: EndDeviceVersionIDs | undefined;
}

/**
 * The formatters of the application's devices, read through the TTS API and cached (see the
 * module comment).
 */
export class FormatterDirectory {
  readonly #devices: BoundedCache<string, Flight<DeviceSettings>>;
  readonly #link: BoundedCache<string, Flight<MessagePayloadFormatters | undefined>>;
  readonly #codecs: BoundedCache<string, Flight<ResolvedFormatter>>;
  readonly #errorTtlMs: number;
  readonly #now: () => number;

  constructor(
    private readonly reads: FormatterReads,
    private readonly applicationID: string,
    options: FormatterCacheOptions = {},
  ) {
    this.#now = options.now ?? Date.now;
    const settingsTtl = options.settingsTtlMs ?? DEFAULT_SETTINGS_TTL_MS;
    const devices = options.maxDevices ?? DEFAULT_MAX_DEVICES;
    this.#devices = new BoundedCache(devices, settingsTtl, this.#now);
    this.#link = new BoundedCache(1, settingsTtl, this.#now);
    this.#codecs = new BoundedCache(
      MAX_REPOSITORY_CODECS,
      options.repositoryTtlMs ?? DEFAULT_REPOSITORY_TTL_MS,
      this.#now,
    );
    this.#errorTtlMs = options.errorTtlMs ?? DEFAULT_ERROR_TTL_MS;
  }

  /**
   * The formatter that applies to `deviceID` in `direction`.
   *
   * @throws IntegrationError `formatter_lookup_failed` (not retryable: the message goes on
   *   without formatting) when TTS does not answer the reads; the failure is cached for a
   *   minute, so that an outage does not add a call per message
   */
  async formatterFor(deviceID: string, direction: FormatterDirection): Promise<ResolvedFormatter> {
    const settings = await this.#settings(deviceID);
    const formatter = direction === 'up' ? settings.formatters?.up : settings.formatters?.down;
    if (!formatter || formatter.formatter === 'FORMATTER_NONE') return NONE;
    if (formatter.formatter !== 'FORMATTER_REPOSITORY') {
      return {
        kind: 'run',
        formatter: { type: formatter.formatter, parameter: formatter.parameter, origin: 'custom' },
      };
    }
    const model = settings.versionIDs;
    if (!model || !model.firmwareVersion || !model.bandID) {
      return {
        kind: 'unavailable',
        reason: `device ${deviceID} uses the Device Repository formatter but has no complete version_ids (brand, model, firmware version and band): set them on the device`,
      };
    }
    return this.#repositoryCodec(model, direction);
  }

  #settings(deviceID: string): Promise<DeviceSettings> {
    return this.#cached(this.#devices, deviceID, async () => {
      const device = await this.reads.getApplicationServerFormatters({
        applicationID: this.applicationID,
        deviceID,
      });
      // A device with formatters of its own uses them both ways; otherwise the application's.
      const formatters = device?.formatters ?? (await this.#defaultFormatters());
      return { formatters, versionIDs: device?.versionIDs };
    });
  }

  #defaultFormatters(): Promise<MessagePayloadFormatters | undefined> {
    return this.#cached(this.#link, this.applicationID, () =>
      this.reads.getApplicationDefaultFormatters(this.applicationID),
    );
  }

  #repositoryCodec(
    model: EndDeviceVersionIDs,
    direction: FormatterDirection,
  ): Promise<ResolvedFormatter> {
    const key = [model.brandID, model.modelID, model.firmwareVersion, model.bandID, direction];
    return this.#cached(this.#codecs, key.join('\u0000'), async () => {
      const codec = await this.reads.getRepositoryFormatter(
        this.applicationID,
        model,
        CODEC_OF[direction],
      );
      const name = `${model.brandID}/${model.modelID} firmware ${model.firmwareVersion} band ${model.bandID}`;
      if (!codec || codec.formatter === 'FORMATTER_NONE') {
        return {
          kind: 'unavailable',
          reason: `the Device Repository has no ${CODEC_OF[direction].replace('/', ' ')} for ${name}`,
        };
      }
      return {
        kind: 'run',
        formatter: { type: codec.formatter, parameter: codec.parameter, origin: 'repository' },
      };
    });
  }

  /**
   * Single-flight through `cache`: the lookup's promise is cached at once, so concurrent
   * callers share it; a failed one is kept for the error TTL only.
   */
  #cached<T>(
    cache: BoundedCache<string, Flight<T>>,
    key: string,
    load: () => Promise<T>,
  ): Promise<T> {
    const hit = cache.get(key);
    if (hit && (hit.failedAt === undefined || this.#now() - hit.failedAt < this.#errorTtlMs))
      return hit.promise;
    const flight: Flight<T> = {
      promise: load().catch((error: unknown) => {
        flight.failedAt = this.#now();
        throw lookupFailed(key, error);
      }),
    };
    cache.set(key, flight);
    return flight.promise;
  }
}

/** One lookup, shared by everyone asking while it runs and after, until it expires. */
interface Flight<T> {
  readonly promise: Promise<T>;
  /** When it failed: a failure expires sooner than an answer. */
  failedAt?: number;
}

function lookupFailed(key: string, error: unknown): IntegrationError {
  if (error instanceof IntegrationError && error.code === 'formatter_lookup_failed') return error;
  const what = key.includes('\u0000') ? 'a Device Repository codec' : `the formatters of ${key}`;
  return new IntegrationError(
    'formatter_lookup_failed',
    `Could not read ${what} from The Things Stack: ${(error as Error).message} The message goes on without payload formatting; check that the API key may read devices and the application link.`,
    false,
    { code: (error as { code?: unknown }).code },
    { cause: error },
  );
}
