import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { CreateThingTypeCommand, IoTClient } from '@aws-sdk/client-iot';
import {
  describeWithCommand,
  describeWithMoto,
  runContainer,
  startCloudFormationReceiver,
  startMoto,
  type MotoServer,
} from '@tts-aws-iot/test-kit';
import { unzipSync } from 'fflate';
import { parse } from 'yaml';

import { CFN_LINT, cfnLint } from './cfn-lint';
import { loadTemplate, resourcesOfType, type Template } from './cloudformation';
import {
  FUNCTIONS,
  FUNCTION_IDS,
  GROUPS,
  REPOSITORY,
  ROOT,
  functionEnvironment,
  type FunctionId,
} from './fixtures';

/**
 * `npm run package` (tools/scripts/package.mjs) of the bundles the infra tests build: the
 * release a user deploys without Node, Nx or SAM.
 */
const OUT = mkdtempSync(join(tmpdir(), 'release-'));
const MANIFEST_URL = 'https://releases.example.com/tts-aws-iot/release-manifest.json';
const PACKAGED = { template: ROOT, ...GROUPS } as const satisfies Record<string, Template>;
const VERSION = (
  JSON.parse(readFileSync(join(REPOSITORY, 'package.json'), 'utf8')) as { version: string }
).version;

beforeAll(() => {
  execFileSync(
    process.execPath,
    ['tools/scripts/package.mjs', '--no-build', '--out', OUT, '--manifest-url', MANIFEST_URL],
    { cwd: REPOSITORY, encoding: 'utf8', timeout: 60_000 },
  );
}, 60_000);

afterAll(() => rmSync(OUT, { recursive: true, force: true }));

/** The file the formatter engine reads on its first JavaScript formatter, and who needs it. */
const QUICKJS_WASM = 'emscripten-module.wasm';
const FORMATTING_PACKAGES = ['downlink', 'uplink'];

const packaged = (name: keyof typeof PACKAGED): Template => loadTemplate(join(OUT, `${name}.yaml`));

describe('npm run package', () => {
  it('writes a zip per function, the four templates and release-manifest.json, with the hash of each artifact', () => {
    const zips = [...new Set(FUNCTION_IDS.map((id) => `${FUNCTIONS[id].package}.zip`))];
    const templates = Object.keys(PACKAGED).map((name) => `${name}.yaml`);
    expect(readdirSync(OUT).sort()).toEqual(
      [...zips, ...templates, 'release-manifest.json'].sort(),
    );
    const manifest = JSON.parse(readFileSync(join(OUT, 'release-manifest.json'), 'utf8')) as {
      version: string;
      artifacts: Record<string, string>;
    };
    expect(manifest.version).toBe(VERSION);
    expect(Object.keys(manifest.artifacts).sort()).toEqual([...zips, ...templates].sort());
    for (const [file, hash] of Object.entries(manifest.artifacts))
      expect({
        file,
        hash: createHash('sha256')
          .update(readFileSync(join(OUT, file)))
          .digest('hex'),
      }).toEqual({ file, hash });
  });

  it("zips QuickJS's WebAssembly file beside index.js for the functions that run payload formatters, and for no other", () => {
    const wasm = readFileSync(require.resolve('@jitl/quickjs-wasmfile-release-sync/wasm'));
    const packages = [...new Set(FUNCTION_IDS.map((id) => FUNCTIONS[id].package))].sort();
    const contents = packages.map((name) => {
      const files = unzipSync(readFileSync(join(OUT, `${name}.zip`)));
      const engine = files[QUICKJS_WASM];
      if (engine !== undefined) expect(Buffer.from(engine).equals(wasm)).toBe(true);
      return [name, Object.keys(files).sort()];
    });
    const runsFormatters = (name: string) => FORMATTING_PACKAGES.includes(name);
    expect(contents).toEqual(
      packages.map((name) => [
        name,
        [...(runsFormatters(name) ? [QUICKJS_WASM] : []), 'index.js', 'package.json'],
      ]),
    );
  });

  it('writes the same bytes again for the same bundles (the hashes name the contents)', () => {
    const again = mkdtempSync(join(tmpdir(), 'release-'));
    try {
      execFileSync(
        process.execPath,
        ['tools/scripts/package.mjs', '--no-build', '--out', again, '--manifest-url', MANIFEST_URL],
        {
          cwd: REPOSITORY,
          timeout: 60_000,
        },
      );
      expect(readFileSync(join(again, 'release-manifest.json'), 'utf8')).toBe(
        readFileSync(join(OUT, 'release-manifest.json'), 'utf8'),
      );
    } finally {
      rmSync(again, { recursive: true, force: true });
    }
  }, 60_000);

  it('refuses a --manifest-url that is not https://, saying so', () => {
    expect(() =>
      execFileSync(
        process.execPath,
        [
          'tools/scripts/package.mjs',
          '--no-build',
          '--out',
          join(OUT, 'x'),
          '--manifest-url',
          'http://x',
        ],
        {
          cwd: REPOSITORY,
          encoding: 'utf8',
          stdio: 'pipe',
        },
      ),
    ).toThrow('--manifest-url "http://x" is not an https:// URL');
  });

  it.each(Object.keys(PACKAGED) as (keyof typeof PACKAGED)[])(
    'declares in %s.yaml the resources of the SAM template, with the same types (nested stacks as SAM deploys them)',
    (name) => {
      const sam = PACKAGED[name].json.Resources;
      const release = packaged(name).json.Resources;
      expect(Object.keys(release).sort()).toEqual(Object.keys(sam).sort());
      for (const [id, resource] of Object.entries(sam)) {
        const type =
          resource.Type === 'AWS::Serverless::Application'
            ? 'AWS::CloudFormation::Stack'
            : resource.Type;
        expect({ id, type: release[id]!.Type }).toEqual({ id, type });
      }
    },
  );

  it.each(Object.keys(GROUPS) as (keyof typeof GROUPS)[])(
    'points every function of %s.yaml at its zip under ArtifactBucket/ArtifactPrefix',
    (name) => {
      const template = packaged(name);
      for (const id of resourcesOfType(template.json, 'AWS::Serverless::Function')) {
        expect(template.json.Resources[id]!.Properties!['CodeUri']).toEqual({
          Bucket: { Ref: 'ArtifactBucket' },
          Key: { 'Fn::Sub': `\${ArtifactPrefix}${FUNCTIONS[id as FunctionId].package}.zip` },
        });
      }
    },
  );

  it('nests the packaged templates from the same bucket and prefix, and passes both on', () => {
    const root = packaged('template');
    for (const id of ['Setup', 'Traffic', 'Registry']) {
      const properties = root.json.Resources[id]!.Properties!;
      expect(properties['TemplateURL']).toEqual({
        'Fn::Sub': `https://\${ArtifactBucket}.s3.\${AWS::Region}.\${AWS::URLSuffix}/\${ArtifactPrefix}${id.toLowerCase()}.yaml`,
      });
      expect(properties['Parameters']).toMatchObject({
        ArtifactBucket: { Ref: 'ArtifactBucket' },
        ArtifactPrefix: { Ref: 'ArtifactPrefix' },
      });
    }
  });

  it('groups ArtifactBucket and ArtifactPrefix first in the console', () => {
    const metadata = (
      packaged('template').json as {
        Metadata?: Record<string, { ParameterGroups: { Parameters: string[] }[] }>;
      }
    ).Metadata!['AWS::CloudFormation::Interface']!;
    expect(metadata.ParameterGroups[0]!.Parameters).toEqual(['ArtifactBucket', 'ArtifactPrefix']);
  });

  it('gives ReleaseManifestURL the channel it was packaged for, and keeps the documented parameters', () => {
    const root = packaged('template').json.Parameters!;
    expect(root['ReleaseManifestURL']?.Default).toBe(MANIFEST_URL);
    expect(Object.keys(root).sort()).toEqual(
      [...Object.keys(ROOT.json.Parameters!), 'ArtifactBucket', 'ArtifactPrefix'].sort(),
    );
  });
});

