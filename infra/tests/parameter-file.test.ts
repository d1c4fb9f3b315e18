import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { accepts, resourcesOfType, type Scenario } from './cloudformation';
import { ACCOUNT, GROUPS, REGION, ROOT, evaluator, type Group } from './fixtures';

/**
 * A parameter file written for The Things Stack's documented templates (the format of
 * `aws cloudformation create-stack --parameters file://…`), with exactly the parameters
 * those templates take and values as their documentation writes them. It must deploy this
 * stack unchanged, and an update of such a stack with "Replace current template" must find
 * every parameter it had.
 */
const FILE = join(__dirname, 'fixtures', 'documented-parameters.json');
const DOCUMENTED = (
  JSON.parse(readFileSync(FILE, 'utf8')) as { ParameterKey: string; ParameterValue: string }[]
).map(({ ParameterKey, ParameterValue }) => [ParameterKey, ParameterValue] as const);
const VALUES = Object.fromEntries(DOCUMENTED);

const declared = ROOT.json.Parameters ?? {};

const deployment = (parameters: Readonly<Record<string, string>>): Scenario => ({
  parameters,
  region: REGION,
  accountId: ACCOUNT,
  stackName: 'my-integration',
});

describe("a parameter file for The Things Stack's documented templates", () => {
  it('holds the documented parameters, each once', () => {
    expect(DOCUMENTED.map(([key]) => key).sort()).toEqual(
      [
        'ApplicationAPIKey',
        'ApplicationID',
        'CheckVersion',
        'ClusterAddress',
        'EnableEndToEndEncryption',
        'PrincipalAccountID',
        'ThingNameScheme',
        'ThingShadowMetrics',
        'ThingTypeName',
      ].sort(),
    );
  });

  it('names only parameters the root template declares (so UsePreviousValue finds each on an update)', () => {
    for (const [key] of DOCUMENTED)
      expect({ key, declared: key in declared }).toEqual({ key, declared: true });
  });

  it('gives every parameter that has no default: nothing else is required', () => {
    const required = Object.entries(declared)
      .filter(([, parameter]) => parameter.Default === undefined)
      .map(([key]) => key);
    for (const key of required) expect({ key, given: key in VALUES }).toEqual({ key, given: true });
  });

  it.each(DOCUMENTED)(
    'gives %s a value within its AllowedValues and AllowedPattern (%j)',
    (key, value) => {
      expect(accepts(declared[key]!, value)).toBe(true);
    },
  );

  it('refuses the values this stack used to take, so a mixed-up file fails before anything is created', () => {
    expect(accepts(declared['EnableEndToEndEncryption']!, 'true')).toBe(false);
    expect(accepts(declared['ThingShadowMetrics']!, 'false')).toBe(false);
    expect(declared).not.toHaveProperty('ApplicationApiKey');
  });

  it.each(resourcesOfType(ROOT.json, 'AWS::Serverless::Application'))(
    'deploys the %s stack with values its template accepts, each parameter it needs given',
    (id) => {
      const group = GROUPS[id.toLowerCase() as Group];
      const passed = evaluator(ROOT, deployment(VALUES)).evaluate(
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
    expect(() => evaluator(ROOT, deployment(VALUES)).evaluate(ROOT.json)).not.toThrow();
    for (const group of Object.values(GROUPS)) {
      const nested = { ...VALUES, StackName: 'my-integration', ...DEPLOY_TIME_OUTPUTS };
      expect(() =>
        evaluator(group, deployment(nested)).evaluate(group.json.Resources),
      ).not.toThrow();
    }
  });
});

/** The setup stack's outputs that traffic and registry take, as a deployment would give them. */
const DEPLOY_TIME_OUTPUTS = {
  KekSecretArn: `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:my-integration/kek-AbCdEf`,
  ApiKeySecretArn: `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:my-integration/api-key-AbCdEf`,
  IotDataEndpoint: `a1b2c3-ats.iot.${REGION}.amazonaws.com`,
  KmsKeyArn: `arn:aws:kms:${REGION}:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`,
};
