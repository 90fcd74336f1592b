/**
 * The dashboard dogfoods steward/dom, checked in real Chromium: the page, its event stream and the
 * view on screen are components of the page's own ResourceManager; showing another view removes
 * the old view's listeners and stops its polling (seen from the browser's network), reconnecting
 * closes the old stream (seen from the server's side), disposing the page's manager closes the
 * stream and stops every timer, and switching views leaves no detached element behind.
 */
import type { BrowserContext, CDPSession, Page } from 'playwright-core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ResourceManager } from '../../src/core/index.js';
import { type MonitorServer, startMonitor } from '../../src/monitor/index.js';
import { expectNoDetachedElements } from '../../src/testing/index.js';
import { chromiumPerFile, openPage } from '../helpers/browser-page.js';
import { type ComponentPlugins, demoPlugins } from './plugin-control.js';

let context: BrowserContext;
let page: Page;
let manager: ResourceManager;
let plugins: ComponentPlugins;
let server: MonitorServer;
let requests: string[];
/** How long to wait for what the page or the server will see: the machine may be loaded. */
const SLOW = { timeout: 20_000 };

chromiumPerFile();
beforeEach(async () => {
  manager = new ResourceManager();
  plugins = demoPlugins(manager);
  plugins.activateAll();
  server = await startMonitor(manager, { plugins });
  ({ page, context } = await openPage());
  requests = [];
  page.on('request', (r) => requests.push(new URL(r.url()).pathname));
  await page.goto(server.url);
  await page.locator('#components tbody tr[data-id="terminal"]').waitFor();
});
afterEach(async () => {
  // The page's context is closed after this (chromiumPerFile).
  await server.close();
  await manager.dispose({ force: true });
});

interface OwnComponent {
  id: string;
  state: string;
  /** Resource count by type. */
  byType: Record<string, number>;
}

// Page-side code is passed as text: the test runner rewrites `import()` in functions it compiles.
const OWN = `import('/assets/ledger.js').then(({ manager }) =>
  manager.snapshot().components.map((c) => ({
    id: c.id,
    state: c.state,
    byType: Object.fromEntries(Object.entries(c.byType).map(([type, totals]) => [type, totals.count])),
  })))`;
const DISPOSE = `import('/assets/ledger.js').then(async ({ manager }) => {
  await manager.dispose();
  const { components, activeResources } = manager.stats();
  return { components, activeResources };
})`;

/** The dashboard's own components, read from its manager inside the page. */
function own(): Promise<OwnComponent[]> {
  return page.evaluate(OWN);
}
const ids = async () => (await own()).map((c) => c.id).sort();

/** Requests to `path` made during `ms` from now. */
async function requestsDuring(path: string, ms: number): Promise<number> {
  const from = requests.length;
  await page.waitForTimeout(ms);
  return requests.slice(from).filter((p) => p === path).length;
}

describe("the dashboard's own resources, owned with steward/dom", () => {
  it('the page, its stream and the view on screen are components with their listeners, timers and socket', async () => {
    await expect.poll(ids, SLOW).toEqual(['dashboard', 'dashboard/stream', 'dashboard/view/components']);
    const components = await own();
    const pageComponent = components.find((c) => c.id === 'dashboard');
    const stream = components.find((c) => c.id === 'dashboard/stream');
    expect(pageComponent!.byType.listener).toBeGreaterThan(6); // tabs, header, pagehide
    expect(pageComponent!.byType.timer).toBeGreaterThanOrEqual(1); // the slow poll
    expect(stream!.byType).toMatchObject({ socket: 1, listener: 3 });
    await expect.poll(() => server.streamClients, SLOW).toBe(1);
  });

  it("showing another view cleans the old one up: the Process view's polling stops when it is left", async () => {
    await page.getByRole('tab', { name: 'Process' }).click();
    await expect.poll(ids, SLOW).toEqual(['dashboard', 'dashboard/stream', 'dashboard/view/process']);
    expect((await own()).find((c) => c.id === 'dashboard/view/process')!.byType.timer).toBe(1);
    await expect.poll(() => requestsDuring('/api/process', 2500), { timeout: 20_000 }).toBeGreaterThan(0);

    await page.getByRole('tab', { name: 'Statistics' }).click();
    await expect.poll(ids, SLOW).toEqual(['dashboard', 'dashboard/stream', 'dashboard/view/statistics']);
    // Its inputs' listeners are the statistics view's: 3 (chart, event type, filter).
    expect((await own()).find((c) => c.id === 'dashboard/view/statistics')!.byType.listener).toBe(3);
    // A request already on the wire may land after the switch; after that, none for 3 polls.
    await page.waitForTimeout(500);
    expect(await requestsDuring('/api/process', 6000)).toBe(0);
  });

  it('reconnecting closes the old event stream before opening the new one (seen from the server)', async () => {
    await expect.poll(() => server.streamClients, SLOW).toBe(1);
    for (let i = 0; i < 3; i++) await page.evaluate(() => document.getElementById('reconnect')!.click());
    await expect.poll(() => requests.filter((p) => p === '/api/events').length, SLOW).toBe(4);
    await expect.poll(() => server.streamClients, SLOW).toBe(1);
    expect((await ids()).filter((id) => id === 'dashboard/stream')).toHaveLength(1);
  });

  it("disposing the page's manager closes the stream and stops every timer", async () => {
    await expect.poll(() => server.streamClients, SLOW).toBe(1);
    const left = await page.evaluate(DISPOSE);
    expect(left).toEqual({ components: 0, activeResources: 0 });
    await expect.poll(() => server.streamClients, SLOW).toBe(0);
    await page.waitForTimeout(500);
    expect(await requestsDuring('/api/snapshot', 6000)).toBe(0);
  });

  it('switching views 20 times leaves no detached element and one view component', async () => {
    const cdp: CDPSession = await context.newCDPSession(page);
    const names = ['Process', 'Statistics', 'Leaks', 'Resources', 'Plugins', 'Components'];
    for (let i = 0; i < 20; i++) await page.getByRole('tab', { name: names[i % names.length]! }).click();
    await expect.poll(ids, SLOW).toEqual(['dashboard', 'dashboard/stream', 'dashboard/view/statistics']);
    await expectNoDetachedElements(cdp);
  });
});
