/**
 * The dashboard as an operator meets it, in real Chromium over a real PluginHost with real plugin
 * folders: it fits a 360 px phone and a 1400 px screen (no horizontal overflow, no clipped tab,
 * the important columns first), shows trouble at a glance (failed and blocked plugins, leaks,
 * disposer failures), agrees with the host after actions, words things right, marks stale data
 * when the server goes and reconnects, and every action is reachable by keyboard.
 */
import type { Page } from 'playwright-core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ResourceManager } from '../../src/core/index.js';
import { type MonitorServer, pluginHostControl, startMonitor } from '../../src/monitor/index.js';
import { PluginHost } from '../../src/plugins/index.js';
import { chromiumPerFile, openPage } from '../helpers/browser-page.js';
import { PluginFixtures } from '../helpers/plugin-fixtures.js';

const LONG_ID = 'gallery/thumbnails-of-a-rather-long-component-identifier-2024-with-more';

let fx: PluginFixtures;
let manager: ResourceManager;
let host: PluginHost;
let server: MonitorServer | undefined;
let problems: string[];

chromiumPerFile();

beforeEach(async () => {
  fx = await PluginFixtures.create();
  await fx.plugin('gallery', {
    memoryLimit: 8192,
    code: `
const owners = [];
export default {
  activate(ctx) {
    ctx.setInterval(() => {}, 60000);
    const child = ctx.component.manager.register(owners, ${JSON.stringify(LONG_ID)}, { parent: ctx.component, state: 'active' });
    for (let i = 0; i < 12; i++) child.track(new Uint8Array(1024), { type: 'thumbnail', size: 1024, evictable: true });
    ctx.track({}, { type: 'socket', dispose() { throw new Error('socket already closed'); } });
  },
};`,
  });
  await fx.plugin('broken', {
    code: `export default { activate() { throw new Error('cannot open the database'); } };`,
  });
  await fx.plugin('needs-broken', {
    dependencies: { broken: '^1.0.0' },
    code: `export default { activate() {} };`,
  });
  manager = new ResourceManager({ leakTracking: true });
  host = new PluginHost({ manager, dirs: [fx.dir], log: () => {}, memoryPolicy: 'evict' });
  await host.start();
  server = await startMonitor(manager, {
    plugins: pluginHostControl(host),
    history: { intervalMs: 100 },
    events: { flushMs: 20 },
  });
  problems = [];
});
afterEach(async () => {
  await server?.close();
  await host.dispose();
  await manager.dispose({ force: true });
  await fx[Symbol.asyncDispose]();
});

async function open(width: number, height = 800): Promise<Page> {
  const opened = await openPage(undefined, { width, height });
  const { page } = opened;
  problems = opened.problems;
  await page.goto(server!.url);
  await page.locator('#components tbody tr[data-id="gallery"]').waitFor();
  return page;
}

const TABS = ['components', 'plugins', 'leaks', 'resources', 'process', 'statistics'];

/** Horizontal overflow of the page, and tabs cut off or out of the viewport. */
function layoutProblems(page: Page) {
  return page.evaluate(() => {
    const out: string[] = [];
    const doc = document.documentElement;
    if (doc.scrollWidth > window.innerWidth)
      out.push(`page is ${doc.scrollWidth}px wide in ${window.innerWidth}px`);
    for (const tab of document.querySelectorAll<HTMLElement>('[role=tab]')) {
      if (tab.hidden) continue;
      const box = tab.getBoundingClientRect();
      if (box.left < 0 || box.right > window.innerWidth) out.push(`tab ${tab.id} outside the viewport`);
      if (tab.scrollWidth > tab.clientWidth) out.push(`tab ${tab.id} text clipped`);
    }
    for (const el of document.querySelectorAll<HTMLElement>('main *')) {
      const box = el.getBoundingClientRect();
      if (box.width > 0 && box.right > window.innerWidth + 0.5 && getComputedStyle(el).position !== 'fixed') {
        const scroller = el.closest('.table-wrap, pre, .log');
        if (!scroller || scroller === el)
          out.push(`${el.tagName}.${el.className} ends at ${Math.round(box.right)}px`);
      }
    }
    return out;
  });
}

