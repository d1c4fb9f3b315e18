/**
 * Class B ping slots (LoRaWAN 1.0.4 class B §13.2, TS001-1.1 class B §15.2): where in a
 * beacon period a device opens its ping slots. The beacon window after each beacon's
 * reserved time is cut into 4096 slots of 30 ms; a device with ping slot periodicity
 * `periodicity` (PingSlotInfoReq) opens 2^(7 - periodicity) of them, every 2^(5 +
 * periodicity) slots from a pseudo-random offset that both ends compute from the beacon's
 * time and the DevAddr.
 */
import { aesEncryptBlocks } from './aes';
import { checkUint, writeReversed, writeUintLE } from './bytes';
import { LorawanError } from './errors';
import { checkIdentifier, type AesKey, type DevAddr } from './identifiers';

/** The beacon period in seconds: beacons start at GPS times that are multiples of it. */
const BEACON_PERIOD = 128;
/** BEACON_RESERVED: the time after a beacon's start before the first ping slot, in ms. */
const BEACON_RESERVED_MS = 2120;
/** The length of a slot, in ms. */
const SLOT_LEN_MS = 30;

/** The specification's randomisation key: sixteen zero bytes. */
const ZERO_KEY = new Uint8Array(16) as AesKey;

/**
 * pingOffset (1.0.4 class B §13.2, 1.1 class B §15.2): `Rand = aes128_encrypt(16×0x00,
 * BeaconTime | DevAddr | pad16)`, `pingOffset = (Rand[0] + Rand[1] × 256) mod pingPeriod`,
 * with `pingPeriod = 2^(5 + periodicity)` slots. `beaconTime` is the beacon's Time field:
 * its start in GPS seconds modulo 2^32, a multiple of 128. The result is a slot index
 * from 0 to pingPeriod - 1.
 */
export function computePingOffset(
  beaconTime: number,
  devAddr: DevAddr,
  periodicity: number,
): number {
  const pingPeriod = 2 ** (5 + checkUint('periodicity', periodicity, 7));
  const block = new Uint8Array(16);
  writeUintLE(block, 0, checkBeaconTime(beaconTime), 4);
  writeReversed(block, 4, checkIdentifier(devAddr, 4, 'invalid_dev_addr', 'DevAddr'));
  const rand = aesEncryptBlocks(ZERO_KEY, block);
  return (rand[0]! + rand[1]! * 256) % pingPeriod;
}

/**
 * The starts of a device's ping slots in the beacon period that begins at `beaconTime`,
 * in milliseconds after the beacon's start: `BEACON_RESERVED + (pingOffset + k ×
 * pingPeriod) × 30 ms` for k from 0 to 2^(7 - periodicity) - 1, in ascending order.
 */
export function pingSlotStarts(
  beaconTime: number,
  devAddr: DevAddr,
  periodicity: number,
): number[] {
  const offset = computePingOffset(beaconTime, devAddr, periodicity);
  const pingPeriod = 2 ** (5 + periodicity);
  const pingNb = 2 ** (7 - periodicity);
  return Array.from(
    { length: pingNb },
    (_, k) => BEACON_RESERVED_MS + (offset + k * pingPeriod) * SLOT_LEN_MS,
  );
}

function checkBeaconTime(beaconTime: number): number {
  checkUint('BeaconTime', beaconTime, 0xffffffff);
  if (beaconTime % BEACON_PERIOD !== 0) {
    throw new LorawanError(
      'invalid_value',
      `Invalid BeaconTime ${beaconTime}: beacons start every ${BEACON_PERIOD} s of GPS time, so it is a multiple of ${BEACON_PERIOD}; use the start of the beacon period.`,
      { field: 'BeaconTime' },
    );
  }
  return beaconTime;
}
