import { checkUint, MAX_F_CNT } from './bytes';
import { LorawanError } from './errors';

/**
 * Rebuilds a 32-bit frame counter from the 16 bits a frame carries (LoRaWAN 1.0.4 §4.3.1.5,
 * 1.1 §4.3.1.5): the smallest value ≥ `lastFCnt` (the last full counter seen) whose low
 * 16 bits are `wireFCnt`. A repeated counter (a retransmission) gives `lastFCnt` back.
 * Counters do not roll over in a session: passing 2^32 - 1 is `f_cnt_overflow` (rejoin).
 */
export function reconstructFCnt(lastFCnt: number, wireFCnt: number): number {
  checkUint('last FCnt', lastFCnt, MAX_F_CNT);
  checkUint('FCnt', wireFCnt, 0xffff);
  const high = lastFCnt - (lastFCnt % 0x10000);
  const candidate = high + wireFCnt;
  const fCnt = candidate >= lastFCnt ? candidate : candidate + 0x10000;
  if (fCnt > MAX_F_CNT) {
    throw new LorawanError(
      'f_cnt_overflow',
      `FCnt ${wireFCnt} after ${lastFCnt} passes 2^32 - 1; the session must be renewed by a (re)join.`,
      {
        lastFCnt,
        wireFCnt,
      },
    );
  }
  return fCnt;
}
