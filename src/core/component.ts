/**
 * A component: the unit of ownership (a plugin, a tab, a panel, a scope). It holds its
 * tracked resources and cleanup callbacks in registration order, its children, its memory
 * figures and its lifecycle state. Created by `ResourceManager.register`.
 */
import { cleanupOptionsError, runCleanup } from './cleanup.js';
import { detectDisposer } from './disposer.js';
import {
  CleanupError,
  DisposerTimeoutError,
  describe,
  IllegalTransitionError,
  StewardError,
  StewardRangeError,
  StewardTypeError,
  UseAfterCleanupError,
} from './errors.js';
import { validateLimit } from './limits.js';
import type { ResourceManager } from './manager.js';
import { type CleanupReport, hasProblems } from './report.js';
import { EVICTABLE, EXTRAS, RELEASED, type ReleaseReason, TrackedResource, WEAK } from './resource.js';
import { isThenable, reportRejection, settleWithin } from './settle.js';
import { acceptsResources, allowedTransitions, canTransition, isLifecycleState } from './state.js';
import type { CleanupOptions, Disposer, LifecycleState, MemoryLimit, TrackOptions } from './types.js';

/** A registered cleanup callback. Dispose the registration to unregister without running it. */
export interface CleanupRegistration extends Disposable {
  /** Unregister the callback without running it. Returns false if it already ran or was removed. */
  dispose(): boolean;
}

/** Options of `Component.onCleanup`. */
export interface CleanupCallbackOptions {
  /** Higher runs first. Default 0. Callbacks and resources share one order. */
  readonly priority?: number;
  /** Shown in reports and monitors. */
  readonly name?: string;
}

const ON_CLEANUP = { type: 'callback' } as const;

/**
 * The unit of ownership. Resources tracked here are disposed when it is cleaned up:
 * higher priority first, then newest first; children before the parent; never half-way.
 */
export class Component implements AsyncDisposable {
  /** @internal oldest record. */
  _head: TrackedResource | undefined = undefined;
  /** @internal newest record. */
  _tail: TrackedResource | undefined = undefined;
  /** @internal number of linked records. */
  _count = 0;
  /** @internal bytes of own resources. */
  _ownBytes = 0;
  /** @internal bytes of own resources and all descendants'. */
  _subtreeBytes = 0;
  /** @internal whether any record must go before the children (services). */
  _hasEarly = false;
  /** @internal whether any record has a non-zero priority (cleanup must sort). */
  _hasPriorities = false;
  /** @internal children in registration order. */
  _children: Set<Component> | undefined = undefined;
  /**
   * @internal Only while this component has an `evict` limit: the evictable records of its
   * subtree, least recently used first (value: the manager's use sequence number), so eviction
   * under this limit visits only them, each once.
   */
  _lru: Map<TrackedResource, number> | undefined = undefined;
  /** @internal */
  _state: LifecycleState;
  /** @internal */
  _limit: Required<MemoryLimit> | undefined;
  /** @internal in-flight or finished cleanup. */
  _cleanup: Promise<CleanupReport> | undefined = undefined;
  /** @internal stack of the cleanup call, with leak tracking on. */
  _cleanedAt: string | undefined = undefined;
  /** @internal error given to fail(). */
  _error: unknown = undefined;
  /** @internal an owner held strongly (scopes, whose owner object is internal). */
  _anchor: object | undefined = undefined;
  /** Creation time, ms since the Unix epoch. */
  readonly createdAt = Date.now();

  /** @internal Created by `ResourceManager.register`. */
  constructor(
    /** The manager this component belongs to. */
    readonly manager: ResourceManager,
    /** Unique id among live components of the manager. */
    readonly id: string,
    /** Free-form kind: `plugin`, `tab`, `scope`… */
    readonly type: string,
    /** Parent component, if any. */
    readonly parent: Component | undefined,
    /** @internal weak reference to the owner object. */
    readonly _owner: WeakRef<object>,
    limit: MemoryLimit | undefined,
    /** Metadata given at registration. */
    readonly metadata: Readonly<Record<string, unknown>> | undefined,
    state: LifecycleState,
  ) {
    this._state = state;
    this._limit = limit && { bytes: limit.bytes, policy: limit.policy ?? 'warn' };
    if (this._limit) manager._limitedComponents++;
    if (this._limit?.policy === 'evict') this._lru = new Map(); // a new subtree holds nothing yet
  }

