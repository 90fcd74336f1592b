/**
 * The typed events of a ResourceManager. Payloads are built only when somebody listens.
 */
import type { Component } from './component.js';
import type { DisposerBudget, DisposerTimeoutError } from './errors.js';
import type { CleanupReport } from './report.js';
import type { ReleaseReason, TrackedResource } from './resource.js';
import type { ServiceToken } from './services.js';
import type { LifecycleState, MemoryPolicy } from './types.js';

/**
 * Where a disposer failed: explicit release, cleanup sweep, eviction, after its timeout, on a
 * value tracked after cleanup, on a value `@trackResult` disposed because its tracking was refused,
 * or `task`: a `component.task()` rejected on its own (not with an abort).
 */
export type FailurePhase =
  | 'release'
  | 'cleanup'
  | 'evict'
  | 'late'
  | 'use-after-cleanup'
  | 'refused'
  | 'task';

/** Kinds of leak the core detects. */
export type LeakKind =
  /** The owner object was garbage-collected while its component was never cleaned up. */
  | 'owner-collected'
  /** Something was tracked into a component after its cleanup started. */
  | 'use-after-cleanup'
  /** A resource outlived `leakTracking.maxResourceAgeMs`. */
  | 'long-lived'
  /** Reported by other layers (e.g. handle attribution in `steward/node`). */
  | 'untracked-handle'
  /** An element a component mounted is still alive after its cleanup (`steward/dom`). */
  | 'detached-element'
  /** An unloaded plugin's object (its `ctx`, a closure, a module cache) is still reachable (`steward/plugins`). */
  | 'retained-after-unload'
  /** A value Steward disposed is still reachable after collection (leak tracking on). */
  | 'disposed-but-reachable';

/** Payload of `leakDetected`. */
export interface LeakEvent {
  readonly kind: LeakKind;
  readonly component: Component;
  readonly message: string;
  readonly resource?: TrackedResource | undefined;
  readonly stack?: string | undefined;
  /** Leak forensics: the shortest strong path from a GC root to the leaked object, outermost first. */
  readonly retainerPath?: readonly string[] | undefined;
  /** Leak forensics: bytes the leaked object keeps alive. */
  readonly retainedBytes?: number | undefined;
  /** Leak forensics: the plugin owning the first plugin object on the path. */
  readonly plugin?: string | undefined;
  /** Leak forensics: the host object holding it (`emitter._events.change`). */
  readonly holder?: string | undefined;
  /** Leak forensics: how many objects with the same path shape this finding stands for. */
  readonly count?: number | undefined;
  /** `owner-collected`: whose code registered the component (`plugin "indexer"`), when known. */
  readonly registeredBy?: string | undefined;
  /** `owner-collected`: where it was registered (`file:line:column`), when leak tracking captured the stack. */
  readonly registeredAt?: string | undefined;
}

/** Payload of `memoryThresholdExceeded`. */
export interface MemoryEvent {
  /** `component`: a component's subtree limit; `global`: the manager's. */
  readonly scope: 'component' | 'global';
  /** The component whose limit was hit (for `global`, the one being tracked into). */
  readonly component: Component;
  readonly limitBytes: number;
  /** Bytes held before the request. */
  readonly currentBytes: number;
  /** Bytes requested. */
  readonly requestedBytes: number;
  readonly policy: MemoryPolicy;
  /** What was done: warned only, rejected the request, or evicted `evicted` resources. */
  readonly action: 'warned' | 'rejected' | 'evicted';
  /** Resources evicted (for `evict`). */
  readonly evicted: number;
  /** Bytes freed by eviction. */
  readonly evictedBytes: number;
}

/** Event name → payload. */
export interface ManagerEvents {
  registered: { readonly component: Component };
  stateChanged: {
    readonly component: Component;
    readonly from: LifecycleState;
    readonly to: LifecycleState;
    readonly error: unknown;
  };
  tracked: { readonly component: Component; readonly resource: TrackedResource };
  /** A resource's size changed (`resource.size` is the new size). */
  resized: { readonly component: Component; readonly resource: TrackedResource; readonly from: number };
  released: {
    readonly component: Component;
    readonly resource: TrackedResource;
    readonly reason: ReleaseReason;
  };
  cleanupStarted: { readonly component: Component; readonly reason: string | undefined };
  cleanupFinished: { readonly component: Component; readonly report: CleanupReport };
  memoryThresholdExceeded: MemoryEvent;
  leakDetected: LeakEvent;
  disposerFailed: {
    readonly component: Component;
    readonly resource: TrackedResource | undefined;
    readonly error: unknown;
    readonly phase: FailurePhase;
  };
  disposerTimedOut: {
    readonly component: Component;
    readonly resource: TrackedResource;
    /** How long it was waited for, ms. */
    readonly timeoutMs: number;
    /** The option whose budget ran out: its own timeout, or the cleanup's deadline. */
    readonly budget: DisposerBudget;
    /** The error in the cleanup report's `abandoned` list. */
    readonly error: DisposerTimeoutError;
  };
  serviceProvided: { readonly token: ServiceToken<unknown>; readonly component: Component | undefined };
  serviceWithdrawn: { readonly token: ServiceToken<unknown>; readonly component: Component | undefined };
}
