/**
 * Durable resources: temp folders, temp files, lock files and child processes owned by a
 * component AND recorded in this process's on-disk journal, so that what a crashed
 * (SIGKILLed) run left behind is reclaimed by the next start (`openDurable` recovers first)
 * or by `steward recover`. Releasing the resource (or cleaning up its component) removes it
 * and its journal entry; the disposers of files and folders are synchronous, so they also
 * run on the `process.exit` path of `installShutdown`.
 *
 * Files and folders are journaled before they are created (write-ahead), so a crash between
 * the two leaves at most an entry for something that does not exist. A child process can
 * only be journaled once it has a pid; the watchdog covers it from the same moment.
 */
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { StewardTypeError } from '../core/errors.js';
import { type Component, StewardError, type TrackedResource, UseAfterCleanupError } from '../core/index.js';
import { Journal, type JournalOptions } from './journal.js';
import { acquireLockFile, releaseLockFile } from './lock-file.js';
import { type RecoveryReport, recover } from './recover.js';
import { type SpawnTrackedOptions, spawnTracked } from './spawn.js';

/** Options of `openDurable`. */
export interface DurableOptions extends JournalOptions {
  /** Recover the leftovers of dead hosts (same journal directory) before opening. Default true. */
  readonly recover?: boolean;
  /** Where temp folders and files are created. Default `os.tmpdir()`. */
  readonly tempRoot?: string;
}

/** Options of `tempDir` and `tempFile`. */
export interface TempOptions {
  /** Name prefix (no path separators). Default `steward-`. */
  readonly prefix?: string;
  /** Name suffix, e.g. `.json` (no path separators). Default none. */
  readonly suffix?: string;
}

const NAME_PART = /^[^/\\\0]*$/;

function checkPart(value: unknown, what: string, where: string): string {
  if (typeof value !== 'string' || !NAME_PART.test(value) || value === '.' || value === '..') {
    throw new StewardTypeError(
      `${where}: ${what} must be a string without path separators (got ${JSON.stringify(value)}).`,
    );
  }
  return value;
}

function checkLive(component: Component, what: string): void {
  if (component.disposed) {
    throw new UseAfterCleanupError(component.id, component.state, what, component._cleanedAt);
  }
}

/**
 * Open this process's journal (after recovering dead hosts' leftovers unless
 * `recover: false`) and return the durable-resource factory bound to it.
 */
export async function openDurable(options: DurableOptions = {}): Promise<DurableResources> {
  if (options === null || typeof options !== 'object') {
    throw new StewardTypeError('openDurable(options): options must be an object.');
  }
  const journal = Journal.open(options);
  let recovery: RecoveryReport | undefined;
  if (options.recover !== false) {
    try {
      recovery = await recover({ dir: journal.dir, app: journal.app });
    } catch (error) {
      journal.close();
      throw error;
    }
  }
  return new DurableResources(journal, resolve(options.tempRoot ?? tmpdir()), recovery);
}

/** Creates durable resources for components; see the module comment. Close it when the host stops. */
export class DurableResources implements Disposable {
  readonly #onExit = (): void => {
    if (this.journal.entries().size === 0) this.journal.close();
  };

  /** @internal Use `openDurable()`. */
  constructor(
    /** This process's journal. */
    readonly journal: Journal,
    /** Where temp folders and files are created. */
    readonly tempRoot: string,
    /** What recovery did when this was opened (undefined with `recover: false`). */
    readonly recovery: RecoveryReport | undefined,
  ) {
    process.once('exit', this.#onExit);
  }

  /** Create a private (0700) temp folder owned by `component`; `handle.value` is its path. */
  tempDir(component: Component, options: TempOptions = {}): TrackedResource<string> {
    const path = this.#tempPath(component, options, 'tempDir()');
    const id = this.journal.add({ kind: 'dir', path });
    try {
      mkdirSync(path, { mode: 0o700 });
    } catch (error) {
      this.journal.remove(id);
      throw error;
    }
    return this.#track(component, path, id, 'temp_dir', () => rmSync(path, { recursive: true, force: true }));
  }

  /** Create a private (0600) temp file owned by `component`, optionally with `data`; `handle.value` is its path. */
  tempFile(
    component: Component,
    options: TempOptions & { data?: string | Uint8Array } = {},
  ): TrackedResource<string> {
    const path = this.#tempPath(component, options, 'tempFile()');
    const id = this.journal.add({ kind: 'file', path });
    try {
      const fd = openSync(path, 'wx', 0o600);
      try {
        if (options.data !== undefined) writeSync(fd, Buffer.from(options.data));
      } finally {
        closeSync(fd);
      }
    } catch (error) {
      rmSync(path, { force: true });
      this.journal.remove(id);
      throw error;
    }
    return this.#track(component, path, id, 'temp_file', () => rmSync(path, { force: true }));
  }

  /**
   * Take the lock file at `path` for `component` (see `acquireLockFile`: a stale lock of a dead
   * process is taken over; a live holder makes this throw `LockHeldError`). Released — the file
   * removed if still ours — with the component. `handle.value` is the absolute path.
   */
  lockFile(component: Component, path: string): TrackedResource<string> {
    if (typeof path !== 'string' || path.length === 0) {
      throw new StewardTypeError(
        `lockFile(): path must be a non-empty string (got ${JSON.stringify(path)}).`,
      );
    }
    checkLive(component, `take lock ${path} in`);
    this.#checkOpen('lockFile()');
    const absolute = resolve(path);
    const token = randomBytes(12).toString('hex');
    const id = this.journal.add({ kind: 'lock', path: absolute, token });
    try {
      acquireLockFile(absolute, token);
    } catch (error) {
      this.journal.remove(id);
      throw error;
    }
    return this.#track(component, absolute, id, 'lock_file', () => releaseLockFile(absolute, token));
  }

  /** `spawnTracked` with this journal: the child is also killed by `recover()` after a crash. */
  spawn(
    component: Component,
    command: string,
    args: readonly string[] = [],
    options: Omit<SpawnTrackedOptions, 'journal'> = {},
  ): TrackedResource<ChildProcess> {
    this.#checkOpen('spawn()');
    return spawnTracked(component, command, args, { ...options, journal: this.journal });
  }

  /**
   * Close the journal. Entries still live stay on disk for `recover()`; with none left the
   * journal file is deleted. Idempotent.
   */
  close(): void {
    process.off('exit', this.#onExit);
    this.journal.close();
  }

  /** `using` support: `close()`. */
  [Symbol.dispose](): void {
    this.close();
  }

  #tempPath(component: Component, options: TempOptions, where: string): string {
    if (options === null || typeof options !== 'object')
      throw new StewardTypeError(`${where}: options must be an object.`);
    const prefix = checkPart(options.prefix ?? 'steward-', 'prefix', where);
    const suffix = checkPart(options.suffix ?? '', 'suffix', where);
    checkLive(component, `create a ${where.slice(0, -2)} in`);
    this.#checkOpen(where);
    return join(this.tempRoot, `${prefix}${randomBytes(8).toString('hex')}${suffix}`);
  }

  #track(
    component: Component,
    path: string,
    id: number,
    type: string,
    remove: () => unknown,
  ): TrackedResource<string> {
    return component.track(path, {
      type,
      dispose: () => {
        try {
          remove();
        } finally {
          this.journal.remove(id);
        }
      },
      metadata: { path, durable: true },
    });
  }

  #checkOpen(where: string): void {
    if (this.journal.closed) {
      throw new StewardError(`${where}: these durable resources were closed; call openDurable() again.`, {
        code: 'STEWARD_DURABLE_CLOSED',
      });
    }
  }
}
