/**
 * The plugin host (the brief's PluginManager): discovers plugins, resolves their dependency
 * graph, loads and activates them in order, deactivates dependents before what they depend
 * on, reloads with cascade, contains failures, and reports everything as typed events.
 *
 * Operations are serialized: one load/activate/deactivate/unload/reload runs at a time, in
 * call order, so a hot reload never interleaves with a shutdown.
 */
import { join, resolve as resolvePath } from 'node:path';
import semver from 'semver';
import {
  type CleanupReport,
  type Component,
  Emitter,
  type MemoryPolicy,
  ResourceManager,
  StewardError,
  type Subscription,
} from '../core/index.js';
import { type Attribution, enableAttribution, runInComponent } from '../node/index.js';
import { createPluginContext, type PluginContext } from './context.js';
import { type PluginInstance, pluginFromModule } from './define.js';
import { discoverPlugins } from './discovery.js';
import type { PluginEvents, PluginFailurePhase, PluginState } from './events.js';
import {
  type GraphError,
  type PluginGraph,
  planTeardown,
  resolvePluginGraph,
  withServiceEdges,
} from './graph.js';
import { importPlugin } from './loader.js';
import { consoleSink, createLogger, type LogSink } from './logger.js';
import { loadPluginManifest, type PluginIsolation, type PluginManifest } from './manifest.js';
import type { ManifestError } from './manifest-errors.js';
import { runWithin, TimeoutError } from './timeout.js';
import { type PluginWatcher, type WatchOptions, watchPlugins } from './watch.js';
import { type WorkerCleanupReport, WorkerRunner } from './worker-runner.js';

/** Options of `new PluginHost()`. */
export interface PluginHostOptions {
  /** The manager plugins' components register with. Default: a new one, disposed with the host. */
  readonly manager?: ResourceManager;
  /** The application's version, checked against manifests' `host` ranges. */
  readonly hostVersion?: string;
  /** Plugin folders scanned by `start()` / `discover()`. */
  readonly dirs?: readonly string[];
  /** Default activation timeout, ms (a manifest may set its own). Default 10000. */
  readonly activationTimeoutMs?: number;
  /** Default deactivation timeout, ms (a manifest may set its own). Default 5000. */
  readonly deactivationTimeoutMs?: number;
  /** Parent folder of the plugins' private storage folders. Default `<cwd>/.steward/storage`. */
  readonly storageDir?: string;
  /** Where plugin log lines go. Default: the console, `info` and above. */
  readonly log?: LogSink;
  /** Policy applied to a manifest's `memoryLimit`. Default `reject`. */
  readonly memoryPolicy?: MemoryPolicy;
  /** Run every plugin with this isolation, whatever its manifest says. */
  readonly isolation?: PluginIsolation;
  /** How often worker plugins report their heap figures, ms. Default 1000. */
  readonly workerStatsIntervalMs?: number;
  /**
   * Attribute the handles inline plugins' code creates without tracking them (timers, sockets,
   * servers, child processes…; see `steward/node`), report them as leaks when the plugin is
   * deactivated, and with `reclaim: true` close them. Off by default: it costs (docs/node-runtime.md).
   */
  readonly attribution?: { readonly reclaim?: boolean; readonly captureStacks?: boolean };
  /**
   * Node options of plugin workers. Default: the host's (`process.execArgv`), so a host run
   * through a TypeScript loader gives it to its workers too — which costs start-up time.
   * A host of compiled plugins can pass `[]`.
   */
  readonly workerExecArgv?: readonly string[];
}

/** What `list()` / `get()` tell about a plugin (JSON-serializable). */
export interface PluginInfo {
  id: string;
  name: string;
  displayName: string;
  version: string;
  state: PluginState;
  isolation: 'inline' | 'worker';
  dependencies: string[];
  dir: string;
  /** Times of the last load, activation and deactivation, ms. */
  loadMs: number | undefined;
  activateMs: number | undefined;
  deactivateMs: number | undefined;
  /** Reloads so far. */
  generation: number;
  /** The id of the plugin's live component, when active or paused. */
  component: string | undefined;
  resources: number;
  bytes: number;
  memoryLimit: number | undefined;
  /** Worker plugins: the worker's V8 heap figures (used and limit), bytes. */
  heapUsed: number | undefined;
  heapLimit: number | undefined;
  /** Worker plugins: restarts after crashes so far. */
  restarts: number;
  error: string | undefined;
  /** For `blocked`: the dependency that is not active. */
  blockedBy: string | undefined;
}

