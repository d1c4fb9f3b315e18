import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { runCli } from '../src/index';
import { rfc3394Vectors, rfc5649Vectors } from './vectors';

const [rfc3394] = rfc3394Vectors;
const [rfc5649] = rfc5649Vectors;

function run(...argv: string[]): { code: number; out: string; err: string } {
  const out = new PassThrough();
  const err = new PassThrough();
  const code = runCli(argv, out, err);
  return { code, out: String(out.read() ?? ''), err: String(err.read() ?? '') };
}

/** A KEK ring secret's JSON in a file of its own. */
function ringFile(ring: Record<string, string>): string {
  const file = join(mkdtempSync(join(tmpdir(), 'keywrap-')), 'kek.json');
  writeFileSync(file, JSON.stringify(ring));
  return file;
}

describe('keywrap CLI (in process)', () => {
  it('wraps with RFC 3394 and prints uppercase hex', () => {
    expect(run('wrap', '--kek', rfc3394!.kek.toLowerCase(), '--key', rfc3394!.key)).toEqual({
      code: 0,
      out: `${rfc3394!.wrapped}\n`,
      err: '',
    });
  });

  it('unwraps with RFC 3394, options in any order and in --name=value form', () => {
    expect(run(`--key=${rfc3394!.wrapped}`, 'unwrap', `--kek=${rfc3394!.kek}`).out).toBe(
      `${rfc3394!.key}\n`,
    );
  });

  it('uses RFC 5649 with --pad, both ways', () => {
    expect(run('wrap', '--pad', '--kek', rfc5649!.kek, '--key', rfc5649!.key).out).toBe(
      `${rfc5649!.wrapped}\n`,
    );
    expect(run('unwrap', '--kek', rfc5649!.kek, '--key', rfc5649!.wrapped, '--pad').out).toBe(
      `${rfc5649!.key}\n`,
    );
  });

  it('prints a wrapped:<label>:<hex> thing attribute for an appKey (RFC 3394)', () => {
    expect(
      run('attribute', '--kek', rfc3394!.kek, '--label', 'kek-2024', '--key', rfc3394!.key),
    ).toEqual({ code: 0, out: `wrapped:kek-2024:${rfc3394!.wrapped}\n`, err: '' });
  });

  it('prints a claim code wrapped with padding (RFC 5649) that unwraps to its uppercase ASCII', () => {
    const { code, out } = run(
      'attribute',
      '--kek',
      rfc3394!.kek,
      '--label',
      'k1',
      '--code',
      'k7x2p9q4',
    );
    expect(code).toBe(0);
    expect(out).toMatch(/^wrapped:k1:[0-9A-F]{32}\n$/);
    const hex = out.trim().split(':')[2]!;
    expect(run('unwrap', '--pad', '--kek', rfc3394!.kek, '--key', hex).out).toBe(
      `${Buffer.from('K7X2P9Q4').toString('hex').toUpperCase()}\n`,
    );
  });

  it('takes the KEK from a KEK ring file, under its current label or --label', () => {
    const file = ringFile({ current: 'new', new: rfc3394!.kek, old: 'AB'.repeat(16) });
    writeFileSync(
      file,
      JSON.stringify({ current: 'new', new: rfc3394!.kek, old: 'AB'.repeat(16) }),
    );
    expect(run('attribute', '--ring-file', file, '--key', rfc3394!.key).out).toBe(
      `wrapped:new:${rfc3394!.wrapped}\n`,
    );
    expect(
      run('attribute', '--ring-file', file, '--label', 'old', '--key', rfc3394!.key).out,
    ).toMatch(/^wrapped:old:/);
  });

  it.each<[string, string[], RegExp]>([
    ['no label', ['attribute', '--kek', rfc3394!.kek, '--key', rfc3394!.key], /missing --label/],
    [
      'a label attribute values cannot hold',
      ['attribute', '--kek', rfc3394!.kek, '--label', 'a b', '--key', rfc3394!.key],
      /--label may use only/,
    ],
    [
      'a key that is no root key',
      ['attribute', '--kek', rfc3394!.kek, '--label', 'k', '--key', 'AABBCCDDEEFF0011'],
      /--key must be 16 bytes/,
    ],
    [
      'a claim code with other characters',
      ['attribute', '--kek', rfc3394!.kek, '--label', 'k', '--code', 'K7X2+P9'],
      /--code must be 1 to 32 letters and digits/,
    ],
    [
      'both a key and a code',
      ['attribute', '--kek', rfc3394!.kek, '--label', 'k', '--key', rfc3394!.key, '--code', 'AB'],
      /--key or --code, not both/,
    ],
    [
      'an unreadable ring file',
      ['attribute', '--ring-file', '/nonexistent/kek.json', '--key', rfc3394!.key],
      /--ring-file cannot be read/,
    ],
    [
      'a current label attribute values cannot hold',
      [
        'attribute',
        '--ring-file',
        ringFile({ current: 'a b', 'a b': rfc3394!.kek }),
        '--key',
        rfc3394!.key,
      ],
      /give --label/,
    ],
    ['no key or code', ['attribute', '--kek', rfc3394!.kek, '--label', 'k'], /missing --key HEX/],
    [
      '--label with wrap',
      ['wrap', '--kek', rfc3394!.kek, '--key', rfc3394!.key, '--label', 'k'],
      /--label goes with the attribute command/,
    ],
  ])('refuses an attribute command with %s, without repeating the key', (_case, argv, message) => {
    const { code, out, err } = run(...argv);
    expect(code).toBe(2);
    expect(out).toBe('');
    expect(err).toMatch(message);
    expect(err).not.toContain(rfc3394!.key);
  });

  it('prints usage on --help', () => {
    const { code, out } = run('--help');
    expect(code).toBe(0);
    expect(out).toContain('usage: keywrap <wrap|unwrap>');
  });

  it.each<[string, string[], RegExp]>([
    ['no command', ['--kek', rfc3394!.kek, '--key', rfc3394!.key], /missing command/],
    [
      'an unknown command',
      ['rewrap', '--kek', rfc3394!.kek, '--key', rfc3394!.key],
      /unexpected argument #1/,
    ],
    [
      'a second command',
      ['wrap', 'unwrap', '--kek', rfc3394!.kek, '--key', rfc3394!.key],
      /unexpected argument #2/,
    ],
    ['a missing --kek', ['wrap', '--key', rfc3394!.key], /missing --kek HEX/],
    ['a missing --key', ['wrap', '--kek', rfc3394!.kek], /missing --key HEX/],
    [
      'an option with no value',
      ['wrap', '--kek', '--key', rfc3394!.key],
      /--kek needs a hex value/,
    ],
    [
      'an option at the end with no value',
      ['wrap', '--key', rfc3394!.key, '--kek'],
      /--kek needs a hex value/,
    ],
    [
      'a value for --pad',
      ['wrap', '--pad=yes', '--kek', rfc3394!.kek, '--key', rfc3394!.key],
      /--pad takes no value/,
    ],
    [
      'an unknown option',
      ['wrap', '--iv=A6', '--kek', rfc3394!.kek, '--key', rfc3394!.key],
      /unknown option --iv/,
    ],
    [
      'a value that is not hex',
      ['wrap', '--kek', 'XYZ', '--key', rfc3394!.key],
      /--kek is not hex/,
    ],
    [
      'a key RFC 3394 cannot wrap',
      ['wrap', '--kek', rfc3394!.kek, '--key', 'AABB'],
      /RFC 3394 wraps a multiple of 8/,
    ],
    [
      'a KEK of the wrong size',
      ['wrap', '--kek', 'AABB', '--key', rfc3394!.key],
      /16, 24 or 32-byte KEK/,
    ],
    [
      'a failed integrity check',
      ['unwrap', '--kek', rfc3394Vectors[1]!.kek, '--key', rfc3394!.wrapped],
      /integrity check/,
    ],
  ])('exits 2 with one line of error on %s', (_, argv, message) => {
    const { code, out, err } = run(...argv);
    expect(code).toBe(2);
    expect(out).toBe('');
    expect(err).toMatch(message);
    expect(err).toMatch(/^keywrap: [^\n]+\n$/);
  });

  it('never echoes the arguments, which may be keys', () => {
    const secret = '00112233445566778899AABBCCDDEEFF';
    for (const argv of [
      ['wrap', secret],
      ['wrap', `--${secret}`],
      ['wrap', `-${secret}`],
      ['-k', secret, 'wrap'],
    ]) {
      const { code, err } = run(...argv);
      expect(code).toBe(2);
      expect(err.toUpperCase()).not.toContain(secret.slice(0, 8));
    }
  });

  it('lets errors other than its own through, as bugs', () => {
    const broken = {
      write: () => {
        throw new TypeError('stream closed');
      },
    } as unknown as NodeJS.WritableStream;
    expect(() => runCli(['--help'], broken, broken)).toThrow(TypeError);
  });
});

