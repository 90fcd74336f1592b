/**
 * When a running plugin goes wrong outside its hooks: a fault of its code (containment), a crash
 * of its runtime, a failed pause or resume. The plugin is taken down — its running dependents
 * first, its resources released, `failed` with the phase, its dependents blocked by it — and a
 * crashed one comes back by its restart policy (`backoffMs × 2^n`, with the dependents that went
 * down with it). Runs inside the host's queue, like the steps of `host-lifecycle.ts` it uses.
 */
import type { Component } from '../core/index.js';
import { safeClearTimeout, safeSetTimeout } from '../core/intrinsics.js';
import { retainOrEnd } from './deactivation.js';
import { type PluginFaultError, restoreGlobalsOf } from './host-containment.js';
import type { LifecycleOptions } from './host-lifecycle.js';
import type { PluginRecord } from './host-registry.js';
import { isLive, isRunning, type PluginFailurePhase, runtimeOf } from './plugin-state.js';
import type { PluginRuntime, PluginSession } from './runtime.js';

/** How many errors of a plugin that already failed are logged before the rest are only counted. */
const LATE_FAULTS_LOGGED = 3;

/** The lifecycle steps recovery needs (the host's `PluginLifecycle`). */
export interface RecoverySteps {
  activate(id: string): Promise<void>;
  deactivate(id: string, end: 'loaded' | 'unloaded'): Promise<void>;
  teardownOrder(ids: readonly string[]): string[];
}

/** Taking failed plugins down and crashed ones back up, for one host. */
export class PluginRecovery {
  readonly #o: LifecycleOptions;
  readonly #steps: RecoverySteps;
  readonly #restarts = new Set<NodeJS.Timeout>();
  /** Faults seen per activation (the first one takes the plugin down; later ones are logged). */
  readonly #faults = new WeakMap<PluginSession, number>();

  constructor(options: LifecycleOptions, steps: RecoverySteps) {
    this.#o = options;
    this.#steps = steps;
  }

  /**
   * The plugin's code faulted outside its hooks (containment, called from the process's handler):
   * the first fault of an activation takes the plugin down in the host's queue (dependents first,
   * resources released, `failed` with phase `runtime`); later ones, and faults of code whose
   * activation is over, are logged.
   */
  fault(record: PluginRecord, component: Component | undefined, error: PluginFaultError): void {
    const status = record.status;
    const current = isLive(status) && (component === undefined || status.session.component === component);
    if (!current || status.state === 'deactivating') {
      this.#logFault(record, error, `after its activation ended (${status.state})`);
      return;
    }
    const session = status.session;
    const seen = this.#faults.get(session) ?? 0;
    this.#faults.set(session, seen + 1);
    if (seen > 0) {
      if (seen <= LATE_FAULTS_LOGGED) this.#logFault(record, error, 'while it was being taken down');
      return;
    }
    const runtime = status.runtime;
    void this.#o
      .enqueue(async () => {
        const now = record.status;
        // Still this activation, and running (an activation in progress has ended by now).
        if (!isLive(now) || now.session !== session || now.runtime !== runtime) {
          if (!(now.state === 'failed' && now.error === error))
            this.#logFault(record, error, `after its activation ended (${now.state})`);
          return;
        }
        await this.takeDown(record, 'runtime', error);
      }, true)
      .catch(() => undefined);
  }

  /**
   * A runtime died on its own: take its plugin down (dependents first), and restart it after
   * `backoffMs × 2^n` if its policy allows, with the dependents that went down with it.
   */
  async crashed(record: PluginRecord, runtime: PluginRuntime, error: Error): Promise<void> {
    if (runtimeOf(record.status) !== runtime) return; // already handled (e.g. during activation)
    const id = record.manifest.id;
    const dependents = await this.takeDown(record, 'crash', error);
    const policy = record.manifest.restart;
    if (!policy || record.restarts >= policy.maxRestarts || this.#o.disposed()) return;
    record.restarts++;
    const delay = policy.backoffMs * 2 ** (record.restarts - 1);
    const timer = safeSetTimeout(() => {
      this.#restarts.delete(timer);
      void this.#o
        .enqueue(async () => {
          const status = record.status;
          if (status.state !== 'failed' || status.phase !== 'crash') return;
          this.#o.log({
            level: 'warn',
            plugin: id,
            message: `restarting after a crash (${record.restarts}/${policy.maxRestarts})`,
            args: [],
            time: Date.now(),
          });
          this.#o.registry.transition(record, { state: 'loaded', runtime: status.runtime });
          await this.#steps.activate(id);
          for (const p of this.#o.registry.graph().graph.order) {
            if (dependents.includes(p)) await this.#steps.activate(p);
          }
        }, false)
        .catch(() => undefined);
    }, delay);
    timer.unref();
    this.#restarts.add(timer);
  }

  /**
   * A running plugin failed (crash, fault, pause/resume hook): deactivate its running dependents
   * first, release its own resources (ending a worker), mark it failed and its dependents blocked
   * by it. Returns the dependents that were taken down.
   */
  async takeDown(record: PluginRecord, phase: PluginFailurePhase, error: unknown): Promise<string[]> {
    const registry = this.#o.registry;
    const id = record.manifest.id;
    const dependents = this.#steps
      .teardownOrder([id])
      .filter((p) => p !== id && isRunning(registry.record(p).status.state));
    for (const dependent of dependents) await this.#steps.deactivate(dependent, 'loaded');
    const status = record.status;
    if (isLive(status)) status.session.controller.abort(error);
    const runtime = runtimeOf(status);
    const kept = runtime && (await retainOrEnd(runtime));
    restoreGlobalsOf(this.#o.log, id);
    if (isLive(status)) await status.session.component.cleanup({ force: true, reason: phase });
    registry.fail(record, phase, error, kept);
    for (const dependent of dependents) registry.block(registry.record(dependent), id);
    return dependents;
  }

  /** The host is going away: the restarts scheduled are cancelled. */
  dispose(): void {
    for (const timer of this.#restarts) safeClearTimeout(timer);
    this.#restarts.clear();
  }

  #logFault(record: PluginRecord, error: PluginFaultError, when: string): void {
    const cause = error.cause instanceof Error ? error.cause.stack : undefined;
    this.#o.log({
      level: 'error',
      plugin: record.manifest.id,
      message: `${error.message} (${when})`,
      args: cause ? [`\n${cause}`] : [],
      time: Date.now(),
    });
  }
}
