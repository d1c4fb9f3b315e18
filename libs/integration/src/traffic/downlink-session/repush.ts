/**
 * `downlink_failed` with `f_cnt_too_low` for an E2E downlink the integration pushed: the
 * network takes no frame below `min_f_cnt`, so the recorded push is moved to a newly reserved
 * counter, encrypted again there, and pushed again, a bounded number of times.
 */
import {
  findErrorDetails,
  ttsDownlinkPushTopic,
  type ApplicationDownlink,
  type ApplicationUp,
} from '@tts-aws-iot/tts';

import type { TrafficDependencies } from '../dependencies';
import {
  downlinkCorrelationIDs,
  downlinkPush,
  ownDownlink,
  pushAttemptID,
} from '../downlink-request';
import { reencryptDownlinkPayload, unwrapCounted } from '../e2e-session';
import { pushFingerprint } from './counters';
import { RepushRefusedError, reserveDownlinkFCnt } from './reservation';

/** Re-pushes of one E2E downlink after `f_cnt_too_low`, on top of the first push. */
export const MAX_DOWNLINK_REPUSHES = 3;

/** The metric counting re-pushes after `f_cnt_too_low`. */
export const DOWNLINK_REPUSHES_METRIC = 'DownlinkRepushes';
/** The metric counting re-pushes refused (the report names no push the session recorded). */
export const REFUSED_REPUSHES_METRIC = 'RefusedRepushes';

/**
 * After `f_cnt_too_low` for an E2E downlink of ours: the payload is encrypted for a counter
 * the network no longer takes, so move it to a counter at or above `min_f_cnt` and push it
 * again, a bounded number of times.
 */
export async function repushIfCounterTooLow(
  up: ApplicationUp,
  thingName: string,
  deps: TrafficDependencies,
): Promise<void> {
  const failure = repushableFailure(up, thingName, deps);
  if (!failure) return;
  let reservation;
  try {
    reservation = await reserveRepush(failure, thingName, deps);
  } catch (error) {
    if (!(error instanceof RepushRefusedError)) throw error;
    failure.refuse(String(error.attributes['reason']));
    return;
  }
  const { own, downlink, attempt, minFCnt } = failure;
  const { session, fCnt, prepared: frmPayload } = reservation;
  const push = downlinkPush(
    { deviceID: up.ids.deviceID, applicationID: up.ids.applicationID },
    {
      fPort: downlink.fPort,
      frmPayload: Buffer.from(frmPayload).toString('base64'),
      confirmed: downlink.confirmed,
      highPriority: downlink.priority === 'HIGH',
      correlationIDs: downlinkCorrelationIDs(own.downlinkID, attempt),
      session: { sessionKeyID: session.sessionID, fCnt },
    },
  );
  await deps.publisher.publish(ttsDownlinkPushTopic(deps.config.stackName), push);
  deps.counters.count(DOWNLINK_REPUSHES_METRIC);
  deps.log.info('Downlink re-pushed at a higher frame counter', {
    ...failure.logKeys,
    f_cnt: fCnt,
    min_f_cnt: minFCnt,
  });
}

/** A `downlink_failed` that a re-push may answer, with what the re-push needs of it. */
interface RepushableFailure {
  readonly own: { readonly downlinkID: string; readonly attempt: number };
  readonly downlink: ApplicationDownlink & { readonly sessionKeyID: string };
  readonly keks: NonNullable<TrafficDependencies['keks']>;
  /** The push attempt this re-push is (the reported one's + 1). */
  readonly attempt: number;
  readonly minFCnt: number;
  readonly logKeys: Readonly<Record<string, unknown>>;
  /** Counts and logs a refused re-push. */
  readonly refuse: (reason: string) => void;
}

/**
 * The failure, when it is `f_cnt_too_low` for an E2E push of ours with a payload, a valid
 * attempt below the bound and a usable `min_f_cnt`; otherwise undefined (logged where a
 * re-push was asked for and cannot be made).
 */
function repushableFailure(
  up: ApplicationUp,
  thingName: string,
  deps: TrafficDependencies,
): RepushableFailure | undefined {
  if (up.type !== 'downlink_failed' || !deps.keks) return undefined;
  const tooLow = findErrorDetails(up.error, 'f_cnt_too_low');
  const own = ownDownlink(up.downlink.correlationIDs);
  const { downlink } = up;
  const { sessionKeyID } = downlink;
  if (!tooLow || !own || sessionKeyID === undefined) return undefined;
  if (downlink.fPort === 0 || downlink.frmPayload.length === 0) return undefined;
  const logKeys = {
    thing_name: thingName,
    downlink_id: boundedID(own.downlinkID),
    attempt: own.attempt,
  };
  const refuse = (reason: string): void => {
    deps.counters.count(REFUSED_REPUSHES_METRIC);
    deps.log.warn('Downlink re-push refused', { ...logKeys, reason });
  };
  if (!Number.isSafeInteger(own.attempt) || own.attempt < 1) {
    refuse('the report names no valid push attempt');
    return undefined;
  }
  if (own.attempt > MAX_DOWNLINK_REPUSHES) {
    const message = 'Downlink frame counter still too low after the last re-push: giving up';
    deps.log.warn(message, logKeys);
    return undefined;
  }
  const minFCnt = Number(tooLow.attributes['min_f_cnt']);
  if (!Number.isSafeInteger(minFCnt) || minFCnt < 0) {
    deps.log.warn('f_cnt_too_low without a usable min_f_cnt: not re-pushing', logKeys);
    return undefined;
  }
  const attempt = own.attempt + 1;
  return {
    own,
    downlink: { ...downlink, sessionKeyID },
    keks: deps.keks,
    attempt,
    minFCnt,
    logKeys,
    refuse,
  };
}

/** Reserves the counter of the re-push and encrypts the payload again at it. */
function reserveRepush(failure: RepushableFailure, thingName: string, deps: TrafficDependencies) {
  const { own, downlink, keks, attempt, minFCnt } = failure;
  const reportedFCnt = downlink.fCnt;
  return reserveDownlinkFCnt(
    deps.shadows,
    thingName,
    {
      delay: deps.delay,
      random: deps.random,
      ...(deps.now ? { now: deps.now } : {}),
      minFCnt,
      sessionID: downlink.sessionKeyID,
      // Only a push the session recorded, reported back unchanged, is moved on: the
      // network cannot replay an older frame, or a bit-flipped one, through a re-push.
      recordedPush: {
        id: pushAttemptID(own.downlinkID, own.attempt),
        fCnt: reportedFCnt,
        sha: pushFingerprint(downlink.fPort, downlink.frmPayload),
      },
      // A retried invocation for this failure re-pushes the same frame, not another one.
      downlinkID: pushAttemptID(own.downlinkID, attempt),
      known: deps.sessions,
    },
    async (current, fCnt) => {
      const appSKey = await unwrapCounted(keks, current.appSKeyEnvelope, thingName, deps.counters);
      return reencryptDownlinkPayload(
        appSKey,
        current.devAddr,
        reportedFCnt,
        fCnt,
        downlink.frmPayload,
      );
    },
    (frmPayload) => pushFingerprint(downlink.fPort, frmPayload),
  );
}

/** A downlink ID from a report, as far as a log line shows it (the network chooses it). */
function boundedID(id: string): string {
  return id.length <= 64 ? id : `${id.slice(0, 64)}…(${id.length} characters)`;
}
