/**
 * Configure: the `Custom::PubSub` resource (docs/architecture.md "Custom resources"). It makes
 * the TTS application publish to this account's AWS IoT Core: it checks the API key's
 * rights, sets the AWS IoT pub/sub with the default integration and, with end-to-end
 * encryption, installs the KEK on the Join Server and turns on `skip_payload_crypto`.
 * Delete undoes that, best effort: a stack must be deletable even when TTS is not reachable.
 */
import type {
  CustomResourceEvent,
  CustomResourceLogic,
  CustomResourceOutcome,
} from '@tts-aws-iot/aws';
import { baseURL, InputError, TransientError, type SecretReader } from '@tts-aws-iot/integration';
import { checkInput, objectOf, ProblemList } from '@tts-aws-iot/input';
import { parseKekRing } from '@tts-aws-iot/keywrap';
import { missingRights, REQUIRED_APPLICATION_RIGHTS, type TtsClient } from '@tts-aws-iot/tts';
import * as v from 'valibot';

/** The properties of `Custom::PubSub` (CloudFormation passes strings), and optionally `PubSubID`. */
export interface PubSubProperties {
  readonly ApplicationID: string;
  readonly ClusterAddress: string;
  readonly StackName: string;
  readonly Region: string;
  readonly RoleArn: string;
  readonly ExternalId: string;
  readonly EndpointAddress: string;
  readonly EnableEndToEndEncryption: string;
  readonly KekSecretId: string;
  readonly ApiKeySecretId: string;
  readonly [name: string]: string;
}

/** The checked properties. */
export type PubSubSettings = {
  readonly applicationID: string;
  readonly pubSubID: string;
  /** The TTS API base URL (ending in `/api/v3`). */
  readonly clusterURL: string;
  readonly stackName: string;
  readonly region: string;
  readonly roleArn: string;
  readonly externalID: string;
  /** The account's `iot:Data-ATS` host name. */
  readonly endpointAddress: string;
  readonly apiKeySecretID: string;
} & (
  | { readonly e2eEnabled: true; readonly kekSecretID: string }
  | { readonly e2eEnabled: false; readonly kekSecretID: undefined }
);

/** The TTS calls this resource makes. */
export type PubSubApi = Pick<
  TtsClient,
  | 'getAuthInfo'
  | 'setAwsIotPubSub'
  | 'deletePubSub'
  | 'setApplicationKek'
  | 'deleteApplicationKek'
  | 'setSkipPayloadCrypto'
>;

/** The log lines this resource writes (a Powertools `Logger` fits). */
export interface ConfigureLog {
  info(message: string, attributes: Record<string, unknown>): void;
  warn(message: string, attributes: Record<string, unknown>): void;
}

export interface ConfigureDeps {
  readonly secrets: SecretReader;
  /** A TTS client for the resource's cluster, reading the API key from its secret. */
  readonly tts: (settings: PubSubSettings) => PubSubApi;
  readonly log: ConfigureLog;
  /**
   * How long a Delete may spend on TTS before it answers SUCCESS anyway (default 60000 ms,
   * well inside the function's 120 s): the TTS client makes up to four attempts of 8 s per
   * call, and a Delete that outlived the function would answer FAILED and leave the stack
   * in DELETE_FAILED.
   */
  readonly deleteBudgetMs?: number;
  /** Whether an http:// ClusterAddress is accepted (`ALLOW_HTTP_CLUSTER=true`: tests, the local stack). */
  readonly allowHttpCluster?: boolean;
}

/** The Delete's default time budget for TTS (`ConfigureDeps.deleteBudgetMs`). */
const DEFAULT_DELETE_BUDGET_MS = 60_000;

/** The pub/sub ID when the resource names none. */
const DEFAULT_PUB_SUB_ID = 'aws-iot';