  /** Current lifecycle state. */
  get state(): LifecycleState {
    return this._state;
  }

  /** The error given to `fail()`, if the component failed. */
  get error(): unknown {
    return this._error;
  }

  /** The owner object, unless it was garbage-collected. */
  get owner(): object | undefined {
    return this._owner.deref();
  }

  /** Number of tracked resources and cleanup callbacks (not counting children's). */
  get resourceCount(): number {
    return this._count;
  }

  /** Bytes of this component's own resources. */
  get ownBytes(): number {
    return this._ownBytes;
  }

  /** Bytes of this component's resources and all its descendants'. */
  get bytes(): number {
    return this._subtreeBytes;
  }

  /** The memory limit of this component's subtree, if any. */
  get memoryLimit(): Required<MemoryLimit> | undefined {
    return this._limit;
  }

  /** Live children, oldest first. */
  get children(): readonly Component[] {
    return this._children ? [...this._children] : [];
  }

  /** Whether the component is cleaning up or destroyed. */
  get disposed(): boolean {
    return !acceptsResources(this._state);
  }

  /** Tracked resources, oldest first (a snapshot array). */
  resources(): TrackedResource[] {
    const out: TrackedResource[] = [];
    for (let r = this._head; r; r = r._next) out.push(r);
    return out;
  }

  /**
   * Set (or with `undefined`, remove) the memory limit of this component's subtree.
   * The new limit applies to later tracking and resizing.
   */
  setMemoryLimit(limit: MemoryLimit | undefined): void {
    const next =
      limit === undefined ? undefined : validateLimit(limit, `component "${this.id}" memory limit`);
    if (this.state === 'destroyed') return;
    this.manager._limitedComponents += (next ? 1 : 0) - (this._limit ? 1 : 0);
    this._limit = next;
    if (next?.policy !== 'evict') this._lru = undefined;
    else this._lru ??= this.manager._subtreeLru(this);
  }

