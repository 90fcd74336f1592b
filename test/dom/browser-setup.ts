/**
 * Shared set-up of the steward/dom browser tests: one Chromium (with `gc()` exposed), one page
 * server, a fresh page per test with `steward` and `steward/dom` loaded as `window.S` / `window.D`,
 * and every console error or page error collected (a test fails on any).
 */
import { join } from 'node:path';
import type { Browser, BrowserContext, CDPSession, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, expect } from 'vitest';
import { launchChromium } from '../helpers/chromium.js';
import { type PageServer, startPageServer } from '../helpers/page-server.js';

/** What a test's page holds: the modules as the page imported them. */
export type Win = typeof globalThis & {
  S: typeof import('../../src/core/index.js');
  D: typeof import('../../src/dom/index.js');
  [key: string]: unknown;
};

export interface BrowserEnv {
  browser: Browser;
  server: PageServer;
}

/** Launch the browser and the server (once per file). */
export async function startBrowserEnv(): Promise<BrowserEnv> {
  const [browser, server] = await Promise.all([
    launchChromium(['--js-flags=--expose-gc']),
    startPageServer({ fixtures: join(import.meta.dirname, 'fixtures') }),
  ]);
  return { browser, server };
}

export async function stopBrowserEnv(env: BrowserEnv | undefined): Promise<void> {
  await env?.browser.close();
  await env?.server.close();
}

export interface TestPage {
  context: BrowserContext;
  page: Page;
  cdp: CDPSession;
  problems: string[];
}

/** A fresh page at the server's test page with the modules loaded. */
export async function openTestPage(env: BrowserEnv, path = '/'): Promise<TestPage> {
  const context = await env.browser.newContext();
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console error: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  await page.goto(new URL(path, env.server.url).href);
  await loadModules(page);
  const cdp = await context.newCDPSession(page);
  return { context, page, cdp, problems };
}

/** What `useBrowserPage` gives a test file: filled in by its hooks. */
export interface BrowserTestState {
  env: BrowserEnv;
  t: TestPage;
  /** Console messages the current test causes on purpose (reset after each test). */
  expected: RegExp[];
}

/**
 * Register the hooks of a browser test file: the browser and server once, a fresh page per test
 * (then `onPage`), and after each test the page closed and no unexpected console or page error.
 */
export function useBrowserPage(onPage?: (t: TestPage) => Promise<void>): BrowserTestState {
  const state = { expected: [] } as unknown as BrowserTestState;
  beforeAll(async () => {
    state.env = await startBrowserEnv();
  });
  afterAll(async () => {
    await stopBrowserEnv(state.env);
  });
  beforeEach(async () => {
    state.t = await openTestPage(state.env);
    await onPage?.(state.t);
  });
  afterEach(async () => {
    await state.t.context.close();
    const expected = state.expected;
    state.expected = [];
    expect(state.t.problems.filter((p) => !expected.some((re) => re.test(p)))).toEqual([]);
  });
  return state;
}

/**
 * Import `steward` and `steward/dom` in `page` as `window.S` / `window.D` (a string: Vitest would
 * rewrite an `import()` inside a function handed to `page.evaluate`).
 */
export async function loadModules(page: Page): Promise<void> {
  await page.evaluate(`(async () => {
    window.S = await import('steward');
    window.D = await import('steward/dom');
  })()`);
}

/** Listeners the browser itself has on `expression`'s object (DevTools' getEventListeners). */
export async function browserListeners(cdp: CDPSession, expression: string): Promise<string[]> {
  const { result } = await cdp.send('Runtime.evaluate', { expression, objectGroup: 'listeners' });
  const { listeners } = await cdp.send('DOMDebugger.getEventListeners', { objectId: result.objectId! });
  await cdp.send('Runtime.releaseObjectGroup', { objectGroup: 'listeners' });
  return listeners.map((l) => l.type).sort();
}

/** Two full collections, forced over the DevTools protocol. */
export async function collectGarbage(cdp: CDPSession): Promise<void> {
  await cdp.send('HeapProfiler.collectGarbage');
  await cdp.send('HeapProfiler.collectGarbage');
}