// TTS's own rules (docs/tts.md "Pub/sub with the AWS IoT provider", "Conventions").
const TTS_ID = /^[a-z0-9](?:-?[a-z0-9]){2,}$/;
const MAX_TTS_ID_LENGTH = 36;
const STACK_NAME = /^[A-Za-z][A-Za-z0-9-]{0,127}$/;
const REGION = /^[a-z]{2}(?:-[a-z]+)+-\d+$/;
const ROLE_ARN = /^arn:aws:iam::[0-9]{12}:role\/[A-Za-z0-9_+=,.@-]+$/;
const EXTERNAL_ID = /^[\w+=,.@:/-]{1,1224}$/;
const HOST_NAME =
  /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.)*[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?$/;

// The schemas of the properties: each message is the problem the resource is refused with,
// naming the property, what was found and what it takes.

/** A property that must be set (trimmed), and match `pattern` where one is given. */
function required(name: string, hint: string, pattern?: RegExp) {
  const missing = `${name} is missing: ${hint}`;
  const text = v.string(`${name} is not a string: ${hint}`);
  const present = v.pipe(v.optional(text, ''), v.trim(), v.nonEmpty(missing));
  if (!pattern) return present;
  return v.pipe(
    present,
    v.regex(pattern, (issue) => `${name} ${JSON.stringify(issue.input)} is invalid: ${hint}`),
  );
}

const APPLICATION_ID = v.pipe(
  required(
    'ApplicationID',
    'the TTS application ID (lowercase letters, digits, single hyphens)',
    TTS_ID,
  ),
  v.maxLength(MAX_TTS_ID_LENGTH, 'ApplicationID is invalid: TTS IDs have at most 36 characters'),
);

const PUB_SUB_ID = v.pipe(
  v.optional(v.string(), ''),
  v.trim(),
  v.transform((id) => id || DEFAULT_PUB_SUB_ID),
  v.check(
    (id) => TTS_ID.test(id) && id.length <= MAX_TTS_ID_LENGTH,
    (issue) =>
      `PubSubID ${JSON.stringify(issue.input)} is invalid: lowercase letters, digits and single hyphens, at most 36`,
  ),
);

/**
 * The TTS API base URL of a host name or an http(s) URL. The API key goes with every
 * request: plain HTTP only where the function's ALLOW_HTTP_CLUSTER=true says so (tests,
 * the local stack), never in a deployment.
 */
function clusterURL(allowHttp: boolean) {
  return baseURL('ClusterAddress', '/api/v3', {
    missing:
      'ClusterAddress is missing: the TTS cluster host name, e.g. eu1.cloud.thethings.industries',
    ...(allowHttp ? {} : { plainHttp: 'the API key would travel unencrypted over http://' }),
  });
}

/** The host of an endpoint given as a host name or as a URL (`https://…`, as the local stack has it). */
const ENDPOINT_ADDRESS = v.pipe(
  required('EndpointAddress', "the account's iot:Data-ATS address"),
  v.check(
    (address) => HOST_NAME.test(endpointHost(address)),
    (issue) =>
      `EndpointAddress ${JSON.stringify(issue.input)} is invalid: use the iot:Data-ATS host name`,
  ),
  v.transform(endpointHost),
);

const E2E_ENABLED = v.pipe(
  v.optional(v.string(), ''),
  v.check(
    (flag) => ['true', 'false'].includes(flag.trim().toLowerCase()),
    (issue) =>
      `EnableEndToEndEncryption ${JSON.stringify(issue.input)} is invalid: use true or false`,
  ),
  v.transform((flag) => flag.trim().toLowerCase() === 'true'),
);

const KEK_SECRET_ID = required('KekSecretId', 'the KEK secret, needed with end-to-end encryption');

/** The properties but `KekSecretId` (needed only with E2E), in the order problems are listed. */
function propertiesSchema(allowHttp: boolean) {
  return objectOf(
    {
      ApplicationID: APPLICATION_ID,
      PubSubID: PUB_SUB_ID,
      ClusterAddress: clusterURL(allowHttp),
      StackName: required(
        'StackName',
        'a letter, then letters, digits and hyphens (at most 128)',
        STACK_NAME,
      ),
      Region: required('Region', 'an AWS region such as eu-west-1', REGION),
      RoleArn: required(
        'RoleArn',
        'the ARN of the role TTS assumes, arn:aws:iam::<account>:role/<name>',
        ROLE_ARN,
      ),
      ExternalId: required(
        'ExternalId',
        'letters, digits and +=,.@:/-_ (at most 1224)',
        EXTERNAL_ID,
      ),
      EndpointAddress: ENDPOINT_ADDRESS,
      EnableEndToEndEncryption: E2E_ENABLED,
      ApiKeySecretId: required('ApiKeySecretId', 'the secret that holds the TTS API key'),
    },
    'the resource properties (an object)',
  );
}

/** Built once for each setting of ALLOW_HTTP_CLUSTER. */
const PROPERTIES = { https: propertiesSchema(false), http: propertiesSchema(true) } as const;

/**
 * Checks the resource's properties, collecting every problem.
 *
 * @throws InputError `invalid_properties` listing each property, what is wrong and what it takes
 */
export function parsePubSubProperties(
  properties: Readonly<Record<string, unknown>>,
  options: { readonly allowHttpCluster?: boolean } = {},
): PubSubSettings {
  const problems = new ProblemList();
  const read = problems.readEntries(
    PROPERTIES[options.allowHttpCluster === true ? 'http' : 'https'],
    properties,
  );
  const e2e = checkInput(E2E_ENABLED, properties['EnableEndToEndEncryption']);
  const kekSecretID =
    'output' in e2e && e2e.output
      ? problems.read(KEK_SECRET_ID, properties['KekSecretId'])
      : undefined;
  if (!read || problems.problems.length > 0) {
    throw new InputError(
      'invalid_properties',
      `Invalid Custom::PubSub properties: ${problems.problems.join('; ')}.`,
      { problems: [...problems.problems] },
    );
  }
  return {
    applicationID: read.ApplicationID,
    pubSubID: read.PubSubID,
    clusterURL: read.ClusterAddress,
    stackName: read.StackName,
    region: read.Region,
    roleArn: read.RoleArn,
    externalID: read.ExternalId,
    endpointAddress: read.EndpointAddress,
    apiKeySecretID: read.ApiKeySecretId,
    ...(kekSecretID === undefined
      ? { e2eEnabled: false, kekSecretID: undefined }
      : { e2eEnabled: true, kekSecretID }),
  };
}

/** The host of an endpoint given as a host name or as a URL (`https://…`, as the local stack has it). */
function endpointHost(value: string): string {
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) return value;
  try {
    return new URL(value).hostname;
  } catch {
    return value;
  }
}

