/**
 * `downlink_queue_invalidated` with end-to-end encryption: TTS dropped the queued downlinks of
 * a session that changed, and cannot encrypt them for the new one (skip payload crypto). Each
 * downlink the integration pushed is decrypted under its old session's AppSKey (kept wrapped
 * in the shadow), encrypted under the current one at a newly reserved counter, and the lot
 * replaces TTS's queue (`downlink/replace`). What cannot be moved is counted and answered on
 * the thing's `downlink/failed` topic, saying why.
 */
import {
  thingTopic,
  ttsDownlinkReplaceTopic,
  type ApplicationDownlinkJson,
  type ApplicationUp,
} from '@tts-aws-iot/tts';

import { IntegrationError, ShadowVersionConflictError, TransientError } from '../../errors';
import type { TrafficDependencies } from '../dependencies';
import {
  downlinkCorrelationIDs,
  downlinkPush,
  GrpcCode,
  pushAttemptID,
  type PushTarget,
} from '../downlink-request';
import {
  decryptDownlinkPayload,
  encryptDownlinkPayload,
  unwrapCounted,
  type KekRingSource,
} from '../e2e-session';
import { LORAWAN_SHADOW_NAME } from '../shadow-state';
import { pushFingerprint, readDownlinkSession } from './counters';
import {
  DROPPED_DOWNLINKS_METRIC,
  MAX_REQUEUED_DOWNLINKS,
  movableDownlink,
  REQUEUED_DOWNLINKS_METRIC,
  withoutSessionKeys,
  type InvalidatedDownlink,
  type InvalidatedDownlinks,
  type MovableDownlink,
} from './invalidated-report';
import { reserveDownlinkFCnt } from './reservation';

/** An invalidated downlink left behind, and why. */
interface Dropped {
  readonly downlink: InvalidatedDownlink;
  readonly reason: string;
}

/**
 * Moves the downlinks TTS invalidated (a `downlink_queue_invalidated`, or a join-accept's
 * `invalidated_downlinks`) to the device's current session.
 *
 * @throws TransientError `session_not_recorded` while the shadow does not hold the session TTS
 *   names (the join is still on its way): Lambda retries
 */
export async function requeueInvalidatedDownlinks(
  up: ApplicationUp,
  thingName: string,
  report: InvalidatedDownlinks,
  deps: TrafficDependencies & { readonly keks: KekRingSource },
): Promise<void> {
  const shadow = await deps.shadows.getShadow(thingName, LORAWAN_SHADOW_NAME);
  const session = readDownlinkSession(thingName, shadow);
  if (report.sessionKeyID !== undefined && report.sessionKeyID !== session.sessionID)
    throw new TransientError(
      'session_not_recorded',
      `TTS invalidated downlinks of ${thingName} for session ${report.sessionKeyID}, which its shadow does not hold yet (it holds ${session.sessionID}): retried once the session is recorded.`,
    );
  const target = {
    thingName,
    lastFCntDown: report.lastFCntDown,
    deviceID: up.ids.deviceID,
    applicationID: up.ids.applicationID,
  };
  const moved: ApplicationDownlinkJson[] = [];
  const movedFrom = new Set<string>();
  const dropped: Dropped[] = [];
  for (const [index, downlink] of report.downlinks.entries()) {
    const movable =
      index < MAX_REQUEUED_DOWNLINKS
        ? movableDownlink(session, downlink)
        : { reason: `the report holds more than ${MAX_REQUEUED_DOWNLINKS} downlinks` };
    if ('reason' in movable) {
      dropped.push({ downlink, reason: movable.reason });
      continue;
    }
    try {
      moved.push(await requeue(movable, { ...target, sessionID: session.sessionID }, deps));
      if (movable.downlink.sessionKeyID !== session.sessionID)
        movedFrom.add(movable.downlink.sessionKeyID);
    } catch (error) {
      if (!(error instanceof IntegrationError) || error.retryable) throw error;
      dropped.push({ downlink, reason: error.message.replace(/\.$/, '') });
    }
  }
  if (moved.length > 0)
    await deps.publisher.publish(ttsDownlinkReplaceTopic(deps.config.stackName), {
      end_device_ids: {
        device_id: up.ids.deviceID,
        application_ids: { application_id: up.ids.applicationID },
      },
      downlinks: moved,
    });
  deps.counters.count(REQUEUED_DOWNLINKS_METRIC, moved.length);
  await reportDropped(thingName, dropped, deps);
  await forgetSessionKeys(thingName, movedFrom, deps);
  deps.log.info('Invalidated downlinks moved to the current session', {
    thing_name: thingName,
    requeued: moved.length,
    dropped: dropped.length,
  });
}

