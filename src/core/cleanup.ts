/**
 * The cleanup sweep (docs/architecture.md, "The rules cleanup obeys"): services provided by the component are withdrawn
 * first; then children, newest first; then own records
 * by priority (higher first) and, within a priority, newest first. Never stops half-way: a
 * throwing, rejecting or hanging disposer is recorded and the sweep goes on. Async disposers
 * are awaited one at a time, each within its timeout and all within the deadline; past the
 * deadline the remaining disposers are still called, but not awaited.
 */

import { callEntry, countOut, entryNumber, entryRecord, sweepEntries } from './added.js';
import { DisposeContext } from './cancel.js';
import type { Component } from './component.js';
import {
  awaitDisposer,
  type Deadline,
  type Disposed,
  disposeRecord,
  tightenDeadline,
  type Wait,
} from './disposal.js';
import { describe, InvalidArgumentError } from './errors.js';
import { safePush } from './intrinsics.js';
import { checkOptions, checkTimerMs, type KeysOf } from './options.js';
import { type CleanupReport, emptyReport, mergeReport } from './report.js';
import { EARLY, RELEASED, type TrackedResource } from './resource.js';
import { isThenable, now } from './settle.js';
import type { CleanupOptions } from './types.js';

const CLEANUP_KEYS: KeysOf<CleanupOptions> = {
  force: true,
  disposerTimeoutMs: true,
  deadlineMs: true,
  reason: true,
};

/**
 * Check cleanup options given by a user; returns the error to reject with (naming `where`), if
 * any. Without this, a NaN or negative deadline silently abandoned every async disposer.
 */
export function cleanupOptionsError(options: CleanupOptions | undefined, where: string): Error | undefined {
  try {
    checkOptions(options, where, CLEANUP_KEYS, '{ force, deadlineMs, disposerTimeoutMs, reason }');
    if (options === undefined) return undefined;
    if (options.deadlineMs !== undefined) checkTimerMs(options.deadlineMs, where, 'options.deadlineMs');
    if (options.disposerTimeoutMs !== undefined) {
      checkTimerMs(options.disposerTimeoutMs, where, 'options.disposerTimeoutMs');
    }
    if (options.reason !== undefined && typeof options.reason !== 'string') {
      throw new InvalidArgumentError(
        `${where}: options.reason must be a string (got ${describe(options.reason)}).`,
      );
    }
  } catch (error) {
    return error as Error;
  }
  return undefined;
}

/** The deadline of each cleanup while it runs (so a joining call can tighten it). */
const running = new WeakMap<Component, Deadline>();

/** A parent's deadline handed to a child's cleanup. */
export interface ParentDeadline {
  readonly at: number;
  readonly ms: number;
}

/**
 * A cleanup already running is joined by `options` (a repeated `cleanup()`) or by a parent's or
 * the manager's cleanup (`parent`): a tighter deadline applies to it and to its children's.
 */
export function joinCleanup(
  component: Component,
  options: CleanupOptions | undefined,
  parent: ParentDeadline | undefined,
): void {
  if (parent !== undefined) tighten(component, parent.at, parent.ms);
  else if (options?.deadlineMs !== undefined)
    tighten(component, now() + options.deadlineMs, options.deadlineMs);
}

function tighten(component: Component, at: number, ms: number): void {
  const deadline = running.get(component);
  if (deadline !== undefined) tightenDeadline(deadline, at, ms);
  if (component._children !== undefined) for (const child of component._children) tighten(child, at, ms);
}

