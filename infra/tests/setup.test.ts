import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

import { parseDefaultFrequencyPlanID } from '@tts-aws-iot/integration';
import { parse } from 'yaml';

import {
  API_KEY_SECRET_ARN,
  GROUPS,
  IOT_DATA_ENDPOINT,
  KEK_SECRET_ARN,
  PARAMETERS,
  REGION,
  ROOT,
  STACK,
  evaluator,
  properties,
  scenario,
} from './fixtures';

const setup = GROUPS.setup;

/** Secrets Manager's character classes for generated strings. */
const CHARACTER_CLASSES = {
  ExcludeUppercase: 'ABCDEFGHIJKLMNOPQRSTUVWXYZ',
  ExcludeLowercase: 'abcdefghijklmnopqrstuvwxyz',
  ExcludeNumbers: '0123456789',
  ExcludePunctuation: '!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~',
} as const;

describe('the KEK secret', () => {
  const secret = properties(setup, 'KekSecret') as {
    Name: string;
    GenerateSecretString: Record<string, unknown> & {
      SecretStringTemplate: string;
      GenerateStringKey: string;
    };
  };
  const generate = secret.GenerateSecretString;

  it('is named <stack>/kek', () => {
    expect(secret.Name).toBe(`${STACK}/kek`);
  });

  it('is generated as 32 hex digits drawn uniformly: an AES-128 key with 128 bits of entropy', () => {
    const excluded = new Set(String(generate['ExcludeCharacters'] ?? ''));
    const alphabet = Object.entries(CHARACTER_CLASSES)
      .filter(([option]) => generate[option] !== true)
      .flatMap(([, characters]) => [...characters])
      .filter((character) => !excluded.has(character))
      .sort()
      .join('');
    expect(alphabet).toBe('0123456789abcdef');
    expect(generate['IncludeSpace']).toBe(false);
    expect(generate['PasswordLength']).toBe(32);
    // Requiring a digit and a letter would skew the draw away from uniform.
    expect(generate['RequireEachIncludedType']).toBe(false);
  });

  it('is a ring {"current":"<label>","<label>":"<32 hex>"} whose current label names the generated key', () => {
    const template = JSON.parse(generate.SecretStringTemplate) as Record<string, unknown>;
    expect(Object.keys(template)).toEqual(['current']);
    expect(template['current']).toBe(generate.GenerateStringKey);
    expect(generate.GenerateStringKey).toBe(`${STACK}-kek-1`);
  });
});

describe('the KEK secret on uninstall', () => {
  it('is retained when the stack is deleted or the secret replaced, and the README says how to delete it once no device needs it', () => {
    const raw = setup.json.Resources['KekSecret'] as {
      DeletionPolicy?: string;
      UpdateReplacePolicy?: string;
    };
    expect(raw.DeletionPolicy).toBe('Retain');
    expect(raw.UpdateReplacePolicy).toBe('Retain');
    const readme = readFileSync(resolve(__dirname, '../../README.md'), 'utf8');
    const uninstall = readme.slice(readme.indexOf('### Uninstall'));
    expect(uninstall).toMatch(/aws secretsmanager delete-secret --secret-id <stack>\/kek/);
    expect(uninstall).toMatch(/aws kms schedule-key-deletion --key-id/);
  });
});

describe('the API key secret', () => {
  it('is named <stack>/api-key and holds the NoEcho ApplicationAPIKey parameter', () => {
    expect(properties(setup, 'ApiKeySecret')).toMatchObject({
      Name: `${STACK}/api-key`,
      SecretString: PARAMETERS['ApplicationAPIKey'],
    });
    expect(setup.json.Parameters?.['ApplicationAPIKey']?.NoEcho).toBe(true);
  });
});