describe('layout on a phone and on a wide screen', () => {
  for (const width of [360, 1400]) {
    it(`every view fits ${width} px: no horizontal overflow, no clipped tab`, async () => {
      const page = await open(width);
      for (const tab of TABS) {
        await page.locator(`#tab-${tab}`).click();
        await page.waitForTimeout(300);
        expect(await layoutProblems(page), `${tab} at ${width}px`).toEqual([]);
      }
      // The components table: the most important columns first, and no sideways scrolling at all.
      await page.locator('#tab-components').click();
      const visibleHeads = await page
        .locator('#components thead th')
        .evaluateAll((ths) =>
          ths
            .filter((th) => (th as HTMLElement).offsetParent !== null)
            .map((th) => th.textContent?.replace(/[▲▼]/g, '').trim()),
        );
      expect(visibleHeads.slice(0, 3)).toEqual(['Component', 'State', 'Memory']);
      if (width === 1400)
        expect(visibleHeads).toEqual(['Component', 'State', 'Memory', 'Resources', 'Own', 'Type', 'Age']);
      const wrap = await page
        .locator('#panel-components .table-wrap')
        .evaluate((el) => [el.scrollWidth, el.clientWidth]);
      expect(wrap[0]).toBeLessThanOrEqual(wrap[1]!);
      expect(problems).toEqual([]);
    });
  }

  it('the event log keeps the message readable next to a long component id; severity matches meaning', async () => {
    const page = await open(360);
    // Fill the gallery's 8 KiB limit: the oldest thumbnails are evicted (routine), then a failing disposer (an error).
    const gallery = manager.get(LONG_ID)!;
    for (let i = 0; i < 4; i++)
      gallery.track(new Uint8Array(1024), { type: 'thumbnail', size: 1024, evictable: true });
    await host.deactivate('gallery');
    await page.locator('#tab-statistics').click();
    const eviction = page.locator('#event-log li', { hasText: 'evicted' }).first();
    await eviction.waitFor();
    expect(await eviction.getAttribute('data-severity')).toBe('info');
    const failure = page.locator('#event-log li', { hasText: 'socket already closed' }).first();
    await failure.waitFor();
    expect(await failure.getAttribute('data-severity')).toBe('error');
    const longEntry = page
      .locator('#event-log li', { hasText: 'thumbnail resource' })
      .filter({ hasText: LONG_ID })
      .first();
    await longEntry.waitFor();
    // The log re-renders on every batch: measure an entry that is in the page at that moment.
    const share = () =>
      longEntry.evaluate(
        (li) => li.querySelector('.etext')!.getBoundingClientRect().width / li.getBoundingClientRect().width,
      );
    await expect.poll(share).toBeGreaterThan(0.8);
    expect(await layoutProblems(page)).toEqual([]);
    // Wording: singular and plural, no "released, released".
    const log = (await page.locator('#event-log').innerText()).replace(/\s+/g, ' ');
    expect(log).not.toMatch(/\b1 (components|resources)\b|released \d+ \w+ \([^)]*\), released/);
    expect(log).toMatch(/1 socket resource released at cleanup|socket already closed/);
  });
});

