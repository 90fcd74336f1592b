/**
 * The setup the dashboard's browser tests share: one headless Chromium per test file
 * (`chromiumPerFile()`, closed after the file), and `openPage()`: a fresh browser context and
 * page at a URL, collecting what the page reports as wrong (console errors and warnings, uncaught
 * errors) into `problems`, so a test can end with `expect(problems).toEqual([])`. Contexts opened
 * by a test are closed after it.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { launchChromium } from './chromium.js';

/** A page opened by {@link openPage}. */
export interface OpenedPage {
  readonly page: Page;
  readonly context: BrowserContext;
  /** `console error: …`, `console warning: …` and `page error: …` lines, as they come. */
  readonly problems: string[];
}

let browser: Browser | undefined;
const contexts = new Set<BrowserContext>();

/** Launch Chromium before the file's tests and close it after them; close each test's contexts after it. */
export function chromiumPerFile(): { readonly browser: Browser } {
  beforeAll(async () => {
    browser = await launchChromium();
  });
  afterEach(async () => {
    for (const context of [...contexts]) await context.close();
    contexts.clear();
  });
  afterAll(async () => {
    await browser?.close();
    browser = undefined;
  });
  return {
    get browser(): Browser {
      // steward-allow-plain-error: a test helper's misuse, not a Steward error
      if (!browser) throw new Error('chromiumPerFile(): the browser is used outside a test');
      return browser;
    },
  };
}

/** A fresh context and page of the file's browser (see {@link chromiumPerFile}), at `url` if given. */
export async function openPage(
  url?: string,
  options: { readonly width?: number; readonly height?: number; readonly downloads?: boolean } = {},
): Promise<OpenedPage> {
  // steward-allow-plain-error: a test helper's misuse, not a Steward error
  if (!browser) throw new Error('openPage(): call chromiumPerFile() at the top of the test file');
  const context = await browser.newContext({
    viewport: { width: options.width ?? 1366, height: options.height ?? 768 },
    acceptDownloads: options.downloads ?? false,
  });
  contexts.add(context);
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  if (url !== undefined) await page.goto(url);
  return { page, context, problems };
}
