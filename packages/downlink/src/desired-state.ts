/**
 * Desired-state downlinks: an application schedules a downlink by writing a downlink request
 * into `state.desired.downlink` of the thing's `lorawan` shadow (bytes or payload, fPort,
 * confirmed, highPriority, operation, optionally its own requestID). The shadow's delta rule
 * invokes HandleDownlink with the thing and the shadow version; the shadow itself, read here,
 * is what counts, not the event.
 *
 * Exactly one push per desired request, however often the delta arrives (Lambda retries,
 * later shadow updates): the request is first claimed in `state.reported.downlink` (status
 * `pending`, with its digest and the claiming downlink ID) at the version it was read at, so
 * that of two concurrent invocations one wins; the winner pushes it as a `lorawan/downlink`
 * request with the claim's ID (with E2E, a retry then finds the counter reserved for it), then
 * clears `state.desired.downlink` and reports `pushed` (or `rejected`) with the request ID,
 * the frame counter and the time. That write leaves no desired downlink, so it raises no delta
 * that would start over.
 */
import { createHash } from 'node:crypto';
import { isJsonObject, objectOf, type JsonObject } from '@tts-aws-iot/input';
import {
  InputError,
  ShadowVersionConflictError,
  StackMismatchError,
  TransientError,
  type ShadowDocument,
} from '@tts-aws-iot/integration';
import { LORAWAN_SHADOW_NAME } from '@tts-aws-iot/integration/traffic';
import * as v from 'valibot';

import { handleDownlink, type DownlinkDependencies, type DownlinkOutcome } from './downlink';

/** What the desired-state rule sends: the thing (`topic(3)`) and the delta's shadow version. */
export interface DesiredDownlinkEvent {
  readonly thingName: string;
  readonly shadowVersion: number;
}

/** What `state.reported.downlink` says about the last desired downlink. */
export interface ReportedDownlink {
  readonly requestID: string;
  readonly status: 'pending' | 'pushed' | 'rejected';
  /** ISO time of the status. */
  readonly time: string;
  /** With E2E, the frame counter it was encrypted for. */
  readonly fCnt?: number;
  /** Why it was rejected (the code answered on `lorawan/<thing>/downlink/failed`). */
  readonly error?: string;
  /** Identifies the desired request (SHA-256 of its JSON, 72 bits). */
  readonly digest: string;
  /** The invocation handling it (Lambda's request ID, kept across retries). */
  readonly claimedBy: string;
}

/** What became of one delta. */
export type DesiredDownlinkOutcome =
  | { readonly status: 'none'; readonly reason: string }
  | { readonly status: 'claimed-elsewhere'; readonly requestID: string }
  | {
      readonly status: 'done';
      readonly reported: ReportedDownlink;
      readonly push?: DownlinkOutcome;
    };

/** A claim older than this is taken over: its invocation gave up (Lambda's event age is 10 min). */
const CLAIM_EXPIRY_MS = 15 * 60 * 1000;
/** Reads and versioned writes tried before the event goes back to Lambda for a retry. */
const MAX_ATTEMPTS = 10;
const REQUEST_ID = /^[A-Za-z0-9_.:-]{1,64}$/;

/** Whether an event is the desired-state rule's (the downlink rule's requests have no `shadowVersion`). */
export function isDesiredDownlinkEvent(input: unknown): input is DesiredDownlinkEvent {
  return (
    isJsonObject(input) &&
    typeof input['shadowVersion'] === 'number' &&
    typeof input['thingName'] === 'string'
  );
}

/**
 * Pushes the desired downlink of a thing once, then clears it and reports the outcome.
 *
 * @param requestID the invocation's request ID: the downlink's ID unless the desired request
 *   names one (`requestID`); a retried invocation resumes its own claim
 * @throws TransientError `desired_downlink_contended` when the shadow kept changing
 */
