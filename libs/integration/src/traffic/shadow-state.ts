/**
 * The `lorawan` named shadow (docs/architecture.md "Shadow"): what uplinks and join-accepts
 * report into `state.reported`, and the E2E session a downlink reads back.
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
import { createHash } from 'node:crypto';
import { parseKeyEnvelope, type KeyEnvelope, type WrappedKeyEnvelope } from '@tts-aws-iot/keywrap';
import { IntegrationError, InputError } from '../errors';
import type { ShadowDocument } from '../ports';

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

const MAX_F_CNT = 0xffff_ffff;

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

/** A downlink counter reserved for a downlink (`recentDownlinks`). */
export interface RecentDownlink {
  /** The downlink's ID (its correlation ID), unique per push attempt. */
  readonly id: string;
  readonly fCnt: number;
  /** When the counter was reserved (seconds since the epoch); absent in older shadows. */
  readonly at?: number;
  /**
   * The fingerprint of what was pushed at `fCnt` ({@link pushFingerprint}): only a report
   * on exactly that frame may have it re-pushed. Absent in older shadows.
   */
  readonly sha?: string;
}

/** The last downlink counter of a session before the current one (`earlierSessions`). */
export interface EarlierSession {
  readonly sessionID: string;
  readonly fCntDown: number;
  /**
   * The session's DevAddr and wrapped AppSKey, kept for the newest
   * {@link MAX_EARLIER_SESSION_KEYS} earlier sessions only: downlinks that TTS invalidates
   * when the session changes are encrypted under them (never the plaintext key).
   */
  readonly devAddr?: string;
  readonly appSKeyEnvelope?: ShadowKeyEnvelope;
}

/** The downlink counters as the shadow holds them (see the module comment). */
export interface DownlinkCounters {
  /** The last counter reserved, in session `session`. */
  readonly fCntDown: number;
  /**
   * The session `fCntDown` counts in; `undefined` in a shadow written before sessions were
   * recorded, where it counts in the current session.
   */
  readonly session: string | undefined;
  /** The last reservations in session `session`, newest first. */
  readonly recent: readonly RecentDownlink[];
  /** The last counters of a few sessions before `session`, newest first. */
  readonly earlier: readonly EarlierSession[];
}

/**
 * How long a reservation stays in `recentDownlinks`: longer than Lambda keeps retrying an
 * event (the traffic functions' MaximumEventAgeInSeconds is 600), so that a retried
 * invocation always finds its counter, however many other downlinks came in between.
 */
export const RESERVATION_RETENTION_SECONDS = 15 * 60;
/**
 * How many reservations `recentDownlinks` holds at most (about 100 bytes each: with the
 * session, within the shadow's 8 KB). A reservation still within its retention is never dropped for a newer
 * one: past this many downlinks within the retention, new ones are refused instead.
 */
export const MAX_RECENT_DOWNLINKS = 60;
/** How many earlier sessions keep their last counter (`earlierSessions`). */
export const MAX_EARLIER_SESSIONS = 3;
/** How many of them keep their DevAddr and wrapped AppSKey too (the newest). */
export const MAX_EARLIER_SESSION_KEYS = 2;

/** Earlier sessions within their bounds: the newest first, keys on the newest only. */
function boundedEarlier(earlier: readonly EarlierSession[]): EarlierSession[] {
  return earlier
    .slice(0, MAX_EARLIER_SESSIONS)
    .map((entry, index) =>
      index < MAX_EARLIER_SESSION_KEYS
        ? entry
        : { sessionID: entry.sessionID, fCntDown: entry.fCntDown },
    );
}

/** The E2E session a downlink needs, read from the shadow. */
export interface DownlinkSession {
  /** 8 uppercase hex digits. */
  readonly devAddr: string;
  /** base64, as TTS's `session_key_id`. */
  readonly sessionID: string;
  readonly appSKeyEnvelope: KeyEnvelope;
  /** The last downlink counter in use in this session: `max(its fCntDown, lastAFCntDown)`. */
  readonly lastFCntDown: number;
  /** The counters as read, for the reservation that writes them back. */
  readonly counters: DownlinkCounters;
  /** The shadow version the session was read at (for a versioned reservation). */
  readonly version: number;
}

const DEV_ADDR = /^[0-9A-F]{8}$/;

/**
 * The E2E session in a shadow document.
 *
 * @throws InputError `no_session` when the shadow holds none (the device has not joined,
 *   or sent no uplink, since E2E was enabled); `invalid_session_state` when its fields are
 *   damaged
 */
