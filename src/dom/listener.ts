/**
 * The value a ledger tracks for one DOM event listener: what `removeEventListener` needs. One
 * small object per listener, disposed by a shared function (no closure per listener).
 */

/** A listener added through a ledger (the `value` of its handle). */
export class DomListener {
  /** @internal Whether `addEventListener` was called (a refused listen never adds it). */
  _added = false;
  /** @internal */
  constructor(
    /** The event target. */
    readonly target: EventTarget,
    /** The event type, e.g. `click`. */
    readonly type: string,
    /** @internal the function given to `addEventListener` (a wrapper for `once` listeners). */
    readonly _listener: EventListenerOrEventListenerObject,
    /** Whether it listens in the capture phase (part of its identity for removal). */
    readonly capture: boolean,
    /** @internal the component's signal: once aborted, the browser has removed the listener. */
    readonly _signal: AbortSignal,
  ) {}
}

/** Disposer of a listener's record: remove it, unless the component's signal already did. */
export function removeDomListener(listener: DomListener): void {
  if (!listener._added || listener._signal.aborted) return;
  listener._added = false;
  listener.target.removeEventListener(listener.type, listener._listener, listener.capture);
}
