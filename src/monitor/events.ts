/**
 * What the monitor tells about a manager as it happens, as plain JSON events. Frequent events
 * (`tracked`, `released`, `resized`) are aggregated per component, resource type and reason between two
 * flushes, so a burst of 100,000 resources becomes a handful of events; everything else is
 * sent one by one. Events are numbered (`seq`) in the order they happened. A window that holds
 * `maxPending` events is flushed at once rather than trimmed: the collector never drops an event
 * (bounding what a slow client holds is the event stream's job, per client).
 */
import type { ManagerEvents, ResourceManager, Subscription } from '../core/index.js';
import { safeClearTimeout, safeSetTimeout } from '../core/intrinsics.js';
import type { PluginChangeEvent } from './plugin-control.js';
import { errorText } from './serialize.js';

/** One event of the monitor's stream and log. */
export interface MonitorEvent {
  /** Increasing sequence number (per monitor). */
  readonly seq: number;
  /** Time, ms since the Unix epoch (for aggregates: of the first occurrence). */
  readonly at: number;
  /**
   * `registered`, `stateChanged`, `tracked`, `released`, `resized`, `cleanupStarted`, `cleanupFinished`,
   * `memoryThresholdExceeded`, `leakDetected`, `disposerFailed`, `disposerTimedOut`, `plugin`,
   * or `dropped` (this client fell behind and missed `count` events: reload the snapshot).
   */
  readonly type: string;
  /** The component concerned, if any (`*` for an aggregate over many components). */
  readonly component?: string;
  readonly [field: string]: unknown;
}

/** Receives batches of events. */
export type EventSink = (batch: readonly MonitorEvent[]) => void;

interface Aggregate {
  seq: number;
  at: number;
  type: 'tracked' | 'released' | 'resized';
  component: string;
  resourceType: string;
  reason: string | undefined;
  count: number;
  bytes: number;
}

/** Distinct (component, type, reason) aggregates kept between flushes; beyond, one catch-all. */
const MAX_AGGREGATES = 1000;

/**
 * Collects a manager's (and a plugin host's) events, numbers them, aggregates the frequent
 * ones and hands them to `sink` in batches every `flushMs`, or at once when `maxPending`
 * events wait (so a burst is neither held unbounded nor lost). The flush timer is unref'd.
 * Resource events are subscribed to only while `wantResourceEvents(true)` is in force, so an
 * idle monitor adds no cost to `track()`.
 */
export class EventCollector {
  readonly #manager: ResourceManager;
  readonly #sink: EventSink;
  readonly #flushMs: number;
  readonly #maxPending: number;
  readonly #subscriptions: Array<Subscription | Disposable> = [];
  #resourceSubs: Subscription[] | undefined;
  #pending: MonitorEvent[] = [];
  #aggregates = new Map<string, Aggregate>();
  #last: Aggregate | undefined;
  #seq = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #closed = false;

