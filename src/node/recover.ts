/**
 * Crash recovery: reclaim what dead host processes left behind, as recorded in their
 * journals (see `journal.ts`). Called at start-up by `openDurable()` and by `steward recover`.
 *
 * For every journal whose host is dead (its pid is gone, or now names another process):
 * 1. claim it by renaming it to `<name>.recovering-<pid>-<identity tag>` (atomic: two
 *    recoverers never work on the same journal; a claim left by a dead recoverer — its pid
 *    gone, or now another process's — is taken over);
 * 2. kill the recorded child processes — only when the pid still has the recorded identity
 *    (start time), never when unsure — SIGTERM, then SIGKILL after `graceMs`;
 * 3. remove recorded files and lock files (a lock only if it still holds the token it was
 *    written with), then directories (recursively);
 * 4. delete the journal, or on errors give it its name back so a later run retries.
 * Journals of live hosts, and of hosts whose liveness cannot be established, are left alone.
 * Every "is this still the process recorded" check compares identities (pid and start time;
 * process-identity.ts), from the journal's header or the tag in a file's name. An entry of the
 * folder that cannot be read as a journal — a folder or FIFO where a journal should be, a file
 * this user may not read — is reported in `unreadable` and left alone; the rest are recovered.
 */
import { lstatSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join, parse, resolve, sep } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { StewardRangeError, StewardTypeError } from '../core/errors.js';
import { COMPACT_SUFFIX, JOURNAL_SUFFIX } from './journal.js';
import { checkAppName, checkPrivateDir, DEFAULT_APP, journalDir } from './journal-dir.js';
import { type DurableEntry, type JournalHeader, readJournal } from './journal-format.js';
import { identityTag, processIdentity, processLiveness, taggedProcessAlive } from './process-identity.js';

/** Options of `recover()`. */
export interface RecoverOptions {
  /** Application name; the directory defaults to `<os.tmpdir()>/steward-<app>`. Default `default`. */
  readonly app?: string;
  /** Journal directory (overrides `app`). */
  readonly dir?: string;
  /** Time a process gets between SIGTERM and SIGKILL, ms. Default 1000. */
  readonly graceMs?: number;
}

/** What `recover()` did. */
export interface RecoveryReport {
  /** The journal directory examined. */
  readonly dir: string;
  /** Journals of dead hosts that were processed. */
  journals: number;
  /** Journals left alone because their host is alive (or might be). */
  liveHosts: number;
  /** Files, lock files and directories removed. */
  readonly removed: string[];
  /** Processes killed, with the signal that ended them. */
  readonly killed: Array<{ pid: number; command: string; signal: 'SIGTERM' | 'SIGKILL' }>;
  /** Entries whose resource was already gone. */
  gone: number;
  /** Entries deliberately not acted on, with why. */
  readonly skipped: Array<{ entry: DurableEntry; reason: string }>;
  /** Failures; their journals are kept for a later retry. */
  readonly errors: Array<{ journal: string; entry?: DurableEntry; error: string }>;
  /**
   * Entries of the folder that could not be read as journals (a folder or FIFO where a journal
   * should be, a file this user may not read), with why: left where they are, never blocking
   * the recovery of the others.
   */
  readonly unreadable: Array<{ path: string; reason: string }>;
}

const RECOVERING = /\.recovering-(\d+)(?:-([0-9a-f]{12}|x))?$/;
const HOST_PID = /^host-(\d+)-(?:i([0-9a-f]{12}|x)-)?/;

/** Whether the host a journal's (or compaction file's) name records may still be running. */
function namedHostAlive(name: string): boolean {
  const match = HOST_PID.exec(name);
  if (match === null) return true; // not ours to judge
  return taggedProcessAlive(Number(match[1]), match[2]);
}

/** Why `error` (from reading a journal) means it cannot be recovered, for `unreadable`. */
function unreadableReason(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'EACCES' || code === 'EPERM')
    return `cannot be read (${code}): this user may not read it; check its owner and mode (it was not recovered)`;
  return `cannot be read as a journal (${String(error)}); it was not recovered`;
}

/**
 * Reclaim the durable resources of dead hosts in the journal directory. Resolves with a report;
 * rejects only if the directory exists but is unsafe (not private, not a folder) or cannot be
 * listed. One entry that cannot be read never stops the others: it goes to `unreadable`.
 */
