/**
 * Downlinks that TTS invalidated (`downlink_queue_invalidated`, docs/tts.md): when a device's
 * session changes, the Application Server drops the queued downlinks of the old session and
 * reports them, still encrypted under the old session's AppSKey. With skip payload crypto it
 * cannot re-encrypt them; the integration can, with the old session's wrapped key that the
 * shadow keeps (`earlierSessions`). This module reads the report and decides, per downlink,
 * whether and how it can be moved to the current session; it never holds a key longer than
 * one payload takes.
 */
import { parseKeyEnvelope, type KeyEnvelope } from '@tts-aws-iot/keywrap';

import { ownDownlink, pushAttemptID } from '../downlink-request';
import { InputError } from '../../errors';
import {
  pushFingerprint,
  reservedDownlink,
  type DownlinkSession,
  type EarlierSession,
} from './counters';

/** Downlinks re-encrypted from one report at most; TTS's queue holds fewer. */
export const MAX_REQUEUED_DOWNLINKS = 16;
/**
 * The push attempt beyond which an invalidated downlink is not moved again: the attempt comes
 * from correlation IDs the network reports, so it bounds how often one frame can come back.
 */
export const MAX_MOVED_ATTEMPT = 8;
/** The metric counting invalidated downlinks moved to the current session. */
export const REQUEUED_DOWNLINKS_METRIC = 'DownlinksRequeued';
/** The metric counting invalidated downlinks the integration could not move (each says why). */
export const DROPPED_DOWNLINKS_METRIC = 'InvalidatedDownlinksDropped';

/** One invalidated downlink, as far as re-encrypting it needs. */
export interface InvalidatedDownlink {
  readonly sessionKeyID: string | undefined;
  readonly fPort: number | undefined;
  readonly fCnt: number | undefined;
  readonly frmPayload: Uint8Array | undefined;
  readonly confirmed: boolean;
  readonly priority: string | undefined;
  readonly correlationIDs: readonly string[];
}

