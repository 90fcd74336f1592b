/**
 * The browser ledger: what `ctx` is for a Node plugin, bound to a component of a web page or an
 * Electron renderer. Every method acquires a browser resource already tracked against the
 * component, so its cleanup releases all of it: listeners (through the component's one
 * `AbortSignal`), timers, animation frames, idle callbacks, observers, object URLs, bitmaps,
 * video frames, sockets, channels, ports, workers, mounted elements and style sheets.
 *
 * On a component that is cleaning up or destroyed, every method refuses as the core does: what
 * was handed in is disposed at once, nothing is created, and `UseAfterCleanupError` says so.
 */

import {
  type CleanupCallbackOptions,
  type CleanupOptions,
  type CleanupRegistration,
  type CleanupReport,
  type Component,
  type ComponentOptions,
  type ResourceManager,
  StewardTypeError,
  TrackedResource,
  type TrackOptions,
} from '../core/index.js';
import { describeElement, type ElementDescription } from './describe.js';
import { watchDetached } from './detached.js';
import * as d from './disposers.js';
import { DomListener, removeDomListener } from './listener.js';
import { componentSignal } from './signal.js';

/** Options for values a ledger tracks: as `track`'s, without what the ledger decides itself. */
export type DomTrackOptions = Pick<TrackOptions, 'metadata' | 'priority' | 'evictable'>;

/** Options of `domLedger`. */
export interface DomLedgerOptions {
  /** Watch mounted elements for detached-DOM leaks after cleanup. Default true. */
  readonly detectDetached?: boolean;
}

