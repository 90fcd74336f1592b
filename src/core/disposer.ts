/**
 * Disposer detection: given a value and its resource type, find the function that
 * releases it. Explicit disposers always win (see `Component.track`); this is the fallback.
 *
 * Order: the method the type prefers (a worker is `terminate`d, a process `kill`ed, a socket
 * `destroy`ed), `Symbol.asyncDispose`, `Symbol.dispose`, `clearTimeout` for timers (ids or Node
 * `Timeout` objects; it also clears intervals, in browsers and Node alike), then the
 * well-known method names. A listening server (any type) is closed and its connections ended
 * (server-close.ts).
 *
 * A detected method is the value's owner's API, so it is called the way that owner documents
 * its polite default: with `this` = the value and **no argument** (docs/architecture.md has the
 * table). Passing the value, as an explicit `dispose` option receives it, would be wrong for
 * every one of them: `child.kill(child)` throws `ERR_UNKNOWN_SIGNAL` and the child keeps
 * running, `socket.destroy(socket)` makes the socket its own error (an unhandled `'error'`
 * event), `controller.abort(controller)` makes the controller the abort reason,
 * `webSocket.close(webSocket)` throws (a close code must be 1000 or 3000–4999) and
 * `stream.cancel(stream)` gives the stream as the cancel reason.
 */
import { InvalidArgumentError } from './errors.js';
import { safeClearTimeout } from './intrinsics.js';
import { closeServer, isServerLike, watchConnections } from './server-close.js';
import type { Disposer, ResourceType } from './types.js';

const GENERIC = [
  'close',
  'destroy',
  'terminate',
  'kill',
  'abort',
  'cancel',
  'unsubscribe',
  'dispose',
] as const;

const PREFERRED: Partial<Record<string, readonly string[]>> = {
  worker: ['terminate'],
  thread: ['terminate'],
  process: ['kill'],
  socket: ['destroy'],
  file_handle: ['close'],
  listener: ['unsubscribe', 'dispose', 'abort'],
};

/** Types whose values hold something outside the heap: a disposer is required for them. */
const NEEDS_DISPOSER = new Set<string>([
  'file_handle',
  'thread',
  'worker',
  'timer',
  'listener',
  'socket',
  'process',
]);

/** Clears a timer; called as a detected disposer, with `this` = the timer (an id or a `Timeout`). */
const clearTimer = function clearTimer(this: unknown): void {
  safeClearTimeout(this as Parameters<typeof clearTimeout>[0]);
} as Disposer;

/** The part of Node's `ChildProcess` that `killChild` uses. */
interface ChildLike {
  readonly pid?: number | undefined;
  readonly exitCode: number | null;
  readonly signalCode: string | null;
  kill(): boolean;
  once(event: 'exit', listener: () => void): unknown;
}

function isChildProcess(v: Record<PropertyKey, unknown>): boolean {
  return typeof v.once === 'function' && 'exitCode' in v && 'signalCode' in v;
}

/**
 * A child process's polite default: `kill()` (SIGTERM), then wait for its `'exit'`, so the
 * process is gone when cleanup says it is. A child that ignores SIGTERM is abandoned at the
 * disposer timeout and reported (`disposerTimedOut`); send it SIGKILL with an explicit disposer
 * if that is what you want.
 */
const killChild = function killChild(this: ChildLike): Promise<void> | undefined {
  if (this.pid === undefined || this.exitCode !== null || this.signalCode !== null) return undefined;
  return new Promise<void>((resolve) => {
    this.once('exit', () => resolve());
    this.kill();
  });
} as Disposer;

function method(v: Record<PropertyKey, unknown>, name: string): Disposer | undefined {
  const fn = v[name];
  if (typeof fn !== 'function') return undefined;
  return name === 'kill' && isChildProcess(v) ? killChild : (fn as Disposer);
}

/**
 * Find the disposer for `value` of `type`. Returns `undefined` for plain data (no disposal
 * needed). Throws an `InvalidArgumentError` when `type` requires a disposer and none can be
 * found. Call the returned function as `disposer.call(value)`: `this` = the value, no argument
 * (for a child process it is `kill()` followed by waiting for `'exit'`, for a timer `clearTimeout`).
 */
export function detectDisposer(value: unknown, type: ResourceType): Disposer | undefined {
  if (value !== null && (typeof value === 'object' || typeof value === 'function')) {
    const v = value as Record<PropertyKey, unknown>;
    // A server's own close (and Symbol.asyncDispose) waits for its connections: end them too.
    if (isServerLike(v)) {
      watchConnections(v);
      return closeServer;
    }
    const preferred = PREFERRED[type];
    if (preferred) {
      for (const name of preferred) {
        const found = method(v, name);
        if (found) return found;
      }
    }
    // A child process's own Symbol.dispose kills it without waiting: wait for its exit too.
    if (typeof v.kill === 'function' && isChildProcess(v)) return killChild;
    const asyncDispose = v[Symbol.asyncDispose];
    if (typeof asyncDispose === 'function') return asyncDispose as Disposer;
    const dispose = v[Symbol.dispose];
    if (typeof dispose === 'function') return dispose as Disposer;
    if (type === 'timer') return clearTimer;
    for (const name of GENERIC) {
      const found = method(v, name);
      if (found) return found;
    }
  } else if (type === 'timer' && typeof value === 'number') {
    return clearTimer;
  }
  if (typeof value === 'function') {
    throw new InvalidArgumentError(
      `track(): a function was given as a ${type} resource but no disposer. To run a function at cleanup use ` +
        'component.onCleanup(fn); to track data that happens to be a function pass { dispose: null }.',
    );
  }
  if (NEEDS_DISPOSER.has(type)) {
    throw new InvalidArgumentError(
      `track(): cannot find how to dispose of this ${type}: it has no Symbol.asyncDispose, Symbol.dispose or ` +
        `${[...(PREFERRED[type] ?? []), ...GENERIC].join('/')} method. Pass { dispose: (value) => … }, ` +
        'or { dispose: null } if it truly needs no disposal.',
    );
  }
  return undefined;
}