describe('npm run package -- --bucket <name> --prefix <prefix/>', () => {
  it('makes them the defaults of ArtifactBucket and ArtifactPrefix, so a documented parameter file deploys the release unchanged', () => {
    const out = mkdtempSync(join(tmpdir(), 'release-'));
    try {
      execFileSync(
        process.execPath,
        [
          'tools/scripts/package.mjs',
          '--no-build',
          '--out',
          out,
          '--bucket',
          'my-releases',
          '--prefix',
          'tts-aws-iot/0.1.0/',
        ],
        { cwd: REPOSITORY, timeout: 60_000 },
      );
      const documented = (
        JSON.parse(
          readFileSync(join(__dirname, 'fixtures', 'documented-parameters.community.json'), 'utf8'),
        ) as { ParameterKey: string }[]
      ).map((entry) => entry.ParameterKey);
      for (const name of Object.keys(PACKAGED)) {
        const parameters = loadTemplate(join(out, `${name}.yaml`)).json.Parameters!;
        expect(parameters['ArtifactBucket']?.Default).toBe('my-releases');
        expect(parameters['ArtifactPrefix']?.Default).toBe('tts-aws-iot/0.1.0/');
        if (name !== 'template') continue;
        const required = Object.entries(parameters)
          .filter(([, parameter]) => parameter.Default === undefined)
          .map(([key]) => key);
        for (const key of required)
          expect({ key, given: documented.includes(key) }).toEqual({ key, given: true });
      }
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }, 60_000);

  it('refuses a bucket or prefix that the templates would refuse', () => {
    for (const [option, value] of [
      ['--bucket', 'My_Bucket'],
      ['--prefix', 'no-slash'],
    ])
      expect(() =>
        execFileSync(
          process.execPath,
          ['tools/scripts/package.mjs', '--no-build', '--out', join(OUT, 'x'), option!, value!],
          { cwd: REPOSITORY, encoding: 'utf8', stdio: 'pipe' },
        ),
      ).toThrow(`${option} "${value}" is not`);
  });
});

describeWithCommand('cfn-lint', CFN_LINT, () => {
  it('finds nothing in any packaged template, in any supported region', () => {
    const config = parse(readFileSync(join(REPOSITORY, 'infra', '.cfnlintrc.yaml'), 'utf8')) as {
      regions: string[];
    };
    const templates = Object.keys(PACKAGED).map((name) => `${name}.yaml`);
    expect(
      cfnLint(
        [
          '--include-checks',
          'I',
          '--ignore-checks',
          'I3011',
          '--regions',
          ...config.regions,
          '--',
          ...templates,
        ],
        OUT,
      ),
    ).toEqual({ status: 0, output: '' });
  }, 300_000);
});

/** An event each function answers on its own, and how the answer looks. */
const SMOKE: Record<FunctionId, (responseURL: string) => { event: unknown; answer: unknown }> = {
  // A message that is no TTS message: rejected (answered, not retried).
  UplinkFunction: () => ({ event: {}, answer: null }),
  // A request that names no thing: answered on lorawan/downlink/failed.
  DownlinkFunction: () => ({ event: {}, answer: null }),
  // A queued registry event of a thing update, which changes no TTS device.
  CreateDeviceFunction: () => ({ event: queuedUpdate(), answer: { batchItemFailures: [] } }),
  ClaimFunction: () => ({ event: queuedUpdate(), answer: { batchItemFailures: [] } }),
  ThingTypeFunction: (url) => ({
    event: failedCreateDelete('Custom::ThingType', url),
    answer: null,
  }),
  PubSubFunction: (url) => ({ event: failedCreateDelete('Custom::PubSub', url), answer: null }),
  VersionCheckFunction: () => ({
    event: { 'detail-type': 'Scheduled Event', source: 'aws.events', detail: {} },
    answer: expect.objectContaining({ result: 'unknown', current: VERSION }),
  }),
};

function queuedUpdate(): Record<string, unknown> {
  const body = {
    eventType: 'THING_EVENT',
    eventId: 'smoke-1',
    timestamp: 1,
    operation: 'UPDATED',
    accountId: '123456789012',
    thingId: 'smoke',
    thingName: '0004A30B001C0530',
    versionNumber: 2,
    thingTypeName: 'lorawan',
    attributes: { devEUI: '0004A30B001C0530', stackName: 'my-stack' },
  };
  return {
    Records: [
      {
        messageId: 'm-1',
        eventSource: 'aws:sqs',
        body: JSON.stringify(body),
        attributes: { ApproximateReceiveCount: '1' },
      },
    ],
  };
}

/** The Delete that follows a failed Create: the function answers SUCCESS without any call. */
function failedCreateDelete(type: string, responseURL: string): Record<string, unknown> {
  return {
    RequestType: 'Delete',
    ResponseURL: responseURL,
    StackId: 'arn:aws:cloudformation:eu-west-1:123456789012:stack/my-stack/1',
    RequestId: `smoke-${type}`,
    LogicalResourceId: 'Smoke',
    ResourceType: type,
    PhysicalResourceId: 'create-failed#r-0',
    ResourceProperties: { ServiceToken: 'arn:aws:lambda:eu-west-1:123456789012:function:x' },
  };
}

describeWithMoto('every zip, unpacked', () => {
  let moto: MotoServer;
  let receiver: Awaited<ReturnType<typeof startCloudFormationReceiver>>;

  beforeAll(async () => {
    [moto, receiver] = await Promise.all([startMoto(), startCloudFormationReceiver()]);
    const iot = new IoTClient(moto.clientConfig);
    await iot.send(new CreateThingTypeCommand({ thingTypeName: 'lorawan' }));
    iot.destroy();
  }, 60_000);

  afterAll(async () => {
    await Promise.all([moto?.stop(), receiver?.close()]);
  });

  it.each(FUNCTION_IDS)(
    'loads the handler of %s and answers a smoke event',
    async (id) => {
      const folder = join(OUT, 'unpacked', id);
      mkdirSync(folder, { recursive: true });
      const files = unzipSync(readFileSync(join(OUT, `${FUNCTIONS[id].package}.zip`)));
      expect(Object.keys(files)).toContain('index.js');
      for (const [name, bytes] of Object.entries(files)) writeFileSync(join(folder, name), bytes);
      const { event, answer } = SMOKE[id](receiver.url());
      const { outcomes } = await runContainer(
        join(folder, 'index.js'),
        {
          ...functionEnvironment(id),
          ...moto.env,
          // The release-manifest host of the sample parameters is not there: checked, unknown.
          RELEASE_MANIFEST_URL: 'http://127.0.0.1:9/release-manifest.json',
          ALLOW_HTTP_MANIFEST: 'true',
          POWERTOOLS_TRACE_ENABLED: 'false',
          POWERTOOLS_METRICS_DISABLED: 'true',
        },
        [event],
      );
      expect(outcomes).toEqual([{ ok: true, value: answer }]);
    },
    60_000,
  );

  it('answered CloudFormation SUCCESS for both custom resources', () => {
    expect(
      receiver.received.map((response) => [
        response.json['LogicalResourceId'],
        response.json['Status'],
      ]),
    ).toEqual([
      ['Smoke', 'SUCCESS'],
      ['Smoke', 'SUCCESS'],
    ]);
  });
});
