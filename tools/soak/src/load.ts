import { performance } from 'node:perf_hooks';

/** What drives one device's uplink (the simulator's `uplink`). */
export type SendUplink = (devEUI: string) => Promise<void>;

/** How a paced run went. */
export interface PaceResult {
  readonly sent: number;
  /** Sends skipped because that device's previous uplink was still in progress. */
  readonly skipped: number;
  /** Sends that failed (the device not joined, the broker refusing). */
  readonly failed: number;
}

/**
 * Sends `rate` uplinks per second for `seconds`, round-robin over `devices`, on a fixed
 * schedule (the i-th send is due at i/rate s): a tick that falls behind catches up, so the
 * offered load stays what was asked even on a busy machine. One device never has two
 * uplinks in flight.
 */
export async function paceUplinks(
  devices: readonly string[],
  rate: number,
  seconds: number,
  send: SendUplink,
): Promise<PaceResult> {
  const total = Math.round(rate * seconds);
  const busy = new Set<string>();
  const inFlight = new Set<Promise<void>>();
  const counts = { sent: 0, skipped: 0, failed: 0 };
  const start = performance.now();
  let next = 0;
  let cursor = 0;
  while (next < total && devices.length > 0) {
    const due = Math.min(total, Math.floor(((performance.now() - start) * rate) / 1000) + 1);
    for (; next < due; next++) {
      const devEUI = devices[cursor++ % devices.length]!;
      if (busy.has(devEUI)) {
        counts.skipped++;
        continue;
      }
      busy.add(devEUI);
      counts.sent++;
      const sending = Promise.resolve()
        .then(() => send(devEUI))
        .catch(() => {
          counts.failed++;
        })
        .finally(() => {
          busy.delete(devEUI);
          inFlight.delete(sending);
        });
      inFlight.add(sending);
    }
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  await Promise.all(inFlight);
  return counts;
}

/** Waits until `done()` holds or `timeoutMs` passed; answers whether it held. */
export async function waitFor(
  done: () => boolean,
  timeoutMs: number,
  intervalMs = 100,
): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  while (!done()) {
    if (performance.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  return true;
}
