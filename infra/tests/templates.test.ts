import { existsSync } from 'node:fs';
import { relative, resolve } from 'node:path';

import { accepts, resourcesOfType, type ParameterJson, type Template } from './cloudformation';
import { ALL_TEMPLATES, GROUPS, ROOT, SCENARIOS, STACK, evaluator, type Group } from './fixtures';

const name = (template: Template): string => relative(resolve(__dirname, '..'), template.path);

/** The parameters The Things Stack's documented templates name (docs/architecture.md, "Names"). */
const ANCHOR_PARAMETERS = [
  'ThingTypeName',
  'ThingNameScheme',
  'ThingShadowMetrics',
  'ClusterAddress',
  'ApplicationID',
  'ApplicationAPIKey',
  'EnableEndToEndEncryption',
  'PrincipalAccountID',
  'CheckVersion',
];

describe('the root template', () => {
  const nested = resourcesOfType(ROOT.json, 'AWS::Serverless::Application');

  it('nests one stack per function group, each from the template in its own folder', () => {
    const locations = Object.fromEntries(
      nested.map((id) => [id, String(ROOT.json.Resources[id]!.Properties!['Location'])]),
    );
    expect(locations).toEqual({
      Setup: 'setup/template.yaml',
      Traffic: 'traffic/template.yaml',
      Registry: 'registry/template.yaml',
    });
    for (const location of Object.values(locations))
      expect(existsSync(resolve(ROOT.dir, location))).toBe(true);
  });

  it.each(nested)(
    'passes %s exactly the parameters its template declares, each one it accepts',
    (id) => {
      const group = id.toLowerCase() as Group;
      const declared = GROUPS[group].json.Parameters ?? {};
      const passed = evaluator(ROOT).evaluate(
        ROOT.json.Resources[id]!.Properties!['Parameters'],
      ) as Record<string, string>;
      expect(Object.keys(passed).sort()).toEqual(Object.keys(declared).sort());
      for (const [parameter, value] of Object.entries(passed)) {
        // Deploy-time values (outputs of a sibling stack) are checked against the outputs below.
        if (value.startsWith('<')) continue;
        expect({ parameter, accepted: accepts(declared[parameter]!, value) }).toEqual({
          parameter,
          accepted: true,
        });
      }
    },
  );

  it('reads only outputs that the nested stacks declare', () => {
    const reads = JSON.stringify(ROOT.json).matchAll(
      /\["(Setup|Traffic|Registry)","Outputs\.([A-Za-z0-9]+)"\]/g,
    );
    let count = 0;
    for (const [, stack, output] of reads) {
      count += 1;
      expect({
        stack,
        output,
        declared: Boolean(GROUPS[stack!.toLowerCase() as Group].json.Outputs?.[output!]),
      }).toEqual({
        stack,
        output,
        declared: true,
      });
    }
    expect(count).toBeGreaterThan(0);
  });

  it("outputs the region's default frequency plan, the role and its ExternalId, the secrets and the IoT data endpoint", () => {
    expect(Object.keys(ROOT.json.Outputs ?? {})).toEqual(
      expect.arrayContaining([
        'CrossAccountRoleArn',
        'DefaultFrequencyPlanID',
        'ExternalId',
        'RoleArn',
        'KekSecretArn',
        'ApiKeySecretArn',
        'IotDataEndpoint',
        'ProvisioningLogGroup',
      ]),
    );
  });

  it.each(['CrossAccountRoleArn', 'DefaultFrequencyPlanID'])(
    'exports %s as <stack>:%s, as the documented templates do',
    (output) => {
      const outputs = evaluator(ROOT).evaluate(ROOT.json.Outputs) as Record<
        string,
        { Export?: { Name: string } }
      >;
      expect(outputs[output]?.Export).toEqual({ Name: `${STACK}:${output}` });
    },
  );

  it("outputs the ExternalId that the role's trust policy requires", () => {
    const setup = evaluator(GROUPS.setup);
    const trust = (
      setup.evaluate(GROUPS.setup.json.Resources['TheThingsStackRole']!.Properties) as {
        AssumeRolePolicyDocument: {
          Statement: { Condition: { StringEquals: Record<string, string> } }[];
        };
      }
    ).AssumeRolePolicyDocument.Statement[0]!.Condition.StringEquals['sts:ExternalId'];
    expect(setup.evaluate(GROUPS.setup.json.Outputs!['ExternalId']!.Value)).toBe(trust);
    expect(ROOT.json.Outputs!['ExternalId']!.Value).toEqual({
      'Fn::GetAtt': ['Setup', 'Outputs.ExternalId'],
    });
  });
});

describe("the stack's name", () => {
  it('is not asked for again: the root passes its own AWS::StackName to every nested stack', () => {
    expect(ROOT.json.Parameters).not.toHaveProperty('StackName');
    for (const id of resourcesOfType(ROOT.json, 'AWS::Serverless::Application'))
      expect(ROOT.json.Resources[id]!.Properties!['Parameters']).toMatchObject({
        StackName: { Ref: 'AWS::StackName' },
      });
  });

  it.each(['a_b', 'a'.repeat(115), '1stack', '-stack', ''])(
    'is refused by every nested stack when it is %j, before that stack creates anything',
    (value) => {
      for (const group of Object.values(GROUPS))
        expect(accepts(group.json.Parameters!['StackName']!, value)).toBe(false);
    },
  );

  it.each(['my-stack', 'A', 'a'.repeat(114)])('is accepted as %j', (value) => {
    for (const group of Object.values(GROUPS))
      expect(accepts(group.json.Parameters!['StackName']!, value)).toBe(true);
  });
});

