/**
 * What every library is given, in two workloads (see BENCHMARKS.md, "What is measured"):
 *
 * - `values`: plain objects with no `dispose` method (a buffer, a timer id, a socket wrapper),
 *   released by the application's `closeValue` function — what `track(value, { dispose })`
 *   is for. Each library carries the value together with that disposer in its own idiom.
 * - `disposables`: objects that already have a `dispose()` method, which container libraries
 *   such as DisposableStore hold as they are.
 *
 * Both count the disposals, so a run can verify that each resource was disposed exactly once
 * (nothing skipped, nothing optimized away, nothing disposed twice).
 */

/**
 * The workloads. `callbacks`: each library registers a fresh closure `() => closeValue(v)` to run
 * at cleanup and unregisters every other one early (Steward: `onCleanup(fn)` + `registration.dispose()`,
 * which does not run it; DisposableStore: `add(toDisposable(fn))` + `delete(d)`, which does).
 */
export type WorkloadKind = 'values' | 'disposables' | 'callbacks';
export const WORKLOADS: readonly WorkloadKind[] = ['values', 'disposables', 'callbacks'];

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

/** A value with no disposal method of its own: `closeValue` releases it. */
export class Value {
  closed = false;
  constructor(
    readonly id: number,
    readonly throws: boolean,
  ) {}
}

/** The application's disposer for a `Value`: counts the call, throws for a throwing value. */
export function closeValue(v: Value): void {
  if (v.closed) counters.twice++;
  v.closed = true;
  counters.calls++;
  if (v.throws) throw new Error(`close failed: value ${v.id}`);
}

export function makeValues(n: number, throwing = false): Value[] {
  const out = new Array<Value>(n);
  for (let i = 0; i < n; i++) out[i] = new Value(i, throwing);
  return out;
}

/** The items of workload `kind`. */
export function makeItems(kind: WorkloadKind, n: number, throwing = false): Item[] {
  return kind === 'disposables' ? makeResources(n, throwing) : makeValues(n, throwing);
}

/** An item of either workload. */
export type Item = Value | Resource;

/** One container (one component / store / scope) of one library. */
export interface Container<R extends Item = Item, H = unknown> {
  /** Tracks `r`; returns what the caller keeps to release it. */
  track(r: R): H;
  /** Releases one resource early: the library must dispose it now. */
  release(h: H): void;
  /**
   * Disposes everything still tracked. Never throws: returns the number of disposal errors
   * the library reported (0 on the happy path).
   */
  cleanup(): number | Promise<number>;
  /**
   * Disposals the run must count for N items (default N). A callback unregistered early is
   * not run by Steward or a Map (N/2), and is by DisposableStore's `delete` (N).
   */
  expectedCalls?(n: number): number;
}

/** A library under test. `load()` imports it (only in the child that measures it). */
export interface Adapter {
  readonly id: string;
  readonly label: string;
  /** Why it cannot run on this runtime, or undefined when it can. */
  unavailable?(): string | undefined;
  /** How early release and cleanup map to the library's API (shown in BENCHMARKS.md). */
  readonly how: Readonly<Partial<Record<WorkloadKind, string>>>;
  /** Imports the library; returns a factory of fresh containers for each workload. */
  load(): Promise<Factories>;
}

/** Fresh-container factories, one per workload the library takes part in. */
export interface Factories {
  readonly values?: () => Container<Value>;
  readonly disposables?: () => Container<Resource>;
  readonly callbacks?: () => Container<Value>;
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