describe('the custom resources', () => {
  it('create the thing type of the ThingTypeName parameter, telling it the stack that shares it', () => {
    expect(properties(setup, 'ThingType', scenario({ ThingTypeName: 'my-type' }))).toEqual({
      ServiceToken: '<ThingTypeFunction.Arn>',
      ThingTypeName: 'my-type',
      StackName: STACK,
    });
  });

  it.each([
    ['Enabled', 'true'],
    ['Disabled', 'false'],
  ])(
    'configure the pub/sub with the properties docs/architecture.md lists (E2E %s: %s)',
    (parameter, e2e) => {
      expect(
        properties(setup, 'PubSub', scenario({ EnableEndToEndEncryption: parameter })),
      ).toEqual({
        ServiceToken: '<PubSubFunction.Arn>',
        ApplicationID: 'my-app',
        ClusterAddress: 'eu1.cloud.thethings.industries',
        StackName: STACK,
        Region: REGION,
        RoleArn: '<TheThingsStackRole.Arn>',
        ExternalId: '1c2fa620-982a-11e3-aff7-50e2416294e0',
        EndpointAddress: IOT_DATA_ENDPOINT,
        EnableEndToEndEncryption: e2e,
        KekSecretId: KEK_SECRET_ARN,
        ApiKeySecretId: API_KEY_SECRET_ARN,
      });
    },
  );

  it("output the role, the secrets and the account's IoT data endpoint", () => {
    const outputs = evaluator(setup).evaluate(setup.json.Outputs) as Record<
      string,
      { Value: string }
    >;
    expect(outputs['RoleArn']?.Value).toBe('<TheThingsStackRole.Arn>');
    expect(outputs['KekSecretArn']?.Value).toBe(KEK_SECRET_ARN);
    expect(outputs['ApiKeySecretArn']?.Value).toBe(API_KEY_SECRET_ARN);
    expect(outputs['IotDataEndpoint']?.Value).toBe(IOT_DATA_ENDPOINT);
  });
});

describe('regions', () => {
  const supported = (template: typeof setup): string[] => {
    const rule = template.json.Rules?.['SupportedRegion'] as {
      Assertions: { Assert: { 'Fn::Contains': [string[], unknown] } }[];
    };
    return [...rule.Assertions[0]!.Assert['Fn::Contains'][0]].sort();
  };
  const plans = GROUPS.registry.json.Mappings!['FrequencyPlans']!;

  it('accepts the same regions in setup and registry, each with a default frequency plan, and lints in all of them', () => {
    const regions = supported(setup);
    expect(regions).toHaveLength(20);
    expect(supported(GROUPS.registry)).toEqual(regions);
    expect(Object.keys(plans).sort()).toEqual(regions);
    const lint = parse(readFileSync(resolve(__dirname, '../.cfnlintrc.yaml'), 'utf8')) as {
      regions: string[];
    };
    expect([...lint.regions].sort()).toEqual(regions);
  });

  it('names plans the registry functions accept as DEFAULT_FREQUENCY_PLAN_ID', () => {
    for (const { ID } of Object.values(plans) as { ID: string }[]) {
      expect(parseDefaultFrequencyPlanID(ID)).toBe(ID);
    }
  });

  it.each([
    ['eu-west-1', 'EU_863_870_TTN'],
    ['eu-central-1', 'EU_863_870_TTN'],
    ['us-east-1', 'US_902_928_FSB_2'],
    ['ap-southeast-2', 'AU_915_928_FSB_2'],
    ['ap-northeast-1', 'AS_920_923'],
  ])('defaults devices in %s to the frequency plan %s', (region, plan) => {
    expect(plans[region]).toEqual({ ID: plan });
    expect(
      evaluator(GROUPS.registry, { ...scenario(), region }).evaluate(
        GROUPS.registry.json.Outputs!['DefaultFrequencyPlanID']!.Value,
      ),
    ).toBe(plan);
  });

  it('outputs the default plan from the root stack too', () => {
    expect(evaluator(ROOT).evaluate(ROOT.json.Outputs!['DefaultFrequencyPlanID']!.Value)).toBe(
      '<Registry.Outputs.DefaultFrequencyPlanID>',
    );
  });
});
