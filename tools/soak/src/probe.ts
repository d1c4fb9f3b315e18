import { performance } from 'node:perf_hooks';

/** A message as the broker passes it on (the shape of tools/local's `BrokerMessage`). */
export interface ObservedMessage {
  readonly topic: string;
  readonly payload: Buffer;
}

type Json = Record<string, unknown>;

/** What the probe counted, for the report. */
export interface ProbeCounts {
  readonly uplinksSent: number;
  /** Sent uplinks republished on `lorawan/<thing>/uplink` at least once. */
  readonly republished: number;
  /** Sent uplinks never republished. */
  readonly lost: number;
  /** Republishes beyond the first of an uplink. */
  readonly duplicated: number;
  /** Distinct downlink frames pushed (device, session, FCntDown, payload). */
  readonly downlinkFramesPushed: number;
  /** Counters (device, session, FCntDown) pushed with more than one payload: keystream reuse. */
  readonly counterReuse: number;
  /** Downlink failures reported on `lorawan/<thing>/downlink/failed`. */
  readonly downlinkFailures: number;
  readonly joins: number;
  /** Uplinks sent again with a DevEUI and FCnt already used (a device counter restored older). */
  readonly fCntUpReused: number;
}

/**
 * Watches the broker, in the stack's own process: a TTS uplink on
 * `thethings/lorawan/<stack>/uplink` starts its clock, its republish on
 * `lorawan/<thing>/uplink` (the same DevEUI and FCnt) stops it. Every frame pushed on
 * `…/downlink/push` is recorded by device, session and counter, so that one counter carrying
 * two payloads — a reused keystream — is found across all devices.
 */
export class TrafficProbe {
  /** `<DevEUI>:<FCnt>:<session>` → when the broker saw the TTS uplink, and in which phase. */
  private readonly sent = new Map<string, { readonly at: number; readonly phase: string }>();
  /** TTS uplinks whose DevEUI, FCnt and session were sent before: a device counter gone back. */
  private resent = 0;
  /** `<DevEUI>:<FCnt>:<session>` → how many republishes. */
  private readonly republishes = new Map<string, number>();
  private readonly latencies = new Map<string, number[]>();
  /** Per phase: when its first uplink was sent and its last republish seen. */
  private readonly spans = new Map<string, { first: number; last: number }>();
  /** `<device>:<session>:<FCntDown>` → the payloads pushed at that counter. */
  private readonly frames = new Map<string, Set<string>>();
  private readonly joined = new Set<string>();
  private failures = 0;
  /** The phase new latencies count toward (`100/s`, `faults`, …). */
  phase = 'setup';

  constructor(private readonly stackName: string) {}

  /** Handles one message the broker passed on. */
  observe({ topic, payload }: ObservedMessage): void {
    const base = `thethings/lorawan/${this.stackName}/`;
    if (topic === `${base}uplink`) this.onTtsUplink(json(payload));
    else if (topic === `${base}downlink/push` || topic === `${base}downlink/replace`)
      this.onPush(json(payload));
    else if (topic.startsWith('lorawan/')) this.onRepublish(topic, payload);
  }

  /** Whether the join of a thing was republished. */
  hasJoined(thingName: string): boolean {
    return this.joined.has(thingName);
  }

  /** Whether an uplink of this thing (DevEUI) was republished. */
  hasRepublished(thingName: string): boolean {
    for (const key of this.republishes.keys()) if (key.startsWith(`${thingName}:`)) return true;
    return false;
  }

  /** Uplinks sent and not (yet) republished. */
  get outstanding(): number {
    let count = 0;
    for (const key of this.sent.keys()) if (!this.republishes.has(key)) count++;
    return count;
  }

  /** Uplinks sent in `phase` and not republished. */
  lostIn(phase: string): number {
    let count = 0;
    for (const [key, { phase: sentIn }] of this.sent)
      if (sentIn === phase && !this.republishes.has(key)) count++;
    return count;
  }

  /** Up to `limit` uplinks (`<DevEUI>:<FCnt>`) sent and not republished. */
  lostExamples(limit = 5): string[] {
    const lost: string[] = [];
    for (const key of this.sent.keys()) {
      if (lost.length >= limit) break;
      if (!this.republishes.has(key)) lost.push(key.split(':').slice(0, 2).join(':'));
    }
    return lost;
  }

