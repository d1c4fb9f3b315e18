// `npm run soak [-- options]`: the load-and-fault harness of tools/soak against the local
// stack. The Lambda bundles are built first when any is missing; tools/soak is bundled with
// esbuild (the aliases of tsconfig.base.json) and run on this Node.
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { buildLambdas, bundleTool, missingLambdas } from '../../scripts/tool-bundle.mjs';

const require = createRequire(import.meta.url);
const argv = process.argv.slice(2);
const unbuilt = missingLambdas();
if (!argv.includes('--help') && unbuilt.length > 0)
  await buildLambdas(`missing: ${unbuilt.join(', ')}`);

const outfile = resolve('dist', 'tools', 'soak', 'main.cjs');
await bundleTool('tools/soak/src/main.ts', outfile);
const { main } = require(outfile);
process.exit(await main(argv));
