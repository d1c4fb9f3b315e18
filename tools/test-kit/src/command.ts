import { spawnSync } from 'node:child_process';

/**
 * Suites that need an external tool (cfn-lint, …) follow moto's rule: off CI, a machine
 * without the tool skips them and says so loudly; under `CI=true` the tool is required and
 * its absence fails the run.
 */
export interface ExternalCommand {
  /** What the tool is, for messages, e.g. `cfn-lint`. */
  readonly name: string;
  /** A command line that exits 0 exactly when the tool can run, e.g. `['python3', '-c', 'import cfnlint']`. */
  readonly probe: readonly [string, ...string[]];
  /** How to install it, e.g. `pip install cfn-lint`. */
  readonly install: string;
}

const availability = new Map<string, boolean>();

/** Whether `command.probe` exits 0 here (checked once per probe and process). */
export function commandAvailable(command: ExternalCommand): boolean {
  const key = JSON.stringify(command.probe);
  let available = availability.get(key);
  if (available === undefined) {
    const [file, ...args] = command.probe;
    available = spawnSync(file, args, { stdio: 'ignore', timeout: 30_000 }).status === 0;
    availability.set(key, available);
  }
  return available;
}

/**
 * `describe` when `command` is available; otherwise, off CI, `describe.skip` with a loud
 * warning, and under `CI=true` a failing suite that says the tool is required.
 */
export function describeWithCommand(
  name: string,
  command: ExternalCommand,
  body: () => void,
): void {
  if (commandAvailable(command)) {
    describe(name, body);
  } else if (process.env['CI'] === 'true') {
    describe(name, () => {
      it(`needs ${command.name}, which CI requires`, () => {
        throw new Error(
          `${command.name} is not installed: \`${command.install}\` (CI=true requires it).`,
        );
      });
    });
  } else {
    console.warn(
      `SKIPPED "${name}": ${command.name} is not installed (\`${command.install}\`). CI=true requires it.`,
    );
    describe.skip(name, body);
  }
}
