// `npm start [-- options]`: the local stack of tools/local. Builds the Lambda bundles when they
// are missing (or with --build), bundles tools/local with esbuild (aliases from
// tsconfig.base.json) and runs it in this process, so that a signal to npm (which forwards
// SIGINT and SIGTERM) or to the process group reaches the stack itself. `npm start -- --help`
// lists the options.
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { buildLambdas, bundleTool, missingLambdas } from './tool-bundle.mjs';

const require = createRequire(import.meta.url);

const args = process.argv.slice(2);
const rebuild = args.includes('--build');
const argv = args.filter((arg) => arg !== '--build');

// A signal before the stack listens for its own: remembered, and the start stops there.
let early;
const onEarlySignal = (signal) => (early = signal);
process.on('SIGINT', onEarlySignal);
process.on('SIGTERM', onEarlySignal);

if (!argv.includes('--help')) {
  const missing = missingLambdas();
  if (rebuild || missing.length > 0)
    await buildLambdas(rebuild ? '--build' : `missing: ${missing.join(', ')}`);
}

const outfile = resolve('dist', 'tools', 'local', 'main.cjs');
await bundleTool('tools/local/src/main.ts', outfile);
const { main } = require(outfile);
process.off('SIGINT', onEarlySignal);
process.off('SIGTERM', onEarlySignal);
if (early !== undefined) {
  console.log(`Stopped (${early}) before the local stack started.`);
  process.exit(0);
}
// Servers and clients are closed by then; exit without waiting for idle sockets to time out.
process.exit(await main(argv, process.env));
