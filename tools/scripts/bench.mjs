// `npm run bench [name…]`: bundles each bench/<name>.bench.ts with esbuild (aliases from
// tsconfig.base.json) and runs it in its own Node process, one after the other, so that
// the figures of one benchmark are not disturbed by another's garbage or JIT state.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { bundleTool } from './tool-bundle.mjs';

const only = process.argv.slice(2);
const outDir = join('tmp', 'bench');
mkdirSync(outDir, { recursive: true });
const benches = readdirSync('bench')
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => only.length === 0 || only.some((name) => f.startsWith(name)))
  .sort();
if (benches.length === 0) {
  console.error(`No benchmark matches ${only.join(' ') || 'bench/*.bench.ts'}.`);
  process.exit(2);
}
for (const file of benches) {
  const outfile = join(outDir, file.replace(/\.ts$/, '.cjs'));
  await bundleTool(join('bench', file), outfile, { sourcemap: false });
  console.log(`\n## ${file.replace(/\.bench\.ts$/, '')} (Node ${process.version})`);
  execFileSync(process.execPath, ['--expose-gc', outfile], { stdio: 'inherit' });
}
