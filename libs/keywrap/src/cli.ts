import { readFileSync } from 'node:fs';

import { KeyWrapError } from './errors';
import { decodeHex, encodeHex } from './hex';
import { parseKekRing } from './kek-ring';
import { unwrapKey, unwrapKeyWithPadding, wrapKey, wrapKeyWithPadding } from './wrap';

const USAGE = `usage: keywrap <wrap|unwrap> --kek HEX --key HEX [--pad]
       keywrap attribute (--kek HEX --label LABEL | --ring-file FILE [--label LABEL]) (--key HEX | --code CODE)

  wrap       wraps --key under --kek and prints the wrapped key
  unwrap     unwraps the wrapped key given as --key under --kek and prints the key
  attribute  prints the thing attribute value wrapped:<label>:<hex> for an appKey or
             nwkKey (--key, RFC 3394) or a claimAuthenticationCode (--code, RFC 5649)

  --kek HEX         key-encryption key: 16, 24 or 32 bytes (attribute: 16, as in the KEK ring)
  --key HEX         the key to wrap, or the wrapped key to unwrap (attribute: 16 bytes)
  --pad             AES key wrap with padding (RFC 5649) instead of RFC 3394
  --label LABEL     the KEK's label in the stack's KEK ring
  --ring-file FILE  the KEK ring secret's JSON ({"current":"<label>","<label>":"<hex>"}):
                    the KEK of --label, or of the current label
  --code CODE       the claim authentication code: 1 to 32 letters and digits

Hex may be in either case; output is uppercase hex. Exit code 2 on bad input or a failed unwrap.
`;

const OPTION_NAME = /^--[a-z][a-z-]*$/;

interface Command {
  readonly action: 'wrap' | 'unwrap';
  readonly kek: Uint8Array;
  readonly key: Uint8Array;
  readonly pad: boolean;
}

/** `keywrap attribute`: a secret thing attribute in the wrapped form. */
interface AttributeCommand {
  readonly action: 'attribute';
  readonly label: string;
  readonly kek: Uint8Array;
  /** A 16-byte key (RFC 3394), or the code's ASCII bytes (RFC 5649). */
  readonly secret: { readonly kind: 'key' | 'code'; readonly bytes: Uint8Array };
}

