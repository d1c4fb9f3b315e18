import { createCipheriv } from 'node:crypto';
import fc from 'fast-check';
import { computePingOffset, parseDevAddr, pingSlotStarts } from '../src/index';

const zeroAddr = parseDevAddr('00000000');

/** The specification's formula, one AES block with node:crypto, independent of the library. */
function referencePingOffset(beaconTime: number, devAddr: Uint8Array, periodicity: number) {
  const block = Buffer.alloc(16);
  block.writeUInt32LE(beaconTime, 0);
  Buffer.from(devAddr).reverse().copy(block, 4);
  const rand = createCipheriv('aes-128-ecb', Buffer.alloc(16), null)
    .setAutoPadding(false)
    .update(block);
  return (rand[0]! + rand[1]! * 256) % 2 ** (5 + periodicity);
}

describe('class B ping slots', () => {
  // ChirpStack's published next-ping-slot vectors (chirpstack/src/downlink/classb.rs), DevAddr
  // 00000000: the first slot after `after` ms of GPS time, with 2^(7 - periodicity) slots.
  it.each([
    [0, 7, 74_300],
    [120_000, 7, 185_620],
    [0, 6, 12_860],
    [13_000, 6, 74_300],
    [124_000, 0, 124_220],
  ])('after %i ms with periodicity %i, the next slot starts at %i ms', (after, periodicity, at) => {
    const beaconStart = Math.floor(after / 128_000) * 128;
    const next = [beaconStart, beaconStart + 128]
      .flatMap((beacon) =>
        pingSlotStarts(beacon, zeroAddr, periodicity).map((start) => beacon * 1000 + start),
      )
      .find((start) => start > after);
    expect(next).toBe(at);
  });

  it('gives pingOffset as the formula over one AES block with the zero key', () => {
    expect(computePingOffset(0, zeroAddr, 7)).toBe(2406);
    fc.assert(
      fc.property(
        fc.nat({ max: 2 ** 25 - 1 }).map((n) => n * 128),
        fc.uint8Array({ minLength: 4, maxLength: 4 }),
        fc.integer({ min: 0, max: 7 }),
        (beaconTime, addr, periodicity) => {
          const devAddr = parseDevAddr(addr);
          expect(computePingOffset(beaconTime, devAddr, periodicity)).toBe(
            referencePingOffset(beaconTime, devAddr, periodicity),
          );
        },
      ),
      { numRuns: 200 },
    );
  });

  it('opens 2^(7 - periodicity) slots, every 2^(5 + periodicity) slots of 30 ms', () => {
    const devAddr = parseDevAddr('260B1234');
    for (let periodicity = 0; periodicity <= 7; periodicity++) {
      const starts = pingSlotStarts(1_300_000_000 - (1_300_000_000 % 128), devAddr, periodicity);
      expect(starts).toHaveLength(2 ** (7 - periodicity));
      expect(starts[0]).toBeGreaterThanOrEqual(2120);
      expect(starts.at(-1)).toBeLessThan(2120 + 4096 * 30);
      for (let k = 1; k < starts.length; k++)
        expect(starts[k]! - starts[k - 1]!).toBe(30 * 2 ** (5 + periodicity));
    }
  });

  it.each([
    ['a time that is not a beacon start', 1000, zeroAddr, 7, 'a multiple of 128'],
    ['a time past 32 bits', 2 ** 32, zeroAddr, 7, 'Invalid BeaconTime'],
    ['a periodicity above 7', 0, zeroAddr, 8, 'Invalid periodicity'],
  ])('refuses %s', (_, beaconTime, devAddr, periodicity, problem) => {
    expect(() => computePingOffset(beaconTime, devAddr, periodicity)).toThrow(
      expect.objectContaining({ code: 'invalid_value', message: expect.stringContaining(problem) }),
    );
  });

  it('refuses a DevAddr that is not 4 bytes', () => {
    expect(() => pingSlotStarts(0, new Uint8Array(3) as unknown as typeof zeroAddr, 7)).toThrow(
      expect.objectContaining({ code: 'invalid_dev_addr' }),
    );
  });
});
