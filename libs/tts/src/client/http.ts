import { isJsonObject } from '@tts-aws-iot/input';
import { TtsApiError, TtsConnectionError } from '../errors';

/** A fetch-compatible function (the global `fetch`, or a fake in tests). */
export type FetchFunction = (input: string, init: RequestInit) => Promise<Response>;

/** Options of the TTS HTTP transport. Everything with a clock or chance in it is injectable. */
export interface TtsHttpOptions {
  /** The API base URL, ending in `/api/v3` (`IntegrationConfig.clusterURL`). */
  readonly baseURL: string;
  /**
   * The API key (`NNSXS.…`). Called for every request so that a container-lived secret
   * cache can serve it, and with `refresh: true` once after TTS answered 401, so that a
   * rotated key takes effect without a cold start (the cache should read the secret anew).
   * The key is only ever put in the `Authorization` header.
   */
  readonly apiKey: (options?: { readonly refresh?: boolean }) => string | Promise<string>;
  readonly fetch?: FetchFunction;
  /** Abort one attempt after this long. Default 8000 ms. */
  readonly timeoutMs?: number;
  /** Attempts per call, the first included. Default 4. */
  readonly maxAttempts?: number;
  /** Backoff before the n-th retry is drawn from [0, min(maxDelayMs, baseDelayMs·2^(n-1))). Default 250 ms. */
  readonly baseDelayMs?: number;
  /** Upper bound of one backoff, also of a `Retry-After` that TTS asks for. Default 4000 ms. */
  readonly maxDelayMs?: number;
  readonly sleep?: (ms: number) => Promise<void>;
  /** A number in [0, 1), as `Math.random`. */
  readonly random?: () => number;
}

/** One API call: `path` is relative to the base URL and already encoded (see `apiPath`). */
export interface TtsRequest {
  readonly method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  readonly path: string;
  readonly query?: Readonly<Record<string, string>>;
  readonly body?: unknown;
}

/**
 * Builds an API path from a template literal, percent-encoding every interpolated value
 * so that an ID can never change the route: apiPath`/applications/${app}/devices/${id}`.
 */
export function apiPath(strings: TemplateStringsArray, ...values: string[]): string {
  return strings.reduce(
    (path, part, i) => path + part + (i < values.length ? encodeURIComponent(values[i]!) : ''),
    '',
  );
}

// gRPC names of the statuses TTS maps its errors to (grpc-gateway's table), for answers
// whose body does not name the error.
const STATUS_NAMES: Readonly<Record<number, string>> = {
  400: 'invalid_argument',
  401: 'unauthenticated',
  403: 'permission_denied',
  404: 'not_found',
  409: 'already_exists',
  412: 'failed_precondition',
  429: 'resource_exhausted',
  499: 'canceled',
  500: 'internal',
  501: 'unimplemented',
  503: 'unavailable',
  504: 'deadline_exceeded',
};

/**
 * 429 (rate limited) and 5xx may pass; 501 Unimplemented is a 5xx that never will, and
 * every other 4xx is an answer about the request itself, which repeating cannot change.
 */
function isRetryableStatus(status: number): boolean {
  return status === 429 || (status >= 500 && status !== 501);
}

interface TtsErrorDetails {
  readonly namespace?: string;
  readonly name?: string;
  readonly messageFormat?: string;
  readonly attributes?: Readonly<Record<string, unknown>>;
  readonly correlationID?: string;
}

/** Reads `{code, message, details:[{namespace, name, message_format, attributes, correlation_id}]}`. */
function parseErrorBody(text: string): { message?: string; details?: TtsErrorDetails } {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return {};
  }
  // Whatever TTS says is taken as far as it has the expected shape, and no further: the
  // answer's status is the error either way.
  if (!isJsonObject(body)) return {};
  const message = typeof body['message'] === 'string' ? body['message'] : undefined;
  const details = Array.isArray(body['details']) ? body['details'].find(isJsonObject) : undefined;
  if (!details) return { message };
  const field = (key: string): string | undefined => {
    const value = details[key];
    return typeof value === 'string' && value !== '' ? value : undefined;
  };
  const attributes = details['attributes'];
  return {
    message,
    details: {
      namespace: field('namespace'),
      name: field('name'),
      messageFormat: field('message_format'),
      attributes: isJsonObject(attributes) ? attributes : undefined,
      correlationID: field('correlation_id'),
    },
  };
}