  /**
   * Track `value` as a resource of this component and return its handle.
   * Throws (and tracks nothing) on bad options or a `reject` memory limit. On a component
   * that is cleaning up or destroyed, disposes `value` at once and throws `UseAfterCleanupError`.
   */
  track<T>(value: T, options?: TrackOptions<T>): TrackedResource<T> {
    if (options !== undefined && (options === null || typeof options !== 'object')) {
      throw new StewardTypeError(
        `track(): options must be an object such as { type, size, dispose } (got ${describe(options)}).`,
      );
    }
    const manager = this.manager;
    const type = options?.type ?? 'custom';
    if (typeof type !== 'string' || type.length === 0) {
      throw new StewardTypeError(`track(): options.type must be a non-empty string (got ${describe(type)}).`);
    }
    const size = options?.size ?? 0;
    if (typeof size !== 'number' || !(size >= 0 && size < Number.POSITIVE_INFINITY)) {
      throw new StewardRangeError(
        `track(): options.size must be a finite number of bytes >= 0 (got ${describe(size)}).`,
      );
    }
    const priority = options?.priority ?? 0;
    if (priority !== 0 && (typeof priority !== 'number' || !Number.isFinite(priority))) {
      throw new StewardRangeError(
        `track(): options.priority must be a finite number (got ${describe(priority)}).`,
      );
    }
    let disposer: Disposer | undefined;
    const d = options?.dispose;
    if (d !== undefined) {
      if (d !== null && typeof d !== 'function') {
        throw new StewardTypeError(
          `track(): options.dispose must be a function, or null for values needing no disposal (got ${describe(d)}).`,
        );
      }
      disposer = (d ?? undefined) as Disposer | undefined;
    } else {
      disposer = detectDisposer(value, type);
    }
    let flags = 0;
    if (options?.weak) {
      if (value === null || (typeof value !== 'object' && typeof value !== 'function')) {
        throw new StewardTypeError(`track(): only objects can be tracked weakly (got ${describe(value)}).`);
      }
      flags |= WEAK;
    }
    if (options?.evictable) flags |= EVICTABLE;
    const metadata = options?.metadata;
    if (priority !== 0 || metadata !== undefined) flags |= EXTRAS;
    if (!acceptsResources(this._state)) {
      this.#disposeRejected(value, disposer, type);
      throw new UseAfterCleanupError(this.id, this._state, `track a ${type} in`, this._cleanedAt);
    }
    if (size > 0) {
      manager._admit(this, size);
      // Eviction ran disposers, which may have started this component's cleanup.
      if (!acceptsResources(this._state)) {
        this.#disposeRejected(value, disposer, type);
        throw new UseAfterCleanupError(this.id, this._state, `track a ${type} in`, this._cleanedAt);
      }
    }
    const record = new TrackedResource<T>(
      manager._nextId++,
      type,
      size,
      flags & WEAK ? new WeakRef(value as object) : value,
      disposer,
      flags,
      this,
      manager._clock.now(),
    );
    if (flags & EXTRAS) manager._extras.set(record, { priority, metadata });
    // Link at the tail (newest).
    const tail = this._tail;
    if (tail === undefined) this._head = record;
    else {
      tail._next = record;
      record._prev = tail;
    }
    this._tail = record;
    this._count++;
    if (priority !== 0) this._hasPriorities = true;
    manager._onTracked(this, record, value);
    return record;
  }

  /**
   * Register `fn` to run when this component is cleaned up. It obeys the same order as
   * resources (priority, then newest first). Its errors are reported like a disposer's.
   */
  onCleanup(fn: () => unknown, options?: CleanupCallbackOptions): CleanupRegistration {
    if (typeof fn !== 'function') {
      throw new StewardTypeError(`onCleanup(): the callback must be a function (got ${describe(fn)}).`);
    }
    const record = this.track(fn, {
      ...ON_CLEANUP,
      dispose: () => fn(),
      ...(options?.priority !== undefined ? { priority: options.priority } : {}),
      ...(options?.name !== undefined ? { metadata: { name: options.name } } : {}),
    });
    const dispose = (): boolean => this._untrack(record);
    return { dispose, [Symbol.dispose]: dispose };
  }

  /**
   * Release `handle`, which must belong to this component. Same as `handle.release()`.
   * Throws TypeError for a handle of another component (nothing is released then).
   */
  release(handle: TrackedResource): boolean {
    if (!(handle instanceof TrackedResource)) {
      throw new StewardTypeError(
        `release(): expected a handle returned by track() (got ${describe(handle)}).`,
      );
    }
    if (handle.component !== this) {
      throw new StewardTypeError(
        `release(): resource #${handle.id} belongs to component "${handle.component.id}", not "${this.id}". ` +
          'Call handle.release() or release it through its own component.',
      );
    }
    return this._releaseSync(handle, 'released');
  }

  /**
   * Create a child component for a block of work; clean it up (or `await using` it) when the
   * block ends. Its memory counts towards this component; it is cleaned before this one.
   */
  scope(name = 'scope'): Component {
    return this.manager._scope(this, name);
  }

  /**
   * Run `fn` with a fresh scope and clean the scope up when `fn` settles (also on throw).
   * If both `fn` and the cleanup fail, the promise rejects with a `SuppressedError` (native where
   * available) whose `error` is the cleanup's error and whose `suppressed` is fn's.
   */
  run<R>(fn: (scope: Component) => R | Promise<R>): Promise<R> {
    return this.manager._runScope(this.scope(), fn);
  }

