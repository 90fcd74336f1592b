/**
 * Memory accounting of one manager: the bytes tracked (per component, per subtree, in total),
 * the limits on them (global and per subtree) with their policies — warn, reject, evict — and
 * the least-recently-used order eviction follows. The manager owns one; components and records
 * call it when sizes change. A manager with no limit pays one comparison per sized `track`.
 */
import type { Component } from './component.js';
import type { Emitter } from './emitter.js';
import { InvalidArgumentError, MemoryLimitError } from './errors.js';
import type { ManagerEvents } from './events.js';
import type { TrackedResource } from './resource.js';
import type { MemoryLimit } from './types.js';

/** The counters the accounts bump (the manager's, shared). */
interface MemoryCounters {
  evictions: number;
  rejections: number;
}

/** A limit the next request would pass: its owner (undefined: the global one) and bytes held. */
type Hit = { owner: Component | undefined; limit: Required<MemoryLimit>; current: number };

/** @internal The memory accounts of one manager (see the file's comment). */
export class MemoryAccounts {
  /** Bytes tracked across the manager. */
  total = 0;
  /** The global limit, if any. */
  limit: Required<MemoryLimit> | undefined;
  /** Live components with a limit of their own (none: `admit` has nothing to check). */
  limited = 0;
  /**
   * Evictable records, least recently used first, each with its use sequence number (rising
   * along the map: an eviction skips whatever was tracked or touched after it began).
   */
  readonly lru = new Map<TrackedResource, number>();
  /** Last use sequence number given (see `lru`). */
  seq = 0;

  readonly #counters: MemoryCounters;
  readonly #events: Emitter<ManagerEvents>;

  constructor(counters: MemoryCounters, events: Emitter<ManagerEvents>) {
    this.#counters = counters;
    this.#events = events;
  }

  /**
   * Check the limits before `delta` more bytes go to `component` (`exclude`: the record being
   * resized, never evicted for itself). Throws `MemoryLimitError` under a `reject` limit (then
   * nothing changed) or `InvalidArgumentError` past `Number.MAX_SAFE_INTEGER`; evicts under
   * `evict`; emits `memoryThresholdExceeded` for every limit passed.
   */
  admit(component: Component, delta: number, exclude?: TrackedResource): void {
    if (this.total + delta > Number.MAX_SAFE_INTEGER) {
      // Past 2^53 − 1 a sum cannot count by one: the counters would drift. Refuse instead.
      throw new InvalidArgumentError(
        `${exclude ? 'resize()' : 'track()'}: ${delta} more bytes in "${component.id}" would take the manager's total ` +
          `(${this.total} B) past Number.MAX_SAFE_INTEGER, where byte counts stop being exact. Nothing changed; ` +
          'count in larger units (KiB) if you track sizes this large.',
      );
    }
    // Most managers have no limit at all: then there is nothing to check on the hot path.
    if (this.limited === 0 && this.limit === undefined) return;
    let hits: Hit[] | undefined;
    for (let c: Component | undefined = component; c; c = c.parent) {
      const limit = c._limit;
      if (limit !== undefined && c._subtreeBytes + delta > limit.bytes) {
        (hits ??= []).push({ owner: c, limit, current: c._subtreeBytes });
      }
    }
    const global = this.limit;
    if (global !== undefined && this.total + delta > global.bytes) {
      (hits ??= []).push({ owner: undefined, limit: global, current: this.total });
    }
    if (hits === undefined) return;
    for (const hit of hits) {
      if (hit.limit.policy === 'reject') {
        this.#counters.rejections++;
        this.#event(component, hit, hit.current, delta, 'rejected', 0, 0);
        throw new MemoryLimitError(
          hit.owner ? 'component' : 'global',
          (hit.owner ?? component).id,
          hit.limit.bytes,
          hit.current,
          delta,
        );
      }
    }
    // In order, each against the bytes held now: an earlier eviction may have made room.
    for (const hit of hits) {
      const held = (): number => (hit.owner ? hit.owner._subtreeBytes : this.total);
      const current = held();
      if (current + delta <= hit.limit.bytes) continue;
      if (hit.limit.policy === 'evict') {
        const [count, bytes] = this.#evict(hit.owner, hit.limit.bytes - delta, exclude);
        this.#event(component, hit, current, delta, 'evicted', count, bytes);
        if (held() + delta <= hit.limit.bytes) continue;
      }
      // `warn`, or `evict` that could not free enough: the request goes through, and says so.
      this.#event(component, hit, held(), delta, 'warned', 0, 0);
    }
  }

