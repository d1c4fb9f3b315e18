import {
  DEFAULT_SANDBOX_LIMITS,
  FormatterEngine,
  type Formatter,
  type FormatterErrorCode,
} from '../src';
import { QuickJsSandbox } from '../src/sandbox';

/**
 * Hostile formatters: each is stopped, reported with its own error code, and leaves the
 * next call (of the same engine, for another device) unharmed.
 */

// A tight CPU limit keeps the loops short; the wall-time limit stays the default, so that a
// loaded machine does not turn a memory or stack failure into a wall-time one.
const engine = new FormatterEngine({ limits: { timeoutMs: 50 } });
const UPLINK = { bytes: Uint8Array.from([0x01, 0x02, 0x03]), fPort: 1 };

function script(source: string): Formatter {
  return { type: 'FORMATTER_JAVASCRIPT', parameter: source };
}

const HEALTHY = script(
  'function decodeUplink(input) { return { data: { sum: input.bytes.reduce(function (a, b) { return a + b; }, 0), fPort: input.fPort } }; }',
);

/** A well-behaved formatter still decodes, in the same engine, right after. */
async function expectNextCallUnharmed(): Promise<void> {
  await expect(engine.decodeUplink(HEALTHY, UPLINK)).resolves.toEqual({
    ok: true,
    data: { sum: 6, fPort: 1 },
    warnings: [],
    errors: [],
  });
}

async function expectStopped(source: string, code: FormatterErrorCode, message: RegExp) {
  const result = await engine.decodeUplink(script(source), UPLINK);
  expect(result.ok).toBe(false);
  expect(result.data).toBeUndefined();
  expect(result.error?.code).toBe(code);
  expect(result.error?.message).toMatch(message);
  expect(result.errors).toEqual([result.error?.message]);
  await expectNextCallUnharmed();
}

