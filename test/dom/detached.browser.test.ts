/**
 * Detached-element detection in real Chromium: the three classic leak shapes of a closed tab (a
 * listener on window holding one of its nodes, a module-level cache of elements, a closure in a
 * timer) are each found after a collection, naming the component, the element and where it was
 * mounted; a clean tab opened and closed 20 times leaves none. Collections are forced over the
 * DevTools protocol, as a test would; the automatic path (no forced collection known to the page)
 * is checked too.
 */
import { describe, expect, it } from 'vitest';
import { DetachedElementsError } from '../../src/dom/errors.js';
import { detachedElements, expectNoDetachedElements } from '../../src/testing/index.js';
import { collectGarbage, useBrowserPage, type Win } from './browser-setup.js';

const s = useBrowserPage(async (t) => {
  await t.page.evaluate(`(async () => {
    window.tabs = await import('/fixtures/tabs.js');
    window.manager = new window.S.ResourceManager({ leakTracking: true });
    window.events = [];
    window.manager.on('leakDetected', (e) => window.events.push({ kind: e.kind, component: e.component.id, message: e.message }));
  })()`);
});

type Page = Win & {
  tabs: typeof import('./fixtures/tabs.js');
  manager: import('../../src/core/index.js').ResourceManager;
  events: Array<{ kind: string; component: string; message: string }>;
  main?: import('../../src/dom/index.js').DomLedger;
};

/** Open and close tab `id` (with `leak`) in the page. */
function openAndClose(id: string, leak?: string, withParent = false): Promise<void> {
  return s.t.page.evaluate(
    async ({ id, leak, withParent }) => {
      const w = window as unknown as Page;
      // The owner is kept by the page, as an application keeps its main window.
      w.mainWindow ??= { title: 'main window' };
      if (withParent)
        w.main ??= w.D.domLedger(
          w.manager.register(w.mainWindow as object, 'main-window', { type: 'window' }),
        );
      const tab = w.tabs.openTab(w.manager, id, { leak, ...(withParent ? { parent: w.main } : {}) });
      await tab.cleanup();
    },
    { id, leak, withParent },
  );
}

function check() {
  return s.t.page.evaluate(() => (window as unknown as Page).D.checkDetached());
}

