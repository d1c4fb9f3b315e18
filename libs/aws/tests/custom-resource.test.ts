import { IntegrationError } from '@tts-aws-iot/integration';
import fc from 'fast-check';

import {
  CloudFormationResponseError,
  customResourceHandler,
  FAILED_CREATE_PREFIX,
  MAX_RESPONSE_BYTES,
  respondToCloudFormation,
  type CustomResourceEvent,
} from '../src';
import { responseBody } from '../src/custom-resource';
import { startCloudFormationReceiver } from '@tts-aws-iot/test-kit';

type Receiver = Awaited<ReturnType<typeof startCloudFormationReceiver>>;

function event(
  receiver: Receiver,
  overrides: Partial<CustomResourceEvent> = {},
): CustomResourceEvent {
  return {
    RequestType: 'Create',
    ServiceToken: 'arn:aws:lambda:us-east-1:123456789012:function:CreateThingType',
    ResponseURL: receiver.url('/cfn-response?X-Amz-Signature=abc'),
    StackId:
      'arn:aws:cloudformation:us-east-1:123456789012:stack/tts/6c1f4c20-0000-11ef-8000-0a1b2c3d4e5f',
    RequestId: 'b4b5c6d7-1111-2222-3333-444455556666',
    LogicalResourceId: 'ThingType',
    ResourceType: 'Custom::ThingType',
    ResourceProperties: {
      ServiceToken: 'arn:aws:lambda:us-east-1:123456789012:function:CreateThingType',
      ThingTypeName: 'lorawan',
    },
    ...overrides,
  } as CustomResourceEvent;
}

const fast = { retryDelayMs: 1 };

describe('respondToCloudFormation', () => {
  let receiver: Receiver;
  afterEach(() => receiver.close());

  it('PUTs the response as JSON with an empty content-type', async () => {
    receiver = await startCloudFormationReceiver();
    await respondToCloudFormation(event(receiver), {
      status: 'SUCCESS',
      physicalResourceId: 'lorawan',
      data: { EndpointAddress: 'x-ats.iot' },
    });

    expect(receiver.received).toHaveLength(1);
    const [response] = receiver.received;
    expect(response!.method).toBe('PUT');
    expect(response!.path).toBe('/cfn-response?X-Amz-Signature=abc');
    expect(response!.headers['content-type']).toBe('');
    expect(response!.json).toEqual({
      Status: 'SUCCESS',
      PhysicalResourceId: 'lorawan',
      StackId:
        'arn:aws:cloudformation:us-east-1:123456789012:stack/tts/6c1f4c20-0000-11ef-8000-0a1b2c3d4e5f',
      RequestId: 'b4b5c6d7-1111-2222-3333-444455556666',
      LogicalResourceId: 'ThingType',
      Data: { EndpointAddress: 'x-ats.iot' },
    });
  });

  it('marks NoEcho responses and always gives FAILED a reason', async () => {
    receiver = await startCloudFormationReceiver();
    await respondToCloudFormation(event(receiver), {
      status: 'FAILED',
      physicalResourceId: 'p',
      noEcho: true,
    });
    expect(receiver.received[0]!.json).toMatchObject({
      Status: 'FAILED',
      NoEcho: true,
      Reason: expect.any(String),
    });
  });

  it('shortens a long reason to fit 4096 bytes, keeping its start', async () => {
    receiver = await startCloudFormationReceiver();
    const reason = `TTS rejected the API key: ${'é'.repeat(5000)}`;
    await respondToCloudFormation(event(receiver), {
      status: 'FAILED',
      physicalResourceId: 'p',
      reason,
      data: { A: 'b' },
    });
    const [response] = receiver.received;
    expect(Buffer.byteLength(response!.body)).toBeLessThanOrEqual(MAX_RESPONSE_BYTES);
    expect(Buffer.byteLength(response!.body)).toBeGreaterThan(MAX_RESPONSE_BYTES - 20);
    expect(response!.json['Reason']).toMatch(/^TTS rejected the API key: é+ …\(truncated\)$/);
    expect(response!.json['Data']).toEqual({ A: 'b' });
  });

  it('drops Data that does not fit, and says so in the reason', async () => {
    receiver = await startCloudFormationReceiver();
    await respondToCloudFormation(event(receiver), {
      status: 'SUCCESS',
      physicalResourceId: 'p',
      data: { Big: 'x'.repeat(5000) },
    });
    const [response] = receiver.received;
    expect(Buffer.byteLength(response!.body)).toBeLessThanOrEqual(MAX_RESPONSE_BYTES);
    expect(response!.json).toMatchObject({
      Status: 'SUCCESS',
      Reason: 'Data omitted: the response exceeded 4096 bytes.',
    });
    expect(response!.json).not.toHaveProperty('Data');
  });

  it('retries 5xx answers until one succeeds', async () => {
    receiver = await startCloudFormationReceiver([500, 503]);
    await respondToCloudFormation(
      event(receiver),
      { status: 'SUCCESS', physicalResourceId: 'p' },
      fast,
    );
    expect(receiver.received).toHaveLength(3);
  });

  it('gives up on a 4xx answer at once with a retryable error', async () => {
    receiver = await startCloudFormationReceiver([403, 403]);
    const sending = respondToCloudFormation(
      event(receiver),
      { status: 'SUCCESS', physicalResourceId: 'p' },
      fast,
    );
    await expect(sending).rejects.toBeInstanceOf(CloudFormationResponseError);
    await expect(sending).rejects.toMatchObject({
      retryable: true,
      message: expect.stringContaining('HTTP 403'),
    });
    expect(receiver.received).toHaveLength(1);
  });

  it('retries network errors, then fails with a retryable error', async () => {
    receiver = await startCloudFormationReceiver();
    const unreachable = {
      ...event(receiver),
      ResponseURL: 'http://127.0.0.1:1/unreachable',
    } as CustomResourceEvent;
    let calls = 0;
    const counting: typeof fetch = (input, init) => {
      calls++;
      return fetch(input, init);
    };
    await expect(
      respondToCloudFormation(
        unreachable,
        { status: 'SUCCESS', physicalResourceId: 'p' },
        { ...fast, attempts: 3, fetch: counting },
      ),
    ).rejects.toMatchObject({ code: 'cloudformation_response_failed', retryable: true });
    expect(calls).toBe(3);
  });

  it('abandons an attempt that gets no answer and retries it', async () => {
    receiver = await startCloudFormationReceiver();
    const signals: (AbortSignal | null | undefined)[] = [];
    // The first PUT hangs (a connection that never answers), ignoring its signal.
    const hangingOnce: typeof fetch = (input, init) => {
      signals.push(init?.signal);
      return signals.length === 1 ? new Promise<Response>(() => undefined) : fetch(input, init);
    };
    await respondToCloudFormation(
      event(receiver),
      { status: 'SUCCESS', physicalResourceId: 'p' },
      { ...fast, attemptTimeoutMs: 50, fetch: hangingOnce },
    );
    expect(signals).toHaveLength(2);
    expect(signals.every((signal) => signal instanceof AbortSignal)).toBe(true);
    expect(receiver.received).toHaveLength(1);
  });

  it('fails retryably when no attempt is answered', async () => {
    receiver = await startCloudFormationReceiver();
    const hanging: typeof fetch = () => new Promise<Response>(() => undefined);
    await expect(
      respondToCloudFormation(
        event(receiver),
        { status: 'SUCCESS', physicalResourceId: 'p' },
        { ...fast, attempts: 2, attemptTimeoutMs: 20, fetch: hanging },
      ),
    ).rejects.toMatchObject({
      code: 'cloudformation_response_failed',
      retryable: true,
      message: expect.stringContaining('no answer within 20 ms'),
    });
  });
});

