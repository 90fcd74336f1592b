/**
 * Untracked children die with their host too. While `guardAttributedChildren()` is on, every
 * child process started by a component's code (see `runInComponent`: an inline plugin under a
 * host with attribution) with plain `node:child_process` — no `ctx`, no `spawnTracked` — is
 * handed to the child watchdog the moment it has a pid, before `spawn()` returns: if the host
 * dies, even by SIGKILL, it is killed (its group if it leads one; only if its start time still
 * matches). Nothing else changes: it is not tracked, attribution still reports it as a leak.
 *
 * A child detached on purpose — started with `detached: true` and then `unref()`ed, Node's
 * documented recipe for a process meant to outlive its parent — is let go at the `unref()`.
 *
 * A child that is not detached also bears the host's mark in its environment (see
 * `child-token.ts`): the watchdog then ends it even if the host died inside `spawn()`, and its
 * descendants with it (the command a shell started for `exec()`, which killing the shell
 * alone used to leave running).
 *
 * Code a plugin runs while it is imported (before it has a component) counts as the plugin's
 * too: the host imports an inline plugin inside `runPluginImport`.
 *
 * How: Node publishes every new ChildProcess on the `child_process` diagnostics channel just
 * before spawning it; the instance's `spawn` and `unref` are wrapped there (that one object
 * only), so the pid and the `detached` option are known exactly.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { ChildProcess, SpawnOptions } from 'node:child_process';
import dc from 'node:diagnostics_channel';
import { componentStorage } from './attribution-context.js';
import { childMark, markSpawnPairs } from './child-token.js';
import { processIdentity } from './process-identity.js';
import { isTrackedChild } from './spawn.js';
import { childWatchdog } from './watchdog.js';

const CHANNEL = 'child_process';

/** A ChildProcess as Node builds it: `spawn(options)` is called right after construction. */
type Spawnable = ChildProcess & { spawn(options: SpawnOptions): unknown };
let users = 0;

const importing = new AsyncLocalStorage<string>();

/**
 * Run `fn` — the import of plugin `id`'s module — so that the children its top-level code
 * starts are guarded as a component's code's children are. Returns what `fn` returns.
 */
export function runPluginImport<R>(id: string, fn: () => R): R {
  return importing.run(id, fn);
}

function onChild(message: unknown): void {
  // Not a component's code, nor a plugin's import.
  if (componentStorage.getStore() === undefined && importing.getStore() === undefined) return;
  const child = (message as { process?: unknown } | null)?.process as Spawnable | undefined;
  if (child === null || typeof child !== 'object' || typeof child.spawn !== 'function') return;
  const spawn = child.spawn;
  let detached = false;
  let watched = false;
  Object.defineProperty(child, 'spawn', {
    configurable: true,
    writable: true,
    value(this: ChildProcess, options: SpawnOptions) {
      detached = options?.detached === true;
      if (!detached && options !== null && typeof options === 'object') markSpawnPairs(options);
      const result = spawn.call(this, options);
      const pid = this.pid;
      if (pid !== undefined && this.exitCode === null && !isTrackedChild(this)) {
        childWatchdog().watch(pid, processIdentity(pid), detached);
        watched = true;
        this.once('exit', () => {
          if (watched && !isTrackedChild(this)) childWatchdog().unwatch(pid);
          watched = false;
        });
      }
      return result;
    },
  });
  const unref = child.unref;
  Object.defineProperty(child, 'unref', {
    configurable: true,
    writable: true,
    value(this: ChildProcess) {
      unref.call(this);
      if (detached && watched && this.pid !== undefined && !isTrackedChild(this)) {
        watched = false;
        childWatchdog().unwatch(this.pid);
      }
    },
  });
}

/**
 * Guard the children components' code starts without tracking them (see the module comment).
 * Returns the function that turns it off for this user; on while at least one user is.
 */
export function guardAttributedChildren(): () => void {
  childMark(); // computed now, not inside Node's spawn
  if (users++ === 0) dc.subscribe(CHANNEL, onChild);
  let released = false;
  return () => {
    if (released) return;
    released = true;
    if (--users === 0) dc.unsubscribe(CHANNEL, onChild);
  };
}

function onWorkerChild(message: unknown): void {
  const child = (message as { process?: unknown } | null)?.process as Spawnable | undefined;
  if (child === null || typeof child !== 'object' || typeof child.spawn !== 'function') return;
  const spawn = child.spawn;
  Object.defineProperty(child, 'spawn', {
    configurable: true,
    writable: true,
    value(this: ChildProcess, options: SpawnOptions) {
      if (options !== null && typeof options === 'object' && options.detached !== true) {
        markSpawnPairs(options);
      }
      return spawn.call(this, options);
    },
  });
}

let workerGuarded = false;

/**
 * In a worker plugin's thread: mark every child started there without `detached` (with `ctx`
 * or not) with the host's mark, so the host's watchdog ends it, and its descendants, when the
 * host exits or dies. A worker thread cannot write to the watchdog's pipe; the mark needs
 * none. Idempotent.
 */
export function guardWorkerChildren(): void {
  if (workerGuarded) return;
  workerGuarded = true;
  childMark();
  dc.subscribe(CHANNEL, onWorkerChild);
}
