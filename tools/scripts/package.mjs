// `npm run package [-- options]`: a release that deploys without Node, Nx or SAM, in
// dist/release/ (README.md, "Deploy a release"):
// - one zip per Lambda (<package>.zip, the Nx bundle as built in dist/packages/<package>/);
// - the templates (template.yaml, setup.yaml, traffic.yaml, registry.yaml), each function's
//   CodeUri pointing at <ArtifactPrefix><package>.zip in the bucket ArtifactBucket (two
//   parameters every packaged template takes), the root's nested stacks at the templates
//   beside it (AWS::CloudFormation::Stack, as SAM would deploy them);
// - release-manifest.json: the version and the SHA-256 of every artifact, which CheckVersion
//   reads.
// Options: --manifest-url <https://…/release-manifest.json> (the channel this release is
// published on: the default of ReleaseManifestURL), --bucket <name> and --prefix <key prefix/>
// (where it will be uploaded: the defaults of ArtifactBucket and ArtifactPrefix, so that a
// parameter file for The Things Stack's documented templates deploys the release unchanged),
// --out <folder>, --no-build (package the bundles already in dist/packages/).
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { zipSync } from 'fflate';
import { isMap, isScalar, parseDocument } from 'yaml';

const ROOT = resolve(import.meta.dirname, '../..');
const INFRA = join(ROOT, 'infra');
/** The nested templates by the name of their folder, and the root. */
const TEMPLATES = {
  template: 'template.yaml',
  setup: 'setup/template.yaml',
  traffic: 'traffic/template.yaml',
  registry: 'registry/template.yaml',
};
/** What the packaged templates accept as ArtifactBucket and ArtifactPrefix. */
const BUCKET = '^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$';
const PREFIX = "^([A-Za-z0-9!_.*'()/-]*/)?$";
/** Zip entries carry this time, so that a release's hashes depend on its contents only. */
const ZIP_TIME = new Date('2020-01-01T00:00:00Z');
/** The short-form intrinsic tags the templates use, kept as they are (scalar and list forms). */
const TAG_NAMES = 'Ref Condition GetAtt And Equals FindInMap If Join Not Or Select Split Sub';
const TAGS = TAG_NAMES.split(' ').flatMap((name) =>
  [undefined, 'seq'].map((collection) => ({ tag: `!${name}`, collection, resolve: (v) => v })),
);

function options(argv) {
  const value = (name) => {
    const i = argv.indexOf(name);
    if (i < 0) return undefined;
    const next = argv[i + 1];
    if (!next || next.startsWith('--')) fail(`${name} needs a value`);
    return next;
  };
  const known = new Set(['--manifest-url', '--bucket', '--prefix', '--out', '--no-build']);
  for (const arg of argv)
    if (arg.startsWith('--') && !known.has(arg))
      fail(`unknown option ${arg} (known: ${[...known].join(', ')})`);
  const manifestURL = value('--manifest-url') ?? '';
  if (manifestURL && !/^https:\/\/\S+$/.test(manifestURL))
    fail(`--manifest-url ${JSON.stringify(manifestURL)} is not an https:// URL`);
  const bucket = value('--bucket');
  if (bucket !== undefined && !new RegExp(BUCKET).test(bucket))
    fail(`--bucket ${JSON.stringify(bucket)} is not an S3 bucket name`);
  const prefix = value('--prefix');
  if (prefix !== undefined && !new RegExp(PREFIX).test(prefix))
    fail(`--prefix ${JSON.stringify(prefix)} is not a key prefix ending in /`);
  return {
    manifestURL,
    artifacts: { bucket, prefix },
    out: resolve(value('--out') ?? join(ROOT, 'dist/release')),
    build: !argv.includes('--no-build'),
  };
}

function fail(message) {
  console.error(`npm run package: ${message}.`);
  process.exit(2);
}

/** The root package.json's `build:lambdas` (Nx), with npm's own Node. */
function buildLambdas() {
  const npm = process.env['npm_execpath'];
  const build = npm
    ? spawnSync(process.execPath, [npm, 'run', 'build:lambdas'], { stdio: 'inherit', cwd: ROOT })
    : spawnSync('npm', ['run', 'build:lambdas'], { stdio: 'inherit', cwd: ROOT });
  if (build.status !== 0) fail('the Lambda build failed (see above)');
}

/** A bundle folder as a zip: every file but source maps, at a fixed time, readable by all. */
function zipBundle(folder) {
  const files = {};
  for (const name of readdirSync(folder).sort()) {
    if (name.endsWith('.map')) continue;
    files[name] = [
      readFileSync(join(folder, name)),
      { mtime: ZIP_TIME, level: 9, os: 3, attrs: 0o100644 << 16 },
    ];
  }
  if (!files['index.js'])
    fail(
      `${relative(ROOT, folder)}/index.js is missing: build the Lambdas first (drop --no-build)`,
    );
  return zipSync(files);
}

const get = (map, key) => (isMap(map) ? map.get(key, true) : undefined);

/** The parameters of every packaged template: where the zips and templates are. */
function addArtifactParameters(document, { bucket, prefix }) {
  const parameters = document.get('Parameters', true);
  parameters.set(
    'ArtifactBucket',
    document.createNode({
      Type: 'String',
      ...(bucket === undefined ? {} : { Default: bucket }),
      Description: 'The S3 bucket holding this release (in the region of the stack).',
      AllowedPattern: BUCKET,
      ConstraintDescription: 'an S3 bucket name',
    }),
  );
  parameters.set(
    'ArtifactPrefix',
    document.createNode({
      Type: 'String',
      Default: prefix ?? '',
      Description:
        'The key prefix of this release in ArtifactBucket, ending in / (e.g. tts-aws-iot/0.1.0/), or empty.',
      AllowedPattern: PREFIX,
      ConstraintDescription: 'an S3 key prefix ending in /, or empty',
    }),
  );
  // The console lists them first, under a group of their own (the root template only has groups).
  const groups = document.getIn(
    ['Metadata', 'AWS::CloudFormation::Interface', 'ParameterGroups'],
    true,
  );
  groups?.items.unshift(
    document.createNode({
      Label: { default: 'Release' },
      Parameters: ['ArtifactBucket', 'ArtifactPrefix'],
    }),
  );
}