export function readDownlinkSession(
  thingName: string,
  shadow: ShadowDocument | undefined,
): DownlinkSession {
  const reported = shadow?.state.reported;
  if (
    !shadow ||
    !reported ||
    reported['appSKeyEnvelope'] === undefined ||
    reported['appSKeyEnvelope'] === null
  ) {
    throw new InputError(
      'no_session',
      `Thing ${thingName} has no end-to-end encrypted session in its ${LORAWAN_SHADOW_NAME} shadow yet. Wait for the device to join or send an uplink, then retry the downlink.`,
      { thingName },
    );
  }
  const damaged = (field: string, cause?: unknown) => damagedSession(thingName, field, cause);
  const devAddr = reported['devAddr'];
  if (typeof devAddr !== 'string' || !DEV_ADDR.test(devAddr)) throw damaged('devAddr');
  const sessionID = reported['sessionID'];
  if (typeof sessionID !== 'string' || sessionID === '') throw damaged('sessionID');
  let appSKeyEnvelope: KeyEnvelope;
  try {
    appSKeyEnvelope = parseKeyEnvelope(reported['appSKeyEnvelope']);
  } catch (error) {
    throw damaged('appSKeyEnvelope', error);
  }
  const counters = readCounters(thingName, reported);
  return {
    devAddr,
    sessionID,
    appSKeyEnvelope,
    lastFCntDown: Math.max(
      lastReserved(counters, sessionID),
      readCounter(thingName, reported, 'lastAFCntDown'),
    ),
    counters,
    version: shadow.version,
  };
}

/**
 * The error for a damaged shadow field. The session fields are rewritten by the next uplink
 * or join; the counters only by downlinks, so damage there takes a repair (never a lower
 * value: that would reuse counters).
 */
function damagedSession(thingName: string, field: string, cause?: unknown): InputError {
  return new InputError(
    'invalid_session_state',
    SESSION_FIELDS.has(field)
      ? `The ${LORAWAN_SHADOW_NAME} shadow of ${thingName} has an invalid ${field}. Let the device rejoin (or send an uplink) to rewrite the session.`
      : `The ${LORAWAN_SHADOW_NAME} shadow of ${thingName} has an invalid ${field}, which the integration writes to keep downlink frame counters unique. Repair it in the shadow: lowering a counter would reuse one.`,
    { thingName, field },
    cause === undefined ? undefined : { cause },
  );
}

function isCounter(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= MAX_F_CNT;
}

function readCounter(
  thingName: string,
  reported: Readonly<Record<string, unknown>>,
  field: string,
): number {
  const value = reported[field] ?? 0;
  if (!isCounter(value)) throw damagedSession(thingName, field);
  return value;
}

/**
 * The downlink counters in a shadow's reported state (none yet: 0 in no session).
 *
 * @throws InputError `invalid_session_state` when a counter field is damaged
 */
export function readCounters(
  thingName: string,
  reported: Readonly<Record<string, unknown>>,
): DownlinkCounters {
  const list = <T>(field: string, isEntry: (entry: Record<string, unknown>) => boolean): T[] => {
    const value = reported[field] ?? [];
    if (!Array.isArray(value) || !value.every((entry) => isRecord(entry) && isEntry(entry)))
      throw damagedSession(thingName, field);
    return value as T[];
  };
  const session = reported['fCntDownSession'] ?? undefined;
  if (session !== undefined && (typeof session !== 'string' || session === ''))
    throw damagedSession(thingName, 'fCntDownSession');
  return {
    fCntDown: readCounter(thingName, reported, 'fCntDown'),
    session,
    recent: list<RecentDownlink>(
      'recentDownlinks',
      (entry) =>
        typeof entry['id'] === 'string' &&
        isCounter(entry['fCnt']) &&
        (entry['at'] === undefined || (typeof entry['at'] === 'number' && entry['at'] >= 0)) &&
        (entry['sha'] === undefined || typeof entry['sha'] === 'string'),
    ),
    earlier: list<EarlierSession>(
      'earlierSessions',
      (entry) => typeof entry['sessionID'] === 'string' && isCounter(entry['fCntDown']),
    ),
  };
}

const SESSION_FIELDS = new Set(['devAddr', 'sessionID', 'appSKeyEnvelope', 'lastAFCntDown']);

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The last counter reserved in `sessionID` (0 for a session that has reserved none). */
function lastReserved(counters: DownlinkCounters, sessionID: string): number {
  if (counters.session === undefined || counters.session === sessionID) return counters.fCntDown;
  return counters.earlier.find((entry) => entry.sessionID === sessionID)?.fCntDown ?? 0;
}

