/**
 * The host side of the child-process watchdog (see `watchdog-script.ts`): one small Node
 * process per host, started on first use, that kills the watched children when the host dies
 * — even by SIGKILL, where no code of the host runs. It never keeps the host alive (its
 * process and pipes are unref'd) and is attributed to no component. If it dies, the next
 * `watch()` starts a new one and hands it the current list.
 *
 * Two ways to name what it guards: `watch(pid)` (this thread's children), and
 * `guardJournals(dir)`: at the host's death it also kills the processes recorded in the
 * host's journals in `dir` — the way children started by other threads (plugin workers),
 * which cannot write to its pipe, are guarded; their journal line is on disk before `spawn`
 * returns. Third, children whose pid the host never learned (it was killed inside `spawn()`)
 * or that left their group: every process bearing the host's mark in its environment (see
 * `child-token.ts`). `ready()` resolves once the process listens: a host that awaits it before its
 * first child starts leaves no window in which a SIGKILL orphans that child.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { StewardTypeError } from '../core/index.js';
import { runOutsideComponents } from './attribution-context.js';
import { childMark } from './child-token.js';
import { WATCHDOG_SOURCE } from './watchdog-script.js';

/** How long `ready()` waits for a starting watchdog before it resolves false, ms. */
const READY_TIMEOUT_MS = 15_000;

/** Time the watchdog gives children between SIGTERM and SIGKILL after the host died, ms. */
export const WATCHDOG_GRACE_MS = 400;

interface Watched {
  readonly identity: string | undefined;
  readonly group: boolean;
}

/** Keeps the watchdog process and the list of children it guards. */
export class ChildWatchdog {
  readonly #watched = new Map<number, Watched>();
  #process: ChildProcess | undefined;
  #startedAt = 0;
  #quickFailures = 0;
  #gaveUp = false;
  readonly #journalDirs = new Set<string>();
  #ready: Promise<boolean> | undefined;

  /** The watchdog's pid, if it is running. */
  get pid(): number | undefined {
    return this.#process?.pid;
  }

  /** Pids currently guarded. */
  watchedPids(): number[] {
    return [...this.#watched.keys()];
  }

  /** Guard `pid` (with its identity, and as a process group leader if `group`). */
  watch(pid: number, identity: string | undefined, group: boolean): void {
    const entry = { identity, group };
    this.#watched.set(pid, entry);
    if (this.#gaveUp) return;
    const watchdog = this.#process ?? this.#start();
    if (watchdog !== this.#process) return; // #start() sent the whole list
    this.#send(`+${pid} ${identity ?? '-'} ${group ? 1 : 0}\n`);
  }

  /**
   * Start the watchdog process if it is not running, and resolve once it listens (true), or
   * false if it cannot be started (the warning `STEWARD_WATCHDOG` says why). Never rejects.
   */
  ready(): Promise<boolean> {
    if (this.#gaveUp) return Promise.resolve(false);
    if (this.#process === undefined) this.#start();
    return this.#ready ?? Promise.resolve(false);
  }

  /** Directories whose journals of this process are read when it dies (see the module comment). */
  journalDirs(): string[] {
    return [...this.#journalDirs];
  }

  /**
   * At the host's death, also kill the processes recorded in this process's journals in `dir`
   * (`host-<pid>-….jsonl`, written by any thread). Starts the watchdog if needed; idempotent.
   */
  guardJournals(dir: string): void {
    if (typeof dir !== 'string' || dir.length === 0 || /[\n\r]/.test(dir)) {
      throw new StewardTypeError(
        `guardJournals(dir): dir must be a non-empty path on one line (got ${JSON.stringify(dir)}).`,
      );
    }
    if (this.#journalDirs.has(dir)) return;
    this.#journalDirs.add(dir);
    if (this.#gaveUp) return;
    const watchdog = this.#process ?? this.#start();
    if (watchdog !== this.#process) return; // #start() sent everything
    this.#send(`J${dir}\n`);
  }

  /** Stop guarding `pid` (it exited or was released). */
  unwatch(pid: number): void {
    if (!this.#watched.delete(pid)) return;
    this.#send(`-${pid}\n`);
  }

  #start(): ChildProcess {
    const env = { ...process.env };
    delete env.NODE_OPTIONS;
    if (process.versions.electron !== undefined) env.ELECTRON_RUN_AS_NODE = '1';
    const child = runOutsideComponents(() =>
      spawn(
        process.execPath,
        ['-e', WATCHDOG_SOURCE, String(process.pid), String(WATCHDOG_GRACE_MS), childMark()],
        {
          stdio: ['pipe', 'pipe', 'ignore'],
          detached: process.platform !== 'win32',
          env,
          windowsHide: true,
        },
      ),
    );
    this.#process = child;
    this.#startedAt = Date.now();
    child.unref();
    const stdin = child.stdin!;
    (stdin as unknown as { unref?: () => void }).unref?.();
    stdin.on('error', () => this.#lost(child));
    child.on('error', () => this.#lost(child));
    child.on('exit', () => this.#lost(child));
    const stdout = child.stdout!;
    (stdout as unknown as { unref?: () => void }).unref?.();
    this.#ready = new Promise<boolean>((resolve) => {
      // Ref'd: a host awaiting ready() stays up meanwhile (the process and pipes are unref'd).
      const timer = setTimeout(() => settle(false), READY_TIMEOUT_MS);
      const settle = (ok: boolean): void => {
        clearTimeout(timer);
        stdout.off('data', onData);
        child.off('exit', onExit);
        child.off('error', onExit);
        if (ok) stdout.destroy();
        resolve(ok);
      };
      const onData = (): void => settle(true);
      const onExit = (): void => settle(false);
      stdout.once('data', onData);
      stdout.on('error', () => undefined);
      child.once('exit', onExit);
      child.once('error', onExit);
    });
    const lines = [...this.#journalDirs].map((dir) => `J${dir}\n`);
    lines.push(...[...this.#watched].map(([p, w]) => `+${p} ${w.identity ?? '-'} ${w.group ? 1 : 0}\n`));
    if (lines.length > 0) stdin.write(lines.join(''));
    return child;
  }

  #send(line: string): void {
    const stdin = this.#process?.stdin;
    if (stdin && !stdin.destroyed) stdin.write(line);
  }

  #lost(child: ChildProcess): void {
    if (this.#process !== child) return;
    this.#process = undefined;
    this.#ready = undefined;
    this.#quickFailures = Date.now() - this.#startedAt < 1000 ? this.#quickFailures + 1 : 0;
    if (this.#quickFailures >= 3) {
      this.#gaveUp = true;
      process.emitWarning(
        'The Steward child-process watchdog failed 3 times in a row; children started with spawnTracked() ' +
          'will not be killed if this process is killed with SIGKILL (they still are on normal cleanup).',
        { code: 'STEWARD_WATCHDOG' },
      );
      return;
    }
    // Restart at once if something is still guarded, so the guarantee holds.
    if (this.#watched.size > 0 || this.#journalDirs.size > 0) this.#start();
  }
}

let shared: ChildWatchdog | undefined;

/** The process-wide watchdog (created on first use; its process starts on the first `watch`). */
export function childWatchdog(): ChildWatchdog {
  shared ??= new ChildWatchdog();
  return shared;
}