  /** The highest FCnt each device sent, by thing name (DevEUI). */
  lastFCnts(): Map<string, number> {
    const last = new Map<string, number>();
    for (const key of this.sent.keys()) {
      const [thing = '', fCnt] = key.split(':');
      last.set(thing, Math.max(last.get(thing) ?? -1, Number(fCnt)));
    }
    return last;
  }

  /** Uplinks republished per second in a phase, from its first send to its last republish. */
  throughputOf(phase: string): number | undefined {
    const span = this.spans.get(phase);
    const count = this.latencies.get(phase)?.length ?? 0;
    return span && span.last > span.first ? (count * 1000) / (span.last - span.first) : undefined;
  }

  /** Latencies (ms) broker → republish measured in a phase, sorted. */
  latenciesOf(phase: string): number[] {
    return [...(this.latencies.get(phase) ?? [])].sort((a, b) => a - b);
  }

  counts(): ProbeCounts {
    let republished = 0;
    let duplicated = 0;
    for (const [key, times] of this.republishes) {
      if (!this.sent.has(key)) continue;
      republished++;
      duplicated += times - 1;
    }
    let reuse = 0;
    for (const payloads of this.frames.values()) if (payloads.size > 1) reuse++;
    return {
      uplinksSent: this.sent.size,
      republished,
      lost: this.sent.size - republished,
      duplicated,
      downlinkFramesPushed: [...this.frames.values()].reduce((n, set) => n + set.size, 0),
      counterReuse: reuse,
      downlinkFailures: this.failures,
      joins: this.joined.size,
      fCntUpReused: this.resent,
    };
  }

  private onTtsUplink(message: Json | undefined): void {
    const key = uplinkKey(message);
    if (key === undefined) return;
    if (this.sent.has(key)) {
      this.resent++;
      return;
    }
    const now = performance.now();
    this.sent.set(key, { at: now, phase: this.phase });
    if (!this.spans.has(this.phase)) this.spans.set(this.phase, { first: now, last: now });
  }

  private onRepublish(topic: string, payload: Buffer): void {
    const [, thing, kind, detail] = topic.split('/');
    if (thing === undefined) return;
    if (kind === 'join') this.joined.add(thing);
    else if (kind === 'downlink' && detail === 'failed') this.failures++;
    else if (kind === 'uplink') {
      const key = uplinkKey(json(payload));
      const start = key === undefined ? undefined : this.sent.get(key)?.at;
      if (key === undefined || start === undefined) return;
      const times = (this.republishes.get(key) ?? 0) + 1;
      this.republishes.set(key, times);
      if (times === 1) {
        const now = performance.now();
        const list = this.latencies.get(this.phase) ?? [];
        list.push(now - start);
        this.latencies.set(this.phase, list);
        const span = this.spans.get(this.phase);
        if (span) span.last = now;
      }
    }
  }

  private onPush(message: Json | undefined): void {
    const ids = message?.['end_device_ids'] as Json | undefined;
    const downlinks = message?.['downlinks'];
    if (!ids || !Array.isArray(downlinks)) return;
    for (const item of downlinks as Json[]) {
      if (item['f_cnt'] === undefined) continue;
      const key = `${String(ids['device_id'])}:${String(item['session_key_id'])}:${String(item['f_cnt'])}`;
      const payloads = this.frames.get(key) ?? new Set<string>();
      payloads.add(String(item['frm_payload']));
      this.frames.set(key, payloads);
    }
  }
}

/**
 * `<DevEUI>:<FCnt>:<session>` of a TTS uplink or its republish (both carry `end_device_ids`
 * and `uplink_message`): a rejoin starts a new session at FCnt 0.
 */
function uplinkKey(message: Json | undefined): string | undefined {
  const ids = message?.['end_device_ids'] as Json | undefined;
  const uplink = message?.['uplink_message'] as Json | undefined;
  const devEUI = ids?.['dev_eui'];
  if (typeof devEUI !== 'string' || uplink === undefined) return undefined;
  return `${devEUI.toUpperCase()}:${String(uplink['f_cnt'] ?? 0)}:${String(uplink['session_key_id'] ?? '')}`;
}

function json(payload: Buffer): Json | undefined {
  try {
    const value: unknown = JSON.parse(payload.toString('utf8'));
    return typeof value === 'object' && value !== null ? (value as Json) : undefined;
  } catch {
    return undefined;
  }
}

/** The p-th percentile (0..100) of sorted values, nearest rank. */
export function percentile(sorted: readonly number[], p: number): number | undefined {
  if (sorted.length === 0) return undefined;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}