describe('a hostile formatter', () => {
  it.each([
    ['an infinite loop in decodeUplink', 'function decodeUplink() { for (;;) {} }'],
    ['an infinite loop at the top level', 'while (true) {}'],
    [
      'a loop that catches the interruption',
      'function decodeUplink() { for (;;) { try { for (;;) {} } catch (e) {} } }',
    ],
    [
      'a loop in normalizeUplink',
      'function decodeUplink() { return { data: {} }; } function normalizeUplink() { for (;;) {} }',
    ],
    [
      'a loop in a getter of what it throws (read when the error is reported)',
      'function decodeUplink() { throw { get message() { for (;;) {} } }; }',
    ],
    [
      'a loop in toJSON (run when the output is converted)',
      'function decodeUplink() { return { data: { toJSON: function () { for (;;) {} } } }; }',
    ],
    [
      'a loop in a Proxy trap',
      'function decodeUplink() { return { data: new Proxy({}, { ownKeys: function () { for (;;) {} } }) }; }',
    ],
  ])('with %s is stopped at the time limit', async (_what, source) => {
    await expectStopped(
      source,
      'formatter_timeout',
      /used more than 50 ms of CPU time and was stopped/,
    );
  });

  // QuickJS asks its interrupt handler only between operations, every few thousand: a loop
  // of built-in calls that each take milliseconds would run for minutes past the CPU limit.
  it.each([
    [
      'long string operations',
      'function decodeUplink() { for (;;) "x".repeat(1 << 22).indexOf("y"); }',
    ],
    [
      'long searches',
      'var a = new Array(1 << 20).fill(1); function decodeUplink() { for (;;) a.indexOf(2); }',
    ],
  ])('with a loop of %s is terminated at the wall-time limit', async (_what, source) => {
    await expectStopped(source, 'formatter_timeout', /ran longer than 1000 ms and was terminated/);
  });

  it.each([
    [
      'growing an array',
      'function decodeUplink() { var a = []; for (;;) a.push(new Uint8Array(1 << 20)); }',
    ],
    ['a huge string', 'function decodeUplink() { return { data: { s: "x".repeat(1 << 28) } }; }'],
    [
      'a huge typed array',
      'function decodeUplink() { return { data: { n: new Uint8Array(1 << 26).length } }; }',
    ],
    ['growing at the top level', 'var keep = []; for (;;) keep.push(new ArrayBuffer(1 << 20));'],
  ])('%s is stopped at the memory limit', async (_what, source) => {
    await expectStopped(
      source,
      'formatter_memory',
      /ran out of the sandbox's 33554432 bytes of memory/,
    );
  });

  it.each([
    [
      'plain recursion',
      'function f(n) { return f(n + 1) + 1; } function decodeUplink() { return { data: { n: f(0) } }; }',
    ],
    [
      'recursion that catches and rethrows',
      'function f(n) { try { return f(n + 1) + 1; } catch (e) { throw e; } } function decodeUplink() { return { data: { n: f(0) } }; }',
    ],
    [
      'an output nested too deep for JSON',
      'function decodeUplink() { var o = {}; for (var i = 0; i < 100000; i++) o = { o: o }; return { data: o }; }',
    ],
    [
      'a script nested too deep to parse',
      `function decodeUplink() { return { data: { v: ${'['.repeat(20000)}${']'.repeat(20000)} } }; }`,
    ],
  ])('with %s is stopped at the stack limit', async (_what, source) => {
    await expectStopped(source, 'formatter_stack', /stack limit of 32768 bytes/);
  });

  it.each([
    ['process', 'process.env'],
    ['require', "require('fs')"],
    ['module', 'module.exports'],
    ['Buffer', 'Buffer.from("x")'],
    ['setTimeout', 'setTimeout(function () {}, 0)'],
    ['setInterval', 'setInterval(function () {}, 1)'],
    ['setImmediate', 'setImmediate(function () {})'],
    ['queueMicrotask', 'queueMicrotask(function () {})'],
    ['fetch', 'fetch("https://example.com")'],
    ['console', 'console.log("x")'],
    ['the host global through Function', 'Function("return process")()'],
    ['the host global through a constructor', '({}).constructor.constructor("return require")()'],
  ])('reaching for %s finds nothing there', async (name, expression) => {
    await expectStopped(
      `function decodeUplink() { return { data: { leaked: ${expression} } }; }`,
      'formatter_error',
      /ReferenceError: '\w+' is not defined/,
    );
  });

  it('sees only the ECMAScript built-ins on its global object', async () => {
    const result = await engine.decodeUplink(
      script(
        'function decodeUplink() { return { data: { names: Object.getOwnPropertyNames(globalThis) } }; }',
      ),
      UPLINK,
    );
    const names = result.data?.['names'] as string[];
    expect(names).toEqual(expect.arrayContaining(['Object', 'JSON', 'Math', 'decodeUplink']));
    const host = [
      'process',
      'require',
      'module',
      'exports',
      'Buffer',
      'console',
      'global',
      'std',
      'os',
    ];
    const timers = ['setTimeout', 'setInterval', 'setImmediate', 'queueMicrotask', 'fetch'];
    expect(names.filter((name) => host.includes(name) || timers.includes(name))).toEqual([]);
  });

  it('cannot import a module', async () => {
    await expectStopped(
      "import fs from 'fs'; function decodeUplink() { return { data: {} }; }",
      'formatter_error',
      /SyntaxError/,
    );
  });

  it('gets no callback run after it returns (no event loop, no pending jobs)', async () => {
    const result = await engine.decodeUplink(
      script(
        'var seen = { ran: false }; function decodeUplink() { Promise.resolve().then(function () { seen.ran = true; }); return { data: seen }; }',
      ),
      UPLINK,
    );
    expect(result.data).toEqual({ ran: false });
  });

  it.each([
    ['a huge string', 'return { data: { s: "x".repeat(70000) } };'],
    [
      'many warnings',
      'var w = []; for (var i = 0; i < 10000; i++) w.push("warning " + i); return { data: {}, warnings: w };',
    ],
  ])('returning %s is refused at the output limit', async (_what, body) => {
    await expectStopped(
      `function decodeUplink() { ${body} }`,
      'formatter_output',
      /characters as JSON, over the limit of 65536/,
    );
  });

  it('that throws is reported with its message', async () => {
    await expectStopped(
      'function decodeUplink() { throw new TypeError("bad payload"); }',
      'formatter_error',
      /^The formatter failed: TypeError: bad payload$/,
    );
  });

  it('that throws a non-Error is reported with the value', async () => {
    await expectStopped(
      'function decodeUplink() { throw { why: 1 }; }',
      'formatter_error',
      /\{"why":1\}/,
    );
  });

  it('that does not compile is reported as a SyntaxError', async () => {
    await expectStopped('function decodeUplink( {', 'formatter_error', /SyntaxError/);
  });
});

