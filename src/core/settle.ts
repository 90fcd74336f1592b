/**
 * Waiting for a disposer's promise within a time budget, without ever leaving a rejection
 * unhandled. Platform-neutral: uses only the global `setTimeout`.
 */

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
  return new Promise<Settled>((resolve) => {
    let done = false;
    const timer = setTimeout(() => {
      done = true;
      resolve(TIMEOUT);
    }, ms);
    const fail = (error: unknown): void => {
      if (done) {
        onLate(error);
        return;
      }
      done = true;
      clearTimeout(timer);
      resolve({ kind: 'error', error });
    };
    try {
      promise.then(() => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        resolve(OK);
      }, fail);
    } catch (error) {
      fail(error); // a thenable whose then() throws: a failed disposer, not a broken sweep
    }
  });
}

/** Attach a rejection handler to a promise nobody will await, so its failure is reported, not lost. */
export function reportRejection(promise: PromiseLike<unknown>, onError: (error: unknown) => void): void {
  try {
    promise.then(undefined, onError);
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
