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
 * How: Node publishes every new ChildProcess on the `child_process` diagnostics channel just
 * before spawning it; the instance's `spawn` and `unref` are wrapped there (that one object
 * only), so the pid and the `detached` option are known exactly.
 */
import type { ChildProcess, SpawnOptions } from 'node:child_process';
import dc from 'node:diagnostics_channel';
import { componentStorage } from './attribution-context.js';
import { processIdentity } from './process-identity.js';
import { isTrackedChild } from './spawn.js';
import { childWatchdog } from './watchdog.js';

const CHANNEL = 'child_process';

/** A ChildProcess as Node builds it: `spawn(options)` is called right after construction. */
type Spawnable = ChildProcess & { spawn(options: SpawnOptions): unknown };
let users = 0;

function onChild(message: unknown): void {
  if (componentStorage.getStore() === undefined) return; // not a component's code
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
  if (users++ === 0) dc.subscribe(CHANNEL, onChild);
  let released = false;
  return () => {
    if (released) return;
    released = true;
    if (--users === 0) dc.unsubscribe(CHANNEL, onChild);
  };
}