  /** A component's limit changed: it had one (`had`) and has one now (`has`). */
  limitChanged(had: boolean, has: boolean): void {
    this.limited += (has ? 1 : 0) - (had ? 1 : 0);
  }

  /** Add `delta` bytes to `component`, its ancestors and the total. */
  account(component: Component, delta: number): void {
    component._ownBytes += delta;
    for (let c: Component | undefined = component; c; c = c.parent) c._subtreeBytes += delta;
    this.total += delta;
  }

  /** An evictable record was tracked: it is the most recently used, here and in every subtree. */
  added(component: Component, record: TrackedResource): void {
    const seq = ++this.seq;
    this.lru.set(record, seq);
    for (let c: Component | undefined = component; c; c = c.parent) c._lru?.set(record, seq);
  }

  /** An evictable record left its component. */
  removed(component: Component, record: TrackedResource): void {
    this.lru.delete(record);
    for (let c: Component | undefined = component; c; c = c.parent) c._lru?.delete(record);
  }

  /** Move an evictable record to the most-recently-used end. */
  touch(record: TrackedResource): void {
    const seq = ++this.seq;
    this.lru.delete(record);
    this.lru.set(record, seq);
    for (let c: Component | undefined = record.component; c; c = c.parent) {
      if (c._lru === undefined) continue;
      c._lru.delete(record);
      c._lru.set(record, seq);
    }
  }

  /** The evictable records of `component`'s subtree, in LRU order (for a new evict limit). */
  subtreeLru(component: Component): Map<TrackedResource, number> {
    const out = new Map<TrackedResource, number>();
    for (const [record, seq] of this.lru) if (isWithin(record.component, component)) out.set(record, seq);
    return out;
  }

  /** Release least recently used records of `scope` (all: undefined) until it holds `targetBytes`. */
  #evict(
    scope: Component | undefined,
    targetBytes: number,
    exclude: TrackedResource | undefined,
  ): [number, number] {
    let count = 0;
    let bytes = 0;
    // Records tracked or touched by the disposers of this eviction come after the horizon: they
    // are in use, and skipping them keeps a disposer that re-tracks from looping forever.
    const horizon = this.seq;
    const held = (): number => (scope ? scope._subtreeBytes : this.total);
    for (const [record, seq] of (scope ? scope._lru : this.lru) ?? []) {
      if (seq > horizon || held() <= targetBytes) break;
      if (record === exclude) continue;
      const size = record._size;
      try {
        record.component._releaseSync(record, 'evicted');
      } catch {
        // Already reported as a disposerFailed event; eviction goes on.
      }
      count++;
      bytes += size;
    }
    this.#counters.evictions += count;
    return [count, bytes];
  }

  #event(
    component: Component,
    hit: Hit,
    current: number,
    requested: number,
    action: 'warned' | 'rejected' | 'evicted',
    evicted: number,
    evictedBytes: number,
  ): void {
    if (!this.#events.has('memoryThresholdExceeded')) return;
    this.#events.emit('memoryThresholdExceeded', {
      scope: hit.owner ? 'component' : 'global',
      component: hit.owner ?? component,
      limitBytes: hit.limit.bytes,
      currentBytes: current,
      requestedBytes: requested,
      policy: hit.limit.policy,
      action,
      evicted,
      evictedBytes,
    });
  }
}

function isWithin(component: Component, ancestor: Component): boolean {
  for (let c: Component | undefined = component; c; c = c.parent) if (c === ancestor) return true;
  return false;
}
