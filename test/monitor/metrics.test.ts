import { register as globalRegistry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { ResourceManager } from '../../src/core/index.js';
import { type MonitorServer, startMonitor } from '../../src/monitor/index.js';
import { raw } from './http-client.js';
import { demoPlugins } from './plugin-control.js';
import { parsePrometheus, sampleValue } from './prometheus-text.js';

let manager: ResourceManager;
let server: MonitorServer | undefined;
const owners: object[] = [];

afterEach(async () => {
  await server?.close();
  server = undefined;
  await manager.dispose({ force: true });
  owners.length = 0;
});

function owner(): object {
  const o = {};
  owners.push(o);
  return o;
}

async function scrape(): Promise<ReturnType<typeof parsePrometheus>> {
  const res = await raw(`${server!.origin}/metrics`, {
    headers: { authorization: `Bearer ${server!.token}` },
  });
  expect(res.status).toBe(200);
  expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
  return parsePrometheus(res.body);
}

describe('/metrics', () => {
  it('shows a hung async disposal as disposing (count and bytes), in /metrics and the snapshot API', async () => {
    manager = new ResourceManager();
    const component = manager.register('db');
    let settle!: () => void;
    component.track({}, { size: 4096, dispose: () => new Promise<void>((r) => (settle = r)) });
    const cleanup = component.cleanup();
    server = await startMonitor(manager);
    const m = await scrape();
    expect(sampleValue(m, 'steward_resources_disposing')).toBe(1);
    expect(sampleValue(m, 'steward_disposing_bytes')).toBe(4096);
    const res = await raw(`${server!.origin}/api/snapshot`, {
      headers: { authorization: `Bearer ${server!.token}` },
    });
    expect(JSON.parse(res.body).stats.disposing).toEqual({ count: 1, bytes: 4096 });
    settle();
    await cleanup;
    expect(sampleValue(await scrape(), 'steward_resources_disposing')).toBe(0);
  });

  it('parses as Prometheus text and reports memory, resources, counters and plugin states', async () => {
    manager = new ResourceManager({ memoryLimit: { bytes: 10_000_000 } });
    const plugins = demoPlugins(manager);
    plugins.activateAll();
    server = await startMonitor(manager, { plugins });
    const m = await scrape();
    expect(m.get('steward_component_memory_bytes')?.type).toBe('gauge');
    expect(
      sampleValue(m, 'steward_component_memory_bytes', { component: 'file-browser', scope: 'own' }),
    ).toBe(256 * 1024);
    expect(
      sampleValue(m, 'steward_component_memory_bytes', { component: 'file-browser', scope: 'subtree' }),
    ).toBe(352 * 1024);
    expect(
      sampleValue(m, 'steward_component_resources', {
        component: 'image-viewer',
        resource_type: 'thumbnail',
      }),
    ).toBe(12);
    expect(sampleValue(m, 'steward_resources', { resource_type: 'thumbnail' })).toBe(14);
    expect(sampleValue(m, 'steward_resource_bytes', { resource_type: 'map' })).toBe(4096);
    expect(sampleValue(m, 'steward_memory_bytes')).toBe(manager.totalBytes);
    expect(sampleValue(m, 'steward_memory_limit_bytes')).toBe(10_000_000);
    expect(sampleValue(m, 'steward_components', { type: 'plugin', state: 'active' })).toBe(3);
    expect(sampleValue(m, 'steward_components', { type: 'panel', state: 'active' })).toBe(1);
    expect(m.get('steward_resources_tracked_total')?.type).toBe('counter');
    expect(sampleValue(m, 'steward_resources_tracked_total')).toBe(manager.stats().resourcesTracked);
    expect(
      sampleValue(m, 'steward_plugin_state', { plugin: 'terminal', state: 'active', isolation: 'inline' }),
    ).toBe(1);
    expect(
      sampleValue(m, 'steward_plugin_startup_seconds', { plugin: 'terminal', phase: 'activate' }),
    ).toBeGreaterThanOrEqual(0);
    // Nothing in prom-client's global default registry.
    expect(await globalRegistry.metrics()).not.toContain('steward_');
  });

  it('follows changes: counters grow, cleanups are timed, leaks counted by kind, gone components disappear', async () => {
    manager = new ResourceManager();
    server = await startMonitor(manager);
    const c = manager.register(owner(), 'tab-1', { type: 'tab', state: 'active' });
    c.track(new Uint8Array(10), { type: 'memory', size: 10 });
    c.track(
      {},
      {
        type: 'socket',
        dispose: () => {
          throw new Error('EPIPE');
        },
      },
    );
    manager.reportLeak({ kind: 'untracked-handle', component: c, message: 'stray timer' });
    let m = await scrape();
    expect(sampleValue(m, 'steward_component_memory_bytes', { component: 'tab-1', scope: 'own' })).toBe(10);
    expect(sampleValue(m, 'steward_resources_tracked_total')).toBe(2);
    await c.cleanup({ force: true });
    m = await scrape();
    expect(
      sampleValue(m, 'steward_component_memory_bytes', { component: 'tab-1', scope: 'own' }),
    ).toBeUndefined();
    expect(m.get('steward_component_resources')?.samples.some((s) => s.labels.component === 'tab-1')).toBe(
      false,
    );
    expect(sampleValue(m, 'steward_resources_released_total')).toBe(2);
    expect(sampleValue(m, 'steward_cleanup_failures_total')).toBe(1);
    expect(sampleValue(m, 'steward_leaks_detected_total')).toBe(1);
    expect(sampleValue(m, 'steward_leak_events_total', { kind: 'untracked-handle' })).toBe(1);
    expect(sampleValue(m, 'steward_cleanup_duration_seconds_count', { component_type: 'tab' })).toBe(1);
    expect(sampleValue(m, 'steward_components_destroyed_total')).toBe(1);
    expect(m.get('steward_plugin_state')).toBeUndefined();
  });

  it('keeps labels bounded: the largest components by memory, the rest summed as _other', async () => {
    manager = new ResourceManager();
    server = await startMonitor(manager, { metrics: { maxComponents: 5, maxResourceTypes: 3 } });
    for (let i = 0; i < 50; i++) {
      const c = manager.register(owner(), `scope-${i}`, { state: 'active' });
      c.track(i, { type: `type-${i % 6}`, size: i, dispose: null });
    }
    const m = await scrape();
    const own = m.get('steward_component_memory_bytes')!.samples.filter((s) => s.labels.scope === 'own');
    expect(own.map((s) => s.labels.component).sort()).toEqual([
      '_other',
      'scope-46',
      'scope-47',
      'scope-48',
      'scope-49',
    ]);
    const total = own.reduce((n, s) => n + s.value, 0);
    expect(total).toBe(manager.totalBytes);
    const types = new Set(m.get('steward_resources')!.samples.map((s) => s.labels.resource_type));
    expect(types.size).toBeLessThanOrEqual(4);
    expect(types.has('_other')).toBe(true);
    const counts = m.get('steward_resources')!.samples.reduce((n, s) => n + s.value, 0);
    expect(counts).toBe(50);
  });

  it('offers process metrics on request and validates its options', async () => {
    manager = new ResourceManager();
    server = await startMonitor(manager, { metrics: { processMetrics: true } });
    const m = await scrape();
    expect(m.has('steward_process_cpu_user_seconds_total')).toBe(true);
    await expect(startMonitor(manager, { metrics: { maxComponents: 0 } })).rejects.toThrow(
      /maxComponents must be an integer >= 1/,
    );
    await expect(startMonitor(manager, { metrics: { prefix: 'bad-prefix' } })).rejects.toThrow(
      /prefix must match/,
    );
  });
});
