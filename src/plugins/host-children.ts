/**
 * The host's side of "no orphan, ever": where plugins' child processes are journaled, and the
 * watchdog that kills them if the host dies — set up by the host itself, so an application
 * embedding `PluginHost` (with or without `installShutdown`) needs nothing more.
 *
 * - The journal folder is `PluginHostOptions.journalDir`, default `<os.tmpdir()>/steward-plugins`
 *   (private, mode 0700). The host's main thread writes `host-<pid>-….jsonl` there, each worker
 *   plugin `host-<pid>-w<n>-….jsonl`, each opened on its first child (no child, no file) with
 *   one line per live child; a journal left with no live child is deleted when closed.
 * - Before the first plugin activates, the host starts the child watchdog and waits until it
 *   listens (`prepare()`), and tells it the journal folder: at the host's death it kills the
 *   children of every thread's journal, and the main thread's watched children.
 * - When a worker plugin's thread is ended (abandoned, crashed), the children its journal
 *   still names are killed (`reclaimWorker`): the thread ran no cleanup of its own.
 * - If both the host and the watchdog die (a machine-wide kill), `steward recover --dir
 *   <journalDir>` or `recover({ dir })` reclaims what the journals name.
 */
import { childMark } from '../node/child-token.js';
import { Journal } from '../node/journal.js';
import { ensurePrivateDir, journalDir } from '../node/journal-dir.js';
import { reclaimJournaledChildren } from '../node/journal-reclaim.js';
import { nodeCrypto } from '../node/lazy-crypto.js';
import { childWatchdog } from '../node/watchdog.js';
import type { ChildGuard } from './context-children.js';
import type { LogSink } from './logger.js';

/** The application name of plugin hosts' journals: `<tmpdir>/steward-plugins`. */
export const PLUGINS_JOURNAL_APP = 'plugins';

/** Where a worker plugin journals its children (sent in its boot message). */
export interface ChildJournalBoot {
  readonly dir: string;
  readonly label: string;
}

/** Open a journal for child processes only (no fsync: a child does not outlive an OS crash). */
export function openChildJournal(dir: string, label?: string): Journal {
  return Journal.open({ dir, app: PLUGINS_JOURNAL_APP, fsync: false, ...(label ? { label } : {}) });
}

/** A journal opened on first use; `undefined` (and one warning) if the folder cannot be used. */
export function lazyJournal(open: () => Journal, warn: (message: string) => void): ChildGuard['journal'] {
  let journal: Journal | undefined;
  let failed = false;
  return () => {
    if (journal !== undefined && !journal.closed) return journal;
    if (failed) return undefined;
    try {
      journal = open();
    } catch (error) {
      failed = true;
      warn(
        (error as NodeJS.ErrnoException).code === 'ERR_ACCESS_DENIED'
          ? 'child processes are not journaled: the permission model keeps this plugin process out of the ' +
              "host's journal folder. They still end with its process group and tree (unload, crash, the " +
              "host's death through its watchdog); only `steward recover`, after both the host and its " +
              'watchdog were killed, cannot find them.'
          : `child processes are not journaled: ${(error as Error).message}`,
      );
    }
    return journal;
  };
}

/** The guard of one host's plugin children. */
export class HostChildren {
  /** The journal folder. */
  readonly dir: string;
  readonly #log: LogSink;
  readonly #main: ChildGuard['journal'];
  #opened: Journal | undefined;
  #prepared: Promise<void> | undefined;
  #usable = true;

  constructor(dir: string | undefined, log: LogSink) {
    this.dir = journalDir(PLUGINS_JOURNAL_APP, dir);
    this.#log = log;
    this.#main = lazyJournal(
      () => {
        this.#opened = openChildJournal(this.dir);
        return this.#opened;
      },
      (message) => this.#warn(message),
    );
  }

  /**
   * Make the folder, hand it to the watchdog, and wait until the watchdog listens. Memoized;
   * never rejects (a folder that cannot be used is warned about, and the watchdog still guards
   * the main thread's children).
   */
  prepare(): Promise<void> {
    this.#prepared ??= (async () => {
      childMark(); // computed now (it reads /proc), not inside a plugin's spawn
      try {
        ensurePrivateDir(this.dir);
        childWatchdog().guardJournals(this.dir);
      } catch (error) {
        this.#usable = false;
        this.#warn(`child processes are not journaled: ${(error as Error).message}`);
      }
      await childWatchdog().ready();
    })();
    return this.#prepared;
  }

  /** The guard of inline plugins' children: the main thread's journal and watchdog. */
  readonly inline: ChildGuard = {
    journal: () => (this.#usable ? this.#main() : undefined),
    watchdog: true,
  };

  /** A new journal place for one worker plugin thread, or undefined if the folder is unusable. */
  forWorker(): ChildJournalBoot | undefined {
    return this.#usable
      ? { dir: this.dir, label: `w${nodeCrypto().randomBytes(6).toString('hex')}` }
      : undefined;
  }

  /** Kill what the worker's journal still names (its thread ended without cleanup). Never rejects. */
  async reclaimWorker(boot: ChildJournalBoot): Promise<number[]> {
    const { killed } = await reclaimJournaledChildren(boot.dir, boot.label);
    return killed;
  }

  /** Close the main thread's journal (deleted if no child is left). Idempotent. */
  close(): void {
    this.#opened?.close();
  }

  #warn(message: string): void {
    this.#log({ level: 'warn', plugin: 'steward', message, args: [], time: Date.now() });
  }
}
