import { CodedError } from '@tts-aws-iot/errors';

import { FormatterError } from '../src';

describe('FormatterError', () => {
  it('is a CodedError with its own name, code and attributes', () => {
    const error = new FormatterError('formatter_input', 'Bad limits.', { field: 'timeoutMs' });
    expect(error).toBeInstanceOf(CodedError);
    expect(error).toMatchObject({
      name: 'FormatterError',
      code: 'formatter_input',
      message: 'Bad limits.',
      attributes: { field: 'timeoutMs' },
    });
  });

  it('is retryable only for the failures that depend on the machine', () => {
    expect(new FormatterError('formatter_timeout', 'Too slow.').retryable).toBe(true);
    expect(new FormatterError('formatter_sandbox', 'Trapped.').retryable).toBe(true);
    expect(new FormatterError('formatter_error', 'Threw.').retryable).toBe(false);
    expect(new FormatterError('formatter_input', 'Bad input.').retryable).toBe(false);
  });
});