  /**
   * Move to `state`. Legal: loaded → initialized → active ⇄ paused; any live state → failed.
   * `cleaning` and `destroyed` are entered only through `cleanup()`. Throws
   * `IllegalTransitionError` otherwise. Setting the current state again is a no-op.
   */
  setState(state: LifecycleState): void {
    if (!isLifecycleState(state)) {
      throw new StewardTypeError(
        `setState(): unknown state ${describe(state)}; use one of loaded, initialized, active, paused, failed.`,
      );
    }
    if (state === this._state) return;
    if (state === 'cleaning' || state === 'destroyed' || !canTransition(this._state, state)) {
      throw new IllegalTransitionError(this.id, this._state, state, allowedTransitions(this._state));
    }
    this._transition(state);
  }

  /** Mark the component failed with `error` (kept in `error`). Resources stay until cleanup. */
  fail(error: unknown): void {
    if (this._state === 'failed') return;
    if (!canTransition(this._state, 'failed')) {
      throw new IllegalTransitionError(this.id, this._state, 'failed', allowedTransitions(this._state));
    }
    this._error = error;
    this._transition('failed', error);
  }

  /**
   * Clean up: dispose every resource and callback (higher priority first, then newest first),
   * children first, each async disposer awaited within its timeout and the whole within a
   * deadline. Concurrent and repeated calls share one run. Resolves with the report; without
   * `force`, rejects with a `CleanupError` if anything failed — after everything has run.
   * Bad options (a deadline or timeout that is not a finite number > 0) reject with a
   * RangeError and start nothing.
   */
  cleanup(options?: CleanupOptions): Promise<CleanupReport> {
    const invalid = cleanupOptionsError(options, `cleanup("${this.id}")`);
    if (invalid) return Promise.reject(invalid);
    const run = this._startCleanup(options, undefined);
    return options?.force ? run : run.then(throwOnProblems);
  }

  /** `await using` support: `cleanup()` (rejects with `CleanupError` on failures). */
  [Symbol.asyncDispose](): Promise<void> {
    return this.cleanup().then(() => undefined);
  }

  /** @internal Start (or join) the cleanup run, within `deadlineAt` if given (a parent's). */
  _startCleanup(options: CleanupOptions | undefined, deadlineAt: number | undefined): Promise<CleanupReport> {
    if (this._cleanup === undefined) {
      // Publish the run before starting it: its synchronous part (sync disposers, listeners)
      // may call cleanup() again, which must join this run, not start a second one.
      let start!: (run: Promise<CleanupReport>) => void;
      this._cleanup = new Promise<CleanupReport>((resolve) => (start = resolve));
      start(runCleanup(this, options, deadlineAt));
    }
    return this._cleanup;
  }

  /** @internal Move to `state` and emit `stateChanged` (no legality check). */
  _transition(to: LifecycleState, error?: unknown): void {
    const from = this._state;
    this._state = to;
    const events = this.manager.events;
    if (events.has('stateChanged')) events.emit('stateChanged', { component: this, from, to, error });
  }

  /**
   * @internal Unlink a record: flags, list, value and disposer dropped, bytes, counters.
   * Returns false if already released. Read the value and disposer first if you need them.
   */
  _unlink(record: TrackedResource, reason: ReleaseReason): boolean {
    if (record._flags & RELEASED) return false;
    record._flags |= RELEASED;
    const prev = record._prev;
    const next = record._next;
    if (prev === undefined) this._head = next;
    else prev._next = next;
    if (next === undefined) this._tail = prev;
    else next._prev = prev;
    record._prev = record._next = undefined;
    this._count--;
    this.manager._onUnlinked(this, record, reason); // listeners may still read the value
    record._value = record._disposer = undefined;
    return true;
  }

