import { CreateThingCommand, IoTClient } from '@aws-sdk/client-iot';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
// The soak drives the local stack (an app) in its own process, as its e2e test does.
// eslint-disable-next-line @nx/enforce-module-boundaries
import { TrafficLog } from '@tts-aws-iot/local/log';
// eslint-disable-next-line @nx/enforce-module-boundaries
import { startLocalStack, type LocalStack } from '@tts-aws-iot/local/main';
// eslint-disable-next-line @nx/enforce-module-boundaries
import { DEFAULT_OPTIONS } from '@tts-aws-iot/local/options';
import { freePort } from '@tts-aws-iot/test-kit';
import { paceUplinks, waitFor } from './load';
import type { SoakOptions } from './options';
import { percentile, TrafficProbe, type ProbeCounts } from './probe';
import { checkRestart, type RestartResult } from './restart';

/** Latency broker → republish in one phase. */
export interface LatencyFigure {
  readonly phase: string;
  /** Uplinks per second offered. */
  readonly rate: number;
  /** Uplinks per second the stack republished (first send to last republish of the phase). */
  readonly throughput: number | undefined;
  readonly samples: number;
  readonly p50: number | undefined;
  readonly p99: number | undefined;
  readonly max: number | undefined;
  /** What the phase cost (clean phases only): see {@link PhaseCost}. */
  readonly cost?: PhaseCost;
}

/** The machine time a phase took, from its first send to its last republish. */
export interface PhaseCost {
  /** CPU time of this process (the stack, its Lambda workers, the load) per republished uplink. */
  readonly cpuMsPerUplink: number;
  /** Share of the phase the main thread's event loop was busy (broker, AWS API, rules, devices). */
  readonly mainLoopBusy: number;
}

/** Everything the soak measured. */
export interface SoakReport {
  readonly options: SoakOptions;
  readonly counts: ProbeCounts;
  /** Some of the lost uplinks (`<DevEUI>:<FCnt>`). */
  readonly lostExamples: readonly string[];
  /** The stack's last log lines about failures. */
  readonly failureLines: readonly string[];
  /** Uplinks the load could not send (device busy or refused); not counted as sent. */
  readonly skipped: number;
  readonly latency: readonly LatencyFigure[];
  /** Shadows whose final `fCntUp` is not the device's last FCnt, with examples. */
  readonly wrongFCntUp: { readonly count: number; readonly examples: readonly string[] };
  readonly downlinks: { readonly requested: number; readonly delivered: number };
  readonly newThings: { readonly created: number; readonly provisioned: number };
  readonly faults: {
    readonly throttled: number;
    readonly serverErrors: number;
    readonly publishesFailedAfterShadowUpdate: number;
    readonly ttsFailures: number;
    readonly ttsStallMs: number;
  };
  readonly restart: RestartResult | undefined;
  /** The process's peak resident set (the stack, its Lambda workers and the load), MB. */
  readonly memoryHighWaterMB: number;
  readonly seconds: number;
  /** The machine the run shared: its cores and its 1-minute load average at the start and end. */
  readonly machine?: { readonly cores: number; readonly loadAverage: readonly [number, number] };
}

const STACK = 'soak';
const JOIN_EUI = '70B3D57ED0000000';
const TTS_STALL_MS = 2_500;
const TTS_FAILURES = 6;
const DRAIN_MS = 30_000;
/** Seconds of uplinks around the stop, the stop coming halfway. */
const RESTART_LOAD_SECONDS = 2;

/**
 * One soak run: starts the local stack with `devices` simulated devices (E2E on, state in a
 * fresh temporary data directory), joins them, runs a clean phase per rate, then the fault
 * phase, drains, checks every shadow, and restarts the stack to check what persisted.
 */
export async function runSoak(
  options: SoakOptions,
  progress: (line: string) => void = () => undefined,
): Promise<SoakReport> {
  const soak = new Soak(options, progress);
  try {
    return await soak.run();
  } finally {
    await soak.close();
  }
}

class Soak {
  private readonly probe = new TrafficProbe(STACK);
  private readonly dataDir = mkdtempSync(join(tmpdir(), 'soak-'));
  private readonly failureLines: string[] = [];
  /** Invocations that failed on every attempt, and dead letters: where a loss comes from. */
  private readonly finalFailures: string[] = [];
  private readonly requested = new Map<string, string[]>();
  private stack: LocalStack | undefined;
  private detach: (() => void) | undefined;
  private skipped = 0;
  private readonly costs = new Map<string, PhaseCost>();
  private readonly newThings: string[] = [];
  private faultCounts: SoakReport['faults'] = {
    throttled: 0,
    serverErrors: 0,
    publishesFailedAfterShadowUpdate: 0,
    ttsFailures: 0,
    ttsStallMs: 0,
  };

