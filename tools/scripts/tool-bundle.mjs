// What the npm scripts that run a tool of the workspace share (`npm start`, `npm run soak`,
// `npm run bench`): the Lambda bundles they need, Nx's build of those behind one progress
// line, and the esbuild bundle of a tool's TypeScript entry (aliases from tsconfig.base.json).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { build } from 'esbuild';

const require = createRequire(import.meta.url);

/** The Lambda bundles, built into dist/packages/<name>/index.js. */
export const LAMBDAS = [
  'uplink',
  'downlink',
  'create-device',
  'claim',
  'thing-type',
  'pubsub-config',
];

/** What a bundle needs beside index.js: QuickJS's WebAssembly, for those that run formatters. */
const SIDE_FILES = { uplink: ['emscripten-module.wasm'], downlink: ['emscripten-module.wasm'] };

/** The Lambda bundles not built yet, or built without a file they need beside index.js. */
export function missingLambdas() {
  return LAMBDAS.filter((name) =>
    ['index.js', ...(SIDE_FILES[name] ?? [])].some(
      (file) => !existsSync(join('dist', 'packages', name, file)),
    ),
  );
}

/**
 * Runs Nx's build of the Lambda bundles with its output captured: one progress line (the
 * projects built so far), and Nx's whole output only when the build fails. A signal stops
 * the build and ends this process with 0, as stopping the stack does.
 */
export async function buildLambdas(reason) {
  const started = Date.now();
  const nx = spawn(
    process.execPath,
    [
      require.resolve('nx/bin/nx.js'),
      'run-many',
      '-t',
      'build',
      '--projects=tag:type:lambda',
      '--outputStyle=static',
    ],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true', FORCE_COLOR: '0' },
    },
  );
  const output = [];
  let built = 0;
  const progress = (text) => {
    if (process.stdout.isTTY) process.stdout.write(`\r${text}`);
  };
  const prefix = `Building the Lambda bundles (${reason})…`;
  progress(prefix);
  for (const stream of [nx.stdout, nx.stderr]) {
    stream.on('data', (chunk) => {
      output.push(chunk);
      built += (chunk.toString().match(/> nx run [^:\s]+:build/g) ?? []).length;
      progress(`${prefix} ${built}/${LAMBDAS.length}`);
    });
  }
  const stop = (signal) => nx.kill(signal);
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  const [code, signal] = await new Promise((done) => nx.on('close', (c, s) => done([c, s])));
  process.off('SIGINT', stop);
  process.off('SIGTERM', stop);
  const seconds = Math.round((Date.now() - started) / 1000);
  if (signal !== null) {
    console.log(`\r${prefix} stopped (${signal}).`);
    process.exit(0);
  }
  if (code !== 0) {
    console.log(`\r${prefix} failed after ${seconds} s. Nx said:`);
    process.stderr.write(Buffer.concat(output));
    console.error('The Lambda bundles did not build: see the output above.');
    process.exit(1);
  }
  console.log(`\r${prefix} done in ${seconds} s.`);
}

/** Bundles a tool's TypeScript entry into one CommonJS file for this Node. */
export async function bundleTool(entry, outfile, { sourcemap = true } = {}) {
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node24',
    tsconfig: 'tsconfig.base.json',
    sourcemap,
    logLevel: 'warning',
  });
}
