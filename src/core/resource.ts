/**
 * A tracked resource: the record Steward keeps and the handle the caller gets back — one
 * object, so tracking allocates once. Its methods release, resize or touch the resource;
 * it works with `using` and `await using`.
 */

import type { DisposerContext } from './cancel.js';
import type { Component } from './component.js';
import type { Disposer } from './types.js';

/** @internal Bit flags of a record. */
export const WEAK = 1;
/** @internal */
export const EVICTABLE = 2;
/** @internal */
export const RELEASED = 4;
/** @internal Reported once as a long-lived leak suspect. */
export const REPORTED = 8;
/** @internal Disposed first at cleanup, before children and every other record (service withdrawal). */
export const EARLY = 16;
/**
 * @internal Has a priority or metadata, kept in the manager's `_extras` side table: most
 * resources have neither, and two fields fewer per record is 16 bytes and less GC copying.
 */
export const EXTRAS = 32;
/**
 * @internal The disposer was detected (the value's own method), not given: it is called with no
 * argument (see `disposal.ts`).
 */
export const DETECTED = 64;

/**
 * @internal The record is a cleanup callback's (`CleanupCallback`): its type, size and disposer
 * are its prototype's, so `_unlink` must not write its `_disposer`.
 */
export const CALLBACK = 128;

/** @internal What `ResourceManager._extras` holds for a record flagged `EXTRAS`. */
export interface ResourceExtras {
  readonly priority: number;
  readonly metadata: Readonly<Record<string, unknown>> | undefined;
}

/** Why a resource stopped being tracked. */
export type ReleaseReason = 'released' | 'cleanup' | 'evicted' | 'collected' | 'untracked';

/**
 * A resource tracked by a component. Releasing is idempotent: the first `release()` runs
 * the disposer and returns `true`, later calls return `false`. Undefined behaviour: mutating
 * the value's disposer method after tracking (the method found at track time is the one called).
 */
export class TrackedResource<T = unknown> implements Disposable, AsyncDisposable {
  /** @internal previous record in the component's list (older). */
  _prev: TrackedResource | undefined = undefined;
  /** @internal next record in the component's list (newer). */
  _next: TrackedResource | undefined = undefined;

  /**
   * @internal Created by `Component.track`; do not construct directly.
   */
  constructor(
    /** Unique (per manager) numeric id. */
    readonly id: number,
    /** The resource type. */
    readonly type: string,
    /** @internal size in bytes, see `size`. */
    public _size: number,
    /** @internal the value, or a WeakRef to it when weak; undefined once released. */
    public _value: unknown,
    /** @internal */
    public _disposer: Disposer | undefined,
    /** @internal bit flags. */
    public _flags: number,
    /** The component that owns this resource. */
    readonly component: Component,
    /** @internal creation time, ms since the manager's epoch (see `BatchClock`). */
    readonly _created: number,
  ) {}

  /** Cleanup priority: higher is released first. */
  get priority(): number {
    return this._flags & EXTRAS ? (this.component.manager._extras.get(this)?.priority ?? 0) : 0;
  }

  /** Metadata given at track time. */
  get metadata(): Readonly<Record<string, unknown>> | undefined {
    return this._flags & EXTRAS ? this.component.manager._extras.get(this)?.metadata : undefined;
  }

  /** The tracked value; `undefined` once released or (for weak resources) collected. */
  get value(): T | undefined {
    const v = this._value;
    if (this._flags & WEAK) return (v as WeakRef<T & object> | undefined)?.deref();
    return v as T | undefined;
  }

  /** Size in bytes counted against memory limits. */
  get size(): number {
    return this._size;
  }

  /** Whether the resource has been released (or collected, or untracked). */
  get released(): boolean {
    return (this._flags & RELEASED) !== 0;
  }

  /** Whether the value is held weakly. */
  get weak(): boolean {
    return (this._flags & WEAK) !== 0;
  }

  /** Whether the `evict` memory policy may release it. */
  get evictable(): boolean {
    return (this._flags & EVICTABLE) !== 0;
  }

  /**
   * Creation time, ms since the Unix epoch. The clock is read once per synchronous run: the
   * time is never later than the `track` call, and earlier by at most the time JavaScript ran
   * without yielding before it.
   */
  get createdAt(): number {
    return this.component.manager._epoch + this._created;
  }

  /** Creation stack, when the manager's leak tracking is on. */
  get stack(): string | undefined {
    return this.component.manager._stacks?.get(this);
  }

  /**
   * Release now: stop tracking and run the disposer. Returns `false` if already released.
   * A disposer that throws: the resource is still released, the error is rethrown.
   * A disposer that returns a promise is not awaited (use `releaseAsync`); its rejection is
   * reported as a `disposerFailed` event and counted, never lost.
   */
  release(): boolean {
    return this.component._releaseSync(this, 'released');
  }

