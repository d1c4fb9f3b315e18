// Cuts tools/tts-sim/api/tts-api.json out of TTS's OpenAPI description (api.swagger.json,
// ~1 MB, in the workspace's reference folder beside the checkout), so that the simulator and
// the TTS client's swagger test work from a plain clone:
//
//   node tools/tts-sim/scripts/extract-api.mjs [swagger [out]]
//
// `swagger` defaults to ../shared/reference/tts/api.swagger.json from the repository root,
// `out` to tools/tts-sim/api/tts-api.json; `-` writes to stdout. The result keeps the
// swagger's own structure (SwaggerApi loads either file):
// - every path and method of the API, so that the simulator still answers 404 for paths TTS
//   does not have, 405 for methods it does not have, 501 for routes it does not serve, and
//   picks the most specific template as TTS does; only the operations of the simulator's
//   route table (src/routes.ts) keep their parameters and the schema of their 200 answer;
// - the definitions those reach ($refs followed transitively);
// - machine facts only: descriptions, titles, summaries, examples, tags, operation IDs and
//   error answers are dropped.
// tests/api.test.ts regenerates it and fails when the committed file differs.
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { format, resolveConfig } from 'prettier';

const simDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const rootDir = join(simDir, '..', '..');
const DEFAULT_SWAGGER = join(rootDir, '..', 'shared', 'reference', 'tts', 'api.swagger.json');
const DEFAULT_OUT = join(simDir, 'api', 'tts-api.json');

/** Schema and parameter keywords that are prose for people; no validator reads them. */
const PROSE = new Set(['description', 'title', 'example', 'summary']);
const REF_PREFIX = '#/definitions/';

const [swaggerArg = DEFAULT_SWAGGER, outArg = DEFAULT_OUT] = process.argv.slice(2);
const swaggerPath = resolve(swaggerArg);
const source = readFileSync(swaggerPath);
const swagger = JSON.parse(source.toString('utf8'));
const served = await servedOperations();

const paths = {};
const refs = [];
for (const [template, operations] of Object.entries(swagger.paths)) {
  paths[template] = {};
  for (const [method, operation] of Object.entries(operations)) {
    const key = `${method.toUpperCase()} ${template}`;
    if (!served.delete(key)) {
      paths[template][method] = {};
      continue;
    }
    const schema = operation.responses?.['200']?.schema;
    paths[template][method] = {
      parameters: (operation.parameters ?? []).map((parameter) => facts(parameter, refs)),
      responses: schema === undefined ? {} : { 200: { schema: facts(schema, refs) } },
    };
  }
}
if (served.size > 0) {
  fail(`the simulator serves ${[...served].join(', ')}, which ${swaggerPath} does not have`);
}

const reachable = new Set();
while (refs.length > 0) {
  const name = refs.pop();
  if (reachable.has(name)) continue;
  if (swagger.definitions[name] === undefined) fail(`${swaggerPath} has no definition ${name}`);
  reachable.add(name);
  facts(swagger.definitions[name], refs);
}
const definitions = Object.fromEntries(
  Object.entries(swagger.definitions)
    .filter(([name]) => reachable.has(name))
    .map(([name, schema]) => [name, facts(schema, [])]),
);

const document = {
  swagger: swagger.swagger,
  info: swagger.info,
  'x-extracted': {
    by: 'tools/tts-sim/scripts/extract-api.mjs: regenerate, do not edit',
    from: 'api.swagger.json',
    sha256: createHash('sha256').update(source).digest('hex'),
  },
  consumes: swagger.consumes,
  produces: swagger.produces,
  paths,
  definitions,
};
const out = outArg === '-' ? undefined : resolve(outArg);
const text = await format(JSON.stringify(document), {
  ...(await resolveConfig(out ?? DEFAULT_OUT)),
  parser: 'json',
});
if (out === undefined) {
  process.stdout.write(text);
} else {
  writeFileSync(out, text);
  const counts = `${Object.keys(paths).length} paths, ${reachable.size} definitions`;
  console.log(`Wrote ${relative(process.cwd(), out)} (${counts}, ${text.length} bytes).`);
}

/** `node` without prose keywords, with the `$ref`s it holds pushed onto `refs`. */
function facts(node, refs) {
  if (Array.isArray(node)) return node.map((item) => facts(item, refs));
  if (typeof node !== 'object' || node === null) return node;
  const kept = {};
  for (const [key, value] of Object.entries(node)) {
    if (PROSE.has(key)) continue;
    if (key === '$ref') refs.push(value.slice(REF_PREFIX.length));
    // Property names are field names, not keywords: a field may well be called `description`.
    kept[key] =
      key === 'properties'
        ? Object.fromEntries(
            Object.entries(value).map(([name, schema]) => [name, facts(schema, refs)]),
          )
        : facts(value, refs);
  }
  return kept;
}

/** `METHOD template` of every route the simulator serves, read from its TypeScript route table. */
async function servedOperations() {
  const bundle = await build({
    entryPoints: [join(simDir, 'src', 'routes.ts')],
    bundle: true,
    write: false,
    platform: 'node',
    format: 'esm',
    target: 'node24',
    logLevel: 'error',
  });
  const code = bundle.outputFiles[0].text;
  const { ROUTES } = await import(
    `data:text/javascript;base64,${Buffer.from(code).toString('base64')}`
  );
  return new Set(ROUTES.map((route) => `${route.method} ${route.path}`));
}

function fail(message) {
  console.error(`extract-api: ${message}`);
  process.exit(1);
}
