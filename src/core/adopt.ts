/**
 * Adopting legacy objects (the brief's migration helper): give an object written without
 * Steward a component, its existing cleanup function, and track/release helpers — without
 * changing the object.
 */
import type { Component } from './component.js';
import { describe, InvalidArgumentError } from './errors.js';
import type { ResourceManager } from './manager.js';
import { checkOptions, type KeysOf } from './options.js';
import type { CleanupReport } from './report.js';
import type { TrackedResource } from './resource.js';
import type { ComponentOptions, TrackOptions } from './types.js';

/** Options of `adopt`. */
export interface AdoptOptions<T> extends ComponentOptions {
  /** Component id. */
  readonly id: string;
  /**
   * The legacy cleanup: called once at cleanup, after every resource tracked through the
   * helper (it was registered first, so it runs last). Default: the object's own
   * `cleanup`, `dispose`, `close` or `destroy` method, if any. `null`: none.
   */
  readonly cleanup?: ((target: T) => unknown) | null;
}

/** A legacy object with its component and helpers. */
export interface Adopted<T> {
  readonly target: T;
  readonly component: Component;
  /** Track a resource in the adopted component. */
  track<V>(value: V, options?: TrackOptions<V>): TrackedResource<V>;
  /** Release a resource tracked through `track`. */
  release(handle: TrackedResource): boolean;
  /** Clean up: resources, then the legacy cleanup. */
  cleanup(options?: { force?: boolean }): Promise<CleanupReport>;
}

const ADOPT_KEYS: KeysOf<AdoptOptions<object>> = {
  id: true,
  cleanup: true,
  type: true,
  parent: true,
  memoryLimit: true,
  metadata: true,
  state: true,
};

const LEGACY_METHODS = ['cleanup', 'dispose', 'close', 'destroy'] as const;

/**
 * Adopt `target` as component `options.id`. Throws (registering nothing) on bad input or a
 * taken id. Adopting the same object twice returns a helper for the same component.
 */
export function adopt<T extends object>(
  manager: ResourceManager,
  target: T,
  options: AdoptOptions<T>,
): Adopted<T> {
  if (options === null || typeof options !== 'object') {
    throw new InvalidArgumentError(
      `adopt(): options must be an object with an id (got ${describe(options)}).`,
    );
  }
  checkOptions(options, 'adopt()', ADOPT_KEYS, '{ id, cleanup, type, parent, memoryLimit, metadata, state }');
  const { id, cleanup, ...componentOptions } = options;
  let legacyCleanup: ((target: T) => unknown) | undefined;
  if (cleanup === undefined) {
    const name = LEGACY_METHODS.find((m) => typeof (target as Record<string, unknown>)?.[m] === 'function');
    if (name) legacyCleanup = (t) => (t as Record<string, () => unknown>)[name]!();
  } else if (cleanup !== null) {
    if (typeof cleanup !== 'function') {
      throw new InvalidArgumentError(
        `adopt("${id}"): options.cleanup must be a function or null (got ${describe(cleanup)}).`,
      );
    }
    legacyCleanup = cleanup;
  }
  const already = manager.componentOf(target);
  const component = manager.register(target, id, { type: 'legacy', ...componentOptions });
  if (!already && legacyCleanup) {
    const fn = legacyCleanup;
    component.onCleanup(() => fn(target), { name: 'legacy cleanup' });
  }
  return {
    target,
    component,
    track: (value, trackOptions) => component.track(value, trackOptions),
    release: (handle) => component.release(handle),
    cleanup: (cleanupOptions) => component.cleanup(cleanupOptions),
  };
}

/** Outcome of adopting one object in `adoptAll`. */
export type AdoptResult<T> =
  | { readonly id: string; readonly ok: true; readonly adopted: Adopted<T> }
  | { readonly id: string; readonly ok: false; readonly error: unknown };

/** Adopt several objects; one failure does not stop the others. One result per entry, in order. */
export function adoptAll<T extends object>(
  manager: ResourceManager,
  entries: ReadonlyArray<{ readonly target: T } & AdoptOptions<T>>,
): AdoptResult<T>[] {
  if (!Array.isArray(entries)) {
    throw new InvalidArgumentError(
      `adoptAll(): entries must be an array of { target, id, … } (got ${describe(entries)}).`,
    );
  }
  return entries.map((entry) => {
    try {
      if (entry === null || typeof entry !== 'object') {
        throw new InvalidArgumentError(
          `adoptAll(): each entry must be { target, id, … } (got ${describe(entry)}).`,
        );
      }
      const { target, ...options } = entry;
      return { id: options.id, ok: true as const, adopted: adopt(manager, target, options) };
    } catch (error) {
      return { id: String((entry as { id?: unknown } | null)?.id), ok: false as const, error };
    }
  });
}
