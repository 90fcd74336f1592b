/**
 * What a host knows about its plugins: one record per plugin (its manifest, its
 * {@link PluginStatus}, its timings), the dependency graph of them all, and the only code that
 * changes a status — through the transition table, with the events and log lines that go with it.
 *
 * Reads are pure: `graph()` resolves (and caches) the graph without touching any plugin, `info()`
 * and `list()` build snapshots. The graph's verdicts (a missing dependency fails a plugin, an
 * excluded dependency blocks it) are applied by `applyGraph()`, which only the host's serialized
 * operations call.
 */
import { type Emitter, StewardError } from '../core/index.js';
import type { PluginEvents } from './events.js';
import { type PluginGraph, planTeardown, resolvePluginGraph, withServiceEdges } from './graph.js';
import type { GraphError } from './graph-error.js';
import type { PluginInfo } from './host-options.js';
import type { LogSink } from './logger.js';
import type { PluginIsolation, PluginManifest } from './manifest.js';
import {
  canTransitionPlugin,
  IllegalPluginTransitionError,
  isLive,
  isRunning,
  type PluginFailurePhase,
  type PluginStatus,
  runtimeOf,
} from './plugin-state.js';
import type { PluginRuntime } from './runtime.js';

/** One plugin as the host keeps it. */
export interface PluginRecord {
  manifest: PluginManifest;
  status: PluginStatus;
  /** Reloads so far. */
  generation: number;
  /** Restarts after crashes so far. */
  restarts: number;
  loadMs: number | undefined;
  activateMs: number | undefined;
  deactivateMs: number | undefined;
  /** Inline plugins: bytes its code's objects retained at the last `measureMemory()`, and when. */
  retained?: { readonly bytes: number; readonly at: number; readonly generation: number } | undefined;
  /** Inline plugins: its share of the host thread's busy samples in the last on-demand profile, and when. */
  cpu?: { readonly share: number; readonly at: number; readonly generation: number } | undefined;
}

/** The graph of the known plugins, with what activation needs of it. */
export interface HostGraph {
  readonly graph: PluginGraph;
  /** Ids the graph can activate. */
  readonly activatable: ReadonlySet<string>;
  /**
   * Each plugin's required dependencies among the activatable ones (service providers
   * included): an optional dependency orders activation but never blocks.
   */
  readonly direct: ReadonlyMap<string, readonly string[]>;
}

/** What the registry needs of its host. */
export interface RegistryOptions {
  readonly events: Emitter<PluginEvents>;
  readonly log: LogSink;
  readonly hostVersion: string | undefined;
  /** The host's isolation override, if any. */
  readonly isolation: PluginIsolation | undefined;
}

/** The host's plugins and their states. */
export class PluginRegistry {
  readonly #records = new Map<string, PluginRecord>();
  readonly #options: RegistryOptions;
  #graph: HostGraph | undefined;
  /** The graph whose verdicts were applied last. */
  #applied: HostGraph | undefined;

  constructor(options: RegistryOptions) {
    this.#options = options;
  }

  /** The record of `id`; throws a StewardError listing the known ids when there is none. */
  record(id: string): PluginRecord {
    const record = this.#records.get(id);
    if (!record) {
      const known = [...this.#records.keys()].sort();
      throw new StewardError(
        `Unknown plugin "${id}". Known plugins: ${known.length ? known.join(', ') : '(none)'}; discover() or add() it first.`,
        { code: 'STEWARD_PLUGIN_UNKNOWN' },
      );
    }
    return record;
  }

  /** The record of `id`, or undefined. */
  find(id: string): PluginRecord | undefined {
    return this.#records.get(id);
  }

  /** Every record, in insertion order. */
  records(): IterableIterator<PluginRecord> {
    return this.#records.values();
  }

  /** Add a plugin (state `discovered`). */
  add(manifest: PluginManifest): PluginRecord {
    const record: PluginRecord = {
      manifest,
      status: { state: 'discovered' },
      generation: 0,
      restarts: 0,
      loadMs: undefined,
      activateMs: undefined,
      deactivateMs: undefined,
    };
    this.#records.set(manifest.id, record);
    this.#graph = undefined;
    return record;
  }

  /** Forget the resolved graph (a manifest was added or changed). */
  invalidateGraph(): void {
    this.#graph = undefined;
  }