/** The PhysicalResourceId: `<ApplicationID>/<PubSubID>`, stable across updates of anything else. */
function physicalResourceID(settings: Pick<PubSubSettings, 'applicationID' | 'pubSubID'>): string {
  return `${settings.applicationID}/${settings.pubSubID}`;
}

/**
 * The logic of `Custom::PubSub`.
 *
 * - Create and Update: check that the API key belongs to the application and has every
 *   right the integration needs (naming the missing ones), set the pub/sub, then either
 *   install the KEK (the KEK secret's current entry) and turn on `skip_payload_crypto`, or,
 *   without end-to-end encryption, remove the KEK and turn it off. A changed ApplicationID or
 *   PubSubID is a new resource: CloudFormation then deletes the old one.
 * - Delete: remove the pub/sub and, where end-to-end encryption was on, the KEK and
 *   `skip_payload_crypto`, so that TTS decrypts payloads itself again. Best effort: problems
 *   are logged and the answer is SUCCESS, so the stack never sticks in DELETE_FAILED.
 */
export function pubSubResource(deps: ConfigureDeps): CustomResourceLogic<PubSubProperties> {
  return async (event: CustomResourceEvent<PubSubProperties>): Promise<CustomResourceOutcome> => {
    if (event.RequestType === 'Delete')
      return remove(event.PhysicalResourceId, event.ResourceProperties, deps);
    const settings = parsePubSubProperties(event.ResourceProperties, deps);
    const tts = deps.tts(settings);
    await checkApiKey(tts, settings);
    await tts.setAwsIotPubSub({
      applicationID: settings.applicationID,
      pubSubID: settings.pubSubID,
      region: settings.region,
      roleArn: settings.roleArn,
      externalID: settings.externalID,
      endpointAddress: settings.endpointAddress,
      stackName: settings.stackName,
    });
    let kekLabel = '';
    if (settings.e2eEnabled) {
      const kek = await currentKek(deps.secrets, settings.kekSecretID);
      await tts.setApplicationKek(settings.applicationID, { label: kek.label, key: kek.kek });
      await tts.setSkipPayloadCrypto(settings.applicationID, true);
      kekLabel = kek.label;
    } else {
      await tts.deleteApplicationKek(settings.applicationID);
      await tts.setSkipPayloadCrypto(settings.applicationID, false);
    }
    deps.log.info('Configured the TTS pub/sub.', {
      application_id: settings.applicationID,
      pub_sub_id: settings.pubSubID,
      e2e: settings.e2eEnabled,
      kek_label: kekLabel,
    });
    return {
      physicalResourceId: physicalResourceID(settings),
      data: {
        ApplicationID: settings.applicationID,
        PubSubID: settings.pubSubID,
        KekLabel: kekLabel,
      },
    };
  };
}