/** The characters that AWS IoT allows in thing attribute values, less the separator `:`. */
const LABEL = /^[a-zA-Z0-9_.,@/#=[\]-]+$/;
/** The Device Claiming Server's authentication codes. */
const CLAIM_CODE = /^[A-Za-z0-9]{1,32}$/;

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
    if (command.action === 'attribute') {
      out.write(`${attributeValue(command)}\n`);
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

/** `wrapped:<label>:<uppercase hex>`, the form the registry flows accept. */
function attributeValue({ label, kek, secret }: AttributeCommand): string {
  const wrapped =
    secret.kind === 'key' ? wrapKey(kek, secret.bytes) : wrapKeyWithPadding(kek, secret.bytes);
  return `wrapped:${label}:${encodeHex(wrapped)}`;
}

function execute({ action, kek, key, pad }: Command): Uint8Array {
  if (action === 'wrap') return pad ? wrapKeyWithPadding(kek, key) : wrapKey(kek, key);
  return pad ? unwrapKeyWithPadding(kek, key) : unwrapKey(kek, key);
}

// A hand-rolled parser rather than util.parseArgs: its messages quote the arguments, and an
// argument here may be a key.
type ValueOption = '--kek' | '--key' | '--label' | '--ring-file' | '--code';
const VALUE_OPTIONS: readonly string[] = ['--kek', '--key', '--label', '--ring-file', '--code'];

function parseCommand(argv: readonly string[]): Command | AttributeCommand | 'help' {
  let action: string | undefined;
  let pad = false;
  const hex: Partial<Record<ValueOption, string>> = {};
  for (let index = 0; index < argv.length; index++) {
    const argument = argv[index] as string;
    const [name, inlineValue] = splitOption(argument);
    if (name === '-h' || name === '--help') return 'help';
    if (name === '--pad') {
      if (inlineValue !== undefined) throw usageError('--pad takes no value');
      pad = true;
    } else if (VALUE_OPTIONS.includes(name)) {
      const value = inlineValue ?? argv[++index];
      if (value === undefined || value.startsWith('-')) {
        throw usageError(
          `${name} needs ${name === '--kek' || name === '--key' ? 'a hex value' : 'a value'}`,
        );
      }
      hex[name as ValueOption] = value;
    } else if (name.startsWith('-')) {
      // Name the option only when it looks like one, not like a mistyped key.
      throw usageError(
        OPTION_NAME.test(name)
          ? `unknown option ${name}`
          : `unknown option at argument #${index + 1}`,
      );
    } else if (
      action === undefined &&
      (argument === 'wrap' || argument === 'unwrap' || argument === 'attribute')
    ) {
      action = argument;
    } else {
      throw usageError(`unexpected argument #${index + 1}`);
    }
  }
  if (action === undefined) throw usageError('missing command: wrap, unwrap or attribute');
  if (action === 'attribute') return attributeCommand(hex, pad);
  for (const name of ['--label', '--ring-file', '--code'] as const) {
    if (hex[name] !== undefined) throw usageError(`${name} goes with the attribute command`);
  }
  return {
    action: action as Command['action'],
    kek: hexOption(hex, '--kek'),
    key: hexOption(hex, '--key'),
    pad,
  };
}

function attributeCommand(
  options: Partial<Record<ValueOption, string>>,
  pad: boolean,
): AttributeCommand {
  if (pad) throw usageError('attribute takes no --pad: --code is always wrapped with padding');
  const { '--label': givenLabel, '--ring-file': ringFile } = options;
  if (givenLabel !== undefined && !LABEL.test(givenLabel)) {
    throw usageError(
      '--label may use only letters, digits and _ . , @ / # = [ ] - (thing attribute values allow no other characters)',
    );
  }
  let label: string;
  let kek: Uint8Array;
  if (ringFile !== undefined) {
    if (options['--kek'] !== undefined) throw usageError('give --kek or --ring-file, not both');
    let text: string;
    try {
      text = readFileSync(ringFile, 'utf8');
    } catch {
      throw usageError('--ring-file cannot be read');
    }
    const ring = parseKekRing(text);
    label = givenLabel ?? ring.currentLabel;
    if (!LABEL.test(label)) {
      throw usageError(
        "the ring's current label has characters thing attribute values do not allow: give --label",
      );
    }
    kek = ring.get(label);
  } else {
    if (givenLabel === undefined)
      throw usageError("missing --label LABEL: the KEK's label in the KEK ring");
    label = givenLabel;
    kek = hexOption(options, '--kek');
    if (kek.length !== 16) throw usageError('--kek must be 16 bytes, as the KEK ring holds them');
  }
  const code = options['--code'];
  if (code !== undefined && options['--key'] !== undefined)
    throw usageError('give --key or --code, not both');
  if (code !== undefined) {
    if (!CLAIM_CODE.test(code)) throw usageError('--code must be 1 to 32 letters and digits');
    return {
      action: 'attribute',
      label,
      kek,
      secret: { kind: 'code', bytes: Uint8Array.from(Buffer.from(code.toUpperCase(), 'latin1')) },
    };
  }
  if (options['--key'] === undefined)
    throw usageError('missing --key HEX (an appKey or nwkKey) or --code CODE');
  const key = hexOption(options, '--key');
  if (key.length !== 16)
    throw usageError('--key must be 16 bytes (32 hex digits), a LoRaWAN root key');
  return { action: 'attribute', label, kek, secret: { kind: 'key', bytes: key } };
}

function splitOption(argument: string): [string, string | undefined] {
  const equals = argument.indexOf('=');
  return argument.startsWith('--') && equals > 0
    ? [argument.slice(0, equals), argument.slice(equals + 1)]
    : [argument, undefined];
}

function hexOption(hex: Partial<Record<ValueOption, string>>, name: '--kek' | '--key'): Uint8Array {
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