describe('trouble at a glance', () => {
  it('the header counts failed and blocked plugins and leaks; failed plugins appear under Components', async () => {
    const page = await open(1400);
    const chips = await page.locator('#status button').allInnerTexts();
    expect(chips).toEqual(expect.arrayContaining(['1 plugin failed', '1 plugin blocked', 'no leaks']));
    expect(chips.some((c) => /^heap \d.*MiB · RSS \d.*MiB$/.test(c))).toBe(true);
    expect(await page.locator('#tab-plugins .tab-badge').textContent()).toBe('2');
    const broken = page.locator('#components tbody tr[data-id="plugin:broken"]');
    expect(await broken.locator('td').nth(1).textContent()).toBe('failed');
    await broken.click();
    expect(await page.locator('#details').innerText()).toContain('cannot open the database');
    expect(
      await page.locator('#components tbody tr[data-id="plugin:needs-broken"] td').nth(1).textContent(),
    ).toBe('blocked');
    // A leak is reported: the header, the badge and the Leaks view show it with its evidence.
    manager.reportLeak({
      kind: 'untracked-handle',
      component: manager.get('gallery')!,
      message: 'leaked setInterval (1000 ms)',
      stack: 'Error: Handle created here\n    at activate (file:///plugins/gallery/index.js:4:9)',
    });
    await expect
      .poll(() => page.locator('#status button', { hasText: 'leak' }).textContent())
      .toBe('1 leak finding');
    await page.locator('#status button', { hasText: 'leak finding' }).click();
    const finding = page.locator('#leak-list article').first();
    await finding.waitFor();
    const text = await finding.innerText();
    expect(text).toContain('untracked-handle');
    expect(text).toContain('leaked setInterval (1000 ms)');
    expect(text).toContain('index.js:4:9');
    expect(text).toMatch(/Retained size\s+not measured/);
    expect(text).toContain('Retainer path: not recorded');
    expect(problems).toEqual([]);
  });

  it('the plugin table has resources, memory against the limit and restarts; the Process view shows real memory', async () => {
    const page = await open(1400);
    await page.locator('#tab-plugins').click();
    const row = page.locator('#plugins tbody tr[data-plugin="gallery"]');
    const heads = await page.locator('#plugins thead th').allInnerTexts();
    const cell = async (title: string) => row.locator('td').nth(heads.indexOf(title)).innerText();
    expect(await cell('Resources')).toBe(String(host.get('gallery')!.resources));
    expect(await cell('Memory')).toBe(
      '12.0 KiB of 8.00 KiB'.replace('12.0 KiB', `${(host.get('gallery')!.bytes / 1024).toFixed(2)} KiB`),
    );
    expect(await cell('Restarts')).toBe('0');
    await page.locator('#tab-process').click();
    const cards = page.locator('#process .card');
    await cards.first().waitFor();
    expect(await cards.first().innerText()).toMatch(/Heap used\s+\d+(\.\d+)? MiB/);
    expect(await page.locator('#process table').innerText()).toMatch(/Timeout|TCPServerWrap/);
  });
});

describe('the views agree with the host', () => {
  it("cleaning up a plugin's component deactivates the plugin through its host; Unload is disabled when unloaded", async () => {
    const page = await open(1400);
    await page.locator('#components tbody tr[data-id="gallery"]').click();
    await page.getByRole('button', { name: 'Clean up…' }).click();
    expect(await page.locator('#confirm-text').textContent()).toContain('deactivated through its host');
    await page.locator('#confirm-ok').click();
    await expect.poll(() => page.locator('#toast').textContent()).toMatch(/plugin gallery deactivated/);
    expect(host.get('gallery')?.state).toBe('loaded');
    await page.locator('#tab-plugins').click();
    const row = page.locator('#plugins tbody tr[data-plugin="gallery"]');
    await expect.poll(() => row.locator('.badge').textContent()).toBe('loaded');
    expect(await row.locator('button.link').count()).toBe(0);
    await host.unload('gallery');
    await expect.poll(() => row.locator('.badge').textContent()).toBe('unloaded');
    expect(await row.getByRole('button', { name: 'Unload…' }).isDisabled()).toBe(true);
  });

  it('a reload that ends failed is reported as an error', async () => {
    const page = await open(1400);
    await page.locator('#tab-plugins').click();
    await page
      .locator('#plugins tbody tr[data-plugin="broken"]')
      .getByRole('button', { name: 'Reload…' })
      .click();
    await page.locator('#confirm-ok').click();
    await expect
      .poll(() => page.locator('#toast').textContent())
      .toMatch(/^Reload of plugin "broken" failed: .*cannot open the database/);
    expect(await page.locator('#toast').getAttribute('data-kind')).toBe('error');
  });
});

