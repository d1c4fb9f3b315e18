/**
 * The `lorawan` named shadow (docs/architecture.md "Shadow"): what uplinks and join-accepts
 * report into `state.reported`, and the E2E session a downlink reads back.
 *
 * The downlink counters and the E2E session a downlink reads back are the downlink session's
 * (downlink-session/counters.ts, which says how they are kept); this file holds the rest.
 *
 * Two kinds of fields: metrics (`lastSeen`, `gateways`, `fCntUp`, `rssi`, `snr`,
 * `activated`, `payload`), which `ThingShadowMetrics=false` turns off, and the E2E session
 * (`devAddr`, `sessionID`, `appSKeyEnvelope`, `lastAFCntDown`, and the downlink counters),
 * which downlinks need and which is always kept. `devAddr` and `sessionID` are metrics too
 * without E2E.
 *
 * Writers. Uplinks and join-accepts write the session (`devAddr`, `sessionID`,
 * `appSKeyEnvelope`) together with `lastAFCntDown`, the last application downlink counter the
 * network reported for that session, in one update: the four always belong to one session.
 * That update is written only when it is newer than the shadow's ({@link isNewerUplink}), at
 * the version it was judged against. Only downlink counter reservations write the counters (`fCntDown`,
 * `fCntDownSession`, `recentDownlinks`, `earlierSessions`), always at the version they read.
 *
 * Why the counters are kept per session and never reset by a join: Lambda delivers events at
 * least once and out of order, so a join-accept may be handled again after downlinks of its
 * session used counters, and an uplink of an older session may arrive after a newer session's
 * join. Resetting a counter on either would hand out a counter of the same AppSKey twice, and
 * a reused counter reuses the AES keystream. So `fCntDown` counts in the session
 * `fCntDownSession` names; a session seen for the first time starts at 0 (a rejoin restarts
 * the counters, also when only its uplinks were seen); and the last counters of a few earlier
 * sessions are kept in `earlierSessions`, so that an older session coming back continues
 * where it stopped. The next counter is one past `max(the session's fCntDown,
 * lastAFCntDown)`, which is how every uplink "raises fCntDown to at least last_a_f_cnt_down".
 */
import type { WrappedKeyEnvelope } from '@tts-aws-iot/keywrap';

/** The name of the integration's named shadow. */
export const LORAWAN_SHADOW_NAME = 'lorawan';

/** AWS IoT's limit for a shadow document's state (desired + reported). */
export const MAX_SHADOW_STATE_BYTES = 8 * 1024;

/** AWS IoT's limit for the nesting depth of a shadow document (`state` counts as 1). */
const MAX_SHADOW_DEPTH = 6;

/**
 * Room kept for the shadow fields that one update does not carry but the document holds
 * (session envelope, downlink counters, location, activation time, …): they count towards
 * the 8 KB as well.
 */
const RESERVED_BYTES = 2048;

/** The wrapped AppSKey as the shadow keeps it: never the plaintext key. */
export interface ShadowKeyEnvelope {
  /** base64 of the RFC 3394-wrapped key (24 bytes). */
  readonly encryptedKey: string;
  readonly kekLabel: string;
}

/** The reported fields of one update; `null` deletes a field. */
export type ShadowReport = Record<string, unknown>;

/** What a join-accept reports. */
export interface JoinAcceptReportInput {
  /** `ThingShadowMetrics`. */
  readonly metrics: boolean;
  /** TTS's `received_at` of the join. */
  readonly receivedAt: string | undefined;
  readonly devAddr: string | undefined;
  readonly sessionID: string | undefined;
  /** The session's wrapped AppSKey; set with E2E. */
  readonly appSKeyEnvelope: ShadowKeyEnvelope | undefined;
}

/**
 * The shadow fields a join-accept sets. The session's downlink counter is not touched: a
 * session new to the shadow starts at 0 anyway, and a join-accept handled again must not take
 * its session back to 0 (see the module comment).
 */
export function joinAcceptReport(input: JoinAcceptReportInput): ShadowReport {
  const report: ShadowReport = {};
  if (input.metrics) {
    if (input.receivedAt !== undefined) {
      report['activated'] = input.receivedAt;
      report['lastSeen'] = input.receivedAt;
    }
    report['fCntUp'] = 0;
  }
  if (input.metrics || input.appSKeyEnvelope) {
    if (input.devAddr !== undefined) report['devAddr'] = input.devAddr;
    if (input.sessionID !== undefined) report['sessionID'] = input.sessionID;
  }
  if (input.appSKeyEnvelope) {
    report['appSKeyEnvelope'] = input.appSKeyEnvelope;
    report['lastAFCntDown'] = 0;
  }
  return report;
}

