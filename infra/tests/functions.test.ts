import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

import { parseConfig } from '@tts-aws-iot/integration';

import { functionProperties, resourcesOfType } from './cloudformation';
import {
  FUNCTIONS,
  FUNCTION_IDS,
  GROUPS,
  REGION,
  RELEASE_MANIFEST_URL,
  REPOSITORY,
  ROOT,
  SCENARIOS,
  STACK,
  evaluator,
  properties,
  referencedId,
  scenario,
  deployedFunction,
  functionEnvironment,
  type FunctionId,
} from './fixtures';
import { allows, permissionStatements } from './policy';

const deployed = deployedFunction;
const environment = functionEnvironment;

/** Functions that something invokes asynchronously: IoT rules and CloudFormation custom resources. */
function asynchronouslyInvoked(): Set<string> {
  const invoked = new Set<string>();
  for (const template of Object.values(GROUPS)) {
    for (const [, resource] of Object.entries(template.json.Resources)) {
      if (resource.Type === 'AWS::IoT::TopicRule') {
        const payload = resource.Properties!['TopicRulePayload'] as {
          Actions: { Lambda?: { FunctionArn: unknown } }[];
        };
        for (const action of payload.Actions)
          if (action.Lambda) invoked.add(referencedId(action.Lambda.FunctionArn)!);
      }
      if (resource.Type.startsWith('Custom::'))
        invoked.add(referencedId(resource.Properties!['ServiceToken'])!);
    }
    // EventBridge schedules invoke asynchronously too.
    for (const id of resourcesOfType(template.json, 'AWS::Serverless::Function')) {
      const events = (functionProperties(template.json, id)['Events'] ?? {}) as Record<
        string,
        { Type: string }
      >;
      if (Object.values(events).some((event) => event.Type === 'Schedule')) invoked.add(id);
    }
  }
  return invoked;
}

it('the groups hold the six functions, each in its own group', () => {
  const found = Object.fromEntries(
    Object.entries(GROUPS).flatMap(([group, template]) =>
      resourcesOfType(template.json, 'AWS::Serverless::Function').map((id) => [id, group]),
    ),
  );
  expect(found).toEqual(Object.fromEntries(FUNCTION_IDS.map((id) => [id, FUNCTIONS[id].group])));
});

/** Functions that consume an SQS queue (an SQS event source of their own). */
function queueConsumers(): Set<string> {
  const consumers = new Set<string>();
  for (const template of Object.values(GROUPS)) {
    for (const id of resourcesOfType(template.json, 'AWS::Serverless::Function')) {
      const events = (functionProperties(template.json, id)['Events'] ?? {}) as Record<
        string,
        { Type: string }
      >;
      if (Object.values(events).some((event) => event.Type === 'SQS')) consumers.add(id);
    }
  }
  return consumers;
}

it('every function is invoked by an IoT rule, as a custom resource, on a schedule, or from the queue an IoT rule fills', () => {
  expect([...asynchronouslyInvoked(), ...queueConsumers()].sort()).toEqual(
    [...FUNCTION_IDS].sort(),
  );
  expect([...queueConsumers()].sort()).toEqual(['ClaimFunction', 'CreateDeviceFunction']);
});

