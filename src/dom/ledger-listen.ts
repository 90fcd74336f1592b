/**
 * A ledger's `listen`: `addEventListener` with the component's `AbortSignal` (so its cleanup
 * removes every listener at once), tracked as a `DomListener`; a `once` listener leaves the
 * ledger when it fires, one with its own `signal` when that signal aborts, and a target or
 * listener of the wrong kind is a `StewardTypeError` that says what was given. Internal to `ledger.ts`.
 */
import { type Component, StewardTypeError, type TrackedResource, type TrackOptions } from '../core/index.js';
import { DomListener, removeDomListener } from './listener.js';

const LISTENER: TrackOptions<DomListener> = { type: 'listener', dispose: removeDomListener };

/** What `listen` needs of its ledger. @internal */
export interface ListenScope {
  readonly component: Component;
  readonly signal: AbortSignal;
  /** `{ signal }`, shared by every plain listener. */
  readonly plain: AddEventListenerOptions;
  /** `{ capture: true, signal }`, shared by every capturing listener. */
  readonly capture: AddEventListenerOptions;
}

/** `target.addEventListener(type, listener, options)`, tracked against `scope`'s component. */
export function trackedListener(
  scope: ListenScope,
  target: EventTarget,
  type: string,
  listener: EventListenerOrEventListenerObject | ((event: never) => unknown),
  options: boolean | AddEventListenerOptions | undefined,
): TrackedResource<DomListener> {
  if (target === null || typeof (target as EventTarget)?.addEventListener !== 'function') {
    throw new StewardTypeError(`listen("${type}"): target must be an EventTarget (got ${kindOf(target)}).`);
  }
  if (
    typeof listener !== 'function' &&
    typeof (listener as EventListenerObject)?.handleEvent !== 'function'
  ) {
    throw new StewardTypeError(
      `listen("${type}"): listener must be a function or an object with handleEvent (got ${kindOf(listener)}).`,
    );
  }
  let opts =
    options === undefined || options === false ? scope.plain : options === true ? scope.capture : undefined;
  let fn = listener as EventListenerOrEventListenerObject;
  let handle: TrackedResource<DomListener> | undefined;
  let own: AbortSignal | undefined;
  if (opts === undefined) {
    const o = options as AddEventListenerOptions;
    opts = { capture: o.capture === true, once: o.once === true, signal: scope.signal };
    if (o.passive !== undefined) opts.passive = o.passive;
    if (o.once) fn = onceListener(fn, () => handle);
    own = o.signal;
  }
  const record = new DomListener(target, type, fn, opts.capture === true, scope.signal);
  handle = scope.component.track(record, LISTENER);
  if (own?.aborted) {
    handle.untrackAndLeak(); // the browser would not add it either
    return handle;
  }
  try {
    target.addEventListener(type, fn, opts);
  } catch (error) {
    handle.untrackAndLeak();
    throw error;
  }
  record._added = true;
  if (own) trackedListener(scope, own, 'abort', () => handle.release(), { once: true });
  return handle;
}

function onceListener(
  listener: EventListenerOrEventListenerObject,
  handle: () => TrackedResource | undefined,
): EventListener {
  return function (this: EventTarget, event: Event) {
    handle()?.untrackAndLeak();
    if (typeof listener === 'function') return listener.call(this, event);
    return listener.handleEvent(event);
  };
}

/** What a wrong argument was, for an error message: `null`, `number 3`, or its constructor's name. @internal */
export function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value !== 'object' && typeof value !== 'function') return `${typeof value} ${String(value)}`;
  return (value as object).constructor?.name ?? 'an object';
}
