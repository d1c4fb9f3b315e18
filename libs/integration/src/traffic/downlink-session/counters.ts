/**
 * The downlink counters of a thing's E2E session as the `lorawan` shadow keeps them
 * (`fCntDown`, `fCntDownSession`, `recentDownlinks`, `earlierSessions`), the session a downlink
 * reads back, the recorded pushes and their fingerprints, and the counter arithmetic. See
 * shadow-state.ts for who writes which fields, and why the counters are kept per session and
 * never reset by a join.
 */
import { createHash } from 'node:crypto';
import { isJsonObject, objectOf, readInput, type InputIssue } from '@tts-aws-iot/input';
import { parseKeyEnvelope, type KeyEnvelope } from '@tts-aws-iot/keywrap';
import * as v from 'valibot';
import { IntegrationError, InputError } from '../../errors';
import type { ShadowDocument } from '../../ports';
import {
  isCounter,
  LORAWAN_SHADOW_NAME,
  MAX_F_CNT,
  type ShadowKeyEnvelope,
  type ShadowReport,
} from '../shadow-state';

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

// The shadow's fields as the downlink session reads them. Anyone who may update the shadow
// may write them, so they are read like any input; their issues name the field only (see
// damagedSession), so the messages say what each should have been, for whoever reads the
// schema.
const COUNTER = v.custom<number>(isCounter, 'a frame counter (a whole number within 32 bits)');
const SESSION_ID = v.pipe(v.string('a session key ID'), v.minLength(1, 'a session key ID'));
const DEV_ADDR_FIELD = v.pipe(
  v.string('8 hex digits'),
  v.regex(DEV_ADDR, '8 uppercase hex digits'),
);

/** The wrapped AppSKey as the shadow keeps it (its key bytes are checked when it is unwrapped). */
const SHADOW_ENVELOPE = objectOf(
  { encryptedKey: v.string('base64'), kekLabel: v.string('a KEK label') },
  'a wrapped key {encryptedKey, kekLabel}',
);

/**
 * A reservation, checked by one guard rather than an object schema: every uplink reads up to
 * {@link MAX_RECENT_DOWNLINKS} of them, and an object schema costs about 0.3 µs an entry
 * (18 µs for a full list, over a third of an uplink's 50 µs budget); the guard about 0.04.
 */
const RECENT_DOWNLINK = v.custom<RecentDownlink>(
  (entry) =>
    isJsonObject(entry) &&
    typeof entry['id'] === 'string' &&
    isCounter(entry['fCnt']) &&
    (entry['at'] === undefined || (typeof entry['at'] === 'number' && entry['at'] >= 0)) &&
    (entry['sha'] === undefined || typeof entry['sha'] === 'string'),
  'a reservation {id, fCnt, at, sha}',
);

const EARLIER_SESSION = objectOf(
  {
    sessionID: v.string('a session key ID'),
    fCntDown: COUNTER,
    // Kept only to re-encrypt invalidated downlinks: a damaged one leaves the session without
    // a key (its downlinks are then not moved), which is no reason to refuse its counter.
    devAddr: v.fallback(v.optional(DEV_ADDR_FIELD), undefined),
    appSKeyEnvelope: v.fallback(v.optional(SHADOW_ENVELOPE), undefined),
  },
  'an earlier session {sessionID, fCntDown}',
);

/** The counter fields of the reported state, in the order they are checked; none yet is 0. */
const COUNTERS = v.object({
  fCntDownSession: v.nullish(SESSION_ID),
  fCntDown: v.nullish(COUNTER),
  recentDownlinks: v.nullish(v.array(RECENT_DOWNLINK, 'a list of reservations')),
  earlierSessions: v.nullish(v.array(EARLIER_SESSION, 'a list of earlier sessions')),
});

/** The session fields checked before the envelope. */
const SESSION = v.object({ devAddr: DEV_ADDR_FIELD, sessionID: SESSION_ID });

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
  const { devAddr, sessionID } = readInput(SESSION, reported, damagedField(thingName));
  let appSKeyEnvelope: KeyEnvelope;
  try {
    appSKeyEnvelope = parseKeyEnvelope(reported['appSKeyEnvelope']);
  } catch (error) {
    throw damagedSession(thingName, 'appSKeyEnvelope', error);
  }
  const counters = readCounters(thingName, reported);
  const lastAFCntDown = reported['lastAFCntDown'] ?? 0;
  if (!isCounter(lastAFCntDown)) throw damagedSession(thingName, 'lastAFCntDown');
  return {
    devAddr,
    sessionID,
    appSKeyEnvelope,
    lastFCntDown: Math.max(lastReserved(counters, sessionID), lastAFCntDown),
    counters,
    version: shadow.version,
  };
}

/** The refusal of a damaged shadow field: the issue's first key is the field. */
function damagedField(thingName: string): (issue: InputIssue) => InputError {
  return (issue) => damagedSession(thingName, String(issue.path[0] ?? ''));
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

/**
 * The downlink counters in a shadow's reported state (none yet: 0 in no session).
 *
 * @throws InputError `invalid_session_state` when a counter field is damaged
 */
export function readCounters(
  thingName: string,
  reported: Readonly<Record<string, unknown>>,
): DownlinkCounters {
  const counters = readInput(COUNTERS, reported, damagedField(thingName));
  return {
    fCntDown: counters.fCntDown ?? 0,
    session: counters.fCntDownSession ?? undefined,
    recent: counters.recentDownlinks ?? [],
    earlier: counters.earlierSessions ?? [],
  };
}

const SESSION_FIELDS = new Set(['devAddr', 'sessionID', 'appSKeyEnvelope', 'lastAFCntDown']);

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
  const counted = counters.session;
  const sameSession = counted === undefined || counted === sessionID;
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
      { sessionID: counted, fCntDown: counters.fCntDown },
      ...counters.earlier.filter(
        (entry) => entry.sessionID !== sessionID && entry.sessionID !== counted,
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
): (ShadowReport & { readonly fCntDown: number }) | undefined {
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
    const envelope = v.safeParse(SHADOW_ENVELOPE, reported['appSKeyEnvelope']);
    const devAddr = reported['devAddr'];
    const before = moved.find((entry) => entry.sessionID === held) ??
      counters.earlier.find((entry) => entry.sessionID === held) ?? { fCntDown: 0 };
    const entry: EarlierSession = {
      sessionID: held,
      fCntDown: Math.max(before.fCntDown, counterOr0(reported['lastAFCntDown'])),
      ...(typeof devAddr === 'string' && DEV_ADDR.test(devAddr) ? { devAddr } : {}),
      ...(envelope.success ? { appSKeyEnvelope: envelope.output } : {}),
    };
    moved.splice(0, moved.length, entry, ...moved.filter((m) => m.sessionID !== held));
  }
  const start = sameCounters
    ? counters.fCntDown
    : (counters.earlier.find((entry) => entry.sessionID === sessionID)?.fCntDown ?? 0);
  const report: ShadowReport & { fCntDown: number } = {
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
