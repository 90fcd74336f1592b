/**
 * The journal a host process writes about its durable resources (temp files and folders,
 * lock files, child processes): one append-only JSONL file per host process, so a run
 * killed with SIGKILL leaves a record of what it held and `recover()` can reclaim it.
 *
 * Guarantees:
 * - An entry is on disk before `add()` returns (with `fsync`, also across an OS crash).
 * - Each line is one `write()` to a file opened with O_APPEND: a killed process never
 *   leaves half a line; a torn last line (power loss) is ignored when read.
 * - The file never grows without bound: when removed entries take more room than the live
 *   ones (and more than `compactMinBytes`), it is rewritten to a temporary file, fsynced and
 *   renamed over the journal (atomic), so its size stays below 2 × live + `compactMinBytes`.
 */
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { StewardRangeError, StewardTypeError } from '../core/errors.js';
import { StewardError } from '../core/index.js';
import { checkAppName, DEFAULT_APP, ensurePrivateDir, journalDir } from './journal-dir.js';
import {
  addLine,
  type DurableEntry,
  headerLine,
  JOURNAL_VERSION,
  type JournalHeader,
  removeLine,
} from './journal-format.js';
import { nodeCrypto } from './lazy-crypto.js';
import { identityTag, processIdentity } from './process-identity.js';

/** Options of `Journal.open`. */
export interface JournalOptions {
  /** Application name: the default directory is `<os.tmpdir()>/steward-<app>`. Default `default`. */
  readonly app?: string;
  /** Journal directory (created with mode 0700; must be private). Default from `app`. */
  readonly dir?: string;
  /** fsync after every write, so entries survive an OS crash too. Default true. */
  readonly fsync?: boolean;
  /** Never compact below this many bytes of garbage. Default 8192. */
  readonly compactMinBytes?: number;
  /**
   * A tag in the file name, `host-<pid>-<label>-….jsonl` (1-32 letters, digits, `_`), so the
   * journal of one part of the process (a plugin's worker thread) can be found again.
   */
  readonly label?: string;
}

const LABEL = /^[A-Za-z0-9_]{1,32}$/;

/** The file-name prefix of this process's journals with `label` (see `JournalOptions.label`). */
export function journalPrefix(label?: string): string {
  const own = `host-${process.pid}-i${identityTag(process.pid)}-`;
  return label === undefined ? own : `${own}${label}-`;
}

/** File name suffix of journals. */
export const JOURNAL_SUFFIX = '.jsonl';
/** Suffix of the temporary file written during compaction. */
export const COMPACT_SUFFIX = '.compact';

/** The journal of the current process. Create with `Journal.open()`. */
export class Journal {
  /** The directory holding the journals of this application. */
  readonly dir: string;
  /** This process's journal file. */
  readonly path: string;
  /** The application name in the header. */
  readonly app: string;
  readonly #fsync: boolean;
  readonly #compactMinBytes: number;
  readonly #header: string;
  readonly #live = new Map<number, { entry: DurableEntry; bytes: number }>();
  #fd: number | undefined;
  #nextId = 1;
  #bytes = 0;
  #liveBytes = 0;
  #compactions = 0;

  private constructor(dir: string, path: string, app: string, options: JournalOptions) {
    this.dir = dir;
    this.path = path;
    this.app = app;
    this.#fsync = options.fsync ?? true;
    this.#compactMinBytes = options.compactMinBytes ?? 8192;
    const header: JournalHeader = {
      op: 'host',
      v: JOURNAL_VERSION,
      pid: process.pid,
      identity: processIdentity(process.pid),
      app,
      startedAt: new Date().toISOString(),
    };
    this.#header = headerLine(header);
  }

