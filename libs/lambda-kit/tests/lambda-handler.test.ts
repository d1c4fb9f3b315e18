import type { Context } from 'aws-lambda';

import { createLambdaKit, lambdaHandler, ttsLogKeys } from '../src';

// Powertools dev mode writes to the global console (so the test can read every line);
// metrics stay on so the EMF output is visible; tracing is off as outside Lambda.
process.env['POWERTOOLS_DEV'] = 'true';
process.env['POWERTOOLS_METRICS_DISABLED'] = 'false';
process.env['POWERTOOLS_TRACE_ENABLED'] = 'false';
// Lambda sets this; Powertools only reports cold starts of on-demand environments.
process.env['AWS_LAMBDA_INITIALIZATION_TYPE'] = 'on-demand';

function lambdaContext(requestID = 'req-1'): Context {
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: 'stack-HandleUplink-abc',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:stack-HandleUplink-abc',
    memoryLimitInMB: '256',
    awsRequestId: requestID,
    logGroupName: '/aws/lambda/stack-HandleUplink-abc',
    logStreamName: 'stream',
    getRemainingTimeInMillis: () => 30_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/** Every JSON line the kit writes (logs and EMF metrics), parsed. */
function captureOutput(): { lines: () => Record<string, unknown>[]; restore: () => void } {
  const written: string[] = [];
  const spies = (['log', 'info', 'warn', 'error', 'debug'] as const).map((method) =>
    jest.spyOn(console, method).mockImplementation((...args: unknown[]) => {
      written.push(args.map(String).join(' '));
    }),
  );
  return {
    lines: () => written.map((line) => JSON.parse(line) as Record<string, unknown>),
    restore: () => spies.forEach((spy) => spy.mockRestore()),
  };
}

const uplink = {
  end_device_ids: {
    device_id: 'eui-0004a30b001c0530',
    dev_eui: '0004A30B001C0530',
    application_ids: { application_id: 'app' },
  },
  correlation_ids: ['as:up:01H', 'gs:uplink:01H'],
  uplink_message: {
    frm_payload: 'AQID',
    app_s_key: { encrypted_key: 'c2VjcmV0IHdyYXBwZWQga2V5IQ==', kek_label: 'k1' },
  },
};

class RejectedInput extends Error {
  readonly code = 'invalid_downlink_request';
  readonly retryable = false;
  readonly attributes = { field: 'fPort' };
}

class Throttled extends Error {
  readonly code = 'aws_throttled';
  readonly retryable = true;
}

describe('lambdaHandler', () => {
  let output: ReturnType<typeof captureOutput>;
  beforeEach(() => {
    output = captureOutput();
  });
  afterEach(() => output.restore());

  it('returns the logic result and tags its log lines with the function, Lambda context and TTS identifiers', async () => {
    const kit = createLambdaKit({ functionName: 'HandleUplink' });
    const handler = lambdaHandler(kit, async (event: typeof uplink) => {
      kit.logger.info('handled');
      return event.end_device_ids.device_id;
    });

    await expect(handler(uplink, lambdaContext())).resolves.toBe('eui-0004a30b001c0530');

    const line = output.lines().find((entry) => entry['message'] === 'handled');
    expect(line).toMatchObject({
      function: 'HandleUplink',
      function_request_id: 'req-1',
      correlation_ids: ['as:up:01H', 'gs:uplink:01H'],
      dev_eui: '0004A30B001C0530',
      device_id: 'eui-0004a30b001c0530',
    });
  });

  it('never writes the event payload, so wrapped keys stay out of the logs', async () => {
    const kit = createLambdaKit({ functionName: 'HandleUplink' });
    const handler = lambdaHandler(kit, async () => {
      kit.logger.info('handled');
    });
    await handler(uplink, lambdaContext());
    const everything = JSON.stringify(output.lines());
    expect(everything).not.toContain('c2VjcmV0IHdyYXBwZWQga2V5IQ==');
    expect(everything).not.toContain('AQID');
  });

  it('drops the invocation keys when the invocation ends', async () => {
    const kit = createLambdaKit({ functionName: 'HandleUplink' });
    const handler = lambdaHandler(kit, async (event: unknown) => {
      kit.logger.info('handled', { marker: event === uplink ? 'first' : 'second' });
    });
    await handler(uplink, lambdaContext('req-1'));
    await handler({}, lambdaContext('req-2'));
    const second = output.lines().find((entry) => entry['marker'] === 'second');
    expect(second).toBeDefined();
    expect(second).not.toHaveProperty('dev_eui');
    expect(second).not.toHaveProperty('correlation_ids');
    expect(second).toMatchObject({ function_request_id: 'req-2' });
  });

  it('swallows a non-retryable error: warns with its code and counts Rejected', async () => {
    const kit = createLambdaKit({ functionName: 'HandleDownlink', metricsNamespace: 'Test' });
    const handler = lambdaHandler(kit, async () => {
      throw new RejectedInput('fPort 0 is out of range 1..223.');
    });

    await expect(handler(uplink, lambdaContext())).resolves.toBeNull();

    const lines = output.lines();
    expect(lines.find((entry) => entry['level'] === 'WARN')).toMatchObject({
      error_code: 'invalid_downlink_request',
      reason: 'fPort 0 is out of range 1..223.',
      error_attributes: { field: 'fPort' },
      dev_eui: '0004A30B001C0530',
    });
    expect(lines.some((entry) => entry['level'] === 'ERROR')).toBe(false);
    const emf = lines.find((entry) => 'Rejected' in entry);
    expect(emf).toMatchObject({ Rejected: 1, service: 'tts-aws-iot' });
    expect(JSON.stringify(emf)).toContain('"Namespace":"Test"');
  });

  it('rethrows a retryable error so that Lambda retries, and logs it as an error', async () => {
    const kit = createLambdaKit({ functionName: 'HandleUplink' });
    const failure = new Throttled('IoT UpdateThingShadow was throttled.');
    const handler = lambdaHandler(kit, async () => {
      throw failure;
    });

    await expect(handler(uplink, lambdaContext())).rejects.toBe(failure);

    const lines = output.lines();
    expect(lines.find((entry) => entry['level'] === 'ERROR')).toMatchObject({
      message: 'Failed: the event is retried',
      error: { message: 'IoT UpdateThingShadow was throttled.' },
      correlation_ids: ['as:up:01H', 'gs:uplink:01H'],
    });
    expect(lines.some((entry) => 'Rejected' in entry)).toBe(false);
  });

  it('rethrows errors without the IntegrationError shape', async () => {
    const kit = createLambdaKit({ functionName: 'HandleUplink' });
    const handler = lambdaHandler(kit, async () => {
      throw new TypeError('bug');
    });
    await expect(handler({}, lambdaContext())).rejects.toThrow('bug');
  });

  it('emits the ColdStart metric on the first invocation only', async () => {
    const kit = createLambdaKit({ functionName: 'HandleUplink' });
    const handler = lambdaHandler(kit, async () => undefined);
    await handler({}, lambdaContext('req-1'));
    await handler({}, lambdaContext('req-2'));
    const coldStarts = output.lines().filter((entry) => 'ColdStart' in entry);
    expect(coldStarts).toHaveLength(1);
    expect(coldStarts[0]).toMatchObject({ ColdStart: 1, function_name: 'HandleUplink' });
  });

  it('flushes the counters the logic adds at the end of the invocation', async () => {
    const kit = createLambdaKit({ functionName: 'HandleUplink' });
    const handler = lambdaHandler(kit, async () => {
      kit.counters.count('Uplinks');
      kit.counters.count('Uplinks');
      kit.counters.count('Gateways', 3);
    });
    await handler({}, lambdaContext());
    // EMF lists each value of a repeated metric; CloudWatch's Sum statistic adds them up.
    expect(output.lines().find((entry) => 'Uplinks' in entry)).toMatchObject({
      Uplinks: [1, 1],
      Gateways: 3,
    });
  });

  it('hands SDK clients back unchanged when tracing is off', () => {
    const kit = createLambdaKit({ functionName: 'HandleUplink' });
    const client = { send: async () => 'sent', middlewareStack: { add: () => undefined } };
    expect(kit.captureAWSv3Client(client)).toBe(client);
  });
});

describe('ttsLogKeys', () => {
  it('picks correlation ids, device identifiers and the thing name only', () => {
    expect(ttsLogKeys({ ...uplink, thingName: '0004A30B001C0530' })).toEqual({
      correlation_ids: ['as:up:01H', 'gs:uplink:01H'],
      dev_eui: '0004A30B001C0530',
      device_id: 'eui-0004a30b001c0530',
      thing_name: '0004A30B001C0530',
    });
  });

  it('ignores fields of the wrong type and events that are not objects', () => {
    expect(
      ttsLogKeys({ correlation_ids: 'x', end_device_ids: { dev_eui: 42 }, thingName: {} }),
    ).toEqual({});
    expect(ttsLogKeys(null)).toEqual({});
    expect(ttsLogKeys(['a'])).toEqual({});
    expect(ttsLogKeys({ correlation_ids: [1, 'as:up:1'] })).toEqual({
      correlation_ids: ['as:up:1'],
    });
  });

  it('never logs the event, even when POWERTOOLS_LOGGER_LOG_EVENT asks for it', async () => {
    process.env['POWERTOOLS_LOGGER_LOG_EVENT'] = 'true';
    const output = captureOutput();
    try {
      const kit = createLambdaKit({ functionName: 'CreateThing' });
      const handler = lambdaHandler(kit, async () => 'done');
      const event = {
        thingName: '0004A30B001C0530',
        attributes: { appKey: '2B7E151628AED2A6ABF7158809CF4F3C' },
      };
      await handler(event, lambdaContext());
      const logged = JSON.stringify(output.lines());
      expect(logged).toContain('CreateThing');
      expect(logged).not.toContain('2B7E151628AED2A6ABF7158809CF4F3C');
    } finally {
      output.restore();
      delete process.env['POWERTOOLS_LOGGER_LOG_EVENT'];
    }
  });
});
