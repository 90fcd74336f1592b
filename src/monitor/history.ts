/**
 * Memory over time: every `intervalMs` (an unref'd timer, so it never keeps the process alive)
 * the sampler records, per component, its own bytes, subtree bytes and resource count, plus the
 * manager's totals, into bounded ring buffers. Components that are gone lose their history;
 * at most `maxComponents` components are followed at once (the first ones seen), so memory use
 * is bounded whatever the application does.
 */

import { StewardRangeError } from '../core/errors.js';
import type { Component, ResourceManager } from '../core/index.js';
import { safeClearInterval, safeSetInterval } from '../core/intrinsics.js';
import { SampleRing } from './ring.js';

/** Options of the memory history. */
export interface HistoryOptions {
  /** Sampling period, ms. Default 1000. */
  readonly intervalMs?: number;
  /** Samples kept per component. Default 300 (five minutes at one per second). */
  readonly samples?: number;
  /** Components followed at once. Default 500. */
  readonly maxComponents?: number;
}

/** One sample of a memory series. */
export interface MemorySample {
  /** Time, ms since the Unix epoch. */
  readonly t: number;
  /** Own bytes (for the totals: all bytes). */
  readonly ownBytes: number;
  /** Subtree bytes (for the totals: all bytes). */
  readonly subtreeBytes: number;
  /** Live resources (own, or all for the totals). */
  readonly resources: number;
}

/** The history of one component, or of the whole manager. */
export interface MemorySeries {
  /** The component, or `undefined` for the manager's totals. */
  readonly component: string | undefined;
  readonly intervalMs: number;
  readonly samples: MemorySample[];
}

function positiveInteger(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 1) {
    throw new StewardRangeError(
      `startMonitor(): history.${name} must be an integer >= 1 (got ${String(value)}).`,
    );
  }
  return value;
}

/** Samples a manager's memory periodically into bounded per-component ring buffers. */
export class MemoryHistory {
  /** Sampling period, ms. */
  readonly intervalMs: number;
  /** Samples kept per series. */
  readonly capacity: number;
  readonly #manager: ResourceManager;
  readonly #maxComponents: number;
  readonly #total: SampleRing;
  readonly #byId = new Map<string, { component: Component; ring: SampleRing }>();
  #timer: ReturnType<typeof setInterval> | undefined;

  constructor(manager: ResourceManager, options: HistoryOptions = {}) {
    this.#manager = manager;
    this.intervalMs = positiveInteger(options.intervalMs, 1000, 'intervalMs');
    this.capacity = positiveInteger(options.samples, 300, 'samples');
    this.#maxComponents = positiveInteger(options.maxComponents, 500, 'maxComponents');
    this.#total = new SampleRing(this.capacity, 4);
  }

  /** Take a first sample now and then one every `intervalMs`. Idempotent. */
  start(): void {
    if (this.#timer !== undefined) return;
    this.sample();
    this.#timer = safeSetInterval(() => this.sample(), this.intervalMs);
    this.#timer.unref();
  }

  /** Stop sampling. The recorded history stays readable. */
  stop(): void {
    if (this.#timer !== undefined) safeClearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** Record one sample of every followed component and of the totals, now. */
  sample(now = Date.now()): void {
    const manager = this.#manager;
    this.#total.push(now, manager.totalBytes, manager.totalBytes, manager.activeResources);
    // Forget the components that are gone first, so newcomers can take their places.
    for (const [id, entry] of this.#byId) if (manager.get(id) !== entry.component) this.#byId.delete(id);
    for (const component of manager.components()) {
      let entry = this.#byId.get(component.id);
      if (entry === undefined) {
        if (this.#byId.size >= this.#maxComponents) continue;
        entry = { component, ring: new SampleRing(this.capacity, 4) };
        this.#byId.set(component.id, entry);
      }
      entry.ring.push(now, component.ownBytes, component.bytes, component.resourceCount);
    }
  }

  /** Whether the component `id` is followed. */
  has(id: string): boolean {
    return this.#byId.has(id);
  }

  /**
   * The history of component `id` (or, with `undefined`, of the totals). `undefined` if the
   * component is not followed (unknown, gone, or beyond `maxComponents`).
   */
  series(id: string | undefined): MemorySeries | undefined {
    const ring = id === undefined ? this.#total : this.#byId.get(id)?.ring;
    if (ring === undefined) return undefined;
    const samples = ring.rows().map(([t, ownBytes, subtreeBytes, resources]) => ({
      t: t!,
      ownBytes: ownBytes!,
      subtreeBytes: subtreeBytes!,
      resources: resources!,
    }));
    return { component: id, intervalMs: this.intervalMs, samples };
  }
}
