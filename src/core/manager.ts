/**
 * The ResourceManager: the service every component registers with. Holds the component
 * tree, memory accounting and limits, statistics and events. Disposing it cleans up every
 * component, newest first.
 */
import { cleanupOptionsError } from './cleanup.js';
import { BatchClock } from './clock.js';
import { Component } from './component.js';
import { Emitter, type Subscription } from './emitter.js';
import {
  CleanupError,
  describe,
  MemoryLimitError,
  StewardError,
  StewardRangeError,
  StewardTypeError,
  UseAfterCleanupError,
} from './errors.js';
import type { FailurePhase, LeakEvent, ManagerEvents } from './events.js';
import { validateLimit } from './limits.js';
import { type CleanupReport, emptyReport, hasProblems, mergeReport } from './report.js';
import {
  EVICTABLE,
  REPORTED,
  type ReleaseReason,
  type ResourceExtras,
  type TrackedResource,
  WEAK,
} from './resource.js';
import { ServiceRegistry } from './services.js';
import { now, unrefTimer } from './settle.js';
import {
  buildSnapshot,
  buildStats,
  type ManagerSnapshot,
  type ManagerStats,
  type SnapshotOptions,
} from './snapshot.js';
import { acceptsResources } from './state.js';
import type { CleanupOptions, ComponentOptions, MemoryLimit } from './types.js';

/** Leak tracking options (all opt-in; off costs nothing). */
export interface LeakTrackingOptions {
  /** Capture a creation stack for every resource and component. Default true when leak tracking is on. */
  readonly captureStacks?: boolean;
  /** Run `checkLeaks()` periodically, ms. The timer is unref'd: it never keeps a process alive. */
  readonly sweepIntervalMs?: number;
  /** Report resources older than this as `long-lived` leak suspects (once each). */
  readonly maxResourceAgeMs?: number;
}

/** Options of `new ResourceManager()`. */
export interface ResourceManagerOptions {
  /** Per async disposer timeout, ms. Default 5000. */
  readonly disposerTimeoutMs?: number;
  /** Deadline of one cleanup (including children), ms. Default 30000. */
  readonly cleanupDeadlineMs?: number;
  /** Global memory limit over every component. */
  readonly memoryLimit?: MemoryLimit;
  /** Leak tracking: `true` for stacks, or options. Default off. */
  readonly leakTracking?: boolean | LeakTrackingOptions;
  /** Called with errors thrown by event listeners. Default: rethrown in a microtask. */
  readonly onListenerError?: (error: unknown) => void;
}

/** Counters kept on the hot path (everything else is computed on demand). */
export interface ManagerCounters {
  componentsRegistered: number;
  componentsDestroyed: number;
  resourcesTracked: number;
  resourcesReleased: number;
  disposerFailures: number;
  disposerTimeouts: number;
  evictions: number;
  rejections: number;
  leaksDetected: number;
}

/** A leak found by `checkLeaks()`. */
export type LeakFinding = Omit<LeakEvent, 'component' | 'resource'> & {
  component: string;
  resource?: number;
};

function positive(value: number | undefined, fallback: number, where: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !(value > 0 && value < Number.POSITIVE_INFINITY)) {
    throw new StewardRangeError(
      `new ResourceManager(): ${where} must be a finite number > 0 (got ${describe(value)}).`,
    );
  }
  return value;
}

/** Owner → component, across managers: lets decorators find the component of `this`. */
const ownerIndex = new WeakMap<object, Component>();

/** The live component registered for `owner` in any manager, if any. */
export function componentOf(owner: object): Component | undefined {
  const component = ownerIndex.get(owner);
  return component && component.state !== 'destroyed' ? component : undefined;
}

/**
 * The resource management service. Components register with it; resources are tracked
 * against components; cleanup follows the rules of docs/architecture.md. `await using manager = new
 * ResourceManager()` cleans everything up at the end of the block.
 */
export class ResourceManager implements AsyncDisposable {
  /** Typed events. Subscribing returns a disposable subscription. */
  readonly events: Emitter<ManagerEvents>;
  /** Typed service registry. */
  readonly services: ServiceRegistry;
  /** Per async disposer timeout, ms. */
  readonly disposerTimeoutMs: number;
  /** Deadline of one cleanup, ms. */
  readonly cleanupDeadlineMs: number;

