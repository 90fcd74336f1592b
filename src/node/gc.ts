/**
 * A full, synchronous garbage collection on demand, without the user passing `--expose-gc`:
 * the `gc()` of `--expose-gc` when the process has it, else the flag turned on at run time
 * (`v8.setFlagsFromString('--expose-gc')`) and `gc` taken from a fresh context.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

let gcFunction: (() => void) | undefined;

/** Run a full, synchronous garbage collection. */
export function forceGc(): void {
  if (gcFunction === undefined) {
    const exposed = (globalThis as { gc?: () => void }).gc;
    if (typeof exposed === 'function') gcFunction = exposed;
    else {
      setFlagsFromString('--expose-gc');
      gcFunction = runInNewContext('gc') as () => void;
    }
  }
  gcFunction();
}

/** Resolve in a fresh macrotask: a `WeakRef.deref()` keeps its target alive until its job ends. */
export const nextMacrotask = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
