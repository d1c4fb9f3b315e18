import { randomBytes, randomUUID } from 'node:crypto';
import * as v from 'valibot';
import { objectOf } from '@tts-aws-iot/input';
import { AwsServiceError } from '../errors';
import { restoreEntries } from '../state';
import {
  bodyOf,
  invalidRequest,
  epochSeconds,
  optionalString,
  pageOf,
  readJsonBody,
  type ApiRequest,
  type ApiResponse,
} from './http';

interface SecretVersion {
  readonly versionId: string;
  readonly secretString: string | undefined;
  readonly secretBinary: string | undefined;
  readonly createdDate: Date;
}

interface LocalSecret {
  readonly name: string;
  readonly arn: string;
  readonly description: string | undefined;
  readonly createdDate: Date;
  lastChangedDate: Date;
  /** Newest last; the last one is AWSCURRENT and the one before AWSPREVIOUS. */
  readonly versions: SecretVersion[];
}

export interface SecretsManagerOptions {
  readonly accountId: string;
  readonly region: string;
}

const SECRET_NAME = /^[a-zA-Z0-9/_+=.@-]{1,512}$/;
const LIST_LIMITS = { sizeParam: 'MaxResults', defaultSize: 100, max: 100 };
const FILTER_KEYS = ['name', 'description', 'all'] as const;

type Json = Record<string, unknown>;

// The request bodies (awsJson 1.1). The messages say what a field must be (http.ts).
const secretId = v.string('a secret name or ARN');
const secretValue = { SecretString: optionalString, SecretBinary: optionalString };
const CREATE_SECRET = bodyOf({
  Name: v.pipe(
    v.string('a string'),
    v.regex(SECRET_NAME, 'a secret name of 1-512 of a-z A-Z 0-9 / _ + = . @ -'),
  ),
  Description: optionalString,
  ...secretValue,
});
const PUT_SECRET_VALUE = bodyOf({ SecretId: secretId, ...secretValue });
const GET_SECRET_VALUE = bodyOf({
  SecretId: secretId,
  VersionId: optionalString,
  VersionStage: optionalString,
});
const DESCRIBE_SECRET = bodyOf({ SecretId: secretId });
const filter = objectOf(
  {
    Key: v.picklist(
      FILTER_KEYS,
      `one of ${FILTER_KEYS.join(', ')} (this local API filters by these only)`,
    ),
    Values: v.array(v.string('a string'), 'a list of strings'),
  },
  `{"Key": one of ${FILTER_KEYS.join(', ')}, "Values": [strings]}`,
);
/** `MaxResults` and `NextToken` are read as the REST list operations read them (pageOf). */
const LIST_SECRETS = bodyOf({
  Filters: v.nullish(v.array(filter, 'a list of {Key, Values}'), () => []),
  MaxResults: v.optional(v.unknown()),
  NextToken: v.optional(v.unknown()),
});

type Filter = v.InferOutput<typeof filter>;

/**
 * The Secrets Manager subset the integration and the local stack use (awsJson 1.1,
 * `X-Amz-Target: secretsmanager.<Operation>`): CreateSecret, PutSecretValue, GetSecretValue,
 * DescribeSecret. It counts reads per secret so tests can check that Lambdas cache them.
 */
export class SecretsManager {
  private readonly secrets = new Map<string, LocalSecret>();
  private readonly reads = new Map<string, number>();

  constructor(private readonly options: SecretsManagerOptions) {}

  /** How many GetSecretValue calls each secret (by name) has answered. */
  get readCounts(): ReadonlyMap<string, number> {
    return this.reads;
  }

  /** Creates or replaces a secret's value directly (the local stack's own setup). */
  putSecretString(name: string, value: string): void {
    const secret = this.secrets.get(name);
    if (secret) this.addVersion(secret, value, undefined);
    else this.create(name, undefined, value, undefined);
  }

  /** A secret's current SecretString (the local stack's own setup), without counting a read. */
  currentSecretString(name: string): string | undefined {
    return this.secrets.get(name)?.versions.at(-1)?.secretString;
  }

  /** Every secret with its versions, for the local stack's data directory (src/state.ts). */
  snapshot(): unknown {
    return { secrets: [...this.secrets] };
  }

