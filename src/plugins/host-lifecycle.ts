/**
 * The steps of a plugin's life, as the host's serialized operations run them: load, activate,
 * deactivate, pause and resume. Each step talks to the plugin's {@link PluginRuntime} only, bounds the plugin's
 * hooks by their timeouts, and moves the plugin's status through the registry's table. Nothing
 * here runs outside the host's queue: a crash reported by a runtime is queued first. Taking a
 * failed plugin down and a crashed one back up is `host-recovery.ts`; the helpers of a
 * deactivation (its cleanup reserve, what unload verification watches) are `deactivation.ts`.
 */
import { type Component, type Emitter, type ResourceManager, StewardError } from '../core/index.js';
import {
  cleanupReserveMs,
  inlineWatch,
  remoteWatch,
  retainOrEnd,
  withRuntimeCleanup,
} from './deactivation.js';
import type { PluginEvents } from './events.js';
import type { HostChildren } from './host-children.js';
import {
  type HostContainment,
  type PluginFaultError,
  replacedGlobals,
  restoreGlobalsOf,
} from './host-containment.js';
import { type PluginHostOptions, pluginStorageDir } from './host-options.js';
import { PluginRecovery } from './host-recovery.js';
import type { PluginRecord, PluginRegistry } from './host-registry.js';
import { PluginAbandonedError } from './host-teardown.js';
import type { LogSink } from './logger.js';
import { checkedPermissions } from './permission-links.js';
import type { PermissionName } from './permissions.js';
import { isLive, isRunning, runtimeOf } from './plugin-state.js';
import { type PluginRuntime, type PluginSession, RUNTIMES, type RuntimeCleanupReport } from './runtime.js';
import { runWithin, TimeoutError } from './timeout.js';
import type { UnloadVerifier } from './unload-verifier.js';
import { deactivateWithin, PluginUnresponsiveError, unresponsiveAfterMs } from './unresponsive.js';

/** What the steps need of their host. */
export interface LifecycleOptions {
  readonly registry: PluginRegistry;
  readonly manager: ResourceManager;
  readonly events: Emitter<PluginEvents>;
  readonly log: LogSink;
  readonly host: PluginHostOptions;
  /** Whether handle attribution is on (inline plugin code then runs as code of its component). */
  readonly attribution: boolean;
  /** Run `op` in the host's queue; `internal` ones run after the host was disposed too. */
  readonly enqueue: (op: () => Promise<void>, internal: boolean) => Promise<void>;
  /** Whether the host is disposed (no restart is scheduled then). */
  readonly disposed: () => boolean;
  /** Unload verification, when on. */
  readonly verifier: UnloadVerifier | undefined;
  /** The journal and watchdog of plugins' child processes. */
  readonly children: HostChildren;
  /** The host's fault containment, when error attribution is on. */
  readonly containment: HostContainment | undefined;
}

/** The lifecycle steps of one host's plugins. */
export class PluginLifecycle {
  readonly #o: LifecycleOptions;
  readonly #registry: PluginRegistry;
  readonly #recovery: PluginRecovery;

  constructor(options: LifecycleOptions) {
    this.#o = options;
    this.#registry = options.registry;
    this.#recovery = new PluginRecovery(options, this);
  }