  /** @internal time origin of resource creation times. */
  readonly _epoch = Date.now();
  /** @internal the clock of resource creation times (read once per synchronous run). */
  readonly _clock = new BatchClock(this._epoch);
  /** @internal priority and metadata of the records that have either (flag `EXTRAS`). */
  readonly _extras = new WeakMap<TrackedResource, ResourceExtras>();
  /** @internal resource id counter. */
  _nextId = 1;
  /** @internal */
  readonly _stats: ManagerCounters = {
    componentsRegistered: 0,
    componentsDestroyed: 0,
    resourcesTracked: 0,
    resourcesReleased: 0,
    disposerFailures: 0,
    disposerTimeouts: 0,
    evictions: 0,
    rejections: 0,
    leaksDetected: 0,
  };
  /** @internal leak tracking captures stacks. */
  readonly _leakTracking: boolean;
  /** @internal creation stacks (leak tracking only). */
  readonly _stacks: WeakMap<object, string> | undefined;
  /**
   * @internal Evictable records, least recently used first, each with its use sequence number
   * (rising along the map: an eviction skips whatever was tracked or touched after it began).
   */
  readonly _lru = new Map<TrackedResource, number>();
  /** @internal Last use sequence number given (see `_lru`). */
  _lruSeq = 0;
  /** @internal */
  _totalBytes = 0;
  /** @internal live components that have a memory limit (none: `_admit` has nothing to do). */
  _limitedComponents = 0;
  /** @internal */
  _limit: Required<MemoryLimit> | undefined;

