// `npm start [-- options]`: the local stack of tools/local. Builds the Lambda bundles when they
// are missing (or with --build), bundles tools/local with esbuild (aliases from
// tsconfig.base.json) and runs it on this Node. `npm start -- --help` lists the options.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';

const require = createRequire(import.meta.url);
const LAMBDAS = ['uplink', 'downlink', 'create-device', 'claim', 'thing-type', 'pubsub-config'];

const args = process.argv.slice(2);
const rebuild = args.includes('--build');
const argv = args.filter((arg) => arg !== '--build');

if (!argv.includes('--help')) {
  const missing = LAMBDAS.filter((name) => !existsSync(join('dist', 'packages', name, 'index.js')));
  if (rebuild || missing.length > 0) {
    console.log(
      rebuild
        ? 'Building the Lambda bundles…'
        : `Building the Lambda bundles (missing: ${missing.join(', ')})…`,
    );
    const nx = spawnSync(
      process.execPath,
      [
        require.resolve('nx/bin/nx.js'),
        'run-many',
        '-t',
        'build',
        '--projects=tag:type:lambda',
        '--outputStyle=static',
      ],
      { stdio: 'inherit', env: { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true' } },
    );
    if (nx.status !== 0) {
      console.error('The Lambda bundles did not build: see the output above.');
      process.exit(1);
    }
  }
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
// Servers and clients are closed by then; exit without waiting for idle sockets to time out.
process.exit(await main(argv, process.env));
