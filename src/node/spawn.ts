/**
 * `spawnTracked`: start a child process owned by a component. Compared with a plain
 * `child_process.spawn` + `track`:
 * - it runs in its own process group (POSIX), so release kills the whole tree it started
 *   (`sh -c …`, npm scripts), not only the direct child — on Linux also descendants that left
 *   the group, found from `/proc`;
 * - release sends `killSignal` (SIGTERM), waits up to `killTimeoutMs` for the exit, then
 *   SIGKILLs the group, and closes the stdio pipes — an async disposer awaited by cleanup;
 * - the process-wide watchdog guards it: if the host dies, even by SIGKILL, the child is
 *   killed within a second;
 * - with a `journal`, it is recorded as a durable resource, so `recover()` kills it if
 *   both the host and the watchdog died (only if its start time still matches).
 *
 * Because the child has its own process group, a terminal's Ctrl+C reaches only the host;
 * the host's shutdown (see `installShutdown`) then releases the child.
 */
import { type ChildProcess, type SpawnOptions, spawn } from 'node:child_process';
import { StewardError, StewardRangeError, StewardTypeError } from '../core/errors.js';
import { type Component, type TrackedResource, UseAfterCleanupError } from '../core/index.js';
import { safeClearTimeout, safeSetTimeout } from '../core/intrinsics.js';
import { markedEnv } from './child-token.js';
import type { Journal } from './journal.js';
import { processIdentity } from './process-identity.js';
import { descendants, signalAll } from './process-tree.js';
import { childWatchdog } from './watchdog.js';

/** Options of `spawnTracked`: Node's spawn options plus how the process is guarded and ended. */
export interface SpawnTrackedOptions extends SpawnOptions {
  /** Guard the child with the watchdog (it dies within 1 s if the host is SIGKILLed). Default true. */
  readonly watchdog?: boolean;
  /** Signal sent on release. Default `SIGTERM`. */
  readonly killSignal?: NodeJS.Signals;
  /** How long release waits after `killSignal` before SIGKILL, ms. Default 2000. */
  readonly killTimeoutMs?: number;
  /** Record the child in this durable journal (see `openDurable`). */
  readonly journal?: Journal;
  /** Cleanup priority of the tracked process (higher is released first). Default 0. */
  readonly priority?: number;
}

/** Whether the child has exited (or never started). */
export function hasExited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null || child.pid === undefined;
}

function signalTree(child: ChildProcess, group: boolean, signal: NodeJS.Signals): void {
  const pid = child.pid;
  if (pid === undefined) return;
  // Descendants that left the group (setsid, a daemonizing script) are found from /proc (Linux).
  const tree = descendants(pid);
  signalTree1(child, pid, group, signal);
  signalAll(tree, signal);
}

function signalTree1(child: ChildProcess, pid: number, group: boolean, signal: NodeJS.Signals): void {
  if (group) {
    try {
      process.kill(-pid, signal);
      return;
    } catch {
      // No such group (it already exited): fall back to the process itself.
    }
  }
  try {
    child.kill(signal);
  } catch {
    // Already gone.
  }
}

function waitForExit(child: ChildProcess, ms: number): Promise<boolean> {
  if (hasExited(child)) return Promise.resolve(true);
  return new Promise((resolve) => {
    const done = (exited: boolean): void => {
      safeClearTimeout(timer);
      child.off('exit', onExit);
      resolve(exited);
    };
    const onExit = (): void => done(true);
    const timer = safeSetTimeout(() => done(false), ms);
    child.on('exit', onExit);
  });
}

/**
 * End `child` (and, with `group`, its process group): `signal`, then SIGKILL after
 * `timeoutMs`; then close its stdio pipes. Rejects if it survives SIGKILL for a second.
 */
export async function terminateChild(
  child: ChildProcess,
  group: boolean,
  signal: NodeJS.Signals,
  timeoutMs: number,
): Promise<void> {
  if (!hasExited(child)) {
    signalTree(child, group, signal);
    if (!(await waitForExit(child, timeoutMs))) {
      signalTree(child, group, 'SIGKILL');
      if (!(await waitForExit(child, 1000))) {
        throw new StewardError(
          `Child process ${child.pid} (${child.spawnfile}) did not exit 1 s after SIGKILL.`,
          {
            code: 'STEWARD_CHILD_SURVIVED',
          },
        );
      }
    }
  }
  child.stdin?.destroy();
  child.stdout?.destroy();
  child.stderr?.destroy();
}