describe('detached-element detection in Chromium', () => {
  for (const [leak, what] of [
    ['window-listener', 'a listener on window holding one of its nodes'],
    ['cache', 'a module-level cache of elements'],
    ['timer', 'a closure in a timer'],
  ] as const) {
    it(`finds a tab kept alive by ${what}`, async () => {
      await openAndClose('leaky', leak);
      await openAndClose('clean');
      await collectGarbage(s.t.cdp);
      const findings = await check();
      expect(findings).toHaveLength(1);
      const [finding] = findings;
      expect(finding).toMatchObject({
        kind: 'detached-element',
        component: 'leaky',
        componentType: 'tab',
        element: {
          tag: 'section',
          id: 'tab-leaky',
          classes: ['tab', 'media-tab'],
          path: 'html > body > main#app > section#tab-leaky.tab.media-tab',
        },
        holders: [],
      });
      expect(finding!.message).toMatch(
        /^Element section#tab-leaky\.tab\.media-tab \(html > body > main#app > section#tab-leaky\.tab\.media-tab\) of tab "leaky" is still in memory after the component's cleanup removed it: a detached DOM tree\. No record Steward knows holds it/,
      );
      expect(finding!.stack).toMatch(/fixtures\/tabs\.js/); // where it was mounted
      // Reported once as a leak event; a second check returns it again without a second event.
      expect(await check()).toHaveLength(1);
      const events = await s.t.page.evaluate(() => (window as unknown as Page).events);
      expect(events).toEqual([{ kind: 'detached-element', component: 'leaky', message: finding!.message }]);
      expect(await s.t.page.evaluate(() => (window as unknown as Page).manager.stats().leaksDetected)).toBe(
        1,
      );
    });
  }

  it('finds nothing after a clean tab was opened and closed 20 times', async () => {
    for (let i = 0; i < 20; i++) await openAndClose(`clean-${i}`);
    const waiting = await s.t.page.evaluate(() => (window as unknown as Page).D.pendingDetached());
    expect(waiting).toBeGreaterThan(0); // removed, not collected yet
    await collectGarbage(s.t.cdp);
    expect(await check()).toEqual([]);
    const after = await s.t.page.evaluate(() => {
      const w = window as unknown as Page;
      return { pending: w.D.pendingDetached(), events: w.events, components: w.manager.components().length };
    });
    expect(after).toEqual({ pending: 0, events: [], components: 0 });
  });

  it('names the record that holds the element when Steward knows it: a live component’s listener', async () => {
    await openAndClose('held', 'holder', true);
    await collectGarbage(s.t.cdp);
    const [finding, ...rest] = await check();
    expect(rest).toEqual([]);
    expect(finding!.holders).toEqual([
      {
        kind: 'listener',
        component: 'main-window',
        type: 'listener',
        resource: expect.any(Number),
        event: 'click',
        stack: expect.stringMatching(/fixtures\/tabs\.js/),
      },
    ]);
    expect(finding!.message).toMatch(
      /Held by a "click" listener of "main-window" \(#\d+\) on a node inside it\./,
    );
    // Releasing the holder lets the tree go.
    await s.t.page.evaluate(() => (window as unknown as Page).main!.cleanup());
    await collectGarbage(s.t.cdp);
    expect(await check()).toEqual([]);
  });

  it('an element put back into the document after cleanup is no finding', async () => {
    await s.t.page.evaluate(async () => {
      const w = window as unknown as Page;
      const tab = w.tabs.openTab(w.manager, 'moved');
      const root = document.getElementById('tab-moved')!;
      await tab.cleanup();
      document.body.append(root); // adopted by the app: somebody else's element now
    });
    await collectGarbage(s.t.cdp);
    expect(await check()).toEqual([]);
  });

  it('without being told a collection ran, reports only after full collections confirm it', async () => {
    await openAndClose('leaky', 'cache');
    await openAndClose('clean');
    // Nothing is reported before a collection (no false finding for an element not yet collected).
    expect(await s.t.page.evaluate(() => (window as unknown as Page).events)).toEqual([]);
    const events = async () =>
      s.t.page.evaluate(() => (window as unknown as Page).events.map((e) => e.component));
    for (let i = 0; i < 40 && (await events()).length === 0; i++) {
      await collectGarbage(s.t.cdp);
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(await events()).toEqual(['leaky']);
  });

  it('the in-page assertion passes for a clean tab and names the leak of a leaky one (gc() exposed)', async () => {
    await openAndClose('clean');
    expect(
      await s.t.page.evaluate(() =>
        (window as unknown as Page).D.expectNoDetachedElements().then(() => 'ok'),
      ),
    ).toBe('ok');
    await openAndClose('leaky', 'timer');
    const error = await s.t.page.evaluate(() =>
      (window as unknown as Page).D.expectNoDetachedElements().then(
        () => undefined,
        (e: Error & { code: string; findings: unknown[] }) => ({
          name: e.name,
          code: e.code,
          findings: e.findings.length,
          message: e.message,
        }),
      ),
    );
    expect(error).toMatchObject({
      name: 'DetachedElementsError',
      code: 'STEWARD_DETACHED_ELEMENTS',
      findings: 1,
    });
    expect(error!.message).toMatch(
      /^1 element\(s\) outlived the component that mounted them \(detached DOM\):\n- Element section#tab-leaky/,
    );
    expect(error!.message).toMatch(/mounted at .*fixtures\/tabs\.js/);
  });

  it('a ledger with detection off watches nothing', async () => {
    await s.t.page.evaluate(async () => {
      const w = window as unknown as Page;
      const tab = w.D.domLedger(w.manager.register('quiet'), { detectDetached: false });
      const el = tab.mount(document.createElement('div'), document.body);
      w.kept = el;
      await tab.cleanup();
    });
    await collectGarbage(s.t.cdp);
    expect(await check()).toEqual([]);
  });
});

describe("steward/testing's detachedElements over the DevTools protocol", () => {
  it('forces the collections itself and names what retains each leak, closures with their source', async () => {
    await openAndClose('leaky-listener', 'window-listener');
    await openAndClose('leaky-cache', 'cache');
    await openAndClose('leaky-timer', 'timer');
    await openAndClose('clean');
    const findings = await detachedElements(s.t.cdp);
    const paths = Object.fromEntries(findings.map((f) => [f.component, f.retainers!.join('\n')]));
    expect(Object.keys(paths).sort()).toEqual(['leaky-cache', 'leaky-listener', 'leaky-timer']);
    // A listener on window: Window → its listener → the closure (with its location) → the node.
    expect(paths['leaky-listener']).toMatch(
      /^Window\n(.*\n)*→ EventListener\n(.*\n)*→ function \(anonymous\) at http:\/\/127\.0\.0\.1:\d+\/fixtures\/tabs\.js:\d+:\d+\n\(closure variable\) \w+ → <section id="tab-leaky-listener" class="tab media-tab">$/,
    );
    // A module-level cache: the module's variable `elementCache`, a Map, its table, the node.
    expect(paths['leaky-cache']).toMatch(
      /\(closure variable\) elementCache → Map\n(.*\n)*→ <section id="tab-leaky-cache"/,
    );
    // A timer: Window → DOMTimer → the closure → the node.
    expect(paths['leaky-timer']).toMatch(
      /→ DOMTimer\n(.*\n)*→ function \(anonymous\) at .*fixtures\/tabs\.js:\d+:\d+\n.*<section id="tab-leaky-timer"/,
    );
  });

  it('expectNoDetachedElements passes for clean tabs and throws DetachedElementsError with the paths otherwise', async () => {
    for (let i = 0; i < 3; i++) await openAndClose(`clean-${i}`);
    await expect(expectNoDetachedElements(s.t.cdp)).resolves.toBeUndefined();
    await openAndClose('leaky', 'cache');
    const error = await expectNoDetachedElements(s.t.cdp).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DetachedElementsError);
    expect((error as DetachedElementsError).findings.map((f) => f.component)).toEqual(['leaky']);
    expect((error as Error).message).toMatch(/retained by: Window.*\n {4}/);
    expect((error as Error).message).toMatch(/elementCache → Map/);
    // Without retainers: the findings only, no snapshot.
    expect((await detachedElements(s.t.cdp, { retainers: false }))[0]!.retainers).toBeUndefined();
  });

  it('a page without steward/dom has no findings', async () => {
    const page = await s.t.context.newPage();
    await page.goto('about:blank');
    const cdp = await s.t.context.newCDPSession(page);
    expect(await detachedElements(cdp)).toEqual([]);
  });
});