describe('no state survives a call', () => {
  const counter = script(`
    var calls = (typeof calls === 'number' ? calls : 0) + 1;
    globalThis.total = (globalThis.total || 0) + 1;
    function decodeUplink(input) {
      var polluted = ({}).polluted;
      Object.prototype.polluted = 'yes';
      Array.prototype.push = function () { throw new Error('sabotaged'); };
      JSON.stringify = function () { return 'sabotaged'; };
      input.bytes[0] = 0xff;
      return { data: { calls: calls, total: total, polluted: polluted === undefined ? 'no' : polluted } };
    }`);

  it('not globals, prototypes or built-ins, between calls of one device or of two', async () => {
    const bytes = Uint8Array.from([1, 2, 3]);
    const first = await engine.decodeUplink(counter, { bytes, fPort: 1 });
    const second = await engine.decodeUplink(counter, { bytes, fPort: 1 });
    expect(first).toEqual(second);
    // The sabotaged JSON.stringify is the formatter's own problem for its own output only.
    expect(first.ok).toBe(false);
    expect(first.error?.code).toBe('formatter_output');
    await expectNextCallUnharmed();
  });

  it('shows the counters restart at every call', async () => {
    const fresh = script(`
      var calls = (typeof calls === 'number' ? calls : 0) + 1;
      function decodeUplink(input) {
        var before = ({}).polluted === undefined ? 'clean' : 'polluted';
        Object.prototype.polluted = true;
        input.bytes[0] = 0xff;
        return { data: { calls: calls, before: before } };
      }`);
    const bytes = Uint8Array.from([1, 2, 3]);
    for (let call = 0; call < 3; call++) {
      await expect(engine.decodeUplink(fresh, { bytes, fPort: 1 })).resolves.toMatchObject({
        ok: true,
        data: { calls: 1, before: 'clean' },
      });
    }
    expect(Array.from(bytes)).toEqual([1, 2, 3]);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });
});

describe('a sandbox that fails itself', () => {
  it('is replaced: the failing call is reported, the next one runs in a new instance', async () => {
    // With a stack limit far above the default, QuickJS's parser exhausts Node's own stack
    // before QuickJS notices: the WebAssembly instance traps mid-call and is abandoned.
    const unsafe = new QuickJsSandbox({ ...DEFAULT_SANDBOX_LIMITS, maxStackBytes: 4 << 20 });
    const nested = `var v = ${'['.repeat(50000)}${']'.repeat(50000)}; "parsed"`;
    await expect(unsafe.evaluate(nested)).rejects.toMatchObject({
      code: 'formatter_sandbox',
      message: expect.stringMatching(
        /QuickJS sandbox failed \(RangeError: Maximum call stack size exceeded\)/,
      ),
      retryable: true,
    });
    await expect(unsafe.evaluate('"still " + "works"')).resolves.toBe('still works');
    expect(unsafe.instancesCreated).toBe(2);
  });

  it('is replaced after running out of memory, and only then', async () => {
    const sandbox = new QuickJsSandbox(DEFAULT_SANDBOX_LIMITS);
    await expect(sandbox.evaluate('"x".repeat(16)')).resolves.toBe('xxxxxxxxxxxxxxxx');
    await expect(
      sandbox.evaluate('var keep = []; for (;;) keep.push(new ArrayBuffer(1 << 20));'),
    ).rejects.toMatchObject({ code: 'formatter_memory' });
    await expect(sandbox.evaluate('"after"')).resolves.toBe('after');
    expect(sandbox.instancesCreated).toBe(2);
  });

  it('keeps one instance over many calls that allocate and free (no leak fills its memory)', async () => {
    const sandbox = new QuickJsSandbox(DEFAULT_SANDBOX_LIMITS);
    // Each call holds over 1 MiB at its peak: 200 calls would need 200 MiB, far over the
    // sandbox's 32 MiB, if runtimes leaked.
    const source =
      'var parts = []; for (var i = 0; i < 64; i++) parts.push(new Array(4096).join("x") + i); ' +
      'var buffer = new Uint8Array(1 << 20); buffer[7] = 7; String(parts.length + buffer[7])';
    for (let call = 0; call < 200; call++) {
      await expect(sandbox.evaluate(source)).resolves.toBe('71');
    }
    expect(sandbox.instancesCreated).toBe(1);
  });

  it('answers the calls that were waiting while another one trapped', async () => {
    const unsafe = new QuickJsSandbox({ ...DEFAULT_SANDBOX_LIMITS, maxStackBytes: 4 << 20 });
    const nested = `var v = ${'['.repeat(50000)}${']'.repeat(50000)}; "parsed"`;
    const [trapped, ...others] = await Promise.allSettled([
      unsafe.evaluate(nested),
      unsafe.evaluate('"second"'),
      unsafe.evaluate('"third"'),
    ]);
    expect(trapped).toMatchObject({ status: 'rejected', reason: { code: 'formatter_sandbox' } });
    expect(others).toEqual([
      { status: 'fulfilled', value: 'second' },
      { status: 'fulfilled', value: 'third' },
    ]);
  });

  it('does not trap at the default stack limit on the same script', async () => {
    const nested = `function decodeUplink() { return { data: { v: ${'['.repeat(20000)}${']'.repeat(20000)} } }; }`;
    await expectStopped(nested, 'formatter_stack', /stack limit of 32768 bytes/);
  });
});