/** One gateway's reception, as the metrics use it. */
export interface Reception {
  readonly gatewayID: string;
  readonly gatewayEUI: string | undefined;
  readonly rssi: number | undefined;
  readonly snr: number | undefined;
}

/** What an uplink reports. */
export interface UplinkReportInput {
  readonly metrics: boolean;
  readonly receivedAt: string | undefined;
  readonly devAddr: string | undefined;
  readonly sessionID: string | undefined;
  readonly fCnt: number;
  readonly rxMetadata: readonly Reception[];
  /** With E2E: the network's last application downlink counter (TTS omits 0). */
  readonly lastAFCntDown: number | undefined;
  /** With E2E: the session's wrapped AppSKey (so downlinks work without a join seen). */
  readonly appSKeyEnvelope: ShadowKeyEnvelope | undefined;
}

/** The shadow fields an uplink sets. */
export function uplinkReport(input: UplinkReportInput): ShadowReport {
  const report: ShadowReport = {};
  if (input.metrics) {
    if (input.receivedAt !== undefined) report['lastSeen'] = input.receivedAt;
    report['fCntUp'] = input.fCnt;
    let rssi: number | undefined;
    let snr: number | undefined;
    const gateways = new Set<string>();
    for (const rx of input.rxMetadata) {
      gateways.add(rx.gatewayEUI === undefined ? rx.gatewayID : `${rx.gatewayID}/${rx.gatewayEUI}`);
      if (rx.rssi !== undefined && (rssi === undefined || rx.rssi > rssi)) rssi = rx.rssi;
      if (rx.snr !== undefined && (snr === undefined || rx.snr > snr)) snr = rx.snr;
    }
    report['gateways'] = gateways.size;
    if (rssi !== undefined) report['rssi'] = rssi;
    if (snr !== undefined) report['snr'] = snr;
  }
  if (input.metrics || input.appSKeyEnvelope) {
    if (input.devAddr !== undefined) report['devAddr'] = input.devAddr;
    if (input.sessionID !== undefined) report['sessionID'] = input.sessionID;
  }
  if (input.appSKeyEnvelope) {
    report['appSKeyEnvelope'] = input.appSKeyEnvelope;
    // Always with the session it belongs to: TTS omits a 0, and leaving the field out would
    // pair a new session with the previous session's counter.
    report['lastAFCntDown'] = input.lastAFCntDown ?? 0;
  }
  return report;
}

/**
 * Where an uplink or a join-accept stands in its device's history, as far as the shadow records
 * it: the session (TTS's `session_key_id`, else the DevAddr), the FCnt (a join-accept comes
 * before its session's first uplink: -1) and TTS's `received_at`. Any part may be unknown.
 */
export interface UplinkPosition {
  readonly session: string | undefined;
  readonly fCnt: number | undefined;
  /** `received_at` as [milliseconds since the epoch, nanoseconds within the millisecond]. */
  readonly at: readonly [number, number] | undefined;
}

/** FCnt of a join-accept's position: before any uplink of its session. */
export const JOIN_F_CNT = -1;

/**
 * A lower FCnt in the same session that TTS received this much later than the shadow's is a
 * device that reset its counter (ABP). A late or retried event (even one redriven from the
 * dead-letter queue) keeps the `received_at` of its uplink, earlier than the newer one's; the
 * margin only covers clocks of TTS's servers that disagree.
 */
const F_CNT_RESET_MS = 15 * 60 * 1000;

const RFC3339 = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)$/i;

/** An RFC 3339 time (TTS's, to the nanosecond) as [ms, ns within the ms]; undefined if not one. */
export function parseReceivedAt(time: unknown): UplinkPosition['at'] {
  if (typeof time !== 'string') return undefined;
  const match = RFC3339.exec(time);
  if (!match) return undefined;
  const fraction = (match[2] ?? '').padEnd(9, '0');
  const ms = Date.parse(`${match[1]}${match[3]}`) + Number(fraction.slice(0, 3));
  return Number.isFinite(ms) ? [ms, Number(fraction.slice(3))] : undefined;
}

