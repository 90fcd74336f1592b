/**
 * The DisposableStore-shaped path of a component: `add(d)` / `delete(d)` / `deleteAndLeak(d)`
 * for objects that already have their own `dispose()` (what VS Code-style code calls). No record
 * and no handle per object: one `Map` entry (the object → a sequence number from the same counter
 * as resource ids), so the component's one order still holds — cleanup interleaves added objects
 * with tracked resources by that number, newest first, after higher priorities. Failures and
 * timeouts are reported as for a tracked resource (type `disposable`, resource id = the entry's
 * number); a record is made for them only then.
 */
import type { Component } from './component.js';
import { describe, InvalidArgumentError, UseAfterCleanupError } from './errors.js';
import { RELEASED, TrackedResource } from './resource.js';
import { isThenable, reportRejection } from './settle.js';
import { acceptsResources } from './state.js';

/** What `Component.add` accepts: an object with `dispose()` (or `Symbol.dispose`/`Symbol.asyncDispose`). */
export type DisposableLike =
  | { dispose(): unknown }
  | { [Symbol.dispose](): unknown }
  | { [Symbol.asyncDispose](): PromiseLike<unknown> };

/** The resource type reported for an added object. */
export const ADDED_TYPE = 'disposable';

/** Call the object's own disposal method, without arguments. */
export function callEntry(d: object): unknown {
  const o = d as Record<PropertyKey, unknown>;
  if (typeof o.dispose === 'function') return (o.dispose as () => unknown)();
  if (typeof o[Symbol.dispose] === 'function') return (o[Symbol.dispose] as () => unknown)();
  return (o[Symbol.asyncDispose] as () => unknown)();
}

function isDisposableLike(d: unknown): d is DisposableLike {
  if (d === null || (typeof d !== 'object' && typeof d !== 'function')) return false;
  const o = d as Record<PropertyKey, unknown>;
  return (
    typeof o.dispose === 'function' ||
    typeof o[Symbol.dispose] === 'function' ||
    typeof o[Symbol.asyncDispose] === 'function'
  );
}

/** A record standing for an added object in reports and awaited disposals (made only for those). */
export function entryRecord(component: Component, d: object, seq: number): TrackedResource {
  return new TrackedResource(
    seq,
    ADDED_TYPE,
    0,
    d,
    undefined,
    RELEASED,
    component,
    component.manager._clock.now(),
  );
}

/** `Component.add`: see there. */
export function addEntry<D extends DisposableLike>(component: Component, d: D): D {
  const added = component._added;
  if (added === undefined || !acceptsResources(component._state)) {
    if (!isDisposableLike(d)) throw notDisposable(d);
    if (!acceptsResources(component._state)) {
      disposeRefused(component, d);
      throw new UseAfterCleanupError(
        component.id,
        component._state,
        'add a disposable to',
        component._cleanedAt,
      );
    }
    component._added = new Map();
    return addEntry(component, d);
  }
  // Checked on the object itself, cheapest first: `dispose` is what nearly everything has.
  if (typeof (d as { dispose?: unknown }).dispose !== 'function' && !isDisposableLike(d)) {
    throw notDisposable(d);
  }
  const size = added.size;
  added.set(d, component.manager._newResourceId());
  if (added.size !== size) {
    component._count++;
    component.manager._stats.resourcesTracked++;
  }
  return d;
}

/**
 * `Component.delete`: remove and dispose. False (and nothing disposed) if `d` was not added here.
 * A throwing dispose is reported and rethrown, as for `release()`; a promise is not awaited but
 * counted as disposing until it settles.
 */
export function deleteEntry(component: Component, d: object): boolean {
  const seq = component._added?.get(d);
  if (seq === undefined || !acceptsResources(component._state)) return false; // the sweep's now
  forget(component, d);
  let result: unknown;
  try {
    result = callEntry(d);
  } catch (error) {
    component.manager._reportFailure(component, entryRecord(component, d, seq), error, 'release');
    throw error;
  }
  if (isThenable(result)) component.manager._watchDisposal(component, entryRecord(component, d, seq), result);
  return true;
}

/** `Component.deleteAndLeak`: remove without disposing. False if `d` was not added here. */
export function deleteAndLeakEntry(component: Component, d: object): boolean {
  if (component._added?.has(d) !== true || !acceptsResources(component._state)) return false;
  forget(component, d);
  return true;
}

/** Drop `d` from the component's entries and counts (it must be there). */
export function forget(component: Component, d: object): void {
  component._added!.delete(d);
  component._count--;
  component.manager._stats.resourcesReleased++;
}

/**
 * The added objects, oldest first (the sweep walks them from the end), and their numbers when
 * they must be merged with records. From the moment cleanup starts the sweep owns them:
 * `delete`/`deleteAndLeak` return false, so each is disposed exactly once, with no lookup per
 * object; the map stays until the sweep ends (`clearEntries`) only to name a failing one.
 */
export function sweepEntries(
  component: Component,
  withNumbers: boolean,
): { objects: object[]; seqs: number[] | undefined } {
  const added = component._added!;
  return { objects: Array.from(added.keys()), seqs: withNumbers ? Array.from(added.values()) : undefined };
}

/** The number of an added object, for a report (0 if it is no longer known). */
export function entryNumber(component: Component, d: object): number {
  return component._added?.get(d) ?? 0;
}

/** The sweep disposed (or is disposing) `n` added objects: count them out. */
export function countOut(component: Component, n: number): void {
  component._count -= n;
  component.manager._stats.resourcesReleased += n;
}

function disposeRefused(component: Component, d: object): void {
  try {
    const result = callEntry(d);
    if (isThenable(result)) {
      reportRejection(result, (error) =>
        component.manager._reportFailure(component, undefined, error, 'late'),
      );
    }
  } catch (error) {
    component.manager._reportFailure(component, undefined, error, 'use-after-cleanup');
  }
}

function notDisposable(d: unknown): InvalidArgumentError {
  return new InvalidArgumentError(
    `add(): expected an object with a dispose() method (or Symbol.dispose / Symbol.asyncDispose), got ${describe(d)}. ` +
      'To track any other value, use track(value, { dispose }); to run a function at cleanup, onCleanup(fn).',
  );
}
