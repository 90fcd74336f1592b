/**
 * The cleanup sweep (docs/architecture.md, "The rules cleanup obeys"): services provided by the component are withdrawn
 * first; then children, newest first; then own records
 * by priority (higher first) and, within a priority, newest first. Never stops half-way: a
 * throwing, rejecting or hanging disposer is recorded and the sweep goes on. Async disposers
 * are awaited one at a time, each within its timeout and all within the deadline; past the
 * deadline the remaining disposers are still called, but not awaited.
 */
import type { Component } from './component.js';
import { DisposerTimeoutError, describe, StewardRangeError, StewardTypeError } from './errors.js';
import { type CleanupReport, emptyReport, mergeReport } from './report.js';
import { EARLY, RELEASED, type TrackedResource, WEAK } from './resource.js';
import { isThenable, now, reportRejection, settleWithin } from './settle.js';
import type { CleanupOptions } from './types.js';

/**
 * Check cleanup options given by a user; returns the error to reject with (naming `where`), if
 * any. Without this, a NaN or negative deadline silently abandoned every async disposer.
 */
export function cleanupOptionsError(options: CleanupOptions | undefined, where: string): Error | undefined {
  if (options === undefined || options === null) return undefined;
  if (typeof options !== 'object') {
    return new StewardTypeError(
      `${where}: options must be an object such as { force, deadlineMs, reason } (got ${describe(options)}).`,
    );
  }
  for (const key of ['deadlineMs', 'disposerTimeoutMs'] as const) {
    const value: unknown = options[key];
    if (
      value !== undefined &&
      (typeof value !== 'number' || !(value > 0 && value < Number.POSITIVE_INFINITY))
    ) {
      return new StewardRangeError(
        `${where}: options.${key} must be a finite number > 0 (got ${describe(value)}).`,
      );
    }
  }
  return undefined;
}

/** Run the cleanup of `component`. Called once per component (the promise is shared). */
export async function runCleanup(
  component: Component,
  options: CleanupOptions | undefined,
  parentDeadline: number | undefined,
): Promise<CleanupReport> {
  const manager = component.manager;
  const started = now();
  const reason = options?.reason;
  const deadlineAt = parentDeadline ?? started + (options?.deadlineMs ?? manager.cleanupDeadlineMs);
  const timeoutMs = options?.disposerTimeoutMs ?? manager.disposerTimeoutMs;
  const report = emptyReport(component.id, reason);

  if (manager._leakTracking) component._cleanedAt = new Error('cleanup started').stack;
  component._transition('cleaning');
  const events = manager.events;
  if (events.has('cleanupStarted')) events.emit('cleanupStarted', { component, reason });

  const onFailure = (record: TrackedResource, error: unknown): void => {
    report.failed.push({ componentId: component.id, resourceId: record.id, type: record.type, error });
    manager._reportFailure(component, record, error, 'cleanup');
  };
  const abandon = (record: TrackedResource, budget: number): void => {
    report.abandoned.push({
      componentId: component.id,
      resourceId: record.id,
      type: record.type,
      error: new DisposerTimeoutError(record.id, record.type, component.id, budget),
    });
    manager._reportTimeout(component, record, budget);
  };

  const settle = async (
    record: TrackedResource,
    result: PromiseLike<unknown>,
    budget: number,
  ): Promise<void> => {
    const outcome = await settleWithin(result, budget, (error) =>
      manager._reportFailure(component, record, error, 'late'),
    );
    if (outcome.kind === 'ok') report.released++;
    else if (outcome.kind === 'error') onFailure(record, outcome.error);
    else {
      if (budget < timeoutMs) report.deadlineExceeded = true;
      abandon(record, budget);
    }
  };

  // Synchronous unless the disposer returned a promise: no microtask per synchronous disposer.
  const disposeOne = (record: TrackedResource): Promise<void> | undefined => {
    const value = record.value;
    const disposer = record._disposer;
    const collected = record._flags & WEAK && value === undefined;
    component._unlink(record, 'cleanup');
    if (disposer === undefined || collected) {
      report.released++;
      return;
    }
    let result: unknown;
    try {
      result = disposer.call(value, value);
    } catch (error) {
      onFailure(record, error);
      return;
    }
    if (!isThenable(result)) {
      report.released++;
      return;
    }
    const remaining = deadlineAt - now();
    if (remaining <= 0) {
      report.deadlineExceeded = true;
      reportRejection(result, (error) => manager._reportFailure(component, record, error, 'late'));
      abandon(record, 0);
      return;
    }
    return settle(record, result, Math.min(timeoutMs, Math.ceil(remaining)));
  };

  // Services first: nobody may reach a service whose provider (or its children) is going away.
  const early: TrackedResource[] = [];
  if (component._hasEarly) for (let r = component._tail; r; r = r._prev) if (r._flags & EARLY) early.push(r);
  for (const record of early) {
    if (record._flags & RELEASED) continue;
    const pending = disposeOne(record);
    if (pending) await pending;
  }

  // Children first, newest first. A child already cleaning is joined, not restarted.
  if (component._children !== undefined) {
    const children = [...component._children];
    for (let i = children.length - 1; i >= 0; i--) {
      const child = children[i]!;
      const childReport = await child._startCleanup(options, deadlineAt);
      mergeReport(report, childReport);
    }
  }

  if (component._hasPriorities) {
    // Newest first, then a stable sort by priority keeps LIFO within a priority.
    // Priorities live in a side table: read each once, not once per comparison.
    const records: { record: TrackedResource; priority: number }[] = [];
    for (let r = component._tail; r; r = r._prev) records.push({ record: r, priority: r.priority });
    records.sort((a, b) => b.priority - a.priority);
    for (const { record } of records) {
      if (record._flags & RELEASED) continue; // released by an earlier disposer
      const pending = disposeOne(record);
      if (pending) await pending;
    }
  } else {
    // The list only shrinks while cleaning (tracking is refused), so the tail is always next.
    for (let record = component._tail; record !== undefined; record = component._tail) {
      const pending = disposeOne(record);
      if (pending) await pending;
    }
  }

  component._transition('destroyed');
  manager._forget(component);
  report.components.push(component.id);
  report.durationMs = now() - started;
  if (events.has('cleanupFinished')) events.emit('cleanupFinished', { component, report });
  return report;
}
