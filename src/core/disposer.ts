/**
 * Disposer detection: given a value and its resource type, find the function that
 * releases it. Explicit disposers always win (see `Component.track`); this is the fallback.
 *
 * Order: the method the type prefers (a worker is `terminate`d, a process `kill`ed, a socket
 * `destroy`ed), `Symbol.asyncDispose`, `Symbol.dispose`, `clearTimeout` for timers (ids or Node
 * `Timeout` objects; it also clears intervals, in browsers and Node alike), then the
 * well-known method names.
 */

import { StewardTypeError } from './errors.js';
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

const clearTimer: Disposer = (timer) => clearTimeout(timer as Parameters<typeof clearTimeout>[0]);

/**
 * Find the disposer for `value` of `type`. Returns `undefined` for plain data (no disposal
 * needed). Throws a TypeError when `type` requires a disposer and none can be found.
 * The returned function is called as `disposer.call(value, value)`.
 */
export function detectDisposer(value: unknown, type: ResourceType): Disposer | undefined {
  if (value !== null && (typeof value === 'object' || typeof value === 'function')) {
    const v = value as Record<PropertyKey, unknown>;
    const preferred = PREFERRED[type];
    if (preferred) {
      for (const name of preferred) if (typeof v[name] === 'function') return v[name] as Disposer;
    }
    const asyncDispose = v[Symbol.asyncDispose];
    if (typeof asyncDispose === 'function') return asyncDispose as Disposer;
    const dispose = v[Symbol.dispose];
    if (typeof dispose === 'function') return dispose as Disposer;
    if (type === 'timer') return clearTimer;
    for (const name of GENERIC) if (typeof v[name] === 'function') return v[name] as Disposer;
  } else if (type === 'timer' && typeof value === 'number') {
    return clearTimer;
  }
  if (typeof value === 'function') {
    throw new StewardTypeError(
      `track(): a function was given as a ${type} resource but no disposer. To run a function at cleanup use ` +
        'component.onCleanup(fn); to track data that happens to be a function pass { dispose: null }.',
    );
  }
  if (NEEDS_DISPOSER.has(type)) {
    throw new StewardTypeError(
      `track(): cannot find how to dispose of this ${type}: it has no Symbol.asyncDispose, Symbol.dispose or ` +
        `${[...(PREFERRED[type] ?? []), ...GENERIC].join('/')} method. Pass { dispose: (value) => … }, ` +
        'or { dispose: null } if it truly needs no disposal.',
    );
  }
  return undefined;
}
