/**
 * The one place where something tracked is disposed (IntelliJ's `Disposer` idea): `release()`,
 * `releaseAsync()`, eviction, the cleanup sweep, a value tracked after cleanup and a value whose
 * tracking `@trackResult` saw refused all come here. So there is one answer to "how is a
 * disposer called" and one to "what happens when it fails":
 *
 * - a **detected** disposer (the value's own `close`, `kill`, `Symbol.dispose`…, flag
 *   `DETECTED`) is called with `this` = the value and no argument — its owner's polite default;
 *   an **explicit** `dispose` option is called with `this` = the value, the value and a
 *   `DisposerContext` (cancel.ts) whose signal aborts when the wait below gives up on it;
 * - while a promise it returned is pending, the record is counted as `disposing` (count and
 *   bytes) — until it settles, or is abandoned when waited for;
 * - a throw, a rejection and a timeout are counted and emitted (`disposerFailed`,
 *   `disposerTimedOut`) here and nowhere else; a rejection after the wait is still reported
 *   (phase `late`), never lost. The caller gets the outcome, to rethrow or put in its report.
 *
 * A synchronous disposer costs no promise and no microtask.
 */

import { DisposeContext, UNAWAITED } from './cancel.js';
import type { Component } from './component.js';
import { type DisposerBudget, DisposerTimeoutError } from './errors.js';
import type { FailurePhase } from './events.js';
import { PromiseOriginal, safeClearTimeout, safeSetTimeout, safeThen } from './intrinsics.js';
import { CALLBACK, DETECTED, type ReleaseReason, type TrackedResource, WEAK } from './resource.js';
import { isThenable, now, reportRejection } from './settle.js';
import type { Disposer } from './types.js';

/**
 * A failed disposal (already reported): what to rethrow or put in a report. `failed`: threw or
 * rejected; `abandoned`: did not settle in time.
 */
export type FailedDisposal =
  | { readonly kind: 'failed'; readonly error: unknown }
  | { readonly kind: 'abandoned'; readonly error: DisposerTimeoutError };

/** `undefined`: disposed (or nothing to do); otherwise how it failed. */
export type Disposed = FailedDisposal | undefined;

/**
 * The deadline of a running cleanup. `at` only moves earlier (a joining cleanup with a tighter
 * deadline, `tightenDeadline`); `wake` re-arms the wait of the disposer being awaited.
 */
export interface Deadline {
  /** When the cleanup must be done, on the `now()` clock. */
  at: number;
  /** Its length as given (for messages), ms. */
  ms: number;
  /** @internal set while a disposer is awaited under this deadline. */
  wake: (() => void) | undefined;
}

/** How long to wait for a disposer that returned a promise. */
export interface Wait {
  /** The disposer's own budget, ms; 0: do not wait (its rejection is still reported, `late`). */
  readonly timeoutMs: number;
  /** The cleanup's deadline, if the disposal is part of one. */
  readonly deadline?: Deadline | undefined;
  /** The context for an explicit disposer (the sweep's, reused while unclaimed); default: one per reason. */
  readonly context?: (() => DisposeContext) | undefined;
}

const NO_WAIT: Wait = { timeoutMs: 0 };

/** Call `disposer` for `value` the way its owner expects (see the file comment). */
export function callDisposer(
  disposer: Disposer,
  value: unknown,
  detected: boolean,
  context: DisposeContext,
): unknown {
  return detected
    ? (disposer as (this: unknown) => unknown).call(value)
    : disposer.call(value, value, context);
}

/** The context of an explicit disposer called outside a cleanup sweep. */
function contextFor(reason: ReleaseReason, wait: Wait): DisposeContext {
  if (wait.context !== undefined) return wait.context();
  if (wait.timeoutMs === 0) return reason === 'evicted' ? UNAWAITED.evicted : UNAWAITED.released;
  return new DisposeContext(reason, wait.timeoutMs, wait.deadline); // releaseAsync(): awaited
}

/**
 * Dispose one record: unlink it (`reason`), call its disposer, and if that returns a promise
 * wait for it as `wait` says. Failures are reported with `phase`. Returns `false` if the record
 * was already released; otherwise the outcome, synchronously when the disposer was synchronous.
 */
export function disposeRecord(
  record: TrackedResource,
  reason: ReleaseReason,
  phase: FailurePhase,
  wait: Wait = NO_WAIT,
): false | Disposed | Promise<Disposed> {
  const flags = record._flags;
  const component = record.component;
  if (flags & CALLBACK) {
    // A cleanup callback (the prototype's `callCallback`), called directly: fn(context).
    const fn = record._value as (context: DisposeContext) => unknown;
    if (!component._unlink(record, reason)) return false;
    const context = contextFor(reason, wait);
    let result: unknown;
    try {
      result = fn(context);
    } catch (error) {
      return failed(component, record, error, phase);
    }
    if (!isThenable(result)) return undefined;
    return awaitDisposer(component, record, result, phase, wait, context);
  }
  const value = record.value;
  const disposer = record._disposer;
  // A weak value already collected (its finalizer not run yet) is gone for that reason.
  const collected = (flags & WEAK) !== 0 && value === undefined;
  if (!component._unlink(record, collected ? 'collected' : reason)) return false;
  if (disposer === undefined || collected) return undefined;
  const detected = (flags & DETECTED) !== 0;
  const context = detected ? undefined : contextFor(reason, wait);
  let result: unknown;
  try {
    result = detected
      ? (disposer as (this: unknown) => unknown).call(value)
      : disposer.call(value, value, context!);
  } catch (error) {
    return failed(component, record, error, phase);
  }
  if (!isThenable(result)) return undefined;
  return awaitDisposer(component, record, result, phase, wait, context);
}

