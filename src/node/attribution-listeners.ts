/**
 * Listener attribution: a listener that a component's code adds to an emitter which outlives
 * the component — `process.on`/`once`, or an EventEmitter another plugin provides as a
 * service — keeps the component's code (and all it closes over) alive and keeps running after
 * unload. While attribution is on, such listeners are recorded in the component's handle
 * table (kind `listener`, with a creation stack when stacks are on), reported at its cleanup
 * if still attached, and removed by `reclaim`. Recording uses the emitter's own
 * `newListener` event: nothing of Node or of the emitter is patched.
 */
import { EventEmitter } from 'node:events';
import { types } from 'node:util';
import type { Component, ResourceManager, ServiceToken } from '../core/index.js';
import { componentStorage, runOutsideComponents } from './attribution-context.js';
import { record } from './attribution-hook.js';
import type { ListenerHandle } from './handle-kinds.js';

/** The handles of each listener function: alive as long as the function is (ephemeron). */
const holders = new WeakMap<object, ListenerHandle[]>();

interface Watch {
  readonly onNew: (event: string | symbol, listener: (...args: unknown[]) => void) => void;
  users: number;
}
const watches = new Map<EventEmitter, Watch>();

/**
 * Whether `value` is a Node EventEmitter — asked without running any of its code: a service
 * may be a hostile Proxy whose `getPrototypeOf` trap throws.
 */
function isEmitter(value: unknown): boolean {
  if (value === process) return true;
  if (value === null || typeof value !== 'object' || types.isProxy(value)) return false;
  try {
    return value instanceof EventEmitter;
  } catch {
    return false;
  }
}

function within(component: Component, ancestor: Component | undefined): boolean {
  for (let c: Component | undefined = component; c !== undefined; c = c.parent)
    if (c === ancestor) return true;
  return false;
}

/**
 * Record the listeners component code adds to `emitter` (`label` names it in reports:
 * `process`, `service "bus"`), except those of `owner`'s subtree (an emitter's owner
 * listening to itself is no leak). Watches are counted: the returned function stops one.
 * Does nothing for a value that is not a Node EventEmitter.
 */
export function watchListeners(emitter: unknown, label: string, owner?: Component): () => void {
  if (!isEmitter(emitter)) return () => {};
  const target = emitter as EventEmitter;
  let watch = watches.get(target);
  if (watch === undefined) {
    const onNew = (event: string | symbol, listener: (...args: unknown[]) => void): void => {
      const component = componentStorage.getStore();
      if (component === undefined || typeof listener !== 'function' || within(component, owner)) return;
      const handle: ListenerHandle = { emitter: target, event, listener, label };
      const list = holders.get(listener);
      if (list === undefined) holders.set(listener, [handle]);
      else list.push(handle);
      record(component, 'listener', 'LISTENER', handle, onNew);
    };
    watch = { onNew, users: 0 };
    watches.set(target, watch);
    // Steward's own listener, added outside any component (never recorded as a plugin's).
    runOutsideComponents(() => target.on('newListener', onNew));
  }
  watch.users++;
  let stopped = false;
  const current = watch;
  return () => {
    if (stopped) return;
    stopped = true;
    if (--current.users > 0) return;
    target.off('newListener', current.onNew);
    if (watches.get(target) === current) watches.delete(target);
  };
}

/**
 * What an attribution session watches: `process`, and every EventEmitter provided as a
 * service through `managers` while the session is on (the provider's own listeners excluded).
 * Returns the function that stops all of it.
 */
export function watchSessionListeners(managers: readonly ResourceManager[]): () => void {
  const stops = [watchListeners(process, 'process')];
  const byToken = new Map<ServiceToken<unknown>, () => void>();
  const subscriptions = managers.flatMap((manager) => [
    manager.on('serviceProvided', ({ token, component }) => {
      byToken.get(token)?.();
      byToken.set(
        token,
        watchListeners(manager.services.tryGet(token), `service "${token.name}"`, component),
      );
    }),
    manager.on('serviceWithdrawn', ({ token }) => {
      byToken.get(token)?.();
      byToken.delete(token);
    }),
  ]);
  return () => {
    for (const s of subscriptions) s.dispose();
    for (const stop of [...stops, ...byToken.values()]) stop();
    byToken.clear();
  };
}