  constructor(
    manager: ResourceManager,
    sink: EventSink,
    options: { flushMs: number; maxPending: number },
    onPluginChange?: (listener: (event: PluginChangeEvent) => void) => Disposable,
  ) {
    this.#manager = manager;
    this.#sink = sink;
    this.#flushMs = options.flushMs;
    this.#maxPending = options.maxPending;
    const on = <K extends keyof ManagerEvents>(
      name: K,
      fn: (e: ManagerEvents[K]) => Record<string, unknown>,
    ) => this.#subscriptions.push(manager.on(name, (e) => this.#push(name, fn(e))));
    on('registered', (e) => ({
      component: e.component.id,
      componentType: e.component.type,
      parent: e.component.parent?.id,
      state: e.component.state,
    }));
    on('stateChanged', (e) => ({
      component: e.component.id,
      from: e.from,
      to: e.to,
      ...(e.error !== undefined ? { error: errorText(e.error) } : {}),
    }));
    on('cleanupStarted', (e) => ({ component: e.component.id, reason: e.reason }));
    on('cleanupFinished', (e) => ({
      component: e.component.id,
      reason: e.report.reason,
      released: e.report.released,
      failed: e.report.failed.length,
      abandoned: e.report.abandoned.length,
      durationMs: e.report.durationMs,
      deadlineExceeded: e.report.deadlineExceeded,
    }));
    on('memoryThresholdExceeded', (e) => ({
      component: e.component.id,
      scope: e.scope,
      limitBytes: e.limitBytes,
      currentBytes: e.currentBytes,
      requestedBytes: e.requestedBytes,
      policy: e.policy,
      action: e.action,
      evicted: e.evicted,
      evictedBytes: e.evictedBytes,
    }));
    on('leakDetected', (e) => ({
      component: e.component.id,
      kind: e.kind,
      message: e.message,
      ...(e.resource ? { resource: e.resource.id, resourceType: e.resource.type } : {}),
      ...(e.stack ? { stack: e.stack } : {}),
      ...(e.retainerPath ? { retainerPath: [...e.retainerPath] } : {}),
      ...(e.retainedBytes !== undefined ? { retainedBytes: e.retainedBytes } : {}),
      ...(e.plugin ? { plugin: e.plugin } : {}),
      ...(e.holder ? { holder: e.holder } : {}),
      ...(e.count !== undefined ? { count: e.count } : {}),
    }));
    on('disposerFailed', (e) => ({
      component: e.component.id,
      phase: e.phase,
      error: errorText(e.error),
      ...(e.resource ? { resource: e.resource.id, resourceType: e.resource.type } : {}),
    }));
    on('disposerTimedOut', (e) => ({
      component: e.component.id,
      resource: e.resource.id,
      resourceType: e.resource.type,
      timeoutMs: e.timeoutMs,
    }));
    if (onPluginChange) {
      this.#subscriptions.push(
        onPluginChange((e) =>
          this.#push('plugin', {
            plugin: e.id,
            change: e.type,
            ...(e.state ? { state: e.state } : {}),
            ...e.detail,
          }),
        ),
      );
    }
  }

  /** Subscribe to (or unsubscribe from) the frequent `tracked`/`released`/`resized` events. */
  wantResourceEvents(want: boolean): void {
    if (this.#closed) return;
    if (want && this.#resourceSubs === undefined) {
      this.#resourceSubs = [
        this.#manager.on('tracked', (e) =>
          this.#aggregate('tracked', e.component.id, e.resource.type, undefined, e.resource.size),
        ),
        this.#manager.on('released', (e) =>
          this.#aggregate('released', e.component.id, e.resource.type, e.reason, e.resource.size),
        ),
        this.#manager.on('resized', (e) =>
          this.#aggregate('resized', e.component.id, e.resource.type, undefined, e.resource.size - e.from),
        ),
      ];
    } else if (!want && this.#resourceSubs !== undefined) {
      for (const sub of this.#resourceSubs) sub.dispose();
      this.#resourceSubs = undefined;
    }
  }

  /** Hand everything pending to the sink now. */
  flush(): void {
    if (this.#timer !== undefined) safeClearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#pending.length === 0 && this.#aggregates.size === 0) return;
    const batch: MonitorEvent[] = this.#pending;
    for (const a of this.#aggregates.values()) {
      const { reason, ...rest } = a;
      batch.push(reason === undefined ? rest : { ...rest, reason });
    }
    if (this.#aggregates.size > 0) batch.sort((x, y) => x.seq - y.seq);
    this.#pending = [];
    this.#aggregates = new Map();
    this.#last = undefined;
    this.#sink(batch);
  }

  /** Stop listening; pending events are flushed. */
  close(): void {
    if (this.#closed) return;
    this.wantResourceEvents(false);
    this.flush();
    this.#closed = true;
    for (const sub of this.#subscriptions) sub[Symbol.dispose]();
  }

  #schedule(): void {
    if (this.#timer !== undefined || this.#closed) return;
    this.#timer = safeSetTimeout(() => this.flush(), this.#flushMs);
    this.#timer.unref();
  }

  #push(type: string, fields: Record<string, unknown>): void {
    if (this.#closed) return;
    this.#pending.push({ seq: ++this.#seq, at: Date.now(), type, ...fields });
    // A burst larger than a window's worth goes out now, in order: nothing is lost here.
    if (this.#pending.length >= this.#maxPending) this.flush();
    else this.#schedule();
  }

  #aggregate(
    type: 'tracked' | 'released' | 'resized',
    component: string,
    resourceType: string,
    reason: string | undefined,
    bytes: number,
  ): void {
    // Bursts repeat the same component, type and reason: skip the key and map lookup then.
    const last = this.#last;
    if (
      last !== undefined &&
      last.type === type &&
      last.component === component &&
      last.resourceType === resourceType &&
      last.reason === reason
    ) {
      last.count++;
      last.bytes += bytes;
      return;
    }
    let key = `${type}\0${component}\0${resourceType}\0${reason ?? ''}`;
    let entry = this.#aggregates.get(key);
    if (entry === undefined && this.#aggregates.size >= MAX_AGGREGATES) {
      key = `${type}\0*`;
      entry = this.#aggregates.get(key);
      component = '*';
      resourceType = '*';
      reason = undefined;
    }
    if (entry === undefined) {
      entry = { seq: ++this.#seq, at: Date.now(), type, component, resourceType, reason, count: 0, bytes: 0 };
      this.#aggregates.set(key, entry);
      this.#schedule();
    }
    entry.count++;
    entry.bytes += bytes;
    this.#last = entry.component === component ? entry : undefined;
  }
}
