/**
 * The downlink session: everything that happens to an end-to-end encrypted downlink between
 * its push and its end, in one place. HandleDownlink calls {@link encryptAtReservedFCnt} to push
 * a request; HandleUplink calls {@link followDownlinkEvent} for every TTS message that says
 * something about downlinks. Without E2E, TTS encrypts and counts downlinks itself, and
 * neither has anything to do here.
 *
 * Where FCntDown is reserved: reservation.ts ({@link reserveDownlinkFCnt}), at the shadow
 * version it read, so that concurrent downlinks never share a counter (a shared counter reuses
 * the AES keystream). counters.ts holds how the `lorawan` shadow keeps the counters per
 * session, the recorded pushes (`recentDownlinks`) with their fingerprints, and the next
 * counter's arithmetic.
 *
 * What happens on `downlink_failed`: HandleUplink republishes it on the thing's
 * `downlink/failed` topic, then calls {@link followDownlinkEvent}. With E2E, when the error is
 * `f_cnt_too_low` and the downlink is one the integration pushed (its correlation IDs name
 * the downlink and the push attempt), repush.ts checks that the session recorded exactly that
 * push (same attempt, frame counter and fingerprint; anything else is refused and counted as
 * `RefusedRepushes`), reserves a counter at or above `min_f_cnt`, encrypts the payload again
 * at it and pushes it again (`DownlinkRepushes`), at most {@link MAX_DOWNLINK_REPUSHES} times.
 * Any other `downlink_failed` is only republished: the application decides what to send.
 *
 * Invalidation: when the session changes, TTS drops the queued downlinks of the old one and
 * reports them (`downlink_queue_invalidated`, or a join-accept's `invalidated_downlinks`).
 * invalidated-report.ts reads the report and decides which can be moved; requeue.ts decrypts
 * those under the old session's wrapped key, encrypts them at new counters of the current
 * session, replaces TTS's queue, answers the rest on `downlink/failed`, and forgets the moved
 * sessions' keys.
 */
import type { ApplicationUp } from '@tts-aws-iot/tts';

import type { TrafficDependencies } from '../dependencies';
import { readInvalidatedDownlinks, readJoinInvalidatedDownlinks } from './invalidated-report';
import { repushIfCounterTooLow } from './repush';
import { requeueInvalidatedDownlinks } from './requeue';

export { encryptAtReservedFCnt } from './push';
export { MAX_DOWNLINK_REPUSHES } from './repush';
export { KnownSessions, reserveDownlinkFCnt, writeSessionReport } from './reservation';
export type { Reservation } from './reservation';
export { pushFingerprint, readDownlinkSession, sessionCountersReport } from './counters';
export type { DownlinkSession, ReportedSession } from './counters';

/**
 * Follows one TTS message for the downlink session (see the module comment): a
 * `downlink_failed` (`f_cnt_too_low` re-push), a `downlink_queue_invalidated`, or a
 * join-accept's `invalidated_downlinks` (moved once the join's session is recorded). Call it
 * after the message's own work; `thingName` is the thing that work found, absent for a
 * `downlink_queue_invalidated`, which this looks up itself once its report has been read.
 *
 * @returns the thing's name when the message was the downlink session's, else `undefined`
 */
export async function followDownlinkEvent(
  up: ApplicationUp,
  deps: TrafficDependencies,
  thingName?: string,
): Promise<string | undefined> {
  const { keks } = deps;
  if (!keks) return undefined;
  if (up.type === 'unsupported') {
    if (up.field !== 'downlink_queue_invalidated') return undefined;
    const report = readInvalidatedDownlinks(up.raw);
    const found = (await deps.things.ensure(up.ids)).thingName;
    await requeueInvalidatedDownlinks(up, found, report, { ...deps, keks });
    return found;
  }
  if (thingName === undefined) return undefined;
  if (up.type === 'downlink_failed') {
    await repushIfCounterTooLow(up, thingName, deps);
    return thingName;
  }
  if (up.type !== 'join_accept') return undefined;
  const invalidated = readJoinInvalidatedDownlinks(up.raw);
  if (invalidated) await requeueInvalidatedDownlinks(up, thingName, invalidated, { ...deps, keks });
  return thingName;
}