  /** Replaces the secrets with a {@link snapshot}'s. */
  restore(snapshot: unknown): void {
    restoreEntries(this.secrets, (snapshot as { secrets: [string, LocalSecret][] }).secrets);
  }

  /** The operations served, by the name X-Amz-Target gives (`secretsmanager.<Operation>`). */
  get operations(): readonly string[] {
    return Object.keys(this.handlers);
  }

  /** Handles one awsJson 1.1 request; `operation` comes from the X-Amz-Target header. */
  handle(operation: string, request: ApiRequest): ApiResponse {
    const handler = Object.hasOwn(this.handlers, operation) ? this.handlers[operation] : undefined;
    if (!handler)
      throw new AwsServiceError(
        'UnknownOperationException',
        400,
        `The local AWS API does not implement secretsmanager ${operation}; it serves ${this.operations.join(', ')}.`,
      );
    return handler(request);
  }

  private readonly handlers: Readonly<Record<string, (request: ApiRequest) => ApiResponse>> = {
    CreateSecret: (request) => this.createSecret(readJsonBody(request, CREATE_SECRET)),
    PutSecretValue: (request) => this.putSecretValue(readJsonBody(request, PUT_SECRET_VALUE)),
    GetSecretValue: (request) => this.getSecretValue(readJsonBody(request, GET_SECRET_VALUE)),
    DescribeSecret: (request) => this.describeSecret(readJsonBody(request, DESCRIBE_SECRET)),
    ListSecrets: (request) => this.listSecrets(readJsonBody(request, LIST_SECRETS)),
  };

  private listSecrets(body: v.InferOutput<typeof LIST_SECRETS>): ApiResponse {
    const matching = [...this.secrets.values()]
      .filter((secret) => body.Filters.every((filter) => filterMatches(filter, secret)))
      .sort((a, b) => a.name.localeCompare(b.name));
    const page = pageOf(
      matching,
      { size: body.MaxResults, nextToken: body.NextToken },
      LIST_LIMITS,
    );
    return {
      status: 200,
      json: {
        SecretList: page.items.map((secret) => ({
          ...this.summary(secret),
          SecretVersionsToStages: versionsToStages(secret),
        })),
        NextToken: page.nextToken,
      },
    };
  }

  private summary(secret: LocalSecret): Json {
    return {
      ARN: secret.arn,
      Name: secret.name,
      Description: secret.description,
      CreatedDate: epochSeconds(secret.createdDate),
      LastChangedDate: epochSeconds(secret.lastChangedDate),
    };
  }

  private createSecret(body: v.InferOutput<typeof CREATE_SECRET>): ApiResponse {
    const name = body.Name;
    if (this.secrets.has(name))
      throw new AwsServiceError(
        'ResourceExistsException',
        400,
        `The operation failed because the secret ${name} already exists.`,
      );
    const { secretString, secretBinary } = readValue(body);
    const secret = this.create(name, body.Description, secretString, secretBinary);
    return {
      status: 200,
      json: { ARN: secret.arn, Name: secret.name, VersionId: secret.versions.at(-1)?.versionId },
    };
  }

  private putSecretValue(body: v.InferOutput<typeof PUT_SECRET_VALUE>): ApiResponse {
    const secret = this.find(body.SecretId);
    const { secretString, secretBinary } = readValue(body);
    const version = this.addVersion(secret, secretString, secretBinary);
    return {
      status: 200,
      json: {
        ARN: secret.arn,
        Name: secret.name,
        VersionId: version.versionId,
        VersionStages: ['AWSCURRENT'],
      },
    };
  }

  private getSecretValue(body: v.InferOutput<typeof GET_SECRET_VALUE>): ApiResponse {
    const secret = this.find(body.SecretId);
    this.reads.set(secret.name, (this.reads.get(secret.name) ?? 0) + 1);
    const versionId = body.VersionId;
    const stage = body.VersionStage ?? 'AWSCURRENT';
    const index =
      versionId !== undefined
        ? secret.versions.findIndex((v) => v.versionId === versionId)
        : stageIndex(secret, stage);
    const version = secret.versions[index];
    if (!version)
      throw notFoundSecret(`Secret ${secret.name} has no version ${versionId ?? stage}.`);
    return {
      status: 200,
      json: {
        ARN: secret.arn,
        Name: secret.name,
        VersionId: version.versionId,
        SecretString: version.secretString,
        SecretBinary: version.secretBinary,
        VersionStages: stagesOf(secret, index),
        CreatedDate: epochSeconds(version.createdDate),
      },
    };
  }

