/**
 * One adapter per library, all driving the same two workloads through `Container`: track an
 * item, release one early (the library must dispose it), clean up the rest.
 *
 * - `values`: a plain value and the application's `closeValue` disposer; each library carries
 *   the pair in its own idiom (Steward: `track(v, { dispose })`; DisposableStore:
 *   `add(toDisposable(() => closeValue(v)))`; …).
 * - `disposables`: an object with its own `dispose()`, held as it is where the library can.
 *
 * Each library is imported lazily in `load()`, so a child process loads only the library
 * it measures.
 */
import type { Scope as EffectScope } from 'effect';
import type { Adapter, Container, Resource, Value } from './workload.js';
import { closeValue, countThrown } from './workload.js';

/** Steward's explicit disposer for a ready-made disposable: a shared function. */
const disposeResource = (r: Resource): void => r.dispose();

/** Calls `fn` and turns a synchronous throw into an error count (for `dispose()`-style cleanups). */
function countErrors(fn: () => void): number {
  try {
    fn();
    return 0;
  } catch (e) {
    return countThrown(e);
  }
}

/** A store whose `remove` does not dispose (Lumino's `DisposableSet`, event-kit's `CompositeDisposable`). */
interface RemovingStore<D> {
  add(d: D): void;
  remove(d: D): void;
  dispose(): void;
}

/** A container over such a store: `wrap` turns an item into what the store holds. */
function removeThenDispose<R, D extends { dispose(): unknown }>(
  store: RemovingStore<D>,
  wrap: (r: R) => D,
): Container<R & (Value | Resource), D> {
  return {
    track(r) {
      const d = wrap(r);
      store.add(d);
      return d;
    },
    release(d) {
      store.remove(d);
      d.dispose();
    },
    cleanup: () => countErrors(() => store.dispose()),
  };
}

/** Holds the items in an array and nothing else: the retained-bytes baseline. */
export const baseline: Adapter = {
  id: 'baseline',
  label: 'resources only (baseline)',
  how: { values: 'no library', disposables: 'no library', callbacks: 'no library' },
  async load() {
    return {
      values: () => ({ track: (v: Value) => v, release: (v: Value) => closeValue(v), cleanup: () => 0 }),
      disposables: () => ({
        track: (r: Resource) => r,
        release: (r: Resource) => r.dispose(),
        cleanup: () => 0,
      }),
      callbacks: () => ({ track: (v: Value) => v, release: (v: Value) => closeValue(v), cleanup: () => 0 }),
    };
  },
};

/** A `Map` keyed by id; `close` disposes one item. */
function mapContainer<R extends Value | Resource>(close: (r: R) => void): Container<R, R> {
  const entries = new Map<number, R>();
  return {
    track(r) {
      entries.set(r.id, r);
      return r;
    },
    release(r) {
      if (entries.delete(r.id)) close(r);
    },
    cleanup() {
      let errors = 0;
      for (const r of entries.values()) {
        try {
          close(r);
        } catch {
          errors++;
        }
      }
      entries.clear();
      return errors;
    },
  };
}

export const map: Adapter = {
  id: 'map',
  label: 'bare Map',
  how: {
    values:
      '`Map<number, Value>` keyed by id; release = `delete(id)` + `closeValue(v)`; cleanup = iterate, close (errors collected), `clear()`',
    disposables:
      '`Map<number, Resource>` keyed by id; release = `delete(id)` + `dispose()`; cleanup = iterate, dispose (errors collected), `clear()`',
    callbacks:
      '`Map<number, () => void>` of `() => closeValue(v)` keyed by id; release = `delete(id)` (not run); cleanup = iterate, call, `clear()`',
  },
  async load() {
    return {
      values: () => mapContainer<Value>(closeValue),
      disposables: () => mapContainer<Resource>(disposeResource),
      callbacks: () => {
        const entries = new Map<number, () => void>();
        return {
          track(v: Value) {
            entries.set(v.id, () => closeValue(v));
            return v.id;
          },
          release: (id: number) => {
            entries.delete(id);
          },
          cleanup() {
            let errors = 0;
            for (const fn of entries.values()) {
              try {
                fn();
              } catch {
                errors++;
              }
            }
            entries.clear();
            return errors;
          },
          expectedCalls: (n: number) => n - Math.ceil(n / 2),
        };
      },
    };
  },
};