export async function handleDesiredDownlink(
  event: DesiredDownlinkEvent,
  deps: DownlinkDependencies,
  requestID: string,
): Promise<DesiredDownlinkOutcome> {
  const { thingName } = event;
  const foreign = await notThisStacks(deps, thingName);
  if (foreign !== undefined) return { status: 'none', reason: foreign };
  const now = deps.now ?? Date.now;
  for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
    const shadow = await deps.shadows.getShadow(thingName, LORAWAN_SHADOW_NAME);
    const desired = desiredDownlink(shadow);
    if (!desired && shadow?.state.desired?.['downlink'] !== undefined) {
      // Not a request object: left there, it would raise a delta on every later shadow write.
      if (await clearInvalid(deps, thingName, shadow)) return { status: 'none', reason: INVALID };
      continue;
    }
    if (!desired || !shadow)
      return { status: 'none', reason: 'no desired downlink (handled already)' };
    const digest = digestOf(desired);
    const reported = reportedDownlink(shadow);
    // The application's requestID, when it is one the report can carry; else the invocation's.
    const given = desired['requestID'];
    const ownID = typeof given === 'string' && REQUEST_ID.test(given) ? given : undefined;
    // The application's own request ID, handled already: clear it, push nothing.
    if (ownID !== undefined && reported?.requestID === ownID && reported.status !== 'pending') {
      if (await finish(deps, thingName, shadow, reported)) return { status: 'done', reported };
      continue;
    }
    const claim =
      reported?.status === 'pending' && reported.digest === digest ? reported : undefined;
    const mine = claim?.claimedBy === requestID;
    if (claim && !mine && now() - Date.parse(claim.time) < CLAIM_EXPIRY_MS)
      return { status: 'claimed-elsewhere', requestID: claim.requestID };
    const downlinkID = mine ? claim.requestID : (ownID ?? requestID);
    const pending: ReportedDownlink = {
      requestID: downlinkID,
      status: 'pending',
      time: new Date(now()).toISOString(),
      digest,
      claimedBy: requestID,
    };
    const version = mine ? shadow.version : await claimAt(deps, thingName, shadow, pending);
    if (version === undefined) continue;
    const push = await handleDownlink({ ...requestOf(desired), thingName }, deps, downlinkID);
    const done = outcomeReport(pending, push, now());
    await finishClaimed(deps, thingName, done);
    deps.log.info('Desired downlink handled: cleared and reported', {
      thing_name: thingName,
      downlink_id: downlinkID,
      status: done.status,
    });
    return { status: 'done', reported: done, push };
  }
  throw contended(thingName);
}

/**
 * Why the thing is not this stack's (another stack's, or none's), or `undefined` when it is:
 * then its shadow is left alone, not even a claim is written.
 */
async function notThisStacks(
  deps: DownlinkDependencies,
  thingName: string,
): Promise<string | undefined> {
  try {
    await deps.things.find(thingName);
    return undefined;
  } catch (error) {
    if (!(error instanceof InputError)) throw error;
    const reason =
      error instanceof StackMismatchError && error.owner !== undefined
        ? `the thing belongs to stack ${error.owner}`
        : `the thing is not one of this stack's (${error.code})`;
    deps.log.info("Desired downlink of a thing that is not this stack's: left alone", {
      thing_name: thingName,
      reason,
    });
    return reason;
  }
}

/**
 * `state.desired.downlink`, when it is a request object. Anyone who may write the desired
 * state may write it: the request itself is read by `handleDownlink` like any other.
 */
function desiredDownlink(shadow: ShadowDocument | undefined): JsonObject | undefined {
  const value = shadow?.state.desired?.['downlink'];
  return isJsonObject(value) ? value : undefined;
}

/**
 * `state.reported.downlink` as the integration writes it. Whoever may update the shadow may
 * write it too: anything else is no report of the integration's, and the request is handled
 * as if there were none.
 */
const REPORTED_DOWNLINK = objectOf(
  {
    requestID: v.string('a request ID'),
    status: v.picklist(['pending', 'pushed', 'rejected'], 'pending, pushed or rejected'),
    time: v.string('an ISO time'),
    fCnt: v.optional(v.number('a frame counter')),
    error: v.optional(v.string('an error code')),
    digest: v.string('a digest'),
    claimedBy: v.string('a request ID'),
  },
  'a report of a desired downlink',
);

function reportedDownlink(shadow: ShadowDocument | undefined): ReportedDownlink | undefined {
  const read = v.safeParse(REPORTED_DOWNLINK, shadow?.state.reported?.['downlink']);
  return read.success ? read.output : undefined;
}

