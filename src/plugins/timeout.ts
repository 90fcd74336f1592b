/**
 * Running plugin code within a time budget. The plugin's code cannot be stopped (inline
 * plugins share the host's thread); the host stops waiting, aborts the plugin's signal and
 * releases its resources. Worker isolation is the way to stop code that never yields.
 */
import { StewardError } from '../core/index.js';
import {
  PromiseOriginal,
  resolvedPromise,
  safeClearTimeout,
  safeSetTimeout,
  safeThen,
} from '../core/intrinsics.js';

/** A plugin hook did not settle within its timeout. Code `STEWARD_PLUGIN_TIMEOUT`. */
export class TimeoutError extends StewardError {
  override name = 'TimeoutError';
  /** The code of this class's errors. */
  static override readonly code = 'STEWARD_PLUGIN_TIMEOUT';
  constructor(
    readonly what: string,
    readonly timeoutMs: number,
  ) {
    super(
      `${what} did not settle within ${timeoutMs} ms; the host stopped waiting and released its resources. ` +
        'Make it finish sooner, honour ctx.signal, or raise the timeout in the manifest (steward.activationTimeoutMs / deactivationTimeoutMs).',
    );
  }
}

/** Run `fn` and wait at most `ms` for it; a synchronous throw becomes a rejection. */
export function runWithin<T>(fn: () => T | Promise<T>, ms: number, what: string): Promise<T> {
  // Steward's own timer and promise methods: a plugin that replaced the globals cannot stop the bound.
  return new PromiseOriginal<T>((resolve, reject) => {
    const timer = safeSetTimeout(() => reject(new TimeoutError(what, ms)), ms);
    safeThen(
      safeThen(resolvedPromise(), fn),
      (value) => {
        safeClearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        safeClearTimeout(timer);
        reject(error);
      },
    );
  });
}
