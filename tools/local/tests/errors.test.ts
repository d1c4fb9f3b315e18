import { CodedError } from '@tts-aws-iot/errors';

import { AwsServiceError, LocalStackError, OptionsError } from '../src/errors';

describe('LocalStackError', () => {
  it('is the CodedError of the local stack, keeping each error’s name, code and attributes', () => {
    const error = new AwsServiceError('ResourceNotFoundException', 404, 'No such thing.');
    expect(error).toBeInstanceOf(LocalStackError);
    expect(error).toBeInstanceOf(CodedError);
    expect(error).toMatchObject({
      name: 'AwsServiceError',
      code: 'aws_service_error',
      message: 'No such thing.',
      attributes: { awsCode: 'ResourceNotFoundException', status: 404 },
    });
    expect(new OptionsError(['--port is not a number'])).toBeInstanceOf(CodedError);
  });
});
