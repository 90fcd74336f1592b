/**
 * How a ledger tracks what it hands out: each value's handle against the component, found again
 * by the value (`handle()`, `release()`), object URLs (created and revoked here) by their string, observers connected to
 * their targets or released, and the refusal of a closed component — thrown as the core throws
 * it, nothing created. Internal to `ledger.ts`.
 */
import type { Component, TrackedResource, TrackOptions } from '../core/index.js';
import * as d from './disposers.js';

/** Options for values a ledger tracks: as `track`'s, without what the ledger decides itself. */
export type DomTrackOptions = Pick<TrackOptions, 'metadata' | 'priority' | 'evictable'>;

const noop = (): void => {};
const REFUSED = Object.freeze({ refused: true });

/** One ledger's handles, by value. @internal */
export class LedgerTracks {
  readonly #handles = new WeakMap<object, TrackedResource>();
  /** Object URLs' handles, by URL. */
  readonly #urls = new Map<string, TrackedResource>();

  constructor(readonly component: Component) {}

  /** Track `value` against the component, found again by it. */
  track<T extends object>(
    value: T,
    type: string,
    dispose: (value: T) => void,
    size: number,
    options: DomTrackOptions | undefined,
  ): TrackedResource<T> {
    const handle = this.component.track(value, { ...options, type, size, dispose });
    this.#handles.set(value, handle);
    return handle;
  }

  /** `track`, returning the value. */
  own<T extends object>(
    value: T,
    type: string,
    dispose: (value: T) => void,
    size: number,
    options: DomTrackOptions | undefined,
  ): T {
    this.track(value, type, dispose, size, options);
    return value;
  }

  /** Track `observer`, then connect it to each target; released again if one refuses. */
  observe<O extends { disconnect(): void }, N extends Node>(
    observer: O,
    targets: N | Iterable<N>,
    observe: (observer: O, target: N) => void,
  ): O {
    const handle = this.track(observer, 'observer', d.disconnect, 0, undefined);
    try {
      for (const target of isIterable(targets) ? targets : [targets]) observe(observer, target);
    } catch (error) {
      handle.release();
      throw error;
    }
    return observer;
  }

  /** `URL.createObjectURL(source)`, tracked (revoked at cleanup; a blob's size counts as memory). */
  objectUrl(source: Blob | MediaSource, options: DomTrackOptions | undefined): string {
    this.refuseIfClosed('object-url');
    const url = URL.createObjectURL(source);
    const handle = this.component.track(url, {
      ...options,
      type: 'object-url',
      size: d.blobSize(source),
      dispose: (u) => {
        this.#urls.delete(u);
        URL.revokeObjectURL(u);
      },
    });
    this.#urls.set(url, handle);
    return url;
  }

  /** The handle of a value handed out (an object URL by its string), undefined when unknown or released. */
  handle<T>(value: T): TrackedResource<T> | undefined {
    const handle =
      typeof value === 'string'
        ? this.#urls.get(value)
        : typeof value === 'object' && value !== null
          ? this.#handles.get(value)
          : undefined;
    return handle === undefined || handle.released ? undefined : (handle as TrackedResource<T>);
  }

  /** On a closed component: throw as the core does (and report it), creating nothing. */
  refuseIfClosed(type: string): void {
    if (this.component.disposed) this.component.track(REFUSED, { type, dispose: noop });
  }
}

function isIterable<N extends Node>(value: N | Iterable<N>): value is Iterable<N> {
  return (
    typeof (value as Iterable<N>)?.[Symbol.iterator] === 'function' && !('nodeType' in (value as object))
  );
}
