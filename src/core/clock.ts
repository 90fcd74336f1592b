/**
 * The clock behind resource creation times, read at most once per synchronous run.
 *
 * `Date.now()` costs tens of nanoseconds on some machines (VMs without a fast clock source),
 * as much as the rest of `track()`. Tracking often comes in bursts (a plugin starting, a loop
 * opening files), so the first read in a synchronous run of JavaScript is kept and reused by
 * every later read until the microtasks queued so far have run; then the next read goes to
 * the clock again.
 *
 * Guarantee: a stamp is never later than the true time of the read it stands for, and earlier
 * by at most the time JavaScript ran without yielding since the stamp was taken (the rest of
 * the current job and the microtasks already queued) — the time the event loop was blocked
 * anyway. So an age computed from it (`now - createdAt`) may be over-estimated by that much,
 * never under-estimated. (For the same reason a resource's `createdAt` can precede that of a
 * component registered later in the same run, which reads `Date.now()` directly.)
 */
const RESOLVED = Promise.resolve();

export class BatchClock {
  /** @internal last reading, ms since `origin`. */
  _stamp = 0;
  /** @internal whether `_stamp` may still be reused. */
  _fresh = false;
  /** @internal */
  readonly _expire = (): void => {
    this._fresh = false;
  };

  /** A clock counting ms since `origin` (ms since the Unix epoch). */
  constructor(readonly origin: number) {}

  /** Ms since `origin`, as of the first read of the current synchronous run (see above). */
  now(): number {
    if (this._fresh) return this._stamp;
    // Math.floor returns a small integer where the subtraction returns a heap number: stored
    // in a record, a heap number would cost each record a 16-byte box.
    this._stamp = Math.floor(Date.now() - this.origin);
    this._fresh = true;
    // A promise job, not queueMicrotask: fake-timer libraries (Jest, sinon) replace
    // queueMicrotask, and the stamp would then never expire under them.
    RESOLVED.then(this._expire);
    return this._stamp;
  }
}
