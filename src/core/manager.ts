/**
 * The ResourceManager: the service every component registers with. Holds the component
 * tree, memory accounting and limits, statistics and events. Disposing it cleans up every
 * component, newest first.
 */
import { cleanupOptionsError, type ParentDeadline } from './cleanup.js';
import { BatchClock } from './clock.js';
import { Component } from './component.js';
import { Emitter, type Subscription } from './emitter.js';
import {
  CleanupError,
  type DisposerTimeoutError,
  describe,
  InvalidArgumentError,
  StewardError,
  UseAfterCleanupError,
} from './errors.js';
import type { FailurePhase, LeakEvent, ManagerEvents } from './events.js';
import { safeClearInterval, safeSetInterval } from './intrinsics.js';
import { validateLimit } from './limits.js';
import { MemoryAccounts } from './memory.js';
import { checkOptions, checkTimerMs, type KeysOf } from './options.js';
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
import { now, reportRejection, unrefTimer } from './settle.js';
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
  /**
   * Run `checkLeaks()` periodically, ms (> 0, at most 2^31 − 1). The timer is unref'd: it never
   * keeps a process alive.
   */
  readonly sweepIntervalMs?: number;
  /**
   * Report resources older than this (ms, any finite number > 0: an age, not a timer) as
   * `long-lived` leak suspects (once each).
   */
  readonly maxResourceAgeMs?: number;
}

/** Options of `new ResourceManager()`. */
export interface ResourceManagerOptions {
  /** Per async disposer timeout, ms (> 0, at most 2^31 − 1: what a timer holds). Default 5000. */
  readonly disposerTimeoutMs?: number;
  /** Deadline of one cleanup (including children), ms (> 0, at most 2^31 − 1). Default 30000. */
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

const MANAGER_KEYS: KeysOf<ResourceManagerOptions> = {
  disposerTimeoutMs: true,
  cleanupDeadlineMs: true,
  memoryLimit: true,
  leakTracking: true,
  onListenerError: true,
};
const LEAK_KEYS: KeysOf<LeakTrackingOptions> = {
  captureStacks: true,
  sweepIntervalMs: true,
  maxResourceAgeMs: true,
};
const COMPONENT_KEYS: KeysOf<ComponentOptions> = {
  type: true,
  parent: true,
  memoryLimit: true,
  metadata: true,
  state: true,
};
const SNAPSHOT_KEYS: KeysOf<SnapshotOptions> = { resources: true, component: true };
const NEW_MANAGER = 'new ResourceManager()';

/** A timer option of the manager: undefined (the default) or a number of ms a timer can hold. */
function timerMs(value: number | undefined, fallback: number, option: string): number {
  return value === undefined ? fallback : checkTimerMs(value, NEW_MANAGER, option);
}

/** Owner → component, across managers: lets decorators find the component of `this`. */
const ownerIndex = new WeakMap<object, Component>();

/**
 * How a report names the code that registered `component`: the nearest plugin at or above the
 * running component (`plugin "indexer"`), else the running component itself; nothing when no
 * component's code was running, or when it registered itself.
 */
function registrar(running: Component | undefined, component: Component): string | undefined {
  if (running === undefined || running === component) return undefined;
  let named: Component = running;
  for (let c: Component | undefined = running; c !== undefined; c = c.parent) {
    if (c.type === 'plugin') {
      named = c;
      break;
    }
  }
  return `${named.type} "${named.id}"`;
}

/**
 * The `file:line:column` of the first frame of a `registered here` stack outside the core
 * (whose own frames — register, scope, child — come first, all from one folder).
 */
function callerOf(stack: string): string | undefined {
  const locations = stack
    .split('\n')
    .slice(1)
    .map((line) => /\(?((?:file:\/\/)?[^\s()]+):(\d+):(\d+)\)?\s*$/.exec(line.trim()))
    .filter((m): m is RegExpExecArray => m !== null && !m[1]!.startsWith('node:'));
  const first = locations[0];
  if (first === undefined) return undefined;
  const coreDir = first[1]!.slice(0, first[1]!.lastIndexOf('/') + 1);
  const caller = locations.find((m) => !m[1]!.startsWith(coreDir));
  return caller === undefined ? undefined : `${caller[1]}:${caller[2]}:${caller[3]}`;
}

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
  /**
   * @internal The component whose code is running, if the Node layer knows it (handle
   * attribution's async context): a component registered meanwhile was registered by it.
   */
  static _currentComponent: (() => Component | undefined) | undefined;
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
  /** Resource id counter. */
  #nextId = 1;
  /** @internal counters; read them with `counters()`. */
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
  /** @internal bytes, limits and eviction order (`memory.ts`). */
  readonly _memory: MemoryAccounts;
  /** @internal live records by id, built on the first lookup by id and kept from then on. */
  _index: Map<number, TrackedResource> | undefined = undefined;
  /** @internal released records whose async disposer has not settled (see `disposing`). */
  _disposingCount = 0;
  /** @internal their bytes. */
  _disposingBytes = 0;

