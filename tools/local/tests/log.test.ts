import { MAX_LINE_CHARS, TrafficLog } from '../src/log';

function logged(): { lines: string[]; log: TrafficLog } {
  const lines: string[] = [];
  return { lines, log: new TrafficLog((line) => lines.push(line)) };
}

describe('the traffic log', () => {
  it('prints a rejection with its error code and reason', () => {
    const { lines, log } = logged();
    log.lambda({
      functionName: 'uplink',
      line: JSON.stringify({
        level: 'WARN',
        message: 'Rejected: not retrying',
        error_code: 'invalid_uplink',
        reason: 'uplink_message.f_port is missing',
      }),
    });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /uplink +WARN +Rejected: not retrying {2}\(code=invalid_uplink; reason=uplink_message\.f_port is missing\)$/,
    );
  });

  it('prints an error’s name and message beside its code', () => {
    const { lines, log } = logged();
    log.lambda({
      functionName: 'downlink',
      line: JSON.stringify({
        level: 'ERROR',
        message: 'Failed: the event is retried',
        error: { name: 'TypeError', message: 'x is undefined' },
      }),
    });
    expect(lines[0]).toContain('(TypeError: x is undefined)');
  });

  it('shows a bounded prefix of payload bytes: a 150 KB uplink makes a short line', () => {
    const { lines, log } = logged();
    const frm = Buffer.alloc(150 * 1024, 0xab);
    log.mqtt({
      topic: 'thethings/lorawan/local/uplink',
      payload: Buffer.from(
        JSON.stringify({
          end_device_ids: { device_id: 'dev1' },
          uplink_message: { f_cnt: 1, f_port: 2, frm_payload: frm.toString('base64') },
        }),
      ),
      clientId: 'thethings-local',
    });
    expect(lines).toHaveLength(1);
    expect(lines[0]!.length).toBeLessThan(300);
    expect(lines[0]).toContain(`frm_payload=${'AB'.repeat(32)}…(${frm.length} bytes)`);
  });

  it('cuts any line at its bound, saying how long it was', () => {
    const { lines, log } = logged();
    const huge = 'x'.repeat(150 * 1024);
    log.lambda({
      functionName: 'uplink',
      line: JSON.stringify({ level: 'WARN', message: 'Rejected: not retrying', reason: huge }),
    });
    log.device({ type: 'uplink', devEUI: 'D', fCnt: 1, fPort: 2, payload: Buffer.alloc(5000) });
    log.info(huge);
    for (const line of lines) expect(line.length).toBeLessThan(MAX_LINE_CHARS + 100);
    expect(lines[0]).toMatch(/…\(\d+ characters\)$/);
    expect(lines[1]).toContain('…(5000 bytes)');
  });
});