/** The position of the newest uplink (or join-accept) a shadow's reported state holds. */
export function shadowUplinkPosition(
  reported: Readonly<Record<string, unknown>> | undefined,
): UplinkPosition {
  const sessionID = reported?.['sessionID'];
  const devAddr = reported?.['devAddr'];
  const fCnt = reported?.['fCntUp'];
  return {
    session:
      typeof sessionID === 'string' ? sessionID : typeof devAddr === 'string' ? devAddr : undefined,
    fCnt: isCounter(fCnt) ? fCnt : undefined,
    at: parseReceivedAt(reported?.['lastSeen']),
  };
}

/**
 * Whether a report at `report` is newer than what the shadow holds at `held`, so that writing
 * it cannot move the shadow back. In one session the higher FCnt is newer (the same FCnt only
 * when TTS received it later: the first uplink after a join-accept, FCnt 0); across sessions,
 * the one TTS received later (a device keeps its old session until it takes a join-accept).
 * What cannot be told apart is written, as before: a shadow without position, a time unknown.
 */
export function isNewerUplink(report: UplinkPosition, held: UplinkPosition | undefined): boolean {
  if (!held) return true;
  const later = (margin = 0): boolean | undefined =>
    report.at && held.at ? compareTimes(report.at, held.at, margin) > 0 : undefined;
  if (report.session !== undefined && held.session !== undefined && report.session !== held.session)
    return later() ?? true;
  if (report.fCnt === undefined || held.fCnt === undefined) return later() ?? true;
  if (report.fCnt > held.fCnt) return true;
  if (report.fCnt === held.fCnt) return later() ?? false;
  return later(F_CNT_RESET_MS) ?? false;
}

/** Compares `a` with `b` plus `marginMs`. */
function compareTimes(
  a: readonly [number, number],
  b: readonly [number, number],
  marginMs: number,
) {
  const ms = a[0] - (b[0] + marginMs);
  return ms !== 0 ? ms : a[1] - b[1];
}

/** The outcome of {@link withDecodedPayload}. */
export type PayloadPlacement =
  | { readonly included: true; readonly report: ShadowReport }
  | { readonly included: false; readonly report: ShadowReport; readonly reason: string };

/**
 * Adds TTS's `decoded_payload` to a report as `payload`, when the shadow document stays
 * within AWS IoT's 8 KB and nesting limits. Otherwise the report clears `payload` (so that
 * an older one is not mistaken for current) and the reason says why it was left out.
 */
export function withDecodedPayload(
  report: ShadowReport,
  payload: Readonly<Record<string, unknown>>,
): PayloadPlacement {
  // state → reported → payload are the first three levels of the document.
  const depth = 3 + depthOf(payload);
  if (depth > MAX_SHADOW_DEPTH) {
    return {
      included: false,
      report: { ...report, payload: null },
      reason: `the decoded payload nests ${depth} levels deep in the shadow; AWS IoT allows ${MAX_SHADOW_DEPTH}`,
    };
  }
  const candidate = { ...report, payload };
  const bytes =
    Buffer.byteLength(JSON.stringify({ state: { reported: candidate } })) + RESERVED_BYTES;
  if (bytes > MAX_SHADOW_STATE_BYTES) {
    return {
      included: false,
      report: { ...report, payload: null },
      reason: `the shadow document would be about ${bytes} bytes with the decoded payload; AWS IoT allows ${MAX_SHADOW_STATE_BYTES}`,
    };
  }
  return { included: true, report: candidate };
}

function depthOf(value: unknown): number {
  if (typeof value !== 'object' || value === null) return 0;
  let deepest = 0;
  for (const child of Object.values(value)) deepest = Math.max(deepest, depthOf(child));
  return 1 + deepest;
}

/** Writes an envelope in the shadow's form. */
export function toShadowEnvelope(envelope: WrappedKeyEnvelope): ShadowKeyEnvelope {
  return {
    encryptedKey: Buffer.from(envelope.encryptedKey).toString('base64'),
    kekLabel: envelope.kekLabel,
  };
}

/** The largest frame counter (32 bits). */
export const MAX_F_CNT = 0xffff_ffff;

/** Whether `value` is a frame counter (an integer within 32 bits). */
export function isCounter(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= MAX_F_CNT;
}
