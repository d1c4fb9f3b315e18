/**
 * A downlink request's push with E2E: the next downlink counter of the thing's session is
 * reserved, the payload encrypted at it, and the push recorded with the counter (its
 * fingerprint), so that a retried invocation pushes the same frame and only this frame,
 * reported back unchanged, is ever re-pushed (repush.ts).
 */
import type { ThingRecord } from '../../ports';
import type { TrafficDependencies } from '../dependencies';
import { pushAttemptID } from '../downlink-request';
import { encryptDownlinkPayload, unwrapCounted, type KekRingSource } from '../e2e-session';
import type { EncodedDownlink } from '../payload-formatting';
import { pushFingerprint } from './counters';
import { reserveDownlinkFCnt, type Reservation } from './reservation';

/**
 * Reserves the next downlink counter of the thing's session and encrypts the payload at it.
 * The AppSKey is unwrapped before the counter is written: a key that cannot be used must not
 * use up a counter. A retried invocation gets the counter reserved before, and the same frame.
 */
export async function encryptAtReservedFCnt(
  keks: KekRingSource,
  plaintext: EncodedDownlink,
  thing: Pick<ThingRecord, 'thingName'>,
  downlinkID: string,
  deps: TrafficDependencies,
): Promise<Reservation<Uint8Array>> {
  const reservation = await reserveDownlinkFCnt(
    deps.shadows,
    thing.thingName,
    {
      delay: deps.delay,
      random: deps.random,
      ...(deps.now ? { now: deps.now } : {}),
      downlinkID: pushAttemptID(downlinkID, 1),
      known: deps.sessions,
    },
    async (session, next) =>
      encryptDownlinkPayload(
        await unwrapCounted(keks, session.appSKeyEnvelope, thing.thingName, deps.counters),
        session.devAddr,
        next,
        plaintext.bytes,
      ),
    // Recorded with the counter: only this frame, reported back unchanged, is re-pushed.
    (ciphertext) => pushFingerprint(plaintext.fPort, ciphertext),
  );
  if (reservation.repeated) {
    deps.log.info(
      'Retried downlink request: pushing the same frame at the counter reserved before',
      {
        thing_name: thing.thingName,
        f_cnt: reservation.fCnt,
      },
    );
  }
  return reservation;
}
