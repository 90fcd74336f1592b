/**
 * The resource every library is given: a small object with a `dispose()` method that
 * counts its calls, so a run can verify that each resource was disposed exactly once
 * (nothing skipped, nothing optimized away, nothing disposed twice).
 */

/** Calls of `Resource.dispose` since the last `resetCounters()`. */
export const counters = { calls: 0, twice: 0 };

export function resetCounters(): void {
  counters.calls = 0;
  counters.twice = 0;
}

export class Resource {
  disposed = false;
  constructor(readonly id: number) {}

  /** Lumino's `IDisposable` asks for it; a prototype getter, no per-instance cost. */
  get isDisposed(): boolean {
    return this.disposed;
  }

  dispose(): void {
    if (this.disposed) counters.twice++;
    this.disposed = true;
    counters.calls++;
  }
}

/** A resource whose disposal throws (after counting the call). */
export class ThrowingResource extends Resource {
  override dispose(): void {
    super.dispose();
    throw new Error(`dispose failed: resource ${this.id}`);
  }
}

export function makeResources(n: number, throwing = false): Resource[] {
  const out = new Array<Resource>(n);
  for (let i = 0; i < n; i++) out[i] = throwing ? new ThrowingResource(i) : new Resource(i);
  return out;
}

/** One container (one component / store / scope) of one library. */
export interface Container<H> {
  /** Tracks `r`; returns what the caller keeps to release it. */
  track(r: Resource): H;
  /** Releases one resource early: the library must dispose it now. */
  release(h: H): void;
  /**
   * Disposes everything still tracked. Never throws: returns the number of disposal errors
   * the library reported (0 on the happy path).
   */
  cleanup(): number | Promise<number>;
}

/** A library under test. `load()` imports it (only in the child that measures it). */
export interface Adapter {
  readonly id: string;
  readonly label: string;
  /** Why it cannot run on this runtime, or undefined when it can. */
  unavailable?(): string | undefined;
  /** How early release and cleanup map to the library's API (shown in BENCHMARKS.md). */
  readonly how: string;
  load(): Promise<() => Container<unknown>>;
}

/** Number of errors carried by something a sync `dispose()` threw. */
export function countThrown(e: unknown): number {
  if (e instanceof AggregateError) return e.errors.length;
  // Native DisposableStack chains errors: SuppressedError(error, suppressed).
  let n = 0;
  let cur: unknown = e;
  while (typeof SuppressedError === 'function' && cur instanceof SuppressedError) {
    n++;
    cur = cur.suppressed;
  }
  return n + 1;
}
