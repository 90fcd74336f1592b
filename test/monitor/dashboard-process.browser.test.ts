/**
 * The figures of a plugin's own process, outside in: a real process plugin and a worker plugin
 * under a real PluginHost; the pid the host reports is a live process that is not the host, its
 * RSS and CPU reach `GET /api/plugins`, `/metrics` and the dashboard's Plugins view (real Chromium,
 * at 360 px and at 1400 px).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tokenFor } from '../../src/core/index.js';
import { type MonitorServer, pluginHostControl, startMonitor } from '../../src/monitor/index.js';
import { PluginHost } from '../../src/plugins/index.js';
import { chromiumPerFile, openPage } from '../helpers/browser-page.js';
import { PluginFixtures } from '../helpers/plugin-fixtures.js';

let fx: PluginFixtures;
let host: PluginHost;
let server: MonitorServer;

chromiumPerFile();

beforeEach(async () => {
  fx = await PluginFixtures.create();
  await fx.plugin('proc', {
    isolation: 'process',
    provides: ['burn'],
    code: `import { tokenFor } from 'steward';
    export default {
      activate(ctx) {
        ctx.setInterval(() => {}, 1000);
        ctx.services.provide(tokenFor('burn'), {
          // Spin until the process itself has used \`ms\` more CPU time (whatever the machine's load).
          burn(ms) { const start = process.cpuUsage(); while (process.cpuUsage(start).user / 1000 < ms) {} },
        });
      },
    };`,
  });
  await fx.plugin('thread', {
    isolation: 'worker',
    code: `export default { activate(ctx) { ctx.setInterval(() => {}, 1000); } };`,
  });
  host = new PluginHost({
    dirs: [fx.dir],
    storageDir: `${fx.root}/storage`,
    // The plugins' own reports come once a minute: the figures the host shows are its own reads.
    workerStatsIntervalMs: 60_000,
    workerExecArgv: [],
    log: () => {},
  });
  await host.start();
  server = await startMonitor(host.manager, { port: 0, plugins: pluginHostControl(host) });
});
afterEach(async () => {
  await server?.close();
  await host.dispose();
  await fx[Symbol.asyncDispose]();
});

/** `pid` is a live process (signal 0 reaches it). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function api<T>(path: string): Promise<T> {
  const res = await fetch(`${server.origin}${path}`, {
    headers: { authorization: `Bearer ${server.token}` },
  });
  expect(res.status).toBe(200);
  return (path === '/metrics' ? res.text() : res.json()) as Promise<T>;
}

describe("a plugin's own process in the monitor", () => {
  it('host.list(), GET /api/plugins and /metrics carry the pid, RSS and CPU of a live process that is not the host', async () => {
    const info = host.get('proc')!;
    expect(info.state).toBe('active');
    const pid = info.pid!;
    expect(pid).toBeGreaterThan(0);
    expect(pid).not.toBe(process.pid);
    expect(alive(pid)).toBe(true);
    expect(info.rss).toBeGreaterThan(0);
    expect(info.cpuMs).toBeGreaterThanOrEqual(0);
    expect(host.get('thread')!.threadId).toBeGreaterThan(0);
    expect(host.get('thread')!.pid).toBeUndefined();

    const { plugins } = await api<{ plugins: Array<Record<string, unknown>> }>('/api/plugins');
    const proc = plugins.find((p) => p.id === 'proc')!;
    expect(proc).toMatchObject({ pid, isolation: 'process' });
    expect(proc.rss).toBeGreaterThan(0);
    expect(typeof proc.cpuMs).toBe('number');
    expect(plugins.find((p) => p.id === 'thread')!.threadId).toBe(host.get('thread')!.threadId);

    const metrics = await api<string>('/metrics');
    const rss = /^steward_plugin_rss_bytes\{plugin="proc"\} (\d+)$/m.exec(metrics);
    expect(rss, metrics).not.toBeNull();
    expect(Number(rss![1])).toBeGreaterThan(0);
    expect(metrics).toMatch(/^steward_plugin_cpu_seconds_total\{plugin="proc"\} [\d.e-]+$/m);
    expect(metrics).toContain('# TYPE steward_plugin_cpu_seconds_total counter');
    expect(metrics).not.toMatch(/steward_plugin_rss_bytes\{plugin="thread"\}/);

    await host.unload('proc');
    await expect.poll(() => alive(pid), { timeout: 20_000 }).toBe(false);
    expect(host.get('proc')!.pid).toBeUndefined();
  });

  it("the CPU time is the host's own read of the process (Linux /proc), fresh between the plugin's reports", async () => {
    const before = host.get('proc')!.cpuMs!;
    const burner = host.manager.services.get(tokenFor('burn')) as unknown as {
      burn(ms: number): Promise<void>;
    };
    await burner.burn(500);
    // The plugin reports every 60 s; without the host's own read the figure would not move yet.
    await expect
      .poll(() => host.get('proc')!.cpuMs! - before, { timeout: 20_000 })
      .toBeGreaterThanOrEqual(400);
  });

  for (const width of [360, 1400]) {
    it(`the Plugins view shows the process plugin's pid and the worker's thread at ${width} px`, async () => {
      const { page, problems } = await openPage(server.url, { width, height: 800 });
      await page.locator('#tab-plugins').click();
      const row = page.locator('#plugins tbody tr[data-plugin="proc"]');
      await row.waitFor();
      const cell = row.locator('td[data-label="Process"]');
      const pid = host.get('proc')!.pid!;
      await expect
        .poll(() => cell.textContent(), { timeout: 20_000 })
        .toMatch(new RegExp(`pid ${pid} · .+ RSS · .+ CPU`));
      const thread = page.locator('#plugins tbody tr[data-plugin="thread"] td[data-label="Process"]');
      expect(await thread.textContent()).toContain(`thread ${host.get('thread')!.threadId}`);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      expect(overflow).toBeLessThanOrEqual(0);
      if (width === 360) {
        const box = (await cell.boundingBox())!;
        expect(box.x + box.width).toBeLessThanOrEqual(width);
      }
      expect(problems.filter((p) => p.startsWith('page error'))).toEqual([]);
    });
  }
});
