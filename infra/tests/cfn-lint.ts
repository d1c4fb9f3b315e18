import { spawnSync } from 'node:child_process';

import type { ExternalCommand } from '@tts-aws-iot/test-kit';

/** cfn-lint from the image's python3 (its `cfn-lint` script may not be on PATH). */
export const CFN_LINT: ExternalCommand = {
  name: 'cfn-lint',
  probe: ['python3', '-c', 'import cfnlint.runner'],
  install: 'pip install cfn-lint',
};

/** Runs cfn-lint with `args` in `cwd`: its exit status and everything it printed. */
export function cfnLint(
  args: readonly string[],
  cwd: string,
): { status: number | null; output: string } {
  const result = spawnSync(
    'python3',
    [
      '-c',
      'import sys; from cfnlint.runner import main; sys.argv[0] = "cfn-lint"; sys.exit(main())',
      ...args,
    ],
    { cwd, encoding: 'utf8', timeout: 300_000 },
  );
  return { status: result.status, output: `${result.stdout}${result.stderr}`.trim() };
}
