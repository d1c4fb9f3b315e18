import { createHash } from 'node:crypto';

import { BoundedCache } from '../../bounded-cache';
import { InputError, ShadowVersionConflictError, TransientError } from '../../errors';
import type { ShadowStore } from '../../ports';
import { LORAWAN_SHADOW_NAME, type ShadowReport } from '../shadow-state';
import {
  nextFCntDown,
  readDownlinkSession,
  reservationReport,
  reservedDownlink,
  sessionCountersReport,
  type DownlinkSession,
  type ReportedSession,
} from './counters';

/** How a reservation waits between attempts; injected so that this library keeps off the clock. */
export interface ReservationOptions {
  /** Waits `ms` milliseconds. */
  readonly delay: (ms: number) => Promise<void>;
  /** A number in [0, 1), for jitter. */
  readonly random: () => number;
  /** Attempts before giving up with a retryable error (default 40). */
  readonly maxAttempts?: number;
  /** The counter must be at least this (TTS's `min_f_cnt` after `f_cnt_too_low`). */
  readonly minFCnt?: number;
  /** Refuse when the shadow's session is no longer this one (a retry of an older downlink). */
  readonly sessionID?: string;
  /**
   * The downlink the counter is for, unique per push attempt. A reservation for an ID the
   * session has reserved a counter for already (a retried invocation) returns that counter
   * without writing, so that a retry pushes the same frame instead of a second one.
   */
  readonly downlinkID?: string;
  /** Now, in milliseconds since the epoch (default `Date.now`), for the reservations' age. */
  readonly now?: () => number;
  /**
   * Reserve only when the session recorded this push (a re-push after `f_cnt_too_low`): the
   * push attempt `id`, at `fCnt`, with fingerprint `sha`. Anything else is refused with
   * {@link RepushRefusedError}, before the shadow changes.
   */
  readonly recordedPush?: { readonly id: string; readonly fCnt: number; readonly sha: string };
  /**
   * The counters this container reserved per keystream ({@link KnownSessions}): a reservation
   * goes above them even when the shadow says less (a shadow writer lowered the counter, or
   * copied the session into another thing's shadow), so that no keystream is used twice.
   */
  readonly known?: Pick<KnownSessions, 'keystreamFloor' | 'reservedInKeystream'>;
}

/** A re-push refused because the report does not match a push the session recorded. */
export class RepushRefusedError extends InputError {
  override readonly name = 'RepushRefusedError';

  constructor(thingName: string, reason: string) {
    super(
      'repush_refused',
      `Not re-pushing the downlink of ${thingName}: ${reason}. Only a frame the integration pushed, reported back unchanged, is re-pushed; send the downlink again if it is still wanted.`,
      { thingName, reason },
    );
  }
}

/** A reserved downlink counter, the session it belongs to, and what `prepare` made of it. */
export interface Reservation<T = undefined> {
  readonly session: DownlinkSession;
  readonly fCnt: number;
  readonly prepared: T;
  /** Whether the counter was reserved for this downlink before (by an earlier invocation). */
  readonly repeated: boolean;
}

const BASE_DELAY_MS = 5;
const MAX_DELAY_MS = 250;
const DEFAULT_ATTEMPTS = 40;

/**
 * Reserves the next downlink frame counter of a thing's E2E session: reads the session and
 * writes the session's counter back at the version it read (see counters.ts). A
 * concurrent reservation (or uplink) moves the version on, the write fails with a conflict,
 * and the loop reads again after a jittered backoff; so concurrent downlinks never share a
 * counter, which with AES-CTR-style payload encryption would reuse a keystream.
 *
 * @throws InputError `no_session`, `invalid_session_state`, `session_changed`
 * @throws TransientError `f_cnt_reservation_contended` after `maxAttempts` conflicts
 */
export function reserveDownlinkFCnt(
  shadows: ShadowStore,
  thingName: string,
  options: ReservationOptions,
): Promise<Reservation>;
/**
 * As above, with `prepare` run on each session read before its counter is written: whatever
 * it throws (an AppSKey that does not unwrap) aborts the reservation before the shadow
 * changes, and what it returns comes back as `prepared`.
 */
