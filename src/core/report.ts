/**
 * What a cleanup did: how many disposers completed, which failed (with their errors) and
 * which were abandoned at their timeout or the cleanup's deadline.
 */
import { safePush } from './intrinsics.js';

/** A disposer that threw or rejected. */
export interface DisposalFailure {
  readonly componentId: string;
  readonly resourceId: number;
  readonly type: string;
  readonly error: unknown;
}

/** A disposer that did not settle in time; cleanup went on without it. */
export interface AbandonedDisposal {
  readonly componentId: string;
  readonly resourceId: number;
  readonly type: string;
  /** A `DisposerTimeoutError` (per-disposer timeout or the cleanup deadline). */
  readonly error: Error;
}

/** The outcome of `cleanup()` or `ResourceManager.dispose()`; JSON-serializable but for `error`s. */
export interface CleanupReport {
  /** The component cleaned up (for a manager disposal: `"*"`). */
  readonly componentId: string;
  /** The reason passed to cleanup, if any. */
  readonly reason: string | undefined;
  /** Ids of the components destroyed, in the order they finished (children first). */
  readonly components: string[];
  /** Resources and callbacks whose disposal completed (including those that needed none). */
  released: number;
  /** Disposers that threw or rejected. */
  readonly failed: DisposalFailure[];
  /** Async disposers abandoned at their timeout or at the cleanup deadline. */
  readonly abandoned: AbandonedDisposal[];
  /** Wall time from start to finish, ms. */
  durationMs: number;
  /** Whether the cleanup deadline passed before every disposer settled. */
  deadlineExceeded: boolean;
}

/** A fresh, empty report. */
export function emptyReport(componentId: string, reason: string | undefined): CleanupReport {
  return {
    componentId,
    reason,
    components: [],
    released: 0,
    failed: [],
    abandoned: [],
    durationMs: 0,
    deadlineExceeded: false,
  };
}

/** Add `from`'s outcomes to `into` (components, counts, failures). Duration is not summed. */
export function mergeReport(into: CleanupReport, from: CleanupReport): void {
  // Indexed loops and Steward's own push: a plugin's replaced Array.prototype cannot break a report.
  for (let i = 0; i < from.components.length; i++) safePush(into.components, from.components[i]!);
  into.released += from.released;
  for (let i = 0; i < from.failed.length; i++) safePush(into.failed, from.failed[i]!);
  for (let i = 0; i < from.abandoned.length; i++) safePush(into.abandoned, from.abandoned[i]!);
  if (from.deadlineExceeded) into.deadlineExceeded = true;
}

/** Whether the report has failures or abandoned disposers. */
export function hasProblems(report: CleanupReport): boolean {
  return report.failed.length > 0 || report.abandoned.length > 0;
}