describe('parameters', () => {
  it("keeps the names of The Things Stack's documented templates, each described, with defaults and allowed values where it has choices", () => {
    const parameters = ROOT.json.Parameters ?? {};
    expect(Object.keys(parameters)).toEqual(expect.arrayContaining(ANCHOR_PARAMETERS));
    for (const [parameter, definition] of Object.entries(parameters)) {
      expect({ parameter, described: (definition.Description ?? '').length > 10 }).toEqual({
        parameter,
        described: true,
      });
      expect({
        parameter,
        constrained: Boolean(definition.AllowedValues ?? definition.AllowedPattern),
      }).toEqual({
        parameter,
        constrained: true,
      });
    }
    expect(parameters['ThingTypeName']?.Default).toBe('lorawan');
    expect(parameters['ThingNameScheme']).toMatchObject({
      Default: 'DevEUI',
      AllowedValues: ['DevEUI', 'DeviceID'],
    });
    for (const parameter of ['ThingShadowMetrics', 'EnableEndToEndEncryption', 'CheckVersion'])
      expect(parameters[parameter]?.AllowedValues).toEqual(['Enabled', 'Disabled']);
    expect(parameters['PrincipalAccountID']?.Default).toBe('678672909819');
  });

  it.each(ALL_TEMPLATES.map((template) => [name(template), template] as const))(
    '%s hides the API key (NoEcho) wherever it takes it',
    (_, template) => {
      const apiKey = template.json.Parameters?.['ApplicationAPIKey'];
      if (template === ROOT || template === GROUPS.setup) expect(apiKey).toBeDefined();
      if (apiKey) expect(apiKey.NoEcho).toBe(true);
    },
  );

  it('declares each parameter the same way in every template that takes it', () => {
    const seen = new Map<string, { template: string; definition: string }>();
    for (const template of ALL_TEMPLATES) {
      for (const [parameter, definition] of Object.entries(template.json.Parameters ?? {})) {
        const { Description: _, ...constraints } = definition;
        const current = { template: name(template), definition: JSON.stringify(constraints) };
        const first = seen.get(parameter);
        if (first)
          expect({ parameter, ...current, definition: current.definition }).toEqual({
            parameter,
            ...current,
            definition: first.definition,
          });
        else seen.set(parameter, current);
      }
    }
  });

  const definition = (parameter: string): ParameterJson =>
    (ROOT.json.Parameters?.[parameter] ?? GROUPS.traffic.json.Parameters?.[parameter])!;

  it.each([
    [
      'ClusterAddress',
      [
        'eu1.cloud.thethings.industries',
        'https://tts.example.com',
        'tts.example.com:8443',
        // The community clusters The Things Stack's documentation lists, as written there.
        'eu1.cloud.thethings.network',
        'nam1.cloud.thethings.network',
        'au1.cloud.thethings.network',
      ],
      ['', 'eu1 cloud', 'http://tts.example.com', 'tts.example.com/api/v3?x'],
    ],
    [
      'ApplicationID',
      ['my-app', 'app1', 'a'.repeat(36)],
      ['My-App', 'ab', 'my--app', '-app', 'app-', 'a'.repeat(37)],
    ],
    ['PrincipalAccountID', ['123456789012'], ['12345678901', '1234567890123', 'abcdefghijkl']],
    ['ApplicationAPIKey', ['NNSXS.ABC234.DEF567'], ['', 'NNSXS.abc.def', 'ABC.DEF', 'NNSXS.ABC']],
    ['ThingTypeName', ['lorawan', 'my:type_1-a'], ['my type', 'a/b', 'x'.repeat(129)]],
    [
      'ReleaseManifestURL',
      ['', 'https://releases.example.com/tts-aws-iot/release-manifest.json'],
      ['http://releases.example.com/m.json', 'releases.example.com/m.json', 'https://a b'],
    ],
    [
      'ExistingKEKSecretArn',
      ['', 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:old-stack-kek-AbCdEf'],
      ['old-stack-kek', 'arn:aws:kms:eu-west-1:123456789012:key/1'],
    ],
    [
      'IotDataEndpoint',
      ['a1b2c3d4e5f6g7-ats.iot.eu-west-1.amazonaws.com'],
      ['https://a1-ats.iot.eu-west-1.amazonaws.com', 'example.com'],
    ],
  ])('%s accepts %j and refuses %j', (parameter, good, bad) => {
    for (const value of good)
      expect({ value, accepted: accepts(definition(parameter), value) }).toEqual({
        value,
        accepted: true,
      });
    for (const value of bad)
      expect({ value, accepted: accepts(definition(parameter), value) }).toEqual({
        value,
        accepted: false,
      });
  });
});

describe.each(ALL_TEMPLATES.map((template) => [name(template), template] as const))(
  '%s',
  (_, template) => {
    it.each(SCENARIOS)(
      'resolves every reference when deployed with $name',
      ({ scenario: given }) => {
        const evaluate = evaluator(template, given);
        expect(() => evaluate.evaluate(template.json.Resources)).not.toThrow();
        expect(() => evaluate.evaluate(template.json.Outputs ?? {})).not.toThrow();
      },
    );

    it('uses the SAM transform and declares the template format version', () => {
      expect(template.json.Transform).toBe('AWS::Serverless-2016-10-31');
      expect(
        (template.json as { AWSTemplateFormatVersion?: string }).AWSTemplateFormatVersion,
      ).toBe('2010-09-09');
    });
  },
);
