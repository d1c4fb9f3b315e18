import { parseSoakOptions, soakUsage } from './options';
import { formatReport, soakPassed } from './report';
import { runSoak } from './soak';

/** `npm run soak [-- options]`: runs the soak and prints its table; exit 1 when a must-goal is missed. */
export async function main(
  argv: readonly string[],
  write: (line: string) => void = console.log,
): Promise<number> {
  let options;
  try {
    options = parseSoakOptions(argv);
  } catch (error) {
    write(error instanceof Error ? error.message : String(error));
    return 2;
  }
  if (options.help) {
    write(soakUsage());
    return 0;
  }
  const time = () => new Date().toISOString().slice(11, 19);
  try {
    const report = await runSoak(options, (line) => write(`${time()} ${line}`));
    write('');
    write(formatReport(report));
    return soakPassed(report) ? 0 : 1;
  } catch (error) {
    write(`The soak did not complete: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
}
