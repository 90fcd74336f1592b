/**
 * The plugin host (the brief's PluginManager): discovers plugins, resolves their dependency
 * graph, loads and activates them in order, deactivates dependents before what they depend
 * on, reloads with cascade, contains failures, and reports everything as typed events.
 *
 * Operations are serialized: one load/activate/deactivate/unload/reload runs at a time, in
 * call order, so a hot reload never interleaves with a shutdown — and only operations change a
 * plugin's state. Queries (`list`, `get`, `graph`, `contextOf`) are pure reads. The steps are in
 * host-lifecycle.ts, the states in host-registry.ts and plugin-state.ts; where plugin code runs
 * is a runtime's business (runtime.ts).
 */

import { Emitter, ResourceManager, StewardError, type Subscription } from '../core/index.js';
import { runOutsideComponents } from '../node/index.js';
import type { PluginContext } from './context.js';
import type { PluginEvents } from './events.js';
import type { PluginGraph } from './graph.js';
import type { PluginHealth } from './health.js';
import {
  type PluginHeapSnapshot,
  type PluginThreadProfile,
  profilePluginThread,
  snapshotPluginHeap,
} from './host-diagnostics.js';
import {
  checkHostOptions,
  disposeDeadline,
  type PluginHostOptions,
  type PluginInfo,
  type StartSummary,
} from './host-options.js';
import { addFromPath, discoverInto, measureInlineMemory, startSummary } from './host-plugin-set.js';
import { reloadPlugin } from './host-reload.js';
import { assembleHost, disposeHostParts, type HostParts, teardownPlugins } from './host-setup.js';
import type { ManifestError } from './manifest-errors.js';
import { isLive } from './plugin-state.js';
import type { UnloadVerdict } from './unload-verifier.js';
import { type PluginWatcher, type WatchOptions, watchPlugins } from './watch.js';

export type { PluginHostOptions, PluginInfo, StartSummary } from './host-options.js';

/**
 * Hosts plugins. `await using host = new PluginHost({ dirs })` then `await host.start()`;
 * leaving the block deactivates everything, dependents first.
 */
export class PluginHost implements AsyncDisposable {
  /** The resource manager plugins' components belong to. */
  readonly manager: ResourceManager;
  /** Typed plugin events. */
  readonly events = new Emitter<PluginEvents>();
  readonly #ownsManager: boolean;
  readonly #options: PluginHostOptions;
  readonly #parts: HostParts;
  #queue: Promise<unknown> = Promise.resolve();
  #disposed: Promise<void> | undefined;
  readonly #watchers = new Set<PluginWatcher>();

