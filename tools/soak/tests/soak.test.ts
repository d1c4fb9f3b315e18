import { SHORT } from '../src/options';
import { formatReport } from '../src/report';
import { runSoak, type SoakReport } from '../src/soak';

// The short soak (~20 s of traffic) through the whole local stack with the real Lambda
// bundles (the test target builds them first). It asserts counts, never times.
let report: SoakReport;
const progress: string[] = [];

beforeAll(async () => {
  report = await runSoak(SHORT, (line) => progress.push(line));
}, 240_000);

describe('the short soak', () => {
  it('loses no uplink and reuses no downlink counter under the AWS and TTS faults', () => {
    expect(report.counts.uplinksSent).toBeGreaterThan(150);
    expect(report.counts.lost).toBe(0);
    expect(report.counts.republished).toBe(report.counts.uplinksSent);
    expect(report.counts.counterReuse).toBe(0);
    expect(report.counts.downlinkFramesPushed).toBeGreaterThan(0);
  });

  it('injected every fault it schedules', () => {
    expect(report.faults.throttled).toBeGreaterThan(0);
    expect(report.faults.serverErrors).toBeGreaterThan(0);
    // Each thing's Publish fails on all three SDK attempts after its shadow write.
    expect(report.faults.publishesFailedAfterShadowUpdate).toBe(SHORT.partialFailures * 3);
    expect(report.faults.ttsFailures).toBeGreaterThan(0);
  });

  it('delivers every downlink, decrypted, and leaves no shadow behind its device’s last uplink', () => {
    expect(report.downlinks.requested).toBeGreaterThan(0);
    expect(report.downlinks.delivered).toBe(report.downlinks.requested);
    // Retried and concurrent uplinks included: a report older than the shadow's is left out.
    expect(report.wrongFCntUp).toEqual({ count: 0, examples: [] });
  });

  it('provisions the things created while TTS failed and stalled', () => {
    expect(report.newThings).toEqual({ created: SHORT.newThings, provisioned: SHORT.newThings });
  });

  it('keeps everything persisted across a restart under load, and no device reuses an FCnt', () => {
    expect(report.counts.fCntUpReused).toBe(0);
    expect(report.restart?.checks.map((c) => [c.name, c.ok])).toEqual([
      ['things', true],
      ['shadows and versions', true],
      ['KEK secret', true],
      ['device sessions', true],
      ['uplinks in flight at the stop, republished', true],
      ['traffic resumes past the last FCnt', true],
      ['a downlink after the restart decrypts on the device', true],
    ]);
  });

  it('ends with one table that puts each goal beside its figure', () => {
    const table = formatReport(report);
    expect(table).toMatch(/^lost +0 +0 under AWS and TTS faults +met$/m);
    expect(table).toMatch(/^counter reuse, all devices +0 +0 +met$/m);
    expect(table).toMatch(/^latency 40\/s p50\/p99\/max \(n=\d+, \d+\/s out\)/m);
    expect(table).toMatch(/^memory high-water \(RSS\) +\d+ MB/m);
    expect(progress.some((line) => line.startsWith('restart:'))).toBe(true);
  });
});