/** Result of `start()`: what ended in which state. */
export interface StartSummary {
  readonly active: string[];
  readonly failed: string[];
  readonly blocked: string[];
  readonly errors: Array<ManifestError | GraphError | Error>;
}

interface PluginRecord {
  manifest: PluginManifest;
  state: PluginState;
  error: unknown;
  phase: PluginFailurePhase | undefined;
  blockedBy: string | undefined;
  instance: PluginInstance | undefined;
  generation: number;
  imported: number;
  component: Component | undefined;
  ctx: PluginContext | undefined;
  controller: AbortController | undefined;
  loadMs: number | undefined;
  activateMs: number | undefined;
  deactivateMs: number | undefined;
  lastCleanup: CleanupReport | undefined;
  runner: WorkerRunner | undefined;
  restarts: number;
}

const ACTIVE_STATES: ReadonlySet<PluginState> = new Set(['active', 'paused']);

function errorText(error: unknown): string | undefined {
  if (error === undefined) return undefined;
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

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
  readonly #sink: LogSink;
  readonly #plugins = new Map<string, PluginRecord>();
  #graph: PluginGraph | undefined;
  /** Ids in the graph's order (activatable), and each one's direct dependencies among them. */
  #activatable = new Set<string>();
  #direct = new Map<string, string[]>();
  #queue: Promise<unknown> = Promise.resolve();
  #disposed: Promise<void> | undefined;
  readonly #watchers = new Set<PluginWatcher>();
  readonly #timers = new Set<NodeJS.Timeout>();
  readonly #attribution: Attribution | undefined;

  constructor(options: PluginHostOptions = {}) {
    for (const [name, value] of [
      ['activationTimeoutMs', options.activationTimeoutMs],
      ['deactivationTimeoutMs', options.deactivationTimeoutMs],
    ] as const) {
      if (value !== undefined && !(typeof value === 'number' && value > 0 && Number.isFinite(value))) {
        throw new RangeError(`new PluginHost(): ${name} must be a finite number > 0 (got ${String(value)}).`);
      }
    }
    if (options.hostVersion !== undefined && semver.valid(options.hostVersion) === null) {
      throw new RangeError(
        `new PluginHost(): hostVersion must be a semver version such as "1.4.0" (got ${JSON.stringify(options.hostVersion)}).`,
      );
    }
    this.#options = options;
    this.#ownsManager = options.manager === undefined;
    this.manager = options.manager ?? new ResourceManager();
    this.#sink = options.log ?? consoleSink();
    if (options.attribution) {
      this.#attribution = enableAttribution({
        manager: this.manager,
        captureStacks: options.attribution.captureStacks ?? false,
        atCleanup: options.attribution.reclaim ? 'reclaim' : 'report',
        onLeaks: (leaks, component) => {
          for (const leak of leaks) {
            this.#sink({
              level: 'warn',
              plugin: component.id,
              message: `leaked ${leak.description}${leak.reclaimed ? ' (reclaimed)' : ''}`,
              args: leak.stack ? [`\n${leak.stack}`] : [],
              time: Date.now(),
            });
          }
        },
      });
    }
  }

  /** Subscribe to a plugin event; shorthand for `events.on`. */
  on<K extends keyof PluginEvents>(name: K, listener: (event: PluginEvents[K]) => void): Subscription {
    return this.events.on(name, listener);
  }

  // ---- queries -------------------------------------------------------------------------

  /** Every known plugin, in activation order where resolvable, then by id. */
  list(): PluginInfo[] {
    const order = this.#resolve().order;
    const activatable = this.#activatable;
    const ids = [...order, ...[...this.#plugins.keys()].filter((id) => !activatable.has(id)).sort()];
    return ids.map((id) => this.#info(this.#plugins.get(id)!));
  }

  /** One plugin, or undefined. */
  get(id: string): PluginInfo | undefined {
    const record = this.#plugins.get(id);
    return record && this.#info(record);
  }

  /** The plugin's live context (active or paused), for tests and tools. */
  contextOf(id: string): PluginContext | undefined {
    return this.#plugins.get(id)?.ctx;
  }

  /** The resolved dependency graph of the known plugins. */
  graph(): PluginGraph {
    return this.#resolve();
  }

  // ---- operations (serialized) ------------------------------------------------------------

  /**
   * Scan `dirs` (default: the host's) and add the plugins found (state `discovered`).
   * Bad manifests are reported (returned and as `discoveryError` events); others are unaffected.
   * Plugins already known keep their state.
   */
  discover(dirs?: readonly string[]): Promise<{ added: string[]; errors: ManifestError[] }> {
    return this.#exclusive(async () => {
      const found = await discoverPlugins(dirs ?? this.#options.dirs ?? []);
      const added: string[] = [];
      for (const manifest of found.plugins) {
        if (this.#plugins.has(manifest.id)) continue;
        this.#plugins.set(manifest.id, newRecord(manifest));
        added.push(manifest.id);
      }
      for (const error of found.errors) this.events.emit('discoveryError', { error });
      this.#graph = undefined;
      return { added, errors: found.errors };
    });
  }

  /** Add one plugin from its folder or module file (validated like discovery). */
  add(path: string): Promise<PluginInfo> {
    return this.#exclusive(async () => {
      const manifest = await readManifest(resolvePath(path));
      const existing = this.#plugins.get(manifest.id);
      if (existing && existing.manifest.manifestPath !== manifest.manifestPath) {
        throw new StewardError(
          `Plugin id "${manifest.id}" from ${manifest.manifestPath} is already used by ${existing.manifest.manifestPath}. ` +
            'Give one of them another steward.id.',
        );
      }
      if (!existing) this.#plugins.set(manifest.id, newRecord(manifest));
      this.#graph = undefined;
      return this.#info(this.#plugins.get(manifest.id)!);
    });
  }

  /**
   * Discover (if the host has `dirs`) and activate every plugin in dependency order. A plugin
   * that fails is contained: it ends `failed`, its dependents `blocked`, the rest go on.
   */
  async start(): Promise<StartSummary> {
    const discovery = this.#options.dirs ? await this.discover() : { errors: [] };
    return this.#exclusive(async () => {
      const graph = this.#resolve();
      for (const id of graph.order) await this.#activate(id);
      const summary: StartSummary = {
        active: [],
        failed: [],
        blocked: [],
        errors: [...discovery.errors, ...graph.errors],
      };
      for (const record of this.#plugins.values()) {
        if (ACTIVE_STATES.has(record.state)) summary.active.push(record.manifest.id);
        else if (record.state === 'failed') summary.failed.push(record.manifest.id);
        else if (record.state === 'blocked') summary.blocked.push(record.manifest.id);
      }
      return summary;
    });
  }

  /** Import a plugin's code (state `loaded`). Import errors leave it `failed`. */
  load(id: string): Promise<PluginInfo> {
    return this.#exclusive(async () => {
      await this.#load(this.#record(id));
      return this.#info(this.#record(id));
    });
  }

  /** Activate a plugin, activating its dependencies first. Resolves with its info (maybe `failed`). */
  activate(id: string): Promise<PluginInfo> {
    return this.#exclusive(async () => {
      this.#record(id);
      const graph = this.#resolve();
      for (const dep of graph.dependencies(id)) await this.#activate(dep);
      await this.#activate(id);
      return this.#info(this.#record(id));
    });
  }

  /** Deactivate a plugin and, first, every plugin that depends on it. Modules stay loaded. */
  deactivate(id: string): Promise<PluginInfo> {
    return this.#exclusive(async () => {
      this.#record(id);
      for (const dependent of this.#teardownOrder([id])) await this.#deactivate(dependent, 'loaded');
      return this.#info(this.#record(id));
    });
  }

  /** Deactivate (dependents first) and unload a plugin: state `unloaded`, references dropped. */
  unload(id: string): Promise<PluginInfo> {
    return this.#exclusive(async () => {
      this.#record(id);
      for (const dependent of this.#teardownOrder([id])) {
        await this.#deactivate(dependent, dependent === id ? 'unloaded' : 'loaded');
      }
      const record = this.#record(id);
      if (record.state !== 'unloaded' && record.state !== 'failed') this.#setState(record, 'unloaded');
      record.instance = undefined;
      this.events.emit('unloaded', { id });
      return this.#info(record);
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
      const record = this.#record(id);
      const teardown = this.#teardownOrder([id]);
      const restore = new Set(
        [...teardown].reverse().filter((p) => p === id || ACTIVE_STATES.has(this.#record(p).state)),
      );
      // Also bring back the plugins blocked (directly or down a chain) by what is reloaded.
      for (let grew = true; grew; ) {
        grew = false;
        for (const other of this.#plugins.values()) {
          const otherId = other.manifest.id;
          if (other.state === 'blocked' && !restore.has(otherId) && restore.has(other.blockedBy ?? '')) {
            restore.add(otherId);
            grew = true;
          }
        }
      }
      for (const p of teardown) await this.#deactivate(p, p === id ? 'unloaded' : 'loaded');
      let manifest: PluginManifest | undefined;
      try {
        manifest = await readManifest(
          record.manifest.source === 'package' ? record.manifest.dir : record.manifest.manifestPath,
        );
        if (manifest.id !== id) {
          throw new StewardError(
            `${manifest.manifestPath}: the plugin's id changed from "${id}" to "${manifest.id}"; ids cannot change on reload — add it as a new plugin.`,
          );
        }
      } catch (error) {
        this.#fail(record, 'manifest', error);
      }
      if (manifest) {
        record.manifest = manifest;
        record.instance = undefined;
        record.generation++;
        record.error = undefined;
        record.phase = undefined;
        this.#setState(record, 'discovered');
        this.#graph = undefined;
        const graph = this.#resolve();
        const order = graph.order.filter((p) => restore.has(p));
        for (const p of order) await this.#activate(p);
      }
      for (const p of restore) {
        const r = this.#plugins.get(p);
        if (r && !ACTIVE_STATES.has(r.state) && r.state !== 'failed' && r.state !== 'blocked') this.#block(r);
      }
      this.events.emit('reloaded', { id, ms: performance.now() - started, plugins: [...restore] });
      return this.#info(record);
    });
  }

  /** Pause an active plugin (calls its `pause` hook; its component goes `paused`). */
  pause(id: string): Promise<PluginInfo> {
    return this.#exclusive(() => this.#pauseResume(id, 'pause'));
  }

  /** Resume a paused plugin. */
  resume(id: string): Promise<PluginInfo> {
    return this.#exclusive(() => this.#pauseResume(id, 'resume'));
  }

  /**
   * Watch the plugins' folders and reload a plugin when its files change (debounced).
   * Failures are contained like any reload. Dispose the returned watcher to stop.
   */
  watch(options?: WatchOptions): PluginWatcher {
    const watcher = watchPlugins(
      () => [...this.#plugins.values()].map((r) => r.manifest),
      (id) => this.reload(id).then(() => undefined),
      options,
    );
    this.#watchers.add(watcher);
    watcher.closed.then(() => this.#watchers.delete(watcher));
    return watcher;
  }

  /**
   * Deactivate every plugin (dependents first), stop watchers, and dispose the manager if the
   * host created it. Idempotent.
   */
  dispose(): Promise<void> {
    this.#disposed ??= (async () => {
      for (const watcher of [...this.#watchers]) watcher.dispose();
      for (const timer of this.#timers) clearTimeout(timer);
      await this.#exclusive(async () => {
        const live = [...this.#plugins.values()].filter((r) => ACTIVE_STATES.has(r.state) || r.runner);
        const ids = new Set(live.map((r) => r.manifest.id));
        for (const id of this.#teardownOrder([...ids]))
          if (ids.has(id)) await this.#deactivate(id, 'unloaded');
      }, true);
      if (this.#ownsManager) await this.manager.dispose({ force: true, reason: 'host disposed' });
      this.#attribution?.dispose();
    })();
    return this.#disposed;
  }

  /** `await using` support: `dispose()`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.dispose();
  }

  // ---- internals ----------------------------------------------------------------------------

  #exclusive<T>(op: () => Promise<T>, internal = false): Promise<T> {
    if (this.#disposed && !internal) {
      return Promise.reject(new StewardError('The plugin host is disposed; create a new PluginHost.'));
    }
    const run = this.#queue.then(op, op);
    this.#queue = run.catch(() => undefined);
    return run;
  }

  #record(id: string): PluginRecord {
    const record = this.#plugins.get(id);
    if (!record) {
      const known = [...this.#plugins.keys()].sort();
      throw new StewardError(
        `Unknown plugin "${id}". Known plugins: ${known.length ? known.join(', ') : '(none)'}; discover() or add() it first.`,
      );
    }
    return record;
  }

  #resolve(): PluginGraph {
    if (this.#graph) return this.#graph;
    const nodes = withServiceEdges([...this.#plugins.values()].map((r) => r.manifest));
    const hostVersion = this.#options.hostVersion;
    this.#graph = resolvePluginGraph(
      nodes,
      hostVersion === undefined ? {} : { hostVersion },
    ) as unknown as PluginGraph;
    this.#activatable = new Set(this.#graph.order);
    this.#direct = new Map(
      nodes.map((n) => [
        n.id,
        // Required ones only (service providers included): an optional dependency orders
        // activation but never blocks.
        Object.keys(n.dependencies).filter((d) => this.#activatable.has(d)),
      ]),
    );
    for (const error of this.#graph.errors) {
      for (const id of error.plugins) {
        const r = this.#plugins.get(id);
        if (r && !ACTIVE_STATES.has(r.state) && r.state !== 'failed') {
          r.error = error;
          if (error.kind === 'blocked') {
            if (r.state !== 'blocked') this.#block(r, error.dependency, error.message);
          } else this.#fail(r, 'manifest', error);
        }
      }
    }
    return this.#graph;
  }

  /** Ids to deactivate for `ids`: active dependents first, then the ids themselves. */
  #teardownOrder(ids: string[]): string[] {
    const graph = this.#resolve();
    const resolvable = ids.filter((id) => this.#activatable.has(id));
    const plan = resolvable.length ? planTeardown(graph, resolvable).teardown : [];
    const planned = new Set(plan);
    return [...plan, ...ids.filter((id) => !planned.has(id))];
  }

  #setState(record: PluginRecord, to: PluginState): void {
    const from = record.state;
    if (from === to) return;
    record.state = to;
    this.events.emit('stateChanged', { id: record.manifest.id, from, to });
  }

  #fail(record: PluginRecord, phase: PluginFailurePhase, error: unknown): void {
    record.error = error;
    record.phase = phase;
    this.#setState(record, 'failed');
    this.#sink({
      level: 'error',
      plugin: record.manifest.id,
      message: `failed (${phase}): ${errorText(error)}`,
      args: [],
      time: Date.now(),
    });
    this.events.emit('failed', { id: record.manifest.id, phase, error });
  }

  #block(record: PluginRecord, by?: string, reason?: string): void {
    const graph = this.#graph;
    const dep =
      by ??
      (graph
        ? graph
            .dependencies(record.manifest.id)
            .find((d) => !ACTIVE_STATES.has(this.#plugins.get(d)?.state ?? 'failed'))
        : undefined) ??
      '(unknown)';
    record.blockedBy = dep;
    this.#setState(record, 'blocked');
    this.events.emit('blocked', {
      id: record.manifest.id,
      by: dep,
      reason: reason ?? `dependency "${dep}" is not active`,
    });
  }

  #isolation(record: PluginRecord): PluginIsolation {
    return this.#options.isolation ?? record.manifest.isolation;
  }

  #storageDir(id: string): string {
    return join(this.#options.storageDir ?? join(process.cwd(), '.steward', 'storage'), id);
  }

  #memoryLimit(manifest: PluginManifest): { bytes: number; policy: MemoryPolicy } | undefined {
    return manifest.memoryLimitBytes === undefined
      ? undefined
      : { bytes: manifest.memoryLimitBytes, policy: this.#options.memoryPolicy ?? 'reject' };
  }

  /** Import the plugin (inline) or start its worker and import it there. */
  async #load(record: PluginRecord): Promise<boolean> {
    const { manifest } = record;
    const worker = this.#isolation(record) === 'worker';
    if (worker ? record.runner : record.instance && record.imported === record.generation) return true;
    const started = performance.now();
    try {
      if (worker) {
        const runner = new WorkerRunner({
          manifest,
          hostVersion: this.#options.hostVersion ?? '0.0.0',
          storageDir: this.#storageDir(manifest.id),
          memoryLimit: this.#memoryLimit(manifest),
          services: this.manager.services,
          log: this.#sink,
          onCrash: (error) => void this.#exclusive(() => this.#crashed(record, runner, error), true),
          ...(this.#options.workerStatsIntervalMs
            ? { statsIntervalMs: this.#options.workerStatsIntervalMs }
            : {}),
          ...(this.#options.workerExecArgv ? { execArgv: this.#options.workerExecArgv } : {}),
        });
        record.runner = runner;
        try {
          await runner.loaded();
        } catch (error) {
          record.runner = undefined;
          await runner.terminate();
          throw error;
        }
      } else {
        const namespace = await importPlugin(
          manifest.entry,
          manifest.dir,
          manifest.source === 'package',
          record.generation,
        );
        record.instance = pluginFromModule(namespace, manifest.entry);
        record.imported = record.generation;
      }
    } catch (error) {
      this.#fail(record, 'import', error);
      return false;
    }
    record.loadMs = performance.now() - started;
    this.#setState(record, 'loaded');
    this.events.emit('loaded', { id: manifest.id, ms: record.loadMs, generation: record.generation });
    return true;
  }

  async #activate(id: string): Promise<void> {
    const record = this.#record(id);
    if (ACTIVE_STATES.has(record.state)) return;
    this.#resolve();
    if (!this.#activatable.has(id)) return; // excluded: already failed or blocked by #resolve
    const missing = this.#direct.get(id)?.find((dep) => !ACTIVE_STATES.has(this.#record(dep).state));
    if (missing !== undefined) {
      this.#block(record, missing);
      return;
    }
    if (!(await this.#load(record))) return;
    const { manifest } = record;
    const worker = record.runner;
    this.#setState(record, 'activating');
    record.error = undefined;
    record.blockedBy = undefined;
    const metadata: Record<string, unknown> = {
      version: manifest.version,
      generation: record.generation,
      isolation: worker ? 'worker' : 'inline',
    };
    const limit = this.#memoryLimit(manifest);
    let component: Component;
    try {
      component = this.manager.register(record, id, {
        type: 'plugin',
        metadata,
        // A worker enforces its limit itself; its host component only mirrors what it holds.
        ...(limit && !worker ? { memoryLimit: limit } : {}),
      });
    } catch (error) {
      await this.#stopWorker(record);
      this.#fail(record, 'activate', error);
      return;
    }
    const controller = new AbortController();
    record.component = component;
    record.controller = controller;
    if (!worker) {
      record.ctx = createPluginContext({
        manifest,
        component,
        controller,
        log: createLogger(id, this.#sink),
        hostVersion: this.#options.hostVersion ?? '0.0.0',
        storageDir: this.#storageDir(id),
      });
    }
    const started = performance.now();
    const timeoutMs = manifest.timeouts.activationMs ?? this.#options.activationTimeoutMs ?? 10_000;
    try {
      await runWithin(
        () =>
          worker
            ? worker.activate(component, metadata)
            : this.#inComponent(component, () => record.instance!.activate(record.ctx!)),
        timeoutMs,
        `activate() of plugin "${id}"`,
      );
    } catch (error) {
      controller.abort(error);
      await this.#stopWorker(record);
      record.lastCleanup = await component.cleanup({ force: true, reason: 'activation failed' });
      record.component = record.ctx = record.controller = undefined;
      this.#fail(record, 'activate', error);
      return;
    }
    record.activateMs = performance.now() - started;
    component.setState('active');
    this.#setState(record, 'active');
    this.events.emit('activated', { id, ms: record.activateMs });
  }

  /**
   * Run plugin code as code of its component, so handle attribution (when on) sees what it
   * creates. Off, this is a plain call: on Node 20 merely using AsyncLocalStorage slows
   * every promise in the process.
   */
  #inComponent<R>(component: Component | undefined, fn: () => R): R {
    return this.#attribution && component && !component.disposed ? runInComponent(component, fn) : fn();
  }

  /** Terminate a worker plugin's thread, if it has one. */
  async #stopWorker(record: PluginRecord): Promise<void> {
    const runner = record.runner;
    if (!runner) return;
    record.runner = undefined;
    await runner.terminate();
  }

  /** Deactivate one plugin (not its dependents) and end in `end` (or `failed`). */
  async #deactivate(id: string, end: 'loaded' | 'unloaded'): Promise<void> {
    const record = this.#record(id);
    if (!ACTIVE_STATES.has(record.state)) {
      if (end === 'unloaded' && record.state !== 'failed' && record.state !== 'unloaded') {
        this.#setState(record, 'unloaded');
        record.instance = undefined;
        await this.#stopWorker(record);
      }
      return;
    }
    const { component, ctx, controller, instance, runner } = record;
    this.#setState(record, 'deactivating');
    const started = performance.now();
    const timeoutMs = record.manifest.timeouts.deactivationMs ?? this.#options.deactivationTimeoutMs ?? 5_000;
    let failure: unknown;
    let inWorker: WorkerCleanupReport | undefined;
    controller?.abort(new StewardError(`Plugin "${id}" is deactivating.`));
    try {
      if (runner) {
        const answer = await runWithin(
          () => runner.deactivate(),
          timeoutMs,
          `deactivate() of plugin "${id}"`,
        );
        inWorker = answer.cleanup;
        failure = answer.failure;
      } else if (instance && ctx)
        await runWithin(
          () => this.#inComponent(component, () => instance.deactivate(ctx)),
          timeoutMs,
          `deactivate() of plugin "${id}"`,
        );
    } catch (error) {
      failure = error;
    }
    // A worker is terminated whatever happened: that is what reclaims its memory.
    await this.#stopWorker(record);
    record.lastCleanup = component
      ? await component.cleanup({ force: true, reason: 'deactivate' })
      : undefined;
    // A worker plugin's resources were released in its worker: count them in the host's report
    // (a new object: `cleanupFinished` listeners already hold the host-side one).
    if (record.lastCleanup !== undefined && inWorker !== undefined)
      record.lastCleanup = withWorkerCleanup(record.lastCleanup, inWorker);
    record.component = record.ctx = record.controller = undefined;
    record.deactivateMs = performance.now() - started;
    if (end === 'unloaded') record.instance = undefined;
    this.events.emit('deactivated', { id, ms: record.deactivateMs, report: record.lastCleanup });
    // A worker that died on its own before or during deactivate() failed by crashing (no restart:
    // it was being taken down anyway).
    const crash = runner?.crashError;
    if (crash !== undefined) this.#fail(record, 'crash', crash);
    else if (failure !== undefined) this.#fail(record, 'deactivate', failure);
    else this.#setState(record, end);
  }

  /**
   * A worker plugin died on its own: deactivate its dependents (dependents first), release its
   * host-side component, mark it failed, and restart it if its policy allows.
   */
  async #crashed(record: PluginRecord, runner: WorkerRunner, error: Error): Promise<void> {
    if (record.runner !== runner) return; // already handled (e.g. during activation)
    const id = record.manifest.id;
    const dependents = await this.#teardownAndFail(record, 'crash', error);
    const policy = record.manifest.restart;
    if (!policy || record.restarts >= policy.maxRestarts || this.#disposed) return;
    record.restarts++;
    const delay = policy.backoffMs * 2 ** (record.restarts - 1);
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      void this.#exclusive(async () => {
        if (record.state !== 'failed' || record.phase !== 'crash') return;
        this.#sink({
          level: 'warn',
          plugin: id,
          message: `restarting after a crash (${record.restarts}/${policy.maxRestarts})`,
          args: [],
          time: Date.now(),
        });
        record.error = record.phase = undefined;
        this.#setState(record, 'loaded');
        await this.#activate(id);
        for (const p of this.#resolve().order) {
          if (dependents.includes(p)) await this.#activate(p);
        }
      }).catch(() => undefined);
    }, delay);
    timer.unref();
    this.#timers.add(timer);
  }

  /**
   * A running plugin failed (crash, pause/resume hook): deactivate its active dependents first,
   * release its own resources (terminating its worker), mark it failed and its dependents
   * blocked by it. Returns the dependents that were taken down.
   */
  async #teardownAndFail(record: PluginRecord, phase: PluginFailurePhase, error: unknown): Promise<string[]> {
    const id = record.manifest.id;
    const dependents = this.#teardownOrder([id]).filter(
      (p) => p !== id && ACTIVE_STATES.has(this.#record(p).state),
    );
    for (const dependent of dependents) await this.#deactivate(dependent, 'loaded');
    record.controller?.abort(error);
    await this.#stopWorker(record);
    record.lastCleanup = record.component
      ? await record.component.cleanup({ force: true, reason: phase })
      : undefined;
    record.component = record.ctx = record.controller = undefined;
    this.#fail(record, phase, error);
    for (const dependent of dependents) this.#block(this.#record(dependent), id);
    return dependents;
  }

  async #pauseResume(id: string, op: 'pause' | 'resume'): Promise<PluginInfo> {
    const record = this.#record(id);
    const expected = op === 'pause' ? 'active' : 'paused';
    if (record.state !== expected) {
      throw new StewardError(`Cannot ${op} plugin "${id}": it is ${record.state}, not ${expected}.`);
    }
    const timeoutMs = record.manifest.timeouts.deactivationMs ?? this.#options.deactivationTimeoutMs ?? 5_000;
    const { runner } = record;
    try {
      await runWithin(
        () =>
          runner
            ? runner.pauseResume(op)
            : this.#inComponent(record.component, () => record.instance![op](record.ctx!)),
        timeoutMs,
        `${op}() of plugin "${id}"`,
      );
    } catch (error) {
      // The worker died while the operation was queued or running: that is a crash (with its
      // restart policy), not a pause/resume failure; the crash handler queued later finds it handled.
      if (runner?.crashError !== undefined) await this.#crashed(record, runner, runner.crashError);
      else await this.#teardownAndFail(record, op, error);
      return this.#info(record);
    }
    const next = op === 'pause' ? 'paused' : 'active';
    record.component?.setState(next);
    this.#setState(record, next);
    return this.#info(record);
  }

  #info(record: PluginRecord): PluginInfo {
    const { manifest, component } = record;
    return {
      id: manifest.id,
      name: manifest.name,
      displayName: manifest.displayName,
      version: manifest.version,
      state: record.state,
      isolation: this.#isolation(record),
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
      heapUsed: record.runner?.heap?.used,
      heapLimit: record.runner?.heap?.limit,
      restarts: record.restarts,
      error: errorText(record.error),
      blockedBy: record.state === 'blocked' ? record.blockedBy : undefined,
    };
  }
}

