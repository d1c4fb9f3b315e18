import { KeyWrapError } from './errors';
import { decodeHex, encodeHex } from './hex';
import { unwrapKey, unwrapKeyWithPadding, wrapKey, wrapKeyWithPadding } from './wrap';

const USAGE = `usage: keywrap <wrap|unwrap> --kek HEX --key HEX [--pad]

  wrap     wraps --key under --kek and prints the wrapped key
  unwrap   unwraps the wrapped key given as --key under --kek and prints the key

  --kek HEX   key-encryption key: 16, 24 or 32 bytes
  --key HEX   the key to wrap, or the wrapped key to unwrap
  --pad       AES key wrap with padding (RFC 5649) instead of RFC 3394

Hex may be in either case; output is uppercase hex. Exit code 2 on bad input or a failed unwrap.
`;

const OPTION_NAME = /^--[a-z][a-z-]*$/;

interface Command {
  readonly action: 'wrap' | 'unwrap';
  readonly kek: Uint8Array;
  readonly key: Uint8Array;
  readonly pad: boolean;
}

/**
 * The `keywrap` command line: `keywrap wrap|unwrap --kek HEX --key HEX [--pad]`. Writes
 * the result as uppercase hex to `out`, or one line of error to `err`.
 *
 * @returns the exit code: 0 on success, 2 on bad input or a failed unwrap
 */
export function runCli(
  argv: readonly string[],
  out: NodeJS.WritableStream,
  err: NodeJS.WritableStream,
): number {
  try {
    const command = parseCommand(argv);
    if (command === 'help') {
      out.write(USAGE);
      return 0;
    }
    out.write(`${encodeHex(execute(command))}\n`);
    return 0;
  } catch (error) {
    if (!(error instanceof KeyWrapError)) throw error;
    err.write(`keywrap: ${error.message}\n`);
    return 2;
  }
}

function execute({ action, kek, key, pad }: Command): Uint8Array {
  if (action === 'wrap') return pad ? wrapKeyWithPadding(kek, key) : wrapKey(kek, key);
  return pad ? unwrapKeyWithPadding(kek, key) : unwrapKey(kek, key);
}

// A hand-rolled parser rather than util.parseArgs: its messages quote the arguments, and an
// argument here may be a key.
function parseCommand(argv: readonly string[]): Command | 'help' {
  let action: string | undefined;
  let pad = false;
  const hex: Partial<Record<'--kek' | '--key', string>> = {};
  for (let index = 0; index < argv.length; index++) {
    const argument = argv[index] as string;
    const [name, inlineValue] = splitOption(argument);
    if (name === '-h' || name === '--help') return 'help';
    if (name === '--pad') {
      if (inlineValue !== undefined) throw usageError('--pad takes no value');
      pad = true;
    } else if (name === '--kek' || name === '--key') {
      const value = inlineValue ?? argv[++index];
      if (value === undefined || value.startsWith('-')) {
        throw usageError(`${name} needs a hex value`);
      }
      hex[name] = value;
    } else if (name.startsWith('-')) {
      // Name the option only when it looks like one, not like a mistyped key.
      throw usageError(
        OPTION_NAME.test(name)
          ? `unknown option ${name}`
          : `unknown option at argument #${index + 1}`,
      );
    } else if (action === undefined && (argument === 'wrap' || argument === 'unwrap')) {
      action = argument;
    } else {
      throw usageError(`unexpected argument #${index + 1}`);
    }
  }
  if (action === undefined) throw usageError('missing command: wrap or unwrap');
  return {
    action: action as Command['action'],
    kek: hexOption(hex, '--kek'),
    key: hexOption(hex, '--key'),
    pad,
  };
}

function splitOption(argument: string): [string, string | undefined] {
  const equals = argument.indexOf('=');
  return argument.startsWith('--') && equals > 0
    ? [argument.slice(0, equals), argument.slice(equals + 1)]
    : [argument, undefined];
}

function hexOption(
  hex: Partial<Record<'--kek' | '--key', string>>,
  name: '--kek' | '--key',
): Uint8Array {
  const text = hex[name];
  if (text === undefined) throw usageError(`missing ${name} HEX`);
  const bytes = decodeHex(text);
  if (bytes === undefined) {
    throw usageError(`${name} is not hex (an even number of digits 0-9, A-F)`);
  }
  return bytes;
}

function usageError(problem: string): KeyWrapError {
  return new KeyWrapError('invalid_arguments', `${problem} (see keywrap --help)`);
}