describe('keywrap CLI (bin, as installed)', () => {
  const root = join(__dirname, '../../..');

  beforeAll(() => {
    // The bin loads the compiled dist/cli.js, which `npm ci` builds the same way.
    execFileSync(
      process.execPath,
      [require.resolve('typescript/bin/tsc'), '-p', 'libs/keywrap/tsconfig.lib.json'],
      {
        cwd: root,
      },
    );
  }, 120_000);

  it('wraps from the command line and exits 0', () => {
    const result = spawnSync(
      process.execPath,
      ['libs/keywrap/bin/keywrap.cjs', 'wrap', '--kek', rfc3394!.kek, '--key', rfc3394!.key],
      { cwd: root, encoding: 'utf8' },
    );
    expect(result).toMatchObject({ status: 0, stdout: `${rfc3394!.wrapped}\n`, stderr: '' });
  });

  it('exits 2 with one line of error on a failed unwrap', () => {
    const result = spawnSync(
      process.execPath,
      [
        'libs/keywrap/bin/keywrap.cjs',
        'unwrap',
        '--kek',
        rfc3394Vectors[1]!.kek,
        '--key',
        rfc3394!.wrapped,
      ],
      { cwd: root, encoding: 'utf8' },
    );
    expect(result.status).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/^keywrap: [^\n]*integrity check[^\n]*\n$/);
  });
});