export function reserveDownlinkFCnt<T>(
  shadows: ShadowStore,
  thingName: string,
  options: ReservationOptions,
  prepare: (session: DownlinkSession, fCnt: number) => Promise<T>,
  fingerprintOf?: (prepared: T) => string,
): Promise<Reservation<T>>;
export async function reserveDownlinkFCnt<T>(
  shadows: ShadowStore,
  thingName: string,
  options: ReservationOptions,
  prepare?: (session: DownlinkSession, fCnt: number) => Promise<T>,
  fingerprintOf?: (prepared: T) => string,
): Promise<Reservation<T | undefined>> {
  const attempts = options.maxAttempts ?? DEFAULT_ATTEMPTS;
  for (let attempt = 1; ; attempt++) {
    const session = readDownlinkSession(
      thingName,
      await shadows.getShadow(thingName, LORAWAN_SHADOW_NAME),
    );
    checkSameSession(thingName, session, options.sessionID);
    if (options.recordedPush) checkRecordedPush(thingName, session, options.recordedPush);
    const earlier =
      options.downlinkID === undefined ? undefined : reservedDownlink(session, options.downlinkID);
    const fCnt = earlier?.fCnt ?? nextCounter(session, options);
    const prepared = prepare ? await prepare(session, fCnt) : undefined;
    const sha = fingerprintOf && prepare ? fingerprintOf(prepared as T) : undefined;
    if (earlier !== undefined) {
      if (earlier.sha !== undefined && sha !== undefined && earlier.sha !== sha) {
        throw new InputError(
          'downlink_id_reused',
          `Downlink ${earlier.id} of ${thingName} was pushed before with other content. Send a new downlink (with a new ID).`,
          { thingName },
        );
      }
      return { session, fCnt, prepared, repeated: true };
    }
    try {
      await shadows.updateShadow(thingName, LORAWAN_SHADOW_NAME, {
        reported: reservationReport(
          session,
          fCnt,
          { downlinkID: options.downlinkID, nowMs: (options.now ?? Date.now)(), sha },
          thingName,
        ),
        version: session.version,
      });
      options.known?.reservedInKeystream(session, fCnt);
      return { session, fCnt, prepared, repeated: false };
    } catch (error) {
      if (!(error instanceof ShadowVersionConflictError)) throw error;
      if (attempt >= attempts) {
        throw new TransientError(
          'f_cnt_reservation_contended',
          `Could not reserve a downlink frame counter for ${thingName}: the shadow changed ${attempts} times in a row. The downlink is retried.`,
          { cause: error },
        );
      }
      // Full jitter: spreads the contenders so that each round has few of them.
      await options.delay(options.random() * Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** attempt));
    }
  }
}

/** Refuses a downlink encrypted for a session the device has left (it joined again since). */
function checkSameSession(
  thingName: string,
  session: DownlinkSession,
  sessionID: string | undefined,
): void {
  if (sessionID === undefined || session.sessionID === sessionID) return;
  throw new InputError(
    'session_changed',
    `The downlink for ${thingName} was encrypted for session ${sessionID}, but the device has joined again since (session ${session.sessionID}). Send the downlink again.`,
    { thingName },
  );
}

/** The session's next counter: above its own, `minFCnt` and what this container reserved. */
function nextCounter(session: DownlinkSession, options: ReservationOptions): number {
  const floor = options.known?.keystreamFloor(session);
  return nextFCntDown(session, Math.max(options.minFCnt ?? 0, floor === undefined ? 0 : floor + 1));
}

/**
 * What a container last wrote of each thing's session and downlink counter: an uplink whose
 * session is the one known here, and whose `last_a_f_cnt_down` the counter covers, needs no
 * shadow read (the steady state). Bounded in size and age; a miss only costs a read.
 */
export class KnownSessions {
  readonly #known: BoundedCache<string, { readonly sessionID: string; readonly fCntDown: number }>;
  /** The highest counter reserved here per keystream ({@link keystreamOf}). */
  readonly #keystreams: BoundedCache<string, number>;