/**
 * The reservation already made for downlink `downlinkID` in the session, if any: a retried
 * invocation pushes the same frame again rather than a second one at a new counter.
 */
export function reservedDownlink(
  session: DownlinkSession,
  downlinkID: string,
): RecentDownlink | undefined {
  const { counters } = session;
  if (counters.session !== session.sessionID) return undefined;
  return counters.recent.find((entry) => entry.id === downlinkID);
}

/** The counter already reserved for downlink `downlinkID` in the session, if any. */
export function reservedFCnt(session: DownlinkSession, downlinkID: string): number | undefined {
  return reservedDownlink(session, downlinkID)?.fCnt;
}

/** What a reservation records besides the counter. */
export interface ReservationRecord {
  /** The downlink the counter is for (unique per push attempt). */
  readonly downlinkID?: string;
  /** Now, in milliseconds since the epoch (injected: this library keeps off the clock). */
  readonly nowMs?: number;
  /** The fingerprint of the frame pushed at the counter ({@link pushFingerprint}). */
  readonly sha?: string;
}

/**
 * The shadow fields that reserve counter `fCnt` in the session (written at `session.version`):
 * the counter and its session, the downlink it is for, and, when the session differs from the
 * one the counters were kept for, that session's last counter among the earlier ones.
 * Reservations older than {@link RESERVATION_RETENTION_SECONDS} are dropped; younger ones
 * never are (an entry of an older shadow without a time is kept as if made now).
 *
 * @throws InputError `too_many_downlinks` when {@link MAX_RECENT_DOWNLINKS} reservations are
 *   within their retention: dropping one would let its retry push a second frame
 */
export function reservationReport(
  session: DownlinkSession,
  fCnt: number,
  record: string | ReservationRecord | undefined,
  thingName = 'the thing',
): ShadowReport {
  const { downlinkID, nowMs, sha } =
    typeof record === 'string'
      ? { downlinkID: record, nowMs: undefined, sha: undefined }
      : (record ?? {});
  const { counters, sessionID } = session;
  const sameSession = counters.session === undefined || counters.session === sessionID;
  const now = Math.floor((nowMs ?? 0) / 1000);
  const kept = (sameSession ? counters.recent : [])
    .map((entry) => (nowMs === undefined || entry.at !== undefined ? entry : { ...entry, at: now }))
    .filter(
      (entry) =>
        nowMs === undefined ||
        entry.at === undefined ||
        now - entry.at < RESERVATION_RETENTION_SECONDS,
    );
  if (downlinkID !== undefined && kept.length >= MAX_RECENT_DOWNLINKS) {
    if (nowMs === undefined) kept.length = MAX_RECENT_DOWNLINKS - 1;
    else
      throw new InputError(
        'too_many_downlinks',
        `Thing ${thingName} has had ${kept.length} downlinks in the last ${RESERVATION_RETENTION_SECONDS / 60} minutes, the most the integration tracks for retries. Wait a few minutes, then send the downlink again.`,
        { thingName, limit: MAX_RECENT_DOWNLINKS },
      );
  }
  const entry: RecentDownlink | undefined =
    downlinkID === undefined
      ? undefined
      : {
          id: downlinkID,
          fCnt,
          ...(nowMs === undefined ? {} : { at: now }),
          ...(sha === undefined ? {} : { sha }),
        };
  const recent = [...(entry ? [entry] : []), ...kept].slice(0, MAX_RECENT_DOWNLINKS);
  const report: ShadowReport = {
    fCntDown: fCnt,
    fCntDownSession: sessionID,
    recentDownlinks: recent,
  };
  if (!sameSession) {
    report['earlierSessions'] = boundedEarlier([
      { sessionID: counters.session!, fCntDown: counters.fCntDown },
      ...counters.earlier.filter(
        (entry) => entry.sessionID !== sessionID && entry.sessionID !== counters.session,
      ),
    ]);
  }
  return report;
}

/** The session an uplink or a join-accept reports, as the downlink counters need it. */
export interface ReportedSession {
  readonly sessionID: string;
  /** TTS's `last_a_f_cnt_down` of the session (0 at a join, and when TTS omits it). */
  readonly lastAFCntDown: number;
}

