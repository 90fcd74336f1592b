/**
 * Shared vocabulary of the core: resource types, lifecycle states, limits and the
 * options accepted by `track` and `register`.
 */

/** Resource types Steward knows how to dispose of without being told. */
export const BUILTIN_RESOURCE_TYPES = [
  'memory',
  'file_handle',
  'thread',
  'worker',
  'timer',
  'listener',
  'socket',
  'process',
  'thumbnail',
  'map',
  'custom',
] as const;

/** A built-in resource type. */
export type BuiltinResourceType = (typeof BUILTIN_RESOURCE_TYPES)[number];

/**
 * The type of a tracked resource: an open set. Any non-empty string is accepted;
 * the built-in names get type-specific disposer detection and are suggested by editors.
 */
export type ResourceType = BuiltinResourceType | (string & {});

/** Lifecycle states of a component. See `state.ts` for the legal transitions. */
export type LifecycleState =
  | 'loaded'
  | 'initialized'
  | 'active'
  | 'paused'
  | 'cleaning'
  | 'destroyed'
  | 'failed';

/** Every lifecycle state, in lifecycle order. */
export const LIFECYCLE_STATES: readonly LifecycleState[] = [
  'loaded',
  'initialized',
  'active',
  'paused',
  'cleaning',
  'destroyed',
  'failed',
];

/**
 * What happens when a memory limit would be exceeded:
 * - `warn`: the resource is tracked and a `memoryThresholdExceeded` event is emitted;
 * - `reject`: `track`/`resize` throw a `MemoryLimitError` and nothing changes
 *   (the caller still owns the value);
 * - `evict`: resources tracked with `evictable: true` are released, least recently
 *   used first, until the total is back under the limit; if that is not enough, the request is
 *   tracked anyway and a `warned` event follows the `evicted` one.
 */
export type MemoryPolicy = 'warn' | 'reject' | 'evict';

/** A memory limit in bytes with the policy applied when it would be exceeded. */
export interface MemoryLimit {
  /** Maximum bytes: a whole number >= 0, at most `Number.MAX_SAFE_INTEGER`. */
  readonly bytes: number;
  /** Policy when exceeded. Default `warn`. */
  readonly policy?: MemoryPolicy;
}

/**
 * A function that releases a value. Given as `track`'s `dispose` option, it is called with
 * `this` = the value, the value and a `DisposerContext` — the reason, and a signal and deadline
 * for an async disposer to stop in time; a detected disposer (the value's own method) is called
 * with `this` = the value and no argument. Wrap a function whose second parameter means
 * something else (a `(handle) => closeIt(handle)` arrow, not such a function itself).
 */
export type Disposer<T = unknown> = (value: T, context: import('./cancel.js').DisposerContext) => unknown;

/** Options of `Component.track`. */
export interface TrackOptions<T = unknown> {
  /** Resource type; default `custom`. Drives disposer detection. */
  readonly type?: ResourceType;
  /**
   * Size in bytes counted against memory limits; default 0. A whole number >= 0 (at most
   * `Number.MAX_SAFE_INTEGER`): fractions would leave residues in the totals.
   */
  readonly size?: number;
  /** Arbitrary JSON-friendly data shown by monitors. */
  readonly metadata?: Readonly<Record<string, unknown>>;
  /**
   * Explicit disposer. Wins over detection. `null` declares that the value needs no
   * disposal (plain data), even if it has a `close` method.
   */
  readonly dispose?: Disposer<T> | null;
  /** Higher priority is released first during cleanup. Default 0. A finite number. */
  readonly priority?: number;
  /** Hold the value through a `WeakRef`: the record disappears when the value is collected. */
  readonly weak?: boolean;
  /** May be released by the `evict` memory policy (least recently used first). */
  readonly evictable?: boolean;
}

/** Options of `ResourceManager.register`. */
export interface ComponentOptions {
  /** Free-form kind of component: `plugin`, `tab`, `panel`… Default `component`. */
  readonly type?: string;
  /** Parent component: cleaned up after this one, its memory includes this one's. */
  readonly parent?: import('./component.js').Component;
  /** Memory limit of this component's subtree. */
  readonly memoryLimit?: MemoryLimit;
  /** Arbitrary JSON-friendly data shown by monitors. */
  readonly metadata?: Readonly<Record<string, unknown>>;
  /** Initial lifecycle state: `loaded` (default) or `initialized`/`active`. */
  readonly state?: 'loaded' | 'initialized' | 'active';
}

/** Options of `cleanup()`. */
export interface CleanupOptions {
  /**
   * Resolve with the report even when disposers failed or timed out. Without it the
   * promise rejects with a `CleanupError` (an `AggregateError` carrying the report)
   * after every disposer has run. Either way the sweep never stops half-way.
   */
  readonly force?: boolean;
  /** Per-disposer timeout for async disposers, ms, at most 2^31 − 1. Default: the manager's (5000). */
  readonly disposerTimeoutMs?: number;
  /**
   * Deadline of the whole cleanup, ms, at most 2^31 − 1. Default: the manager's (30000). Given
   * to a call that joins a cleanup already running, it tightens that cleanup's deadline (never
   * loosens it).
   */
  readonly deadlineMs?: number;
  /** Why the cleanup happens, shown in events and reports (`unload`, `shutdown`…). */
  readonly reason?: string;
}
