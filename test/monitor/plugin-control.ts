/**
 * A small, real PluginControl for the monitor's tests: each "plugin" is a component of type
 * `plugin` registered with the manager, whose `activate` tracks real resources (timers,
 * buffers). `unload` cleans the component up; `reload` unloads and activates again. Changes are
 * reported through `onChange`.
 */
import { type Component, Emitter, type ResourceManager } from '../../src/core/index.js';
import type { PluginChangeEvent, PluginControl, PluginInfo } from '../../src/monitor/index.js';

/** How to build one test plugin. */
export interface TestPluginDef {
  readonly id: string;
  readonly name?: string;
  readonly version?: string;
  readonly dependencies?: string[];
  /** Track the plugin's resources into its component; throw to fail. */
  readonly activate: (component: Component) => void;
}

interface Entry {
  def: TestPluginDef;
  state: string;
  component: Component | undefined;
  /** The owner object: held here, as a real host holds its plugin instance. */
  owner: object | undefined;
  activateMs: number | undefined;
  error: string | undefined;
}

export class ComponentPlugins implements PluginControl {
  readonly #manager: ResourceManager;
  readonly #entries = new Map<string, Entry>();
  readonly #events = new Emitter<{ change: PluginChangeEvent }>();

  constructor(manager: ResourceManager, defs: TestPluginDef[]) {
    this.#manager = manager;
    for (const def of defs) {
      this.#entries.set(def.id, {
        def,
        state: 'loaded',
        component: undefined,
        owner: undefined,
        activateMs: undefined,
        error: undefined,
      });
    }
  }

  /** Activate every plugin (in the given order). */
  activateAll(): void {
    for (const id of this.#entries.keys()) this.#activate(id);
  }

  list(): PluginInfo[] {
    return [...this.#entries.values()].map((e) => ({
      id: e.def.id,
      name: e.def.name ?? e.def.id,
      version: e.def.version ?? '1.0.0',
      state: e.state,
      isolation: 'inline',
      dependencies: e.def.dependencies ?? [],
      ...(e.activateMs !== undefined ? { activateMs: e.activateMs } : {}),
      ...(e.component && e.component.state !== 'destroyed' ? { component: e.component.id } : {}),
      ...(e.error !== undefined ? { error: e.error } : {}),
    }));
  }

  async reload(id: string): Promise<unknown> {
    await this.unload(id);
    this.#activate(id);
    this.#events.emit('change', { type: 'reloaded', id, state: this.#entry(id).state });
    return { state: this.#entry(id).state };
  }

  async unload(id: string): Promise<unknown> {
    const entry = this.#entry(id);
    const report = entry.component
      ? await entry.component.cleanup({ force: true, reason: 'unload' })
      : undefined;
    entry.component = entry.owner = undefined;
    entry.state = 'unloaded';
    this.#events.emit('change', { type: 'unloaded', id, state: 'unloaded' });
    return { released: report?.released ?? 0 };
  }

  onChange(listener: (event: PluginChangeEvent) => void): Disposable {
    return this.#events.on('change', listener);
  }

  #entry(id: string): Entry {
    const entry = this.#entries.get(id);
    if (!entry) throw new Error(`No plugin "${id}".`);
    return entry;
  }

  #activate(id: string): void {
    const entry = this.#entry(id);
    entry.owner = { plugin: id };
    const component = this.#manager.register(entry.owner, id, { type: 'plugin' });
    entry.component = component;
    const started = performance.now();
    try {
      entry.def.activate(component);
      component.setState('active');
      entry.state = 'active';
      entry.error = undefined;
    } catch (error) {
      component.fail(error);
      entry.state = 'failed';
      entry.error = (error as Error).message;
    }
    entry.activateMs = performance.now() - started;
    this.#events.emit('change', {
      type: entry.state === 'failed' ? 'failed' : 'activated',
      id,
      state: entry.state,
    });
  }
}

/** Three plugins with real timers, buffers and listeners, one of them with a child panel. */
export function demoPlugins(manager: ResourceManager): ComponentPlugins {
  const panelOwner = { panel: 'tree' };
  return new ComponentPlugins(manager, [
    {
      id: 'file-browser',
      name: 'File browser',
      version: '2.1.0',
      activate(c) {
        c.track(setInterval(() => {}, 60_000).unref(), { type: 'timer', metadata: { every: '60s' } });
        c.track(new Uint8Array(256 * 1024), {
          type: 'memory',
          size: 256 * 1024,
          metadata: { purpose: 'directory cache' },
        });
        const panel = manager.register(panelOwner, 'file-browser/tree-panel', {
          type: 'panel',
          parent: c,
          state: 'active',
        });
        panel.track(new Uint8Array(64 * 1024), { type: 'thumbnail', size: 64 * 1024 });
        panel.track(new Uint8Array(32 * 1024), { type: 'thumbnail', size: 32 * 1024 });
      },
    },
    {
      id: 'image-viewer',
      name: 'Image viewer',
      version: '0.9.3',
      dependencies: ['file-browser'],
      activate(c) {
        for (let i = 0; i < 12; i++) {
          c.track(new Uint8Array(48 * 1024), {
            type: 'thumbnail',
            size: 48 * 1024,
            evictable: true,
            metadata: { file: `photo-${i}.jpg` },
          });
        }
        const target = new EventTarget();
        const onResize = (): void => {};
        target.addEventListener('resize', onResize);
        c.track(target, { type: 'listener', dispose: () => target.removeEventListener('resize', onResize) });
      },
    },
    {
      id: 'terminal',
      name: 'Terminal',
      version: '1.4.0',
      activate(c) {
        c.track(setTimeout(() => {}, 120_000).unref(), { type: 'timer' });
        c.track(new Map<string, string>(), { type: 'map', size: 4096, metadata: { entries: 0 } });
      },
    },
  ]);
}
