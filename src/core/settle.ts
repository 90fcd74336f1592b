/**
 * Waiting for a disposer's promise within a time budget, without ever leaving a rejection
 * unhandled. Platform-neutral: uses only the platform's `setTimeout`, as captured at import
 * (intrinsics.ts), so a plugin that replaced the global cannot stop a cleanup deadline.
 */
import { PromiseOriginal, safeClearTimeout, safeSetTimeout, safeThen } from './intrinsics.js';

/** The outcome of waiting for a promise within a budget. */
export type Settled =
  | { readonly kind: 'ok' }
  | { readonly kind: 'error'; readonly error: unknown }
  | { readonly kind: 'timeout' };

const OK: Settled = { kind: 'ok' };
const TIMEOUT: Settled = { kind: 'timeout' };

/** Whether `value` is a thenable (a promise or promise-like). */
export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== null &&
    (typeof value === 'object' || typeof value === 'function') &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}

/**
 * Wait for `promise` at most `ms`. Resolves with the outcome; never rejects. If the promise
 * rejects after the timeout, `onLate(error)` is called so the failure is still reported.
 * The timer is ref'd on purpose: a cleanup in progress is bounded work the process should finish.
 */
export function settleWithin(
  promise: PromiseLike<unknown>,
  ms: number,
  onLate: (error: unknown) => void,
): Promise<Settled> {
  return new PromiseOriginal<Settled>((resolve) => {
    let done = false;
    const timer = safeSetTimeout(() => {
      done = true;
      resolve(TIMEOUT);
    }, ms);
    const fail = (error: unknown): void => {
      if (done) {
        onLate(error);
        return;
      }
      done = true;
      safeClearTimeout(timer);
      resolve({ kind: 'error', error });
    };
    try {
      const onOk = (): void => {
        if (done) return;
        done = true;
        safeClearTimeout(timer);
        resolve(OK);
      };
      if (promise instanceof PromiseOriginal) safeThen(promise, onOk, fail);
      else promise.then(onOk, fail);
    } catch (error) {
      fail(error); // a thenable whose then() throws: a failed disposer, not a broken sweep
    }
  });
}

/** Attach a rejection handler to a promise nobody will await, so its failure is reported, not lost. */
export function reportRejection(promise: PromiseLike<unknown>, onError: (error: unknown) => void): void {
  try {
    if (promise instanceof PromiseOriginal) safeThen(promise, undefined, onError);
    else promise.then(undefined, onError);
  } catch (error) {
    onError(error);
  }
}

/** Unref a timer where the platform supports it (Node), so it never keeps the process alive. */
export function unrefTimer<T>(timer: T): T {
  (timer as { unref?: () => void }).unref?.();
  return timer;
}

/** Monotonic milliseconds (performance.now where available). */
export const now: () => number =
  typeof performance !== 'undefined' && typeof performance.now === 'function'
    ? () => performance.now()
    : () => Date.now();