  constructor(options: { readonly now?: (() => number) | undefined } = {}) {
    this.#known = new BoundedCache(
      MAX_KNOWN_SESSIONS,
      KNOWN_SESSION_TTL_MS,
      options.now ?? Date.now,
    );
    this.#keystreams = new BoundedCache(
      MAX_KNOWN_SESSIONS,
      KNOWN_SESSION_TTL_MS,
      options.now ?? Date.now,
    );
  }

  /** Whether the thing's shadow is known to count in `session` already, at least as far. */
  isCurrent(thingName: string, session: ReportedSession): boolean {
    const known = this.#known.get(thingName);
    return known?.sessionID === session.sessionID && known.fCntDown >= session.lastAFCntDown;
  }

  remember(thingName: string, sessionID: string, fCntDown: number): void {
    this.#known.set(thingName, { sessionID, fCntDown });
  }

  forget(thingName: string): void {
    this.#known.delete(thingName);
  }

  /**
   * The highest downlink counter this container reserved under the session's keystream (its
   * DevAddr and AppSKey, whichever thing's shadow held them), `undefined` for none.
   */
  keystreamFloor(
    session: Pick<DownlinkSession, 'devAddr' | 'appSKeyEnvelope'>,
  ): number | undefined {
    return this.#keystreams.get(keystreamOf(session));
  }

  /** Records a counter reserved under the session's keystream (the floor only rises). */
  reservedInKeystream(
    session: Pick<DownlinkSession, 'devAddr' | 'appSKeyEnvelope'>,
    fCnt: number,
  ): void {
    const key = keystreamOf(session);
    this.#keystreams.set(key, Math.max(fCnt, this.#keystreams.get(key) ?? -1));
  }
}

/** A keystream's identity: a hash of DevAddr and the (wrapped) AppSKey, never the key itself. */
function keystreamOf(session: Pick<DownlinkSession, 'devAddr' | 'appSKeyEnvelope'>): string {
  const envelope = session.appSKeyEnvelope;
  const hash = createHash('sha256').update(session.devAddr);
  if (envelope.encryptedKey) hash.update(envelope.kekLabel).update(envelope.encryptedKey);
  else hash.update('plaintext').update(envelope.key);
  return hash.digest('base64');
}

const MAX_KNOWN_SESSIONS = 10_000;
const KNOWN_SESSION_TTL_MS = 60 * 60 * 1000;

/**
 * Writes an uplink's or join-accept's `report` together with the downlink counters of its
 * session ({@link sessionCountersReport}), at the version read: a session new to the shadow
 * starts its `fCntDown` (0 at a join), the previous one moves to `earlierSessions` with its
 * wrapped key, and `fCntDown` rises to TTS's `last_a_f_cnt_down`. A concurrent reservation
 * moves the version on, and the loop reads again, so a counter is never lowered.
 *
 * @returns the session's `fCntDown` as written (or as found)
 * @throws TransientError `f_cnt_reservation_contended` after `maxAttempts` conflicts
 */
export async function writeSessionReport(
  shadows: ShadowStore,
  thingName: string,
  report: ShadowReport,
  session: ReportedSession,
  options: Pick<ReservationOptions, 'delay' | 'random' | 'maxAttempts'>,
): Promise<number> {
  const attempts = options.maxAttempts ?? DEFAULT_ATTEMPTS;
  for (let attempt = 1; ; attempt++) {
    const shadow = await shadows.getShadow(thingName, LORAWAN_SHADOW_NAME);
    const counters = sessionCountersReport(thingName, shadow, session);
    const fCntDown = counters
      ? (counters['fCntDown'] as number)
      : Number(shadow?.state.reported?.['fCntDown'] ?? 0);
    try {
      await shadows.updateShadow(thingName, LORAWAN_SHADOW_NAME, {
        reported: { ...report, ...counters },
        ...(counters && shadow ? { version: shadow.version } : {}),
      });
      return fCntDown;
    } catch (error) {
      if (!(error instanceof ShadowVersionConflictError)) throw error;
      if (attempt >= attempts) {
        throw new TransientError(
          'f_cnt_reservation_contended',
          `Could not record the session of ${thingName} with its downlink counter: the shadow changed ${attempts} times in a row. The message is retried.`,
          { cause: error },
        );
      }
      await options.delay(options.random() * Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** attempt));
    }
  }
}

/** Refuses a re-push unless the session recorded exactly that push (see `recordedPush`). */
function checkRecordedPush(
  thingName: string,
  session: DownlinkSession,
  push: NonNullable<ReservationOptions['recordedPush']>,
): void {
  const recorded = reservedDownlink(session, push.id);
  if (!recorded) throw new RepushRefusedError(thingName, 'no push of that downlink is recorded');
  if (recorded.sha === undefined)
    throw new RepushRefusedError(thingName, 'the recorded push has no fingerprint');
  if (recorded.fCnt !== push.fCnt)
    throw new RepushRefusedError(
      thingName,
      `the report names frame counter ${push.fCnt}, but the push was at ${recorded.fCnt}`,
    );
  if (recorded.sha !== push.sha)
    throw new RepushRefusedError(thingName, 'the reported payload is not the one pushed');
}