  /** The resolved graph of the known plugins (cached until they change). Pure. */
  graph(): HostGraph {
    if (this.#graph) return this.#graph;
    const nodes = withServiceEdges([...this.#records.values()].map((r) => r.manifest));
    const hostVersion = this.#options.hostVersion;
    const graph = resolvePluginGraph(nodes, hostVersion === undefined ? {} : { hostVersion }) as PluginGraph;
    const activatable = new Set(graph.order);
    const direct = new Map(
      nodes.map((n) => [n.id, Object.keys(n.dependencies).filter((d) => activatable.has(d))]),
    );
    this.#graph = { graph, activatable, direct };
    return this.#graph;
  }

  /**
   * Apply the graph's verdicts, once per resolution, to the plugins not activated and not
   * already failed: a plugin with an error of its own (missing dependency, cycle, host
   * mismatch) fails (phase `manifest`), one with an excluded dependency is blocked. Called by
   * operations only.
   */
  applyGraph(): HostGraph {
    const resolved = this.graph();
    if (this.#applied === resolved) return resolved;
    this.#applied = resolved;
    for (const error of resolved.graph.errors) {
      for (const id of error.plugins) {
        const record = this.#records.get(id);
        if (!record || isLive(record.status) || record.status.state === 'failed') continue;
        const status = record.status;
        if (error.kind !== 'blocked') this.fail(record, 'manifest', error, runtimeOf(status));
        else if (status.state === 'blocked') this.transition(record, { ...status, error });
        else this.block(record, error.dependency, error.message, error);
      }
    }
    return resolved;
  }

  /** Ids to deactivate for `ids`: their activated dependents first, then the ids themselves. */
  teardownOrder(ids: readonly string[]): string[] {
    const { graph, activatable } = this.graph();
    const resolvable = ids.filter((id) => activatable.has(id));
    const plan = resolvable.length ? planTeardown(graph, resolvable).teardown : [];
    const planned = new Set(plan);
    return [...plan, ...ids.filter((id) => !planned.has(id))];
  }

  /** Move `record` to `next`; throws IllegalPluginTransitionError if the table forbids it. */
  transition(record: PluginRecord, next: PluginStatus): void {
    const from = record.status.state;
    if (!canTransitionPlugin(from, next.state)) {
      throw new IllegalPluginTransitionError(record.manifest.id, from, next.state);
    }
    this.#set(record, next);
  }

  /** The plugin failed in `phase`: `failed`, logged and reported. `runtime`: what outlived it. */
  fail(
    record: PluginRecord,
    phase: PluginFailurePhase,
    error: unknown,
    runtime: PluginRuntime | undefined,
  ): void {
    const id = record.manifest.id;
    this.transition(record, { state: 'failed', phase, error, runtime });
    this.#options.log({
      level: 'error',
      plugin: id,
      message: `failed (${phase}): ${errorText(error)}`,
      args: [],
      time: Date.now(),
    });
    this.#options.events.emit('failed', { id, phase, error });
  }

  /**
   * The plugin cannot run because `by` is not active: `blocked`, reported. Without `by`, the
   * first of its dependencies that is not running.
   */
  block(record: PluginRecord, by?: string, reason?: string, error?: GraphError): void {
    const id = record.manifest.id;
    const dep =
      by ??
      this.#graph?.graph
        .dependencies(id)
        .find((d) => !isRunning(this.#records.get(d)?.status.state ?? 'failed')) ??
      '(unknown)';
    this.transition(record, { state: 'blocked', by: dep, error, runtime: runtimeOf(record.status) });
    this.#options.events.emit('blocked', {
      id,
      by: dep,
      reason: reason ?? `dependency "${dep}" is not active`,
    });
  }

  /** A snapshot of one plugin. Pure. */
  info(record: PluginRecord): PluginInfo {
    const { manifest, status } = record;
    const component = isLive(status) ? status.session.component : undefined;
    const stats = runtimeOf(status)?.stats();
    const heap = stats?.heap;
    return {
      id: manifest.id,
      name: manifest.name,
      displayName: manifest.displayName,
      version: manifest.version,
      state: status.state,
      isolation: this.isolationOf(manifest),
      dependencies: Object.keys(manifest.dependencies),
      dir: manifest.dir,
      loadMs: record.loadMs,
      activateMs: record.activateMs,
      deactivateMs: record.deactivateMs,
      generation: record.generation,
      component: component?.id,
      resources: component?.resourceCount ?? 0,
      bytes: component?.bytes ?? 0,
      memoryLimit: manifest.memoryLimitBytes,
      heapUsed: heap?.used,
      heapLimit: heap?.limit,
      pid: stats?.process?.pid,
      rss: stats?.process?.rss,
      cpuMs: stats?.process === undefined ? undefined : Math.round(stats.process.cpuMs),
      threadId: stats?.threadId,
      restarts: record.restarts,
      retainedBytes: record.retained?.generation === record.generation ? record.retained.bytes : undefined,
      retainedAt: record.retained?.generation === record.generation ? record.retained.at : undefined,
      cpuShare: record.cpu?.generation === record.generation ? record.cpu.share : undefined,
      cpuShareAt: record.cpu?.generation === record.generation ? record.cpu.at : undefined,
      error: status.state === 'failed' || status.state === 'blocked' ? errorText(status.error) : undefined,
      blockedBy: status.state === 'blocked' ? status.by : undefined,
    };
  }

  /** Every plugin, in activation order where resolvable, then by id. Pure. */
  list(): PluginInfo[] {
    const { graph, activatable } = this.graph();
    const rest = [...this.#records.keys()].filter((id) => !activatable.has(id)).sort();
    return [...graph.order, ...rest].map((id) => this.info(this.#records.get(id)!));
  }

  /** The isolation a plugin runs with: the host's override, else its manifest's. */
  isolationOf(manifest: PluginManifest): PluginIsolation {
    return this.#options.isolation ?? manifest.isolation;
  }

  #set(record: PluginRecord, next: PluginStatus): void {
    const from = record.status.state;
    record.status = next;
    if (from !== next.state)
      this.#options.events.emit('stateChanged', { id: record.manifest.id, from, to: next.state });
  }
}

/** `Name: message` of an error, or its string form. */
export function errorText(error: unknown): string | undefined {
  if (error === undefined) return undefined;
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
