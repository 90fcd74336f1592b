/**
 * Per-plugin retained memory of inline plugins, on demand (a heap snapshot): from the host, the
 * monitor's API (POST /api/plugins/memory, then GET /api/plugins) and /metrics, over HTTP.
 */
import { describe, expect, it } from 'vitest';
import { pluginHostControl, startMonitor } from '../../src/monitor/index.js';
import { PluginHost } from '../../src/plugins/index.js';
import { PluginFixtures } from '../helpers/plugin-fixtures.js';

const HEAVY = `
const blob = new Uint8Array(4 * 1024 * 1024).fill(1); // module state: 4 MiB
const index = new Map();
export default {
  activate(ctx) {
    for (let i = 0; i < 1000; i++) index.set('k' + i, { i, label: 'entry ' + i });
    ctx.onCleanup(() => index.clear());
  },
  size: () => blob.length,
};`;
const LIGHT = 'export default { activate(ctx) { ctx.setInterval(() => {}, 60000); } };';

describe('per-plugin retained memory', () => {
  it('measures the bytes each inline plugin retains, in the host, the API and /metrics', async () => {
    await using fixtures = await PluginFixtures.create();
    await fixtures.plugin('heavy', { code: HEAVY });
    await fixtures.plugin('light', { code: LIGHT });
    await using host = new PluginHost({ dirs: [fixtures.dir], log: () => {} });
    await host.start();
    expect(host.get('heavy')!.retainedBytes).toBeUndefined(); // never measured: not a guess

    const measured = await host.measureMemory();
    const byId = Object.fromEntries(measured.map((m) => [m.id, m]));
    expect(byId.heavy!.retainedBytes).toBeGreaterThan(4 * 1024 * 1024);
    expect(byId.light!.retainedBytes).toBeLessThan(512 * 1024);
    expect(byId.heavy!.objects).toBeGreaterThan(0);
    expect(host.get('heavy')!.retainedBytes).toBe(byId.heavy!.retainedBytes);

    await using monitor = await startMonitor(host.manager, { plugins: pluginHostControl(host) });
    const auth = { authorization: `Bearer ${monitor.token}` };
    const post = await fetch(`${monitor.origin}/api/plugins/memory`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: '{}',
    });
    expect(post.status).toBe(200);
    const answer = (await post.json()) as { plugins: Array<{ id: string; retainedBytes: number }> };
    expect(answer.plugins.find((p) => p.id === 'heavy')!.retainedBytes).toBeGreaterThan(4 * 1024 * 1024);
    const { plugins } = (await (await fetch(`${monitor.origin}/api/plugins`, { headers: auth })).json()) as {
      plugins: Array<{ id: string; retainedBytes?: number }>;
    };
    expect(plugins.find((p) => p.id === 'heavy')!.retainedBytes).toBeGreaterThan(4 * 1024 * 1024);
    const metrics = await (await fetch(`${monitor.origin}/metrics`, { headers: auth })).text();
    expect(metrics).toMatch(/steward_plugin_retained_bytes\{plugin="heavy"\} \d{7,}/);

    // A reload makes the figure stale: it is dropped, not shown for the new generation.
    await host.reload('heavy');
    expect(host.get('heavy')!.retainedBytes).toBeUndefined();
  }, 90_000);
});
