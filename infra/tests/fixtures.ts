import { resolve } from 'node:path';

import {
  Evaluator,
  functionProperties,
  loadTemplate,
  type Scenario,
  type Template,
} from './cloudformation';

/** The repository root (CodeUri paths resolve to `<root>/dist/packages/<name>/`). */
export const REPOSITORY = resolve(__dirname, '../..');

export const ROOT = loadTemplate('template.yaml');

/** The function groups, each nested by the root and deployable on its own. */
export const GROUPS = {
  setup: loadTemplate('setup/template.yaml'),
  traffic: loadTemplate('traffic/template.yaml'),
  registry: loadTemplate('registry/template.yaml'),
} as const satisfies Record<string, Template>;

export type Group = keyof typeof GROUPS;

export const ALL_TEMPLATES: readonly Template[] = [ROOT, ...Object.values(GROUPS)];

/** Every function, where it lives, what it is built from and its log-visible name (docs/architecture.md). */
export const FUNCTIONS = {
  ThingTypeFunction: { group: 'setup', package: 'thing-type', logName: 'CreateThingType' },
  PubSubFunction: { group: 'setup', package: 'pubsub-config', logName: 'Configure' },
  UplinkFunction: { group: 'traffic', package: 'uplink', logName: 'HandleUplink' },
  DownlinkFunction: { group: 'traffic', package: 'downlink', logName: 'HandleDownlink' },
  CreateDeviceFunction: { group: 'registry', package: 'create-device', logName: 'CreateThing' },
  ClaimFunction: { group: 'registry', package: 'claim', logName: 'ClaimThing' },
  VersionCheckFunction: { group: 'setup', package: 'version-check', logName: 'CheckVersion' },
} as const satisfies Record<string, { group: Group; package: string; logName: string }>;

export type FunctionId = keyof typeof FUNCTIONS;

export const FUNCTION_IDS = Object.keys(FUNCTIONS) as FunctionId[];

export const ACCOUNT = '123456789012';
export const REGION = 'eu-west-1';
/** A stack name with hyphens, which IoT rule names cannot hold. */
export const STACK = 'my-stack';
export const TTS_ACCOUNT = '210987654321';
export const KEK_SECRET_ARN = `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:${STACK}/kek-AbCdEf`;
export const API_KEY_SECRET_ARN = `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:${STACK}/api-key-GhIjKl`;
export const IOT_DATA_ENDPOINT = `a1b2c3d4e5f6g7-ats.iot.${REGION}.amazonaws.com`;
export const RELEASE_MANIFEST_URL =
  'https://releases.example.com/tts-aws-iot/release-manifest.json';
export const KMS_KEY_ARN = `arn:aws:kms:${REGION}:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;

/** Values for every parameter without a default, as a user (or the root stack) would give them. */
export const PARAMETERS: Readonly<Record<string, string>> = {
  StackName: STACK,
  ClusterAddress: 'eu1.cloud.thethings.industries',
  ApplicationID: 'my-app',
  ApplicationAPIKey:
    'NNSXS.ABCDEFGHIJKLMNOPQRSTUVWXYZ234567ABCDEFGHIJKLM.ABCDEFGHIJKLMNOPQRSTUVWXYZ234567ABCDEFGHIJKLMNOPQRST',
  PrincipalAccountID: TTS_ACCOUNT,
  // CheckVersion (Enabled by default) needs a manifest to read.
  ReleaseManifestURL: RELEASE_MANIFEST_URL,
  KekSecretArn: KEK_SECRET_ARN,
  ApiKeySecretArn: API_KEY_SECRET_ARN,
  IotDataEndpoint: IOT_DATA_ENDPOINT,
  KmsKeyArn: KMS_KEY_ARN,
};

/** Deploy-time values of the setup stack's resources, where a test needs realistic ones. */
const DEPLOY_TIME: Readonly<Record<string, string>> = {
  KekSecret: KEK_SECRET_ARN,
  ApiKeySecret: API_KEY_SECRET_ARN,
  'ThingType.EndpointAddress': IOT_DATA_ENDPOINT,
  'Key.Arn': KMS_KEY_ARN,
};

/** One deployment: the sample parameters with `overrides`. */
export function scenario(overrides: Readonly<Record<string, string>> = {}): Scenario {
  return {
    parameters: { ...PARAMETERS, ...overrides },
    region: REGION,
    accountId: ACCOUNT,
    stackName: STACK,
    deployTime: DEPLOY_TIME,
  };
}

/** The parameter combinations that change resources: thing name scheme × end-to-end encryption. */
export const SCENARIOS: readonly { readonly name: string; readonly scenario: Scenario }[] = (
  ['DevEUI', 'DeviceID'] as const
).flatMap((ThingNameScheme) =>
  (['Enabled', 'Disabled'] as const).map((EnableEndToEndEncryption) => ({
    name: `${ThingNameScheme} names, E2E ${EnableEndToEndEncryption}`,
    scenario: scenario({ ThingNameScheme, EnableEndToEndEncryption }),
  })),
);

/** An evaluator of `template` for `scenario` (default: the sample deployment). */
export function evaluator(template: Template, given: Scenario = scenario()): Evaluator {
  return new Evaluator(template.json, given);
}

/** The evaluated properties of a resource. */
export function properties(
  template: Template,
  logicalId: string,
  given: Scenario = scenario(),
): Record<string, unknown> {
  const resource = template.json.Resources[logicalId];
  if (!resource) throw new Error(`${template.path} has no resource ${logicalId}`);
  return evaluator(template, given).evaluate(resource.Properties ?? {}) as Record<string, unknown>;
}

/** `{"Fn::GetAtt": [id, attribute]}` or `{"Ref": id}` → the referenced logical ID. */
export function referencedId(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const reference = value as { Ref?: unknown; 'Fn::GetAtt'?: unknown };
  if (typeof reference.Ref === 'string') return reference.Ref;
  if (Array.isArray(reference['Fn::GetAtt'])) return String(reference['Fn::GetAtt'][0]);
  return undefined;
}

/** A function's properties as SAM deploys them (Globals merged), evaluated. */
export function deployedFunction(id: FunctionId, given = scenario()): Record<string, unknown> {
  const template = GROUPS[FUNCTIONS[id].group];
  return evaluator(template, given).evaluate(functionProperties(template.json, id)) as Record<
    string,
    unknown
  >;
}

/** A function's environment variables, as deployed with `given`. */
export function functionEnvironment(id: FunctionId, given = scenario()): Record<string, string> {
  return (
    (
      deployedFunction(id, given)['Environment'] as
        { Variables?: Record<string, string> } | undefined
    )?.Variables ?? {}
  );
}
