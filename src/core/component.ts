/**
 * A component: the unit of ownership (a plugin, a tab, a panel, a scope). It holds its
 * tracked resources and cleanup callbacks in registration order, its children, its memory
 * figures and its lifecycle state. Created by `ResourceManager.register`.
 */
import { addEntry, type DisposableLike, deleteAndLeakEntry, deleteEntry } from './added.js';
import { CancelledError, cancelKind, type DisposerContext } from './cancel.js';
import { cleanupOptionsError, joinCleanup, type ParentDeadline, runCleanup } from './cleanup.js';
import { disposeRecord, disposeValue, releaseRecord } from './disposal.js';
import { detectDisposer } from './disposer.js';
import {
  CleanupError,
  describe,
  IllegalTransitionError,
  InvalidArgumentError,
  StewardError,
  UseAfterCleanupError,
} from './errors.js';
import { validateLimit } from './limits.js';
import type { ResourceManager } from './manager.js';
import { byteCountError, checkOptions, isByteCount, type KeysOf, unknownOption } from './options.js';
import { type CleanupReport, hasProblems } from './report.js';
import {
  CALLBACK,
  callCallback,
  DETECTED,
  EARLY,
  EVICTABLE,
  EXTRAS,
  newCallback,
  RELEASED,
  type ReleaseReason,
  type ResourceExtras,
  TrackedResource,
  WEAK,
} from './resource.js';
import { acceptsResources, allowedTransitions, canTransition, isLifecycleState } from './state.js';
import { startTask, type TaskOptions } from './task.js';
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

const CALLBACK_KEYS: KeysOf<CleanupCallbackOptions> = { priority: true, name: true };

/** The keys `track` accepts, for its messages (the hot-path check is `isTrackKey`, a switch). */
const TRACK_KEYS: KeysOf<TrackOptions> = {
  type: true,
  size: true,
  metadata: true,
  dispose: true,
  priority: true,
  weak: true,
  evictable: true,
};