export const steward: Adapter = {
  id: 'steward',
  label: 'Steward',
  how: {
    values:
      "`component.track(v, { type: 'memory', size: 64, dispose: closeValue })`; release = `handle.release()`; cleanup = `await component.cleanup({ force: true })`, errors = `report.failed.length`",
    disposables:
      "`component.track(r, { type: 'memory', size: 64, dispose })` with a shared `dispose = (r) => r.dispose()`; release and cleanup as for values",
    callbacks:
      '`component.onCleanup(() => closeValue(v))`; release = `registration.dispose()` (unregisters, does not run it); cleanup as for values',
  },
  async load() {
    const { ResourceManager } = await import('../../src/core/index.js');
    let n = 0;
    const container = <R extends Value | Resource>(dispose: (r: R) => void) => {
      // A fresh manager per run, so runs do not accumulate destroyed components.
      const manager = new ResourceManager();
      const component = manager.register(`bench-${++n}`);
      return {
        track: (r: R) => component.track(r, { type: 'memory', size: 64, dispose }),
        release: (h: { release(): boolean }) => {
          h.release();
        },
        async cleanup() {
          const report = await component.cleanup({ force: true });
          return report.failed.length;
        },
      };
    };
    return {
      values: () => container<Value>(closeValue),
      disposables: () => container<Resource>(disposeResource),
      callbacks: () => {
        const component = new ResourceManager().register(`bench-${++n}`);
        return {
          track: (v: Value) => component.onCleanup(() => closeValue(v)),
          release: (registration: { dispose(): boolean }) => {
            registration.dispose();
          },
          async cleanup() {
            return (await component.cleanup({ force: true })).failed.length;
          },
          expectedCalls: (n: number) => n - Math.ceil(n / 2),
        };
      },
    };
  },
};

/** Steward's DisposableStore-shaped path for ready-made disposables. */
export const stewardAdd: Adapter = {
  id: 'steward-add',
  label: 'Steward component.add',
  how: {
    disposables:
      '`component.add(r)`; release = `component.delete(r)` (removes and disposes); cleanup = `await component.cleanup({ force: true })`, errors = `report.failed.length`',
  },
  async load() {
    const { ResourceManager } = await import('../../src/core/index.js');
    let n = 0;
    return {
      disposables: () => {
        const component = new ResourceManager().register(`bench-add-${++n}`);
        return {
          track: (r: Resource) => component.add(r),
          release: (r: Resource) => {
            component.delete(r);
          },
          async cleanup() {
            return (await component.cleanup({ force: true })).failed.length;
          },
        };
      },
    };
  },
};

export const disposableStore: Adapter = {
  id: 'vscode',
  label: 'VS Code DisposableStore',
  how: {
    values:
      '`store.add(toDisposable(() => closeValue(v)))`; release = `store.delete(d)` (removes and disposes); cleanup = `store.dispose()` (throws one `AggregateError`)',
    disposables: '`store.add(r)`; release = `store.delete(r)`; cleanup = `store.dispose()`',
    callbacks:
      '`store.add(toDisposable(() => closeValue(v)))`; release = `store.delete(d)` (removes and runs it); cleanup = `store.dispose()`',
  },
  async load() {
    const { DisposableStore, toDisposable } = await import('monaco-editor/base/common/lifecycle.js');
    return {
      callbacks: () => {
        const store = new DisposableStore();
        return {
          track: (v: Value) => store.add(toDisposable(() => closeValue(v))),
          release: (d: { dispose(): void }) => store.delete(d),
          cleanup: () => countErrors(() => store.dispose()),
        };
      },
      values: () => {
        const store = new DisposableStore();
        return {
          track: (v: Value) => store.add(toDisposable(() => closeValue(v))),
          release: (d: { dispose(): void }) => store.delete(d),
          cleanup: () => countErrors(() => store.dispose()),
        };
      },
      disposables: () => {
        const store = new DisposableStore();
        return {
          track: (r: Resource) => store.add(r),
          release: (r: Resource) => store.delete(r),
          cleanup: () => countErrors(() => store.dispose()),
        };
      },
    };
  },
};

