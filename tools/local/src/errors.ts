import { CodedError } from '@tts-aws-iot/errors';

/**
 * Errors of the local stack. Every error has a stable snake_case `code`; messages say what
 * was wrong, where, and what to do. None of them ever carries key material.
 */
export class LocalStackError extends CodedError {
  override readonly name: string = 'LocalStackError';
}

/**
 * An error the AWS-compatible API answers with: the AWS error code (`ResourceNotFoundException`)
 * and HTTP status that the real service uses, so the SDK clients raise the same exception classes.
 */
export class AwsServiceError extends LocalStackError {
  override readonly name = 'AwsServiceError';

  constructor(
    readonly awsCode: string,
    readonly status: number,
    message: string,
  ) {
    super('aws_service_error', message, { awsCode, status });
  }
}

/** A rule's SQL uses something outside the subset the local rules engine implements. */
export class RuleSyntaxError extends LocalStackError {
  override readonly name = 'RuleSyntaxError';

  constructor(message: string, sql: string, position: number) {
    super(
      'rule_syntax_error',
      `${message} at position ${position} of rule SQL ${JSON.stringify(sql)}.`,
      { sql, position },
    );
  }
}

/** A Lambda invocation failed: the handler threw, timed out, or its bundle could not load. */
export class LambdaInvocationError extends LocalStackError {
  override readonly name = 'LambdaInvocationError';

  constructor(
    readonly functionName: string,
    readonly errorType: string,
    message: string,
  ) {
    super('lambda_invocation_failed', `${functionName} failed: ${errorType}: ${message}`, {
      functionName,
      errorType,
    });
  }
}

/** A command-line flag or environment variable of `npm start` is wrong. */
export class OptionsError extends LocalStackError {
  override readonly name = 'OptionsError';

  constructor(problems: readonly string[]) {
    super(
      'invalid_options',
      `Invalid local stack options: ${problems.join('; ')}. Run \`npm start -- --help\` for the list.`,
      { problems },
    );
  }
}