  private describeSecret(body: v.InferOutput<typeof DESCRIBE_SECRET>): ApiResponse {
    const secret = this.find(body.SecretId);
    return {
      status: 200,
      json: { ...this.summary(secret), VersionIdsToStages: versionsToStages(secret) },
    };
  }

  private create(
    name: string,
    description: string | undefined,
    secretString: string | undefined,
    secretBinary: string | undefined,
  ): LocalSecret {
    const now = new Date();
    // Secret ARNs end in a hyphen and six random characters.
    const suffix = randomBytes(6).toString('base64url').slice(0, 6);
    const secret: LocalSecret = {
      name,
      arn: `arn:aws:secretsmanager:${this.options.region}:${this.options.accountId}:secret:${name}-${suffix}`,
      description,
      createdDate: now,
      lastChangedDate: now,
      versions: [],
    };
    this.secrets.set(name, secret);
    if (secretString !== undefined || secretBinary !== undefined)
      this.addVersion(secret, secretString, secretBinary);
    return secret;
  }

  private addVersion(
    secret: LocalSecret,
    secretString: string | undefined,
    secretBinary: string | undefined,
  ): SecretVersion {
    const version = {
      versionId: randomUUID(),
      secretString,
      secretBinary,
      createdDate: new Date(),
    };
    secret.versions.push(version);
    secret.lastChangedDate = version.createdDate;
    return version;
  }

  /** Finds a secret by name or ARN (`SecretId`). */
  private find(id: string): LocalSecret {
    const secret = this.secrets.get(id) ?? [...this.secrets.values()].find((s) => s.arn === id);
    if (!secret) throw notFoundSecret(`Secrets Manager can't find the specified secret ${id}.`);
    return secret;
  }
}

function readValue(body: {
  readonly SecretString?: string | undefined;
  readonly SecretBinary?: string | undefined;
}): {
  secretString: string | undefined;
  secretBinary: string | undefined;
} {
  const { SecretString: secretString, SecretBinary: secretBinary } = body;
  if (secretString !== undefined && secretBinary !== undefined)
    throw invalidRequest('Give SecretString or SecretBinary, not both.');
  return { secretString, secretBinary };
}

function stageIndex(secret: LocalSecret, stage: string): number {
  if (stage === 'AWSCURRENT') return secret.versions.length - 1;
  if (stage === 'AWSPREVIOUS') return secret.versions.length - 2;
  return -1;
}

function stagesOf(secret: LocalSecret, index: number): string[] {
  if (index === secret.versions.length - 1) return ['AWSCURRENT'];
  if (index === secret.versions.length - 2) return ['AWSPREVIOUS'];
  return [];
}

/** Secrets Manager answers a missing secret with HTTP 400, unlike the REST services. */
function notFoundSecret(message: string): AwsServiceError {
  return new AwsServiceError('ResourceNotFoundException', 400, message);
}

/** Each version that has a stage, with its stages. */
function versionsToStages(secret: LocalSecret): Record<string, string[]> {
  return Object.fromEntries(
    secret.versions
      .map((version, index) => [version.versionId, stagesOf(secret, index)] as const)
      .filter(([, stages]) => stages.length > 0),
  );
}

/**
 * Whether a secret matches one of ListSecrets' `Filters`: `name` and `description` match by
 * prefix (a leading `!` negates), `all` matches either; every filter must match.
 */
function filterMatches(filter: Filter, secret: LocalSecret): boolean {
  const fields =
    filter.Key === 'name'
      ? [secret.name]
      : filter.Key === 'description'
        ? [secret.description ?? '']
        : [secret.name, secret.description ?? ''];
  return filter.Values.some((value) =>
    value.startsWith('!')
      ? !fields.some((field) => field.startsWith(value.slice(1)))
      : fields.some((field) => field.startsWith(value)),
  );
}