export const lumino: Adapter = {
  id: 'lumino',
  label: '@lumino/disposable DisposableSet',
  how: {
    values:
      '`set.add(new DisposableDelegate(() => closeValue(v)))`; release = `set.remove(d)` + `d.dispose()` (remove does not dispose); cleanup = `set.dispose()` (stops at the first throw)',
    disposables: '`set.add(r)`; release = `set.remove(r)` + `r.dispose()`; cleanup = `set.dispose()`',
  },
  async load() {
    const { DisposableDelegate, DisposableSet } = await import('@lumino/disposable');
    return {
      values: () =>
        removeThenDispose(new DisposableSet(), (v: Value) => new DisposableDelegate(() => closeValue(v))),
      disposables: () => removeThenDispose(new DisposableSet(), (r: Resource) => r),
    };
  },
};

export const eventKit: Adapter = {
  id: 'event-kit',
  label: 'event-kit CompositeDisposable',
  how: {
    values:
      '`composite.add(new Disposable(() => closeValue(v)))`; release = `composite.remove(d)` + `d.dispose()`; cleanup = `composite.dispose()` (stops at the first throw)',
    disposables:
      '`composite.add(r)`; release = `composite.remove(r)` + `r.dispose()`; cleanup = `composite.dispose()`',
  },
  async load() {
    const { CompositeDisposable, Disposable } = await import('event-kit');
    return {
      values: () =>
        removeThenDispose(new CompositeDisposable(), (v: Value) => new Disposable(() => closeValue(v))),
      disposables: () => removeThenDispose(new CompositeDisposable(), (r: Resource) => r),
    };
  },
};

export const effectScope: Adapter = {
  id: 'effect',
  label: 'Effect Scope',
  how: {
    values:
      'one child scope per value (`Scope.fork(parent)` + `Scope.addFinalizer(child, Effect.sync(() => closeValue(v)))`, each `Effect.runSync`); release = `Scope.close(child, Exit.void)`; cleanup = `Scope.close(parent, Exit.void)` via `runSyncExit`, errors = `cause.reasons.length`',
    disposables: 'as for values, the finalizer being `Effect.sync(() => r.dispose())`',
  },
  async load() {
    const { Effect, Exit, Scope } = await import('effect');
    const container = <R>(close: (r: R) => void) => {
      const parent = Scope.makeUnsafe();
      return {
        track(r: R) {
          const child = Effect.runSync(Scope.fork(parent));
          Effect.runSync(
            Scope.addFinalizer(
              child,
              Effect.sync(() => close(r)),
            ),
          );
          return child;
        },
        release(child: EffectScope.Closeable) {
          Effect.runSync(Scope.close(child, Exit.void));
        },
        cleanup() {
          const exit = Effect.runSyncExit(Scope.close(parent, Exit.void));
          return Exit.isFailure(exit) ? exit.cause.reasons.length : 0;
        },
      };
    };
    return {
      values: () => container<Value>(closeValue),
      disposables: () => container<Resource>(disposeResource),
    };
  },
};

export const disposableStack: Adapter = {
  id: 'stack',
  label: 'native DisposableStack',
  how: {
    values:
      '`stack.adopt(v, closeIfOpen)`; no per-item removal exists, so release = `closeValue(v)` by the caller and the entry stays in the stack (skipped at cleanup); cleanup = `stack.dispose()` (throws a `SuppressedError` chain)',
    disposables:
      '`stack.adopt(r, disposeIfLive)`; release = `r.dispose()` by the caller; cleanup = `stack.dispose()`',
  },
  unavailable: () =>
    typeof DisposableStack === 'function' ? undefined : `no DisposableStack in Node ${process.version}`,
  async load() {
    const container = <R>(close: (r: R) => void, live: (r: R) => boolean) => {
      const stack = new DisposableStack();
      const closeIfLive = (r: R): void => {
        if (live(r)) close(r);
      };
      return {
        track: (r: R) => stack.adopt(r, closeIfLive),
        release: (r: R) => close(r),
        cleanup: () => countErrors(() => stack.dispose()),
      };
    };
    return {
      values: () => container<Value>(closeValue, (v) => !v.closed),
      disposables: () => container<Resource>(disposeResource, (r) => !r.disposed),
    };
  },
};

/** Every library, in table order. */
export const ADAPTERS: readonly Adapter[] = [
  map,
  steward,
  stewardAdd,
  disposableStore,
  lumino,
  eventKit,
  effectScope,
  disposableStack,
];

export function adapterById(id: string): Adapter {
  if (id === baseline.id) return baseline;
  const a = ADAPTERS.find((x) => x.id === id);
  if (a === undefined) throw new Error(`unknown adapter ${id}`);
  return a;
}