export async function recover(options: RecoverOptions = {}): Promise<RecoveryReport> {
  if (options === null || typeof options !== 'object') {
    throw new StewardTypeError('recover(options): options must be an object.');
  }
  const app = checkAppName(options.app ?? DEFAULT_APP, 'recover()');
  const graceMs = options.graceMs ?? 1000;
  if (!(Number.isFinite(graceMs) && graceMs >= 0)) {
    throw new StewardRangeError(`recover(): graceMs must be a number >= 0 (got ${graceMs}).`);
  }
  const dir = journalDir(app, options.dir);
  const report: RecoveryReport = {
    dir,
    journals: 0,
    liveHosts: 0,
    removed: [],
    killed: [],
    gone: 0,
    skipped: [],
    errors: [],
    unreadable: [],
  };
  try {
    checkPrivateDir(dir); // also: a file where the folder should be
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return report;
    throw error;
  }
  const names = readdirSync(dir);
  for (const name of names) {
    const path = join(dir, name);
    const known = name.endsWith(COMPACT_SUFFIX) || name.endsWith(JOURNAL_SUFFIX) || RECOVERING.test(name);
    if (!known) continue;
    let claimed: { file: string; original: string } | undefined;
    try {
      const stat = lstatSync(path);
      if (!stat.isFile()) {
        const what = stat.isDirectory()
          ? 'a folder'
          : stat.isSymbolicLink()
            ? 'a symbolic link'
            : 'not a regular file';
        report.unreadable.push({
          path,
          reason: `is ${what}, not a journal (Steward writes journals as plain files); remove it — it was left alone`,
        });
        continue;
      }
      if (name.endsWith(COMPACT_SUFFIX)) {
        if (!namedHostAlive(name)) rmSync(path, { force: true });
        continue;
      }
      claimed = claim(path, name, report);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue; // taken meanwhile
      report.unreadable.push({ path, reason: unreadableReason(error) });
      continue;
    }
    if (claimed === undefined) continue;
    const { file, original } = claimed;
    const errorsBefore = report.errors.length;
    try {
      const contents = readJournal(file);
      await reclaimEntries([...contents.live.values()], file, graceMs, dir, report);
    } catch (error) {
      report.errors.push({ journal: original, error: String(error) });
    }
    report.journals++;
    if (report.errors.length === errorsBefore) rmSync(file, { force: true });
    else renameSync(file, original);
  }
  return report;
}

