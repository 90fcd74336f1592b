/**
 * Standard (TC39) method decorators. The component is the one registered for `this`
 * (`manager.register(this, id)`), or the one returned by `options.component`.
 */
import type { Component } from './component.js';
import { disposeValue } from './disposal.js';
import { detectDisposer } from './disposer.js';
import { InvalidArgumentError, UseAfterCleanupError } from './errors.js';
import { componentOf } from './manager.js';
import { checkOptions, type KeysOf } from './options.js';
import { isThenable } from './settle.js';
import type { Disposer, TrackOptions } from './types.js';

const TRACK_RESULT_KEYS: KeysOf<TrackResultOptions<unknown>> = {
  type: true,
  size: true,
  metadata: true,
  dispose: true,
  priority: true,
  weak: true,
  evictable: true,
  component: true,
};
const CLEANUP_ON_THROW_KEYS: KeysOf<CleanupOnThrowOptions<object>> = { cleanup: true, component: true };

/** Options of `@trackResult`. */
export interface TrackResultOptions<V> extends Omit<TrackOptions<V>, 'size'> {
  /** Size in bytes: a number, or a function of the returned value. */
  readonly size?: number | ((value: V) => number);
  /** Find the component for `this`; default: the component registered for `this`. */
  readonly component?: (self: object) => Component | undefined;
}

function resolve(
  self: object,
  find: ((self: object) => Component | undefined) | undefined,
  where: string,
): Component {
  const component = find ? find(self) : componentOf(self);
  if (!component) {
    throw new InvalidArgumentError(
      `${where}: \`this\` (${self?.constructor?.name ?? typeof self}) is not registered with a ResourceManager. ` +
        'Call manager.register(this, id) first (e.g. in the constructor), or pass { component: (self) => … }.',
    );
  }
  return component;
}

/**
 * Track the value a method returns (or its promise resolves to) in the component of `this`.
 * The component is looked up before the method runs, so a missing registration throws
 * before anything is created. Returns the value unchanged; `null` and `undefined` (a method
 * that found nothing to return) are returned untracked. If tracking is refused (memory limit,
 * bad option), the value is disposed of before the error is thrown: nobody else has it.
 * Bad decorator options throw `InvalidArgumentError` when the class is defined.
 */
export function trackResult<V>(options: TrackResultOptions<V> = {}) {
  checkOptions(options, '@trackResult()', TRACK_RESULT_KEYS, '{ type, size, dispose }');
  const { size, component: find, ...trackOptions } = options;
  if (size !== undefined && typeof size !== 'number' && typeof size !== 'function') {
    throw new InvalidArgumentError(
      `@trackResult(): options.size must be a number of bytes or a function of the value (got ${typeof size}).`,
    );
  }
  return <This extends object, Args extends unknown[], R extends V | Promise<V>>(
    method: (this: This, ...args: Args) => R,
    context: ClassMethodDecoratorContext<This, (this: This, ...args: Args) => R>,
  ): ((this: This, ...args: Args) => R) => {
    const where = `@trackResult ${String(context.name)}()`;
    return function (this: This, ...args: Args): R {
      const component = resolve(this, find, where);
      const track = (value: V): V => {
        if (value === null || value === undefined) return value; // nothing to track
        try {
          const bytes = typeof size === 'function' ? size(value) : size;
          component.track(value, { ...trackOptions, ...(bytes !== undefined ? { size: bytes } : {}) });
        } catch (error) {
          // The caller never gets the value: dispose of it rather than leak it (track() has
          // already done so for a cleaned-up component).
          if (!(error instanceof UseAfterCleanupError)) disposeRefused(component, value, trackOptions);
          throw error;
        }
        return value;
      };
      const result = method.apply(this, args);
      return (
        isThenable(result) ? Promise.resolve(result as unknown as Promise<V>).then(track) : track(result as V)
      ) as R;
    };
  };
}

/**
 * Dispose of a value whose tracking was refused, as `track` would have disposed of it; the
 * refusal is the error the caller sees, a failing disposer is reported (phase `refused`).
 */
function disposeRefused<V>(component: Component, value: V, options: TrackOptions<V>): void {
  if (options.dispose !== undefined) {
    disposeValue(component, value, (options.dispose ?? undefined) as Disposer | undefined, false, 'refused');
    return;
  }
  let detected: ReturnType<typeof detectDisposer>;
  try {
    detected = detectDisposer(value, options.type ?? 'custom');
  } catch {
    return; // a value track() could not dispose either (that was the refusal)
  }
  disposeValue(component, value, detected, true, 'refused');
}

/** Options of `@cleanupOnThrow`. */
export interface CleanupOnThrowOptions<This> {
  /** Run this instead of cleaning up the component of `this`. */
  readonly cleanup?: (self: This, error: unknown) => unknown;
  /** Find the component for `this`; default: the component registered for `this`. */
  readonly component?: (self: object) => Component | undefined;
}

/**
 * When the method throws (or its promise rejects), mark the component of `this` failed and
 * clean it up (or run `options.cleanup`), then rethrow the original error. For async methods
 * the rejection waits for the cleanup; for sync methods the cleanup is started and its
 * failures are reported as events.
 */
export function cleanupOnThrow<This extends object>(options: CleanupOnThrowOptions<This> = {}) {
  checkOptions(options, '@cleanupOnThrow()', CLEANUP_ON_THROW_KEYS, '{ cleanup, component }');
  return <Args extends unknown[], R>(
    method: (this: This, ...args: Args) => R,
    context: ClassMethodDecoratorContext<This, (this: This, ...args: Args) => R>,
  ): ((this: This, ...args: Args) => R) => {
    const where = `@cleanupOnThrow ${String(context.name)}()`;
    function onError(self: This, component: Component | undefined, error: unknown): Promise<unknown> {
      if (options.cleanup) return Promise.resolve().then(() => options.cleanup?.(self, error));
      if (component!.state !== 'failed' && !component!.disposed) component!.fail(error);
      return component!.cleanup({ force: true, reason: 'error' });
    }
    return function (this: This, ...args: Args): R {
      // Looked up before the method runs: a missing registration is reported up front, and
      // never replaces the method's own error.
      const component = options.cleanup ? undefined : resolve(this, options.component, where);
      let result: R;
      try {
        result = method.apply(this, args);
      } catch (error) {
        void onError(this, component, error).catch(() => undefined);
        throw error;
      }
      if (isThenable(result)) {
        return Promise.resolve(result).catch(async (error: unknown) => {
          await onError(this, component, error).catch(() => undefined);
          throw error;
        }) as R;
      }
      return result;
    };
  };
}
