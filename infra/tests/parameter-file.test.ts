import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { accepts, resourcesOfType, type Scenario } from './cloudformation';
import { ACCOUNT, GROUPS, REGION, ROOT, evaluator, type Group } from './fixtures';

/**
 * Parameter files written for The Things Stack's documented templates (the format of
 * `aws cloudformation create-stack --parameters file://…`), one per template: the community
 * one (The Things Network), the one for The Things Stack Cloud (with end-to-end
 * encryption) and the one for Enterprise (with the principal account). Each holds exactly
 * the parameters its template takes, with values as their documentation writes them. Each
 * must deploy this stack unchanged, and an update of such a stack with "Replace current
 * template" must find every parameter it had.
 */
const COMMON = [
  'ApplicationAPIKey',
  'ApplicationID',
  'CheckVersion',
  'ClusterAddress',
  'ThingNameScheme',
  'ThingShadowMetrics',
  'ThingTypeName',
];
const FILES = {
  community: COMMON,
  cloud: [...COMMON, 'EnableEndToEndEncryption'],
  enterprise: [...COMMON, 'PrincipalAccountID'],
} as const;

type Entry = readonly [key: string, value: string];

function parameterFile(name: keyof typeof FILES): Entry[] {
  const path = join(__dirname, 'fixtures', `documented-parameters.${name}.json`);
  return (
    JSON.parse(readFileSync(path, 'utf8')) as { ParameterKey: string; ParameterValue: string }[]
  ).map(({ ParameterKey, ParameterValue }) => [ParameterKey, ParameterValue] as const);
}

const declared = ROOT.json.Parameters ?? {};

const deployment = (parameters: Readonly<Record<string, string>>): Scenario => ({
  parameters,
  region: REGION,
  accountId: ACCOUNT,
  stackName: 'my-integration',
});

/** The setup stack's outputs that traffic and registry take, as a deployment would give them. */
const DEPLOY_TIME_OUTPUTS = {
  KekSecretArn: `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:my-integration/kek-AbCdEf`,
  ApiKeySecretArn: `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:my-integration/api-key-AbCdEf`,
  IotDataEndpoint: `a1b2c3-ats.iot.${REGION}.amazonaws.com`,
  KmsKeyArn: `arn:aws:kms:${REGION}:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`,
};

describe.each(Object.keys(FILES) as (keyof typeof FILES)[])(
  "a parameter file for The Things Stack's %s template",
  (name) => {
    const entries = parameterFile(name);
    const values = Object.fromEntries(entries);

    it("holds that template's parameters, each once", () => {
      expect(entries.map(([key]) => key).sort()).toEqual([...FILES[name]].sort());
    });

    it('names only parameters the root template declares (so UsePreviousValue finds each on an update)', () => {
      for (const [key] of entries)
        expect({ key, declared: key in declared }).toEqual({ key, declared: true });
    });

    it('gives every parameter that has no default: nothing else is required', () => {
      const required = Object.entries(declared)
        .filter(([, parameter]) => parameter.Default === undefined)
        .map(([key]) => key);
      expect(required.length).toBeGreaterThan(0);
      for (const key of required)
        expect({ key, given: key in values }).toEqual({ key, given: true });
    });

    it.each(entries)(
      'gives %s a value within its AllowedValues and AllowedPattern (%j)',
      (key, value) => {
        expect(accepts(declared[key]!, value)).toBe(true);
      },
    );

    it.each(resourcesOfType(ROOT.json, 'AWS::Serverless::Application'))(
      'deploys the %s stack with values its template accepts, each parameter it needs given',
      (id) => {
        const group = GROUPS[id.toLowerCase() as Group];
        const passed = evaluator(ROOT, deployment(values)).evaluate(
          ROOT.json.Resources[id]!.Properties!['Parameters'],
        ) as Record<string, string>;
        for (const [key, parameter] of Object.entries(group.json.Parameters ?? {})) {
          const value = passed[key] ?? parameter.Default;
          expect({ key, given: value !== undefined }).toEqual({ key, given: true });
          // Outputs of the setup stack, known at deploy time only.
          if (String(value).startsWith('<')) continue;
          expect({ key, value, accepted: accepts(parameter, String(value)) }).toEqual({
            key,
            value,
            accepted: true,
          });
        }
        expect(passed['StackName']).toBe('my-integration');
      },
    );

    it('resolves every resource and output of the root and nested templates', () => {
      expect(() => evaluator(ROOT, deployment(values)).evaluate(ROOT.json)).not.toThrow();
      const nested = { ...values, StackName: 'my-integration', ...DEPLOY_TIME_OUTPUTS };
      for (const group of Object.values(GROUPS))
        expect(() =>
          evaluator(group, deployment(nested)).evaluate(group.json.Resources),
        ).not.toThrow();
    });
  },
);

describe('the values this stack used to take', () => {
  it('are refused, so a mixed-up file fails before anything is created', () => {
    expect(accepts(declared['EnableEndToEndEncryption']!, 'true')).toBe(false);
    expect(accepts(declared['ThingShadowMetrics']!, 'false')).toBe(false);
    expect(declared).not.toHaveProperty('ApplicationApiKey');
    expect(declared).not.toHaveProperty('StackName');
  });
});

describe("an update of a stack of The Things Stack's Cloud template (docs/migration.md)", () => {
  const OLD_KEK = `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:my-integration/AppSKeyKEK-AbCdEf`;
  const COPY = `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:my-integration/earlier-kek-GhIjKl`;
  const values = {
    ...Object.fromEntries(parameterFile('cloud')),
    AdoptThingLogGroup: 'Enabled',
    ExistingKEKSecretArn: COPY,
    ExistingKEKLabel: OLD_KEK,
  };

  it('takes the migration parameters on top of the earlier ones', () => {
    for (const [key, value] of Object.entries(values))
      expect({ key, accepted: accepts(declared[key]!, value) }).toEqual({ key, accepted: true });
  });

  it('passes them to the registry and traffic stacks, creating no log group of the earlier name', () => {
    const root = evaluator(ROOT, deployment(values));
    for (const id of ['Traffic', 'Registry'])
      expect(root.evaluate(ROOT.json.Resources[id]!.Properties!['Parameters'])).toMatchObject({
        ExistingKEKSecretArn: COPY,
        ExistingKEKLabel: OLD_KEK,
      });
    const registryParameters = root.evaluate(
      ROOT.json.Resources['Registry']!.Properties!['Parameters'],
    ) as Record<string, string>;
    const registry = evaluator(
      GROUPS.registry,
      deployment({ ...registryParameters, ...DEPLOY_TIME_OUTPUTS }),
    );
    expect(
      registry.conditions[GROUPS.registry.json.Resources['ProvisioningLogGroup']!.Condition!],
    ).toBe(false);
  });
});