describe('when the server goes away', () => {
  it('marks the data stale, disables the actions, and reconnects', async () => {
    const page = await open(1400);
    await page.locator('#components tbody tr[data-id="gallery"]').click();
    const { port, token } = server!;
    await server!.close();
    server = undefined;
    await page.locator('#stale').waitFor();
    expect(await page.locator('#stale-text').textContent()).toMatch(
      /has not answered since \d\d:\d\d:\d\d.*stale/,
    );
    expect(await page.locator('#connection').textContent()).toBe('offline');
    expect(await page.getByRole('button', { name: 'Clean up…' }).isDisabled()).toBe(true);
    expect(await page.locator('#leak-check').isDisabled()).toBe(true);
    server = await startMonitor(manager, { port, token, plugins: pluginHostControl(host) });
    await page.locator('#reconnect').click();
    await page.locator('#stale').waitFor({ state: 'hidden' });
    await expect.poll(() => page.locator('#connection').textContent()).toBe('live');
    expect(await page.getByRole('button', { name: 'Clean up…' }).isDisabled()).toBe(false);
  });
});

describe('keyboard and charts', () => {
  it('every action is reachable with Tab and works with Enter', async () => {
    const page = await open(1400);
    const reached = new Set<string>();
    const name = () =>
      page.evaluate(() => {
        const el = document.activeElement as HTMLElement | null;
        return el ? `${el.tagName}:${el.id || el.dataset.key || el.textContent?.trim().slice(0, 30)}` : '';
      });
    const sweep = async () => {
      await page.locator('body').focus();
      for (let i = 0; i < 60; i++) {
        await page.keyboard.press('Tab');
        reached.add(await name());
      }
    };
    await page.locator('#components tbody tr[data-id="gallery"]').click();
    await sweep();
    for (const want of [
      'BUTTON:leak-check',
      'BUTTON:failed',
      'BUTTON:leaks',
      'BUTTON:tab-components',
      'BUTTON:cleanup',
      'BUTTON:pause-resume',
      'BUTTON:resources',
    ]) {
      expect(reached, want).toContain(want);
    }
    expect([...reached].some((r) => r.startsWith('TR:'))).toBe(true);
    expect([...reached].some((r) => r.startsWith('FIGURE:'))).toBe(true);
    // Plugins by keyboard: arrow to the tab, Tab to the reload button, Enter, confirm with Enter.
    await page.locator('#tab-components').focus();
    await page.keyboard.press('ArrowRight');
    expect(await page.locator('#panel-plugins').isVisible()).toBe(true);
    reached.clear();
    await sweep();
    expect(reached).toContain('BUTTON:gallery:reload');
    expect(reached).toContain('BUTTON:gallery:unload');
    await page.locator('[data-key="gallery:reload"]').focus();
    await page.keyboard.press('Enter');
    await page.locator('#confirm').waitFor();
    await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    await expect.poll(() => page.locator('#toast').textContent()).toBe('Plugin "gallery" reloaded.');
    expect(host.get('gallery')?.generation).toBe(1);
  });

  it('the memory chart has several time labels, a legend above the plot and values on hover and arrow keys', async () => {
    const page = await open(1400);
    await page.waitForTimeout(1500); // 15 samples at 100 ms
    await page.locator('#tab-statistics').click();
    const figure = page.locator('#chart figure');
    await figure.waitFor();
    await page.waitForTimeout(1200);
    await page.locator('#chart-component').selectOption('');
    // One label a second: three once the samples span three seconds (later on a loaded machine).
    const timeLabels = async () =>
      (await figure.locator('text.chart-axis').allTextContents()).filter((l) => /^\d\d:\d\d(:\d\d)?$/.test(l))
        .length;
    await expect.poll(timeLabels, { timeout: 20_000, interval: 200 }).toBeGreaterThanOrEqual(3);
    const [legendBottom, plotTop] = await figure.evaluate((f) => [
      f.querySelector('figcaption')!.getBoundingClientRect().bottom,
      f.querySelector('svg')!.getBoundingClientRect().top,
    ]);
    expect(legendBottom).toBeLessThanOrEqual(plotTop);
    const box = (await figure.locator('svg').boundingBox())!;
    await page.mouse.move(box.x + box.width * 0.6, box.y + box.height / 2);
    expect(await figure.locator('output').textContent()).toMatch(/^\d\d:\d\d:\d\d · all components \d/);
    await figure.focus();
    await page.keyboard.press('Home');
    const first = await figure.locator('output').textContent();
    await page.keyboard.press('End');
    expect(await figure.locator('output').textContent()).not.toBe(first);
  });
});
