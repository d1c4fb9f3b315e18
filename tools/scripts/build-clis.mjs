// Runs at `npm ci` (the `prepare` script): compiles the publishable libraries so that
// their command-line tools (`npx lorawan`, `npx keywrap`) work straight after install.
// errors first: lorawan and keywrap compile against, and load, its built package.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const tsc = require.resolve('typescript/bin/tsc');
for (const lib of ['errors', 'lorawan', 'keywrap']) {
  const config = `libs/${lib}/tsconfig.lib.json`;
  if (existsSync(config)) execFileSync(process.execPath, [tsc, '-p', config], { stdio: 'inherit' });
}
