import { paceUplinks } from '../src/load';
import { FULL, parseSoakOptions, SHORT, soakUsage } from '../src/options';
import { percentile, TrafficProbe } from '../src/probe';
import { formatReport, soakPassed } from '../src/report';
import type { SoakReport } from '../src/soak';

const up = (devEUI: string, fCnt: number) =>
  Buffer.from(
    JSON.stringify({ end_device_ids: { dev_eui: devEUI }, uplink_message: { f_cnt: fCnt } }),
  );
const push = (device: string, fCnt: number, payload: string) =>
  Buffer.from(
    JSON.stringify({
      end_device_ids: { device_id: device },
      downlinks: [{ session_key_id: 'S', f_cnt: fCnt, frm_payload: payload }],
    }),
  );

describe('options', () => {
  it('takes the full run by default and the short one with --short, flags on top', () => {
    expect(parseSoakOptions([])).toEqual(FULL);
    expect(
      parseSoakOptions(['--short', '--devices', '5', '--rates=10,20', '--no-restart']),
    ).toEqual({
      ...SHORT,
      devices: 5,
      rates: [10, 20],
      restart: false,
    });
    expect(parseSoakOptions(['--help']).help).toBe(true);
    expect(parseSoakOptions(['--concurrency', '12']).concurrency).toBe(12);
    expect(() => parseSoakOptions(['--concurrency', '0'])).toThrow(
      /--concurrency 0: each function needs at least 1 execution environment/,
    );
    expect(soakUsage()).toContain('--throttle-rate <share>');
  });

  it('names every bad argument and what it takes', () => {
    expect(() =>
      parseSoakOptions(['--devices', 'many', '--throttle-rate', '2', '--bogus']),
    ).toThrow(
      'Invalid soak options: --devices "many" is not a whole number 0..100000; --throttle-rate "2" is not a share 0..1; unknown argument "--bogus". Run `npm run soak -- --help` for the list.',
    );
    expect(() => parseSoakOptions(['--rates', '10,x'])).toThrow(
      /--rates "10,x" is not a comma-separated list/,
    );
  });
});

describe('the traffic probe', () => {
  it('counts lost and duplicated uplinks by DevEUI and FCnt, and ignores republishes of uplinks it did not see sent', () => {
    const probe = new TrafficProbe('s');
    probe.phase = 'p';
    for (const fCnt of [1, 2, 3])
      probe.observe({ topic: 'thethings/lorawan/s/uplink', payload: up('aa', fCnt) });
    probe.observe({ topic: 'lorawan/AA/uplink', payload: up('AA', 1) });
    probe.observe({ topic: 'lorawan/AA/uplink', payload: up('AA', 1) });
    probe.observe({ topic: 'lorawan/AA/uplink', payload: up('AA', 2) });
    probe.observe({ topic: 'lorawan/AA/uplink', payload: up('AA', 9) });
    expect(probe.counts()).toMatchObject({
      uplinksSent: 3,
      republished: 2,
      lost: 1,
      duplicated: 1,
    });
    expect(probe.lostExamples()).toEqual(['AA:3']);
    expect(probe.lastFCnts()).toEqual(new Map([['AA', 3]]));
    expect([probe.hasRepublished('AA'), probe.hasRepublished('BB')]).toEqual([true, false]);
    expect(probe.latenciesOf('p')).toHaveLength(2);
    // The same DevEUI and FCnt in the same session again: a device counter gone back.
    probe.observe({ topic: 'thethings/lorawan/s/uplink', payload: up('aa', 2) });
    expect(probe.counts().fCntUpReused).toBe(1);
    expect(probe.lostIn('p')).toBe(1);
    expect(probe.lostIn('other')).toBe(0);
  });

  it('finds a downlink counter pushed with two payloads; the same frame pushed twice is no reuse', () => {
    const probe = new TrafficProbe('s');
    const topic = 'thethings/lorawan/s/downlink/push';
    probe.observe({ topic, payload: push('d1', 5, 'AAAA') });
    probe.observe({ topic, payload: push('d1', 5, 'AAAA') });
    probe.observe({ topic, payload: push('d2', 5, 'BBBB') });
    expect(probe.counts()).toMatchObject({ counterReuse: 0, downlinkFramesPushed: 2 });
    probe.observe({ topic, payload: push('d1', 5, 'CCCC') });
    expect(probe.counts()).toMatchObject({ counterReuse: 1, downlinkFramesPushed: 3 });
  });

  it('takes percentiles by nearest rank', () => {
    const values = Array.from({ length: 100 }, (_, i) => i + 1);
    expect([percentile(values, 50), percentile(values, 99), percentile([], 50)]).toEqual([
      50,
      99,
      undefined,
    ]);
  });
});

