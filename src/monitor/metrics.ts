/**
 * Prometheus metrics of a manager through `prom-client`, in a registry of the monitor's own
 * (never prom-client's global default registry). Gauges are computed on scrape from
 * `manager.stats()`; counters follow the manager's counters; cleanup durations and leaks by
 * kind come from events. Label values are bounded: at most `maxComponents` component series
 * (the largest by memory, the rest summed into `component="_other"`), `maxResourceTypes`
 * resource types and 20 component types; series of components that are gone disappear.
 */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import { StewardRangeError, StewardTypeError } from '../core/errors.js';
import type { ManagerCounters, ManagerStats, ResourceManager, Subscription } from '../core/index.js';
import type { PluginControl } from './plugin-control.js';

/** Options of the metrics. */
export interface MetricsOptions {
  /** Component series kept (largest subtree memory first). Default 200. */
  readonly maxComponents?: number;
  /** Distinct resource-type label values. Default 50. */
  readonly maxResourceTypes?: number;
  /** Also export prom-client's default process metrics (CPU, heap, event loop). Default false. */
  readonly processMetrics?: boolean;
  /** Prefix of every metric name. Default `steward_`. */
  readonly prefix?: string;
}

/** Label value of series summed beyond the limits. */
export const OTHER = '_other';
const MAX_COMPONENT_TYPES = 20;

const COUNTERS: ReadonlyArray<[keyof ManagerCounters, string, string]> = [
  ['resourcesTracked', 'resources_tracked_total', 'Resources tracked since the manager was created.'],
  ['resourcesReleased', 'resources_released_total', 'Resources released since the manager was created.'],
  ['disposerFailures', 'cleanup_failures_total', 'Disposers and cleanup callbacks that threw or rejected.'],
  ['disposerTimeouts', 'disposer_timeouts_total', 'Async disposers abandoned at their timeout or deadline.'],
  ['evictions', 'evictions_total', 'Resources released by the evict memory policy.'],
  ['rejections', 'memory_rejections_total', 'Requests refused by the reject memory policy.'],
  ['leaksDetected', 'leaks_detected_total', 'Leaks detected (all kinds).'],
  ['componentsRegistered', 'components_registered_total', 'Components registered.'],
  ['componentsDestroyed', 'components_destroyed_total', 'Components destroyed.'],
];

/** Maps open-ended label values to at most `max` distinct ones (first come), the rest to `_other`. */
export class BoundedLabel {
  readonly #seen = new Set<string>();
  constructor(readonly max: number) {}
  of(value: string): string {
    if (this.#seen.has(value)) return value;
    if (this.#seen.size >= this.max) return OTHER;
    this.#seen.add(value);
    return value;
  }
}

function positiveInteger(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 1) {
    throw new StewardRangeError(
      `startMonitor(): metrics.${name} must be an integer >= 1 (got ${String(value)}).`,
    );
  }
  return value;
}

/** The Prometheus side of a monitor: a registry and what keeps it up to date. */
export class MonitorMetrics {
  /** The monitor's own registry; `registry.metrics()` renders the text format. */
  readonly registry = new Registry();
  readonly #manager: ResourceManager;
  readonly #plugins: PluginControl | undefined;
  readonly #maxComponents: number;
  readonly #resourceTypes: BoundedLabel;
  readonly #componentTypes = new BoundedLabel(MAX_COMPONENT_TYPES);
  readonly #subscriptions: Subscription[] = [];
  readonly #counted = new Map<keyof ManagerCounters, number>();
  #cached: ManagerStats | undefined;

