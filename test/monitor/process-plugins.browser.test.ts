/**
 * A process plugin in the monitor, outside in: the pid that `GET /api/plugins`, `/metrics` and
 * the dashboard's Plugins view (real Chromium) show is a live process, the plugin's own (a child
 * of this host, answering the plugin's service with its `process.pid`), with its RSS and CPU
 * time; once the plugin is unloaded that process is gone and no figure names it.
 */
import { readFileSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ResourceManager, tokenFor } from '../../src/core/index.js';
import { type MonitorServer, pluginHostControl, startMonitor } from '../../src/monitor/index.js';
import { pidExists } from '../../src/node/index.js';
import { PluginHost } from '../../src/plugins/index.js';
import { launchChromium } from '../helpers/chromium.js';
import { PluginFixtures } from '../helpers/plugin-fixtures.js';

let browser: Browser;
let fx: PluginFixtures;
let manager: ResourceManager;
let host: PluginHost;
let server: MonitorServer;

beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
});

beforeEach(async () => {
  fx = await PluginFixtures.create();
  await fx.plugin('thumbs', {
    isolation: 'process',
    provides: ['thumbs-pid'],
    code: `
import { tokenFor } from 'steward';
export default {
  activate(ctx) {
    ctx.setInterval(() => {}, 60000);
    ctx.services.provide(tokenFor('thumbs-pid'), { pid: () => process.pid });
  },
};`,
  });
  await fx.plugin('inline-one', { code: 'export default { activate() {} };' });
  manager = new ResourceManager();
  host = new PluginHost({
    manager,
    dirs: [fx.dir],
    log: () => {},
    workerStatsIntervalMs: 50,
    // Compiled plugins: the process needs none of the test runner's Node options.
    workerExecArgv: [],
  });
  await host.start();
  server = await startMonitor(manager, { plugins: pluginHostControl(host), events: { flushMs: 20 } });
});
afterEach(async () => {
  await server?.close();
  await host.dispose();
  await manager.dispose({ force: true });
  await fx[Symbol.asyncDispose]();
});

interface Listed {
  id: string;
  pid?: number;
  rss?: number;
  cpuMs?: number;
}

function auth(): RequestInit {
  return { headers: { authorization: `Bearer ${server.token}` } };
}

async function listed(id: string): Promise<Listed | undefined> {
  const res = await fetch(`${server.origin}/api/plugins`, auth());
  const body = (await res.json()) as { plugins: Listed[] };
  return body.plugins.find((p) => p.id === id);
}

async function metrics(): Promise<string> {
  return (await fetch(`${server.origin}/metrics`, auth())).text();
}

/** The parent pid of `pid` (field 4 of /proc/<pid>/stat), on Linux. */
function parentOf(pid: number): number | undefined {
  if (process.platform !== 'linux') return undefined;
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
}

async function processCell(page: Page, id: string): Promise<string> {
  const heads = await page.locator('#plugins thead th').allInnerTexts();
  return (
    (await page
      .locator(`#plugins tbody tr[data-plugin="${id}"] td`)
      .nth(heads.indexOf('Process'))
      .textContent()) ?? ''
  );
}

describe('a process plugin in the monitor', () => {
  it("shows the plugin process's live pid, RSS and CPU in the API, /metrics and the Plugins view", async () => {
    // The API: a pid, RSS and CPU time once the process has reported its figures.
    await expect.poll(async () => (await listed('thumbs'))?.rss, { timeout: 20_000 }).toBeGreaterThan(0);
    const info = (await listed('thumbs'))!;
    const pid = info.pid!;
    expect(pid).not.toBe(process.pid);
    expect(() => process.kill(pid, 0)).not.toThrow();
    expect(info.cpuMs).toBeGreaterThanOrEqual(0);
    // It is the plugin's own process: a child of this host, the pid the plugin's code sees.
    const parent = parentOf(pid);
    if (parent !== undefined) expect(parent).toBe(process.pid);
    const svc = manager.services.get(tokenFor<{ pid(): Promise<number> }>('thumbs-pid'));
    expect(await svc.pid()).toBe(pid);
    // An inline plugin has no process of its own.
    expect((await listed('inline-one'))?.pid).toBeUndefined();

    // /metrics: RSS and CPU of that pid.
    const text = await metrics();
    expect(text).toMatch(
      new RegExp(`steward_plugin_process_resident_bytes\\{plugin="thumbs",pid="${pid}"\\} [1-9]\\d*`),
    );
    expect(text).toMatch(
      new RegExp(`steward_plugin_process_cpu_seconds\\{plugin="thumbs",pid="${pid}"\\} \\d`),
    );
    expect(text).not.toMatch(/steward_plugin_process_resident_bytes\{plugin="inline-one"/);

    // The dashboard's Plugins view.
    const context = await browser.newContext({ viewport: { width: 1400, height: 800 } });
    try {
      const page = await context.newPage();
      await page.goto(server.url);
      await page.locator('#tab-plugins').click();
      await page.locator('#plugins tbody tr[data-plugin="thumbs"]').waitFor();
      await expect
        .poll(() => processCell(page, 'thumbs'), { timeout: 20_000 })
        .toMatch(new RegExp(`^pid ${pid} · RSS \\d+(\\.\\d+)? MiB · CPU \\d`));
      expect(await processCell(page, 'inline-one')).toBe("host's");

      // Unloaded: the process is gone, and neither the view nor /metrics name it any more.
      await host.unload('thumbs');
      expect(pidExists(pid)).toBe(false);
      await expect.poll(() => processCell(page, 'thumbs'), { timeout: 20_000 }).toBe('not running');
      expect((await listed('thumbs'))?.pid).toBeUndefined();
      expect(await metrics()).not.toContain(`pid="${pid}"`);
    } finally {
      await context.close();
    }
  });
});
