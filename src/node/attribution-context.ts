/**
 * The current component: an `AsyncLocalStorage` that carries the component whose code is
 * running, across `await`, timers, I/O callbacks and event emitters created in that code.
 * Handle attribution (see `attribution.ts`) reads it when an async resource is created.
 * Setting it costs nothing per resource; on Node 20 the first use of any AsyncLocalStorage
 * turns on Node's own promise hooks (on Node ≥ 22.7 / 24 it uses AsyncContextFrame and is free).
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { StewardTypeError } from '../core/errors.js';
import { Component, ResourceManager, UseAfterCleanupError } from '../core/index.js';

/** @internal The storage itself (read by the attribution hook). */
export const componentStorage = new AsyncLocalStorage<Component>();
// A component registered while a plugin's code runs was registered by that plugin (leak reports name it).
ResourceManager._currentComponent = () => componentStorage.getStore();

function checkComponent(component: unknown, where: string): asserts component is Component {
  if (!(component instanceof Component)) {
    throw new StewardTypeError(
      `${where}: expected a Component (from manager.register), got ${String(component)}.`,
    );
  }
  if (component.state === 'destroyed' || component.state === 'cleaning') {
    throw new UseAfterCleanupError(component.id, component.state, 'run code in', component._cleanedAt);
  }
}

/**
 * Run `fn` as code of `component`: every async resource it creates — directly, after an
 * `await`, or in callbacks it schedules — is attributed to `component` while attribution
 * is enabled. Returns what `fn` returns. Throws if the component is cleaning or destroyed.
 */
export function runInComponent<R>(component: Component, fn: () => R): R {
  checkComponent(component, 'runInComponent()');
  if (typeof fn !== 'function')
    throw new StewardTypeError('runInComponent(component, fn): fn must be a function.');
  return componentStorage.run(component, fn);
}

/**
 * Make `component` the current component for the rest of the current synchronous execution
 * and everything it schedules (`AsyncLocalStorage.enterWith`). Prefer `runInComponent`, whose
 * effect ends with the function; use this at the top of a plugin's entry point.
 */
export function enterComponent(component: Component): void {
  checkComponent(component, 'enterComponent()');
  componentStorage.enterWith(component);
}

/**
 * Whether this Node carries async context in AsyncContextFrame (Node ≥ 24 by default; 22 with
 * `--experimental-async-context-frame`): then running code in a component costs next to nothing.
 * Otherwise (Node 20) the first `runInComponent` turns on Node's promise hooks, which slows every
 * promise of the process (BENCHMARKS.md, plugins suite).
 */
export function asyncContextIsCheap(): boolean {
  const major = Number(process.versions.node.split('.')[0]);
  const flags = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)];
  if (major >= 24) return !flags.includes('--no-async-context-frame');
  if (major >= 22) return flags.includes('--experimental-async-context-frame');
  return false;
}

/** The component whose code is running, if any. */
export function currentComponent(): Component | undefined {
  return componentStorage.getStore();
}

/**
 * Run `fn` outside any component: what it creates is attributed to nobody. Steward uses it
 * for its own long-lived helpers (the child-process watchdog).
 */
export function runOutsideComponents<R>(fn: () => R): R {
  return componentStorage.exit(fn);
}
