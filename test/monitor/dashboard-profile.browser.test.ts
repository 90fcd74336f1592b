/**
 * The Plugins view's "Profile…" button in real Chromium over a real PluginHost with real plugin
 * folders: after a confirmation it shows the profile's progress, then the plugin's share of the
 * samples and its hottest function and line, and offers the `.cpuprofile` as a download; a profile
 * the monitor refuses (409 while another runs or the plugin is not active) is shown in the view. The
 * route stays behind the token like every action.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ResourceManager } from '../../src/core/index.js';
import { type MonitorServer, pluginHostControl, startMonitor } from '../../src/monitor/index.js';
import { PluginHost } from '../../src/plugins/index.js';
import { chromiumPerFile, openPage } from '../helpers/browser-page.js';
import { PluginFixtures } from '../helpers/plugin-fixtures.js';

chromiumPerFile();

// Busy a third of the time on the host's (this test's) thread; line 5 is its loop.
const BUSY = `export default {
  activate(ctx) {
    ctx.setInterval(function burnCpu() {
      const end = Date.now() + 15;
      while (Date.now() < end) {} // line 5: the busy loop
    }, 45);
  },
};
`;

let fx: PluginFixtures;
let manager: ResourceManager;
let host: PluginHost;
let server: MonitorServer;

beforeEach(async () => {
  fx = await PluginFixtures.create();
  await fx.plugin('busy', { code: BUSY });
  await fx.plugin('quiet', { code: 'export default { activate() {} };' });
  await fx.plugin('threaded', { isolation: 'worker', code: 'export default { activate() {} };' });
  manager = new ResourceManager();
  host = new PluginHost({ manager, dirs: [fx.dir], log: () => {} });
  await host.start();
  server = await startMonitor(manager, { plugins: pluginHostControl(host), events: { flushMs: 20 } });
});
afterEach(async () => {
  await server.close();
  await host.dispose();
  await manager.dispose({ force: true });
  await fx[Symbol.asyncDispose]();
});

async function pluginsTab(page: Page): Promise<void> {
  await page.locator('#tab-plugins').click();
  await page.locator('#plugins tbody tr[data-plugin="busy"]').waitFor();
}

async function profile(page: Page, id: string, seconds: number): Promise<void> {
  await page.locator('#profile-seconds').fill(String(seconds));
  await page.locator(`button[data-key="${id}:profile"]`).click();
  await expect.poll(() => page.locator('#confirm-text').textContent()).toContain(`plugin "${id}"`);
  await page.locator('#confirm-ok').click();
}

describe('the Plugins view profiles a plugin on demand', () => {
  it('shows progress, then the share and the hottest line, and downloads the .cpuprofile', async () => {
    const { page, problems } = await openPage(server.url, { downloads: true });
    await pluginsTab(page);
    await profile(page, 'busy', 2);
    const panel = page.locator('#profile-result');
    await expect
      .poll(() => panel.textContent(), { timeout: 20_000 })
      .toContain('Profiling plugin "busy" for 2 s');
    expect(await panel.locator('progress').count()).toBe(1);
    // While it runs, no second profile can be started from the page.
    await expect
      .poll(() => page.locator('button[data-key="quiet:profile"]').isDisabled(), { timeout: 20_000 })
      .toBe(true);
    await expect.poll(() => panel.textContent(), { timeout: 30_000 }).toContain('Profile of plugin "busy"');
    const text = (await panel.textContent()) ?? '';
    const share = Number(/([\d.]+)% of [\d,]+ samples/.exec(text)?.[1]);
    expect(share).toBeGreaterThan(20);
    expect(text).toMatch(new RegExp(`Hottest: burnCpu at .*${join('busy', 'index.js')}:5 `));
    expect(await page.locator('button[data-key="quiet:profile"]').isDisabled()).toBe(false);

    const [download] = await Promise.all([
      page.waitForEvent('download'),
      panel.getByRole('link', { name: 'Download .cpuprofile' }).click(),
    ]);
    expect(download.suggestedFilename()).toMatch(/^busy-\d{4}-\d\d-\d\dT[\d-]+Z\.cpuprofile$/);
    const saved = JSON.parse(await readFile((await download.path())!, 'utf8')) as {
      nodes: Array<{ callFrame: { functionName: string } }>;
      samples: number[];
    };
    expect(saved.samples.length).toBeGreaterThan(0);
    expect(saved.nodes.some((n) => n.callFrame.functionName === 'burnCpu')).toBe(true);
    expect(problems).toEqual([]);
  }, 90_000);

  it('shows a refusal: 409 while another profile runs or the plugin is not active; a worker plugin is profiled', async () => {
    const { page, problems } = await openPage(server.url);
    await pluginsTab(page);
    // Another client (steward profile, say) holds the profiler for a while.
    const token = new URL(server.url).searchParams.get('token');
    const other = fetch(`${new URL(server.url).origin}/api/plugins/busy/profile?seconds=4`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: '{}',
    });
    await profile(page, 'quiet', 1);
    const panel = page.locator('#profile-result');
    await expect
      .poll(() => panel.textContent(), { timeout: 20_000 })
      .toContain('No profile of plugin "quiet"');
    expect(await panel.getByRole('alert').textContent()).toMatch(/^The profiler is busy: /);
    expect((await other).status).toBe(200);

    // A worker plugin is profiled in its own thread.
    await profile(page, 'threaded', 1);
    await expect
      .poll(() => panel.textContent(), { timeout: 30_000 })
      .toContain('Profile of plugin "threaded"');
    // One that is not active is refused.
    await host.deactivate('threaded');
    await profile(page, 'threaded', 1);
    await expect
      .poll(() => panel.textContent(), { timeout: 20_000 })
      .toContain('No profile of plugin "threaded"');
    expect(await panel.getByRole('alert').textContent()).toMatch(/not active|is loaded/);
    // A length the API would refuse is not sent.
    await page.locator('#profile-seconds').fill('0');
    await page.locator('button[data-key="busy:profile"]').click();
    await expect
      .poll(() => page.locator('#toast').textContent(), { timeout: 20_000 })
      .toContain('whole number of seconds from 1 to 60');
    expect(await page.locator('#confirm').evaluate((d) => (d as HTMLDialogElement).open)).toBe(false);
    // The browser logs each refused request; nothing else went wrong.
    expect(problems.filter((p) => !p.includes('Failed to load resource'))).toEqual([]);
  }, 90_000);

  it('keeps the profile route behind the token', async () => {
    const response = await fetch(`${new URL(server.url).origin}/api/plugins/busy/profile?seconds=1`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(response.status).toBe(401);
  });
});