/** The host-side report of a deactivation with what the worker's own cleanup did added. */
function withWorkerCleanup(report: CleanupReport, worker: WorkerCleanupReport): CleanupReport {
  return {
    ...report,
    components: [...report.components],
    released: report.released + worker.released,
    failed: [...report.failed, ...worker.failed],
    abandoned: [...report.abandoned, ...worker.abandoned],
    deadlineExceeded: report.deadlineExceeded || worker.deadlineExceeded,
  };
}

/** Read and validate one plugin's manifest; throws the first problem (a ManifestError). */
async function readManifest(path: string): Promise<PluginManifest> {
  const result = await loadPluginManifest(path);
  if (result.kind === 'plugin') return result.manifest;
  if (result.kind === 'invalid') throw result.errors[0]!;
  throw new StewardError(`${path}: not a plugin (${result.reason}).`);
}

function newRecord(manifest: PluginManifest): PluginRecord {
  return {
    manifest,
    state: 'discovered',
    error: undefined,
    phase: undefined,
    blockedBy: undefined,
    instance: undefined,
    generation: 0,
    imported: -1,
    component: undefined,
    ctx: undefined,
    controller: undefined,
    loadMs: undefined,
    activateMs: undefined,
    deactivateMs: undefined,
    lastCleanup: undefined,
    runner: undefined,
    restarts: 0,
  };
}

export { TimeoutError };
