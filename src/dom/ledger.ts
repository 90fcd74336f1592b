/**
 * The browser ledger: what `ctx` is for a Node plugin, bound to a component of a web page or an
 * Electron renderer. Every method acquires a browser resource already tracked against the
 * component, so its cleanup releases all of it: listeners (through the component's one
 * `AbortSignal`), timers, animation frames, idle callbacks, observers, object URLs, bitmaps,
 * video frames, sockets, channels, ports, workers, mounted elements and style sheets.
 *
 * On a component that is cleaning up or destroyed, every method refuses as the core does: what
 * was handed in is disposed at once, nothing is created, and `UseAfterCleanupError` says so.
 * How values are tracked is ledger-tracks.ts; listeners ledger-listen.ts; timers ledger-timers.ts;
 * mounted elements and style sheets ledger-elements.ts.
 */

import {
  type CleanupCallbackOptions,
  type CleanupOptions,
  type CleanupRegistration,
  type CleanupReport,
  type Component,
  type ComponentOptions,
  type ResourceManager,
  TrackedResource,
  type TrackOptions,
} from '../core/index.js';
import * as d from './disposers.js';
import { adoptStyle, mountElement } from './ledger-elements.js';
import { trackedListener } from './ledger-listen.js';
import { trackedFrame, trackedIdle, trackedInterval, trackedTimeout } from './ledger-timers.js';
import { type DomTrackOptions, LedgerTracks } from './ledger-tracks.js';
import type { DomListener } from './listener.js';
import { componentSignal } from './signal.js';

export type { DomTrackOptions } from './ledger-tracks.js';

/** Options of `domLedger`. */
export interface DomLedgerOptions {
  /** Watch mounted elements for detached-DOM leaks after cleanup. Default true. */
  readonly detectDetached?: boolean;
}

const ledgers = new WeakMap<Component, DomLedger>();

/**
 * The ledger of `component` (the same one on every call; `options` apply when it is created).
 * Works on any component; a tab is typically `domLedger(manager.register(tab, 'media', { type: 'tab' }))`.
 */
export function domLedger(component: Component, options?: DomLedgerOptions): DomLedger {
  let ledger = ledgers.get(component);
  if (ledger === undefined) {
    ledger = new DomLedger(component, options?.detectDetached ?? true);
    ledgers.set(component, ledger);
  }
  return ledger;
}

/** A component's browser resources. Create it with `domLedger(component)`. */
export class DomLedger implements AsyncDisposable {
  /** Aborted when the component's cleanup starts; every listener of the ledger goes with it. */
  readonly signal: AbortSignal;
  readonly #detect: boolean;
  readonly #tracks: LedgerTracks;
  /** Child ledgers and their owner objects, held until the child's cleanup starts. */
  readonly #children = new Map<DomLedger, object>();
  readonly #plain: AddEventListenerOptions;
  readonly #capture: AddEventListenerOptions;

  /** @internal Use `domLedger(component)`. */
  constructor(
    /** The component everything is tracked against. */
    readonly component: Component,
    detectDetached: boolean,
  ) {
    this.signal = componentSignal(component);
    this.#tracks = new LedgerTracks(component);
    this.#detect = detectDetached;
    this.#plain = { signal: this.signal };
    this.#capture = { capture: true, signal: this.signal };
  }

  /** The component's manager. */
  get manager(): ResourceManager {
    return this.component.manager;
  }

  /** Whether the component is cleaning up or destroyed (every method then refuses). */
  get disposed(): boolean {
    return this.component.disposed;
  }

