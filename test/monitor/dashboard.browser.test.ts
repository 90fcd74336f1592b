/**
 * The dashboard in real Chromium (found by test/helpers/chromium.ts, driven by playwright-core): it shows
 * real components and values, updates live, runs actions only after confirmation, and the server
 * refuses actions without the token or from another origin.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { BrowserContext, Page } from 'playwright-core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ResourceManager } from '../../src/core/index.js';
import { type MonitorServer, startMonitor } from '../../src/monitor/index.js';
import { chromiumPerFile, openPage } from '../helpers/browser-page.js';
import { type ComponentPlugins, demoPlugins } from './plugin-control.js';

let context: BrowserContext;
let page: Page;
let manager: ResourceManager;
let plugins: ComponentPlugins;
let server: MonitorServer;
let problems: string[];
const owners: object[] = [];

chromiumPerFile();

beforeEach(async () => {
  manager = new ResourceManager({ leakTracking: true });
  plugins = demoPlugins(manager);
  plugins.activateAll();
  server = await startMonitor(manager, { plugins });
  ({ page, context, problems } = await openPage());
});
afterEach(async () => {
  // The page's context is closed after this (chromiumPerFile).
  await server.close();
  await manager.dispose({ force: true });
  owners.length = 0;
});

function row(id: string) {
  return page.locator(`#components tbody tr[data-id="${id}"]`);
}

async function cells(id: string): Promise<string[]> {
  return row(id).locator('td').allInnerTexts();
}

describe('dashboard in Chromium', () => {
  it('shows the real components with type, state, resources, memory and age; no placeholders', async () => {
    await page.goto(server.url);
    await row('terminal').waitFor();
    // Most important first: id, state, memory with children, resources, own memory, type, age.
    const [id, state, subtree, resources, own, type, age] = await cells('file-browser');
    expect(id).toContain('file-browser');
    expect([state, subtree, resources, own, type]).toEqual(['active', '352 KiB', '2', '256 KiB', 'plugin']);
    expect(age).toMatch(/^\d+(\.\d)? (ms|s)$/);
    expect((await cells('image-viewer')).slice(1, 6)).toEqual([
      'active',
      '576 KiB',
      '13',
      '576 KiB',
      'plugin',
    ]);
    expect((await cells('file-browser/tree-panel')).slice(1, 6)).toEqual([
      'active',
      '96.0 KiB',
      '2',
      '96.0 KiB',
      'panel',
    ]);
    const texts = await page.locator('#components tbody td').allInnerTexts();
    expect(texts).toHaveLength(4 * 7);
    for (const text of texts) expect(text.trim()).not.toMatch(/^(-|—|)$/);
    await expect.poll(() => page.locator('#connection').textContent()).toBe('live');
    expect(await page.locator('#status button').allInnerTexts()).toEqual([
      '3 of 3 plugins active',
      'no leaks',
      'tracked 932 KiB',
      expect.stringMatching(/^heap \d.* · RSS \d/),
    ]);
    expect(problems).toEqual([]);
  });

  it('updates live when a component is registered and when resources are tracked', async () => {
    await page.goto(server.url);
    await row('terminal').waitFor();
    const owner = {};
    owners.push(owner);
    const tab = manager.register(owner, 'editor-tab', {
      type: 'tab',
      parent: manager.get('terminal')!,
      state: 'active',
    });
    tab.track(new Uint8Array(3000), { type: 'memory', size: 3000 });
    await row('editor-tab').waitFor();
    await expect
      .poll(() => cells('editor-tab'))
      .toEqual([
        expect.stringContaining('editor-tab'),
        'active',
        '2.93 KiB',
        '1',
        '2.93 KiB',
        'tab',
        expect.any(String),
      ]);
    await expect.poll(async () => (await cells('terminal'))[2]).toBe('6.93 KiB');
    expect(problems).toEqual([]);
  });

  it('sorts, filters, switches to the flat view and works by keyboard', async () => {
    await page.goto(server.url);
    await row('terminal').waitFor();
    await page.locator('#components th button', { hasText: 'Memory' }).click();
    const order = () =>
      page
        .locator('#components tbody tr')
        .evaluateAll((rows) => rows.map((r) => (r as HTMLElement).dataset.id));
    expect(await order()).toEqual(['image-viewer', 'file-browser', 'file-browser/tree-panel', 'terminal']);
    await page.locator('input[name=component-view][value=flat]').check();
    expect(await order()).toEqual(['image-viewer', 'file-browser', 'file-browser/tree-panel', 'terminal']);
    await page.locator('#components th button', { hasText: 'Own' }).click();
    expect(await order()).toEqual(['image-viewer', 'file-browser', 'file-browser/tree-panel', 'terminal']);
    await page.fill('#component-filter', 'panel');
    expect(await order()).toEqual(['file-browser/tree-panel']);
    await page.fill('#component-filter', '');
    // Keyboard: focus the first row, move down, select with Enter.
    await row('image-viewer').focus();
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('Enter');
    await expect.poll(() => page.locator('#details h2').textContent()).toBe('file-browser');
    // One Tab leaves the table (roving tab stop) and reaches the panel's first action; the focus
    // survives the live re-render that a new component causes.
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Clean up…');
    const owner = {};
    owners.push(owner);
    manager.register(owner, 'zz-late');
    await row('zz-late').waitFor();
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Clean up…');
    await page.keyboard.press('Enter');
    await page.locator('#confirm').waitFor();
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('confirm-cancel');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    await expect.poll(() => manager.get('file-browser')).toBeUndefined();
    // Tabs with arrow keys.
    await page.locator('#tab-components').focus();
    await page.keyboard.press('ArrowRight');
    expect(await page.locator('#panel-plugins').isVisible()).toBe(true);
    expect(problems).toEqual([]);
  });

  it('cleans up a component only after confirmation', async () => {
    await page.goto(server.url);
    await row('file-browser').click();
    await page.getByRole('button', { name: 'Clean up…' }).click();
    const dialog = page.locator('#confirm');
    await dialog.waitFor();
    expect(await page.locator('#confirm-text').textContent()).toMatch(
      /Clean up "file-browser"\? Its 2 resources and 1 descendant component \(352 KiB\)/,
    );
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });
    expect(manager.get('file-browser')?.state).toBe('active');

    await page.getByRole('button', { name: 'Clean up…' }).click();
    await page.locator('#confirm-ok').click();
    await expect
      .poll(() => page.locator('#toast').textContent())
      .toMatch(/Cleaned up 2 components: 4 released, 0 failed/);
    expect(manager.get('file-browser')).toBeUndefined();
    await row('file-browser').waitFor({ state: 'detached' });
    expect(problems).toEqual([]);
  });

  it('reloads a plugin from the Plugins tab after confirmation', async () => {
    await page.goto(server.url);
    await row('terminal').waitFor();
    const before = manager.get('terminal');
    await page.locator('#tab-plugins').click();
    await page
      .locator('#plugins tr', { hasText: 'Terminal' })
      .getByRole('button', { name: 'Reload…' })
      .click();
    await page.locator('#confirm-ok').click();
    await expect.poll(() => page.locator('#toast').textContent()).toBe('Plugin "terminal" reloaded.');
    expect(manager.get('terminal')).not.toBe(before);
    expect(manager.get('terminal')?.state).toBe('active');
  });

  it("shows resources by type and one component's resources with metadata and creation stack", async () => {
    await page.goto(server.url);
    await row('image-viewer').click();
    await page.getByRole('button', { name: 'Show resources' }).click();
    const thumbnails = page.locator('#types tbody tr', { hasText: 'thumbnail' });
    expect(await thumbnails.locator('td').allInnerTexts()).toEqual(['thumbnail', '14', '672 KiB', '72.1%']);
    await expect.poll(() => page.locator('#resource-count').textContent()).toBe('13 resources');
    const first = page.locator('#resource-list tbody tr').first();
    expect(await first.textContent()).toContain('{"file":"photo-0.jpg"}');
    expect(await first.locator('summary').textContent()).toContain('plugin-control.ts');
  });

  it('refuses actions without the token, from another origin, and the page without the token', async () => {
    await page.goto(server.url);
    await row('terminal').waitFor();
    const status = await page.evaluate(async () => {
      const res = await fetch('/api/components/terminal/cleanup', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{}',
      });
      return res.status;
    });
    expect(status).toBe(401);
    expect(manager.get('terminal')?.state).toBe('active');

    // A page of another origin that knows the URL (even the token) cannot act.
    const other: Server = createServer((_req, res) => res.end('<!doctype html><title>other</title>'));
    await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
    try {
      const otherPage = await context.newPage();
      await otherPage.goto(`http://127.0.0.1:${(other.address() as AddressInfo).port}/`);
      const outcome = await otherPage.evaluate(
        async ({ origin, token }) => {
          try {
            const res = await fetch(`${origin}/api/components/terminal/cleanup`, {
              method: 'POST',
              headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
              body: '{}',
            });
            return `status ${res.status}`;
          } catch (error) {
            return `blocked: ${(error as Error).name}`;
          }
        },
        { origin: server.origin, token: server.token },
      );
      expect(outcome).toMatch(/^blocked|^status 403/);
      // A "simple" cross-site POST (no preflight) reaches the server, which refuses it (Origin);
      // the browser does not even hand the response over (Cross-Origin-Resource-Policy).
      const simple = await otherPage.evaluate(async (origin) => {
        try {
          const res = await fetch(`${origin}/api/components/terminal/cleanup`, {
            method: 'POST',
            mode: 'no-cors',
            body: '{}',
          });
          return res.type;
        } catch (error) {
          return `blocked: ${(error as Error).name}`;
        }
      }, server.origin);
      expect(simple).toMatch(/^opaque$|^blocked/);
      expect(manager.get('terminal')?.state).toBe('active');
      await otherPage.close();
    } finally {
      await new Promise((resolve) => other.close(resolve));
    }

    const bare = await context.newPage();
    const res = await bare.goto(server.origin);
    expect(res?.status()).toBe(401);
    expect(await bare.locator('body').textContent()).toMatch(/needs its access token/);
    await bare.close();
  });
});