/** CodeUri ../../dist/packages/<name>/ → the zip in the bucket; returns the packages named. */
function pointFunctionsAtZips(document) {
  const packages = [];
  for (const pair of document.get('Resources', true).items) {
    if (get(pair.value, 'Type')?.value !== 'AWS::Serverless::Function') continue;
    const properties = get(pair.value, 'Properties');
    const codeUri = String(properties.get('CodeUri'));
    const name = /dist\/packages\/([a-z0-9-]+)\/?$/.exec(codeUri)?.[1];
    if (!name) fail(`${pair.key.value}: CodeUri ${codeUri} is not a dist/packages/<name>/ folder`);
    packages.push(name);
    const key = document.createNode(`\${ArtifactPrefix}${name}.zip`);
    key.tag = '!Sub';
    const bucket = document.createNode('ArtifactBucket');
    bucket.tag = '!Ref';
    properties.set('CodeUri', document.createNode({ Bucket: bucket, Key: key }));
  }
  return packages;
}

/** The root's AWS::Serverless::Application resources → AWS::CloudFormation::Stack at the packaged nested templates. */
function pointNestedStacksAtTemplates(document) {
  for (const pair of document.get('Resources', true).items) {
    if (get(pair.value, 'Type')?.value !== 'AWS::Serverless::Application') continue;
    const properties = get(pair.value, 'Properties');
    const location = String(properties.get('Location'));
    const nested = Object.entries(TEMPLATES).find(([, path]) => path === location)?.[0];
    if (!nested) fail(`${pair.key.value}: Location ${location} is not one of the nested templates`);
    pair.value.set('Type', 'AWS::CloudFormation::Stack');
    const url = document.createNode(
      `https://\${ArtifactBucket}.s3.\${AWS::Region}.\${AWS::URLSuffix}/\${ArtifactPrefix}${nested}.yaml`,
    );
    url.tag = '!Sub';
    properties.delete('Location');
    properties.set('TemplateURL', url);
    const parameters = properties.get('Parameters', true);
    for (const name of ['ArtifactBucket', 'ArtifactPrefix']) {
      const ref = document.createNode(name);
      ref.tag = '!Ref';
      parameters.set(name, ref);
    }
  }
}

function packageTemplate(name, { manifestURL, artifacts }, version) {
  const path = join(INFRA, TEMPLATES[name]);
  const document = parseDocument(readFileSync(path, 'utf8'), { customTags: TAGS });
  if (document.errors.length > 0) fail(`${relative(ROOT, path)}: ${document.errors.join('; ')}`);
  addArtifactParameters(document, artifacts);
  const packages = pointFunctionsAtZips(document);
  if (name === 'template') pointNestedStacksAtTemplates(document);
  const manifestParameter = document.getIn(['Parameters', 'ReleaseManifestURL'], true);
  if (manifestParameter && manifestURL) manifestParameter.set('Default', manifestURL);
  const templateVersion = document.getIn(['Mappings', 'Release', 'Current', 'Version']);
  if (templateVersion !== undefined && String(templateVersion) !== version)
    fail(
      `${relative(ROOT, path)} says it is release ${templateVersion}, package.json ${version}: make them equal`,
    );
  const text = `# Packaged by npm run package (release ${version}) from infra/${TEMPLATES[name]}.\n${document.toString({ lineWidth: 0 })}`;
  return { text, packages };
}

function main() {
  const settings = options(process.argv.slice(2));
  const { out, build } = settings;
  const version = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version;
  if (build) buildLambdas();
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  const artifacts = {};
  const write = (file, bytes) => {
    writeFileSync(join(out, file), bytes);
    artifacts[file] = createHash('sha256').update(bytes).digest('hex');
  };
  const packages = new Set();
  for (const name of Object.keys(TEMPLATES)) {
    const packaged = packageTemplate(name, settings, version);
    packaged.packages.forEach((p) => packages.add(p));
    write(`${name}.yaml`, packaged.text);
  }
  for (const name of [...packages].sort())
    write(`${name}.zip`, zipBundle(join(ROOT, 'dist/packages', name)));
  const sorted = Object.fromEntries(
    Object.entries(artifacts).sort(([a], [b]) => a.localeCompare(b)),
  );
  writeFileSync(
    join(out, 'release-manifest.json'),
    `${JSON.stringify({ version, artifacts: sorted }, null, 2)}\n`,
  );
  console.log(
    `Release ${version} in ${relative(process.cwd(), out) || '.'}: ${Object.keys(sorted).length} artifacts and release-manifest.json.`,
  );
  console.log('Upload and deploy it (README.md, "Deploy a release"):');
  console.log(
    `  aws s3 cp ${relative(process.cwd(), out) || '.'}/ s3://<bucket>/<prefix>/ --recursive`,
  );
  console.log(
    '  aws cloudformation create-stack --stack-name <stack> --template-url https://<bucket>.s3.<region>.amazonaws.com/<prefix>/template.yaml \\',
  );
  console.log(
    '    --parameters ParameterKey=ArtifactBucket,ParameterValue=<bucket> ParameterKey=ArtifactPrefix,ParameterValue=<prefix>/ … \\',
  );
  console.log('    --capabilities CAPABILITY_IAM CAPABILITY_AUTO_EXPAND');
}

main();