const LISTENER: TrackOptions<DomListener> = { type: 'listener', dispose: removeDomListener };
const TIMEOUT: TrackOptions<number> = { type: 'timer', dispose: d.clearTimeoutId };
const INTERVAL: TrackOptions<number> = { type: 'timer', dispose: d.clearIntervalId };
const FRAME: TrackOptions<number> = { type: 'animation-frame', dispose: d.cancelFrame };
const IDLE: TrackOptions<number> = { type: 'idle-callback', dispose: d.cancelIdle };
const noop = (): void => {};
const REFUSED = Object.freeze({ refused: true });

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
  readonly #handles = new WeakMap<object, TrackedResource>();
  readonly #urls = new Map<string, TrackedResource>();
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
      options === undefined || options === false ? this.#plain : options === true ? this.#capture : undefined;
    let fn = listener as EventListenerOrEventListenerObject;
    let handle: TrackedResource<DomListener> | undefined;
    let own: AbortSignal | undefined;
    if (opts === undefined) {
      const o = options as AddEventListenerOptions;
      opts = { capture: o.capture === true, once: o.once === true, signal: this.signal };
      if (o.passive !== undefined) opts.passive = o.passive;
      if (o.once) fn = onceListener(fn, () => handle);
      own = o.signal;
    }
    const record = new DomListener(target, type, fn, opts.capture === true, this.signal);
    handle = this.component.track(record, LISTENER);
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
    if (own) this.listen(own, 'abort', () => handle.release(), { once: true });
    return handle;
  }

  /** `setTimeout(fn, ms, ...args)`, cleared at cleanup; its record goes when it fires. */
  setTimeout<A extends unknown[]>(fn: (...args: A) => void, ms = 0, ...args: A): TrackedResource<number> {
    let handle: TrackedResource<number> | undefined;
    const id = setTimeout(() => {
      handle?.untrackAndLeak();
      fn(...args);
    }, ms) as unknown as number;
    handle = this.component.track(id, TIMEOUT);
    return handle;
  }

  /** `setInterval(fn, ms, ...args)`, cleared at cleanup. */
  setInterval<A extends unknown[]>(
    fn: (...args: A) => void,
    ms: number,
    ...args: A
  ): TrackedResource<number> {
    return this.component.track(setInterval(fn, ms, ...args) as unknown as number, INTERVAL);
  }

  /** `requestAnimationFrame(callback)`, cancelled at cleanup; its record goes when it runs. */
  requestAnimationFrame(callback: FrameRequestCallback): TrackedResource<number> {
    let handle: TrackedResource<number> | undefined;
    const id = requestAnimationFrame((time) => {
      handle?.untrackAndLeak();
      callback(time);
    });
    handle = this.component.track(id, FRAME);
    return handle;
  }

  /**
   * `requestIdleCallback(callback, options)` (a zero-delay timeout where the browser has none),
   * cancelled at cleanup; its record goes when it runs.
   */
  requestIdleCallback(callback: IdleRequestCallback, options?: IdleRequestOptions): TrackedResource<number> {
    let handle: TrackedResource<number> | undefined;
    const id = d.requestIdle((deadline) => {
      handle?.untrackAndLeak();
      callback(deadline);
    }, options);
    handle = this.component.track(id, IDLE);
    return handle;
  }

  /** A `ResizeObserver` of `targets`, disconnected at cleanup. */
  observeResize(
    targets: Element | Iterable<Element>,
    callback: ResizeObserverCallback,
    options?: ResizeObserverOptions,
  ): ResizeObserver {
    this.#refuseIfClosed('observer');
    return this.#observe(new ResizeObserver(callback), targets, (o, t) => o.observe(t, options));
  }

  /** A `MutationObserver` of `target` (options as `observe` takes them), disconnected at cleanup. */
  observeMutations(
    target: Node,
    callback: MutationCallback,
    options: MutationObserverInit,
  ): MutationObserver {
    this.#refuseIfClosed('observer');
    return this.#observe(new MutationObserver(callback), [target], (o, t) => o.observe(t, options));
  }

  /** An `IntersectionObserver` of `targets`, disconnected at cleanup. */
  observeIntersection(
    targets: Element | Iterable<Element>,
    callback: IntersectionObserverCallback,
    options?: IntersectionObserverInit,
  ): IntersectionObserver {
    this.#refuseIfClosed('observer');
    return this.#observe(new IntersectionObserver(callback, options), targets, (o, t) => o.observe(t));
  }

  /** Track any observer (`PerformanceObserver`, `ReportingObserver`…): disconnected at cleanup. */
  observer<O extends { disconnect(): void }>(observer: O, options?: DomTrackOptions): O {
    return this.#own(observer, 'observer', d.disconnect, 0, options);
  }

  /** `URL.createObjectURL(source)`, revoked at cleanup; a blob's size counts as memory. */
  objectUrl(source: Blob | MediaSource, options?: DomTrackOptions): string {
    this.#refuseIfClosed('object-url');
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

  /** Track an `ImageBitmap`: closed at cleanup; width × height × 4 bytes count as memory. */
  bitmap(bitmap: ImageBitmap, options?: DomTrackOptions): ImageBitmap {
    return this.#own(bitmap, 'image-bitmap', d.close, d.bitmapSize(bitmap), options);
  }

  /** Track a `VideoFrame`: closed at cleanup; its allocation size counts as memory. */
  videoFrame(frame: VideoFrame, options?: DomTrackOptions): VideoFrame {
    return this.#own(frame, 'video-frame', d.close, d.videoFrameSize(frame), options);
  }

  /** A `WebSocket` (or track one), closed (1000) at cleanup; it leaves the ledger when it closes. */
  webSocket(url: string | URL | WebSocket, protocols?: string | string[]): WebSocket {
    if (!(url instanceof WebSocket)) this.#refuseIfClosed('socket');
    const socket = url instanceof WebSocket ? url : new WebSocket(url, protocols);
    const handle = this.#track(socket, 'socket', d.closeWebSocket, 0, { metadata: { url: socket.url } });
    this.listen(socket, 'close', () => handle.untrackAndLeak(), { once: true });
    return socket;
  }

  /** An `EventSource` (or track one), closed at cleanup. */
  eventSource(url: string | URL | EventSource, init?: EventSourceInit): EventSource {
    if (!(url instanceof EventSource)) this.#refuseIfClosed('socket');
    const source = url instanceof EventSource ? url : new EventSource(url, init);
    return this.#own(source, 'socket', d.close, 0, { metadata: { url: source.url, kind: 'event-source' } });
  }

  /** A `BroadcastChannel` (or track one), closed at cleanup. */
  broadcastChannel(name: string | BroadcastChannel): BroadcastChannel {
    if (typeof name === 'string') this.#refuseIfClosed('channel');
    const channel = typeof name === 'string' ? new BroadcastChannel(name) : name;
    return this.#own(channel, 'channel', d.close, 0, { metadata: { name: channel.name } });
  }

  /** Track a `MessagePort` (from a channel, a worker, `postMessage`): closed at cleanup. */
  port(port: MessagePort, options?: DomTrackOptions): MessagePort {
    return this.#own(port, 'channel', d.close, 0, options);
  }

  /** A `MessageChannel` whose two ports are closed at cleanup. */
  messageChannel(): MessageChannel {
    this.#refuseIfClosed('channel');
    return this.#own(new MessageChannel(), 'channel', d.closeChannel, 0, undefined);
  }

  /** A Web Worker (or track one), terminated at cleanup. */
  worker(url: string | URL | Worker, options?: WorkerOptions): Worker {
    if (!(url instanceof Worker)) this.#refuseIfClosed('worker');
    const worker = url instanceof Worker ? url : new Worker(url, options);
    const metadata = url instanceof Worker ? undefined : { url: String(url) };
    return this.#own(worker, 'worker', d.terminate, 0, metadata && { metadata });
  }

  /**
   * Track `element` as mounted by the component, inserting it into `parent` (before `before`)
   * when given: removed at cleanup, then watched for detached-DOM leaks. An element someone else
   * removed first is no error.
   */
  mount<E extends Element>(element: E, parent?: ParentNode, before?: Node | null): E {
    if (element === null || typeof element !== 'object' || (element as Node).nodeType !== 1) {
      throw new StewardTypeError(`mount(): element must be an Element (got ${kindOf(element)}).`);
    }
    let handle: TrackedResource<E> | undefined;
    handle = this.#track(element, 'element', (el) => this.#unmount(el, handle), 0, undefined);
    if (parent) {
      try {
        parent.insertBefore(element, before ?? null);
      } catch (error) {
        handle.untrackAndLeak();
        throw error;
      }
    }
    return element;
  }

  /**
   * Add a style sheet (CSS text or a `CSSStyleSheet`) to `root`'s adopted style sheets (default:
   * the document; a shadow root works too); taken out again at cleanup.
   */
  style(css: string | CSSStyleSheet, root: Document | ShadowRoot = document): CSSStyleSheet {
    if (typeof css === 'string') this.#refuseIfClosed('stylesheet');
    const sheet = typeof css === 'string' ? new CSSStyleSheet() : css;
    if (typeof css === 'string') sheet.replaceSync(css);
    this.#own(
      sheet,
      'stylesheet',
      (s) => (root.adoptedStyleSheets = root.adoptedStyleSheets.filter((x) => x !== s)),
      0,
      undefined,
    );
    root.adoptedStyleSheets = [...root.adoptedStyleSheets, sheet];
    return sheet;
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
    const handle =
      typeof value === 'string'
        ? this.#urls.get(value)
        : typeof value === 'object' && value !== null
          ? this.#handles.get(value)
          : undefined;
    return handle === undefined || handle.released ? undefined : (handle as TrackedResource<T>);
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

  #track<T extends object>(
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

  #own<T extends object>(
    value: T,
    type: string,
    dispose: (value: T) => void,
    size: number,
    options: DomTrackOptions | undefined,
  ): T {
    this.#track(value, type, dispose, size, options);
    return value;
  }

  #observe<O extends { disconnect(): void }, N extends Node>(
    observer: O,
    targets: N | Iterable<N>,
    observe: (observer: O, target: N) => void,
  ): O {
    const handle = this.#track(observer, 'observer', d.disconnect, 0, undefined);
    try {
      for (const target of isIterable(targets) ? targets : [targets]) observe(observer, target);
    } catch (error) {
      handle.release();
      throw error;
    }
    return observer;
  }

  #unmount(element: Element, handle: TrackedResource | undefined): void {
    const watch = this.#detect && handle !== undefined && this.component.disposed;
    const described: ElementDescription | undefined = watch ? describeElement(element) : undefined;
    element.remove(); // a no-op when someone else removed it first
    if (described) watchDetached(element, this.component, described, handle!.stack);
  }

  /** On a closed component: throw as the core does (and report it), creating nothing. */
  #refuseIfClosed(type: string): void {
    if (this.component.disposed) this.component.track(REFUSED, { type, dispose: noop });
  }
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

function isIterable<N extends Node>(value: N | Iterable<N>): value is Iterable<N> {
  return (
    typeof (value as Iterable<N>)?.[Symbol.iterator] === 'function' && !('nodeType' in (value as object))
  );
}

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value !== 'object' && typeof value !== 'function') return `${typeof value} ${String(value)}`;
  return (value as object).constructor?.name ?? 'an object';
}