/** TTS's `message_format` with its `{attribute}` placeholders filled in. */
function formatMessage(format: string, attributes: Readonly<Record<string, unknown>> = {}): string {
  return format.replace(/\{([a-z0-9_]+)\}/gi, (placeholder, key: string) => {
    const value = attributes[key];
    return value === undefined || value === null || typeof value === 'object'
      ? placeholder
      : String(value);
  });
}

// Key-shaped text that must not leave through an error: API keys, and hex runs of a key's
// length or more (EUIs and DevAddrs are shorter and stay readable).
const API_KEY_TEXT = /NNSXS\.[A-Z0-9]+\.[A-Z0-9]+/gi;
const KEY_HEX_TEXT = /[0-9a-f]{32,}/gi;

function redact(text: string, apiKey: string | undefined): string {
  let out = text.replace(API_KEY_TEXT, '[redacted]').replace(KEY_HEX_TEXT, '[redacted]');
  if (apiKey && apiKey.length >= 8) out = out.split(apiKey).join('[redacted]');
  return out;
}

// TTS nests no causes; fetch and undici a few levels at most.
const MAX_CAUSE_DEPTH = 4;

/**
 * A copy of `error` and its causes that says the same with key-shaped text redacted, to keep
 * as an error's `cause`. Loggers print causes whole (Powertools: message, stack and every
 * field), and fetch's own errors quote what they were given: an API key with a character a
 * header may not hold comes back verbatim in `Headers.append: "Bearer NNSXS…" is an invalid
 * header value`.
 */
function redactedCause(error: unknown, apiKey: string, depth = 0): Error {
  const original = error instanceof Error ? error : new Error(String(error));
  const cause =
    original.cause !== undefined && depth < MAX_CAUSE_DEPTH
      ? { cause: redactedCause(original.cause, apiKey, depth + 1) }
      : undefined;
  const copy = new Error(redact(original.message, apiKey), cause);
  copy.name = original.name;
  const code = (original as { code?: unknown }).code;
  if (typeof code === 'string') Object.assign(copy, { code: redact(code, apiKey) });
  return copy;
}

/**
 * The transport under `TtsClient`: JSON over fetch with a Bearer API key, a timeout per
 * attempt, and retries with exponential backoff and full jitter on 429, 5xx and network
 * failures (never on other 4xx). Failures become `TtsApiError` / `TtsConnectionError`.
 *
 * Retrying a POST is safe for the calls this project makes: a create that did land
 * answers the retry with 409, which the callers treat as "exists" and check; the error says
 * whether an earlier attempt went unanswered (`afterUnansweredAttempt`), so that they can
 * tell their own landed create from someone else's.
 */
export class TtsHttp {
  private readonly baseURL: string;
  private readonly apiKey: TtsHttpOptions['apiKey'];
  private readonly fetch: FetchFunction;
  private readonly timeoutMs: number;
  private readonly maxAttempts: number;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly random: () => number;

  constructor(options: TtsHttpOptions) {
    this.baseURL = options.baseURL.replace(/\/+$/, '');
    this.apiKey = options.apiKey;
    this.fetch = options.fetch ?? ((input, init) => fetch(input, init));
    this.timeoutMs = options.timeoutMs ?? 8000;
    this.maxAttempts = Math.max(1, options.maxAttempts ?? 4);
    this.baseDelayMs = options.baseDelayMs ?? 250;
    this.maxDelayMs = options.maxDelayMs ?? 4000;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.random = options.random ?? Math.random;
  }

  /**
   * Sends the request and returns the parsed JSON answer (`{}` for an empty body), unread:
   * it is input from the network, for the caller to read.
   */
  async request(request: TtsRequest): Promise<unknown> {
    let apiKey = (await this.apiKey()).trim();
    let refreshed = false;
    let unanswered = false;
    const query = request.query ? `?${new URLSearchParams(request.query).toString()}` : '';
    const url = `${this.baseURL}${request.path}${query}`;
    for (let attempt = 1; ; attempt++) {
      const outcome = await this.attempt(
        url,
        this.init(request, apiKey),
        request,
        apiKey,
        unanswered,
      );
      if (!(outcome instanceof TtsApiError || outcome instanceof TtsConnectionError))
        return outcome;
      unanswered ||= outcome instanceof TtsConnectionError;
      if (outcome instanceof TtsApiError && outcome.status === 401 && !refreshed) {
        refreshed = true;
        const fresh = (await this.apiKey({ refresh: true })).trim();
        if (fresh !== apiKey) {
          apiKey = fresh;
          attempt--; // a rotated key is not a failed attempt
          continue;
        }
      }
      if (!outcome.retryable || attempt >= this.maxAttempts) throw outcome;
      await this.sleep(
        this.backoff(
          attempt,
          outcome instanceof TtsApiError ? outcome.attributes['retryAfterMs'] : undefined,
        ),
      );
    }
  }

