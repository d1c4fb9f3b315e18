import type { LatencyFigure, SoakReport } from './soak';

/** One row of the closing table. */
interface Row {
  readonly figure: string;
  readonly value: string;
  readonly goal: string;
  /** Whether the goal is met; undefined for a figure without a goal. */
  readonly met?: boolean;
}

/** The latency goal: p99 ≤ 20 ms at 500 uplinks/s with 1,000 devices. */
export const LATENCY_GOAL = { rate: 500, devices: 1000, p99Ms: 20 };

/** Whether the run met the goals it must: no loss, no counter reuse, shadows right, state kept. */
export function soakPassed(report: SoakReport): boolean {
  return rows(report).every((row) => row.met !== false || row.figure.startsWith('latency'));
}

/** The closing table: every figure with its goal beside it, and what a missed goal means. */
export function formatReport(report: SoakReport): string {
  const table = rows(report);
  const width = (pick: (row: Row) => string) => Math.max(...table.map((row) => pick(row).length));
  const [f, v, g] = [width((r) => r.figure), width((r) => r.value), width((r) => r.goal)];
  const line = (row: Row) =>
    `${row.figure.padEnd(f)}  ${row.value.padStart(v)}  ${row.goal.padEnd(g)}  ${row.met === undefined ? '' : row.met ? 'met' : 'MISSED'}`.trimEnd();
  const { options } = report;
  return [
    `soak: ${options.devices} devices, clean phases ${options.rates.join(', ')} uplinks/s × ${options.phaseSeconds} s, faults ${options.faultSeconds} s at ${options.faultRate} uplinks/s, ${options.concurrency} execution environments per function; ${report.seconds} s in all`,
    ...(report.machine
      ? [
          `machine: ${report.machine.cores} cores, load average ${report.machine.loadAverage.map((l) => l.toFixed(1)).join(' at the start, ')} at the end`,
        ]
      : []),
    '',
    line({ figure: 'figure', value: 'value', goal: 'goal' }),
    ...table.map(line),
    ...misses(report),
  ].join('\n');
}

function rows(report: SoakReport): Row[] {
  return [
    ...trafficRows(report),
    ...faultRows(report),
    ...report.latency.map((figure) => latencyRow(report, figure)),
    ...report.latency.flatMap(costRow),
    ...restartRows(report),
    { figure: 'memory high-water (RSS)', value: `${report.memoryHighWaterMB} MB`, goal: '' },
  ];
}

function trafficRows({ counts, downlinks, wrongFCntUp, skipped, restart }: SoakReport): Row[] {
  // Uplinks dropped by the restart's stop are the restart's row, not the faults'.
  const lost = counts.lost - (restart?.lostAtStop ?? 0);
  return [
    { figure: 'uplinks sent', value: String(counts.uplinksSent), goal: '' },
    { figure: 'uplinks not sent (device busy or refused)', value: String(skipped), goal: '' },
    { figure: 'republished', value: String(counts.republished), goal: '' },
    {
      figure: 'lost',
      value: String(lost),
      goal: '0 under AWS and TTS faults',
      met: lost === 0,
    },
    {
      figure: 'duplicated',
      value: String(counts.duplicated),
      goal: 'reported (delivery is at least once)',
    },
    {
      figure: 'shadows with a wrong final fCntUp',
      value: String(wrongFCntUp.count),
      goal: '0',
      met: wrongFCntUp.count === 0,
    },
    { figure: 'downlinks requested', value: String(downlinks.requested), goal: '' },
    { figure: 'downlink frames pushed', value: String(counts.downlinkFramesPushed), goal: '' },
    {
      figure: 'downlinks delivered, decrypted',
      value: String(downlinks.delivered),
      goal: 'all requested',
      met: downlinks.delivered === downlinks.requested,
    },
    {
      figure: 'uplink FCnts sent twice',
      value: String(counts.fCntUpReused),
      goal: '0',
      met: counts.fCntUpReused === 0,
    },
    {
      figure: 'counter reuse, all devices',
      value: String(counts.counterReuse),
      goal: '0',
      met: counts.counterReuse === 0,
    },
  ];
}

function faultRows({ newThings, faults }: SoakReport): Row[] {
  return [
    {
      figure: 'things created under TTS faults, provisioned',
      value: `${newThings.provisioned}/${newThings.created}`,
      goal: 'all',
      met: newThings.provisioned === newThings.created,
    },
    {
      figure: 'faults: AWS throttled / 503 / publish after shadow write',
      value: `${faults.throttled}/${faults.serverErrors}/${faults.publishesFailedAfterShadowUpdate}`,
      goal: 'injected',
    },
    {
      figure: 'faults: TTS 503s / stall',
      value: `${faults.ttsFailures}/${faults.ttsStallMs} ms`,
      goal: 'injected',
    },
  ];
}