/** Try to take a journal for recovery. Returns the claimed file and its original name, or undefined. */
function claim(
  path: string,
  name: string,
  report: RecoveryReport,
): { file: string; original: string } | undefined {
  const recovering = RECOVERING.exec(name);
  const ownTag = identityTag(process.pid);
  if (recovering) {
    const owner = Number(recovering[1]);
    const mine = owner === process.pid && (recovering[2] === undefined || recovering[2] === ownTag);
    if (!mine && taggedProcessAlive(owner, recovering[2])) return undefined; // another recoverer is on it
  } else if (name.endsWith(JOURNAL_SUFFIX)) {
    if (!hostIsDead(path, name)) {
      report.liveHosts++;
      return undefined;
    }
  } else {
    return undefined;
  }
  const original = recovering ? path.slice(0, path.length - recovering[0].length) : path;
  const file = `${original}.recovering-${process.pid}-${ownTag}`;
  if (file === path) return { file, original };
  try {
    renameSync(path, file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined; // claimed by someone else
    throw error;
  }
  return { file, original };
}

function hostIsDead(path: string, name: string): boolean {
  let header: JournalHeader | undefined;
  try {
    header = readJournal(path).header;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
  if (header !== undefined) {
    if (header.pid === process.pid && header.identity === processIdentity(process.pid)) return false;
    return processLiveness(header.pid, header.identity) === 'dead';
  }
  // No intact header: the host died while creating the file. Judge by the pid and identity
  // tag in the name.
  return HOST_PID.test(name) && !namedHostAlive(name);
}

async function reclaimEntries(
  entries: DurableEntry[],
  journal: string,
  graceMs: number,
  dir: string,
  report: RecoveryReport,
): Promise<void> {
  const newestFirst = entries.reverse();
  // Processes first: they may be writing into the files and folders removed next.
  await killAll(
    newestFirst.filter((e) => e.kind === 'process'),
    journal,
    graceMs,
    report,
  );
  for (const entry of newestFirst) {
    if (entry.kind === 'file' || entry.kind === 'lock') removePath(entry, journal, dir, report);
  }
  for (const entry of newestFirst) {
    if (entry.kind === 'dir') removePath(entry, journal, dir, report);
  }
}

type ProcessEntry = Extract<DurableEntry, { kind: 'process' }>;

async function killAll(
  entries: ProcessEntry[],
  journal: string,
  graceMs: number,
  report: RecoveryReport,
): Promise<void> {
  const targets: ProcessEntry[] = [];
  for (const entry of entries) {
    const state = processLiveness(entry.pid, entry.identity);
    if (state === 'dead') report.gone++;
    else if (state === 'unknown') {
      report.skipped.push({
        entry,
        reason: `pid ${entry.pid} exists but its start time cannot be compared with the recorded one; not killed`,
      });
    } else if (signal(entry, 'SIGTERM')) targets.push(entry);
    else report.gone++;
  }
  const alive = (e: ProcessEntry): boolean => processLiveness(e.pid, e.identity) === 'alive';
  const waiting = await waitUntilDead(targets, graceMs, alive);
  for (const entry of targets) {
    if (!waiting.includes(entry))
      report.killed.push({ pid: entry.pid, command: entry.command, signal: 'SIGTERM' });
  }
  for (const entry of waiting) signal(entry, 'SIGKILL');
  const survivors = await waitUntilDead(waiting, 1000, alive);
  for (const entry of waiting) {
    if (survivors.includes(entry)) {
      report.errors.push({ journal, entry, error: `pid ${entry.pid} survived SIGKILL for 1 s` });
    } else {
      report.killed.push({ pid: entry.pid, command: entry.command, signal: 'SIGKILL' });
    }
  }
}

/** Signal the process (or its group). Returns false if it no longer exists. */
function signal(entry: ProcessEntry, sig: NodeJS.Signals): boolean {
  try {
    process.kill(entry.group ? -entry.pid : entry.pid, sig);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH' || !entry.group) return false;
  }
  try {
    process.kill(entry.pid, sig);
    return true;
  } catch {
    return false;
  }
}

async function waitUntilDead<T>(targets: T[], ms: number, alive: (t: T) => boolean): Promise<T[]> {
  let left = targets.filter(alive);
  const until = Date.now() + ms;
  while (left.length > 0 && Date.now() < until) {
    await sleep(25);
    left = left.filter(alive);
  }
  return left;
}

/** Paths recovery refuses to delete whatever a journal says: roots, home, the journal dir and its ancestors. */
function isProtected(path: string, dir: string): boolean {
  if (!isAbsolute(path)) return true;
  const p = resolve(path);
  if (p === parse(p).root || p === homedir()) return true;
  return dir === p || dir.startsWith(p.endsWith(sep) ? p : p + sep) || dirname(p) === p;
}

function removePath(
  entry: Extract<DurableEntry, { kind: 'dir' | 'file' | 'lock' }>,
  journal: string,
  dir: string,
  report: RecoveryReport,
): void {
  const path = entry.path;
  if (isProtected(path, dir)) {
    report.skipped.push({ entry, reason: `refusing to delete protected path ${path}` });
    return;
  }
  try {
    let stat: ReturnType<typeof lstatSync>;
    try {
      stat = lstatSync(path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
        report.gone++;
        return;
      }
      throw error;
    }
    if (entry.kind === 'lock') {
      const content = stat.isFile() ? readFileSync(path, 'utf8') : '';
      if (!content.includes(entry.token)) {
        report.skipped.push({
          entry,
          reason: `lock ${path} now holds another token (taken over since); not removed`,
        });
        return;
      }
    }
    if (entry.kind === 'dir' && !stat.isDirectory()) {
      report.skipped.push({ entry, reason: `${path} is no longer a directory; not removed` });
      return;
    }
    rmSync(path, { recursive: entry.kind === 'dir', force: true });
    report.removed.push(path);
  } catch (error) {
    report.errors.push({ journal, entry, error: String(error) });
  }
}
