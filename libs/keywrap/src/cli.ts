export function runCli(_argv: string[], out: NodeJS.WritableStream, _err: NodeJS.WritableStream): number {
  out.write('{}\n');
  return 0;
}