function latencyRow(report: SoakReport, figure: LatencyFigure): Row {
  const goal = figure.rate === LATENCY_GOAL.rate && report.options.devices >= LATENCY_GOAL.devices;
  return {
    figure: `latency ${figure.phase} p50/p99/max (n=${figure.samples}, ${figure.throughput === undefined ? '–' : Math.round(figure.throughput)}/s out)`,
    value: `${ms(figure.p50)}/${ms(figure.p99)}/${ms(figure.max)} ms`,
    goal: goal ? `p99 ≤ ${LATENCY_GOAL.p99Ms} ms` : '',
    ...(goal && { met: figure.p99 !== undefined && figure.p99 <= LATENCY_GOAL.p99Ms }),
  };
}

function costRow({ phase, cost }: LatencyFigure): Row[] {
  if (!cost) return [];
  return [
    {
      figure: `cost ${phase}: CPU per uplink (all threads) / main loop busy`,
      value: `${cost.cpuMsPerUplink.toFixed(1)} ms / ${Math.round(cost.mainLoopBusy * 100)} %`,
      goal: '',
    },
  ];
}

function restartRows({ restart }: SoakReport): Row[] {
  if (!restart)
    return [
      { figure: 'restart', value: 'not run (--no-restart)', goal: 'persisted state survives' },
    ];
  return restart.checks.map((c) => ({
    figure: `restart: ${c.name}`,
    value: c.detail,
    goal: 'survives',
    met: c.ok,
  }));
}

/** Why each missed goal was missed, as far as the figures tell, and what it would take. */
function misses(report: SoakReport): string[] {
  const lines: string[] = [];
  if (report.counts.lost > (report.restart?.lostAtStop ?? 0))
    lines.push(
      `MISSED lost: ${report.counts.lost} uplinks never reached lorawan/<thing>/uplink, e.g. ${report.lostExamples.join(', ')}.`,
    );
  for (const example of report.wrongFCntUp.examples) lines.push(`MISSED fCntUp: ${example}`);
  if (report.wrongFCntUp.count > 0)
    lines.push(
      `${report.wrongFCntUp.count} shadows hold an older FCnt than their device's last uplink: an uplink retried after newer ones were handled writes its older report (tools/soak/README.md, "a retried uplink").`,
    );
  const latency = report.latency.find((l) => l.rate === LATENCY_GOAL.rate);
  if (
    latency &&
    latency.p99 !== undefined &&
    latency.p99 > LATENCY_GOAL.p99Ms &&
    report.options.devices >= LATENCY_GOAL.devices
  )
    lines.push(
      `MISSED latency: p99 ${ms(latency.p99)} ms at ${latency.rate}/s offered, ${latency.throughput === undefined ? '–' : Math.round(latency.throughput)}/s republished: ${(latency.throughput ?? 0) < latency.rate * 0.95 ? 'the stack cannot keep up here, so uplinks queue' : 'the stack keeps up, but each uplink waits its turn'}. ${capacity(report, latency)}tools/soak/README.md says what it would take.`,
    );
  if ((report.counts.lost > 0 || report.wrongFCntUp.count > 0) && report.failureLines.length > 0)
    lines.push(
      'The stack logged these failures last:',
      ...report.failureLines.map((l) => `  ${l}`),
    );
  return lines.length > 0 ? ['', ...lines] : [];
}

function ms(value: number | undefined): string {
  return value === undefined ? '–' : value < 10 ? value.toFixed(1) : String(Math.round(value));
}

/** What the phase's cost says about the machine's capacity, when the run measured it. */
function capacity(report: SoakReport, latency: LatencyFigure): string {
  const cost = latency.cost;
  if (!cost || !report.machine) return '';
  const { cores } = report.machine;
  const most = Math.floor((cores * 1000) / cost.cpuMsPerUplink);
  return `Each uplink took ${cost.cpuMsPerUplink.toFixed(1)} ms of CPU (the Lambda workers, the main loop, the load), so ${cores} cores do at most ${most} uplinks/s with nothing else running, and the main loop was busy ${Math.round(cost.mainLoopBusy * 100)} % of the phase (${report.options.concurrency} execution environments per function). `;
}
