/**
 * Downlinks that TTS invalidated (`downlink_queue_invalidated`, docs/tts.md): when a device's
 * session changes, the Application Server drops the queued downlinks of the old session and
 * reports them, still encrypted under the old session's AppSKey. With skip payload crypto it
 * cannot re-encrypt them; the integration can, with the old session's wrapped key that the
 * shadow keeps (`earlierSessions`). This module reads the report and decides, per downlink,
 * whether and how it can be moved to the current session; it never holds a key longer than
 * one payload takes.
 */
import { objectOf, readInput } from '@tts-aws-iot/input';
import { parseKeyEnvelope, type KeyEnvelope } from '@tts-aws-iot/keywrap';
import * as v from 'valibot';

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

// The report is read leniently: a field that is not what re-encrypting needs is left out
// (`undefined`), and the downlink is then reported as not moved, with the reason.

/** `schema`'s value, or `undefined` when the field is missing or anything else. */
function lenient<const S extends v.GenericSchema>(schema: S) {
  return v.fallback(v.optional(schema), undefined);
}

const uint = (max: number) =>
  v.pipe(
    v.number('a number'),
    v.integer('a whole number'),
    v.minValue(0, 'not negative'),
    v.maxValue(max, `at most ${max}`),
  );

const base64 = v.pipe(
  v.string('base64'),
  v.minLength(1, 'base64'),
  v.regex(BASE64, 'base64'),
  v.check((text) => text.length % 4 === 0, 'base64 with padding'),
);

/** At most 16 correlation IDs of at most 256 characters each; anything else is left out. */
const correlationIDs = v.fallback(
  v.pipe(
    v.array(v.unknown(), 'a list'),
    v.transform((ids) =>
      ids.filter((id): id is string => typeof id === 'string' && id.length <= 256).slice(0, 16),
    ),
  ),
  () => [],
);

const nothingReadable = (): InvalidatedDownlink => ({
  sessionKeyID: undefined,
  fPort: undefined,
  fCnt: undefined,
  frmPayload: undefined,
  confirmed: false,
  priority: undefined,
  correlationIDs: [],
});

/** One downlink of a report (one that is not even an object is kept as nothing readable). */
const DOWNLINK = v.fallback(
  v.pipe(
    objectOf(
      {
        session_key_id: lenient(base64),
        f_port: lenient(uint(255)),
        f_cnt: lenient(uint(MAX_F_CNT)),
        frm_payload: lenient(base64),
        confirmed: lenient(v.boolean('true or false')),
        priority: lenient(v.string('a string')),
        correlation_ids: v.optional(correlationIDs, () => []),
      },
      'an object',
    ),
    v.transform((down): InvalidatedDownlink => ({
      sessionKeyID: down.session_key_id,
      fPort: down.f_port,
      fCnt: down.f_cnt,
      frmPayload:
        down.frm_payload === undefined ? undefined : Buffer.from(down.frm_payload, 'base64'),
      confirmed: down.confirmed === true,
      priority: down.priority,
      correlationIDs: down.correlation_ids,
    })),
  ),
  nothingReadable,
);

/** `downlink_queue_invalidated`: only a list of downlinks is required. */
const QUEUE_INVALIDATED = v.object({
  downlink_queue_invalidated: objectOf(
    {
      downlinks: v.array(DOWNLINK, 'a list of downlinks'),
      last_f_cnt_down: lenient(uint(MAX_F_CNT)),
      session_key_id: lenient(base64),
    },
    'an object',
  ),
});

/** The `invalidated_downlinks` of a `join_accept`: none, unless it is a list. */
const JOIN_INVALIDATED = v.object({
  join_accept: objectOf(
    {
      invalidated_downlinks: v.array(DOWNLINK, 'a list of downlinks'),
      session_key_id: lenient(base64),
    },
    'an object',
  ),
});

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
  const field = 'downlink_queue_invalidated.downlinks';
  const { downlink_queue_invalidated: message } = readInput(
    QUEUE_INVALIDATED,
    raw,
    () =>
      new InputError('invalid_field', `Invalid TTS message: ${field} is not a list of downlinks.`, {
        field,
      }),
  );
  return {
    downlinks: message.downlinks,
    lastFCntDown: message.last_f_cnt_down ?? 0,
    sessionKeyID: message.session_key_id,
  };
}

/**
 * The downlinks a `join_accept` reports invalidated (`invalidated_downlinks`, the queue of the
 * session the join replaced), for the session the join starts; none when it reports none.
 */
export function readJoinInvalidatedDownlinks(
  raw: Readonly<Record<string, unknown>>,
): InvalidatedDownlinks | undefined {
  const read = v.safeParse(JOIN_INVALIDATED, raw);
  if (!read.success || read.output.join_accept.invalidated_downlinks.length === 0) return undefined;
  const join = read.output.join_accept;
  return {
    downlinks: join.invalidated_downlinks,
    lastFCntDown: 0,
    sessionKeyID: join.session_key_id,
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
