/**
 * The host side of the child-process watchdog (see `watchdog-script.ts`): one small Node
 * process per host, started on first use, that kills the watched children when the host dies
 * — even by SIGKILL, where no code of the host runs. It never keeps the host alive (its
 * process and pipe are unref'd) and is attributed to no component. If it dies, the next
 * `watch()` starts a new one and hands it the current list.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { runOutsideComponents } from './attribution-context.js';
import { WATCHDOG_SOURCE } from './watchdog-script.js';

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
      spawn(process.execPath, ['-e', WATCHDOG_SOURCE, String(process.pid), String(WATCHDOG_GRACE_MS)], {
        stdio: ['pipe', 'ignore', 'ignore'],
        detached: process.platform !== 'win32',
        env,
        windowsHide: true,
      }),
    );
    this.#process = child;
    this.#startedAt = Date.now();
    child.unref();
    const stdin = child.stdin!;
    (stdin as unknown as { unref?: () => void }).unref?.();
    stdin.on('error', () => this.#lost(child));
    child.on('error', () => this.#lost(child));
    child.on('exit', () => this.#lost(child));
    const lines = [...this.#watched].map(([p, w]) => `+${p} ${w.identity ?? '-'} ${w.group ? 1 : 0}\n`);
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
    if (this.#watched.size > 0) this.#start();
  }
}

let shared: ChildWatchdog | undefined;

/** The process-wide watchdog (created on first use; its process starts on the first `watch`). */
export function childWatchdog(): ChildWatchdog {
  shared ??= new ChildWatchdog();
  return shared;
}