  constructor(
    private readonly options: SoakOptions,
    private readonly progress: (line: string) => void,
  ) {}

  async run(): Promise<SoakReport> {
    const began = performance.now();
    const loadAtStart = loadavg()[0]!;
    const stack = await this.start(true);
    this.progress(`setup: ${this.options.devices} devices provisioned; joining`);
    await this.joinAll(stack.devices.map((d) => d.devEUI));
    for (const rate of this.options.rates) await this.cleanPhase(rate);
    await this.faultPhase();
    await this.drain('faults');
    const wrongFCntUp = this.checkShadows();
    const downlinks = this.deliveredDownlinks();
    const provisioned = this.newThings.filter((thing) => this.probe.hasRepublished(thing));
    const restart = this.options.restart ? await this.restart() : undefined;
    await this.drain('restart');
    return {
      options: this.options,
      counts: this.probe.counts(),
      lostExamples: this.probe.lostExamples(),
      failureLines: [...this.finalFailures.slice(0, 10), ...this.failureLines],
      skipped: this.skipped,
      latency: this.latencyFigures(),
      wrongFCntUp,
      downlinks,
      newThings: { created: this.newThings.length, provisioned: provisioned.length },
      faults: this.faultCounts,
      restart,
      memoryHighWaterMB: Math.round(process.resourceUsage().maxRSS / 1024),
      seconds: Math.round((performance.now() - began) / 1000),
      machine: { cores: availableParallelism(), loadAverage: [loadAtStart, loadavg()[0]!] },
    };
  }

  async close(): Promise<void> {
    this.detach?.();
    await this.stack?.stop();
    rmSync(this.dataDir, { recursive: true, force: true });
  }

  /** Starts the stack on free ports with the soak's data directory and attaches the probe. */
  private async start(fresh: boolean): Promise<LocalStack> {
    const [mqttPort, apiPort, ttsPort] = [await freePort(), await freePort(), await freePort()];
    const stack = await startLocalStack(
      {
        ...DEFAULT_OPTIONS,
        stackName: STACK,
        mqttPort,
        apiPort,
        ttsPort,
        devices: this.options.devices,
        claimDevices: 0,
        concurrency: this.options.concurrency,
        e2e: true,
        dataDir: this.dataDir,
        fresh,
      },
      new TrafficLog((line) => this.keepLog(line)),
      {
        traffic: false,
        retryDelaysMs: [200, 400],
        queueRetryDelaysMs: [500, 1_000, 2_000, 4_000],
      },
    );
    this.stack = stack;
    this.detach = stack.broker.onMessage((message) => this.probe.observe(message));
    return stack;
  }

  /** Keeps the stack's failure lines (bounded): a missed goal's report shows them. */
  private keepLog(line: string): void {
    if (/after its retries|dead-letter/i.test(line)) this.finalFailures.push(line.slice(0, 400));
    if (!/fail|error|dead-letter|gave up/i.test(line)) return;
    this.failureLines.push(line.length > 300 ? `${line.slice(0, 300)}…` : line);
    if (this.failureLines.length > 20) this.failureLines.shift();
  }

  private get live(): LocalStack {
    if (!this.stack) throw new Error('The soak stack is not running.');
    return this.stack;
  }