  constructor(options: PluginHostOptions = {}) {
    checkHostOptions(options);
    this.#options = options;
    this.#ownsManager = options.manager === undefined;
    this.manager = options.manager ?? new ResourceManager();
    this.#parts = assembleHost(options, {
      manager: this.manager,
      events: this.events,
      enqueue: (op, internal) => this.#exclusive(op, internal),
      disposed: () => this.#disposed !== undefined,
      reload: (id) => this.reload(id),
      unload: (id) => this.unload(id),
    });
  }

  get #registry() {
    return this.#parts.registry;
  }

  get #lifecycle() {
    return this.#parts.lifecycle;
  }

  /** The health watch, when the host was made with `health` (figures, recent blocked-loop findings). */
  get health(): PluginHealth | undefined {
    return this.#parts.health;
  }

  /** Subscribe to a plugin event; shorthand for `events.on`. */
  on<K extends keyof PluginEvents>(name: K, listener: (event: PluginEvents[K]) => void): Subscription {
    return this.events.on(name, listener);
  }

  // ---- queries: pure reads -------------------------------------------------------------------

  /** Every known plugin, in activation order where resolvable, then by id. Changes nothing. */
  list(): PluginInfo[] {
    return this.#registry.list().map((info) => this.#withHealth(info));
  }

  /** One plugin, or undefined. Changes nothing. */
  get(id: string): PluginInfo | undefined {
    const record = this.#registry.find(id);
    return record && this.#withHealth(this.#registry.info(record));
  }

  #withHealth(info: PluginInfo): PluginInfo {
    const figures = this.#parts.health?.figures(info.id);
    if (figures !== undefined) info.health = figures;
    return info;
  }

  /** The plugin's live context (inline plugins, while activated), for tests and tools. */
  contextOf(id: string): PluginContext | undefined {
    const status = this.#registry.find(id)?.status;
    return status && isLive(status) ? status.runtime.context : undefined;
  }

  /**
   * The resolved dependency graph of the known plugins. Changes nothing: the operation that
   * changed the plugin set already failed or blocked what it excludes.
   */
  graph(): PluginGraph {
    return this.#registry.graph().graph;
  }

  // ---- operations (serialized) ------------------------------------------------------------

  /**
   * Scan `dirs` (default: the host's) and add the plugins found (state `discovered`).
   * Bad manifests are reported (returned and as `discoveryError` events); others are unaffected.
   * Plugins already known keep their state. The graph's verdicts on the new set are applied.
   */
  discover(dirs?: readonly string[]): Promise<{ added: string[]; errors: ManifestError[] }> {
    return this.#exclusive(() =>
      discoverInto(this.#registry, this.events, this.#options, dirs ?? this.#options.dirs ?? []),
    );
  }

  /** Add one plugin from its folder or module file (validated like discovery). */
  add(path: string): Promise<PluginInfo> {
    return this.#exclusive(() => addFromPath(this.#registry, this.#options, path));
  }

  /**
   * Discover (if the host has `dirs`) and activate every plugin in dependency order. A plugin
   * that fails is contained: it ends `failed`, its dependents `blocked`, the rest go on.
   */
  async start(): Promise<StartSummary> {
    const discovery = this.#options.dirs ? await this.discover() : { errors: [] };
    return this.#exclusive(async () => {
      const { graph } = this.#registry.applyGraph();
      for (const id of graph.order) await this.#lifecycle.activate(id);
      return startSummary(this.#registry, [...discovery.errors, ...graph.errors]);
    });
  }

  /** Import a plugin's code (state `loaded`). Import errors leave it `failed`. */
  load(id: string): Promise<PluginInfo> {
    return this.#exclusive(async () => {
      await this.#lifecycle.load(this.#registry.record(id));
      return this.#info(id);
    });
  }

  /** Activate a plugin, activating its dependencies first. Resolves with its info (maybe `failed`). */
  activate(id: string): Promise<PluginInfo> {
    return this.#exclusive(async () => {
      this.#registry.record(id);
      const { graph } = this.#registry.applyGraph();
      for (const dep of graph.dependencies(id)) await this.#lifecycle.activate(dep);
      await this.#lifecycle.activate(id);
      return this.#info(id);
    });
  }

  /** Deactivate a plugin and, first, every plugin that depends on it. Modules stay loaded. */
  deactivate(id: string): Promise<PluginInfo> {
    return this.#exclusive(async () => {
      this.#registry.record(id);
      await this.#teardown(this.#lifecycle.teardownOrder([id]), () => 'loaded');
      return this.#info(id);
    });
  }

  /** Deactivate (dependents first) and unload a plugin: state `unloaded`, references dropped. */
  unload(id: string): Promise<PluginInfo> {
    return this.#exclusive(async () => {
      this.#registry.record(id);
      await this.#teardown(this.#lifecycle.teardownOrder([id]), (p) => (p === id ? 'unloaded' : 'loaded'));
      this.events.emit('unloaded', { id });
      return this.#info(id);
    });
  }

  /**
   * Reload a plugin: deactivate it and its dependents (dependents first), re-read its manifest,
   * import a fresh copy of its code, and activate it and the dependents that were active again.
   * A failure is contained like any other.
   */
  reload(id: string): Promise<PluginInfo> {
    return this.#exclusive(async () => {
      const started = performance.now();
      const plugins = await reloadPlugin(this.#registry, this.#lifecycle, id);
      this.events.emit('reloaded', { id, ms: performance.now() - started, plugins });
      return this.#info(id);
    });
  }

  /** Pause an active plugin (calls its `pause` hook; its component goes `paused`). */
  pause(id: string): Promise<PluginInfo> {
    return this.#exclusive(async () => {
      await this.#lifecycle.pauseResume(id, 'pause');
      return this.#info(id);
    });
  }

  /** Resume a paused plugin. */
  resume(id: string): Promise<PluginInfo> {
    return this.#exclusive(async () => {
      await this.#lifecycle.pauseResume(id, 'resume');
      return this.#info(id);
    });
  }

  /**
   * Watch the plugins' folders and reload a plugin when its files change (debounced).
   * Failures are contained like any reload. Dispose the returned watcher to stop.
   */
  watch(options?: WatchOptions): PluginWatcher {
    const watcher = watchPlugins(
      () => [...this.#registry.records()].map((r) => r.manifest),
      (id) => this.reload(id).then(() => undefined),
      options,
    );
    this.#watchers.add(watcher);
    watcher.closed.then(() => this.#watchers.delete(watcher));
    return watcher;
  }

  /**
   * Measure, for each loaded inline plugin, the bytes its code retains — its closures, module
   * namespaces and allocated module variables, and everything only they keep alive — from one
   * heap snapshot (a temporary file, removed; it pauses the process for the snapshot's time).
   * The figures also appear in `list()`/`get()` as `retainedBytes` until the plugin reloads.
   * Rejects with `STEWARD_HEAP_SNAPSHOT_FAILED` when the snapshot cannot be written.
   */
  measureMemory(
    options: { readonly snapshotDir?: string } = {},
  ): Promise<Array<{ readonly id: string; readonly retainedBytes: number; readonly objects: number }>> {
    return measureInlineMemory(this.#registry, options);
  }

  /**
   * CPU-profile the thread plugin `id` runs on for `ms` (1…60 000): the host's for an inline
   * plugin, its own worker thread or process otherwise (host-diagnostics.ts). Blame the samples
   * with `blameProfile(profile, roots)`. The plugin must be active or paused.
   */
  profile(id: string, ms: number): Promise<PluginThreadProfile> {
    return profilePluginThread(this.#registry, id, ms);
  }

  /**
   * A heap snapshot of the isolate plugin `id` runs in: its worker's or process's own, or for an
   * inline plugin the shared heap's with the plugin's own objects picked out (`own`). Read the
   * stream to its end or destroy it. The plugin must be active or paused.
   */
  heapSnapshot(id: string, options: { readonly snapshotDir?: string } = {}): Promise<PluginHeapSnapshot> {
    return snapshotPluginHeap(this.#registry, id, { dir: options.snapshotDir });
  }

  /**
   * Run the unload verification queued so far now (`verifyUnload`), and resolve with its
   * verdicts: what of the plugins deactivated, unloaded or reloaded since is still reachable,
   * with retainer paths. Resolves with `[]` when verification is off. Never rejects.
   */
  verifyUnloads(): Promise<UnloadVerdict[]> {
    return this.#parts.verifier ? this.#parts.verifier.flush() : Promise.resolve([]);
  }

  /**
   * Deactivate every plugin (dependents first; plugins with no dependency path between them
   * concurrently), end every runtime that holds a thread of its own, stop watchers, and dispose
   * the manager if the host created it. Idempotent (a second call's options are ignored).
   *
   * With `deadlineMs` (a shutdown's deadline), teardown never stops half-way: a plugin whose
   * `deactivate` is still running when its share of the deadline is over is abandoned — failed
   * with `STEWARD_PLUGIN_ABANDONED`, its component force-cleaned, its worker ended — and the
   * others go on; `dispose` then settles within about `deadlineMs`.
   */
  dispose(options: { readonly deadlineMs?: number } = {}): Promise<void> {
    const deadlineAt = disposeDeadline(options?.deadlineMs);
    if (deadlineAt instanceof Error) return Promise.reject(deadlineAt);
    this.#disposed ??= disposeHostParts(this.#parts, {
      watchers: this.#watchers,
      enqueue: (op) => this.#exclusive(op, true),
      teardown: (order) => this.#teardown(order, () => 'unloaded', deadlineAt),
      manager: this.#ownsManager ? this.manager : undefined,
      deadlineAt,
    });
    return this.#disposed;
  }

  /** `await using` support: `dispose()`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.dispose();
  }

  // ---- internals ----------------------------------------------------------------------------

  #exclusive<T>(op: () => Promise<T>, internal = false): Promise<T> {
    if (this.#disposed && !internal) {
      return Promise.reject(
        new StewardError('The plugin host is disposed; create a new PluginHost.', {
          code: 'STEWARD_HOST_DISPOSED',
        }),
      );
    }
    // Outside any component: an operation a plugin's code asked for (through a service that
    // hands out the host) runs as the host's, so its timers are never attributed to that plugin.
    const outside = (): Promise<T> => runOutsideComponents(op);
    const run = this.#queue.then(outside, outside);
    this.#queue = run.catch(() => undefined);
    return run;
  }

  /** Deactivate `ids` (in teardown order): dependents first, unrelated plugins concurrently. */
  #teardown(
    ids: readonly string[],
    end: (id: string) => 'loaded' | 'unloaded',
    deadlineAt?: number,
  ): Promise<void> {
    return teardownPlugins(this.#parts, ids, end, deadlineAt);
  }

  #info(id: string): PluginInfo {
    return this.#registry.info(this.#registry.record(id));
  }
}