async function checkApiKey(tts: PubSubApi, settings: PubSubSettings): Promise<void> {
  const authInfo = await tts.getAuthInfo();
  if (authInfo.applicationID !== undefined && authInfo.applicationID !== settings.applicationID) {
    throw new InputError(
      'api_key_of_other_application',
      `The API key belongs to TTS application ${authInfo.applicationID}, not ${settings.applicationID}: create an API key in application ${settings.applicationID}, or set ApplicationID to ${authInfo.applicationID}.`,
      { applicationID: authInfo.applicationID },
    );
  }
  const missing = missingRights(authInfo);
  if (missing.length > 0) {
    throw new InputError(
      'insufficient_rights',
      `The API key lacks ${missing.length === 1 ? 'the right' : 'the rights'} ${missing.join(', ')}: create an API key in application ${settings.applicationID} with ${REQUIRED_APPLICATION_RIGHTS.join(', ')}, and update ApplicationAPIKey.`,
      { missing },
    );
  }
}

async function currentKek(
  secrets: SecretReader,
  secretID: string,
): Promise<{ label: string; kek: Uint8Array }> {
  try {
    return parseKekRing(await secrets.getSecretString(secretID)).current();
  } catch (error) {
    if ((error as { retryable?: unknown }).retryable === true) throw error;
    throw new InputError(
      'invalid_kek_secret',
      `The KEK secret ${secretID} is unusable: ${(error as Error).message}.`,
      { secretID },
      { cause: error },
    );
  }
}

async function remove(
  physicalID: string,
  properties: Readonly<Record<string, string | undefined>>,
  deps: ConfigureDeps,
): Promise<CustomResourceOutcome> {
  const steps = new BudgetedSteps(deps.deleteBudgetMs ?? DEFAULT_DELETE_BUDGET_MS);
  let settings: PubSubSettings | undefined;
  await steps.attempt('read the properties', async () => {
    settings = parsePubSubProperties(properties, deps);
  });
  const read: PubSubSettings | undefined = settings;
  if (read) {
    const tts = deps.tts(read);
    const { applicationID } = read;
    await steps.attempt('remove the pub/sub', () => tts.deletePubSub(read));
    if (read.e2eEnabled) {
      await steps.attempt('turn off skip_payload_crypto', () =>
        tts.setSkipPayloadCrypto(applicationID, false),
      );
      await steps.attempt('remove the KEK', () => tts.deleteApplicationKek(applicationID));
    }
  }
  for (const { step, error } of steps.finish()) {
    deps.log.warn(`Could not ${step} while deleting the TTS pub/sub; finish it in TTS by hand.`, {
      physical_resource_id: physicalID,
      error_code: (error as { code?: unknown }).code,
      reason: (error as Error).message,
    });
  }
  return { physicalResourceId: physicalID };
}

/**
 * The steps of a Delete, within one time budget: a step that fails is noted and the next
 * one runs. Once TTS did not answer (a timeout, no connection, the budget spent), the later
 * steps would wait the same way: they are skipped, and the Delete answers in time.
 */
class BudgetedSteps {
  private readonly problems: { step: string; error: unknown }[] = [];
  private readonly timer: NodeJS.Timeout;
  private readonly outOfTime: Promise<{ error: unknown }>;
  private unreachable = false;

  constructor(budgetMs: number) {
    let expire: (failure: { error: unknown }) => void = () => undefined;
    this.outOfTime = new Promise((resolve) => (expire = resolve));
    const error = new TransientError(
      'tts_timeout',
      `TTS did not answer within the Delete's budget of ${budgetMs} ms`,
    );
    this.timer = setTimeout(() => expire({ error }), budgetMs);
    this.timer.unref?.();
  }

  async attempt(step: string, work: () => Promise<unknown>): Promise<void> {
    if (this.unreachable) {
      const skipped = new TransientError('skipped', 'skipped: TTS did not answer an earlier step');
      this.problems.push({ step, error: skipped });
      return;
    }
    const failure = await Promise.race([
      work().then(
        () => undefined,
        (error: unknown) => ({ error }),
      ),
      this.outOfTime,
    ]);
    if (failure) {
      this.problems.push({ step, error: failure.error });
      this.unreachable ||= noAnswer(failure.error);
    }
  }

  /** Stops the clock; the steps that failed, in order. */
  finish(): readonly { step: string; error: unknown }[] {
    clearTimeout(this.timer);
    return this.problems;
  }
}

/** Whether TTS gave no answer at all: a timeout or no connection (`TtsConnectionError`'s codes). */
function noAnswer(error: unknown): boolean {
  const code = (error as { code?: unknown } | undefined)?.code;
  return code === 'tts_timeout' || code === 'tts_unreachable';
}