/**
 * Spawn `command` with `args` as a resource of `component` and return its tracked handle
 * (`handle.value` is the ChildProcess). Throws `UseAfterCleanupError` (spawning nothing) if
 * the component is cleaning or destroyed, and TypeError/RangeError on bad options. A command
 * that cannot be started emits `error` on the ChildProcess, as with `spawn`.
 */
export function spawnTracked(
  component: Component,
  command: string,
  args: readonly string[] = [],
  options: SpawnTrackedOptions = {},
): TrackedResource<ChildProcess> {
  if (typeof command !== 'string' || command.length === 0) {
    throw new StewardTypeError(
      `spawnTracked(): command must be a non-empty string (got ${String(command)}).`,
    );
  }
  if (!Array.isArray(args)) throw new StewardTypeError('spawnTracked(): args must be an array of strings.');
  const {
    watchdog = true,
    killSignal = 'SIGTERM',
    killTimeoutMs = 2000,
    journal,
    priority,
    ...spawnOptions
  } = options;
  if (!(Number.isFinite(killTimeoutMs) && killTimeoutMs >= 0)) {
    throw new StewardRangeError(
      `spawnTracked(): killTimeoutMs must be a number >= 0 (got ${killTimeoutMs}).`,
    );
  }
  if (component.disposed) {
    throw new UseAfterCleanupError(
      component.id,
      component.state,
      `spawn "${command}" in`,
      component._cleanedAt,
    );
  }
  if (journal?.closed) throw new StewardTypeError(`spawnTracked(): the journal ${journal.path} is closed.`);
  const group = spawnOptions.detached ?? process.platform !== 'win32';
  const child = spawn(command, args, { ...spawnOptions, detached: group, env: markedEnv(spawnOptions.env) });
  return trackChild(component, child, {
    group,
    watchdog,
    killSignal,
    killTimeoutMs,
    ...(journal !== undefined ? { journal } : {}),
    ...(priority !== undefined ? { priority } : {}),
    metadata: { pid: child.pid, command, args: [...args] },
  });
}

const tracked = new WeakSet<ChildProcess>();

/** Whether `child` was made a tracked child by `trackChild` / `spawnTracked` (its guard is theirs). */
export function isTrackedChild(child: ChildProcess): boolean {
  return tracked.has(child);
}

/** How `trackChild` guards and ends a child that was just started. */
export interface TrackChildOptions {
  /** Whether the child leads its own process group (started with `detached: true`). */
  readonly group: boolean;
  /** Guard it with the process-wide watchdog. Default true. */
  readonly watchdog?: boolean;
  /** Record it in this journal. */
  readonly journal?: Journal;
  /** Signal sent on release. Default `SIGTERM`. */
  readonly killSignal?: NodeJS.Signals;
  /** Wait after `killSignal` before SIGKILL, ms. Default 2000. */
  readonly killTimeoutMs?: number;
  /** Cleanup priority of the tracked process. */
  readonly priority?: number;
  /** Metadata of the tracked resource. Default `{ pid, command }`. */
  readonly metadata?: Readonly<Record<string, unknown>>;
}

/**
 * Make `child` — just returned by `spawn`, `fork`, `exec` or `execFile` — a resource of
 * `component`, guarded as `spawnTracked` guards its children: recorded in the journal and
 * watched by the watchdog before this returns (synchronously, so a host killed the next
 * instant still has it killed), both forgotten when it exits, and ended on release by
 * `killSignal` then SIGKILL to its whole group. A refused track (cleaned-up component, memory
 * limit) ends the child at once: nothing escapes.
 */
export function trackChild(
  component: Component,
  child: ChildProcess,
  options: TrackChildOptions,
): TrackedResource<ChildProcess> {
  const { group, watchdog = true, journal, killSignal = 'SIGTERM', killTimeoutMs = 2000, priority } = options;
  const pid = child.pid;
  let journalId: number | undefined;
  tracked.add(child);
  if (pid !== undefined && !hasExited(child)) {
    const identity = processIdentity(pid);
    if (journal !== undefined && !journal.closed) {
      journalId = journal.add({ kind: 'process', pid, identity, group, command: child.spawnfile });
    }
    if (watchdog) childWatchdog().watch(pid, identity, group);
    child.once('exit', () => {
      if (watchdog) childWatchdog().unwatch(pid);
      if (journalId !== undefined) journal?.remove(journalId);
    });
  }
  return component.track(child, {
    type: 'process',
    dispose: (c) => terminateChild(c, group, killSignal, killTimeoutMs),
    metadata: options.metadata ?? { pid, command: child.spawnfile },
    ...(priority !== undefined ? { priority } : {}),
  });
}
