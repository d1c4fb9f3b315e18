// `npm run soak [-- options]`: the load-and-fault harness of tools/soak against the local
// stack. The Lambda bundles are built first when any is missing; tools/soak is bundled with
// esbuild (the aliases of tsconfig.base.json) and run on this Node.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { build } from 'esbuild';

const require = createRequire(import.meta.url);
const argv = process.argv.slice(2);
const bundles = ['uplink', 'downlink', 'create-device', 'claim', 'thing-type', 'pubsub-config'];
const unbuilt = bundles.filter((name) => !existsSync(`dist/packages/${name}/index.js`));
if (!argv.includes('--help') && unbuilt.length > 0) {
  console.log(`Building the Lambda bundles the soak runs (${unbuilt.join(', ')} missing)…`);
  const nxArgs = ['run-many', '-t', 'build', '--projects=tag:type:lambda', '--outputStyle=static'];
  const env = { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true' };
  const result = spawnSync(process.execPath, [require.resolve('nx/bin/nx.js'), ...nxArgs], {
    stdio: ['ignore', 'ignore', 'inherit'],
    env,
  });
  if (result.status !== 0) {
    console.error('The Lambda bundles did not build: run `npm run build:lambdas` to see why.');
    process.exit(1);
  }
}

const outfile = resolve('dist', 'tools', 'soak', 'main.cjs');
await build({
  entryPoints: ['tools/soak/src/main.ts'],
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
process.exit(await main(argv));