describe('paced uplinks', () => {
  it('offers the set number of uplinks, round-robin, never two at once for one device', async () => {
    const inFlight = new Set<string>();
    const order: string[] = [];
    let overlap = false;
    const result = await paceUplinks(['a', 'b', 'c'], 200, 0.1, async (devEUI) => {
      if (inFlight.has(devEUI)) overlap = true;
      inFlight.add(devEUI);
      order.push(devEUI);
      await new Promise((resolve) => setImmediate(resolve));
      inFlight.delete(devEUI);
    });
    expect(result.sent + result.skipped).toBe(20);
    expect(result.failed).toBe(0);
    expect(overlap).toBe(false);
    expect(order.slice(0, 3)).toEqual(['a', 'b', 'c']);
  });
});

describe('paced uplinks with no stack to send to', () => {
  it('counts a send that throws as failed and goes on', async () => {
    // One device per send: however late the timer fires on a busy machine, no send finds
    // its device still busy, so the counts do not depend on the clock.
    const result = await paceUplinks(['a', 'b', 'c', 'd', 'e'], 100, 0.05, () => {
      throw new Error('The soak stack is not running.');
    });
    expect(result).toEqual({ sent: 5, skipped: 0, failed: 5 });
  });
});

describe('the report', () => {
  const base: SoakReport = {
    options: { ...FULL, rates: [500] },
    counts: {
      uplinksSent: 10,
      republished: 10,
      lost: 0,
      duplicated: 0,
      downlinkFramesPushed: 2,
      counterReuse: 0,
      downlinkFailures: 0,
      joins: 1,
      fCntUpReused: 0,
    },
    lostExamples: [],
    failureLines: [],
    skipped: 0,
    latency: [
      { phase: '500/s', rate: 500, throughput: 498, samples: 10, p50: 3, p99: 12, max: 30 },
    ],
    wrongFCntUp: { count: 0, examples: [] },
    downlinks: { requested: 2, delivered: 2 },
    newThings: { created: 1, provisioned: 1 },
    faults: {
      throttled: 1,
      serverErrors: 1,
      publishesFailedAfterShadowUpdate: 3,
      ttsFailures: 6,
      ttsStallMs: 2500,
    },
    restart: {
      ok: true,
      checks: [{ name: 'things', ok: true, detail: '1/1 things' }],
      lostAtStop: 0,
    },
    memoryHighWaterMB: 300,
    seconds: 60,
  };

  it('puts each goal beside its figure and passes when the must-goals are met', () => {
    const table = formatReport(base);
    expect(table).toMatch(
      /^latency 500\/s p50\/p99\/max \(n=10, 498\/s out\) +3\.0\/12\/30 ms +p99 ≤ 20 ms +met$/m,
    );
    expect(table).toMatch(/^restart: things +1\/1 things +survives +met$/m);
    expect(soakPassed(base)).toBe(true);
  });

  it('says MISSED, and why, where a goal is missed; a missed latency goal alone does not fail the run', () => {
    const slow = { ...base, latency: [{ ...base.latency[0]!, p99: 45, throughput: 320 }] };
    expect(formatReport(slow)).toContain(
      'MISSED latency: p99 45 ms at 500/s offered, 320/s republished: the stack cannot keep up here',
    );
    expect(soakPassed(slow)).toBe(true);
    const measured = {
      ...slow,
      options: { ...slow.options, concurrency: 8 },
      latency: [{ ...slow.latency[0]!, cost: { cpuMsPerUplink: 5.4, mainLoopBusy: 0.65 } }],
      machine: { cores: 2, loadAverage: [6.25, 5.6] as const },
    };
    const table = formatReport(measured);
    expect(table).toMatch(
      /^cost 500\/s: CPU per uplink \(all threads\) \/ main loop busy +5\.4 ms \/ 65 %$/m,
    );
    expect(table).toContain('machine: 2 cores, load average 6.3 at the start, 5.6 at the end');
    expect(table).toContain(
      'Each uplink took 5.4 ms of CPU (the Lambda workers, the main loop, the load), so 2 cores do at most 370 uplinks/s with nothing else running, and the main loop was busy 65 % of the phase (8 execution environments per function).',
    );
    const lossy = {
      ...base,
      counts: { ...base.counts, lost: 2, republished: 8 },
      lostExamples: ['AA:3', 'AA:4'],
    };
    expect(formatReport(lossy)).toMatch(/^lost +2 +0 under AWS and TTS faults +MISSED$/m);
    expect(formatReport(lossy)).toContain('e.g. AA:3, AA:4');
    expect(soakPassed(lossy)).toBe(false);
  });
});