/** One downlink decrypted under its old session and encrypted at a new counter of the current one. */
async function requeue(
  movable: MovableDownlink,
  target: PushTarget & {
    readonly thingName: string;
    readonly sessionID: string;
    readonly lastFCntDown: number;
  },
  deps: TrafficDependencies & { readonly keks: KekRingSource },
): Promise<ApplicationDownlinkJson> {
  const { downlink, key } = movable;
  const { thingName, sessionID, lastFCntDown } = target;
  const oldKey = await unwrapCounted(deps.keks, key.appSKeyEnvelope, thingName, deps.counters);
  const plaintext = decryptDownlinkPayload(oldKey, key.devAddr, downlink.fCnt, downlink.frmPayload);
  const reservation = await reserveDownlinkFCnt(
    deps.shadows,
    thingName,
    {
      delay: deps.delay,
      random: deps.random,
      ...(deps.now ? { now: deps.now } : {}),
      minFCnt: lastFCntDown + 1,
      sessionID,
      // A retried invocation finds the counter reserved for this downlink, and the same frame.
      downlinkID: pushAttemptID(movable.downlinkID, movable.attempt),
      known: deps.sessions,
    },
    async (current, fCnt) =>
      encryptDownlinkPayload(
        await unwrapCounted(deps.keks, current.appSKeyEnvelope, thingName, deps.counters),
        current.devAddr,
        fCnt,
        plaintext,
      ),
    (ciphertext) => pushFingerprint(downlink.fPort, ciphertext),
  );
  const push = downlinkPush(target, {
    fPort: downlink.fPort,
    frmPayload: Buffer.from(reservation.prepared).toString('base64'),
    confirmed: downlink.confirmed,
    highPriority: downlink.priority === 'HIGH',
    correlationIDs: downlinkCorrelationIDs(movable.downlinkID, movable.attempt),
    session: { sessionKeyID: reservation.session.sessionID, fCnt: reservation.fCnt },
  });
  return push.downlinks[0]!;
}

/**
 * Forgets the wrapped keys of the earlier sessions whose queue was moved (after the push): a
 * later report naming them is refused, so the network cannot replay their frames into the
 * current session through it. A retried invocation pushes the same frames again first.
 */
async function forgetSessionKeys(
  thingName: string,
  sessionIDs: ReadonlySet<string>,
  deps: TrafficDependencies,
): Promise<void> {
  if (sessionIDs.size === 0) return;
  for (let attempt = 1; attempt <= FORGET_ATTEMPTS; attempt++) {
    const shadow = await deps.shadows.getShadow(thingName, LORAWAN_SHADOW_NAME);
    const session = readDownlinkSession(thingName, shadow);
    const report = withoutSessionKeys(session, sessionIDs);
    if (!report) return;
    try {
      await deps.shadows.updateShadow(thingName, LORAWAN_SHADOW_NAME, {
        reported: report,
        version: session.version,
      });
      return;
    } catch (error) {
      if (!(error instanceof ShadowVersionConflictError)) throw error;
    }
  }
  throw new TransientError(
    'f_cnt_reservation_contended',
    `The ${LORAWAN_SHADOW_NAME} shadow of ${thingName} changed ${FORGET_ATTEMPTS} times while the moved sessions' keys were removed. The event is retried.`,
  );
}

/** Versioned writes tried to forget moved sessions' keys before Lambda retries the event. */
const FORGET_ATTEMPTS = 5;

/** Counts what was left behind, and answers each on the thing's `downlink/failed` topic. */
async function reportDropped(
  thingName: string,
  dropped: readonly Dropped[],
  deps: TrafficDependencies,
): Promise<void> {
  if (dropped.length === 0) return;
  deps.counters.count(DROPPED_DOWNLINKS_METRIC, dropped.length);
  deps.log.warn('Invalidated downlinks not re-encrypted: send them again', {
    thing_name: thingName,
    dropped: dropped.length,
    reasons: [...new Set(dropped.map((entry) => entry.reason))].slice(0, 4),
  });
  for (const { downlink, reason } of dropped)
    await deps.publisher.publish(thingTopic(thingName, 'downlink/failed'), {
      thingName,
      correlation_ids: downlink.correlationIDs,
      downlink_failed: {
        downlink: {
          ...(downlink.fPort === undefined ? {} : { f_port: downlink.fPort }),
          ...(downlink.fCnt === undefined ? {} : { f_cnt: downlink.fCnt }),
          ...(downlink.sessionKeyID === undefined ? {} : { session_key_id: downlink.sessionKeyID }),
          confirmed: downlink.confirmed,
          correlation_ids: downlink.correlationIDs,
        },
        error: {
          namespace: 'tts-aws-iot',
          name: 'downlink_not_reencrypted',
          message_format: `TTS dropped this downlink when the session of ${thingName} changed, and the integration could not encrypt it for the new session: ${reason}. Send it again if it is still wanted.`,
          code: GrpcCode.FAILED_PRECONDITION,
        },
      },
    });
}
