/**
 * One adapter per library, all driving the same workload through `Container`: track a
 * `Resource`, release one early (the library must dispose it), clean up the rest.
 * Each library is imported lazily in `load()`, so a child process loads only the library
 * it measures.
 */
import type { Scope as EffectScope } from 'effect';
import type { Adapter, Container, Resource } from './workload.js';
import { countThrown } from './workload.js';

/** Steward's explicit disposer: a shared function, as an application would write it. */
const disposeResource = (r: Resource): void => r.dispose();

/** Holds the resources in an array and nothing else: the retained-bytes baseline. */
export const baseline: Adapter = {
  id: 'baseline',
  label: 'resources only (baseline)',
  how: 'no library: the resource itself is the handle',
  async load() {
    return () => ({
      track: (r: Resource) => r,
      release: (r: Resource) => r.dispose(),
      cleanup: () => 0,
    });
  },
};

export const map: Adapter = {
  id: 'map',
  label: 'bare Map',
  how: '`Map<number, Resource>` keyed by the resource id, the caller keeps the resource; release = `delete(id)` + `dispose()`; cleanup = iterate, dispose (errors collected), `clear()`',
  async load() {
    return (): Container<Resource> => {
      const entries = new Map<number, Resource>();
      return {
        track(r) {
          entries.set(r.id, r);
          return r;
        },
        release(r) {
          if (entries.delete(r.id)) r.dispose();
        },
        cleanup() {
          let errors = 0;
          for (const r of entries.values()) {
            try {
              r.dispose();
            } catch {
              errors++;
            }
          }
          entries.clear();
          return errors;
        },
      };
    };
  },
};

export const steward: Adapter = {
  id: 'steward',
  label: 'Steward',
  how: "`component.track(r, { type: 'memory', size: 64, dispose })`; release = `handle.release()`; cleanup = `await component.cleanup({ force: true })`, errors = `report.failed.length`",
  async load() {
    const { ResourceManager } = await import('../../src/core/index.js');
    let n = 0;
    return () => {
      // A fresh manager per run, so runs do not accumulate destroyed components.
      const manager = new ResourceManager();
      const component = manager.register({}, `bench-${++n}`);
      return {
        track: (r: Resource) => component.track(r, { type: 'memory', size: 64, dispose: disposeResource }),
        release: (h: { release(): boolean }) => {
          h.release();
        },
        async cleanup() {
          const report = await component.cleanup({ force: true });
          return report.failed.length;
        },
      };
    };
  },
};

export const disposableStore: Adapter = {
  id: 'vscode',
  label: 'VS Code DisposableStore',
  how: '`store.add(r)`; release = `store.delete(r)` (removes and disposes); cleanup = `store.dispose()` (throws one `AggregateError`)',
  async load() {
    const { DisposableStore } = await import('monaco-editor/base/common/lifecycle.js');
    return (): Container<Resource> => {
      const store = new DisposableStore();
      return {
        track: (r) => store.add(r),
        release: (r) => store.delete(r),
        cleanup() {
          try {
            store.dispose();
            return 0;
          } catch (e) {
            return countThrown(e);
          }
        },
      };
    };
  },
};

export const lumino: Adapter = {
  id: 'lumino',
  label: '@lumino/disposable DisposableSet',
  how: '`set.add(r)`; release = `set.remove(r)` + `r.dispose()` (remove does not dispose); cleanup = `set.dispose()` (stops at the first throw)',
  async load() {
    const { DisposableSet } = await import('@lumino/disposable');
    return (): Container<Resource> => {
      const set = new DisposableSet();
      return {
        track(r) {
          set.add(r);
          return r;
        },
        release(r) {
          set.remove(r);
          r.dispose();
        },
        cleanup() {
          try {
            set.dispose();
            return 0;
          } catch (e) {
            return countThrown(e);
          }
        },
      };
    };
  },
};

export const eventKit: Adapter = {
  id: 'event-kit',
  label: 'event-kit CompositeDisposable',
  how: '`composite.add(r)`; release = `composite.remove(r)` + `r.dispose()`; cleanup = `composite.dispose()` (stops at the first throw)',
  async load() {
    const { CompositeDisposable } = await import('event-kit');
    return (): Container<Resource> => {
      const composite = new CompositeDisposable();
      return {
        track(r) {
          composite.add(r);
          return r;
        },
        release(r) {
          composite.remove(r);
          r.dispose();
        },
        cleanup() {
          try {
            composite.dispose();
            return 0;
          } catch (e) {
            return countThrown(e);
          }
        },
      };
    };
  },
};

export const effectScope: Adapter = {
  id: 'effect',
  label: 'Effect Scope',
  how: 'one child scope per resource (`Scope.fork(parent)` + `Scope.addFinalizer(child, Effect.sync(dispose))`, each `Effect.runSync`); release = `Scope.close(child, Exit.void)`; cleanup = `Scope.close(parent, Exit.void)` via `runSyncExit`, errors = `cause.reasons.length`',
  async load() {
    const { Effect, Exit, Scope } = await import('effect');
    return () => {
      const parent = Scope.makeUnsafe();
      return {
        track(r: Resource) {
          const child = Effect.runSync(Scope.fork(parent));
          Effect.runSync(
            Scope.addFinalizer(
              child,
              Effect.sync(() => r.dispose()),
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
  },
};

export const disposableStack: Adapter = {
  id: 'stack',
  label: 'native DisposableStack',
  how: '`stack.adopt(r, disposeIfLive)`; no per-item removal exists, so release = `r.dispose()` by the caller and the entry stays in the stack (skipped at cleanup); cleanup = `stack.dispose()` (throws a `SuppressedError` chain)',
  unavailable: () =>
    typeof DisposableStack === 'function' ? undefined : `no DisposableStack in Node ${process.version}`,
  async load() {
    const disposeIfLive = (r: Resource): void => {
      if (!r.disposed) r.dispose();
    };
    return (): Container<Resource> => {
      const stack = new DisposableStack();
      return {
        track: (r) => stack.adopt(r, disposeIfLive),
        release: (r) => r.dispose(),
        cleanup() {
          try {
            stack.dispose();
            return 0;
          } catch (e) {
            return countThrown(e);
          }
        },
      };
    };
  },
};

/** Every library, in table order. */
export const ADAPTERS: readonly Adapter[] = [
  map,
  steward,
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
