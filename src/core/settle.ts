/**
 * Promise and timer helpers of the core, platform-neutral (only globals). Waiting for a
 * disposer within its budget is in `disposal.ts`.
 */

/** Whether `value` is a thenable (a promise or promise-like). */
export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== null &&
    (typeof value === 'object' || typeof value === 'function') &&
    typeof (value as { then?: unknown }).then === 'function'
  );
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
