/**
 * Writing an uplink's or join-accept's report into the `lorawan` shadow so that the shadow
 * never goes back (docs/architecture.md, "The `lorawan` shadow"): a report is written only
 * when it is newer than what the shadow holds, and always at the version it was judged
 * against, so that a concurrent writer (another execution environment, a downlink
 * reservation) makes the write fail with a conflict instead of being overwritten.
 */
import {
  InputError,
  ShadowVersionConflictError,
  TransientError,
  type ShadowDocument,
} from '@tts-aws-iot/integration';
import {
  isNewerUplink,
  LORAWAN_SHADOW_NAME,
  sessionCountersReport,
  shadowUplinkPosition,
  type ReportedSession,
  type ShadowReport,
  type TrafficDependencies,
  type UplinkPosition,
} from '@tts-aws-iot/integration/traffic';

/** Writes of one report before giving up with a retryable error (each after a conflict). */
export const MAX_REPORT_ATTEMPTS = 10;
const BASE_DELAY_MS = 5;
const MAX_DELAY_MS = 250;

/** The metric counting reports left out of the shadow because it holds a newer one. */
export const STALE_REPORTS_METRIC = 'StaleShadowReports';

/** The counters a report of `session` carries, and the session's `fCntDown` after it. */
interface SessionWrite {
  readonly report: ShadowReport | undefined;
  readonly fCntDown: number | undefined;
}

/**
 * Writes `report` (of an uplink or join-accept at `position`) unless the shadow holds a newer
 * one. Steady state (the container wrote this shadow last, the E2E session is known): one
 * update at the version the last write returned, no read. Otherwise, or after a conflict, the
 * shadow is read, the report judged against it and, when newer, written at the version read,
 * with the downlink counters of an E2E session the container does not know the shadow holds.
 *
 * @throws TransientError `shadow_report_contended` after {@link MAX_REPORT_ATTEMPTS} conflicts
 */
export async function writeUplinkReport(
  deps: TrafficDependencies,
  thingName: string,
  report: ShadowReport,
  position: UplinkPosition,
  session: ReportedSession | undefined,
): Promise<void> {
  const known = deps.shadowVersions.get(thingName);
  if (known && !isNewerUplink(position, known.position)) return stale(deps, thingName, position);
  let version = known?.version;
  let read = !known || (session !== undefined && !deps.sessions.isCurrent(thingName, session));
  for (let attempt = 1; ; attempt++) {
    let counters: SessionWrite | undefined;
    if (read) {
      const shadow = await deps.shadows.getShadow(thingName, LORAWAN_SHADOW_NAME);
      const held = shadowUplinkPosition(shadow?.state.reported);
      if (shadow && !isNewerUplink(position, held)) {
        deps.shadowVersions.remember(thingName, shadow.version, held);
        return stale(deps, thingName, position);
      }
      version = shadow?.version;
      counters = session && sessionWrite(deps, thingName, shadow, session);
    }
    try {
      const written = await deps.shadows.updateShadow(thingName, LORAWAN_SHADOW_NAME, {
        reported: counters?.report ? { ...report, ...counters.report } : report,
        // A shadow not created yet is created unconditionally (AWS IoT has no version for it).
        ...(version === undefined ? {} : { version }),
      });
      deps.shadowVersions.remember(thingName, written.version, position);
      if (session && counters?.fCntDown !== undefined)
        deps.sessions.remember(thingName, session.sessionID, counters.fCntDown);
      return;
    } catch (error) {
      if (!(error instanceof ShadowVersionConflictError)) throw error;
      deps.shadowVersions.forget(thingName);
      if (attempt >= MAX_REPORT_ATTEMPTS) {
        throw new TransientError(
          'shadow_report_contended',
          `Could not write the report of ${thingName} into its ${LORAWAN_SHADOW_NAME} shadow: the shadow changed ${attempt} times in a row. The message is retried.`,
          { cause: error },
        );
      }
      read = true;
      await deps.delay(deps.random() * Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** attempt));
    }
  }
}

/**
 * The downlink counters an E2E session's report carries, as read from `shadow`. Damaged
 * counters are the downlinks' to refuse: the report still goes in, without them.
 */
function sessionWrite(
  deps: TrafficDependencies,
  thingName: string,
  shadow: ShadowDocument | undefined,
  session: ReportedSession,
): SessionWrite {
  try {
    const report = sessionCountersReport(thingName, shadow, session);
    const fCntDown = report ? report.fCntDown : Number(shadow?.state.reported?.['fCntDown'] ?? 0);
    return { report, fCntDown };
  } catch (error) {
    if (!(error instanceof InputError) || error.code !== 'invalid_session_state') throw error;
    deps.log.warn('Downlink counters not updated: the shadow holds damaged ones', {
      thing_name: thingName,
      reason: error.message,
    });
    return { report: undefined, fCntDown: undefined };
  }
}

/** A report older than the shadow's: left out (the message is still republished). */
function stale(deps: TrafficDependencies, thingName: string, position: UplinkPosition): void {
  deps.counters.count(STALE_REPORTS_METRIC);
  deps.log.info('Shadow report left out: the shadow holds a newer uplink', {
    thing_name: thingName,
    f_cnt: position.fCnt,
  });
}
