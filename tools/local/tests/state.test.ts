import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  decodeState,
  encodeState,
  PersistentState,
  STATE_FILE_NAME,
  StateFile,
  type Persistent,
} from '../src/state';

let dir: string;
const opened: PersistentState[] = [];
beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'local-state-'))));
afterEach(async () => {
  for (const state of opened.splice(0)) await state.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Opens the data directory (closed after the test, which releases its lock). */
function openState(options: { fresh?: boolean } = {}): PersistentState {
  const state = PersistentState.open({ dataDir: dir, ...options });
  opened.push(state);
  return state;
}

/** A part holding one value, as the stores hold theirs. */
class Box implements Persistent {
  constructor(public value: unknown = undefined) {}
  snapshot(): unknown {
    return this.value;
  }
  restore(snapshot: unknown): void {
    this.value = snapshot;
  }
}

async function saveOne(value: unknown): Promise<string> {
  const state = openState();
  state.add('box', new Box(value));
  await state.close();
  return join(dir, STATE_FILE_NAME);
}

describe('the state file', () => {
  it('keeps Maps, Dates and bytes through encoding', () => {
    const value = {
      things: new Map([['a', { created: new Date('2026-01-02T03:04:05.000Z'), n: 1 }]]),
      key: Buffer.from('00ff', 'hex'),
    };
    const decoded = decodeState(encodeState(value)) as typeof value;
    expect(decoded.things.get('a')).toEqual({
      created: new Date('2026-01-02T03:04:05.000Z'),
      n: 1,
    });
    expect(Buffer.from(decoded.key).toString('hex')).toBe('00ff');
  });

  it('restores each part from what the last run saved', async () => {
    await saveOne({ counter: 41 });
    const state = openState();
    const box = new Box();
    expect(state.resumed).toBe(true);
    expect(state.add('box', box)).toBe(true);
    expect(box.value).toEqual({ counter: 41 });
    expect(state.add('other', new Box('untouched'))).toBe(false);
  });

  it('writes only when a part changed, and keeps saved parts no one registered', async () => {
    await saveOne('kept');
    const state = openState();
    const box = new Box();
    state.add('new', box);
    expect(state.save()).toBe(true);
    expect(state.save()).toBe(false);
    box.value = 'changed';
    expect(state.save()).toBe(true);
    const parts = new StateFile(join(dir, STATE_FILE_NAME)).read();
    expect(parts).toEqual({ box: 'kept', new: 'changed' });
  });

  it('refuses a truncated file with a clear message and loads nothing', async () => {
    const path = await saveOne({ things: Array.from({ length: 50 }, (_, i) => `thing-${i}`) });
    const text = readFileSync(path);
    writeFileSync(path, text.subarray(0, text.length - 40));
    expect(() => PersistentState.open({ dataDir: dir })).toThrow(
      expect.objectContaining({
        code: 'state_damaged',
        message: expect.stringMatching(
          /saved state .*state\.json is damaged: it holds \d+ of the \d+ bytes it was written with\. It was not loaded\. Start with --fresh/,
        ),
      }),
    );
  });

  it('refuses a file whose content does not match its checksum', async () => {
    const path = await saveOne({ counter: 41 });
    const [header, body] = readFileSync(path, 'utf8').split('\n');
    // The same length, another value: only the checksum can tell.
    writeFileSync(path, `${header}\n${body!.replace('41', '42')}`);
    expect(() => PersistentState.open({ dataDir: dir })).toThrow(/checksum does not match/);
  });

  it('refuses a file that is not a state file, and starts empty with --fresh', () => {
    writeFileSync(join(dir, STATE_FILE_NAME), '{"things": {}}');
    expect(() => PersistentState.open({ dataDir: dir })).toThrow(
      /header line is missing or not ours/,
    );
    const state = openState({ fresh: true });
    expect(state.resumed).toBe(false);
    expect(state.add('box', new Box('new'))).toBe(false);
  });

  it('leaves no temporary file behind', async () => {
    await saveOne('x');
    const state = openState();
    state.add('box', new Box('y'));
    state.save();
    // While open, the data directory is locked for this stack.
    expect(readdirSync(dir).sort()).toEqual(['lock', STATE_FILE_NAME]);
  });

  it('saves in the background after a change, and at close what changed since', async () => {
    const state = openState();
    const box = new Box('first');
    state.add('box', box);
    state.startAutosave(10);
    const file = new StateFile(join(dir, STATE_FILE_NAME));
    for (let i = 0; i < 200 && file.read()?.['box'] !== 'first'; i++)
      await new Promise((resolve) => setTimeout(resolve, 10));
    expect(file.read()).toEqual({ box: 'first' });
    // Not touched: a change no one announced waits for close.
    box.value = 'second';
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(file.read()).toEqual({ box: 'first' });
    state.touch();
    for (let i = 0; i < 200 && file.read()?.['box'] !== 'second'; i++)
      await new Promise((resolve) => setTimeout(resolve, 10));
    expect(file.read()).toEqual({ box: 'second' });
    box.value = 'third';
    await state.close();
    expect(file.read()).toEqual({ box: 'third' });
    expect(readdirSync(dir)).toEqual([STATE_FILE_NAME]);
  });

  it('refuses a data directory another running stack holds, and takes over a dead one’s', async () => {
    const first = openState();
    expect(() => PersistentState.open({ dataDir: dir })).toThrow(
      expect.objectContaining({
        code: 'state_in_use',
        message: expect.stringContaining(`in use by another local stack (process ${process.pid})`),
      }),
    );
    await first.close();
    // A stack that was killed leaves its lock behind, naming a process that is gone.
    writeFileSync(join(dir, 'lock'), '2147483646');
    expect(openState().resumed).toBe(true);
  });
});
