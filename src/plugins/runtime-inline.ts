/**
 * The inline runtime: the plugin is imported into the host's own heap and its hooks are plain
 * calls — the fastest tier. Its `ctx` is built on the host's component of the plugin, so what it
 * tracks is released by the host's cleanup of that component. Every call into plugin code goes
 * through {@link InlineRuntime}'s one entry point, `#run`: that is where the plugin's code is
 * attributed to its component.
 */
import { type Component, Emitter, StewardError } from '../core/index.js';
import { runPluginImport } from '../node/attribution-children.js';
import { detectGlobals, detectGlobalsOutsideHooks } from '../node/globals-guard.js';
import { runInComponent } from '../node/index.js';
import { createPluginContext, type PluginContext } from './context.js';
import { type PluginInstance, pluginFromModule } from './define.js';
import { importPlugin } from './loader.js';
import { createLogger } from './logger.js';
import { PermissionGuard } from './permission-guard.js';
import type {
  DeactivateOutcome,
  MemoryLimit,
  PluginRuntime,
  PluginRuntimeEvents,
  PluginSession,
  RuntimeInit,
  RuntimeStats,
} from './runtime.js';
import { callSafely } from './thrown.js';

const NO_STATS: RuntimeStats = Object.freeze({ heap: undefined });

/** A plugin running in the host's heap. */
export class InlineRuntime implements PluginRuntime {
  readonly isolation = 'inline';
  readonly reusable = true;
  readonly crashError: Error | undefined = undefined;
  readonly events = new Emitter<PluginRuntimeEvents>();
  readonly #init: RuntimeInit;
  #instance: PluginInstance | undefined;
  #component: Component | undefined;
  #ctx: PluginContext | undefined;

  constructor(init: RuntimeInit) {
    this.#init = init;
  }

  get componentLimit(): MemoryLimit | undefined {
    return this.#init.memoryLimit;
  }

  get context(): PluginContext | undefined {
    return this.#ctx;
  }

  async load(): Promise<number> {
    const { manifest, generation } = this.#init;
    const started = performance.now();
    this.#noteGlobals(undefined);
    const namespace = await callSafely(
      // Import-time work is the plugin's: children its top-level code starts are guarded.
      () =>
        runPluginImport(manifest.id, () =>
          importPlugin(manifest.entry, manifest.dir, manifest.source === 'package', generation),
        ),
      `Plugin "${manifest.id}" (at import)`,
    );
    this.#noteGlobals(manifest.id); // replaced by the module's top-level code
    this.#instance = pluginFromModule(namespace, manifest.entry);
    return performance.now() - started;
  }

  async activate({ component, controller }: PluginSession): Promise<void> {
    const instance = this.#loaded();
    const { manifest, log, hostVersion, storageDir, permissions, permissionMode } = this.#init;
    // The manifest's permissions, checked at the ctx level: a guard, not a sandbox.
    const guard = new PermissionGuard({
      plugin: manifest.id,
      granted: permissions,
      mode: permissionMode,
      storageDir,
      ...(this.#init.children ? { children: this.#init.children.inline } : {}),
      report: (access, denied) => this.events.emit('access', { ...access, denied }),
    });
    const ctx = guard.wrap(
      createPluginContext({
        manifest,
        component,
        controller,
        log: createLogger(manifest.id, log),
        hostVersion,
        storageDir,
      }),
    );
    this.#component = component;
    this.#ctx = ctx;
    try {
      await this.#run(() => instance.activate(ctx));
    } catch (error) {
      if (this.#ctx === ctx) this.#ctx = this.#component = undefined;
      throw error;
    }
  }

  async deactivate(): Promise<DeactivateOutcome> {
    const instance = this.#loaded();
    const ctx = this.#ctx;
    let failure: unknown;
    try {
      if (ctx) await this.#run(() => instance.deactivate(ctx));
    } catch (error) {
      failure = error;
    }
    this.#ctx = this.#component = undefined;
    return { cleanup: undefined, failure };
  }

  async pause(): Promise<void> {
    const instance = this.#loaded();
    const ctx = this.#ctx;
    if (ctx) await this.#run(() => instance.pause(ctx));
  }

  async resume(): Promise<void> {
    const instance = this.#loaded();
    const ctx = this.#ctx;
    if (ctx) await this.#run(() => instance.resume(ctx));
  }

  async unload(): Promise<void> {
    this.#instance = this.#ctx = this.#component = undefined;
  }

  stats(): RuntimeStats {
    return NO_STATS;
  }

  #loaded(): PluginInstance {
    if (this.#instance) return this.#instance;
    throw new StewardError(`Plugin "${this.#init.manifest.id}" is not loaded in its inline runtime.`, {
      code: 'STEWARD_PLUGIN_NOT_LOADED',
    });
  }

  /**
   * Run plugin code as code of its component, so handle attribution sees what it creates and a
   * fault of what it schedules is attributed to it (both need `attribution`). Off, this is a
   * plain call: on Node 20 merely using AsyncLocalStorage slows every promise in the process.
   * Globals the code replaces while the hook runs are reported as the plugin's.
   */
  async #run<R>(fn: () => R | Promise<R>): Promise<R> {
    const component = this.#component;
    const call = () => callSafely(fn, `Plugin "${this.#init.manifest.id}"`);
    this.#noteGlobals(undefined); // replaced meanwhile, by code outside any hook: not this plugin's
    try {
      return await (this.#init.attribution && component && !component.disposed
        ? runInComponent(component, call)
        : call());
    } finally {
      this.#noteGlobals(this.#init.manifest.id);
    }
  }

  #noteGlobals(by: string | undefined): void {
    const names = by === undefined ? detectGlobalsOutsideHooks() : detectGlobals(by);
    if (names.length > 0) this.events.emit('replacedGlobals', { names: by === undefined ? [] : names });
  }
}
