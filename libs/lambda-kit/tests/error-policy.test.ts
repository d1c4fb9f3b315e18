import type { Context } from 'aws-lambda';

import { createLambdaKit, lambdaHandler } from '../src';
import { boundPayloads, boundText } from '../src/middleware/log-bounds';

process.env['POWERTOOLS_DEV'] = 'true';
process.env['POWERTOOLS_METRICS_DISABLED'] = 'false';
process.env['POWERTOOLS_TRACE_ENABLED'] = 'false';

const context = {
  awsRequestId: 'req-1',
  functionName: 'f',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:f',
  memoryLimitInMB: '256',
  logGroupName: 'g',
  logStreamName: 's',
  getRemainingTimeInMillis: () => 30_000,
} as unknown as Context;

function captureOutput() {
  const written: string[] = [];
  const spies = (['log', 'info', 'warn', 'error', 'debug'] as const).map((method) =>
    jest.spyOn(console, method).mockImplementation((...args: unknown[]) => {
      written.push(args.map(String).join(' '));
    }),
  );
  return {
    text: () => written.join('\n'),
    lines: () => written.map((line) => JSON.parse(line) as Record<string, unknown>),
    restore: () => spies.forEach((spy) => spy.mockRestore()),
  };
}

/** The shape of libs/lorawan's error (lambda-kit depends on none of ours, so matches it by name). */
class LorawanError extends Error {
  override readonly name = 'LorawanError';
  constructor(
    readonly code: string,
    message: string,
    readonly attributes: Record<string, unknown>,
  ) {
    super(message);
  }
}

describe('errorPolicy: bad input of the LoRaWAN library', () => {
  let output: ReturnType<typeof captureOutput>;
  beforeEach(() => (output = captureOutput()));
  afterEach(() => output.restore());

  it('answers a LorawanError once as a rejection: never rethrown for a retry or the dead-letter queue', async () => {
    const kit = createLambdaKit({ functionName: 'HandleUplink' });
    const handler = lambdaHandler(kit, async () => {
      throw new LorawanError('payload_too_long', 'The payload has 4096 bytes; at most 4080.', {
        length: 4096,
      });
    });
    await expect(handler({}, context)).resolves.toBeNull();
    const lines = output.lines();
    expect(lines.find((entry) => entry['level'] === 'WARN')).toMatchObject({
      error_code: 'payload_too_long',
    });
    expect(lines.some((entry) => entry['level'] === 'ERROR')).toBe(false);
    expect(lines.find((entry) => 'Rejected' in entry)).toMatchObject({ Rejected: 1 });
  });

  it('still retries a coded error that says it is retryable, or one of another library', async () => {
    const kit = createLambdaKit({ functionName: 'HandleUplink' });
    const other = Object.assign(new Error('ring broken'), { code: 'x', name: 'KekRingError' });
    const handler = lambdaHandler(kit, async () => {
      throw other;
    });
    await expect(handler({}, context)).rejects.toBe(other);
  });
});

describe('log lines: payload bytes are bounded', () => {
  let output: ReturnType<typeof captureOutput>;
  beforeEach(() => (output = captureOutput()));
  afterEach(() => output.restore());

  const payloadHex = 'ab'.repeat(500);

  it('shows at most 32 bytes of a payload in a rejection or a failure, then its length', async () => {
    const kit = createLambdaKit({ functionName: 'HandleUplink' });
    const rejection = Object.assign(new Error(`bad frame ${payloadHex}`), {
      code: 'invalid_frame',
      retryable: false,
      attributes: {
        frm_payload: Buffer.from(payloadHex, 'hex').toString('base64'),
        raw: payloadHex,
      },
    });
    const failure = Object.assign(new Error(`failed on ${payloadHex}`), {
      code: 'x',
      retryable: true,
    });
    await lambdaHandler(kit, async () => {
      throw rejection;
    })({}, context);
    await lambdaHandler(kit, async () => {
      throw failure;
    })({}, context).catch(() => undefined);
    const text = output.text();
    expect(text).not.toContain('ab'.repeat(33));
    expect(text).not.toContain(Buffer.from(payloadHex, 'hex').toString('base64').slice(0, 45));
    expect(text).toContain(`${'ab'.repeat(32)}…(500 bytes)`);
    expect(text).toContain('…(500 bytes)');
  });

  it('leaves short values and non-payload fields as they are', () => {
    expect(boundText('DevEUI 0004A30B001C0530')).toBe('DevEUI 0004A30B001C0530');
    expect(boundPayloads({ thing_name: 'x'.repeat(100), frm_payload: 'AQID' })).toEqual({
      thing_name: 'x'.repeat(100),
      frm_payload: 'AQID',
    });
    expect(boundPayloads({ bytes: new Uint8Array(40) })).toEqual({
      bytes: `${'00'.repeat(32)}…(40 bytes)`,
    });
  });
});