  readonly #byId = new Map<string, Component>();
  readonly #byOwner = new WeakMap<object, Component>();
  /** Who registered a component: the plugin (or other component) whose code was running. */
  readonly #registeredBy = new WeakMap<Component, string>();
  #weakRegistry: FinalizationRegistry<TrackedResource> | undefined;
  // An owner collected once cleanup has started is no leak: cleanup was asked for.
  readonly #ownerRegistry = new FinalizationRegistry<Component>((component) => {
    if (acceptsResources(component.state)) this.#ownerCollected(component);
  });
  readonly #maxAgeMs: number | undefined;
  #sweepTimer: ReturnType<typeof setInterval> | undefined;
  #scopeCounter = 0;
  #disposal: Promise<CleanupReport> | undefined;
  #disposeDeadline: ParentDeadline | undefined;

  /**
   * Throws `InvalidArgumentError` (creating nothing) on bad options: not an object, an unknown
   * key (naming the nearest known one), a timer option that is not a number of ms in
   * (0, 2^31 − 1], a bad memory limit.
   */
  constructor(options: ResourceManagerOptions = {}) {
    checkOptions(
      options,
      NEW_MANAGER,
      MANAGER_KEYS,
      '{ disposerTimeoutMs, cleanupDeadlineMs, memoryLimit, leakTracking }',
    );
    this.disposerTimeoutMs = timerMs(options.disposerTimeoutMs, 5000, 'disposerTimeoutMs');
    this.cleanupDeadlineMs = timerMs(options.cleanupDeadlineMs, 30_000, 'cleanupDeadlineMs');
    const limit =
      options.memoryLimit === undefined
        ? undefined
        : validateLimit(options.memoryLimit, `${NEW_MANAGER}: memoryLimit`);
    const onListenerError = options.onListenerError;
    if (onListenerError !== undefined && typeof onListenerError !== 'function') {
      throw new InvalidArgumentError(
        `${NEW_MANAGER}: onListenerError must be a function (got ${describe(onListenerError)}).`,
      );
    }
    const leak = options.leakTracking;
    if (leak !== undefined && typeof leak !== 'boolean') {
      checkOptions(
        leak,
        `${NEW_MANAGER}: leakTracking`,
        LEAK_KEYS,
        'true or { captureStacks, sweepIntervalMs, maxResourceAgeMs }',
      );
    }
    const leakOptions: LeakTrackingOptions = typeof leak === 'object' ? leak : {};
    const maxAge = leakOptions.maxResourceAgeMs;
    // An age, compared with resources' ages: no timer holds it, so any finite number > 0 will do.
    if (
      maxAge !== undefined &&
      (typeof maxAge !== 'number' || !(maxAge > 0 && maxAge < Number.POSITIVE_INFINITY))
    ) {
      throw new InvalidArgumentError(
        `${NEW_MANAGER}: leakTracking.maxResourceAgeMs must be a finite number of ms > 0 (got ${describe(maxAge)}).`,
      );
    }
    const interval =
      leakOptions.sweepIntervalMs === undefined
        ? undefined
        : checkTimerMs(leakOptions.sweepIntervalMs, NEW_MANAGER, 'leakTracking.sweepIntervalMs');
    this.events = new Emitter<ManagerEvents>(onListenerError);
    this._memory = new MemoryAccounts(this._stats, this.events);
    this._memory.limit = limit;
    this.services = new ServiceRegistry(this);
    this._leakTracking = leak !== undefined && leak !== false && leakOptions.captureStacks !== false;
    this._stacks = this._leakTracking ? new WeakMap() : undefined;
    this.#maxAgeMs = maxAge;
    if (interval !== undefined)
      this.#sweepTimer = unrefTimer(safeSetInterval(() => this.checkLeaks(), interval));
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
    return this._memory.total;
  }

  /** Number of live tracked resources across all components. */
  get activeResources(): number {
    return this._stats.resourcesTracked - this._stats.resourcesReleased;
  }

  /**
   * Resources whose async disposer is still running (or hung), and the bytes they hold: they
   * left `activeResources` and `totalBytes` when their disposal started, and are counted here
   * until the disposer settles or is abandoned at its timeout.
   */
  get disposing(): { readonly count: number; readonly bytes: number } {
    return { count: this._disposingCount, bytes: this._disposingBytes };
  }

  /**
   * The counters kept on the hot path (a copy): components registered and destroyed, resources
   * tracked and released, disposer failures and timeouts, evictions, rejections, leaks. For
   * monitors and metrics exporters; `stats()` adds totals by type and component.
   */
  counters(): ManagerCounters {
    return { ...this._stats };
  }

  /**
   * Report a leak found outside the core — an untracked handle (`steward/node`'s attribution),
   * a detached element (`steward/dom`) — exactly as the core reports its own: counted in
   * `leaksDetected` and emitted as `leakDetected`. Returns the finding in the form `checkLeaks()`
   * returns. Nothing is cleaned up: what to do about the leak is the reporter's business.
   */
  reportLeak(leak: LeakEvent): LeakFinding {
    if (leak === null || typeof leak !== 'object' || !(leak.component instanceof Component)) {
      throw new InvalidArgumentError(
        `reportLeak(): expected { kind, component, message, resource?, stack? } with a component of this manager (got ${describe(leak)}).`,
      );
    }
    if (leak.component.manager !== this) {
      throw new InvalidArgumentError(
        `reportLeak(): component "${leak.component.id}" belongs to another manager; report it there.`,
      );
    }
    return this.#reportLeak(leak);
  }

  /** The global memory limit, if any. */
  get memoryLimit(): Required<MemoryLimit> | undefined {
    return this._memory.limit;
  }

  /** Set (or remove, with `undefined`) the global memory limit. */
  setMemoryLimit(limit: MemoryLimit | undefined): void {
    this._memory.limit = limit === undefined ? undefined : validateLimit(limit, 'setMemoryLimit()');
  }

  /**
   * Register a component with a unique `id`: `register(id, options?)` for one the manager holds
   * until it is cleaned up (the right choice for a module-level or long-lived component), or
   * `register(owner, id, options?)` to tie it to an owner object (a tab, a panel, a plugin
   * instance). The owner is held weakly: if it is garbage-collected without cleanup, its
   * component is cleaned up anyway and a leak is reported (`leakDetected`; with no listener, a
   * console warning naming the component and where it was registered). Beware the reverse: an
   * owner its own tracked callbacks close over (`onCleanup(() => this.close())`) is never
   * collected, so only cleanup ends it. Registering the same owner again returns its component unless it is destroyed
   * (the id must match) — also while it is cleaning up, when tracking into it throws.
   * Throws `InvalidArgumentError` on bad input (options checked as `track`'s are), and a
   * `StewardError` if `id` is taken by a live component;
   * nothing is registered then.
   */
  register(id: string, options?: ComponentOptions): Component;
  register(owner: object, id: string, options?: ComponentOptions): Component;
  register(
    ownerOrId: object | string,
    idOrOptions?: string | ComponentOptions,
    maybeOptions: ComponentOptions = {},
  ): Component {
    // Without an owner object: the manager holds the component until it is cleaned up.
    const ownerless = typeof ownerOrId === 'string';
    if (ownerless && typeof idOrOptions === 'string') {
      throw new InvalidArgumentError(
        `register(${describe(ownerOrId)}, ${describe(idOrOptions)}): owner must be an object (the plugin, tab or panel ` +
          `that owns the resources), got ${describe(ownerOrId)}. Without an owner, call register(id, options?).`,
      );
    }
    const owner = ownerless ? {} : ownerOrId;
    const id = (ownerless ? ownerOrId : idOrOptions) as string;
    const options = (ownerless ? (idOrOptions ?? {}) : maybeOptions) as ComponentOptions;
    checkOptions(
      options,
      `register(${JSON.stringify(id)})`,
      COMPONENT_KEYS,
      '{ type, parent, memoryLimit, metadata, state }',
    );
    if (owner === null || (typeof owner !== 'object' && typeof owner !== 'function')) {
      throw new InvalidArgumentError(
        `register(): owner must be an object (the plugin, tab or panel that owns the resources), got ${describe(owner)}.`,
      );
    }
    if (typeof id !== 'string' || id.trim().length === 0) {
      throw new InvalidArgumentError(`register(): id must be a non-empty string (got ${describe(id)}).`);
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
      throw new InvalidArgumentError(
        `register("${id}"): options.type must be a non-empty string (got ${describe(type)}).`,
      );
    }
    const parent = options.parent;
    if (parent !== undefined) {
      if (!(parent instanceof Component) || parent.manager !== this) {
        throw new InvalidArgumentError(
          `register("${id}"): options.parent must be a component of this manager.`,
        );
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
      throw new InvalidArgumentError(
        `register("${id}"): options.state must be loaded, initialized or active (got ${describe(state)}).`,
      );
    }
    const limit =
      options.memoryLimit === undefined
        ? undefined
        : validateLimit(options.memoryLimit, `register("${id}"): memoryLimit`);
    const component = this.#add(owner, id, type, parent, limit, options.metadata, state, ownerless);
    if (ownerless) component._anchor = owner;
    return component;
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
    if (!anchored) {
      this.#ownerRegistry.register(owner, component, component);
      // Where it was registered, for the warning if its owner is collected (a short string:
      // an Error kept unformatted would hold the frames' receivers — the owner among them).
      if (this._stacks === undefined) component._registeredAt = registrationSite();
    }
    if (parent) (parent._children ??= new Set()).add(component);
    if (this._stacks) this._stacks.set(component, new Error('registered here').stack ?? '');
    const by = registrar(ResourceManager._currentComponent?.(), component);
    if (by !== undefined) this.#registeredBy.set(component, by);
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

  /**
   * The live resource with `id` (a `TrackedResource.id`), in any component, or undefined.
   * O(1): the first lookup indexes the live resources once, later tracking keeps the index;
   * an application that never looks up by id never builds it.
   */
  resource(id: number): TrackedResource | undefined {
    if (typeof id !== 'number' || !Number.isInteger(id)) {
      throw new InvalidArgumentError(`resource(): id must be an integer resource id (got ${describe(id)}).`);
    }
    let index = this._index;
    if (index === undefined) {
      index = this._index = new Map();
      for (const component of this.#byId.values())
        for (let r = component._head; r; r = r._next) index.set(r.id, r);
    }
    return index.get(id);
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
    checkOptions(options, 'snapshot()', SNAPSHOT_KEYS, '{ resources, component }');
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
            message:
              `${r.type} #${r.id} of "${component.id}" is ${wallNow - r.createdAt} ms old (limit ${this.#maxAgeMs} ms).` +
              // An owned component: the owner cycle is the likely reason nobody cleaned it up.
              (component._anchor === undefined
                ? ' If its owner is done with it, note that a tracked callback, timer or listener that refers to the ' +
                  'owner keeps the owner alive: it is then never garbage-collected and its component never cleaned ' +
                  'up on its own. Call cleanup() when the owner is done.'
                : ''),
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
    if (this.#disposal !== undefined && options?.deadlineMs !== undefined) {
      // Joining a disposal under way with a tighter deadline: it applies to what is left.
      const ms = options.deadlineMs;
      const at = now() + ms;
      if (this.#disposeDeadline !== undefined && at < this.#disposeDeadline.at)
        this.#disposeDeadline = { at, ms };
      for (const component of this.#byId.values()) {
        if (component.parent === undefined && component.state === 'cleaning') {
          void component._startCleanup(undefined, { at, ms });
        }
      }
    }
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
    if (this.#sweepTimer !== undefined) safeClearInterval(this.#sweepTimer);
    const ms = options?.deadlineMs ?? this.cleanupDeadlineMs;
    this.#disposeDeadline = { at: started + ms, ms };
    const roots = [...this.#byId.values()].filter((c) => c.parent === undefined);
    for (let i = roots.length - 1; i >= 0; i--) {
      mergeReport(report, await roots[i]!._startCleanup(options, this.#disposeDeadline));
    }
    report.durationMs = now() - started;
    return report;
  }

  // ---- internal, called by Component and the cleanup sweep -------------------------------

  /** @internal Create a scope component under `parent` (or at the root). */
  _scope(parent: Component | undefined, name: string): Component {
    if (typeof name !== 'string' || name.length === 0) {
      throw new InvalidArgumentError(`scope(): name must be a non-empty string (got ${describe(name)}).`);
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

  /** @internal Book-keeping after a record was linked. */
  _onTracked(component: Component, record: TrackedResource, value: unknown): void {
    const size = record._size;
    if (size !== 0) this._memory.account(component, size);
    this._stats.resourcesTracked++;
    if (this._index !== undefined) this._index.set(record.id, record);
    const flags = record._flags;
    if (flags & EVICTABLE) this._memory.added(component, record);
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
    if (size !== 0) this._memory.account(component, -size);
    this._stats.resourcesReleased++;
    if (this._index !== undefined) this._index.delete(record.id);
    const flags = record._flags;
    if (flags & EVICTABLE) this._memory.removed(component, record);
    if (flags & WEAK && reason !== 'collected') this.#weakRegistry?.unregister(record);
    if (this.events.has('released')) this.events.emit('released', { component, resource: record, reason });
  }

  /** @internal An async disposer of `record` started (`sign` 1) or settled or was abandoned (-1). */
  _disposing(component: Component, record: TrackedResource, sign: 1 | -1): void {
    const bytes = sign * record._size;
    component._disposingCount += sign;
    component._disposingBytes += bytes;
    this._disposingCount += sign;
    this._disposingBytes += bytes;
  }

  /** @internal Count `result` (a disposer nobody awaits) as disposing until it settles; report a rejection (`phase`). */
  _watchDisposal(
    component: Component,
    record: TrackedResource,
    result: PromiseLike<unknown>,
    phase: FailurePhase = 'late',
  ): void {
    this._disposing(component, record, 1);
    let counted = true;
    const settled = (): void => {
      if (counted) this._disposing(component, record, -1);
      counted = false;
    };
    reportRejection(
      Promise.resolve()
        .then(() => result)
        .finally(settled),
      (error) => this._reportFailure(component, record, error, phase),
    );
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
  _reportTimeout(component: Component, record: TrackedResource, error: DisposerTimeoutError): void {
    this._stats.disposerTimeouts++;
    if (this.events.has('disposerTimedOut')) {
      this.events.emit('disposerTimedOut', {
        component,
        resource: record,
        timeoutMs: error.timeoutMs,
        budget: error.budget,
        error,
      });
    }
  }

  /** @internal A fresh resource id (ids are per manager, never reused). */
  _newResourceId(): number {
    return this.#nextId++;
  }

  /** @internal The last resource id given (0 before any): every later resource has a greater one. */
  get _lastResourceId(): number {
    return this.#nextId - 1;
  }

  /** @internal Remove a destroyed component from the registry. */
  _forget(component: Component): void {
    if (component._limit) this._memory.limitChanged(true, false);
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
    const stack = this._stacks?.get(component) ?? component._registeredAt;
    const registeredBy = this.#registeredBy.get(component);
    const registeredAt = stack === undefined ? undefined : callerOf(stack);
    const origin =
      registeredBy === undefined && registeredAt === undefined
        ? ''
        : ` It was registered${registeredBy === undefined ? '' : ` by ${registeredBy}`}${registeredAt === undefined ? '' : ` at ${registeredAt}`}.`;
    const message =
      `The owner of component "${component.id}" was garbage-collected but the component was never cleaned up; ` +
      `cleaning up its ${component.resourceCount} resource(s) now.${origin} Call cleanup() when the owner goes away, ` +
      `or register it without an owner — manager.register("${component.id}") — to keep it until cleanup().`;
    if (!this.events.has('leakDetected')) {
      // Never silent: without a listener, say it once, with where the component was registered.
      console.warn(`Steward: ${message}${stack ? `\nRegistered:\n${callerLines(stack)}` : ''}`);
    }
    const finding = this.#reportLeak({
      kind: 'owner-collected',
      component,
      message,
      stack,
      ...(registeredBy === undefined ? {} : { registeredBy }),
      ...(registeredAt === undefined ? {} : { registeredAt }),
    });
    if (acceptsResources(component.state)) {
      void component._startCleanup({ reason: 'owner-collected' }, undefined);
    }
    return finding;
  }
}

/** A short stack of the current call (V8 honours `stackTraceLimit`; elsewhere the engine's own). */
function registrationSite(): string | undefined {
  const E = Error as { stackTraceLimit?: number };
  const limit = E.stackTraceLimit;
  E.stackTraceLimit = 8;
  const stack = new Error('registered here').stack;
  if (limit !== undefined) E.stackTraceLimit = limit;
  return stack;
}

/** The frames of `stack` outside Steward's own files (all of them if that leaves none). */
function callerLines(stack: string): string {
  const frames = stack.split('\n').filter((l) => /^\s+at /.test(l));
  const outside = frames.filter((l) => !/[\\/](src|dist)[\\/]core[\\/]/.test(l));
  return (outside.length > 0 ? outside : frames).slice(0, 4).join('\n');
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