describe('customResourceHandler', () => {
  let receiver: Receiver;
  beforeEach(async () => {
    receiver = await startCloudFormationReceiver();
  });
  afterEach(() => receiver.close());

  it('answers SUCCESS with the outcome of the logic', async () => {
    const handler = customResourceHandler(
      async () => ({ physicalResourceId: 'lorawan', data: { EndpointAddress: 'e' } }),
      { respond: fast },
    );
    await handler(event(receiver));
    expect(receiver.received[0]!.json).toMatchObject({
      Status: 'SUCCESS',
      PhysicalResourceId: 'lorawan',
      Data: { EndpointAddress: 'e' },
    });
  });

  it('answers FAILED with the error message and code when the logic throws', async () => {
    const handler = customResourceHandler(
      async () => {
        throw new IntegrationError(
          'invalid_thing_type_name',
          'ThingTypeName "a b" is invalid: use letters, digits, ":", "_" and "-".',
          false,
        );
      },
      { respond: fast },
    );
    await handler(event(receiver), { logStreamName: '2026/01/01/[$LATEST]abc' });
    expect(receiver.received[0]!.json).toMatchObject({
      Status: 'FAILED',
      PhysicalResourceId: `${FAILED_CREATE_PREFIX}b4b5c6d7-1111-2222-3333-444455556666`,
      Reason:
        'ThingTypeName "a b" is invalid: use letters, digits, ":", "_" and "-". (invalid_thing_type_name) See CloudWatch log stream 2026/01/01/[$LATEST]abc.',
    });
  });

  it('keeps the current PhysicalResourceId when an Update fails', async () => {
    const handler = customResourceHandler(
      async () => {
        throw new Error('boom');
      },
      { respond: fast },
    );
    await handler(
      event(receiver, {
        RequestType: 'Update',
        PhysicalResourceId: 'lorawan',
        OldResourceProperties: {},
      } as Partial<CustomResourceEvent>),
    );
    expect(receiver.received[0]!.json).toMatchObject({
      Status: 'FAILED',
      PhysicalResourceId: 'lorawan',
      Reason: 'boom',
    });
  });

  it('answers the Delete after a failed Create with SUCCESS without running the logic', async () => {
    const logic = jest.fn(async () => ({ physicalResourceId: 'never' }));
    const handler = customResourceHandler(logic, { respond: fast });
    const physicalResourceId = `${FAILED_CREATE_PREFIX}b4b5c6d7-1111-2222-3333-444455556666`;
    await handler(
      event(receiver, {
        RequestType: 'Delete',
        PhysicalResourceId: physicalResourceId,
      } as Partial<CustomResourceEvent>),
    );
    expect(logic).not.toHaveBeenCalled();
    expect(receiver.received[0]!.json).toMatchObject({
      Status: 'SUCCESS',
      PhysicalResourceId: physicalResourceId,
    });
  });

  it('masks anything shaped like key material in the reason', async () => {
    const handler = customResourceHandler(
      async () => {
        throw new Error(
          'TTS said: key 2B7E151628AED2A6ABF7158809CF4F3C, api key NNSXS.ABCDEFGHIJKLMNOP.QRSTUVWXYZ234567, blob K3dlH0hq6jtxAXlbLCszzw== rejected',
        );
      },
      { respond: fast },
    );
    await handler(event(receiver));
    const reason = receiver.received[0]!.json['Reason'] as string;
    expect(reason).toBe('TTS said: key [redacted], api key [redacted], blob [redacted] rejected');
  });

  it('answers FAILED before the Lambda time limit when the logic hangs', async () => {
    const handler = customResourceHandler(() => new Promise(() => undefined), {
      respond: fast,
      timeoutMarginMs: 1_000,
    });
    await handler(event(receiver), { getRemainingTimeInMillis: () => 1_050 });
    expect(receiver.received[0]!.json).toMatchObject({
      Status: 'FAILED',
      Reason: expect.stringContaining("did not finish within the function's time limit"),
    });
  });

  it('logs the outcome without the event properties', async () => {
    const log = { info: jest.fn(), error: jest.fn() };
    const failing = customResourceHandler(
      async () => {
        throw new Error('boom');
      },
      { respond: fast, log },
    );
    await failing(event(receiver));
    expect(log.error).toHaveBeenCalledWith('Custom resource request failed.', {
      logical_resource_id: 'ThingType',
      request_type: 'Create',
      resource_type: 'Custom::ThingType',
      error: expect.any(Error),
    });
  });

  it('throws when CloudFormation cannot be reached, so that Lambda invokes it again', async () => {
    const handler = customResourceHandler(async () => ({ physicalResourceId: 'p' }), {
      respond: { ...fast, attempts: 2 },
    });
    const unreachable = {
      ...event(receiver),
      ResponseURL: 'http://127.0.0.1:1/x',
    } as CustomResourceEvent;
    await expect(handler(unreachable)).rejects.toBeInstanceOf(CloudFormationResponseError);
  });
});