function nothingToTrack(value: null | undefined): InvalidArgumentError {
  return new InvalidArgumentError(
    `track(): the value is ${value}; there is nothing to track. To run code at cleanup use component.onCleanup(fn); ` +
      'to count bytes that have no object of their own, track a placeholder ({ bytes: n } with { size: n, dispose: null }); ' +
      'for a value that may be absent, check it before tracking (@trackResult skips null and undefined for you).',
  );
}

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
  /** @internal released records whose async disposer is still running (see `disposing`). */
  _disposingCount = 0;
  /** @internal their bytes. */
  _disposingBytes = 0;
  /** @internal bytes of own resources. */
  _ownBytes = 0;
  /** @internal bytes of own resources and all descendants'. */
  _subtreeBytes = 0;
  /** @internal whether any record must go before the children (services). */
  _hasEarly = false;
  /** @internal whether any record has a non-zero priority (cleanup must sort). */
  _hasPriorities = false;
  /** @internal objects given to `add()`, oldest first, each with its number (see added.ts). */
  _added: Map<object, number> | undefined = undefined;
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
  /** @internal a short stack of the `register` call, for the owner-collected warning. */
  _registeredAt: string | undefined = undefined;
  /** @internal error given to fail(). */
  _error: unknown = undefined;
  /** @internal an owner held strongly (scopes, whose owner object is internal). */
  _anchor: object | undefined = undefined;
  /** @internal the controller of `signal`, created on first read. */
  _abort: AbortController | undefined = undefined;
  /** @internal why `signal` aborts, set when cleanup starts (created only if somebody listens). */
  _cancelled: CancelledError | undefined = undefined;
  /** @internal cleanup has started (`_cancel` ran), with this reason, on a failed component or not. */
  _cancelAt: { readonly reason: string | undefined; readonly failed: boolean } | undefined = undefined;
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
    if (this._limit) manager._memory.limitChanged(false, true);
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

  /**
   * Resources released (or being cleaned up) whose async disposer has not settled yet, and the
   * bytes they still hold: a hung disposal stays visible here until it settles or is abandoned
   * at its timeout. Not counted in `resourceCount` or `ownBytes`.
   */
  get disposing(): { readonly count: number; readonly bytes: number } {
    return { count: this._disposingCount, bytes: this._disposingBytes };
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

  /**
   * Aborted when this component's cleanup starts (or its parent's, whose cleanup starts its
   * own), with a {@link CancelledError} saying why: `cleanup`, `owner-collected`, `shutdown` or
   * `failure`. Give it to work in flight (`fetch(url, { signal })`) so cleanup does not wait for
   * it. Created on first read: a component that never reads it pays nothing. Read after cleanup
   * started, it is already aborted.
   */
  get signal(): AbortSignal {
    if (this._abort === undefined) {
      this._abort = new AbortController();
      const at = this._cancelAt;
      if (at !== undefined || !acceptsResources(this._state)) {
        this._cancelled = this._cancelReason(at?.reason, at?.failed ?? false);
        this._abort.abort(this._cancelled);
      }
    }
    return this._abort.signal;
  }

  /**
   * Run `fn(signal)` as tracked async work of this component and return its promise. `signal`
   * is the component's: cleanup aborts it first, then awaits the task within the disposer
   * timeout (past it, the task is abandoned and reported as timed out). A task that rejects with
   * anything but an abort is reported (`disposerFailed`, phase `task`) even if nobody awaits it.
   * While it runs it is a resource of type `task`. Throws `UseAfterCleanupError` (and runs
   * nothing) on a component that is cleaning up or destroyed.
   */
  task<T>(fn: (signal: AbortSignal) => T | PromiseLike<T>, options?: TaskOptions): Promise<Awaited<T>> {
    return startTask(this, fn, options);
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
    this.manager._memory.limitChanged(this._limit !== undefined, next !== undefined);
    this._limit = next;
    if (next?.policy !== 'evict') this._lru = undefined;
    else this._lru ??= this.manager._memory.subtreeLru(this);
  }

  /**
   * Track `value` as a resource of this component and return its handle.
   * Throws (and tracks nothing) on bad options or a `reject` memory limit. On a component
   * that is cleaning up or destroyed, disposes `value` at once and throws `UseAfterCleanupError`.
   */
  track<T>(value: T, options?: TrackOptions<T>): TrackedResource<T> {
    if (value === null || value === undefined) throw nothingToTrack(value as null | undefined);
    if (options !== undefined) {
      if (options === null || typeof options !== 'object') {
        throw new InvalidArgumentError(
          `track(): options must be an object such as { type, size, dispose } (got ${describe(options)}).`,
        );
      }
      for (const key in options) if (!isTrackKey(key)) throw trackKey(key);
    }
    const manager = this.manager;
    const type = options?.type ?? 'custom';
    if (typeof type !== 'string' || type.length === 0) {
      throw new InvalidArgumentError(
        `track(): options.type must be a non-empty string (got ${describe(type)}).`,
      );
    }
    const size = options?.size ?? 0;
    if (size !== 0 && !isByteCount(size)) throw byteCountError('track()', 'options.size', size);
    const priority = options?.priority ?? 0;
    if (priority !== 0 && (typeof priority !== 'number' || !Number.isFinite(priority))) {
      throw new InvalidArgumentError(
        `track(): options.priority must be a finite number (got ${describe(priority)}).`,
      );
    }
    let disposer: Disposer | undefined;
    let flags = 0;
    const d = options?.dispose;
    if (d !== undefined) {
      if (d !== null && typeof d !== 'function') {
        throw new InvalidArgumentError(
          `track(): options.dispose must be a function, or null for values needing no disposal (got ${describe(d)}).`,
        );
      }
      disposer = (d ?? undefined) as Disposer | undefined;
    } else {
      disposer = detectDisposer(value, type);
      if (disposer !== undefined) flags = DETECTED;
    }
    if (options?.weak) {
      if (value === null || (typeof value !== 'object' && typeof value !== 'function')) {
        throw new InvalidArgumentError(
          `track(): only objects can be tracked weakly (got ${describe(value)}).`,
        );
      }
      flags |= WEAK;
    }
    if (options?.evictable) flags |= EVICTABLE;
    const metadata = options?.metadata;
    if (priority !== 0 || metadata !== undefined) flags |= EXTRAS;
    if (!acceptsResources(this._state)) {
      this.#disposeRejected(value, disposer, flags, type);
      throw new UseAfterCleanupError(this.id, this._state, `track a ${type} in`, this._cleanedAt);
    }
    if (size > 0) {
      manager._memory.admit(this, size);
      // Eviction ran disposers, which may have started this component's cleanup.
      if (!acceptsResources(this._state)) {
        this.#disposeRejected(value, disposer, flags, type);
        throw new UseAfterCleanupError(this.id, this._state, `track a ${type} in`, this._cleanedAt);
      }
    }
    const record = new TrackedResource<T>(
      manager._newResourceId(),
      type,
      size,
      flags & WEAK ? new WeakRef(value as object) : value,
      disposer,
      flags,
      this,
      manager._clock.now(),
    );
    this.#link(record, flags, priority, metadata, value);
    return record;
  }

  /** Link a new record at the tail (newest), note its extras and priority, and tell the manager. */
  #link(
    record: TrackedResource,
    flags: number,
    priority: number,
    metadata: ResourceExtras['metadata'],
    value: unknown,
  ): void {
    const manager = this.manager;
    if (flags & EXTRAS) manager._extras.set(record, { priority, metadata });
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
  }

  /**
   * Register `fn` to run when this component is cleaned up. It obeys the same order as
   * resources (priority, then newest first). Its errors are reported like a disposer's.
   */
  onCleanup(
    fn: (context: DisposerContext) => unknown,
    options?: CleanupCallbackOptions,
  ): CleanupRegistration {
    if (typeof fn !== 'function') {
      throw new InvalidArgumentError(`onCleanup(): the callback must be a function (got ${describe(fn)}).`);
    }
    let flags = CALLBACK;
    let priority = 0;
    let metadata: { name: string } | undefined;
    if (options !== undefined) {
      checkOptions(options, 'onCleanup()', CALLBACK_KEYS, '{ priority, name }');
      priority = options.priority ?? 0;
      if (typeof priority !== 'number' || !Number.isFinite(priority)) {
        throw new InvalidArgumentError(
          `onCleanup(): options.priority must be a finite number (got ${describe(priority)}).`,
        );
      }
      const name = options.name;
      if (name !== undefined) {
        if (typeof name !== 'string') {
          throw new InvalidArgumentError(
            `onCleanup(): options.name must be a string (got ${describe(name)}).`,
          );
        }
        metadata = { name };
      }
      if (priority !== 0 || metadata !== undefined) flags |= EXTRAS;
    }
    if (!acceptsResources(this._state)) {
      this.#disposeRejected(fn, callCallback, flags, 'callback');
      throw new UseAfterCleanupError(this.id, this._state, 'register a cleanup callback in', this._cleanedAt);
    }
    // No option parsing, no closure, no wrapper: the record (seven fields) is the registration.
    const manager = this.manager;
    const record = newCallback(manager._newResourceId(), fn, flags, this, manager._clock.now());
    this.#link(record, flags, priority, metadata, fn);
    return record;
  }

  /** This component's live resource with `id`, or undefined. O(1); see `ResourceManager.resource`. */
  resource(id: number): TrackedResource | undefined {
    const record = this.manager.resource(id);
    return record?.component === this ? record : undefined;
  }

  /**
   * Release this component's resource with `id` (the brief's `release_resource(component, id)`):
   * its disposer runs as for `handle.release()`. Returns false when no live resource of this
   * component has that id (already released, or another component's). O(1).
   */
  releaseResource(id: number): boolean {
    const record = this.resource(id);
    return record === undefined ? false : this._releaseSync(record, 'released');
  }

  /**
   * DisposableStore's `add`: hold `d`, an object with its own `dispose()` (or `Symbol.dispose`),
   * until cleanup, and return it. The light path for ready-made disposables: no handle, no
   * record, no type or size — one map entry. Cleanup calls `d.dispose()` (no arguments) in the
   * component's one order (newest first, with tracked resources, after higher priorities) and
   * reports failures and timeouts like a tracked resource's (type `disposable`). Counted in
   * `resourceCount` and the stats, not listed by `resources()`, no `tracked`/`released` events.
   * Use `track()` for anything that needs a handle, a type, a size, a priority or events. Adding
   * the same object twice keeps one entry. On a component cleaning up or destroyed, disposes `d`
   * at once and throws `UseAfterCleanupError`; a value without a dispose method is an `InvalidArgumentError`.
   */
  add<D extends DisposableLike>(d: D): D {
    return addEntry(this, d);
  }

  /**
   * DisposableStore's `delete`: remove `d` (given to `add()`) and dispose it now. Returns false,
   * disposing nothing, if `d` was not added here. A throwing `dispose()` is reported and rethrown.
   */
  delete(d: object): boolean {
    return deleteEntry(this, d);
  }

  /** DisposableStore's `deleteAndLeak`: remove `d` without disposing it; the caller owns it again. */
  deleteAndLeak(d: object): boolean {
    return deleteAndLeakEntry(this, d);
  }

  /**
   * Release `handle`, which must belong to this component. Same as `handle.release()`.
   * Throws `InvalidArgumentError` for a handle of another component (nothing is released then).
   */
  release(handle: TrackedResource): boolean {
    if (!(handle instanceof TrackedResource)) {
      throw new InvalidArgumentError(
        `release(): expected a handle returned by track() (got ${describe(handle)}).`,
      );
    }
    if (handle.component !== this) {
      throw new InvalidArgumentError(
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
      throw new InvalidArgumentError(
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

  /**
   * @internal Start (or join) the cleanup run, within `parent`'s deadline if given. Joining with
   * a tighter deadline (the caller's `deadlineMs` or a parent's) tightens the running one.
   */
  _startCleanup(
    options: CleanupOptions | undefined,
    parent: ParentDeadline | undefined,
  ): Promise<CleanupReport> {
    if (this._cleanup === undefined) {
      // Publish the run before starting it: its synchronous part (sync disposers, listeners)
      // may call cleanup() again, which must join this run, not start a second one.
      let start!: (run: Promise<CleanupReport>) => void;
      this._cleanup = new Promise<CleanupReport>((resolve) => (start = resolve));
      start(runCleanup(this, options, parent));
    } else if (this._state === 'cleaning') {
      joinCleanup(this, options, parent);
    }
    return this._cleanup;
  }

  /**
   * @internal Cleanup started with `reason`: abort this component's signal and its
   * descendants' (structured cancellation). `failed`: it had failed before cleanup.
   */
  _cancel(reason: string | undefined, failed: boolean): void {
    if (this._cancelAt !== undefined) return;
    this._cancelAt = { reason, failed };
    if (this._abort !== undefined) {
      this._cancelled = this._cancelReason(reason, failed);
      this._abort.abort(this._cancelled);
    }
    if (this._children !== undefined)
      for (const child of this._children) child._cancel(reason, child._state === 'failed');
  }

  /** @internal The reason `signal` aborts with. */
  _cancelReason(reason: string | undefined, failed: boolean): CancelledError {
    return new CancelledError(this.id, cancelKind(reason, failed), reason, this._error);
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
    record._value = undefined;
    // A callback's disposer is its prototype's (shared): writing it would reshape the record.
    if (!(record._flags & CALLBACK)) record._disposer = undefined;
    return true;
  }

  /** @internal Release a record synchronously; see `TrackedResource.release`. */
  _releaseSync(record: TrackedResource, reason: ReleaseReason): boolean {
    return releaseRecord(record, reason, reason === 'evicted' ? 'evict' : 'release');
  }

  /** @internal Release a record and await its disposer within the manager's timeout. */
  async _releaseAsync(record: TrackedResource): Promise<boolean> {
    const outcome = await disposeRecord(record, 'released', 'release', {
      timeoutMs: this.manager.disposerTimeoutMs,
    });
    if (outcome === false) return false;
    if (outcome !== undefined) throw outcome.error;
    return true;
  }

  /** @internal Dispose `record` first at cleanup, before children and other records (a service). */
  _disposeFirst(record: TrackedResource): void {
    record._flags |= EARLY;
    this._hasEarly = true;
  }

  /** @internal Stop tracking without disposing. */
  _untrack(record: TrackedResource, reason: ReleaseReason = 'untracked'): boolean {
    return this._unlink(record, reason);
  }

  /** @internal Change a record's size, applying memory limits. */
  _resize(record: TrackedResource, bytes: number): void {
    if (!isByteCount(bytes)) throw byteCountError('resize()', 'the size', bytes);
    if (record._flags & RELEASED) {
      throw new StewardError(
        `resize(): ${record.type} #${record.id} of component "${this.id}" was already released; track it again instead.`,
        { code: 'STEWARD_RESOURCE_RELEASED' },
      );
    }
    if (bytes > record._size) this.manager._memory.admit(this, bytes - record._size, record);
    // Eviction ran disposers: they may have released or resized this very record.
    if (record._flags & RELEASED) return;
    const delta = bytes - record._size;
    if (delta === 0) return;
    record._size = bytes;
    this.manager._memory.account(this, delta);
    const events = this.manager.events;
    if (events.has('resized'))
      events.emit('resized', { component: this, resource: record, from: bytes - delta });
  }

  /** Dispose a value that arrived too late (use after cleanup), reporting failures. */
  #disposeRejected(value: unknown, disposer: Disposer | undefined, flags: number, type: string): void {
    const manager = this.manager;
    disposeValue(this, value, disposer, (flags & DETECTED) !== 0, 'use-after-cleanup');
    manager.reportLeak({
      kind: 'use-after-cleanup',
      component: this,
      message: `A ${type} was tracked into "${this.id}" while it was ${this._state}; it was disposed at once.`,
      stack: manager._leakTracking ? new Error().stack : undefined,
    });
  }
}

/**
 * Whether `key` is one of `TRACK_KEYS` — a switch, which V8 compiles to a few comparisons: about
 * a third of the cost of a table lookup on `track`'s hot path (test/core/deadlines-numbers.test.ts
 * checks it accepts every key of `TrackOptions`).
 */
function isTrackKey(key: string): boolean {
  switch (key) {
    case 'type':
    case 'size':
    case 'dispose':
    case 'metadata':
    case 'priority':
    case 'weak':
    case 'evictable':
      return true;
    default:
      return false;
  }
}

function trackKey(key: string): InvalidArgumentError {
  return unknownOption('track()', key, TRACK_KEYS);
}

function throwOnProblems(report: CleanupReport): CleanupReport {
  if (hasProblems(report)) throw new CleanupError(report);
  return report;
}
