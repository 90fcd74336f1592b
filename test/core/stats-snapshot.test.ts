import { describe, expect, it } from 'vitest';
import { createToken, ResourceManager } from '../../src/core/index.js';
import { anOwner } from './helpers.js';

async function populated() {
  const manager = new ResourceManager({ memoryLimit: { bytes: 10_000, policy: 'warn' } });
  const app = manager.register(anOwner(), 'app', { type: 'plugin', metadata: { version: '2.1.0' } });
  const tab = manager.register(anOwner(), 'tab', { type: 'tab', parent: app, memoryLimit: { bytes: 500 } });
  app.track({ close() {} }, { type: 'socket', size: 100 });
  app.track({ close() {} }, { type: 'socket', size: 50 });
  app.track(
    setTimeout(() => undefined, 60_000),
    { type: 'timer' },
  );
  tab.track(new Uint8Array(8), { type: 'thumbnail', size: 8, metadata: { key: 'k1' } });
  tab.track(new Map(), { type: 'map', size: 40 });
  const gone = manager.register(anOwner(), 'gone');
  gone.track({
    close() {
      throw new Error('fails');
    },
  });
  await gone.cleanup({ force: true });
  const broken = manager.register(anOwner(), 'broken', { state: 'active' });
  broken.fail(new TypeError('bad config'));
  app.track({ close() {} }, { type: 'socket', size: 1 }).release();
  manager.services.provide(createToken<string>('app.api'), 'api', { component: app });
  return { manager, app, tab, broken };
}

describe('statistics', () => {
  it('counts components, tracked/released totals, active resources, memory and failures', async () => {
    const { manager } = await populated();
    const stats = manager.stats();
    expect(stats.components).toBe(3);
    expect(stats.componentsRegistered).toBe(4);
    expect(stats.componentsDestroyed).toBe(1);
    // 3 app + 2 tab + 1 gone + 1 released socket + 1 service record
    expect(stats.resourcesTracked).toBe(8);
    expect(stats.resourcesReleased).toBe(2);
    expect(stats.activeResources).toBe(6);
    expect(stats.totalBytes).toBe(198);
    expect(stats.disposerFailures).toBe(1);
    expect(stats.memoryLimit).toEqual({ bytes: 10_000, policy: 'warn' });
    expect(stats.leaksDetected).toBe(0);
    await manager.dispose();
  });

  it('counts resources by type, globally and per component', async () => {
    const { manager } = await populated();
    const stats = manager.stats();
    expect(stats.byType).toEqual({
      socket: { count: 2, bytes: 150 },
      timer: { count: 1, bytes: 0 },
      thumbnail: { count: 1, bytes: 8 },
      map: { count: 1, bytes: 40 },
      service: { count: 1, bytes: 0 },
    });
    expect(stats.byComponent.app).toEqual({
      type: 'plugin',
      state: 'loaded',
      resources: 4,
      ownBytes: 150,
      subtreeBytes: 198,
      disposing: { count: 0, bytes: 0 },
      byType: {
        socket: { count: 2, bytes: 150 },
        timer: { count: 1, bytes: 0 },
        service: { count: 1, bytes: 0 },
      },
    });
    expect(stats.byComponent.tab).toMatchObject({ resources: 2, ownBytes: 48, subtreeBytes: 48 });
    expect(stats.byComponent.broken).toMatchObject({ state: 'failed', resources: 0 });
    expect(stats.byComponent.gone).toBeUndefined();
    await manager.dispose();
  });

  it('per-type totals add up to the global figures', async () => {
    const { manager } = await populated();
    const stats = manager.stats();
    const types = Object.values(stats.byType);
    expect(types.reduce((n, t) => n + t.count, 0)).toBe(stats.activeResources);
    expect(types.reduce((n, t) => n + t.bytes, 0)).toBe(stats.totalBytes);
    const comps = Object.values(stats.byComponent);
    expect(comps.reduce((n, c) => n + c.ownBytes, 0)).toBe(stats.totalBytes);
    await manager.dispose();
  });

  it('counts leaks', async () => {
    const manager = new ResourceManager();
    const c = manager.register(anOwner(), 'c');
    await c.cleanup();
    expect(() => c.track({ close() {} })).toThrow();
    expect(manager.stats().leaksDetected).toBe(1);
  });
});

describe('snapshot', () => {
  it('is JSON-serializable: JSON.parse(JSON.stringify(s)) round-trips', async () => {
    const { manager } = await populated();
    const snapshot = manager.snapshot({ resources: true });
    const copy = JSON.parse(JSON.stringify(snapshot));
    expect(copy).toEqual(snapshot);
    // Stable under a second round trip too (nothing lost the first time).
    expect(JSON.parse(JSON.stringify(copy))).toStrictEqual(copy);
    await manager.dispose();
  });

  it('describes every live component with tree links, state, memory, types, metadata and errors', async () => {
    const { manager } = await populated();
    const snapshot = manager.snapshot();
    expect(snapshot.components.map((c) => c.id)).toEqual(['app', 'tab', 'broken']);
    const [app, tab, broken] = snapshot.components;
    expect(app).toMatchObject({
      id: 'app',
      type: 'plugin',
      state: 'loaded',
      parent: undefined,
      children: ['tab'],
      resources: 4,
      ownBytes: 150,
      subtreeBytes: 198,
      metadata: { version: '2.1.0' },
    });
    expect(tab).toMatchObject({ parent: 'app', children: [], memoryLimit: { bytes: 500, policy: 'warn' } });
    expect(broken!.error).toBe('TypeError: bad config');
    expect(app!.resourceList).toBeUndefined();
    expect(snapshot.stats.totalBytes).toBe(198);
    expect(snapshot.stats).not.toHaveProperty('byComponent');
    expect(snapshot.services).toEqual([{ name: 'app.api', component: 'app' }]);
    expect(snapshot.takenAt).toBeGreaterThan(0);
    await manager.dispose();
  });

  it('lists resources on request, and can be limited to one subtree', async () => {
    const { manager } = await populated();
    const snapshot = manager.snapshot({ resources: true, component: 'tab' });
    expect(snapshot.components.map((c) => c.id)).toEqual(['tab']);
    const list = snapshot.components[0]!.resourceList!;
    expect(list.map((r) => [r.type, r.size, r.component])).toEqual([
      ['thumbnail', 8, 'tab'],
      ['map', 40, 'tab'],
    ]);
    expect(list[0]!.metadata).toEqual({ key: 'k1' });
    expect(manager.snapshot({ component: 'app' }).components.map((c) => c.id)).toEqual(['app', 'tab']);
    await manager.dispose();
  });

  it('puts parents before children', () => {
    const manager = new ResourceManager();
    const a = manager.register(anOwner(), 'a');
    const b = manager.register(anOwner(), 'b', { parent: a });
    manager.register(anOwner(), 'c', { parent: b });
    manager.register(anOwner(), 'd', { parent: a });
    const order = manager.snapshot().components.map((c) => c.id);
    expect(order).toEqual(['a', 'b', 'c', 'd']);
  });

  it('an empty manager has an empty, serializable snapshot', () => {
    const manager = new ResourceManager();
    const snapshot = manager.snapshot();
    expect(snapshot.components).toEqual([]);
    expect(snapshot.stats).toMatchObject({ components: 0, activeResources: 0, totalBytes: 0, byType: {} });
    expect(JSON.parse(JSON.stringify(snapshot))).toEqual(snapshot);
  });
});