  /** @internal Release a record synchronously; see `TrackedResource.release`. */
  _releaseSync(record: TrackedResource, reason: ReleaseReason): boolean {
    const value = record.value;
    const disposer = record._disposer;
    const wasWeak = record._flags & WEAK;
    if (!this._unlink(record, reason)) return false;
    if (disposer === undefined || (wasWeak && value === undefined)) return true;
    let result: unknown;
    try {
      result = disposer.call(value, value);
    } catch (error) {
      this.manager._reportFailure(this, record, error, reason === 'evicted' ? 'evict' : 'release');
      throw error;
    }
    if (isThenable(result)) {
      reportRejection(result, (error) => this.manager._reportFailure(this, record, error, 'late'));
    }
    return true;
  }

  /** @internal Release a record and await its disposer within the manager's timeout. */
  async _releaseAsync(record: TrackedResource): Promise<boolean> {
    const value = record.value;
    const disposer = record._disposer;
    const wasWeak = record._flags & WEAK;
    if (!this._unlink(record, 'released')) return false;
    if (disposer === undefined || (wasWeak && value === undefined)) return true;
    const manager = this.manager;
    let result: unknown;
    try {
      result = disposer.call(value, value);
    } catch (error) {
      manager._reportFailure(this, record, error, 'release');
      throw error;
    }
    if (!isThenable(result)) return true;
    const timeoutMs = manager.disposerTimeoutMs;
    const outcome = await settleWithin(result, timeoutMs, (error) =>
      manager._reportFailure(this, record, error, 'late'),
    );
    if (outcome.kind === 'error') {
      manager._reportFailure(this, record, outcome.error, 'release');
      throw outcome.error;
    }
    if (outcome.kind === 'timeout') {
      const error = new DisposerTimeoutError(record.id, record.type, this.id, timeoutMs);
      manager._reportTimeout(this, record, timeoutMs);
      throw error;
    }
    return true;
  }

  /** @internal Stop tracking without disposing. */
  _untrack(record: TrackedResource, reason: ReleaseReason = 'untracked'): boolean {
    return this._unlink(record, reason);
  }

  /** @internal Change a record's size, applying memory limits. */
  _resize(record: TrackedResource, bytes: number): void {
    if (typeof bytes !== 'number' || !(bytes >= 0 && bytes < Number.POSITIVE_INFINITY)) {
      throw new StewardRangeError(
        `resize(): size must be a finite number of bytes >= 0 (got ${describe(bytes)}).`,
      );
    }
    if (record._flags & RELEASED) {
      throw new StewardError(
        `resize(): ${record.type} #${record.id} of component "${this.id}" was already released; track it again instead.`,
        { code: 'STEWARD_RESOURCE_RELEASED' },
      );
    }
    if (bytes > record._size) this.manager._admit(this, bytes - record._size, record);
    // Eviction ran disposers: they may have released or resized this very record.
    if (record._flags & RELEASED) return;
    const delta = bytes - record._size;
    if (delta === 0) return;
    record._size = bytes;
    this.manager._account(this, delta);
    const events = this.manager.events;
    if (events.has('resized'))
      events.emit('resized', { component: this, resource: record, from: bytes - delta });
  }

  /** Dispose a value that arrived too late (use after cleanup), reporting failures. */
  #disposeRejected(value: unknown, disposer: Disposer | undefined, type: string): void {
    if (disposer === undefined) return;
    const manager = this.manager;
    try {
      const result = disposer.call(value, value);
      if (isThenable(result))
        reportRejection(result, (error) => manager._reportFailure(this, undefined, error, 'late'));
    } catch (error) {
      manager._reportFailure(this, undefined, error, 'use-after-cleanup');
    }
    if (manager.events.has('leakDetected')) {
      manager.events.emit('leakDetected', {
        kind: 'use-after-cleanup',
        component: this,
        message: `A ${type} was tracked into "${this.id}" while it was ${this._state}; it was disposed at once.`,
        stack: manager._leakTracking ? new Error().stack : undefined,
      });
    }
    manager._stats.leaksDetected++;
  }
}

function throwOnProblems(report: CleanupReport): CleanupReport {
  if (hasProblems(report)) throw new CleanupError(report);
  return report;
}
