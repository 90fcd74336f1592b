import { describe, expect, it } from 'vitest';
import { ResourceManager } from '../../src/core/index.js';
import { expectCollected } from '../../src/testing/index.js';

/** A plugin as a host would load it: an object with state, registered with the manager. */
function loadPlugin(manager: ResourceManager, id: string) {
  const plugin = { id, cache: new Array(10_000).fill(id), onEvent: () => plugin.cache.length };
  const component = manager.register(plugin, id, { type: 'plugin' });
  component.track(new Map([['k', plugin.cache]]), { type: 'map' });
  return { ref: new WeakRef(plugin), component, plugin };
}

describe('expectCollected', () => {
  it('passes once an unloaded plugin is unreachable (even without --expose-gc)', async () => {
    const manager = new ResourceManager();
    const { ref, component } = (() => {
      const { ref, component } = loadPlugin(manager, 'clean');
      return { ref, component };
    })();
    await component.cleanup();
    await expectCollected(ref, { label: 'plugin "clean"' });
    expect(ref.deref()).toBeUndefined();
  });

  it('fails, naming the object, when something still references the unloaded plugin', async () => {
    const manager = new ResourceManager();
    const registry = new Set<() => number>(); // a host-side listener list the plugin never left
    const { ref, component } = (() => {
      const { ref, component, plugin } = loadPlugin(manager, 'leaky');
      registry.add(plugin.onEvent);
      return { ref, component };
    })();
    await component.cleanup();
    await expect(expectCollected(ref, { label: 'plugin "leaky"', timeoutMs: 200 })).rejects.toThrow(
      /plugin "leaky" is still reachable after \d+ full garbage collections/,
    );
    registry.clear();
    await expectCollected(ref, { label: 'plugin "leaky"' }); // released: now it goes
  });

  it('fails with the retainer path from a GC root, not just "not collected"', async () => {
    const holder = { panels: new Map<string, object>() };
    (globalThis as { stewardTestHolder?: unknown }).stewardTestHolder = holder;
    try {
      holder.panels.set('preview', { title: 'Preview' });
      const ref = new WeakRef(holder.panels.get('preview')!);
      const error = await expectCollected(ref, { label: 'the preview panel', timeoutMs: 100 }).catch(
        (e: Error) => e,
      );
      expect(error).toBeInstanceOf(Error);
      const message = (error as Error).message;
      expect(message).toMatch(
        /Retained by \(shortest path from a GC root\):\n {2}global\n {2}\.stewardTestHolder → Object\n {2}\.panels → Map\n/,
      );
      expect(message.trimEnd().split('\n').at(-1)).toMatch(/→ the preview panel$/);
      // Without retainers, the old message only.
      const plain = await expectCollected(ref, { timeoutMs: 50, retainers: false }).catch((e: Error) => e);
      expect((plain as Error).message).not.toContain('Retained by');
    } finally {
      delete (globalThis as { stewardTestHolder?: unknown }).stewardTestHolder;
    }
  });

  it('names a closure in the retainer path by its file and line, not by a script id', async () => {
    const panel = { title: 'Preview' };
    const timer = setInterval(function keepPanel() {
      void panel.title;
    }, 1_000_000);
    try {
      const ref = new WeakRef(panel);
      const error = await expectCollected(ref, { label: 'the preview panel', timeoutMs: 100 }).catch(
        (e: Error) => e,
      );
      const message = (error as Error).message;
      expect(message).toMatch(/function keepPanel \([^)]*collected\.test\.ts:\d+:\d+\)/);
      expect(message).not.toMatch(/\(script \d+:/);
    } finally {
      clearInterval(timer);
    }
  });

  it('accepts the object itself, keeping no reference to it', async () => {
    const manager = new ResourceManager();
    const unload = async (loaded: ReturnType<typeof loadPlugin>): Promise<object> => {
      await loaded.component.cleanup();
      return loaded.plugin;
    };
    await expectCollected(await unload(loadPlugin(manager, 'direct')), { label: 'plugin "direct"' });
  });

  it('rejects bad input', async () => {
    await expect(expectCollected(null as unknown as object)).rejects.toThrow(
      /expected an object or a WeakRef/,
    );
    await expect(expectCollected({}, { timeoutMs: 0 })).rejects.toThrow(/timeoutMs/);
  });
});