  readonly #byId = new Map<string, Component>();
  readonly #byOwner = new WeakMap<object, Component>();
  #weakRegistry: FinalizationRegistry<TrackedResource> | undefined;
  // An owner collected once cleanup has started is no leak: cleanup was asked for.
  readonly #ownerRegistry = new FinalizationRegistry<Component>((component) => {
    if (acceptsResources(component.state)) this.#ownerCollected(component);
  });
  readonly #maxAgeMs: number | undefined;
  #sweepTimer: ReturnType<typeof setInterval> | undefined;
  #scopeCounter = 0;
  #disposal: Promise<CleanupReport> | undefined;

  constructor(options: ResourceManagerOptions = {}) {
    this.disposerTimeoutMs = positive(options.disposerTimeoutMs, 5000, 'disposerTimeoutMs');
    this.cleanupDeadlineMs = positive(options.cleanupDeadlineMs, 30_000, 'cleanupDeadlineMs');
    this._limit =
      options.memoryLimit && validateLimit(options.memoryLimit, 'new ResourceManager(): memoryLimit');
    this.events = new Emitter<ManagerEvents>(options.onListenerError);
    this.services = new ServiceRegistry(this);
    const leak = options.leakTracking;
    const leakOptions: LeakTrackingOptions = typeof leak === 'object' && leak !== null ? leak : {};
    this._leakTracking = leak !== undefined && leak !== false && leakOptions.captureStacks !== false;
    this._stacks = this._leakTracking ? new WeakMap() : undefined;
    this.#maxAgeMs =
      leakOptions.maxResourceAgeMs === undefined
        ? undefined
        : positive(leakOptions.maxResourceAgeMs, 0, 'leakTracking.maxResourceAgeMs');
    if (leakOptions.sweepIntervalMs !== undefined) {
      const interval = positive(leakOptions.sweepIntervalMs, 0, 'leakTracking.sweepIntervalMs');
      this.#sweepTimer = unrefTimer(setInterval(() => this.checkLeaks(), interval));
    }
  }

  /** Subscribe to an event; shorthand for `events.on`. */
  on<K extends keyof ManagerEvents>(name: K, listener: (event: ManagerEvents[K]) => void): Subscription {
    return this.events.on(name, listener);
  }

  /** Whether `dispose()` has started. A disposed manager accepts no new components. */
  get disposed(): boolean {
    return this.#disposal !== undefined;
  }

  /** Total bytes tracked across all components. */
  get totalBytes(): number {
    return this._totalBytes;
  }

  /** Number of live tracked resources across all components. */
  get activeResources(): number {
    return this._stats.resourcesTracked - this._stats.resourcesReleased;
  }

  /** The global memory limit, if any. */
  get memoryLimit(): Required<MemoryLimit> | undefined {
    return this._limit;
  }

  /** Set (or remove, with `undefined`) the global memory limit. */
  setMemoryLimit(limit: MemoryLimit | undefined): void {
    this._limit = limit === undefined ? undefined : validateLimit(limit, 'setMemoryLimit()');
  }

  /**
   * Register `owner` as a component with a unique `id`. The owner is held weakly: if it is
   * garbage-collected without cleanup, its component is cleaned up anyway and a leak is
   * reported. Registering the same owner again returns its component unless it is destroyed
   * (the id must match) — also while it is cleaning up, when tracking into it throws.
   * Throws TypeError/RangeError on bad input and if `id` is taken by a live component;
   * nothing is registered then.
   */
  register(owner: object, id: string, options: ComponentOptions = {}): Component {
    if (owner === null || (typeof owner !== 'object' && typeof owner !== 'function')) {
      throw new StewardTypeError(
        `register(): owner must be an object (the plugin, tab or panel that owns the resources), got ${describe(owner)}.`,
      );
    }
    if (typeof id !== 'string' || id.trim().length === 0) {
      throw new StewardTypeError(`register(): id must be a non-empty string (got ${describe(id)}).`);
    }
    if (options === null || typeof options !== 'object') {
      throw new StewardTypeError(`register("${id}"): options must be an object (got ${describe(options)}).`);
    }
    const existing = this.#byOwner.get(owner);
    if (existing && existing.state !== 'destroyed') {
      if (existing.id !== id) {
        throw new StewardError(
          `register("${id}"): this owner is already registered as "${existing.id}". ` +
            'An owner has one component; use component.scope() or register a child with { parent } for sub-parts.',
          { code: 'STEWARD_OWNER_REGISTERED' },
        );
      }
      return existing;
    }
    if (this.#disposal) {
      throw new StewardError(`register("${id}"): the manager is disposed; create a new ResourceManager.`, {
        code: 'STEWARD_MANAGER_DISPOSED',
      });
    }
    const taken = this.#byId.get(id);
    if (taken) {
      throw new StewardError(
        `register(): id "${id}" is already used by a live ${taken.type} (state ${taken.state}). ` +
          'Clean it up first, or choose another id.',
        { code: 'STEWARD_ID_TAKEN' },
      );
    }
    const type = options.type ?? 'component';
    if (typeof type !== 'string' || type.length === 0) {
      throw new StewardTypeError(
        `register("${id}"): options.type must be a non-empty string (got ${describe(type)}).`,
      );
    }
    const parent = options.parent;
    if (parent !== undefined) {
      if (!(parent instanceof Component) || parent.manager !== this) {
        throw new StewardTypeError(`register("${id}"): options.parent must be a component of this manager.`);
      }
      if (!acceptsResources(parent.state)) {
        throw new UseAfterCleanupError(
          parent.id,
          parent.state,
          `register child "${id}" under`,
          parent._cleanedAt,
        );
      }
    }
    const state = options.state ?? 'loaded';
    if (state !== 'loaded' && state !== 'initialized' && state !== 'active') {
      throw new StewardTypeError(
        `register("${id}"): options.state must be loaded, initialized or active (got ${describe(state)}).`,
      );
    }
    const limit =
      options.memoryLimit === undefined
        ? undefined
        : validateLimit(options.memoryLimit, `register("${id}"): memoryLimit`);
    return this.#add(owner, id, type, parent, limit, options.metadata, state, false);
  }

  /**
   * Create and index a component (arguments already checked). An `anchored` owner (a scope's,
   * which the scope itself holds) is not watched for collection: it cannot be collected while
   * the component is live, so a FinalizationRegistry entry would only cost.
   */
  #add(
    owner: object,
    id: string,
    type: string,
    parent: Component | undefined,
    limit: Required<MemoryLimit> | undefined,
    metadata: ComponentOptions['metadata'],
    state: 'loaded' | 'initialized' | 'active',
    anchored: boolean,
  ): Component {
    const component = new Component(this, id, type, parent, new WeakRef(owner), limit, metadata, state);
    this.#byId.set(id, component);
    this.#byOwner.set(owner, component);
    ownerIndex.set(owner, component);
    if (!anchored) this.#ownerRegistry.register(owner, component, component);
    if (parent) (parent._children ??= new Set()).add(component);
    if (this._stacks) this._stacks.set(component, new Error('registered here').stack ?? '');
    this._stats.componentsRegistered++;
    if (this.events.has('registered')) this.events.emit('registered', { component });
    return component;
  }

  /** The live component with `id`, if any. */
  get(id: string): Component | undefined {
    return this.#byId.get(id);
  }

  /** The live component registered for `owner`, if any. */
  componentOf(owner: object): Component | undefined {
    const component = this.#byOwner.get(owner);
    return component && component.state !== 'destroyed' ? component : undefined;
  }

  /** Live components, in registration order. */
  components(): Component[] {
    return [...this.#byId.values()];
  }

  /** Create a root scope (a component for a block of work); see `Component.scope`. */
  scope(name = 'scope'): Component {
    return this._scope(undefined, name);
  }

  /** Run `fn` with a fresh root scope, cleaned up when `fn` settles; see `Component.run`. */
  run<R>(fn: (scope: Component) => R | Promise<R>): Promise<R> {
    return this._runScope(this.scope(), fn);
  }

  /** Statistics: counters, totals, counts and bytes by type and by component. O(resources). */
  stats(): ManagerStats {
    return buildStats(this, this.#byId.values());
  }

  /** A JSON-serializable snapshot of the whole component tree, for monitors. */
  snapshot(options?: SnapshotOptions): ManagerSnapshot {
    return buildSnapshot(this, this.#byId.values(), options);
  }

  /**
   * Look for leaks now: components whose owner was collected without cleanup (cleaned up
   * now) and, with `maxResourceAgeMs`, resources older than the limit (reported once each).
   * Returns what was found; each is also a `leakDetected` event. It also drops the records of
   * weakly tracked values already collected (a `released` event with reason `collected`, not a leak).
   */
  checkLeaks(): LeakFinding[] {
    const found: LeakFinding[] = [];
    const wallNow = Date.now();
    for (const component of [...this.#byId.values()]) {
      if (component.owner === undefined && acceptsResources(component.state)) {
        found.push(this.#ownerCollected(component));
        continue;
      }
      for (let r = component._head; r; ) {
        const next = r._next;
        if (r._flags & WEAK && r.value === undefined) this._collected(r);
        else if (
          this.#maxAgeMs !== undefined &&
          !(r._flags & REPORTED) &&
          wallNow - r.createdAt > this.#maxAgeMs
        ) {
          r._flags |= REPORTED;
          const leak: LeakEvent = {
            kind: 'long-lived',
            component,
            resource: r,
            message: `${r.type} #${r.id} of "${component.id}" is ${wallNow - r.createdAt} ms old (limit ${this.#maxAgeMs} ms).`,
            stack: r.stack,
          };
          found.push(this.#reportLeak(leak));
        }
        r = next;
      }
    }
    return found;
  }

  /**
   * Clean up every component, newest root first (each one's children first), then refuse new
   * registrations. Idempotent: later calls return the same run. Rejects with `CleanupError`
   * on failures unless `force`; every component is cleaned up either way. Bad options reject
   * with a RangeError and dispose nothing.
   */
  dispose(options?: CleanupOptions): Promise<CleanupReport> {
    const invalid = cleanupOptionsError(options, 'dispose()');
    if (invalid) return Promise.reject(invalid);
    if (this.#disposal === undefined) {
      // Published before starting: a disposer calling dispose() or register() during the
      // synchronous start must see the disposal in progress.
      let start!: (run: Promise<CleanupReport>) => void;
      this.#disposal = new Promise<CleanupReport>((resolve) => (start = resolve));
      start(this.#disposeAll(options));
    }
    return options?.force
      ? this.#disposal
      : this.#disposal.then((report) => {
          if (hasProblems(report)) throw new CleanupError(report);
          return report;
        });
  }

  /** `await using` support: `dispose()`. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.dispose();
  }

  async #disposeAll(options: CleanupOptions | undefined): Promise<CleanupReport> {
    const started = now();
    const report = emptyReport('*', options?.reason);
    if (this.#sweepTimer !== undefined) clearInterval(this.#sweepTimer);
    const deadlineAt = started + (options?.deadlineMs ?? this.cleanupDeadlineMs);
    const roots = [...this.#byId.values()].filter((c) => c.parent === undefined);
    for (let i = roots.length - 1; i >= 0; i--) {
      mergeReport(report, await roots[i]!._startCleanup(options, deadlineAt));
    }
    report.durationMs = now() - started;
    return report;
  }

  // ---- internal, called by Component and the cleanup sweep -------------------------------

  /** @internal Create a scope component under `parent` (or at the root). */
  _scope(parent: Component | undefined, name: string): Component {
    if (typeof name !== 'string' || name.length === 0) {
      throw new StewardTypeError(`scope(): name must be a non-empty string (got ${describe(name)}).`);
    }
    const id = `${parent ? `${parent.id}/` : ''}${name}#${++this.#scopeCounter}`;
    if (this.#disposal) {
      throw new StewardError(`scope("${name}"): the manager is disposed; create a new ResourceManager.`, {
        code: 'STEWARD_MANAGER_DISPOSED',
      });
    }
    if (parent !== undefined && !acceptsResources(parent.state)) {
      throw new UseAfterCleanupError(parent.id, parent.state, `open scope "${name}" in`, parent._cleanedAt);
    }
    if (this.#byId.has(id)) {
      throw new StewardError(
        `scope(): id "${id}" is already used by a registered component; choose another name.`,
        { code: 'STEWARD_ID_TAKEN' },
      );
    }
    // Nobody else holds a scope's owner: anchor it, or the next GC would clean the scope up
    // under its user and report it as leaked. A scope ends by its cleanup (or its parent's).
    const owner = {};
    const scope = this.#add(owner, id, 'scope', parent, undefined, undefined, 'active', true);
    scope._anchor = owner;
    return scope;
  }

  /** @internal Run `fn` in `scope`, then clean the scope up; both errors are kept. */
  async _runScope<R>(scope: Component, fn: (scope: Component) => R | Promise<R>): Promise<R> {
    let result: R;
    try {
      result = await fn(scope);
    } catch (error) {
      try {
        await scope.cleanup();
      } catch (cleanupError) {
        throw suppressed(cleanupError, error);
      }
      throw error;
    }
    await scope.cleanup();
    return result;
  }

  /** @internal Check memory limits before adding `delta` bytes to `component`. */
  _admit(component: Component, delta: number, exclude?: TrackedResource): void {
    // Most managers have no limit at all: then there is nothing to check on the hot path.
    if (this._limitedComponents === 0 && this._limit === undefined) return;
    type Hit = { owner: Component | undefined; limit: Required<MemoryLimit>; current: number };
    let hits: Hit[] | undefined;
    for (let c: Component | undefined = component; c; c = c.parent) {
      const limit = c._limit;
      if (limit !== undefined && c._subtreeBytes + delta > limit.bytes) {
        (hits ??= []).push({ owner: c, limit, current: c._subtreeBytes });
      }
    }
    const global = this._limit;
    if (global !== undefined && this._totalBytes + delta > global.bytes) {
      (hits ??= []).push({ owner: undefined, limit: global, current: this._totalBytes });
    }
    if (hits === undefined) return;
    for (const hit of hits) {
      if (hit.limit.policy === 'reject') {
        this._stats.rejections++;
        this.#memoryEvent(component, hit.owner, hit.limit, hit.current, delta, 'rejected', 0, 0);
        throw memoryLimitError(hit.owner, component, hit.limit.bytes, hit.current, delta);
      }
    }
    // In order, each against the bytes held now: an earlier eviction may have made room.
    for (const hit of hits) {
      const held = (): number => (hit.owner ? hit.owner._subtreeBytes : this._totalBytes);
      const current = held();
      if (current + delta <= hit.limit.bytes) continue;
      if (hit.limit.policy === 'evict') {
        const [count, bytes] = this.#evict(hit.owner, hit.limit.bytes - delta, exclude);
        this.#memoryEvent(component, hit.owner, hit.limit, current, delta, 'evicted', count, bytes);
        if (held() + delta <= hit.limit.bytes) continue;
      }
      // `warn`, or `evict` that could not free enough: the request goes through, and says so.
      this.#memoryEvent(component, hit.owner, hit.limit, held(), delta, 'warned', 0, 0);
    }
  }

  /** @internal Add `delta` bytes to `component`, its ancestors and the total. */
  _account(component: Component, delta: number): void {
    component._ownBytes += delta;
    for (let c: Component | undefined = component; c; c = c.parent) c._subtreeBytes += delta;
    this._totalBytes += delta;
  }

  /** @internal Book-keeping after a record was linked. */
  _onTracked(component: Component, record: TrackedResource, value: unknown): void {
    const size = record._size;
    if (size !== 0) this._account(component, size);
    this._stats.resourcesTracked++;
    const flags = record._flags;
    if (flags & EVICTABLE) {
      const seq = ++this._lruSeq;
      this._lru.set(record, seq);
      for (let c: Component | undefined = component; c; c = c.parent) c._lru?.set(record, seq);
    }
    if (flags & WEAK) {
      this.#weakRegistry ??= new FinalizationRegistry((r) => this._collected(r));
      this.#weakRegistry.register(value as object, record, record);
    }
    if (this._stacks !== undefined) this._stacks.set(record, new Error('tracked here').stack ?? '');
    if (this.events.has('tracked')) this.events.emit('tracked', { component, resource: record });
  }

  /** @internal Book-keeping after a record was unlinked. */
  _onUnlinked(component: Component, record: TrackedResource, reason: ReleaseReason): void {
    const size = record._size;
    if (size !== 0) this._account(component, -size);
    this._stats.resourcesReleased++;
    const flags = record._flags;
    if (flags & EVICTABLE) {
      this._lru.delete(record);
      for (let c: Component | undefined = component; c; c = c.parent) c._lru?.delete(record);
    }
    if (flags & WEAK && reason !== 'collected') this.#weakRegistry?.unregister(record);
    if (this.events.has('released')) this.events.emit('released', { component, resource: record, reason });
  }

  /** @internal Move an evictable record to the most-recently-used end. */
  _touch(record: TrackedResource): void {
    const seq = ++this._lruSeq;
    this._lru.delete(record);
    this._lru.set(record, seq);
    for (let c: Component | undefined = record.component; c; c = c.parent) {
      if (c._lru === undefined) continue;
      c._lru.delete(record);
      c._lru.set(record, seq);
    }
  }

  /** @internal The evictable records of `component`'s subtree, in LRU order (for a new evict limit). */
  _subtreeLru(component: Component): Map<TrackedResource, number> {
    const out = new Map<TrackedResource, number>();
    for (const [record, seq] of this._lru) if (isWithin(record.component, component)) out.set(record, seq);
    return out;
  }

  /** @internal A weakly tracked value was collected. */
  _collected(record: TrackedResource): void {
    record.component._untrack(record, 'collected');
  }

  /** @internal Record a disposer failure (counted and emitted; never lost). */
  _reportFailure(
    component: Component,
    record: TrackedResource | undefined,
    error: unknown,
    phase: FailurePhase,
  ): void {
    this._stats.disposerFailures++;
    if (this.events.has('disposerFailed')) {
      this.events.emit('disposerFailed', { component, resource: record, error, phase });
    }
  }

  /** @internal Record an abandoned async disposer. */
  _reportTimeout(component: Component, record: TrackedResource, timeoutMs: number): void {
    this._stats.disposerTimeouts++;
    if (this.events.has('disposerTimedOut')) {
      this.events.emit('disposerTimedOut', { component, resource: record, timeoutMs });
    }
  }

  /** @internal Report a leak found by another layer (e.g. handle attribution). */
  _reportLeakEvent(leak: LeakEvent): LeakFinding {
    return this.#reportLeak(leak);
  }

  /** @internal Remove a destroyed component from the registry. */
  _forget(component: Component): void {
    if (component._limit) this._limitedComponents--;
    if (this.#byId.get(component.id) === component) this.#byId.delete(component.id);
    const owner = component.owner;
    if (owner !== undefined) {
      if (this.#byOwner.get(owner) === component) this.#byOwner.delete(owner);
      if (ownerIndex.get(owner) === component) ownerIndex.delete(owner);
    }
    this.#ownerRegistry.unregister(component);
    component.parent?._children?.delete(component);
    this._stats.componentsDestroyed++;
  }

  #reportLeak(leak: LeakEvent): LeakFinding {
    this._stats.leaksDetected++;
    if (this.events.has('leakDetected')) this.events.emit('leakDetected', leak);
    const { component, resource, ...rest } = leak;
    return { ...rest, component: component.id, ...(resource ? { resource: resource.id } : {}) };
  }

  #ownerCollected(component: Component): LeakFinding {
    const finding = this.#reportLeak({
      kind: 'owner-collected',
      component,
      message:
        `The owner of component "${component.id}" was garbage-collected but the component was never cleaned up; ` +
        `cleaning up its ${component.resourceCount} resource(s) now. Call cleanup() when the owner goes away.`,
      stack: this._stacks?.get(component),
    });
    if (acceptsResources(component.state)) {
      void component._startCleanup({ reason: 'owner-collected' }, undefined);
    }
    return finding;
  }

  #evict(
    scope: Component | undefined,
    targetBytes: number,
    exclude: TrackedResource | undefined,
  ): [number, number] {
    let count = 0;
    let bytes = 0;
    // Records tracked or touched by the disposers of this eviction come after the horizon: they
    // are in use, and skipping them keeps a disposer that re-tracks from looping forever.
    const horizon = this._lruSeq;
    const held = (): number => (scope ? scope._subtreeBytes : this._totalBytes);
    for (const [record, seq] of (scope ? scope._lru : this._lru) ?? []) {
      if (seq > horizon || held() <= targetBytes) break;
      if (record === exclude) continue;
      const size = record._size;
      try {
        record.component._releaseSync(record, 'evicted');
      } catch {
        // Already reported as a disposerFailed event; eviction goes on.
      }
      count++;
      bytes += size;
    }
    this._stats.evictions += count;
    return [count, bytes];
  }

  #memoryEvent(
    component: Component,
    owner: Component | undefined,
    limit: Required<MemoryLimit>,
    current: number,
    requested: number,
    action: 'warned' | 'rejected' | 'evicted',
    evicted: number,
    evictedBytes: number,
  ): void {
    if (!this.events.has('memoryThresholdExceeded')) return;
    this.events.emit('memoryThresholdExceeded', {
      scope: owner ? 'component' : 'global',
      component: owner ?? component,
      limitBytes: limit.bytes,
      currentBytes: current,
      requestedBytes: requested,
      policy: limit.policy,
      action,
      evicted,
      evictedBytes,
    });
  }
}

function isWithin(component: Component, ancestor: Component): boolean {
  for (let c: Component | undefined = component; c; c = c.parent) if (c === ancestor) return true;
  return false;
}

function suppressed(error: unknown, suppressedError: unknown): Error {
  const Native = (globalThis as { SuppressedError?: new (e: unknown, s: unknown, m: string) => Error })
    .SuppressedError;
  const message =
    'Cleanup of a scope failed after its block had thrown; see error (cleanup) and suppressed (the block).';
  if (Native) return new Native(error, suppressedError, message);
  // steward-allow-plain-error: the standard SuppressedError's shape where the runtime lacks it
  const e = new Error(message) as Error & { error: unknown; suppressed: unknown };
  e.name = 'SuppressedError';
  e.error = error;
  e.suppressed = suppressedError;
  return e;
}

function memoryLimitError(
  owner: Component | undefined,
  component: Component,
  limit: number,
  current: number,
  requested: number,
): MemoryLimitError {
  return new MemoryLimitError(
    owner ? 'component' : 'global',
    (owner ?? component).id,
    limit,
    current,
    requested,
  );
}