describe.each(FUNCTION_IDS)('%s', (id) => {
  const { group, package: packageName, logName } = FUNCTIONS[id];
  // CheckVersion exists only with CheckVersion=Enabled and a ReleaseManifestURL (the sample's).
  const template = GROUPS[group];

  it('runs on nodejs24.x on arm64, traced with X-Ray', () => {
    expect(deployed(id)).toMatchObject({
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      Tracing: 'Active',
    });
  });

  it('chooses its memory size and timeout (not the SAM defaults of 128 MB and 3 s)', () => {
    const { MemorySize, Timeout } = deployed(id) as { MemorySize: number; Timeout: number };
    expect(MemorySize).toBeGreaterThanOrEqual(256);
    expect(Timeout).toBeGreaterThanOrEqual(15);
    expect(Timeout).toBeLessThanOrEqual(900);
  });

  it(`deploys the Nx build output of packages/${packageName}, whose bundle exports the handler`, () => {
    const { CodeUri, Handler } = deployed(id) as { CodeUri: string; Handler: string };
    const folder = resolve(template.dir, CodeUri);
    expect(folder).toBe(join(REPOSITORY, 'dist', 'packages', packageName));
    const [file, exported] = Handler.split('.') as [string, string];
    const bundle = join(folder, `${file}.js`);
    if (!existsSync(bundle))
      throw new Error(
        `${bundle} is missing: run \`npx nx build ${packageName}\` (the test target depends on it).`,
      );
    // A fresh process with the function's own environment, as a Lambda cold start would load it.
    const loaded = execFileSync(
      process.execPath,
      [
        '-e',
        `const m = require(${JSON.stringify(bundle)}); process.stdout.write(typeof m[${JSON.stringify(exported)}]);`,
      ],
      {
        env: {
          PATH: process.env['PATH'],
          AWS_REGION: REGION,
          AWS_ACCESS_KEY_ID: 'testing',
          AWS_SECRET_ACCESS_KEY: 'testing',
          ...environment(id),
        },
        encoding: 'utf8',
        timeout: 30_000,
      },
    );
    expect(loaded).toBe('function');
    // The traffic functions run payload formatters: QuickJS's WebAssembly ships beside the bundle.
    const engine = join(folder, 'emscripten-module.wasm');
    expect({ engine, present: existsSync(engine) }).toEqual({
      engine,
      present: ['uplink', 'downlink'].includes(packageName),
    });
  });

  it('has a role of its own, with no policies added by SAM', () => {
    const raw = functionProperties(template.json, id);
    expect(raw['Policies']).toBeUndefined();
    const role = referencedId(raw['Role']);
    expect(template.json.Resources[role!]?.Type).toBe('AWS::IAM::Role');
    const sharing = Object.keys(FUNCTIONS).filter(
      (other) =>
        referencedId(
          functionProperties(GROUPS[FUNCTIONS[other as FunctionId].group].json, other)['Role'],
        ) === role,
    );
    expect(sharing).toEqual([id]);
  });

  it(`logs to its own log group, /aws/lambda/<stack>/${logName}, kept as long as LogRetentionInDays says`, () => {
    const raw = functionProperties(template.json, id);
    const logGroupId = referencedId(
      (raw['LoggingConfig'] as { LogGroup?: unknown } | undefined)?.LogGroup,
    );
    expect(template.json.Resources[logGroupId!]?.Type).toBe('AWS::Logs::LogGroup');
    const logGroup = properties(template, logGroupId!, scenario({ LogRetentionInDays: '90' }));
    expect(logGroup).toEqual({
      LogGroupName: `/aws/lambda/${STACK}/${logName}`,
      RetentionInDays: '90',
    });
    const role = properties(template, referencedId(raw['Role'])!);
    for (const action of ['logs:CreateLogStream', 'logs:PutLogEvents']) {
      expect(allows(permissionStatements(role), action, `<${logGroupId}.Arn>`)).toBe(true);
    }
  });

  it('sets the Powertools service name, metrics namespace and log level', () => {
    expect(environment(id, scenario({ LogLevel: 'DEBUG' }))).toMatchObject({
      POWERTOOLS_SERVICE_NAME: STACK,
      POWERTOOLS_METRICS_NAMESPACE: 'TtsAwsIot',
      POWERTOOLS_LOG_LEVEL: 'DEBUG',
    });
  });

  if (asynchronouslyInvoked().has(id))
    it('retries failed asynchronous invocations, then hands them to a dead-letter queue its role may send to', () => {
      const config = deployed(id)['EventInvokeConfig'] as {
        MaximumRetryAttempts: number;
        MaximumEventAgeInSeconds: number;
        DestinationConfig: { OnFailure: { Type: string; Destination: string } };
      };
      expect(config.MaximumRetryAttempts).toBe(2);
      expect(config.MaximumEventAgeInSeconds).toBeGreaterThanOrEqual(60);
      expect(config.DestinationConfig.OnFailure.Type).toBe('SQS');
      const queue = /^<(\w+)\.Arn>$/.exec(config.DestinationConfig.OnFailure.Destination)?.[1];
      expect(template.json.Resources[queue!]?.Type).toBe('AWS::SQS::Queue');
      const role = properties(
        template,
        referencedId(functionProperties(template.json, id)['Role'])!,
      );
      expect(allows(permissionStatements(role), 'sqs:SendMessage', `<${queue}.Arn>`)).toBe(true);
    });
});

