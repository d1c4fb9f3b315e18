import { IoTDataPlaneClient } from '@aws-sdk/client-iot-data-plane';
import type { Context } from 'aws-lambda';
import { createSocket, type Socket } from 'node:dgram';
import { once } from 'node:events';

import { createLambdaKit, lambdaHandler } from '../src';

// Counts the loads of the X-Ray SDK: loading it is what tracing costs even when it is off
// (module init, and an async hook on every await).
let mockXRayLoads = 0;
jest.mock('aws-xray-sdk-core', () => {
  mockXRayLoads += 1;
  return jest.requireActual('aws-xray-sdk-core');
});

const TRACE_ROOT = '1-5759e988-bd862e3fe1be46a994272793';
const TRACE_PARENT = '53995c3f42cd8ad8';

function lambdaContext(): Context {
  return {
    functionName: 'stack-HandleUplink-abc',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:stack-HandleUplink-abc',
    memoryLimitInMB: '256',
    awsRequestId: 'req-1',
    getRemainingTimeInMillis: () => 30_000,
  } as Context;
}

const saved = { ...process.env };
beforeEach(() => {
  process.env = { ...saved, POWERTOOLS_METRICS_DISABLED: 'true' };
  delete process.env['AWS_EXECUTION_ENV'];
  delete process.env['POWERTOOLS_TRACE_ENABLED'];
});
afterAll(() => {
  process.env = saved;
});

// These run first: once a test has loaded the X-Ray SDK, it stays loaded in this file.
describe('with tracing off', () => {
  it('outside Lambda, has no tracer and never loads the X-Ray SDK', () => {
    const kit = createLambdaKit({ functionName: 'HandleUplink' });
    expect(kit.tracer).toBeUndefined();
    expect(mockXRayLoads).toBe(0);
  });

  it('in Lambda with POWERTOOLS_TRACE_ENABLED=false, has no tracer and never loads the X-Ray SDK', async () => {
    process.env['AWS_EXECUTION_ENV'] = 'AWS_Lambda_nodejs24.x';
    process.env['POWERTOOLS_TRACE_ENABLED'] = ' False ';
    const kit = createLambdaKit({ functionName: 'HandleUplink' });
    expect(kit.tracer).toBeUndefined();
    const client = new IoTDataPlaneClient({ region: 'us-east-1' });
    expect(kit.captureAWSv3Client(client)).toBe(client);
    await expect(lambdaHandler(kit, async () => 'ok')({}, lambdaContext())).resolves.toBe('ok');
    expect(mockXRayLoads).toBe(0);
  });
});

describe('in Lambda with active tracing', () => {
  let daemon: Socket;
  beforeAll(async () => {
    daemon = createSocket('udp4');
    await new Promise<void>((bound) => daemon.bind(0, '127.0.0.1', bound));
  });
  afterAll(() => daemon.close());
  beforeEach(() => {
    // What Lambda sets for a function with active tracing; the X-Ray SDK reads them as it loads.
    process.env['AWS_EXECUTION_ENV'] = 'AWS_Lambda_nodejs24.x';
    process.env['LAMBDA_TASK_ROOT'] = __dirname;
    process.env['AWS_XRAY_DAEMON_ADDRESS'] = `127.0.0.1:${daemon.address().port}`;
    process.env['AWS_LAMBDA_INITIALIZATION_TYPE'] = 'on-demand';
    process.env['_HANDLER'] = 'index.handler';
    process.env['_X_AMZN_TRACE_ID'] = `Root=${TRACE_ROOT};Parent=${TRACE_PARENT};Sampled=1`;
  });

  it('records the invocation as a subsegment of the function with the ColdStart annotation', async () => {
    const kit = createLambdaKit({ functionName: 'HandleUplink' });
    expect(kit.tracer?.isTracingEnabled()).toBe(true);
    const sent = once(daemon, 'message') as Promise<[Buffer]>;

    await expect(lambdaHandler(kit, async () => 'ok')({}, lambdaContext())).resolves.toBe('ok');

    const [datagram] = await sent;
    const [header, document] = datagram.toString().split('\n');
    expect(JSON.parse(header ?? '')).toEqual({ format: 'json', version: 1 });
    expect(JSON.parse(document ?? '')).toMatchObject({
      type: 'subsegment',
      name: '## index.handler',
      trace_id: TRACE_ROOT,
      parent_id: TRACE_PARENT,
      annotations: { ColdStart: true, Service: 'tts-aws-iot' },
    });
    expect(mockXRayLoads).toBe(1);
  });

  it('records the calls of the SDK clients it is given', () => {
    const kit = createLambdaKit({ functionName: 'HandleUplink' });
    const client = new IoTDataPlaneClient({ region: 'us-east-1' });
    expect(client.middlewareStack.identify().join()).not.toContain('XRaySDKInstrumentation');
    expect(kit.captureAWSv3Client(client).middlewareStack.identify().join()).toContain(
      'XRaySDKInstrumentation',
    );
  });
});