/**
 * The counter fields an uplink or join-accept of `session` writes besides its report, at the
 * version of `shadow`; `undefined` when the shadow's counters count in that session already
 * and `fCntDown` is at least `lastAFCntDown` (the steady state).
 *
 * A session new to the counters starts at 0 (a session seen before continues from its
 * earlier counter), raised to `lastAFCntDown`; the session the shadow held moves to
 * `earlierSessions` with its counter, DevAddr and wrapped AppSKey (the newest
 * {@link MAX_EARLIER_SESSION_KEYS} keep them), so that downlinks TTS invalidates can be
 * re-encrypted. `fCntDown` only ever rises within a session.
 *
 * @throws InputError `invalid_session_state` when the shadow's counters are damaged
 */
export function sessionCountersReport(
  thingName: string,
  shadow: ShadowDocument | undefined,
  session: ReportedSession,
): ShadowReport | undefined {
  const reported = shadow?.state.reported ?? {};
  const counters = readCounters(thingName, reported);
  const { sessionID, lastAFCntDown } = session;
  const held = typeof reported['sessionID'] === 'string' ? reported['sessionID'] : undefined;
  // A shadow written before sessions were recorded counts in the session it holds.
  const counting = counters.session ?? held;
  const sameCounters = counting === sessionID;
  if (sameCounters && held === sessionID && counters.fCntDown >= lastAFCntDown) return undefined;
  const moved: EarlierSession[] = [];
  if (counting !== undefined && !sameCounters)
    moved.push({ sessionID: counting, fCntDown: counters.fCntDown });
  if (held !== undefined && held !== sessionID) {
    const envelope = reported['appSKeyEnvelope'];
    const devAddr = reported['devAddr'];
    const before = moved.find((entry) => entry.sessionID === held) ??
      counters.earlier.find((entry) => entry.sessionID === held) ?? { fCntDown: 0 };
    const entry: EarlierSession = {
      sessionID: held,
      fCntDown: Math.max(before.fCntDown, counterOr0(reported['lastAFCntDown'])),
      ...(typeof devAddr === 'string' && DEV_ADDR.test(devAddr) ? { devAddr } : {}),
      ...(isShadowEnvelope(envelope) ? { appSKeyEnvelope: envelope } : {}),
    };
    moved.splice(0, moved.length, entry, ...moved.filter((m) => m.sessionID !== held));
  }
  const start = sameCounters
    ? counters.fCntDown
    : (counters.earlier.find((entry) => entry.sessionID === sessionID)?.fCntDown ?? 0);
  const report: ShadowReport = {
    fCntDown: Math.max(start, lastAFCntDown),
    fCntDownSession: sessionID,
  };
  if (!sameCounters && counters.recent.length > 0) report['recentDownlinks'] = [];
  if (moved.length > 0 || counters.earlier.some((entry) => entry.sessionID === sessionID)) {
    const movedIDs = new Set(moved.map((entry) => entry.sessionID));
    report['earlierSessions'] = boundedEarlier([
      ...moved,
      ...counters.earlier.filter(
        (entry) => entry.sessionID !== sessionID && !movedIDs.has(entry.sessionID),
      ),
    ]);
  }
  return report;
}

function counterOr0(value: unknown): number {
  return isCounter(value) ? value : 0;
}

function isShadowEnvelope(value: unknown): value is ShadowKeyEnvelope {
  return (
    isRecord(value) &&
    typeof value['encryptedKey'] === 'string' &&
    typeof value['kekLabel'] === 'string'
  );
}

/**
 * The fingerprint of a pushed E2E frame: SHA-256 over the FPort and the encrypted FRMPayload,
 * truncated to 72 bits (12 base64 characters). A `downlink_failed` report may have a frame re-pushed only
 * when it carries exactly what was pushed, so that the network cannot replay an older frame
 * or a bit-flipped one through a re-push.
 */
export function pushFingerprint(fPort: number, ciphertext: Uint8Array): string {
  return createHash('sha256')
    .update(Uint8Array.of(fPort & 0xff))
    .update(ciphertext)
    .digest()
    .subarray(0, 9)
    .toString('base64');
}

/**
 * The counter for the next downlink of a session: one past the last one in use, and at
 * least `minFCnt` when the network asked for it (`f_cnt_too_low`).
 *
 * @throws IntegrationError `f_cnt_exhausted` past 2^32 - 1: the device must rejoin
 */
export function nextFCntDown(session: Pick<DownlinkSession, 'lastFCntDown'>, minFCnt = 0): number {
  const next = Math.max(session.lastFCntDown + 1, minFCnt);
  if (next > MAX_F_CNT) {
    throw new IntegrationError(
      'f_cnt_exhausted',
      'The session has used every downlink frame counter; the device must rejoin before it can take more downlinks.',
      false,
    );
  }
  return next;
}
