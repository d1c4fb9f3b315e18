import { AwsServiceError } from '../errors';

/** The service an API call went to. */
export type ApiService = 'iot' | 'iot-data' | 'secretsmanager';

/** Random failures at a set rate, each drawn per call. */
export interface FaultRates {
  /** Share of calls (0..1) answered with `ThrottlingException`. */
  readonly throttle?: number;
  /** Share of calls (0..1) answered with HTTP 503 `ServiceUnavailableException`. */
  readonly serverError?: number;
  /** Only calls of these operations (e.g. `UpdateThingShadow`); all when absent. */
  readonly operations?: readonly string[];
  /** Seed of the draws, so that a run can be repeated (default 1). */
  readonly seed?: number;
}

/** How many calls each kind of fault failed. */
export interface FaultCounts {
  readonly throttled: number;
  readonly serverErrors: number;
  /** Publish calls failed after the thing's shadow was written (see `failPublishAfterShadowUpdate`). */
  readonly publishesFailedAfterShadowUpdate: number;
}

/** What the faults see of a call: its service, operation and first path parameter. */
export interface FaultCall {
  readonly service: ApiService;
  readonly operation: string;
  /** The thing name of a shadow call, the topic of a Publish. */
  readonly target?: string;
}

/**
 * Faults the API injects on request (the soak harness drives them): throttling and 5xx at a
 * rate, as AWS answers under load; and a handler failing after part of its work, by failing
 * the Publish calls that follow a successful UpdateThingShadow of the same thing.
 * Throttling carries each service's status: 400 for the control plane and Secrets Manager,
 * 429 for the data plane (docs/aws.md).
 */
export class ApiFaults {
  private rates: Required<Omit<FaultRates, 'operations' | 'seed'>> & {
    operations?: readonly string[];
  } = { throttle: 0, serverError: 0 };
  private random = mulberry32(1);
  private afterShadowBudget = 0;
  private afterShadowAttempts = 0;
  /** Thing name → Publish attempts still to fail. */
  private readonly armed = new Map<string, number>();
  /** Things whose Publish calls were armed once already. */
  private readonly failedThings = new Set<string>();
  private counts = { throttled: 0, serverErrors: 0, publishesFailedAfterShadowUpdate: 0 };

  /** Sets (or, with `{}`, clears) the random failure rates. */
  setRates(rates: FaultRates): void {
    for (const rate of [rates.throttle ?? 0, rates.serverError ?? 0])
      if (!(rate >= 0 && rate <= 1)) throw new RangeError(`A fault rate is 0..1, not ${rate}.`);
    this.rates = {
      throttle: rates.throttle ?? 0,
      serverError: rates.serverError ?? 0,
      ...(rates.operations && { operations: rates.operations }),
    };
    this.random = mulberry32(rates.seed ?? 1);
  }

  /**
   * For the next `things` things whose shadow update succeeds (each thing once), fails the
   * next `attempts` Publish calls to that thing's topics (`lorawan/<thing>/…`) with 503. With `attempts` at least
   * the SDK's attempts (3 in libs/aws), the handler sees the Publish fail after its shadow
   * write went through, and throws.
   */
  failPublishAfterShadowUpdate(things: number, attempts = 3): void {
    this.afterShadowBudget = things;
    this.afterShadowAttempts = attempts;
  }

  /** Clears every fault and the counts. */
  clear(): void {
    this.setRates({});
    this.afterShadowBudget = 0;
    this.armed.clear();
    this.failedThings.clear();
    this.counts = { throttled: 0, serverErrors: 0, publishesFailedAfterShadowUpdate: 0 };
  }

  get injected(): FaultCounts {
    return { ...this.counts };
  }

  /** The failure to answer this call with, if any (checked before the call is served). */
  before(call: FaultCall): AwsServiceError | undefined {
    const partial = this.partialWorkFault(call);
    if (partial) return partial;
    const { throttle, serverError, operations } = this.rates;
    if (throttle === 0 && serverError === 0) return undefined;
    if (operations && !operations.includes(call.operation)) return undefined;
    const draw = this.random();
    if (draw < throttle) {
      this.counts.throttled++;
      return new AwsServiceError(
        'ThrottlingException',
        call.service === 'iot-data' ? 429 : 400,
        `Rate exceeded (a fault the local API injects) for ${call.service} ${call.operation}.`,
      );
    }
    if (draw < throttle + serverError) {
      this.counts.serverErrors++;
      return unavailable(call);
    }
    return undefined;
  }

  /** Records a call that succeeded (arms the Publish failures after a shadow write). */
  after(call: FaultCall): void {
    if (call.operation !== 'UpdateThingShadow' || this.afterShadowBudget === 0) return;
    // Each thing fails once: its retried invocation must be able to succeed.
    if (call.target === undefined || this.failedThings.has(call.target)) return;
    this.failedThings.add(call.target);
    this.afterShadowBudget--;
    this.armed.set(call.target, this.afterShadowAttempts);
  }

  private partialWorkFault(call: FaultCall): AwsServiceError | undefined {
    if (call.operation !== 'Publish' || call.target === undefined || this.armed.size === 0)
      return undefined;
    const thing = /^lorawan\/([^/]+)\//.exec(call.target)?.[1];
    const left = thing === undefined ? undefined : this.armed.get(thing);
    if (thing === undefined || left === undefined) return undefined;
    if (left <= 1) this.armed.delete(thing);
    else this.armed.set(thing, left - 1);
    this.counts.publishesFailedAfterShadowUpdate++;
    return unavailable(call);
  }
}

function unavailable(call: FaultCall): AwsServiceError {
  return new AwsServiceError(
    'ServiceUnavailableException',
    503,
    `Service unavailable (a fault the local API injects) for ${call.service} ${call.operation}.`,
  );
}

/** A small seeded PRNG (mulberry32): repeatable draws in [0, 1). */
function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}