  private init(request: TtsRequest, apiKey: string): RequestInit {
    return {
      method: request.method,
      headers: {
        accept: 'application/json',
        authorization: `Bearer ${apiKey}`,
        ...(request.body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(request.body === undefined ? {} : { body: JSON.stringify(request.body) }),
    };
  }

  private async attempt(
    url: string,
    init: RequestInit,
    request: TtsRequest,
    apiKey: string,
    afterUnansweredAttempt: boolean,
  ): Promise<unknown | TtsApiError | TtsConnectionError> {
    const where = `${request.method} ${request.path}`;
    const signal = AbortSignal.timeout(this.timeoutMs);
    let status: number;
    let text: string;
    let retryAfter: string | null;
    try {
      const response = await this.fetch(url, { ...init, signal });
      status = response.status;
      retryAfter = response.headers.get('retry-after');
      text = await response.text();
    } catch (error) {
      if (signal.aborted) {
        return new TtsConnectionError(
          'tts_timeout',
          `TTS did not answer ${where} within ${this.timeoutMs} ms.`,
          { method: request.method, path: request.path },
          { cause: redactedCause(error, apiKey) },
        );
      }
      const reason = redact(
        error instanceof Error
          ? error.cause instanceof Error
            ? error.cause.message
            : error.message
          : String(error),
        apiKey,
      );
      return new TtsConnectionError(
        'tts_unreachable',
        `Could not reach TTS for ${where} (${reason}): check ClusterAddress and the network path to the cluster.`,
        { method: request.method, path: request.path },
        { cause: redactedCause(error, apiKey) },
      );
    }
    if (status >= 200 && status < 300) {
      if (text.trim() === '') return {};
      try {
        return JSON.parse(text);
      } catch (error) {
        return new TtsApiError(
          'invalid_response',
          `TTS answered ${where} with a body that is not JSON.`,
          status,
          false,
          undefined,
          undefined,
          { method: request.method, path: request.path },
          { cause: redactedCause(error, apiKey) },
        );
      }
    }
    return this.apiError(status, text, retryAfter, request, apiKey, afterUnansweredAttempt);
  }

  private apiError(
    status: number,
    text: string,
    retryAfter: string | null,
    request: TtsRequest,
    apiKey: string,
    afterUnansweredAttempt: boolean,
  ): TtsApiError {
    const { message, details } = parseErrorBody(text);
    const code = details?.name ?? STATUS_NAMES[status] ?? `http_${status}`;
    const said = details?.messageFormat
      ? formatMessage(details.messageFormat, details.attributes)
      : (message ?? (text.trim().slice(0, 200) || `HTTP ${status}`));
    const origin = [
      details?.namespace ? `${details.namespace}:${code}` : code,
      `HTTP ${status}`,
      details?.correlationID && `correlation id ${details.correlationID}`,
    ]
      .filter(Boolean)
      .join(', ');
    const retryAfterSeconds = retryAfter === null ? NaN : Number(retryAfter);
    return new TtsApiError(
      code,
      // 4xx: TTS refused the request itself; 5xx: TTS failed to serve it.
      redact(
        `TTS ${status < 500 ? 'refused' : 'failed'} ${request.method} ${request.path}: ${said} (${origin}).`,
        apiKey,
      ),
      status,
      isRetryableStatus(status),
      details?.namespace,
      details?.correlationID,
      {
        method: request.method,
        path: request.path,
        ...(Number.isFinite(retryAfterSeconds) && retryAfterSeconds >= 0
          ? { retryAfterMs: retryAfterSeconds * 1000 }
          : {}),
      },
      { afterUnansweredAttempt },
    );
  }

  /** Full jitter over an exponential ceiling; a `Retry-After` from TTS is honoured up to the cap. */
  private backoff(retry: number, retryAfterMs: unknown): number {
    const ceiling = Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** (retry - 1));
    const jittered = Math.floor(this.random() * ceiling);
    return typeof retryAfterMs === 'number'
      ? Math.min(this.maxDelayMs, Math.max(jittered, retryAfterMs))
      : jittered;
  }
}
