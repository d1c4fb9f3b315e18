import {
  ThrottlingException as IotThrottling,
  VersionConflictException,
} from '@aws-sdk/client-iot';
import {
  InternalFailureException,
  RequestEntityTooLargeException,
  ThrottlingException,
} from '@aws-sdk/client-iot-data-plane';
import { IntegrationError, TransientError } from '@tts-aws-iot/integration';

import { AwsDeploymentError, AwsRequestError, fromAwsError } from '../src';

const site = {
  service: 'IoT Data',
  action: 'UpdateThingShadow',
  resource: 'shadow lorawan of thing 0004A30B001C0530',
};

/** An SDK error of a class the client does not model: only the name and HTTP status are known. */
function unmodelled(name: string, status: number): Error {
  return Object.assign(new Error(`${name} happened`), {
    name,
    $fault: status >= 500 ? 'server' : 'client',
    $metadata: { httpStatusCode: status },
  });
}

function networkError(code: string): Error {
  return Object.assign(new Error(`connect ${code} 10.0.0.1:443`), { code });
}

describe('fromAwsError', () => {
  it.each([
    [
      'data-plane throttling (429)',
      new ThrottlingException({ message: 'Rate exceeded', $metadata: { httpStatusCode: 429 } }),
      'aws_throttled',
    ],
    [
      'control-plane throttling (HTTP 400)',
      new IotThrottling({ message: 'Rate exceeded', $metadata: { httpStatusCode: 400 } }),
      'aws_throttled',
    ],
    ['an unmodelled 429', unmodelled('SlowDown', 429), 'aws_throttled'],
    [
      'an internal failure (500)',
      new InternalFailureException({ message: 'oops', $metadata: { httpStatusCode: 500 } }),
      'aws_unavailable',
    ],
    ['an unmodelled 503', unmodelled('ServiceUnavailable', 503), 'aws_unavailable'],
    ['a refused connection', networkError('ECONNREFUSED'), 'aws_unavailable'],
    ['a reset connection', networkError('ECONNRESET'), 'aws_unavailable'],
    [
      'an SDK request timeout',
      Object.assign(new Error('timed out'), { name: 'TimeoutError' }),
      'aws_unavailable',
    ],
  ])('makes %s retryable', (_, error, code) => {
    const mapped = fromAwsError(error, site);
    expect(mapped).toBeInstanceOf(TransientError);
    expect(mapped).toMatchObject({ code, retryable: true, cause: error });
    expect(mapped.message).toContain(
      'IoT Data UpdateThingShadow for shadow lorawan of thing 0004A30B001C0530',
    );
  });

  it.each([
    ['an invalid request (400)', unmodelled('InvalidRequestException', 400), 'aws_invalid_request'],
    ['an unmodelled 400', unmodelled('BadThing', 400), 'aws_invalid_request'],
    [
      'a payload over the limit (413)',
      new RequestEntityTooLargeException({
        message: 'too big',
        $metadata: { httpStatusCode: 413 },
      }),
      'aws_payload_too_large',
    ],
    ['an unmodelled 413', unmodelled('Whatever', 413), 'aws_payload_too_large'],
    ['a missing resource (404)', unmodelled('ResourceNotFoundException', 404), 'aws_not_found'],
    [
      'any other 4xx',
      new VersionConflictException({ message: 'version', $metadata: { httpStatusCode: 409 } }),
      'aws_request_rejected',
    ],
  ])('makes %s non-retryable with a code that says why', (_, error, code) => {
    const mapped = fromAwsError(error, site);
    expect(mapped).toBeInstanceOf(AwsRequestError);
    expect(mapped).toMatchObject({
      code,
      retryable: false,
      cause: error,
      attributes: { action: 'UpdateThingShadow' },
    });
  });

  it.each([
    ['a denied call (403)', unmodelled('AccessDeniedException', 403)],
    ['expired credentials', unmodelled('ExpiredTokenException', 400)],
  ])('makes %s retryable: the role needs fixing, and the event must not be dropped', (_, error) => {
    const mapped = fromAwsError(error, site);
    expect(mapped).toBeInstanceOf(AwsDeploymentError);
    expect(mapped).toMatchObject({ code: 'aws_access_denied', retryable: true, cause: error });
    expect(mapped.message).toContain("Grant the function's role");
  });

  it('passes errors of the domain through unchanged', () => {
    const domain = new IntegrationError('thing_not_managed', 'not ours', false);
    expect(fromAwsError(domain, site)).toBe(domain);
  });

  it('treats a failure without any response as transient', () => {
    expect(fromAwsError(new Error('socket hang up'), site)).toMatchObject({
      code: 'aws_unavailable',
      retryable: true,
    });
  });

  it('keeps long SDK messages out of the message but in the cause', () => {
    const error = unmodelled('InvalidRequestException', 400);
    error.message = `<html>${'x'.repeat(5000)}</html>`;
    const mapped = fromAwsError(error, site);
    expect(mapped.message.length).toBeLessThan(600);
    expect((mapped.cause as Error).message).toHaveLength(5013);
  });
});
