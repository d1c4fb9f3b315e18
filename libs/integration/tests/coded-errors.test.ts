import { CodedError } from '@tts-aws-iot/errors';
import { KeyEnvelopeError, KeyWrapError } from '@tts-aws-iot/keywrap';
import { LorawanError } from '@tts-aws-iot/lorawan';
import { TtsConnectionError, TtsError, TtsMessageError } from '@tts-aws-iot/tts';

import {
  ConfigurationError,
  InputError,
  IntegrationError,
  StackMismatchError,
  TransientError,
} from '../src/errors';

// Every library's base class, and errors below it, are CodedErrors that keep their own name,
// code, attributes and retryability: one base class for the workspace (docs/architecture.md,
// "Error policy"). libs/formatters (loaded lazily here), tools/local and packages/version-check
// check theirs in their own tests.
describe('the coded-error base class of every library', () => {
  const cases: readonly [string, CodedError, abstract new (...args: never[]) => CodedError][] = [
    ['LorawanError', new LorawanError('invalid_hex', 'Bad hex.', { offset: 3 }), LorawanError],
    ['KeyEnvelopeError', new KeyEnvelopeError('kek_label', 'is empty'), KeyWrapError],
    [
      'TtsMessageError',
      new TtsMessageError('invalid_field', 'Bad field.', { field: 'f' }),
      TtsError,
    ],
    ['StackMismatchError', new StackMismatchError('thing', 'other', 'Not ours.'), IntegrationError],
  ];

  it.each(cases)('%s is a CodedError through its library base', (name, error, base) => {
    expect(error).toBeInstanceOf(CodedError);
    expect(error).toBeInstanceOf(base);
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe(name);
    expect(typeof error.code).toBe('string');
  });

  it('keeps each error’s code, attributes and cause as the subclass sets them', () => {
    const cause = new Error('boom');
    const envelope = new KeyEnvelopeError('kek_label', 'is empty');
    expect(envelope.code).toBe('invalid_key_envelope');
    expect(envelope.attributes).toEqual({ field: 'kek_label' });
    expect(envelope.retryable).toBeUndefined();
    const transient = new TransientError('aws_throttled', 'Throttled.', { cause });
    expect(transient).toMatchObject({ code: 'aws_throttled', retryable: true, attributes: {} });
    expect(transient.cause).toBe(cause);
    expect(new StackMismatchError('thing', undefined, 'Not ours.').attributes).toEqual({
      thingName: 'thing',
      stackName: '(none)',
    });
  });

  it('keeps retryability where each library sets it', () => {
    expect(new InputError('bad', 'Bad.').retryable).toBe(false);
    expect(new ConfigurationError(['STACK_NAME is empty']).retryable).toBe(true);
    expect(new TtsConnectionError('tts_timeout', 'Timed out.').retryable).toBe(true);
    expect(new LorawanError('invalid_hex', 'Bad hex.', {}).retryable).toBeUndefined();
  });
});