  /** Release and await an async disposer (with the manager's disposer timeout). */
  releaseAsync(): Promise<boolean> {
    return this.component._releaseAsync(this);
  }

  /**
   * Change the size. Memory limits apply: with the `reject` policy an increase past a limit
   * throws `MemoryLimitError` and the size is unchanged. Throws if released.
   */
  resize(bytes: number): void {
    this.component._resize(this, bytes);
  }

  /** Mark as just used, for least-recently-used eviction. A no-op unless evictable. */
  touch(): void {
    if (this._flags & EVICTABLE && !(this._flags & RELEASED)) this.component.manager._memory.touch(this);
  }

  /**
   * Escape hatch: stop tracking and hand the value back to the caller WITHOUT disposing it.
   * From now on the caller owns it. Returns the value (undefined if already released).
   */
  untrackAndLeak(): T | undefined {
    const value = this.value;
    return this.component._untrack(this) ? value : undefined;
  }

  /** `using` support: `release()`. */
  [Symbol.dispose](): void {
    this.release();
  }

  /** `await using` support: `releaseAsync()`. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.releaseAsync();
  }

  /** A JSON description (for monitors). */
  toJSON(): ResourceInfo {
    const created = this.createdAt;
    return {
      id: this.id,
      type: this.type,
      size: this._size,
      priority: this.priority,
      weak: this.weak,
      evictable: this.evictable,
      createdAt: created,
      ageMs: Math.max(0, Date.now() - created), // the wall clock may have been set back
      component: this.component.id,
      ...(this.metadata ? { metadata: this.metadata } : {}),
      ...(this.stack ? { stack: this.stack } : {}),
    };
  }
}

/** @internal The disposer of every cleanup callback: call it with the context. */
export const callCallback: Disposer = (fn, context) => (fn as (context: DisposerContext) => unknown)(context);

/**
 * @internal A cleanup callback's record, which is also its registration: `dispose()` (and
 * `using`) unregisters without running it. Made by `newCallback`, not by this class's
 * constructor: seven fields (80 bytes, against a tracked value's ten), because its type
 * (`callback`), size (0) and disposer (`callCallback`) are the same for every callback and live
 * on this prototype. A `resize()` gives the record its own size.
 */
export class CleanupCallback extends TrackedResource {
  /** Unregister without running. Returns false if it already ran or was removed. */
  dispose(): boolean {
    return this.component._untrack(this);
  }

  /** `using` support: unregister without running. */
  override [Symbol.dispose](): void {
    this.component._untrack(this);
  }
}
for (const [key, value] of [
  ['type', 'callback'],
  ['_size', 0],
  ['_disposer', callCallback],
] as const) {
  // Writable, as an own field is: `resize()` (the only writer) then gives the record its own `_size`.
  Object.defineProperty(CleanupCallback.prototype, key, { value, writable: true, configurable: true });
}

/** The fields of a callback's record, assigned as a plain constructor function does (no `super`). */
interface CallbackFields {
  _prev: TrackedResource | undefined;
  _next: TrackedResource | undefined;
  id: number;
  _value: unknown;
  _flags: number;
  component: Component;
  _created: number;
}

/**
 * A plain constructor whose prototype is `CleanupCallback.prototype`: its instances are
 * `CleanupCallback`s and `TrackedResource`s (`instanceof` holds) without running the ten-field
 * `TrackedResource` constructor.
 */
function CallbackRecord(
  this: CallbackFields,
  id: number,
  fn: unknown,
  flags: number,
  component: Component,
  created: number,
): void {
  this._prev = undefined;
  this._next = undefined;
  this.id = id;
  this._value = fn;
  this._flags = flags;
  this.component = component;
  this._created = created;
}
CallbackRecord.prototype = CleanupCallback.prototype;

/** @internal A new cleanup callback's record (flags must include `CALLBACK`). */
export function newCallback(
  id: number,
  fn: unknown,
  flags: number,
  component: Component,
  created: number,
): CleanupCallback {
  return new (
    CallbackRecord as unknown as new (
      id: number,
      fn: unknown,
      flags: number,
      component: Component,
      created: number,
    ) => CleanupCallback
  )(id, fn, flags, component, created);
}

/** JSON form of a tracked resource. */
export interface ResourceInfo {
  id: number;
  type: string;
  size: number;
  priority: number;
  weak: boolean;
  evictable: boolean;
  createdAt: number;
  ageMs: number;
  component: string;
  metadata?: Readonly<Record<string, unknown>>;
  stack?: string;
}
