import { CodedError } from '../src';

class ExampleError extends CodedError<'example_failed' | 'other'> {
  override readonly name: string = 'ExampleError';
}

class AlwaysRetryableError extends CodedError {
  override readonly retryable = true;
}

describe('CodedError', () => {
  it('carries the code, message, attributes and cause it was given', () => {
    const cause = new Error('socket hang up');
    const error = new CodedError(
      'request_failed',
      'The request failed.',
      { field: 'x' },
      { cause },
    );
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('CodedError');
    expect(error.code).toBe('request_failed');
    expect(error.message).toBe('The request failed.');
    expect(error.attributes).toEqual({ field: 'x' });
    expect(error.cause).toBe(cause);
  });

  it('has empty attributes, no cause and no retryable by default', () => {
    const error = new CodedError('bad', 'Bad.');
    expect(error.attributes).toEqual({});
    expect('cause' in error).toBe(false);
    expect(error.retryable).toBeUndefined();
    expect(Object.keys(error)).not.toContain('retryable');
  });

  it('says whether retrying can help when told, as an enumerable field', () => {
    expect(new CodedError('busy', 'Busy.', {}, { retryable: true }).retryable).toBe(true);
    const refused = new CodedError('refused', 'Refused.', {}, { retryable: false });
    expect(refused.retryable).toBe(false);
    expect(Object.keys(refused)).toContain('retryable');
  });

  it('lets a subclass set its name and narrow its codes', () => {
    const error = new ExampleError('example_failed', 'It failed.');
    expect(error).toBeInstanceOf(CodedError);
    expect(error).toBeInstanceOf(ExampleError);
    expect(error.name).toBe('ExampleError');
    expect(String(error)).toBe('ExampleError: It failed.');
  });

  it('leaves retryable to a subclass field when not given', () => {
    const error = new AlwaysRetryableError('timeout', 'Timed out.');
    expect(error.retryable).toBe(true);
    expect(error).toBeInstanceOf(CodedError);
  });
});
