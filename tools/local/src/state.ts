import { createHash } from 'node:crypto';
import {
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { open, rename } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { LocalStackError } from './errors';

/**
 * A part of the local stack whose state outlives a restart: the IoT registry, the shadows,
 * the secrets, the TTS stand-in's registries, the simulated devices. `snapshot()` answers
 * plain data (Maps, Dates and byte arrays are kept, see {@link encodeState}); `restore()`
 * replaces the part's state with what an earlier `snapshot()` answered.
 */
export interface Persistent {
  snapshot(): unknown;
  restore(snapshot: unknown): void;
}

/** The file in the data directory that holds the state. */
export const STATE_FILE_NAME = 'state.json';
const FORMAT = 'tts-aws-iot/local-state';
const FORMAT_VERSION = 1;

/** The first line of the state file: what follows, how long it is, and its SHA-256. */
interface StateHeader {
  readonly format: string;
  readonly version: number;
  readonly bytes: number;
  readonly sha256: string;
  readonly savedAt: string;
}

/**
 * One state file, written atomically: the new content goes to a temporary file that is
 * synced and then renamed over the old one, so a crash leaves the old or the new state,
 * never a mix. The content is a header line (format, version, length and SHA-256 of the
 * body) and the body; a file whose body does not match its header is refused, never loaded.
 */
export class StateFile {
  private writes = 0;

  constructor(readonly path: string) {}

  /** The saved parts, or `undefined` when there is no file yet. */
  read(): Record<string, unknown> | undefined {
    if (!existsSync(this.path)) return undefined;
    const text = readFileSync(this.path);
    const newline = text.indexOf(0x0a);
    const header = parseHeader(newline < 0 ? undefined : text.subarray(0, newline).toString());
    if (header === undefined) throw this.damaged('its header line is missing or not ours');
    if (header.version !== FORMAT_VERSION)
      throw this.damaged(`it has format version ${header.version}; this stack reads only 1`);
    const body = text.subarray(newline + 1);
    if (body.length !== header.bytes)
      throw this.damaged(
        `it holds ${body.length} of the ${header.bytes} bytes it was written with`,
      );
    if (sha256(body) !== header.sha256) throw this.damaged('its checksum does not match');
    const parts = decodeState(body.toString('utf8'));
    if (typeof parts !== 'object' || parts === null || Array.isArray(parts))
      throw this.damaged('its body is not an object of parts');
    return parts as Record<string, unknown>;
  }

  /** Replaces the file with these parts (temporary file, fsync, rename, fsync of the directory). */
  write(parts: Readonly<Record<string, unknown>>): void {
    this.writeBody(Buffer.from(encodeState(parts), 'utf8'));
  }

  /** Writes an already encoded body (see {@link encodeState}), blocking until it is durable. */
  writeBody(body: Buffer): void {
    const temporary = this.temporaryPath();
    const fd = openSync(temporary, 'w', 0o600);
    try {
      writeSync(fd, headerLine(body));
      writeSync(fd, body);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temporary, this.path);
    syncDirectory(dirname(this.path));
  }

  /** {@link writeBody} without blocking the event loop (the disk work runs in libuv's pool). */
  async writeBodyInBackground(body: Buffer): Promise<void> {
    const temporary = this.temporaryPath();
    const file = await open(temporary, 'w', 0o600);
    try {
      await file.writeFile(Buffer.concat([Buffer.from(headerLine(body)), body]));
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(temporary, this.path);
    syncDirectory(dirname(this.path));
  }

  remove(): void {
    rmSync(this.path, { force: true });
  }

  private temporaryPath(): string {
    return `${this.path}.${process.pid}.${++this.writes}.tmp`;
  }

  private damaged(why: string): LocalStackError {
    return new LocalStackError(
      'state_damaged',
      `The saved state ${this.path} is damaged: ${why}. It was not loaded. Start with --fresh to begin with an empty state (this discards the file), or choose another --data-dir.`,
      { path: this.path },
    );
  }
}

export interface PersistentStateOptions {
  /** The directory that holds the state file; created when missing. */
  readonly dataDir: string;
  /** Discard the saved state and start empty. */
  readonly fresh?: boolean;
  /** A periodic save failed (the stack keeps running; the next save tries again). */
  readonly onSaveError?: (error: Error) => void;
}

/**
 * The state of the local stack in its data directory: parts register by name and get their
 * saved snapshot back at once; a save writes every part's snapshot in one file, taken in one
 * go so that the parts agree with each other.
 *
 * Encoding a large state takes the event loop a while (about 0.1 s for 1,000 devices on a
 * busy 2-core machine), so the periodic save runs only after {@link touch} said something
 * changed, writes in the background, and waits at least {@link AUTOSAVE_FACTOR} times as
 * long as its encoding took before the next one: at most 1 % of the loop goes to saving, and
 * at stop {@link close} saves what is left.
 */
export class PersistentState {
  private readonly parts = new Map<string, Persistent>();
  private readonly saved: Record<string, unknown>;
  private lastBody: string | undefined;
  private timer: NodeJS.Timeout | undefined;
  private dirty = true;
  private writing: Promise<void> | undefined;

  private constructor(
    readonly file: StateFile,
    saved: Record<string, unknown> | undefined,
    private readonly onSaveError: ((error: Error) => void) | undefined,
    private readonly lock: DataDirLock,
  ) {
    this.saved = saved ?? {};
    this.resumed = saved !== undefined;
  }

  /** Whether a saved state was found (and is being restored). */
  readonly resumed: boolean;

  /** Opens the data directory, refusing a damaged state file (see {@link StateFile.read}). */
  static open(options: PersistentStateOptions): PersistentState {
    mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
    const lock = DataDirLock.take(options.dataDir);
    try {
      const file = new StateFile(join(options.dataDir, STATE_FILE_NAME));
      if (options.fresh) file.remove();
      return new PersistentState(file, file.read(), options.onSaveError, lock);
    } catch (error) {
      lock.release();
      throw error;
    }
  }

  /** Registers a part, restoring its saved snapshot; answers whether there was one. */
  add(name: string, part: Persistent): boolean {
    if (this.parts.has(name))
      throw new LocalStackError('state_part_exists', `State part ${name} is registered twice.`);
    this.parts.set(name, part);
    if (!(name in this.saved)) return false;
    part.restore(this.saved[name]);
    return true;
  }

  /** Something may have changed: the next periodic save encodes the state again. */
  touch(): void {
    this.dirty = true;
  }

  /** Writes every part's snapshot now, when any changed since the last save; answers whether it wrote. */
  save(): boolean {
    const encoded = this.changedBody();
    if (encoded === undefined) return false;
    this.file.writeBody(encoded.bytes);
    this.lastBody = encoded.text;
    return true;
  }

  /** Saves after `intervalMs`, and again after each change (see the class comment). */
  startAutosave(intervalMs: number): void {
    this.stopTimer();
    const schedule = (delayMs: number) => {
      this.timer = setTimeout(() => void this.autosave(intervalMs, schedule), delayMs);
      this.timer.unref();
    };
    schedule(intervalMs);
  }

  /** Stops saving periodically, waits for a save in progress, then saves what changed. */
  async close(): Promise<void> {
    this.stopTimer();
    await this.writing;
    this.dirty = true;
    try {
      this.save();
    } finally {
      this.lock.release();
    }
  }

  private async autosave(intervalMs: number, schedule: (delayMs: number) => void): Promise<void> {
    let next = intervalMs;
    try {
      if (this.dirty) {
        const started = performance.now();
        const encoded = this.changedBody();
        next = Math.max(intervalMs, (performance.now() - started) * AUTOSAVE_FACTOR);
        if (encoded !== undefined) {
          this.writing = this.file.writeBodyInBackground(encoded.bytes);
          await this.writing;
          this.lastBody = encoded.text;
        }
      }
    } catch (error) {
      this.dirty = true;
      this.onSaveError?.(error instanceof Error ? error : new Error(String(error)));
    } finally {
      this.writing = undefined;
    }
    if (this.timer !== undefined) schedule(next);
  }

  /** The encoded state when it differs from the last one written (clears the dirty flag). */
  private changedBody(): { text: string; bytes: Buffer } | undefined {
    this.dirty = false;
    const parts: Record<string, unknown> = { ...this.saved };
    for (const [name, part] of this.parts) parts[name] = part.snapshot();
    const text = encodeState(parts);
    return text === this.lastBody ? undefined : { text, bytes: Buffer.from(text, 'utf8') };
  }

  private stopTimer(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }
}

/**
 * One stack per data directory: `lock` holds the process ID of the stack that uses it. A
 * lock whose process is gone (the stack was killed) is taken over.
 */
class DataDirLock {
  private constructor(private readonly path: string) {}

  static take(dataDir: string): DataDirLock {
    const path = join(dataDir, 'lock');
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        writeFileSync(path, String(process.pid), { flag: 'wx', mode: 0o600 });
        return new DataDirLock(path);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      const holder = Number(readFileSync(path, 'utf8'));
      if (Number.isInteger(holder) && holder > 0 && isRunning(holder))
        throw new LocalStackError(
          'state_in_use',
          `The data directory ${dataDir} is in use by another local stack (process ${holder}). Stop that one, or choose another --data-dir.`,
          { dataDir, pid: holder },
        );
      rmSync(path, { force: true });
    }
    throw new LocalStackError('state_in_use', `Could not lock the data directory ${dataDir}.`);
  }

  release(): void {
    rmSync(this.path, { force: true });
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The periodic save waits this many times as long as encoding took (≤ 1 % of the loop). */
export const AUTOSAVE_FACTOR = 100;

/** Replaces what a store's map holds with saved entries (what a part's `restore` does). */
export function restoreEntries<K, V>(target: Map<K, V>, saved: Iterable<readonly [K, V]>): void {
  target.clear();
  for (const [key, value] of saved) target.set(key, value);
}

/**
 * JSON with the types the stores hold: a Map becomes `{"$map": [[k, v], …]}`, a Date
 * `{"$date": "<ISO>"}`, a byte array `{"$bytes": "<base64>"}`; {@link decodeState} turns
 * them back.
 */
export function encodeState(value: unknown): string {
  return JSON.stringify(value, function (this: Record<string, unknown>, key, converted) {
    const raw = this[key];
    if (raw instanceof Map) return { $map: [...raw] };
    if (raw instanceof Date) return { $date: raw.toISOString() };
    if (raw instanceof Uint8Array) return { $bytes: Buffer.from(raw).toString('base64') };
    return converted as unknown;
  });
}

/** The inverse of {@link encodeState}. */
export function decodeState(text: string): unknown {
  return JSON.parse(text, (_key, value: unknown) => {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return value;
    const tagged = value as Record<string, unknown>;
    if (Object.keys(tagged).length !== 1) return value;
    if (Array.isArray(tagged['$map'])) return new Map(tagged['$map'] as [unknown, unknown][]);
    if (typeof tagged['$date'] === 'string') return new Date(tagged['$date']);
    if (typeof tagged['$bytes'] === 'string') return Buffer.from(tagged['$bytes'], 'base64');
    return value;
  });
}

function headerLine(body: Buffer): string {
  const header: StateHeader = {
    format: FORMAT,
    version: FORMAT_VERSION,
    bytes: body.length,
    sha256: sha256(body),
    savedAt: new Date().toISOString(),
  };
  return `${JSON.stringify(header)}\n`;
}

function parseHeader(line: string | undefined): StateHeader | undefined {
  if (line === undefined) return undefined;
  try {
    const header = JSON.parse(line) as Partial<StateHeader>;
    return header.format === FORMAT &&
      typeof header.version === 'number' &&
      typeof header.bytes === 'number' &&
      typeof header.sha256 === 'string'
      ? (header as StateHeader)
      : undefined;
  } catch {
    return undefined;
  }
}

function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Makes the rename durable (a no-op where directories cannot be opened, as on Windows). */
function syncDirectory(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // not supported here: the rename is still atomic
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
