/**
 * The host's mark on its children's environment: `STEWARD_CHILD_OF=<host pid>-<identity tag>`.
 * The child watchdog cannot guard a child the host never learned the pid of — and there is
 * such a moment for every child: `spawn()` forks, and the pid reaches the host's code only
 * after the child has exec'd. A host SIGKILLed in that window (a loaded machine widens it to
 * many milliseconds) used to orphan the child. So every child Steward guards — `ctx` children,
 * children attribution saw a plugin start, children of worker plugins and of plugin imports —
 * carries the mark from its first instruction, and its descendants inherit it (the `sleep`
 * a `sh -c` started, a grandchild that left the group): when the host dies, the watchdog also
 * ends every process whose environment bears the host's mark (Linux, from `/proc`). A child
 * started `detached` on purpose is not marked.
 */
import type { SpawnOptions } from 'node:child_process';
import { safePush } from '../core/intrinsics.js';
import { identityTag } from './process-identity.js';

/** The name of the environment variable that marks a guarded child. */
export const CHILD_MARK_ENV = 'STEWARD_CHILD_OF';

/**
 * The name of the environment variable that marks one process tree (a plugin's process and all
 * it starts): ending the tree also ends the processes that left it — a daemon that double-forked
 * away from its group and its parent still bears the mark (see {@link newTreeMark}).
 */
export const TREE_MARK_ENV = 'STEWARD_TREE';

let mark: string | undefined;
let trees = 0;

/** A new tree mark, unique to this host (`<host mark>-<n>`): the value of {@link TREE_MARK_ENV}. */
export function newTreeMark(): string {
  return `${childMark()}-${++trees}`;
}

/** This process's mark (`<pid>-<identity tag>`), the same in every thread. */
export function childMark(): string {
  mark ??= `${process.pid}-${identityTag(process.pid)}`;
  return mark;
}

/**
 * In a plugin's own process (process isolation): take the mark the host gave this process as
 * this process's mark, so what the plugin starts is ended by the host's watchdog, and no
 * `/proc` read is needed (it would count as the plugin's access). Call before plugin code runs.
 * A worker thread passes the mark its host sent (`given`: the same process, the same mark),
 * which spares it a `/proc` read and a hash at every start.
 */
export function inheritChildMark(given: string | undefined = process.env[CHILD_MARK_ENV]): void {
  if (typeof given === 'string' && given.length > 0) mark = given;
}

/**
 * `env` (default `process.env`) with this host's mark added: for a child's spawn options. In a
 * process that is part of a marked tree, the tree's mark is kept too, also in an `env` of the
 * caller's own.
 */
export function markedEnv(env: NodeJS.ProcessEnv | undefined): NodeJS.ProcessEnv {
  const tree = process.env[TREE_MARK_ENV];
  return {
    ...(env ?? process.env),
    [CHILD_MARK_ENV]: childMark(),
    ...(tree !== undefined && tree.length > 0 ? { [TREE_MARK_ENV]: tree } : {}),
  };
}

/**
 * Mark the child Node is about to start with these normalized spawn options (the object
 * `ChildProcess.prototype.spawn` receives: `envPairs` is the environment as `K=V` strings).
 * Returns false, marking nothing, if the options have no such list.
 */
export function markSpawnPairs(options: SpawnOptions): boolean {
  const pairs = (options as { envPairs?: unknown }).envPairs;
  if (!Array.isArray(pairs)) return false;
  const prefix = `${CHILD_MARK_ENV}=`;
  const entry = `${prefix}${childMark()}`;
  // Plain loops and Steward's own push: a plugin may have replaced Array.prototype methods.
  for (let i = 0; i < pairs.length; i++) {
    const pair: unknown = pairs[i];
    if (typeof pair === 'string' && pair.slice(0, prefix.length) === prefix) {
      pairs[i] = entry;
      return true;
    }
  }
  safePush(pairs, entry);
  return true;
}
