// `npm start [-- options]`: the local stack of tools/local. Builds the Lambda bundles when they
// are missing (or with --build), bundles tools/local with esbuild (aliases from
// tsconfig.base.json) and runs it in this process, so that a signal to npm (which forwards
// SIGINT and SIGTERM) or to the process group reaches the stack itself. `npm start -- --help`
// lists the options.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';

const require = createRequire(import.meta.url);
const LAMBDAS = ['uplink', 'downlink', 'create-device', 'claim', 'thing-type', 'pubsub-config'];

const args = process.argv.slice(2);
const rebuild = args.includes('--build');
const argv = args.filter((arg) => arg !== '--build');

// A signal before the stack listens for its own: remembered, and the start stops there.
let early;
const onEarlySignal = (signal) => (early = signal);
process.on('SIGINT', onEarlySignal);
process.on('SIGTERM', onEarlySignal);

/**
 * Runs Nx's build of the Lambda bundles with its output captured: one progress line (the
 * projects built so far), and Nx's whole output only when the build fails. A signal stops
 * the build and ends this process with 0, as stopping the stack does.
 */
async function buildLambdas(reason) {
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

if (!argv.includes('--help')) {
  const missing = LAMBDAS.filter((name) => !existsSync(join('dist', 'packages', name, 'index.js')));
  if (rebuild || missing.length > 0)
    await buildLambdas(rebuild ? '--build' : `missing: ${missing.join(', ')}`);
}

const outfile = resolve('dist', 'tools', 'local', 'main.cjs');
await build({
  entryPoints: ['tools/local/src/main.ts'],
  outfile,
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node24',
  tsconfig: 'tsconfig.base.json',
  sourcemap: true,
  logLevel: 'warning',
});
const { main } = require(outfile);
process.off('SIGINT', onEarlySignal);
process.off('SIGTERM', onEarlySignal);
if (early !== undefined) {
  console.log(`Stopped (${early}) before the local stack started.`);
  process.exit(0);
}
// Servers and clients are closed by then; exit without waiting for idle sockets to time out.
process.exit(await main(argv, process.env));
