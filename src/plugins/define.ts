/**
 * Authoring plugins: `definePlugin({ activate, deactivate })` or a `PluginBase` subclass
 * (the brief's class). Both receive the same context, the plugin's resource ledger.
 */

import { StewardTypeError } from '../core/errors.js';
import type { TrackedResource, TrackOptions } from '../core/index.js';
import type { PluginContext } from './context.js';

/** A plugin written as an object: `activate` is required, `deactivate` optional. */
export interface PluginDefinition {
  /** Start the plugin. Everything acquired through `ctx` is released at deactivation. */
  activate(ctx: PluginContext): void | Promise<void>;
  /** Stop the plugin; runs before its resources are released. */
  deactivate?(ctx: PluginContext): void | Promise<void>;
  /** Called by the host's `pause(id)`. */
  pause?(ctx: PluginContext): void | Promise<void>;
  /** Called by the host's `resume(id)`. */
  resume?(ctx: PluginContext): void | Promise<void>;
}

/** Brand shared by every copy of this module (plugins may load their own copy of Steward). */
const DEFINITION = Symbol.for('steward.plugin.definition');
const BASE = Symbol.for('steward.plugin.base');

/**
 * Define a plugin. Returns the definition itself (typed and branded); throws TypeError if
 * `activate` is missing or a hook is not a function.
 */
export function definePlugin<D extends PluginDefinition>(definition: D): D {
  checkDefinition(definition, 'definePlugin()');
  Object.defineProperty(definition, DEFINITION, { value: true });
  return definition;
}

function checkDefinition(definition: unknown, where: string): asserts definition is PluginDefinition {
  if (definition === null || typeof definition !== 'object') {
    throw new StewardTypeError(`${where}: expected an object with an activate(ctx) function.`);
  }
  const d = definition as Record<string, unknown>;
  if (typeof d.activate !== 'function') {
    throw new StewardTypeError(`${where}: activate must be a function (got ${typeof d.activate}).`);
  }
  for (const hook of ['deactivate', 'pause', 'resume']) {
    if (d[hook] !== undefined && typeof d[hook] !== 'function') {
      throw new StewardTypeError(`${where}: ${hook} must be a function when given (got ${typeof d[hook]}).`);
    }
  }
}

/**
 * The brief's plugin class. Subclasses override `initialize` (set-up), `activate`,
 * `deactivate` and `cleanup` (the cleanup hook, run when the plugin's resources are released),
 * and use `track`/`release`. The host constructs it with the context: a subclass constructor
 * must pass `ctx` to `super(ctx)`.
 */
export abstract class PluginBase {
  /** Marks subclasses for the host, across copies of this module. */
  static readonly [BASE] = true;

  /** The plugin's context (its resource ledger). */
  protected readonly ctx: PluginContext;

  constructor(ctx: PluginContext) {
    this.ctx = ctx;
  }

  /** Set-up before activation. Default: nothing. */
  initialize(): void | Promise<void> {}

  /** Start the plugin. Default: nothing. */
  activate(): void | Promise<void> {}

  /** Stop the plugin, before its resources are released. Default: nothing. */
  deactivate(): void | Promise<void> {}

  /** The cleanup hook: runs after `deactivate`, before tracked resources are released. */
  cleanup(): void | Promise<void> {}

  /** Track a resource against this plugin. */
  track<T>(value: T, options?: TrackOptions<T>): TrackedResource<T> {
    return this.ctx.track(value, options);
  }

  /** Release a resource tracked by this plugin. */
  release(handle: TrackedResource): boolean {
    return this.ctx.component.release(handle);
  }

  /** Bytes tracked by this plugin (its component's subtree). */
  get memoryUsage(): number {
    return this.ctx.component.bytes;
  }
}

/** The plugin a module exports, normalized for the host. */
export interface PluginInstance {
  activate(ctx: PluginContext): Promise<void>;
  deactivate(ctx: PluginContext): Promise<void>;
  pause(ctx: PluginContext): Promise<void>;
  resume(ctx: PluginContext): Promise<void>;
}

type BaseClass = new (ctx: PluginContext) => PluginBase;

function isBaseClass(value: unknown): value is BaseClass {
  return typeof value === 'function' && (value as unknown as Record<symbol, unknown>)[BASE] === true;
}

/**
 * Find the plugin in a module namespace: a default export made by `definePlugin` (or any
 * object with `activate`), a default-exported `PluginBase` subclass, or named `activate` /
 * `deactivate` exports. Throws TypeError naming `file` and what a plugin module must export.
 */
export function pluginFromModule(namespace: Record<string, unknown>, file: string): PluginInstance {
  const candidate = namespace.default ?? namespace.plugin ?? namespace;
  if (isBaseClass(candidate)) return fromClass(candidate);
  if (
    candidate !== null &&
    typeof candidate === 'object' &&
    typeof (candidate as PluginDefinition).activate === 'function'
  ) {
    checkDefinition(candidate, file);
    return fromDefinition(candidate);
  }
  throw new StewardTypeError(
    `${file}: does not export a plugin. Export default definePlugin({ activate(ctx) { … } }), ` +
      'a class extending PluginBase, or named activate/deactivate functions.',
  );
}

function fromDefinition(d: PluginDefinition): PluginInstance {
  return {
    activate: async (ctx) => d.activate(ctx),
    deactivate: async (ctx) => d.deactivate?.(ctx),
    pause: async (ctx) => d.pause?.(ctx),
    resume: async (ctx) => d.resume?.(ctx),
  };
}

function fromClass(Cls: BaseClass): PluginInstance {
  let instance: PluginBase | undefined;
  return {
    async activate(ctx) {
      const created = new Cls(ctx);
      instance = created;
      // The cleanup hook runs after deactivate and before the other resources (highest priority).
      ctx.onCleanup(() => created.cleanup(), { priority: 1000, name: 'PluginBase.cleanup' });
      await created.initialize();
      await created.activate();
    },
    async deactivate() {
      await instance?.deactivate();
      instance = undefined;
    },
    async pause() {
      await (instance as { pause?: () => unknown } | undefined)?.pause?.();
    },
    async resume() {
      await (instance as { resume?: () => unknown } | undefined)?.resume?.();
    },
  };
}