  constructor(manager: ResourceManager, plugins: PluginControl | undefined, options: MetricsOptions = {}) {
    this.#manager = manager;
    this.#plugins = plugins;
    this.#maxComponents = positiveInteger(options.maxComponents, 200, 'maxComponents');
    this.#resourceTypes = new BoundedLabel(positiveInteger(options.maxResourceTypes, 50, 'maxResourceTypes'));
    const p = options.prefix ?? 'steward_';
    if (!/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(p)) {
      throw new StewardTypeError(
        `startMonitor(): metrics.prefix must match [a-zA-Z_:][a-zA-Z0-9_:]* (got "${p}").`,
      );
    }
    const registers = [this.registry];
    const self = this;

    new Gauge({
      name: `${p}components`,
      help: 'Live components by component type and lifecycle state.',
      labelNames: ['type', 'state'],
      registers,
      collect() {
        this.reset();
        for (const c of Object.values(self.#stats().byComponent)) {
          this.inc({ type: self.#componentTypes.of(c.type), state: c.state });
        }
      },
    });
    new Gauge({
      name: `${p}component_memory_bytes`,
      help: 'Bytes tracked by a component: own resources (scope="own") or with its descendants (scope="subtree").',
      labelNames: ['component', 'scope'],
      registers,
      collect() {
        this.reset();
        for (const [id, c] of self.#componentSeries()) {
          this.inc({ component: id, scope: 'own' }, c.ownBytes);
          this.inc({ component: id, scope: 'subtree' }, c.subtreeBytes);
        }
      },
    });
    new Gauge({
      name: `${p}component_resources`,
      help: 'Live resources of a component by resource type.',
      labelNames: ['component', 'resource_type'],
      registers,
      collect() {
        this.reset();
        for (const [id, c] of self.#componentSeries()) {
          for (const [type, t] of Object.entries(c.byType)) {
            this.inc({ component: id, resource_type: self.#resourceTypes.of(type) }, t.count);
          }
        }
      },
    });
    new Gauge({
      name: `${p}resources`,
      help: 'Live resources by resource type.',
      labelNames: ['resource_type'],
      registers,
      collect() {
        this.reset();
        for (const [type, t] of Object.entries(self.#stats().byType)) {
          this.inc({ resource_type: self.#resourceTypes.of(type) }, t.count);
        }
      },
    });
    new Gauge({
      name: `${p}resource_bytes`,
      help: 'Bytes of live resources by resource type.',
      labelNames: ['resource_type'],
      registers,
      collect() {
        this.reset();
        for (const [type, t] of Object.entries(self.#stats().byType)) {
          this.inc({ resource_type: self.#resourceTypes.of(type) }, t.bytes);
        }
      },
    });
    new Gauge({
      name: `${p}memory_bytes`,
      help: 'Bytes tracked across all components.',
      registers,
      collect() {
        this.set(self.#manager.totalBytes);
      },
    });
    new Gauge({
      name: `${p}resources_disposing`,
      help: 'Resources whose async disposer is still running or hung (released, not yet settled).',
      registers,
      collect() {
        this.set(self.#manager.disposing.count);
      },
    });
    new Gauge({
      name: `${p}disposing_bytes`,
      help: 'Bytes still held by resources whose async disposer has not settled.',
      registers,
      collect() {
        this.set(self.#manager.disposing.bytes);
      },
    });
    new Gauge({
      name: `${p}memory_limit_bytes`,
      help: 'The global memory limit (absent when there is none).',
      registers,
      collect() {
        this.reset();
        const limit = self.#manager.memoryLimit;
        if (limit) this.set(limit.bytes);
      },
    });
    for (const [key, name, help] of COUNTERS) {
      new Counter({
        name: `${p}${name}`,
        help,
        registers,
        collect() {
          const value = self.#manager.counters()[key];
          const delta = value - (self.#counted.get(key) ?? 0);
          if (delta > 0) this.inc(delta);
          self.#counted.set(key, value);
        },
      });
    }
    const leaks = new Counter({
      name: `${p}leak_events_total`,
      help: 'Leaks reported since the monitor started, by kind.',
      labelNames: ['kind'],
      registers,
    });
    this.#subscriptions.push(manager.on('leakDetected', (e) => leaks.inc({ kind: e.kind })));
    const durations = new Histogram({
      name: `${p}cleanup_duration_seconds`,
      help: 'Duration of component cleanups since the monitor started, by component type.',
      labelNames: ['component_type'],
      buckets: [0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30],
      registers,
    });
    this.#subscriptions.push(
      manager.on('cleanupFinished', (e) =>
        durations.observe(
          { component_type: this.#componentTypes.of(e.component.type) },
          e.report.durationMs / 1000,
        ),
      ),
    );
    if (plugins) {
      new Gauge({
        name: `${p}plugin_state`,
        help: 'Current state of each plugin (1 for the state it is in).',
        labelNames: ['plugin', 'state', 'isolation'],
        registers,
        collect() {
          this.reset();
          for (const plugin of self.#plugins!.list()) {
            this.set({ plugin: plugin.id, state: plugin.state, isolation: plugin.isolation }, 1);
          }
        },
      });
      new Gauge({
        name: `${p}plugin_event_loop_utilization`,
        help: "Event-loop utilisation of a plugin's thread over its window (0..1): worker plugins read from the host's side, inline plugins as the share of the window the host's loop was blocked in their code.",
        labelNames: ['plugin'],
        registers,
        collect() {
          this.reset();
          for (const plugin of self.#plugins!.list()) {
            if (plugin.health?.elu !== undefined) this.set({ plugin: plugin.id }, plugin.health.elu);
          }
        },
      });
      new Gauge({
        name: `${p}plugin_responsive`,
        help: 'Whether a watched plugin answers (1) or has been silent past the health threshold (0).',
        labelNames: ['plugin'],
        registers,
        collect() {
          this.reset();
          for (const plugin of self.#plugins!.list()) {
            if (plugin.health?.responsive !== undefined)
              this.set({ plugin: plugin.id }, plugin.health.responsive ? 1 : 0);
          }
        },
      });
      new Gauge({
        name: `${p}plugin_longest_block_seconds`,
        help: "The longest block of the host's event loop blamed on a plugin.",
        labelNames: ['plugin'],
        registers,
        collect() {
          this.reset();
          for (const plugin of self.#plugins!.list()) {
            const ms = plugin.health?.longestBlockMs;
            if (ms !== undefined) this.set({ plugin: plugin.id }, ms / 1000);
          }
        },
      });
      new Gauge({
        name: `${p}plugin_heap_used_bytes`,
        help: "V8 heap used by a plugin's own isolate (worker and process plugins).",
        labelNames: ['plugin'],
        registers,
        collect() {
          this.reset();
          for (const plugin of self.#plugins!.list()) {
            const used = plugin.health?.heapUsed ?? plugin.heapUsed;
            if (used !== undefined) this.set({ plugin: plugin.id }, used);
          }
        },
      });
      new Gauge({
        name: `${p}plugin_rss_bytes`,
        help: "Resident memory of a plugin's own process (process plugins; from /proc on Linux).",
        labelNames: ['plugin'],
        registers,
        collect() {
          this.reset();
          for (const plugin of self.#plugins!.list()) {
            if (plugin.rss !== undefined) this.set({ plugin: plugin.id }, plugin.rss);
          }
        },
      });
      new Counter({
        name: `${p}plugin_cpu_seconds_total`,
        help: "CPU time (user + system) a plugin's own process used since it started (process plugins; resets when the plugin reloads).",
        labelNames: ['plugin'],
        registers,
        collect() {
          this.reset();
          for (const plugin of self.#plugins!.list()) {
            if (plugin.cpuMs !== undefined) this.inc({ plugin: plugin.id }, plugin.cpuMs / 1000);
          }
        },
      });
      new Gauge({
        name: `${p}plugin_retained_bytes`,
        help: "Bytes an inline plugin's code retains, as of the last on-demand measurement (POST /api/plugins/memory; a heap snapshot).",
        labelNames: ['plugin'],
        registers,
        collect() {
          this.reset();
          for (const plugin of self.#plugins!.list()) {
            if (plugin.retainedBytes !== undefined) this.set({ plugin: plugin.id }, plugin.retainedBytes);
          }
        },
      });
      new Gauge({
        name: `${p}plugin_profiled_cpu_share`,
        help: "Share (0-1) of the host thread's busy samples in an inline plugin's code, as of the last on-demand profile (POST /api/plugins/:id/profile).",
        labelNames: ['plugin'],
        registers,
        collect() {
          this.reset();
          for (const plugin of self.#plugins!.list()) {
            if (plugin.cpuShare !== undefined) this.set({ plugin: plugin.id }, plugin.cpuShare);
          }
        },
      });
      new Gauge({
        name: `${p}plugin_startup_seconds`,
        help: 'Time a plugin took to load its module (phase="load") and to activate (phase="activate").',
        labelNames: ['plugin', 'phase'],
        registers,
        collect() {
          this.reset();
          for (const plugin of self.#plugins!.list()) {
            if (plugin.loadMs !== undefined)
              this.set({ plugin: plugin.id, phase: 'load' }, plugin.loadMs / 1000);
            if (plugin.activateMs !== undefined) {
              this.set({ plugin: plugin.id, phase: 'activate' }, plugin.activateMs / 1000);
            }
          }
        },
      });
    }
    if (options.processMetrics) collectDefaultMetrics({ register: this.registry, prefix: p });
  }

  /** The metrics in Prometheus text format. */
  render(): Promise<string> {
    return this.registry.metrics();
  }

  /** Content type of `render()`'s output. */
  get contentType(): string {
    return this.registry.contentType;
  }

  /** Stop listening to the manager. */
  close(): void {
    for (const sub of this.#subscriptions) sub.dispose();
    this.registry.clear();
  }

  /** Stats shared by every collector of one scrape (dropped on the next turn of the event loop). */
  #stats(): ManagerStats {
    if (this.#cached === undefined) {
      this.#cached = this.#manager.stats();
      setImmediate(() => {
        this.#cached = undefined;
      });
    }
    return this.#cached;
  }

  /** At most `maxComponents` components by subtree memory; the rest summed as `_other`. */
  #componentSeries(): Array<
    [string, { ownBytes: number; subtreeBytes: number; byType: ManagerStats['byType'] }]
  > {
    const entries = Object.entries(this.#stats().byComponent);
    if (entries.length <= this.#maxComponents) return entries;
    entries.sort((a, b) => b[1].subtreeBytes - a[1].subtreeBytes || b[1].resources - a[1].resources);
    const kept: Array<[string, { ownBytes: number; subtreeBytes: number; byType: ManagerStats['byType'] }]> =
      entries.slice(0, this.#maxComponents - 1);
    const other = { ownBytes: 0, subtreeBytes: 0, byType: {} as ManagerStats['byType'] };
    for (const [, c] of entries.slice(this.#maxComponents - 1)) {
      other.ownBytes += c.ownBytes;
      // Subtrees overlap; the sum of own bytes is the honest total of what is not shown.
      other.subtreeBytes += c.ownBytes;
      for (const [type, t] of Object.entries(c.byType)) {
        const totals = (other.byType[type] ??= { count: 0, bytes: 0 });
        totals.count += t.count;
        totals.bytes += t.bytes;
      }
    }
    kept.push([OTHER, other]);
    return kept;
  }
}