describe('responseBody', () => {
  it('never exceeds 4096 bytes and keeps the identifiers, whatever the reason and data', () => {
    const base = {
      RequestType: 'Create',
      ResponseURL: 'http://127.0.0.1/x',
      StackId:
        'arn:aws:cloudformation:us-east-1:123456789012:stack/tts/6c1f4c20-0000-11ef-8000-0a1b2c3d4e5f',
      RequestId: 'b4b5c6d7-1111-2222-3333-444455556666',
      LogicalResourceId: 'ThingType',
    } as CustomResourceEvent;
    fc.assert(
      fc.property(
        fc.option(fc.string({ unit: 'binary', maxLength: 6000 }), { nil: undefined }),
        fc.option(
          fc.dictionary(
            fc.string({ maxLength: 20 }),
            fc.string({ unit: 'grapheme', maxLength: 3000 }),
            { maxKeys: 4 },
          ),
          { nil: undefined },
        ),
        fc.constantFrom('SUCCESS' as const, 'FAILED' as const),
        (reason, data, status) => {
          const body = responseBody(base, { status, physicalResourceId: 'lorawan', reason, data });
          expect(Buffer.byteLength(body)).toBeLessThanOrEqual(MAX_RESPONSE_BYTES);
          const parsed = JSON.parse(body) as Record<string, unknown>;
          expect(parsed).toMatchObject({
            Status: status,
            PhysicalResourceId: 'lorawan',
            RequestId: base.RequestId,
          });
          if (status === 'FAILED') expect(parsed['Reason']).toEqual(expect.any(String));
        },
      ),
      { numRuns: 100 },
    );
  });
});