  /** Load the plugin's code unless it is loaded: a new runtime, `loaded`. Undefined if that failed. */
  async load(record: PluginRecord): Promise<PluginRuntime | undefined> {
    const current = runtimeOf(record.status);
    if (current) return current;
    const { manifest } = record;
    const host = this.#o.host;
    const started = performance.now();
    let runtime: PluginRuntime | undefined;
    const storageDir = pluginStorageDir(host, manifest.id);
    try {
      runtime = RUNTIMES[this.#registry.isolationOf(manifest)]({
        manifest,
        generation: record.generation,
        hostVersion: host.hostVersion ?? '0.0.0',
        storageDir,
        memoryLimit:
          manifest.memoryLimitBytes === undefined
            ? undefined
            : { bytes: manifest.memoryLimitBytes, policy: host.memoryPolicy ?? 'reject' },
        services: this.#o.manager.services,
        log: this.#o.log,
        attribution: this.#o.attribution,
        statsIntervalMs: host.workerStatsIntervalMs || undefined,
        execArgv: host.workerExecArgv,
        children: this.#o.children,
        permissions: checkedPermissions(manifest, storageDir, host.permissionRoots),
        permissionMode: host.permissions ?? 'enforce',
      });
      const loaded = runtime;
      loaded.events.on('crashed', ({ error }) => {
        void this.#o.enqueue(() => this.#recovery.crashed(record, loaded, error), true);
      });
      loaded.events.on('replacedGlobals', ({ names }) => replacedGlobals(this.#o.log, manifest.id, names));
      loaded.events.on('access', (access) => this.#access(record, loaded, access));
      // An import that never settles (a top-level await on nothing) fails the plugin in time,
      // under its activation timeout, instead of holding every later host operation.
      const loadMs = manifest.timeouts.activationMs ?? host.activationTimeoutMs ?? 10_000;
      await runWithin(() => loaded.load(), loadMs, `import of plugin "${manifest.id}"`);
    } catch (error) {
      await runtime?.unload();
      this.#registry.fail(record, 'import', error, undefined);
      return undefined;
    }
    record.loadMs = performance.now() - started;
    this.#registry.transition(record, { state: 'loaded', runtime });
    this.#o.events.emit('loaded', { id: manifest.id, ms: record.loadMs, generation: record.generation });
    return runtime;
  }

  /**
   * Activate one plugin (not its dependencies): blocked if one of them is not running, failed if
   * it throws or times out — its resources released either way.
   */
  async activate(id: string): Promise<void> {
    const record = this.#registry.record(id);
    if (isRunning(record.status.state)) return;
    const { activatable, direct } = this.#registry.applyGraph();
    if (!activatable.has(id)) return; // excluded: failed or blocked by the graph
    const missing = direct.get(id)?.find((dep) => !isRunning(this.#registry.record(dep).status.state));
    if (missing !== undefined) return this.#registry.block(record, missing);
    const runtime = await this.load(record);
    if (!runtime) return;
    // The watchdog listens before the first plugin can start a child.
    await this.#o.children.prepare();
    const { manifest } = record;
    const metadata: Record<string, unknown> = {
      version: manifest.version,
      generation: record.generation,
      isolation: runtime.isolation,
    };
    const limit = runtime.componentLimit;
    let session: PluginSession;
    try {
      const component = this.#o.manager.register(record, id, {
        type: 'plugin',
        metadata,
        ...(limit ? { memoryLimit: limit } : {}),
      });
      session = { component, controller: new AbortController(), metadata };
      this.#o.containment?.adopt(component, record);
    } catch (error) {
      return this.#registry.fail(record, 'activate', error, await retainOrEnd(runtime));
    }
    this.#registry.transition(record, { state: 'activating', runtime, session });
    const started = performance.now();
    const timeoutMs = manifest.timeouts.activationMs ?? this.#o.host.activationTimeoutMs ?? 10_000;
    try {
      await runWithin(() => runtime.activate(session), timeoutMs, `activate() of plugin "${id}"`);
    } catch (error) {
      session.controller.abort(error);
      const kept = await retainOrEnd(runtime);
      await session.component.cleanup({ force: true, reason: 'activation failed' });
      return this.#registry.fail(record, 'activate', error, kept);
    }
    record.activateMs = performance.now() - started;
    session.component.setState('active');
    this.#registry.transition(record, { state: 'active', runtime, session });
    this.#o.events.emit('activated', { id, ms: record.activateMs });
  }

  /**
   * Deactivate one plugin (not its dependents) and end `loaded` or `unloaded` — or `failed`, when
   * its `deactivate` threw or timed out, or its runtime died meanwhile. Its resources are released
   * whatever happened. A plugin that is not running just moves to `unloaded` when asked.
   *
   * With `slotEndsAt` (a `performance.now()` time, from a shutdown deadline), the hook gets at
   * most the slot minus a cleanup reserve: still running then, the plugin is abandoned — failed
   * with `PluginAbandonedError`, its component force-cleaned within the slot, its worker ended.
   */
  async deactivate(id: string, end: 'loaded' | 'unloaded', slotEndsAt?: number): Promise<void> {
    const record = this.#registry.record(id);
    const status = record.status;
    if (!isLive(status) || !isRunning(status.state)) {
      if (end === 'unloaded') await this.#drop(record);
      return;
    }
    const { runtime, session } = status;
    this.#registry.transition(record, { state: 'deactivating', runtime, session });
    const started = performance.now();
    let watch =
      this.#o.verifier && runtime.isolation === 'inline' ? inlineWatch(record, runtime, session) : undefined;
    const ownMs = record.manifest.timeouts.deactivationMs ?? this.#o.host.deactivationTimeoutMs ?? 5_000;
    const slotMs = slotEndsAt === undefined ? Number.POSITIVE_INFINITY : slotEndsAt - started;
    const budgetMs = Math.max(1, slotMs - cleanupReserveMs(slotMs));
    const timeoutMs = Math.min(ownMs, budgetMs);
    let failure: unknown;
    let inRuntime: RuntimeCleanupReport | undefined;
    session.controller.abort(
      new StewardError(`Plugin "${id}" is deactivating.`, { code: 'STEWARD_PLUGIN_DEACTIVATING' }),
    );
    try {
      const outcome = await deactivateWithin(runtime, id, timeoutMs, unresponsiveAfterMs(this.#o.host));
      inRuntime = outcome.cleanup;
      failure = outcome.failure;
    } catch (error) {
      failure =
        error instanceof TimeoutError && timeoutMs < ownMs
          ? new PluginAbandonedError(id, Math.round(timeoutMs), error)
          : error;
    }
    // Blocked before its hook ran: not a failure of the unload (or deactivation) asked for, the
    // plugin is ended as asked; said as a warning. A hook that blocks is the plugin's failure.
    if (failure instanceof PluginUnresponsiveError && !failure.inHook) {
      this.#o.log({ level: 'warn', plugin: id, message: failure.message, args: [], time: Date.now() });
      failure = undefined;
    }
    // A worker is ended whatever happened: that is what reclaims its memory.
    let kept: PluginRuntime | undefined;
    if (end === 'loaded') kept = await retainOrEnd(runtime);
    else await runtime.unload();
    // A remote plugin's heap went with its thread or process: what is left to verify is that it
    // is gone, and the objects made for it on the host's side.
    if (this.#o.verifier && runtime.isolation !== 'inline') watch = remoteWatch(record, runtime, session);
    restoreGlobalsOf(this.#o.log, id);
    const cleanupMs = slotEndsAt === undefined ? undefined : Math.max(1, slotEndsAt - performance.now());
    let report = await session.component.cleanup({
      force: true,
      reason: failure instanceof PluginAbandonedError ? 'abandoned at the shutdown deadline' : 'deactivate',
      ...(cleanupMs === undefined ? {} : { deadlineMs: cleanupMs }),
    });
    // A remote plugin's resources were released on its side: count them in the host's report.
    if (inRuntime !== undefined) report = withRuntimeCleanup(report, inRuntime);
    record.deactivateMs = performance.now() - started;
    if (watch) this.#o.verifier?.watch({ ...watch, unloaded: end === 'unloaded' });
    watch = undefined;
    this.#o.events.emit('deactivated', { id, ms: record.deactivateMs, report });
    // A runtime that died on its own before or during deactivate() failed by crashing (no
    // restart: it was being taken down anyway).
    const crash = runtime.crashError;
    if (crash !== undefined) this.#registry.fail(record, 'crash', crash, kept);
    else if (failure !== undefined) this.#registry.fail(record, 'deactivate', failure, kept);
    else
      this.#registry.transition(
        record,
        end === 'loaded' ? { state: 'loaded', runtime: kept } : { state: 'unloaded' },
      );
  }

  /** Run the plugin's pause or resume hook; a failure takes it (and its dependents) down. */
  async pauseResume(id: string, op: 'pause' | 'resume'): Promise<void> {
    const record = this.#registry.record(id);
    const status = record.status;
    const expected = op === 'pause' ? 'active' : 'paused';
    if (status.state !== expected || !isLive(status)) {
      throw new StewardError(`Cannot ${op} plugin "${id}": it is ${status.state}, not ${expected}.`, {
        code: 'STEWARD_PLUGIN_STATE',
      });
    }
    const { runtime, session } = status;
    const timeoutMs = record.manifest.timeouts.deactivationMs ?? this.#o.host.deactivationTimeoutMs ?? 5_000;
    try {
      await runWithin(() => runtime[op](), timeoutMs, `${op}() of plugin "${id}"`);
    } catch (error) {
      // The runtime died while the operation was queued or running: that is a crash (with its
      // restart policy), not a pause/resume failure; the crash handler queued later finds it handled.
      if (runtime.crashError !== undefined) await this.#recovery.crashed(record, runtime, runtime.crashError);
      else await this.#recovery.takeDown(record, op, error);
      return;
    }
    const next = op === 'pause' ? 'paused' : 'active';
    session.component.setState(next);
    this.#registry.transition(record, { state: next, runtime, session });
  }

  /** Ids to deactivate for `ids` (activated dependents first), after applying the graph. */
  teardownOrder(ids: readonly string[]): string[] {
    this.#registry.applyGraph();
    return this.#registry.teardownOrder(ids);
  }

  /**
   * The plugin's code faulted outside its hooks (containment): see `PluginRecovery.fault` — the
   * first fault of an activation takes the plugin down, later ones are logged.
   */
  fault(record: PluginRecord, component: Component | undefined, error: PluginFaultError): void {
    this.#recovery.fault(record, component, error);
  }

  /** A denied access is logged and told (`access`); an audited one only told. */
  #access(
    record: PluginRecord,
    runtime: PluginRuntime,
    access: { permission: PermissionName; resource: string; denied: boolean },
  ): void {
    const id = record.manifest.id;
    if (access.denied) {
      this.#o.log({
        level: 'warn',
        plugin: id,
        message: `permission denied: ${access.permission} ${access.resource} (not allowed by steward.permissions in ${record.manifest.manifestPath})`,
        args: [],
        time: Date.now(),
      });
    }
    this.#o.events.emit('access', { id, isolation: runtime.isolation, ...access });
  }

  /**
   * The host is going away: cancel the restarts scheduled, and hold the unload verifier — the
   * teardown's verification would force collections and take heap snapshots (synchronous,
   * seconds on a loaded machine) in the middle of the shutdown, starving its deadline and the
   * abandonment of the plugins still deactivating. What the teardown unloads stays queued until
   * the verifier closes (verified then only for a leak check that listens, see `close()`).
   */
  dispose(): void {
    this.#o.verifier?.hold();
    this.#recovery.dispose();
  }

  /** A plugin that is not running: `unloaded` (a failed one stays failed), its runtime ended. */
  async #drop(record: PluginRecord): Promise<void> {
    const status = record.status;
    const runtime = runtimeOf(status);
    if (status.state === 'failed') {
      if (runtime) this.#registry.transition(record, { ...status, runtime: undefined });
    } else if (status.state !== 'unloaded') {
      this.#registry.transition(record, { state: 'unloaded' });
    }
    await runtime?.unload();
  }
}