/** The request to push: the desired entry without the integration's own field. */
function requestOf(desired: JsonObject): Record<string, unknown> {
  const { requestID: _id, ...request } = desired;
  return request;
}

function digestOf(desired: JsonObject): string {
  return createHash('sha256')
    .update(canonicalJson(desired))
    .digest()
    .subarray(0, 9)
    .toString('base64');
}

/** JSON with object keys sorted: the shadow does not keep the order they were written in. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** Writes the claim at the version read; `undefined` when the shadow moved on (read again). */
async function claimAt(
  deps: DownlinkDependencies,
  thingName: string,
  shadow: ShadowDocument,
  pending: ReportedDownlink,
): Promise<number | undefined> {
  try {
    const { version } = await deps.shadows.updateShadow(thingName, LORAWAN_SHADOW_NAME, {
      reported: { downlink: pending },
      version: shadow.version,
    });
    return version;
  } catch (error) {
    if (error instanceof ShadowVersionConflictError) return undefined;
    throw error;
  }
}

/** The report once the push was made or refused. */
function outcomeReport(
  pending: ReportedDownlink,
  push: DownlinkOutcome,
  nowMs: number,
): ReportedDownlink {
  const time = new Date(nowMs).toISOString();
  if (push.status === 'pushed')
    return {
      ...pending,
      status: 'pushed',
      time,
      ...(push.fCnt === undefined ? {} : { fCnt: push.fCnt }),
    };
  const error = push.status === 'rejected' ? push.code : push.reason;
  return { ...pending, status: 'rejected', time, error };
}

/**
 * Clears the desired downlink and reports the outcome, at the version read: the desired
 * entry is cleared only while it is still the request that was pushed (an application may
 * have written a new one meanwhile, which its own delta then handles).
 */
async function finishClaimed(
  deps: DownlinkDependencies,
  thingName: string,
  done: ReportedDownlink,
): Promise<void> {
  for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
    const shadow = await deps.shadows.getShadow(thingName, LORAWAN_SHADOW_NAME);
    if (!shadow) return;
    const desired = desiredDownlink(shadow);
    const same = desired !== undefined && digestOf(desired) === done.digest;
    const current = reportedDownlink(shadow);
    // A newer claim for another request owns the report now.
    if (!same && current && current.requestID !== done.requestID) return;
    if (await finish(deps, thingName, shadow, done, same)) return;
  }
  throw contended(thingName);
}

/** One versioned write of the report (and of the cleared desired entry); false on a conflict. */
async function finish(
  deps: DownlinkDependencies,
  thingName: string,
  shadow: ShadowDocument,
  done: ReportedDownlink,
  clearDesired = true,
): Promise<boolean> {
  try {
    await deps.shadows.updateShadow(thingName, LORAWAN_SHADOW_NAME, {
      reported: { downlink: done },
      ...(clearDesired ? { desired: { downlink: null } } : {}),
      version: shadow.version,
    });
    return true;
  } catch (error) {
    if (error instanceof ShadowVersionConflictError) return false;
    throw error;
  }
}

const INVALID = 'the desired downlink is not a request object: cleared';

/** Clears a desired downlink that is not a request object, at the version read; false on a conflict. */
async function clearInvalid(
  deps: DownlinkDependencies,
  thingName: string,
  shadow: ShadowDocument,
): Promise<boolean> {
  try {
    await deps.shadows.updateShadow(thingName, LORAWAN_SHADOW_NAME, {
      reported: {},
      desired: { downlink: null },
      version: shadow.version,
    });
  } catch (error) {
    if (error instanceof ShadowVersionConflictError) return false;
    throw error;
  }
  deps.log.warn('Desired downlink that is not a request object: cleared, nothing pushed', {
    thing_name: thingName,
  });
  return true;
}

function contended(thingName: string): TransientError {
  return new TransientError(
    'desired_downlink_contended',
    `The ${LORAWAN_SHADOW_NAME} shadow of ${thingName} changed ${MAX_ATTEMPTS} times while its desired downlink was handled. The event is retried.`,
  );
}