/** Run the cleanup of `component`. Called once per component (the promise is shared). */
export async function runCleanup(
  component: Component,
  options: CleanupOptions | undefined,
  parent: ParentDeadline | undefined,
): Promise<CleanupReport> {
  const manager = component.manager;
  const started = now();
  const reason = options?.reason;
  const ms = parent?.ms ?? options?.deadlineMs ?? manager.cleanupDeadlineMs;
  const deadline: Deadline = { at: parent?.at ?? started + ms, ms, wake: undefined };
  running.set(component, deadline);
  const timeoutMs = options?.disposerTimeoutMs ?? manager.disposerTimeoutMs;
  // One context serves consecutive synchronous disposers until one keeps it (see cancel.ts).
  const why = reason ?? 'cleanup';
  let shared = new DisposeContext(why, timeoutMs, deadline);
  const context = (): DisposeContext =>
    shared._claimed ? (shared = new DisposeContext(why, timeoutMs, deadline)) : shared;
  const wait: Wait = { timeoutMs, deadline, context };
  const report = emptyReport(component.id, reason);

  if (manager._leakTracking) component._cleanedAt = new Error('cleanup started').stack;
  const failed = component._state === 'failed';
  component._transition('cleaning');
  // Work in flight hears it first; the sweep itself never listens to this signal.
  component._cancel(reason, failed);
  const events = manager.events;
  if (events.has('cleanupStarted')) events.emit('cleanupStarted', { component, reason });

  const note = (r: TrackedResource, outcome: Disposed): void => {
    if (outcome === undefined) {
      report.released++;
      return;
    }
    const where = { componentId: component.id, resourceId: r.id, type: r.type };
    if (outcome.kind === 'failed') safePush(report.failed, { ...where, error: outcome.error });
    else {
      safePush(report.abandoned, { ...where, error: outcome.error });
      if (outcome.error.budget === 'cleanupDeadlineMs') report.deadlineExceeded = true;
    }
  };
  // Synchronous unless the disposer returned a promise: no microtask per synchronous disposer.
  const disposeOne = (r: TrackedResource): Promise<void> | undefined => {
    const outcome = disposeRecord(r, 'cleanup', 'cleanup', wait);
    if (outcome === false) return;
    if (outcome instanceof Promise) return outcome.then((o) => note(r, o));
    note(r, outcome);
  };
  // An object given to add(): its own dispose(), no context; a record only to report or await it.
  const disposeEntry = (d: object): Promise<void> | undefined => {
    let result: unknown;
    try {
      result = callEntry(d);
    } catch (error) {
      const r = entryRecord(component, d, entryNumber(component, d));
      manager._reportFailure(component, r, error, 'cleanup');
      note(r, { kind: 'failed', error });
      return;
    }
    if (!isThenable(result)) {
      report.released++;
      return;
    }
    const r = entryRecord(component, d, entryNumber(component, d));
    const outcome = awaitDisposer(component, r, result, 'cleanup', { timeoutMs, deadline });
    if (outcome instanceof Promise) return outcome.then((o) => note(r, o));
    note(r, outcome);
  };

  // Services first: nobody may reach a service whose provider (or its children) is going away.
  const early: TrackedResource[] = [];
  if (component._hasEarly)
    for (let r = component._tail; r; r = r._prev) if (r._flags & EARLY) safePush(early, r);
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
      const childReport = await child._startCleanup(options, { at: deadline.at, ms: deadline.ms });
      mergeReport(report, childReport);
    }
  }

  const added = component._added;
  if (component._hasPriorities || (added !== undefined && added.size > 0)) {
    // Newest first, then a stable sort by priority keeps LIFO within a priority.
    // Priorities live in a side table: read each once, not once per comparison.
    const records: { record: TrackedResource; priority: number }[] = [];
    for (let r = component._tail; r; r = r._prev) safePush(records, { record: r, priority: r.priority });
    if (component._hasPriorities) records.sort((a, b) => b.priority - a.priority);
    // Objects given to add() have priority 0 and go where their number falls among the records,
    // newest first: the sweep walks them from the end.
    const entries =
      added !== undefined && added.size > 0 ? sweepEntries(component, records.length > 0) : undefined;
    let e = entries === undefined ? -1 : entries.objects.length - 1;
    const entriesUntil = async (stop: ((seq: number) => boolean) | undefined): Promise<void> => {
      // Counted out in one step before anything can observe the counts (an await, the end).
      let out = 0;
      for (; e >= 0 && !(stop !== undefined && stop(entries!.seqs![e]!)); e--) {
        out++;
        const pending = disposeEntry(entries!.objects[e]!);
        if (pending) {
          countOut(component, out);
          out = 0;
          await pending;
        }
      }
      countOut(component, out);
    };
    for (const { record, priority } of records) {
      if (entries !== undefined && priority <= 0)
        await entriesUntil((seq) => priority === 0 && seq < record.id);
      if (record._flags & RELEASED) continue; // released by an earlier disposer
      const pending = disposeOne(record);
      if (pending) await pending;
    }
    await entriesUntil(undefined);
    added?.clear();
  } else {
    // The list only shrinks while cleaning (tracking is refused), so the tail is always next.
    for (let record = component._tail; record !== undefined; record = component._tail) {
      const pending = disposeOne(record);
      if (pending) await pending;
    }
  }

  running.delete(component);
  component._transition('destroyed');
  manager._forget(component);
  safePush(report.components, component.id);
  report.durationMs = now() - started;
  if (events.has('cleanupFinished')) events.emit('cleanupFinished', { component, report });
  return report;
}
