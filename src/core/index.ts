/**
 * Steward core: platform-neutral resource management (no Node built-ins).
 * @module steward
 */

export type { DisposableLike } from './added.js';
export { type Adopted, type AdoptOptions, type AdoptResult, adopt, adoptAll } from './adopt.js';
export { type CancelKind, CancelledError, type DisposerContext } from './cancel.js';
export type { CleanupCallbackOptions, CleanupRegistration } from './component.js';
export { Component } from './component.js';
export {
  type CleanupOnThrowOptions,
  cleanupOnThrow,
  type TrackResultOptions,
  trackResult,
} from './decorators.js';
export { detectDisposer } from './disposer.js';
export { Emitter, type Subscription } from './emitter.js';
export {
  CleanupError,
  type DisposerBudget,
  DisposerTimeoutError,
  IllegalTransitionError,
  InvalidArgumentError,
  MemoryLimitError,
  StewardError,
  type StewardErrorOptions,
  StewardRangeError,
  StewardTypeError,
  UnknownOptionError,
  UseAfterCleanupError,
} from './errors.js';
export type { FailurePhase, LeakEvent, LeakKind, ManagerEvents, MemoryEvent } from './events.js';
export {
  componentOf,
  type LeakFinding,
  type LeakTrackingOptions,
  type ManagerCounters,
  ResourceManager,
  type ResourceManagerOptions,
} from './manager.js';
export { MAX_TIMER_MS } from './options.js';
export type { AbandonedDisposal, CleanupReport, DisposalFailure } from './report.js';
export { type ReleaseReason, type ResourceInfo, TrackedResource } from './resource.js';
export {
  createToken,
  ServiceNotFoundError,
  type ServiceRegistration,
  ServiceRegistry,
  type ServiceToken,
  tokenFor,
} from './services.js';
export type {
  ComponentInfo,
  ComponentStats,
  ManagerSnapshot,
  ManagerStats,
  SnapshotOptions,
  TypeTotals,
} from './snapshot.js';
export { allowedTransitions, canTransition, isLifecycleState } from './state.js';
export type { TaskOptions } from './task.js';
export {
  BUILTIN_RESOURCE_TYPES,
  type BuiltinResourceType,
  type CleanupOptions,
  type ComponentOptions,
  type Disposer,
  LIFECYCLE_STATES,
  type LifecycleState,
  type MemoryLimit,
  type MemoryPolicy,
  type ResourceType,
  type TrackOptions,
} from './types.js';