const CUSTOM_RESOURCES: readonly FunctionId[] = ['ThingTypeFunction', 'PubSubFunction'];

describe.each(CUSTOM_RESOURCES)('%s', (id) => {
  it("takes its settings from the custom resource's properties: its environment is Powertools' only", () => {
    expect(Object.keys(environment(id)).sort()).toEqual([
      'POWERTOOLS_LOG_LEVEL',
      'POWERTOOLS_METRICS_NAMESPACE',
      'POWERTOOLS_SERVICE_NAME',
    ]);
  });
});

const TRAFFIC_AND_REGISTRY = FUNCTION_IDS.filter(
  (id) => !CUSTOM_RESOURCES.includes(id) && id !== 'VersionCheckFunction',
);

describe.each(TRAFFIC_AND_REGISTRY)('%s', (id) => {
  it.each(SCENARIOS)(
    "gets an environment that the integration's parseConfig accepts, with $name",
    ({ scenario: given }) => {
      const config = parseConfig(environment(id, given));
      expect(config).toMatchObject({
        stackName: STACK,
        thingTypeName: 'lorawan',
        thingNameScheme: given.parameters['ThingNameScheme'],
        applicationID: 'my-app',
        clusterURL: 'https://eu1.cloud.thethings.industries/api/v3',
        e2eEnabled: given.parameters['EnableEndToEndEncryption'] === 'Enabled',
        iotDataEndpoint: 'https://a1b2c3d4e5f6g7-ats.iot.eu-west-1.amazonaws.com',
      });
    },
  );
});

it("gives the registry functions the region's default frequency plan, the one the stack outputs", () => {
  for (const id of ['CreateDeviceFunction', 'ClaimFunction'] as const) {
    expect(environment(id)['DEFAULT_FREQUENCY_PLAN_ID']).toBe('EU_863_870_TTN');
  }
  expect(
    evaluator(GROUPS.registry).evaluate(
      GROUPS.registry.json.Outputs!['DefaultFrequencyPlanID']!.Value,
    ),
  ).toBe('EU_863_870_TTN');
});

describe('parameters with safe defaults', () => {
  it.each([
    ['DeleteUnmarkedDevices', 'DELETE_UNMARKED_DEVICES', ['CreateDeviceFunction', 'ClaimFunction']],
    ['AllowPlaintextSessionKeys', 'ALLOW_PLAINTEXT_SESSION_KEYS', ['UplinkFunction']],
  ] as const)(
    '%s is Disabled by default and sets %s=true|false on %j only',
    (parameter, variable, functions) => {
      for (const template of [ROOT, GROUPS[FUNCTIONS[functions[0]].group]])
        expect(template.json.Parameters?.[parameter]).toMatchObject({
          Default: 'Disabled',
          AllowedValues: ['Enabled', 'Disabled'],
        });
      for (const id of FUNCTION_IDS) {
        const expected = (functions as readonly string[]).includes(id);
        const off = environment(id)[variable];
        const on = environment(id, scenario({ [parameter]: 'Enabled' }))[variable];
        expect({ id, off, on }).toEqual(
          expected ? { id, off: 'false', on: 'true' } : { id, off: undefined, on: undefined },
        );
      }
      const group = FUNCTIONS[functions[0]].group;
      const passed = evaluator(ROOT, scenario({ [parameter]: 'Enabled' })).evaluate(
        ROOT.json.Resources[group[0]!.toUpperCase() + group.slice(1)]!.Properties!['Parameters'],
      ) as Record<string, string>;
      expect(passed[parameter]).toBe('Enabled');
    },
  );
});