/** TTS's `downlink_queue_invalidated`: the dropped downlinks and the session now current. */
export interface InvalidatedDownlinks {
  readonly downlinks: readonly InvalidatedDownlink[];
  /** The current session's last downlink counter: the moved ones go above it. */
  readonly lastFCntDown: number;
  /** The current session (base64), when TTS names it. */
  readonly sessionKeyID: string | undefined;
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const MAX_F_CNT = 0xffff_ffff;

function isObject(value: unknown): value is Readonly<Record<string, unknown>> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function uint(value: unknown, max: number): number | undefined {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= max
    ? value
    : undefined;
}

function base64(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' && BASE64.test(value) && value.length % 4 === 0
    ? value
    : undefined;
}

/**
 * Reads the `downlink_queue_invalidated` of an `ApplicationUp` (its raw JSON). Each downlink
 * is read leniently: one that lacks what re-encrypting needs is kept, to be reported as
 * not re-encrypted with the reason.
 *
 * @throws InputError `invalid_field` when the message has no `downlinks` list
 */
export function readInvalidatedDownlinks(
  raw: Readonly<Record<string, unknown>>,
): InvalidatedDownlinks {
  const message = raw['downlink_queue_invalidated'];
  const list = isObject(message) ? message['downlinks'] : undefined;
  if (!isObject(message) || !Array.isArray(list)) {
    throw new InputError(
      'invalid_field',
      'Invalid TTS message: downlink_queue_invalidated.downlinks is not a list of downlinks.',
      { field: 'downlink_queue_invalidated.downlinks' },
    );
  }
  return {
    downlinks: list.map(readDownlink),
    lastFCntDown: uint(message['last_f_cnt_down'], MAX_F_CNT) ?? 0,
    sessionKeyID: base64(message['session_key_id']),
  };
}

/**
 * The downlinks a `join_accept` reports invalidated (`invalidated_downlinks`, the queue of the
 * session the join replaced), for the session the join starts; none when it reports none.
 */
export function readJoinInvalidatedDownlinks(
  raw: Readonly<Record<string, unknown>>,
): InvalidatedDownlinks | undefined {
  const join = raw['join_accept'];
  const list = isObject(join) ? join['invalidated_downlinks'] : undefined;
  if (!isObject(join) || !Array.isArray(list) || list.length === 0) return undefined;
  return {
    downlinks: list.map(readDownlink),
    lastFCntDown: 0,
    sessionKeyID: base64(join['session_key_id']),
  };
}

function readDownlink(entry: unknown): InvalidatedDownlink {
  const down = isObject(entry) ? entry : {};
  const payload = base64(down['frm_payload']);
  const ids = down['correlation_ids'];
  return {
    sessionKeyID: base64(down['session_key_id']),
    fPort: uint(down['f_port'], 255),
    fCnt: uint(down['f_cnt'], MAX_F_CNT),
    frmPayload: payload === undefined ? undefined : Buffer.from(payload, 'base64'),
    confirmed: down['confirmed'] === true,
    priority: typeof down['priority'] === 'string' ? down['priority'] : undefined,
    correlationIDs: Array.isArray(ids)
      ? ids.filter((id): id is string => typeof id === 'string' && id.length <= 256).slice(0, 16)
      : [],
  };
}

/** A session's key as the shadow keeps it: where an invalidated downlink can be decrypted. */
export interface KeptSessionKey {
  readonly devAddr: string;
  readonly appSKeyEnvelope: KeyEnvelope;
  /** The last counter the integration reserved in that session (or TTS reported). */
  readonly fCntDown: number;
}

/** The key of session `sessionID`: the current one, or an earlier one that kept its key. */
export function keptSessionKey(
  session: DownlinkSession,
  sessionID: string,
): KeptSessionKey | undefined {
  if (sessionID === session.sessionID)
    return {
      devAddr: session.devAddr,
      appSKeyEnvelope: session.appSKeyEnvelope,
      fCntDown: session.lastFCntDown,
    };
  const earlier = session.counters.earlier.find((entry) => entry.sessionID === sessionID);
  if (!earlier?.devAddr || !earlier.appSKeyEnvelope) return undefined;
  try {
    return {
      devAddr: earlier.devAddr,
      appSKeyEnvelope: parseKeyEnvelope(earlier.appSKeyEnvelope),
      fCntDown: earlier.fCntDown,
    };
  } catch {
    return undefined;
  }
}

/** An invalidated downlink the integration can move, with what identifies it. */
export interface MovableDownlink {
  readonly downlink: InvalidatedDownlink & {
    readonly sessionKeyID: string;
    readonly fPort: number;
    readonly fCnt: number;
    readonly frmPayload: Uint8Array;
  };
  readonly downlinkID: string;
  /** The push attempt it becomes in the current session. */
  readonly attempt: number;
  readonly key: KeptSessionKey;
}

/**
 * Whether an invalidated downlink can be moved to the current session; otherwise why not.
 * Only a downlink the integration pushed (its correlation IDs), with an application payload,
 * from a session whose key the shadow kept, at a counter reserved there, below attempt
 * {@link MAX_MOVED_ATTEMPT}, is moved; of the current session only the recorded frame itself
 * (counter and fingerprint). The report comes from the network, which must not get other
 * frames encrypted through it; an earlier session's key is forgotten once its queue was moved
 * ({@link withoutSessionKeys}), so that its frames cannot be replayed through a later report.
 */
export function movableDownlink(
  session: DownlinkSession,
  downlink: InvalidatedDownlink,
): MovableDownlink | { readonly reason: string } {
  const own = ownDownlink(downlink.correlationIDs);
  if (!own || !Number.isSafeInteger(own.attempt) || own.attempt < 1)
    return { reason: 'the integration did not push it (no tts-aws-iot correlation IDs)' };
  const { sessionKeyID, fPort, fCnt, frmPayload } = downlink;
  if (fPort === undefined || fPort === 0 || fCnt === undefined || !frmPayload?.length)
    return { reason: 'it carries no application payload on an FPort above 0 with a frame counter' };
  if (sessionKeyID === undefined) return { reason: 'it names no session' };
  const key = keptSessionKey(session, sessionKeyID);
  if (!key)
    return {
      reason: `the key of its session ${sessionKeyID} is no longer kept (the shadow keeps the last 2 earlier sessions)`,
    };
  if (fCnt > key.fCntDown)
    return { reason: `its frame counter ${fCnt} was never reserved in session ${sessionKeyID}` };
  if (own.attempt >= MAX_MOVED_ATTEMPT)
    return { reason: `it was pushed ${own.attempt} times already, the most a downlink is moved` };
  // In the current session every push is recorded: only that frame, unchanged, is moved (the
  // network must not have an older or a chosen frame re-encrypted at a fresh counter).
  if (sessionKeyID === session.sessionID) {
    const recorded = reservedDownlink(session, pushAttemptID(own.downlinkID, own.attempt));
    if (recorded?.fCnt !== fCnt || recorded.sha !== pushFingerprint(fPort, frmPayload))
      return { reason: `no push of it at frame counter ${fCnt} with that payload is recorded` };
  }
  return {
    downlink: { ...downlink, sessionKeyID, fPort, fCnt, frmPayload },
    downlinkID: own.downlinkID,
    attempt: own.attempt + 1,
    key,
  };
}

/**
 * The `earlierSessions` without the keys of sessions `sessionIDs` (their counters kept), once
 * their invalidated downlinks were moved: a later report naming them finds no key, so the
 * network cannot have their frames moved again. `undefined` when none of them has a key.
 */
export function withoutSessionKeys(
  session: DownlinkSession,
  sessionIDs: ReadonlySet<string>,
): { readonly earlierSessions: readonly EarlierSession[] } | undefined {
  const { earlier } = session.counters;
  if (!earlier.some((entry) => sessionIDs.has(entry.sessionID) && entry.appSKeyEnvelope))
    return undefined;
  return {
    earlierSessions: earlier.map((entry) =>
      sessionIDs.has(entry.sessionID)
        ? { sessionID: entry.sessionID, fCntDown: entry.fCntDown }
        : entry,
    ),
  };
}
