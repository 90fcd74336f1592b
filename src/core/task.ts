/**
 * Tasks: async work in flight, owned by a component (Trio's nursery, Kotlin's scope). A task
 * receives the component's `signal`; its record (type `task`) is tracked while it runs and goes
 * away when it settles. Cleanup aborts the signal as it starts, so every task starts stopping at
 * once, then awaits each task's record like any async disposer — within the disposer timeout,
 * after which it is abandoned and reported. No task outlives its component unreported.
 */
import { isAbort } from './cancel.js';
import type { Component } from './component.js';
import { describe, InvalidArgumentError, UseAfterCleanupError } from './errors.js';
import type { TrackedResource } from './resource.js';
import { acceptsResources } from './state.js';

/** Options of `Component.task`. */
export interface TaskOptions {
  /** Shown in reports and monitors (the record's `metadata.name`). */
  readonly name?: string;
  /**
   * Another signal that also stops the task (a request's, a plugin's `ctx.signal`): `fn` then
   * receives a signal aborted by either, and a rejection with either's reason is an abort.
   */
  readonly signal?: AbortSignal;
}

/** The value of a task's record: what its disposer awaits. */
interface RunningTask {
  /** Settles with the task; rejects only with an error that is not an abort. */
  readonly stopped: Promise<void>;
}

/** A task's disposer: wait for it to stop (the component's signal has told it to). */
const awaitTask = (task: RunningTask): Promise<void> => task.stopped;

/**
 * Start `fn(signal)` as a task of `component`; see `Component.task`. Throws (and runs nothing)
 * when `fn` is not a function or the component is cleaning up or destroyed.
 */
export function startTask<T>(
  component: Component,
  fn: (signal: AbortSignal) => T | PromiseLike<T>,
  options: TaskOptions | undefined,
): Promise<Awaited<T>> {
  if (typeof fn !== 'function') {
    throw new InvalidArgumentError(
      `task(): expected a function (signal) => Promise, which receives the component's signal (got ${describe(fn)}).`,
    );
  }
  const name = options?.name;
  if (name !== undefined && typeof name !== 'string') {
    throw new InvalidArgumentError(`task(): options.name must be a string (got ${describe(name)}).`);
  }
  const extra = options?.signal;
  if (extra !== undefined && !(extra instanceof AbortSignal)) {
    throw new InvalidArgumentError(`task(): options.signal must be an AbortSignal (got ${describe(extra)}).`);
  }
  if (!acceptsResources(component.state)) {
    throw new UseAfterCleanupError(component.id, component.state, 'start a task in', component._cleanedAt);
  }
  const own = component.signal;
  const signal = extra === undefined ? own : AbortSignal.any([own, extra]);
  let stop!: (error?: unknown) => void;
  const stopped = new Promise<void>((resolve, reject) => {
    stop = (error) => (error === undefined ? resolve() : reject(error));
  });
  const record: TrackedResource<RunningTask> = component.track<RunningTask>(
    { stopped },
    { type: 'task', dispose: awaitTask, ...(name !== undefined ? { metadata: { name } } : {}) },
  );
  let promise: Promise<Awaited<T>>;
  try {
    promise = Promise.resolve(fn(signal)) as Promise<Awaited<T>>;
  } catch (error) {
    promise = Promise.reject(error);
  }
  // Attaching here also marks the caller's promise handled: a task nobody awaits that fails is
  // reported (below), not an unhandled rejection.
  promise.then(
    () => {
      component._untrack(record, 'released');
      stop();
    },
    (error: unknown) => {
      const aborted = isAbort(error, signal);
      // Still tracked: it failed on its own, before cleanup awaited it. Report it here. Already
      // released: cleanup is awaiting it, and reports what `stopped` rejects with.
      if (component._untrack(record, 'released') && !aborted) {
        component.manager._reportFailure(component, record, error, 'task');
      }
      stop(aborted ? undefined : error);
    },
  );
  // A task that failed before cleanup was reported above; this copy is only for cleanup.
  stopped.catch(noop);
  return promise;
}

function noop(): void {}
