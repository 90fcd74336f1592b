/**
 * The one `AbortSignal` of each component, aborted when its cleanup starts. Every DOM listener a
 * ledger adds goes through it, so a component's listeners are removed by one `abort()` — and so is
 * anything else the component passed the signal to (`fetch`, streams, its own listeners).
 *
 * This is the only place the signal is made: when the core offers `component.signal` (aborted
 * when cleanup starts), `componentSignal` returns it and the subscription below goes away.
 */
import type { Component, ResourceManager } from '../core/index.js';

const controllers = new WeakMap<Component, AbortController>();
const subscribed = new WeakSet<ResourceManager>();

function abortReason(component: Component, reason: string | undefined): DOMException {
  return new DOMException(
    `Component "${component.id}" is cleaning up${reason ? ` (${reason})` : ''}.`,
    'AbortError',
  );
}

/** The signal of `component`: aborted when its cleanup starts (already aborted if it has). */
export function componentSignal(component: Component): AbortSignal {
  const existing = controllers.get(component);
  if (existing) return existing.signal;
  if (component.disposed) return AbortSignal.abort(abortReason(component, undefined));
  const manager = component.manager;
  if (!subscribed.has(manager)) {
    subscribed.add(manager);
    manager.on('cleanupStarted', ({ component: c, reason }) => {
      const controller = controllers.get(c);
      if (controller === undefined) return;
      controllers.delete(c);
      controller.abort(abortReason(c, reason));
    });
  }
  const controller = new AbortController();
  controllers.set(component, controller);
  return controller.signal;
}