/**
 * Release one record now (`release()`, eviction): returns `false` if it was already released;
 * rethrows what a synchronous disposer threw (after reporting it); a returned promise is not
 * awaited (`releaseAsync` awaits), its rejection is reported (`late`).
 */
export function releaseRecord(record: TrackedResource, reason: ReleaseReason, phase: FailurePhase): boolean {
  // Without a wait, disposeRecord never returns a promise.
  const outcome = disposeRecord(record, reason, phase) as false | Disposed;
  if (outcome === false) return false;
  if (outcome !== undefined) throw outcome.error;
  return true;
}

/**
 * Dispose a value that is not (or no longer) a record — tracked after cleanup (`use-after-cleanup`)
 * or refused by `@trackResult` (`refused`). Failures are reported; nothing is awaited.
 */
export function disposeValue(
  component: Component,
  value: unknown,
  disposer: Disposer | undefined,
  detected: boolean,
  phase: FailurePhase,
): void {
  if (disposer === undefined) return;
  try {
    const result = callDisposer(disposer, value, detected, UNAWAITED.refused);
    if (isThenable(result)) {
      reportRejection(result, (error) =>
        component.manager._reportFailure(component, undefined, error, 'late'),
      );
    }
  } catch (error) {
    component.manager._reportFailure(component, undefined, error, phase);
  }
}

function failed(
  component: Component,
  record: TrackedResource,
  error: unknown,
  phase: FailurePhase,
): FailedDisposal {
  component.manager._reportFailure(component, record, error, phase);
  return { kind: 'failed', error };
}

function abandoned(
  component: Component,
  record: TrackedResource,
  waitedMs: number,
  budget: DisposerBudget,
  budgetMs: number,
): FailedDisposal {
  const error = new DisposerTimeoutError(record.id, record.type, component.id, waitedMs, budget, budgetMs);
  component.manager._reportTimeout(component, record, error);
  return { kind: 'abandoned', error };
}

/**
 * Wait for a disposer's promise within its timeout and the cleanup's deadline (whichever ends
 * first; the deadline may be tightened while waiting), counting the record as disposing
 * meanwhile and aborting `context`'s signal if it gives up. The timer is ref'd on purpose: a
 * process must not exit in the middle of a bounded cleanup.
 */
export function awaitDisposer(
  component: Component,
  record: TrackedResource,
  promise: PromiseLike<unknown>,
  phase: FailurePhase,
  wait: Wait,
  context?: DisposeContext,
): Disposed | Promise<Disposed> {
  const manager = component.manager;
  const late = (error: unknown): void => manager._reportFailure(component, record, error, 'late');
  const { timeoutMs, deadline } = wait;
  const started = now();
  if (timeoutMs === 0) {
    // Not awaited (`release()`, eviction): nothing times out, so a rejection is reported in the
    // phase that started the disposal (`release`, `evict`), never as `late`.
    manager._watchDisposal(
      component,
      record,
      promise,
      phase === 'evict' || phase === 'release' ? phase : 'late',
    );
    return undefined;
  }
  if (deadline !== undefined && deadline.at <= started) {
    reportRejection(promise, late);
    const outcome = abandoned(component, record, 0, 'cleanupDeadlineMs', deadline.ms);
    context?._abort(outcome.error);
    return outcome;
  }
  context?._awaited();
  manager._disposing(component, record, 1); // it still holds what it held until it settles
  return new PromiseOriginal<Disposed>((resolve) => {
    let done = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const finish = (outcome: Disposed): void => {
      done = true;
      safeClearTimeout(timer);
      if (deadline !== undefined && deadline.wake === arm) deadline.wake = undefined;
      manager._disposing(component, record, -1);
      if (outcome?.kind === 'abandoned') context?._abort(outcome.error);
      resolve(outcome);
    };
    // (Re-)arm the timer for whichever budget ends first; a timer that fires early re-arms.
    const arm = (): void => {
      if (done) return;
      safeClearTimeout(timer);
      const t = now();
      const byTimeout = started + timeoutMs - t;
      const byDeadline = deadline === undefined ? Number.POSITIVE_INFINITY : deadline.at - t;
      const left = Math.min(byTimeout, byDeadline);
      if (left > 0) {
        timer = safeSetTimeout(arm, Math.ceil(left));
        return;
      }
      const waited = Math.round(t - started);
      finish(
        byDeadline < byTimeout
          ? abandoned(component, record, waited, 'cleanupDeadlineMs', deadline!.ms)
          : abandoned(component, record, timeoutMs, 'disposerTimeoutMs', timeoutMs),
      );
    };
    const fail = (error: unknown): void => {
      if (done) late(error);
      else finish(failed(component, record, error, phase));
    };
    if (deadline !== undefined) deadline.wake = arm;
    arm();
    try {
      const onOk = (): void => {
        if (!done) finish(undefined);
      };
      // A plugin may have replaced Promise.prototype.then: Steward's own promises use the original.
      if (promise instanceof PromiseOriginal) safeThen(promise, onOk, fail);
      else promise.then(onOk, fail);
    } catch (error) {
      fail(error); // a thenable whose then() throws: a failed disposer, not a broken sweep
    }
  });
}

/** Move `deadline` to `at` if that is earlier, waking the disposer being awaited under it. */
export function tightenDeadline(deadline: Deadline, at: number, ms: number): void {
  if (at >= deadline.at) return;
  deadline.at = at;
  deadline.ms = ms;
  deadline.wake?.();
}