  /**
   * Create a new journal file for this process in the application's journal directory
   * (creating the directory, mode 0700). Throws if the directory is not private or not writable.
   */
  static open(options: JournalOptions = {}): Journal {
    if (options === null || typeof options !== 'object') {
      throw new StewardTypeError('Journal.open(options): options must be an object.');
    }
    const app = checkAppName(options.app ?? DEFAULT_APP, 'Journal.open()');
    const min = options.compactMinBytes;
    if (min !== undefined && !(Number.isSafeInteger(min) && min >= 0)) {
      throw new StewardRangeError(`Journal.open(): compactMinBytes must be an integer >= 0 (got ${min}).`);
    }
    const label = options.label;
    if (label !== undefined && !(typeof label === 'string' && LABEL.test(label))) {
      throw new StewardTypeError(
        `Journal.open(): label must be 1-32 letters, digits or "_" (got ${JSON.stringify(label)}).`,
      );
    }
    const dir = journalDir(app, options.dir);
    ensurePrivateDir(dir);
    // The pid and its identity tag: a journal torn before its header still says whose it was.
    const name = `${journalPrefix(label)}${Date.now().toString(36)}-${nodeCrypto().randomBytes(4).toString('hex')}${JOURNAL_SUFFIX}`;
    const journal = new Journal(dir, join(dir, name), app, options);
    journal.#fd = openSync(journal.path, 'ax', 0o600);
    journal.#bytes = 0;
    journal.#write(journal.#header);
    journal.#liveBytes = journal.#bytes;
    return journal;
  }

  /** Whether `close()` was called. */
  get closed(): boolean {
    return this.#fd === undefined;
  }

  /** Live entries by id (a copy). */
  entries(): Map<number, DurableEntry> {
    return new Map([...this.#live].map(([id, { entry }]) => [id, entry]));
  }

  /** Current size of the journal file, bytes. */
  get sizeBytes(): number {
    return this.#bytes;
  }

  /** How many times the file was compacted. */
  get compactions(): number {
    return this.#compactions;
  }

  /** Record `entry`; it is on disk when this returns. Returns its id for `remove`. */
  add(entry: DurableEntry): number {
    this.#checkOpen('add');
    const id = this.#nextId++;
    const line = addLine(id, entry);
    this.#write(line);
    const bytes = Buffer.byteLength(line);
    this.#live.set(id, { entry, bytes });
    this.#liveBytes += bytes;
    return id;
  }

  /** Record that entry `id` is gone. Returns false if it was not live. May compact the file. */
  remove(id: number): boolean {
    const live = this.#live.get(id);
    if (live === undefined || this.#fd === undefined) return false;
    this.#write(removeLine(id));
    this.#live.delete(id);
    this.#liveBytes -= live.bytes;
    const garbage = this.#bytes - this.#liveBytes;
    if (garbage > this.#compactMinBytes && garbage > this.#liveBytes) this.compact();
    return true;
  }

  /** Rewrite the file with only the live entries (temporary file + fsync + atomic rename). */
  compact(): void {
    this.#checkOpen('compact');
    const temp = this.path + COMPACT_SUFFIX;
    const text = this.#header + [...this.#live].map(([id, { entry }]) => addLine(id, entry)).join('');
    const fd = openSync(temp, 'w', 0o600);
    try {
      writeAll(fd, text);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, this.path);
    closeSync(this.#fd!);
    this.#fd = openSync(this.path, 'a', 0o600);
    this.#bytes = Buffer.byteLength(text);
    this.#liveBytes = this.#bytes;
    this.#compactions++;
  }

  /**
   * Close the journal. With no live entries the file is deleted; otherwise it stays so that
   * `recover()` reclaims what is left once this process is gone. Idempotent.
   */
  close(): void {
    const fd = this.#fd;
    if (fd === undefined) return;
    this.#fd = undefined;
    closeSync(fd);
    if (this.#live.size === 0) rmSync(this.path, { force: true });
  }

  #write(text: string): void {
    writeAll(this.#fd!, text);
    if (this.#fsync) fsyncSync(this.#fd!);
    this.#bytes += Buffer.byteLength(text);
  }

  #checkOpen(what: string): void {
    if (this.#fd === undefined) {
      throw new StewardError(`Journal.${what}(): the journal ${this.path} is closed; open a new one.`, {
        code: 'STEWARD_JOURNAL_CLOSED',
      });
    }
  }
}

function writeAll(fd: number, text: string): void {
  const buffer = Buffer.from(text);
  let offset = 0;
  while (offset < buffer.length) offset += writeSync(fd, buffer, offset, buffer.length - offset);
}