  /**
   * `target.addEventListener(type, listener, options)`, removed at cleanup (with every other
   * listener, by aborting `signal`) or by releasing the handle. A `once` listener leaves the
   * ledger when it fires; one with its own `signal` when that signal aborts.
   */
  listen<K extends keyof WindowEventMap>(
    target: Window,
    type: K,
    listener: (this: Window, event: WindowEventMap[K]) => unknown,
    options?: boolean | AddEventListenerOptions,
  ): TrackedResource<DomListener>;
  listen<K extends keyof HTMLElementEventMap>(
    target: HTMLElement,
    type: K,
    listener: (this: HTMLElement, event: HTMLElementEventMap[K]) => unknown,
    options?: boolean | AddEventListenerOptions,
  ): TrackedResource<DomListener>;
  listen(
    target: EventTarget,
    type: string,
    listener: EventListenerOrEventListenerObject | ((event: never) => unknown),
    options?: boolean | AddEventListenerOptions,
  ): TrackedResource<DomListener>;
  listen(
    target: EventTarget,
    type: string,
    listener: EventListenerOrEventListenerObject | ((event: never) => unknown),
    options?: boolean | AddEventListenerOptions,
  ): TrackedResource<DomListener> {
    return trackedListener(
      { component: this.component, signal: this.signal, plain: this.#plain, capture: this.#capture },
      target,
      type,
      listener,
      options,
    );
  }

  /** `setTimeout(fn, ms, ...args)`, cleared at cleanup; its record goes when it fires. */
  setTimeout<A extends unknown[]>(fn: (...args: A) => void, ms = 0, ...args: A): TrackedResource<number> {
    return trackedTimeout(this.component, fn, ms, args);
  }

  /** `setInterval(fn, ms, ...args)`, cleared at cleanup. */
  setInterval<A extends unknown[]>(
    fn: (...args: A) => void,
    ms: number,
    ...args: A
  ): TrackedResource<number> {
    return trackedInterval(this.component, fn, ms, args);
  }

  /** `requestAnimationFrame(callback)`, cancelled at cleanup; its record goes when it runs. */
  requestAnimationFrame(callback: FrameRequestCallback): TrackedResource<number> {
    return trackedFrame(this.component, callback);
  }

  /**
   * `requestIdleCallback(callback, options)` (a zero-delay timeout where the browser has none),
   * cancelled at cleanup; its record goes when it runs.
   */
  requestIdleCallback(callback: IdleRequestCallback, options?: IdleRequestOptions): TrackedResource<number> {
    return trackedIdle(this.component, callback, options);
  }

  /** A `ResizeObserver` of `targets`, disconnected at cleanup. */
  observeResize(
    targets: Element | Iterable<Element>,
    callback: ResizeObserverCallback,
    options?: ResizeObserverOptions,
  ): ResizeObserver {
    this.#tracks.refuseIfClosed('observer');
    return this.#tracks.observe(new ResizeObserver(callback), targets, (o, t) => o.observe(t, options));
  }

  /** A `MutationObserver` of `target` (options as `observe` takes them), disconnected at cleanup. */
  observeMutations(
    target: Node,
    callback: MutationCallback,
    options: MutationObserverInit,
  ): MutationObserver {
    this.#tracks.refuseIfClosed('observer');
    return this.#tracks.observe(new MutationObserver(callback), [target], (o, t) => o.observe(t, options));
  }

  /** An `IntersectionObserver` of `targets`, disconnected at cleanup. */
  observeIntersection(
    targets: Element | Iterable<Element>,
    callback: IntersectionObserverCallback,
    options?: IntersectionObserverInit,
  ): IntersectionObserver {
    this.#tracks.refuseIfClosed('observer');
    return this.#tracks.observe(new IntersectionObserver(callback, options), targets, (o, t) => o.observe(t));
  }

  /** Track any observer (`PerformanceObserver`, `ReportingObserver`…): disconnected at cleanup. */
  observer<O extends { disconnect(): void }>(observer: O, options?: DomTrackOptions): O {
    return this.#tracks.own(observer, 'observer', d.disconnect, 0, options);
  }

  /** `URL.createObjectURL(source)`, revoked at cleanup; a blob's size counts as memory. */
  objectUrl(source: Blob | MediaSource, options?: DomTrackOptions): string {
    return this.#tracks.objectUrl(source, options);
  }

  /** Track an `ImageBitmap`: closed at cleanup; width × height × 4 bytes count as memory. */
  bitmap(bitmap: ImageBitmap, options?: DomTrackOptions): ImageBitmap {
    return this.#tracks.own(bitmap, 'image-bitmap', d.close, d.bitmapSize(bitmap), options);
  }

  /** Track a `VideoFrame`: closed at cleanup; its allocation size counts as memory. */
  videoFrame(frame: VideoFrame, options?: DomTrackOptions): VideoFrame {
    return this.#tracks.own(frame, 'video-frame', d.close, d.videoFrameSize(frame), options);
  }

  /** A `WebSocket` (or track one), closed (1000) at cleanup; it leaves the ledger when it closes. */
  webSocket(url: string | URL | WebSocket, protocols?: string | string[]): WebSocket {
    if (!(url instanceof WebSocket)) this.#tracks.refuseIfClosed('socket');
    const socket = url instanceof WebSocket ? url : new WebSocket(url, protocols);
    const handle = this.#tracks.track(socket, 'socket', d.closeWebSocket, 0, {
      metadata: { url: socket.url },
    });
    this.listen(socket, 'close', () => handle.untrackAndLeak(), { once: true });
    return socket;
  }

  /** An `EventSource` (or track one), closed at cleanup. */
  eventSource(url: string | URL | EventSource, init?: EventSourceInit): EventSource {
    if (!(url instanceof EventSource)) this.#tracks.refuseIfClosed('socket');
    const source = url instanceof EventSource ? url : new EventSource(url, init);
    return this.#tracks.own(source, 'socket', d.close, 0, {
      metadata: { url: source.url, kind: 'event-source' },
    });
  }

  /** A `BroadcastChannel` (or track one), closed at cleanup. */
  broadcastChannel(name: string | BroadcastChannel): BroadcastChannel {
    if (typeof name === 'string') this.#tracks.refuseIfClosed('channel');
    const channel = typeof name === 'string' ? new BroadcastChannel(name) : name;
    return this.#tracks.own(channel, 'channel', d.close, 0, { metadata: { name: channel.name } });
  }

  /** Track a `MessagePort` (from a channel, a worker, `postMessage`): closed at cleanup. */
  port(port: MessagePort, options?: DomTrackOptions): MessagePort {
    return this.#tracks.own(port, 'channel', d.close, 0, options);
  }

  /** A `MessageChannel` whose two ports are closed at cleanup. */
  messageChannel(): MessageChannel {
    this.#tracks.refuseIfClosed('channel');
    return this.#tracks.own(new MessageChannel(), 'channel', d.closeChannel, 0, undefined);
  }

  /** A Web Worker (or track one), terminated at cleanup. */
  worker(url: string | URL | Worker, options?: WorkerOptions): Worker {
    if (!(url instanceof Worker)) this.#tracks.refuseIfClosed('worker');
    const worker = url instanceof Worker ? url : new Worker(url, options);
    const metadata = url instanceof Worker ? undefined : { url: String(url) };
    return this.#tracks.own(worker, 'worker', d.terminate, 0, metadata && { metadata });
  }

  /**
   * Track `element` as mounted by the component, inserting it into `parent` (before `before`)
   * when given: removed at cleanup, then watched for detached-DOM leaks. An element someone else
   * removed first is no error.
   */
  mount<E extends Element>(element: E, parent?: ParentNode, before?: Node | null): E {
    return mountElement(this.#tracks, this.#detect, element, parent, before);
  }

  /**
   * Add a style sheet (CSS text or a `CSSStyleSheet`) to `root`'s adopted style sheets (default:
   * the document; a shadow root works too); taken out again at cleanup.
   */
  style(css: string | CSSStyleSheet, root: Document | ShadowRoot = document): CSSStyleSheet {
    return adoptStyle(this.#tracks, css, root);
  }

  /**
   * A child component with its own ledger (cleaned up before this one; its memory counts here),
   * like Obsidian's `addChild`. Clean it up on its own to close it early.
   */
  child(id: string, options?: Omit<ComponentOptions, 'parent'>): DomLedger {
    const owner = { childOf: this.component.id };
    const component = this.manager.register(owner, id, { ...options, parent: this.component });
    const child = domLedger(component, { detectDetached: this.#detect });
    this.#children.set(child, owner);
    child.signal.addEventListener('abort', () => this.#children.delete(child), { once: true });
    return child;
  }

  /** Track any other value (see `Component.track`). */
  track<T>(value: T, options?: TrackOptions<T>): TrackedResource<T> {
    return this.component.track(value, options);
  }

  /** Run `fn` at cleanup (see `Component.onCleanup`). */
  onCleanup(fn: () => unknown, options?: CleanupCallbackOptions): CleanupRegistration {
    return this.component.onCleanup(fn, options);
  }

  /**
   * The handle of a value this ledger returned — an object URL, observer, socket, worker, bitmap,
   * element, style sheet… — to `touch()` (least recently used eviction), `resize()` or release it.
   * Undefined when unknown or already released.
   */
  handle<T>(value: T): TrackedResource<T> | undefined {
    return this.#tracks.handle(value);
  }

  /**
   * Release one resource early: a handle of this component, or a value this ledger returned (see
   * `handle`). Returns false if unknown or already released.
   */
  release(resource: TrackedResource | object | string): boolean {
    if (resource instanceof TrackedResource) return this.component.release(resource);
    return this.handle(resource)?.release() ?? false;
  }

  /** Clean the component up (see `Component.cleanup`). */
  cleanup(options?: CleanupOptions): Promise<CleanupReport> {
    return this.component.cleanup(options);
  }

  /** `await using` support: `cleanup()`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.component[Symbol.asyncDispose]();
  }
}
