import { randomBytes } from 'node:crypto';
import type { SecretsManager } from './aws-api/secrets';
import type { CloudFormationStandIn } from './custom-resources';
import type { TrafficLog } from './log';
import type { LocalOptions } from './options';
import { ACCOUNT_ID, REGION } from './wiring';

/** The label of the KEK the local stack creates. */
export const KEK_LABEL = 'local-1';

/** The secrets the functions read: where, and the TTS API key the stand-in must accept. */
export interface StackSecrets {
  readonly kekSecretID: string;
  readonly apiKeySecretID: string;
  readonly apiKey: string;
}

/**
 * The TTS API key and the KEK ring in the local Secrets Manager (`<stack>/api-key`,
 * `<stack>/kek`): the saved ones when the stack resumes, else new random ones. They exist
 * only there and in the data directory.
 */
export function ensureStackSecrets(secrets: SecretsManager, stackName: string): StackSecrets {
  const kekSecretID = `${stackName}/kek`;
  const apiKeySecretID = `${stackName}/api-key`;
  let apiKey = secrets.currentSecretString(apiKeySecretID);
  if (apiKey === undefined) {
    apiKey = `NNSXS.${randomBytes(20).toString('hex').toUpperCase().slice(0, 39)}.${randomBytes(32).toString('hex').toUpperCase()}`;
    secrets.putSecretString(apiKeySecretID, apiKey);
  }
  if (secrets.currentSecretString(kekSecretID) === undefined) {
    const kek = randomBytes(16).toString('hex').toUpperCase();
    secrets.putSecretString(kekSecretID, JSON.stringify({ current: KEK_LABEL, [KEK_LABEL]: kek }));
  }
  return { kekSecretID, apiKeySecretID, apiKey };
}

/**
 * Runs the setup custom resources as CloudFormation would on every start (a resumed stack
 * finds its thing type and pub/sub in place; the functions accept the same configuration
 * again): `Custom::ThingType`, then `Custom::PubSub` with the endpoint the first answered.
 */
export async function runSetup(
  cloudFormation: CloudFormationStandIn,
  settings: {
    readonly options: LocalOptions;
    readonly ttsUrl: string;
    readonly secrets: StackSecrets;
    readonly log: TrafficLog;
  },
): Promise<void> {
  const { options, log } = settings;
  log.info('setup: creating the thing type (Custom::ThingType → thing-type)');
  const thingType = await cloudFormation.create({
    functionName: 'thing-type',
    logicalResourceId: 'ThingType',
    resourceType: 'Custom::ThingType',
    properties: { ThingTypeName: options.thingTypeName, StackName: options.stackName },
  });
  log.info('setup: configuring the TTS pub/sub (Custom::PubSub → pubsub-config)');
  await cloudFormation.create({
    functionName: 'pubsub-config',
    logicalResourceId: 'PubSub',
    resourceType: 'Custom::PubSub',
    properties: {
      ApplicationID: options.applicationID,
      ClusterAddress: settings.ttsUrl,
      StackName: options.stackName,
      Region: REGION,
      RoleArn: `arn:aws:iam::${ACCOUNT_ID}:role/${options.stackName}-tts`,
      ExternalId: `${options.stackName}-external-id`,
      EndpointAddress: thingType['EndpointAddress'] ?? options.host,
      EnableEndToEndEncryption: String(options.e2e),
      KekSecretId: settings.secrets.kekSecretID,
      ApiKeySecretId: settings.secrets.apiKeySecretID,
    },
  });
}