describe('VersionCheckFunction (CheckVersion)', () => {
  const setup = GROUPS.setup;

  it('runs every hour with the release manifest URL and the version the template belongs to', () => {
    const raw = functionProperties(setup.json, 'VersionCheckFunction');
    expect(raw['Events']).toEqual({
      Hourly: { Type: 'Schedule', Properties: { Schedule: 'rate(1 hour)' } },
    });
    const version = (
      JSON.parse(readFileSync(join(REPOSITORY, 'package.json'), 'utf8')) as {
        version: string;
      }
    ).version;
    expect(environment('VersionCheckFunction')).toMatchObject({
      RELEASE_MANIFEST_URL: RELEASE_MANIFEST_URL,
      CURRENT_VERSION: version,
    });
  });

  it.each([
    ['Enabled', RELEASE_MANIFEST_URL, true],
    ['Disabled', RELEASE_MANIFEST_URL, false],
    ['Enabled', '', false],
  ])(
    'with CheckVersion=%s and ReleaseManifestURL %j, exists: %s (with its role, log group and alarm)',
    (CheckVersion, ReleaseManifestURL, exists) => {
      const conditions = evaluator(
        setup,
        scenario({ CheckVersion, ReleaseManifestURL }),
      ).conditions;
      for (const id of [
        'VersionCheckFunction',
        'VersionCheckRole',
        'VersionCheckLogGroup',
        'NewerReleaseAlarm',
      ]) {
        const condition = (setup.json.Resources[id] as { Condition?: string }).Condition;
        expect({ id, exists: conditions[condition!] }).toEqual({ id, exists });
      }
    },
  );

  it('raises its alarm when NewerReleaseAvailable, of this stack, is above 0', () => {
    expect(properties(setup, 'NewerReleaseAlarm')).toMatchObject({
      Namespace: 'TtsAwsIot',
      MetricName: 'NewerReleaseAvailable',
      Dimensions: [{ Name: 'service', Value: STACK }],
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
    });
  });
});

describe('default frequency plans', () => {
  /** The documented templates' plan per region, where it is one of The Things Stack's IDs. */
  const DOCUMENTED: Readonly<Record<string, string>> = {
    'af-south-1': 'EU_863_870_TTN',
    'ap-east-1': 'AS_923_925',
    'ap-northeast-1': 'AS_920_923',
    'ap-south-1': 'IN_865_867',
    'ap-southeast-1': 'AS_920_923',
    'ap-southeast-2': 'AU_915_928_FSB_2',
    'ca-central-1': 'US_902_928_FSB_2',
    'eu-central-1': 'EU_863_870_TTN',
    'eu-north-1': 'EU_863_870_TTN',
    'eu-south-1': 'EU_863_870_TTN',
    'eu-west-1': 'EU_863_870_TTN',
    'eu-west-2': 'EU_863_870_TTN',
    'eu-west-3': 'EU_863_870_TTN',
    'me-south-1': 'EU_863_870_TTN',
    'sa-east-1': 'AU_915_928_FSB_2',
    'us-east-1': 'US_902_928_FSB_2',
    'us-east-2': 'US_902_928_FSB_2',
    'us-west-1': 'US_902_928_FSB_2',
    'us-west-2': 'US_902_928_FSB_2',
    // The documented templates name KR_920_923, which The Things Stack has no plan of.
    'ap-northeast-2': 'KR_920_923_TTN',
  };

  it.each(Object.entries(DOCUMENTED))('in %s is %s, as the stack outputs it', (region, id) => {
    const given = { ...scenario(), region };
    expect(environment('CreateDeviceFunction', given)['DEFAULT_FREQUENCY_PLAN_ID']).toBe(id);
    expect(
      evaluator(GROUPS.registry, given).evaluate(
        GROUPS.registry.json.Outputs!['DefaultFrequencyPlanID']!.Value,
      ),
    ).toBe(id);
  });

  it('exist for exactly the regions the templates accept', () => {
    expect(Object.keys(GROUPS.registry.json.Mappings!['FrequencyPlans']!).sort()).toEqual(
      Object.keys(DOCUMENTED).sort(),
    );
  });
});
