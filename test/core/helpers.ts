/**
 * Shared helpers of the core tests: forcing garbage collection, deferred promises and
 * resources that record when (and how often) they are disposed.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { LifecycleState } from '../../src/core/index.js';

let gcFn: (() => void) | undefined;

/**
 * Run the garbage collector several times, yielding between runs so FinalizationRegistry
 * callbacks get a chance to run. Works without `--expose-gc` on the command line (the flag is
 * set at run time and `gc` taken from a fresh context, as Jest's leak detector does).
 */
export async function collectGarbage(rounds = 6): Promise<void> {
  if (gcFn === undefined) {
    setFlagsFromString('--expose-gc');
    gcFn = runInNewContext('gc') as () => void;
  }
  for (let i = 0; i < rounds; i++) {
    gcFn();
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** A promise with its resolve/reject functions. */
export function deferred<T = void>(): {
  promise: Promise<T>;
  resolve: (value: T) => void;
  reject: (error: unknown) => void;
} {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Wait `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A resource with a `close()` that appends `name` to `log` each time it is called. */
export function closable(log: string[], name: string): { name: string; closed: number; close(): void } {
  return {
    name,
    closed: 0,
    close() {
      this.closed++;
      log.push(name);
    },
  };
}

const keptAlive: object[] = [];

/**
 * A fresh owner object kept alive until the test file ends. Owners are held weakly by the
 * manager: an owner nobody references may be collected mid-test, and its component then
 * cleaned up as leaked. Tests that do not study that use this.
 */
export function anOwner(): object {
  const o = {};
  keptAlive.push(o);
  return o;
}

/**
 * The transitions `setState` accepts, as the issue states them (written independently of
 * src/core/state.ts, so the tests are an oracle, not a copy).
 */
export const LEGAL_BY_SETSTATE: Readonly<Record<LifecycleState, readonly LifecycleState[]>> = {
  loaded: ['initialized', 'active', 'failed'],
  initialized: ['active', 'failed'],
  active: ['paused', 'failed'],
  paused: ['active', 'failed'],
  failed: [],
  cleaning: [],
  destroyed: [],
};