  /** Joins each device once create-device registered it, until every join is republished. */
  private async joinAll(devices: readonly string[], timeoutMs = 300_000): Promise<void> {
    const { simulator } = this.live;
    const pending = new Set(devices);
    const deadline = performance.now() + timeoutMs;
    while (pending.size > 0) {
      for (const devEUI of pending) {
        if (simulator.joined(devEUI)) {
          if (this.probe.hasJoined(devEUI)) pending.delete(devEUI);
          continue;
        }
        await simulator.join(devEUI).catch(() => undefined);
      }
      if (performance.now() > deadline)
        throw new Error(
          `${pending.size} devices did not join within ${timeoutMs / 1000} s: ${[...pending].slice(0, 5).join(', ')}`,
        );
      if (pending.size > 0) await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  private async cleanPhase(rate: number): Promise<void> {
    this.probe.phase = `${rate}/s`;
    this.progress(`phase ${rate} uplinks/s for ${this.options.phaseSeconds} s`);
    const [cpu, loop] = [process.cpuUsage(), performance.eventLoopUtilization()];
    await this.pace(rate, this.options.phaseSeconds);
    await this.drain(`${rate}/s`);
    const used = process.cpuUsage(cpu);
    const republished = this.probe.latenciesOf(`${rate}/s`).length;
    this.costs.set(`${rate}/s`, {
      cpuMsPerUplink: (used.user + used.system) / 1000 / Math.max(1, republished),
      mainLoopBusy: performance.eventLoopUtilization(loop).utilization,
    });
  }

  private async pace(rate: number, seconds: number): Promise<void> {
    const devices = this.live.devices.map((d) => d.devEUI);
    const result = await paceUplinks(devices, rate, seconds, (devEUI) =>
      this.live.simulator.uplink(devEUI),
    );
    this.skipped += result.skipped + result.failed;
  }

  /** Waits for the outstanding republishes (bounded), so that phases do not overlap. */
  private async drain(phase: string): Promise<void> {
    const drained = await waitFor(() => this.probe.outstanding === 0, DRAIN_MS);
    if (!drained)
      this.progress(
        `${phase}: ${this.probe.outstanding} uplinks still not republished after ${DRAIN_MS / 1000} s`,
      );
  }

  /**
   * The fault phase: AWS throttling and 5xx at the set rates for its whole length, handlers
   * failing after their shadow write, downlinks requested throughout; TTS answering 503 from
   * 20 % and stalling from 50 % to 70 %, with new things created in both windows.
   */
  private async faultPhase(): Promise<void> {
    const { api, tts } = this.live;
    const { faultSeconds, faultRate } = this.options;
    this.probe.phase = 'faults';
    this.progress(`faults for ${faultSeconds} s at ${faultRate} uplinks/s`);
    api.faults.setRates({
      throttle: this.options.throttleRate,
      serverError: this.options.serverErrorRate,
      seed: this.options.seed,
    });
    api.faults.failPublishAfterShadowUpdate(this.options.partialFailures, 3);
    const at = (share: number, step: () => Promise<void> | void) =>
      new Promise<void>((resolve) => setTimeout(resolve, share * faultSeconds * 1000)).then(step);
    const half = Math.ceil(this.options.newThings / 2);
    const schedule = Promise.all([
      at(0.2, async () => {
        tts.failNext({ pathPattern: /.*/, status: 503, times: TTS_FAILURES });
        await this.createThings(half);
      }),
      at(0.5, async () => {
        tts.setLatency(TTS_STALL_MS);
        await this.createThings(this.options.newThings - half);
      }),
      at(0.7, () => tts.setLatency(0)),
    ]);
    await Promise.all([
      this.pace(faultRate, faultSeconds),
      this.requestDownlinks(faultSeconds),
      schedule,
    ]);
    const injected = api.faults.injected;
    api.faults.clear();
    tts.setLatency(0);
    this.faultCounts = { ...injected, ttsFailures: TTS_FAILURES, ttsStallMs: TTS_STALL_MS };
    await this.drain('faults');
    await this.settleNewThings();
    await this.flushDownlinks();
  }

  /** Requests `downlinkRate` downlinks per second, each with bytes of its own, over the devices. */
  private async requestDownlinks(seconds: number): Promise<void> {
    const { broker, devices } = this.live;
    const total = Math.round(this.options.downlinkRate * seconds);
    for (let i = 0; i < total; i++) {
      const thingName = devices[(i * 7) % devices.length]!.devEUI;
      const bytes = Buffer.from([0xd0, (i >>> 16) & 0xff, (i >>> 8) & 0xff, i & 0xff]);
      this.requested.set(thingName, [
        ...(this.requested.get(thingName) ?? []),
        bytes.toString('hex'),
      ]);
      await broker.publish(
        'lorawan/downlink',
        JSON.stringify({ thingName, bytes: bytes.toString('base64'), fPort: 10 }),
        { qos: 1 },
      );
      await new Promise((resolve) => setTimeout(resolve, 1000 / this.options.downlinkRate));
    }
  }

  /** Creates things as `aws iot create-thing` would (the SDK retrying the injected faults). */
  private async createThings(count: number): Promise<void> {
    const iot = new IoTClient({
      endpoint: this.live.api.url,
      region: 'us-east-1',
      credentials: { accessKeyId: 'soak', secretAccessKey: 'soak' },
      maxAttempts: 10,
    });
    try {
      for (let i = 0; i < count; i++) {
        const devEUI = `AA55AA55${(this.newThings.length + 1).toString(16).toUpperCase().padStart(8, '0')}`;
        this.newThings.push(devEUI);
        const attributes = {
          devEUI,
          stackName: STACK,
          joinEUI: JOIN_EUI,
          lorawanVersion: '1.0.3',
          regionalParametersVersion: '1.0.3-a',
          frequencyPlanID: 'EU_863_870_TTN',
          appKey: randomBytes(16).toString('hex').toUpperCase(),
        };
        await iot.send(
          new CreateThingCommand({
            thingName: devEUI,
            thingTypeName: DEFAULT_OPTIONS.thingTypeName,
            attributePayload: { attributes },
          }),
        );
      }
    } finally {
      iot.destroy();
    }
  }

  /** The things created under TTS faults: the simulator finds them registered, they join and send one uplink. */
  private async settleNewThings(): Promise<void> {
    const { simulator } = this.live;
    const registered = await waitFor(
      () => {
        simulator.discover();
        return this.newThings.every((devEUI) => simulator.profile(devEUI) !== undefined);
      },
      DRAIN_MS,
      250,
    );
    const found = this.newThings.filter((devEUI) => simulator.profile(devEUI) !== undefined);
    if (!registered)
      this.progress(`only ${found.length}/${this.newThings.length} new things reached TTS`);
    await this.joinAll(found, DRAIN_MS).catch((error: Error) => this.progress(error.message));
    for (const devEUI of found) await simulator.uplink(devEUI).catch(() => undefined);
    await this.drain('new things');
  }

  /** Sends uplinks from devices with requested downlinks not yet received, so class A delivers them. */
  private async flushDownlinks(): Promise<void> {
    for (let round = 0; round < 4; round++) {
      const waiting = [...this.requested.keys()].filter((thing) => this.undelivered(thing) > 0);
      if (waiting.length === 0) return;
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      for (const thing of waiting) await this.live.simulator.uplink(thing).catch(() => undefined);
      await this.drain('downlinks');
    }
  }

  private undelivered(thing: string): number {
    const received = new Set(
      this.live.simulator.received(thing).map((d) => Buffer.from(d.payload).toString('hex')),
    );
    return (this.requested.get(thing) ?? []).filter((hex) => !received.has(hex)).length;
  }

  private deliveredDownlinks(): SoakReport['downlinks'] {
    let requested = 0;
    let undelivered = 0;
    for (const [thing, list] of this.requested) {
      requested += list.length;
      undelivered += this.undelivered(thing);
    }
    return { requested, delivered: requested - undelivered };
  }

  /** Every device's `lorawan` shadow must hold the FCnt of its last uplink. */
  private checkShadows(): SoakReport['wrongFCntUp'] {
    const examples: string[] = [];
    let count = 0;
    for (const [thing, fCnt] of this.probe.lastFCnts()) {
      const reported = this.live.api.iotData.getState(thing, 'lorawan')?.reported;
      if (reported?.['fCntUp'] === fCnt) continue;
      count++;
      if (examples.length < 5)
        examples.push(`${thing}: shadow ${String(reported?.['fCntUp'])}, last uplink ${fCnt}`);
    }
    return { count, examples };
  }

  /**
   * Stops the stack while uplinks keep coming (a stop lets in-flight work finish), then
   * starts it again on the same data directory and checks what it kept.
   */
  private async restart(): Promise<RestartResult> {
    this.progress(
      'restart: stopping the stack under load and starting it again on the same data directory',
    );
    const before = this.live;
    return checkRestart(before, this.probe, {
      stop: async () => {
        const load = this.pace(this.options.faultRate, RESTART_LOAD_SECONDS);
        await new Promise((resolve) => setTimeout(resolve, (RESTART_LOAD_SECONDS * 1000) / 2));
        const stopping = before.stop();
        // Uplinks from here on find no stack (counted as not sent), as devices would.
        this.stack = undefined;
        await Promise.all([stopping, load]);
        this.detach?.();
      },
      start: () => this.start(false),
    });
  }

  private latencyFigures(): LatencyFigure[] {
    const phases = [
      ...this.options.rates.map((rate) => ({ phase: `${rate}/s`, rate })),
      { phase: 'faults', rate: this.options.faultRate },
    ];
    return phases.map(({ phase, rate }) => {
      const sorted = this.probe.latenciesOf(phase);
      return {
        phase,
        rate,
        throughput: this.probe.throughputOf(phase),
        samples: sorted.length,
        p50: percentile(sorted, 50),
        p99: percentile(sorted, 99),
        max: sorted.at(-1),
        ...(this.costs.has(phase) && { cost: this.costs.get(phase)! }),
      };
    });
  }
}
