import { DownlinkRejectedError, InputError } from '../../src/errors';
import {
  downlinkCorrelationIDs,
  downlinkFailedAnswer,
  downlinkPush,
  ownDownlink,
  parseDownlinkRequest,
  requestedThingName,
} from '../../src/traffic/downlink-request';

const plain = { e2eEnabled: false };
const e2e = { e2eEnabled: true };

describe('parseDownlinkRequest', () => {
  it('reads a request with bytes and applies the defaults', () => {
    const request = parseDownlinkRequest({ thingName: '0004A30B001C0530', bytes: 'AQI=' }, e2e);
    expect(request).toEqual({
      thingName: '0004A30B001C0530',
      bytes: new Uint8Array([1, 2]),
      payload: undefined,
      fPort: 1,
      fPortSet: false,
      confirmed: false,
      highPriority: false,
      operation: 'push',
    });
  });

  it('reads a request with payload JSON and every option', () => {
    const request = parseDownlinkRequest(
      {
        thingName: 's1_dev-1',
        payload: { field1: 42 },
        fPort: 223,
        confirmed: true,
        highPriority: true,
      },
      plain,
    );
    expect(request).toMatchObject({
      payload: { field1: 42 },
      bytes: undefined,
      fPort: 223,
      confirmed: true,
      highPriority: true,
    });
  });

  it('takes 242 bytes, the most a downlink carries', () => {
    expect(
      parseDownlinkRequest({ thingName: 'T', bytes: Buffer.alloc(242).toString('base64') }, plain)
        .bytes,
    ).toHaveLength(242);
  });

  // Each refusal carries its own error name (what the application sees) and a sentence on what to fix.
  it.each<[string, unknown, { e2eEnabled: boolean }, string]>([
    ['text that is not JSON', '{"thingName":', plain, 'invalid_request'],
    ['an array', [], plain, 'invalid_request'],
    ['no thingName', { bytes: 'AQ==' }, plain, 'missing_thing_name'],
    ['a thingName with a slash', { thingName: 'a/b', bytes: 'AQ==' }, plain, 'invalid_thing_name'],
    ['a numeric thingName', { thingName: 42, bytes: 'AQ==' }, plain, 'invalid_thing_name'],
    ['neither bytes nor payload', { thingName: 'T' }, plain, 'missing_payload'],
    [
      'both bytes and payload',
      { thingName: 'T', bytes: 'AQ==', payload: {} },
      plain,
      'ambiguous_payload',
    ],
    ['bytes that are not base64', { thingName: 'T', bytes: 'AQ*=' }, plain, 'invalid_bytes'],
    ['bytes without padding', { thingName: 'T', bytes: 'AQI' }, plain, 'invalid_bytes'],
    // "AR==" decodes to the byte "AQ==" stands for: its spare bits would be dropped silently.
    ['bytes in non-canonical base64', { thingName: 'T', bytes: 'AR==' }, plain, 'invalid_bytes'],
    ['padding inside the bytes', { thingName: 'T', bytes: 'AQ==AQ==' }, plain, 'invalid_bytes'],
    ['bytes as an array', { thingName: 'T', bytes: [1, 2] }, plain, 'invalid_bytes'],
    [
      '243 bytes',
      { thingName: 'T', bytes: Buffer.alloc(243).toString('base64') },
      plain,
      'payload_too_large',
    ],
    ['payload as a string', { thingName: 'T', payload: 'hi' }, plain, 'invalid_payload'],
    [
      'payload with E2E',
      { thingName: 'T', payload: { a: 1 } },
      e2e,
      'payload_not_supported_with_e2e',
    ],
    ['fPort 0', { thingName: 'T', bytes: 'AQ==', fPort: 0 }, plain, 'invalid_f_port'],
    ['fPort 224', { thingName: 'T', bytes: 'AQ==', fPort: 224 }, plain, 'invalid_f_port'],
    ['fPort 1.5', { thingName: 'T', bytes: 'AQ==', fPort: 1.5 }, plain, 'invalid_f_port'],
    ['fPort as a string', { thingName: 'T', bytes: 'AQ==', fPort: '2' }, plain, 'invalid_f_port'],
    [
      'confirmed as a string',
      { thingName: 'T', bytes: 'AQ==', confirmed: 'yes' },
      plain,
      'invalid_confirmed',
    ],
    [
      'highPriority as a number',
      { thingName: 'T', bytes: 'AQ==', highPriority: 1 },
      plain,
      'invalid_high_priority',
    ],
  ])('refuses %s', (_label, input, options, code) => {
    let error: unknown;
    try {
      parseDownlinkRequest(input, options);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(DownlinkRejectedError);
    expect((error as DownlinkRejectedError).code).toBe(code);
    expect((error as DownlinkRejectedError).grpcCode).toBe(3);
    expect((error as Error).message).toMatch(/\. [A-Z].*\.$/);
  });

  // A request with several faults is refused for the first in the order it is checked: the
  // thing, which of bytes and payload it gives, then each field.
  it.each<[string, unknown, string]>([
    [
      'a bad thingName before a missing payload',
      { thingName: 'a b', fPort: 0 },
      'invalid_thing_name',
    ],
    ['a missing payload before a bad fPort', { thingName: 'T', fPort: 0 }, 'missing_payload'],
    [
      'both payloads before bad bytes',
      { thingName: 'T', bytes: 1, payload: 2 },
      'ambiguous_payload',
    ],
    ['bad bytes before a bad fPort', { thingName: 'T', bytes: 'AQ*=', fPort: 0 }, 'invalid_bytes'],
    [
      'fPort before confirmed',
      { thingName: 'T', bytes: 'AQ==', fPort: 0, confirmed: 1 },
      'invalid_f_port',
    ],
    [
      'highPriority before operation',
      { thingName: 'T', bytes: 'AQ==', highPriority: 1, operation: 'x' },
      'invalid_high_priority',
    ],
  ])('refuses %s', (_label, input, code) => {
    expect(() => parseDownlinkRequest(input, plain)).toThrow(expect.objectContaining({ code }));
  });

  it('names the thing and the value it refused, and the length of oversized bytes', () => {
    const refusal = (input: unknown): unknown => {
      try {
        return parseDownlinkRequest(input, plain);
      } catch (error) {
        return { ...(error as DownlinkRejectedError), message: (error as Error).message };
      }
    };
    expect(refusal({ thingName: 'T1', bytes: 'AQ==', confirmed: 'yes' })).toMatchObject({
      code: 'invalid_confirmed',
      message:
        'The downlink request for T1 has confirmed "yes". Use true or false (default false).',
      attributes: { thingName: 'T1' },
    });
    expect(refusal({ thingName: 'T1', bytes: Buffer.alloc(300).toString('base64') })).toMatchObject(
      {
        code: 'payload_too_large',
        attributes: { thingName: 'T1', length: 300 },
      },
    );
    expect(refusal({ thingName: 'T1', bytes: 'AR==' })).toMatchObject({
      code: 'invalid_bytes',
      message: expect.stringContaining('not canonical base64'),
    });
    expect(refusal({ bytes: 'AQ==' })).toMatchObject({
      code: 'missing_thing_name',
      attributes: {},
    });
  });

  it('finds the thing of a refused request, when it names a valid one', () => {
    expect(requestedThingName({ thingName: 'T1', fPort: 0 })).toBe('T1');
    expect(requestedThingName({ thingName: 'a b' })).toBeUndefined();
    expect(requestedThingName('x')).toBeUndefined();
  });
});

describe('downlink correlation', () => {
  it('recognises its own downlinks and their attempt among TTS’s correlation IDs', () => {
    const ids = ['as:downlink:01H', ...downlinkCorrelationIDs('abc-1', 2), 'ns:downlink:01J'];
    expect(ownDownlink(ids)).toEqual({ downlinkID: 'abc-1', attempt: 2 });
    expect(ownDownlink(['as:downlink:01H'])).toBeUndefined();
  });
});

describe('downlinkPush', () => {
  it('pushes bytes at normal priority without session fields when E2E is off', () => {
    expect(
      downlinkPush(
        { deviceID: 'dev-1', applicationID: 'app-1' },
        {
          fPort: 2,
          frmPayload: 'AQI=',
          confirmed: false,
          highPriority: false,
          correlationIDs: ['c'],
        },
      ),
    ).toEqual({
      end_device_ids: { device_id: 'dev-1', application_ids: { application_id: 'app-1' } },
      downlinks: [
        {
          f_port: 2,
          frm_payload: 'AQI=',
          confirmed: false,
          priority: 'NORMAL',
          correlation_ids: ['c'],
        },
      ],
    });
  });

  it('pushes the session key ID and counter with E2E, at high priority when asked', () => {
    const push = downlinkPush(
      { deviceID: 'dev-1', applicationID: 'app-1' },
      {
        fPort: 2,
        frmPayload: 'AQI=',
        confirmed: true,
        highPriority: true,
        correlationIDs: [],
        session: { sessionKeyID: 'AYpZ', fCnt: 7 },
      },
    );
    expect(push.downlinks[0]).toMatchObject({
      priority: 'HIGH',
      confirmed: true,
      session_key_id: 'AYpZ',
      f_cnt: 7,
    });
  });

  it('pushes payload JSON for the payload formatter', () => {
    const push = downlinkPush(
      { deviceID: 'd', applicationID: 'a' },
      {
        fPort: 1,
        decodedPayload: { x: 1 },
        confirmed: false,
        highPriority: false,
        correlationIDs: [],
      },
    );
    expect(push.downlinks[0]).toMatchObject({ decoded_payload: { x: 1 } });
    expect(push.downlinks[0]).not.toHaveProperty('frm_payload');
  });
});

describe('downlinkFailedAnswer', () => {
  it('answers in TTS’s downlink_failed shape with the error name and sentence', () => {
    const error = new DownlinkRejectedError(
      'invalid_f_port',
      'The downlink request has fPort 0. Use 1 to 223.',
      3,
    );
    expect(
      downlinkFailedAnswer(
        { thingName: 'T1', bytes: 'AQ==', fPort: 0, confirmed: true },
        error,
        ['tts-aws-iot:downlink:x'],
        { echoPayload: true },
      ),
    ).toEqual({
      thingName: 'T1',
      correlation_ids: ['tts-aws-iot:downlink:x'],
      downlink_failed: {
        downlink: {
          f_port: 0,
          frm_payload: 'AQ==',
          confirmed: true,
          correlation_ids: ['tts-aws-iot:downlink:x'],
        },
        error: {
          namespace: 'tts-aws-iot',
          name: 'invalid_f_port',
          message_format: 'The downlink request has fPort 0. Use 1 to 223.',
          code: 3,
        },
      },
    });
  });

  it('echoes no payload bytes unless told to (the shared failed topic), and never an oversized one', () => {
    const error = new DownlinkRejectedError('unknown_thing', 'No such thing.', 5);
    const request = { thingName: 'T1', bytes: 'AQ==', payload: { a: 1 }, fPort: 2 };
    const shared = downlinkFailedAnswer(request, error, ['c']);
    expect(shared.downlink_failed.downlink).toEqual({ f_port: 2, correlation_ids: ['c'] });
    expect(JSON.stringify(shared)).not.toContain('AQ==');
    const big = 'A'.repeat(1000);
    const own = downlinkFailedAnswer(
      { thingName: 'T1', bytes: big, payload: { x: 'y'.repeat(2000) } },
      error,
      ['c'],
      { echoPayload: true },
    );
    expect(JSON.stringify(own)).not.toContain('AAAAAAAA');
    expect(JSON.stringify(own)).not.toContain('yyyyyyyy');
  });

  it('accepts a request with fields it does not know and ignores them, as the documented integration does', () => {
    const request: Record<string, unknown> = { thingName: 'T1', bytes: 'AQ==', fport: 2 };
    for (let i = 0; i < 100; i++) request[`${'x'.repeat(500)}${i}`] = { nested: [i] };
    expect(parseDownlinkRequest(request, { e2eEnabled: true })).toEqual({
      thingName: 'T1',
      bytes: Uint8Array.of(1),
      payload: undefined,
      fPort: 1,
      fPortSet: false,
      confirmed: false,
      highPriority: false,
      operation: 'push',
    });
  });

  it('still refuses bad values of the fields it knows beside unknown ones', () => {
    expect(() =>
      parseDownlinkRequest({ thingName: 'T1', bytes: 'AQ==', fPort: 0, extra: true }, plain),
    ).toThrow(expect.objectContaining({ code: 'invalid_f_port' }));
  });

  it('uses failed precondition for other refusals and leaves out an unknown thing', () => {
    const answer = downlinkFailedAnswer('garbage', new InputError('no_session', 'No session.'), []);
    expect(answer).not.toHaveProperty('thingName');
    expect(answer.downlink_failed.error).toMatchObject({ name: 'no_session', code: 9 });
  });
});

describe('parseDownlinkRequest: operation and payload JSON with E2E', () => {
  it('takes operation replace, and push by default or by name', () => {
    const request = { thingName: 'T1', bytes: 'AQ==' };
    expect(parseDownlinkRequest(request, { e2eEnabled: true }).operation).toBe('push');
    expect(
      parseDownlinkRequest({ ...request, operation: 'push' }, { e2eEnabled: true }).operation,
    ).toBe('push');
    expect(
      parseDownlinkRequest({ ...request, operation: 'replace' }, { e2eEnabled: true }).operation,
    ).toBe('replace');
  });

  it('refuses another operation, naming both it takes', () => {
    expect(() =>
      parseDownlinkRequest(
        { thingName: 'T1', bytes: 'AQ==', operation: 'clear' },
        { e2eEnabled: false },
      ),
    ).toThrow(
      expect.objectContaining({
        code: 'invalid_operation',
        message: expect.stringContaining('"clear"'),
      }),
    );
  });

  it('takes payload JSON with E2E when the integration encodes it, and says whether fPort was set', () => {
    const request = parseDownlinkRequest(
      { thingName: 'T1', payload: { led: true } },
      { e2eEnabled: true, encodesPayload: true },
    );
    expect(request).toMatchObject({ payload: { led: true }, fPort: 1, fPortSet: false });
    expect(
      parseDownlinkRequest(
        { thingName: 'T1', payload: { led: true }, fPort: 9 },
        { e2eEnabled: true, encodesPayload: true },
      ),
    ).toMatchObject({ fPort: 9, fPortSet: true });
    expect(() =>
      parseDownlinkRequest({ thingName: 'T1', payload: { led: true } }, { e2eEnabled: true }),
    ).toThrow(expect.objectContaining({ code: 'payload_not_supported_with_e2e' }));
  });
});
