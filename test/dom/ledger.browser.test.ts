/**
 * steward/dom's ledger in real Chromium: every kind of browser resource it acquires is released
 * at the component's cleanup, checked from the page (no listener fires, the observer stops, the
 * URL no longer fetches, the bitmap is closed) and from outside it (the browser's own listener
 * list over the DevTools protocol, the WebSocket and event stream seen ending by the server).
 */
import { describe, expect, it } from 'vitest';
import { browserListeners, useBrowserPage, type Win } from './browser-setup.js';

const s = useBrowserPage();

/** A fetch of a revoked URL: a console message the test causes on purpose. */
const REVOKED_FETCH = /Failed to load resource: net::ERR_FILE_NOT_FOUND/;

describe('steward/dom ledger in Chromium', () => {
  it('removes every listener at cleanup through the one signal, as the browser itself lists them', async () => {
    await s.t.page.evaluate(() => {
      const w = window as unknown as Win;
      const manager = new w.S.ResourceManager();
      const tab = w.D.domLedger(manager.register('tab', { type: 'tab' }));
      const button = document.createElement('button');
      button.id = 'b';
      tab.mount(button, document.getElementById('app')!);
      const calls: string[] = [];
      tab.listen(window, 'resize', () => calls.push('resize'));
      tab.listen(window, 'keydown', () => calls.push('keydown'), true);
      tab.listen(window, 'scroll', () => calls.push('scroll'), { passive: true });
      tab.listen(button, 'click', () => calls.push('click'));
      tab.listen(button, 'click', { handleEvent: () => calls.push('click-object') }, { capture: true });
      Object.assign(w, { tab, calls, manager });
    });
    expect(await browserListeners(s.t.cdp, 'window')).toEqual(['keydown', 'resize', 'scroll']);
    expect(await browserListeners(s.t.cdp, 'document.getElementById("b")')).toEqual(['click', 'click']);
    const before = await s.t.page.evaluate(() => {
      const w = window as unknown as Win & {
        calls: string[];
        tab: import('../../src/dom/index.js').DomLedger;
      };
      document.getElementById('b')!.click();
      window.dispatchEvent(new Event('resize'));
      return { calls: [...w.calls], resources: w.tab.component.resourceCount };
    });
    expect(before).toEqual({ calls: ['click-object', 'click', 'resize'], resources: 6 });
    // Keep the button (detached) to click it after cleanup.
    const after = await s.t.page.evaluate(async () => {
      const w = window as unknown as Win & {
        calls: string[];
        tab: import('../../src/dom/index.js').DomLedger;
      };
      const button = document.getElementById('b')!;
      w.kept = button;
      w.calls.length = 0;
      await w.tab.cleanup();
      button.click();
      window.dispatchEvent(new Event('resize'));
      window.dispatchEvent(new KeyboardEvent('keydown'));
      return { calls: w.calls, aborted: w.tab.signal.aborted, connected: button.isConnected };
    });
    expect(after).toEqual({ calls: [], aborted: true, connected: false });
    expect(await browserListeners(s.t.cdp, 'window')).toEqual([]);
    expect(await browserListeners(s.t.cdp, 'window.kept')).toEqual([]);
  });

  it('a once listener leaves the ledger when it fires, one with its own signal when that aborts, a released one alone', async () => {
    const out = await s.t.page.evaluate(() => {
      const w = window as unknown as Win;
      const manager = new w.S.ResourceManager();
      const tab = w.D.domLedger(manager.register('tab'));
      const target = new EventTarget();
      const calls: string[] = [];
      tab.listen(target, 'x', () => calls.push('once'), { once: true });
      const own = new AbortController();
      tab.listen(target, 'x', () => calls.push('own'), { signal: own.signal });
      const released = tab.listen(target, 'x', () => calls.push('released'));
      tab.listen(target, 'x', () => calls.push('stays'));
      const start = tab.component.resourceCount;
      target.dispatchEvent(new Event('x'));
      const afterOnce = tab.component.resourceCount;
      own.abort();
      const afterAbort = tab.component.resourceCount;
      released.release();
      calls.length = 0;
      target.dispatchEvent(new Event('x'));
      const preAborted = tab.listen(target, 'x', () => calls.push('never'), { signal: AbortSignal.abort() });
      target.dispatchEvent(new Event('y'));
      return {
        start,
        afterOnce,
        afterAbort,
        end: tab.component.resourceCount,
        calls,
        preAborted: preAborted.released,
      };
    });
    // 4 listeners + the abort listener on `own` (itself once).
    expect(out).toEqual({
      start: 5,
      afterOnce: 4,
      afterAbort: 2,
      end: 1,
      calls: ['stays'],
      preAborted: true,
    });
  });

  it('cancels timeouts, intervals, animation frames and idle callbacks; fired ones leave the ledger', async () => {
    const out = await s.t.page.evaluate(async () => {
      const w = window as unknown as Win;
      const manager = new w.S.ResourceManager();
      const tab = w.D.domLedger(manager.register('tab'));
      const calls = { timeout: 0, interval: 0, frame: 0, idle: 0, fired: 0 };
      tab.setTimeout(() => calls.fired++, 0);
      await new Promise((r) => setTimeout(r, 20));
      const afterFired = tab.component.resourceCount;
      tab.setTimeout(() => calls.timeout++, 1000);
      tab.setInterval(() => calls.interval++, 5);
      tab.requestAnimationFrame(() => calls.frame++);
      tab.requestIdleCallback(() => calls.idle++);
      const types = tab.component.resources().map((r) => r.type);
      await new Promise((r) => setTimeout(r, 30));
      const intervalRan = calls.interval > 0;
      await tab.cleanup();
      const frozen = { ...calls };
      await new Promise((r) => setTimeout(r, 120));
      await new Promise((r) => requestAnimationFrame(r));
      return {
        afterFired,
        types,
        intervalRan,
        fired: calls.fired,
        same: JSON.stringify(frozen) === JSON.stringify(calls),
        timeout: calls.timeout,
      };
    });
    expect(out).toEqual({
      afterFired: 0,
      types: ['timer', 'timer', 'animation-frame', 'idle-callback'],
      intervalRan: true,
      fired: 1,
      same: true,
      timeout: 0,
    });
  });

  it('disconnects resize, mutation and intersection observers', async () => {
    const out = await s.t.page.evaluate(async () => {
      const w = window as unknown as Win;
      const manager = new w.S.ResourceManager();
      const tab = w.D.domLedger(manager.register('tab'));
      const box = document.createElement('div');
      box.style.width = '10px';
      box.style.height = '10px';
      document.getElementById('app')!.append(box);
      const seen = { resize: 0, mutation: 0, intersection: 0 };
      const frame = () => new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
      tab.observeResize(box, () => seen.resize++);
      const mutations = tab.observeMutations(box, () => seen.mutation++, { attributes: true });
      tab.observeIntersection([box], () => seen.intersection++);
      await frame();
      await frame();
      box.style.width = '20px';
      box.setAttribute('data-x', '1');
      await frame();
      await frame();
      const before = { ...seen };
      await tab.cleanup();
      box.style.width = '30px';
      box.setAttribute('data-x', '2');
      box.style.marginTop = '5000px';
      await frame();
      await frame();
      return { before, after: seen, pending: mutations.takeRecords().length };
    });
    expect(out.before.resize).toBeGreaterThanOrEqual(2);
    expect(out.before.mutation).toBeGreaterThanOrEqual(1);
    expect(out.before.intersection).toBeGreaterThanOrEqual(1);
    expect(out.after).toEqual(out.before);
    expect(out.pending).toBe(0);
  });

  it('revokes object URLs (a fetch of one fails) and counts blob sizes as memory', async () => {
    s.expected = [REVOKED_FETCH];
    const out = await s.t.page.evaluate(async () => {
      const w = window as unknown as Win;
      const manager = new w.S.ResourceManager();
      const tab = w.D.domLedger(manager.register('tab'));
      const url = tab.objectUrl(new Blob(['x'.repeat(1000)], { type: 'text/plain' }));
      const early = tab.objectUrl(new Blob(['y'.repeat(24)]));
      const bytes = [tab.component.bytes, manager.totalBytes];
      const text = await (await fetch(url)).text();
      const releasedEarly = tab.release(early);
      const again = tab.release(early);
      const bytesAfterEarly = tab.component.bytes;
      await tab.cleanup();
      const failures: string[] = [];
      for (const u of [url, early]) {
        try {
          await fetch(u);
        } catch (error) {
          failures.push((error as Error).name);
        }
      }
      return {
        bytes,
        length: text.length,
        releasedEarly,
        again,
        bytesAfterEarly,
        failures,
        total: manager.totalBytes,
      };
    });
    expect(out).toEqual({
      bytes: [1024, 1024],
      length: 1000,
      releasedEarly: true,
      again: false,
      bytesAfterEarly: 1000,
      failures: ['TypeError', 'TypeError'],
      total: 0,
    });
  });

  it('evicts least recently used object URLs under an evict limit (revoked)', async () => {
    s.expected = [REVOKED_FETCH];
    const out = await s.t.page.evaluate(async () => {
      const w = window as unknown as Win;
      const manager = new w.S.ResourceManager();
      const tab = w.D.domLedger(manager.register('tab', { memoryLimit: { bytes: 250, policy: 'evict' } }));
      const urls = [0, 1, 2].map(() => tab.objectUrl(new Blob([new Uint8Array(100)]), { evictable: true }));
      const alive = async (u: string) =>
        fetch(u).then(
          () => true,
          () => false,
        );
      return { urls: await Promise.all(urls.map(alive)), bytes: tab.component.bytes };
    });
    expect(out).toEqual({ urls: [false, true, true], bytes: 200 });
  });

  it('closes image bitmaps and video frames, counting their pixels', async () => {
    const out = await s.t.page.evaluate(async () => {
      const w = window as unknown as Win;
      const manager = new w.S.ResourceManager();
      const tab = w.D.domLedger(manager.register('tab'));
      const canvas = new OffscreenCanvas(16, 8);
      canvas.getContext('2d')!.fillRect(0, 0, 16, 8);
      const bitmap = tab.bitmap(await createImageBitmap(canvas));
      const frame = tab.videoFrame(new VideoFrame(canvas, { timestamp: 0 }));
      const bytes = tab.component.resources().map((r) => [r.type, r.size]);
      await tab.cleanup();
      return { bytes, bitmapWidth: bitmap.width, frameFormat: frame.format, total: manager.totalBytes };
    });
    expect(out.bytes[0]).toEqual(['image-bitmap', 16 * 8 * 4]);
    expect(out.bytes[1]![0]).toBe('video-frame');
    expect(out.bytes[1]![1]).toBeGreaterThanOrEqual(16 * 8);
    expect(out).toMatchObject({ bitmapWidth: 0, frameFormat: null, total: 0 });
  });

  it('closes a WebSocket with 1000 as the server sees it; a socket the server ends leaves the ledger', async () => {
    const opened = await s.t.page.evaluate(async () => {
      const w = window as unknown as Win;
      const manager = new w.S.ResourceManager();
      const tab = w.D.domLedger(manager.register('tab'));
      const socket = tab.webSocket(`${location.origin.replace('http', 'ws')}/ws/tab`);
      await new Promise((r) => socket.addEventListener('message', r, { once: true }));
      Object.assign(w, { tab, socket });
      return tab.component.resources().map((r) => r.type);
    });
    expect(opened).toEqual(['socket', 'listener']);
    const connection = s.env.server.sockets.find((c) => c.path === '/ws/tab' && !c.ended)!;
    expect(connection.closeCode).toBeUndefined();
    await s.t.page.evaluate(() =>
      (window as unknown as { tab: { cleanup(): Promise<unknown> } }).tab.cleanup(),
    );
    await expect.poll(() => connection.closeCode).toBe(1000);
    await expect.poll(() => connection.ended).toBe(true);
  });

  it('closes an event stream: the server sees it end', async () => {
    expect(s.env.server.openStreams()).toBe(0);
    await s.t.page.evaluate(async () => {
      const w = window as unknown as Win;
      const manager = new w.S.ResourceManager();
      const tab = w.D.domLedger(manager.register('tab'));
      const source = tab.eventSource('/events');
      await new Promise((r) => source.addEventListener('message', r, { once: true }));
      w.tab = tab;
    });
    expect(s.env.server.openStreams()).toBe(1);
    const state = await s.t.page.evaluate(async () => {
      const tab = (window as unknown as { tab: import('../../src/dom/index.js').DomLedger }).tab;
      const source = tab.component.resources()[0]!.value as EventSource;
      await tab.cleanup();
      return source.readyState;
    });
    expect(state).toBe(2); // CLOSED
    await expect.poll(() => s.env.server.openStreams()).toBe(0);
  });

  it('closes broadcast channels, message ports and message channels: nothing arrives after cleanup', async () => {
    const out = await s.t.page.evaluate(async () => {
      const w = window as unknown as Win;
      const manager = new w.S.ResourceManager();
      const tab = w.D.domLedger(manager.register('tab'));
      const got: string[] = [];
      const channel = tab.broadcastChannel('steward-test');
      channel.onmessage = (e) => got.push(`bc:${e.data}`);
      const { port1, port2 } = new MessageChannel();
      tab.port(port1).onmessage = (e) => got.push(`port:${e.data}`);
      const pair = tab.messageChannel();
      pair.port2.onmessage = (e) => got.push(`pair:${e.data}`);
      const sender = new BroadcastChannel('steward-test');
      const send = async (n: number) => {
        sender.postMessage(n);
        port2.postMessage(n);
        try {
          pair.port1.postMessage(n);
        } catch {
          got.push('pair closed');
        }
        await new Promise((r) => setTimeout(r, 50));
      };
      await send(1);
      await tab.cleanup();
      await send(2);
      let closedPost = '';
      try {
        channel.postMessage('x');
      } catch (error) {
        closedPost = (error as Error).name;
      }
      sender.close();
      return { got: got.sort(), closedPost };
    });
    expect(out).toEqual({ got: ['bc:1', 'pair:1', 'port:1'], closedPost: 'InvalidStateError' });
  });

  it('terminates a Web Worker: its heartbeat stops and its own socket to the server ends', async () => {
    const beats = await s.t.page.evaluate(async () => {
      const w = window as unknown as Win;
      const manager = new w.S.ResourceManager();
      const tab = w.D.domLedger(manager.register('tab'));
      const worker = tab.worker('/fixtures/heartbeat-worker.js');
      const seen = { beats: 0 };
      await new Promise<void>((resolve) => {
        worker.onmessage = (e) => {
          if (e.data === 'beat') seen.beats++;
          if (e.data === 'socket-open') resolve();
        };
      });
      Object.assign(w, { tab, seen });
      return tab.component.resources().map((r) => [r.type, r.metadata]);
    });
    expect(beats).toEqual([['worker', { url: '/fixtures/heartbeat-worker.js' }]]);
    const socket = s.env.server.sockets.find((c) => c.path === '/ws/worker' && !c.ended)!;
    const after = await s.t.page.evaluate(async () => {
      const w = window as unknown as {
        tab: import('../../src/dom/index.js').DomLedger;
        seen: { beats: number };
      };
      await w.tab.cleanup();
      await new Promise((r) => setTimeout(r, 30));
      const at = w.seen.beats;
      await new Promise((r) => setTimeout(r, 150));
      return { at, later: w.seen.beats };
    });
    expect(after.later).toBe(after.at);
    await expect.poll(() => socket.ended).toBe(true);
  });

  it('removes mounted elements and takes style sheets out; an element removed by someone else is no error', async () => {
    const out = await s.t.page.evaluate(async () => {
      const w = window as unknown as Win;
      const manager = new w.S.ResourceManager();
      const tab = w.D.domLedger(manager.register('tab'));
      const app = document.getElementById('app')!;
      const panel = tab.mount(document.createElement('section'), app);
      panel.className = 'panel';
      const first = document.createElement('p');
      app.prepend(first);
      const before = tab.mount(document.createElement('aside'), app, first);
      const gone = tab.mount(document.createElement('div'), app);
      gone.remove(); // someone else removes it first
      const sheet = tab.style('.panel { color: rgb(1, 2, 3); }');
      const colour = getComputedStyle(panel).color;
      const order = [...app.children].map((e) => e.localName);
      const report = await tab.cleanup();
      return {
        colour,
        order,
        released: report.released,
        failed: report.failed.length,
        children: [...app.children].map((e) => e.localName),
        adopted: document.adoptedStyleSheets.includes(sheet),
        beforeConnected: before.isConnected,
      };
    });
    expect(out).toEqual({
      colour: 'rgb(1, 2, 3)',
      order: ['aside', 'p', 'section'],
      released: 4,
      failed: 0,
      children: ['p'],
      adopted: false,
      beforeConnected: false,
    });
  });

  it('child ledgers are cleaned before their parent and their memory counts into it', async () => {
    const out = await s.t.page.evaluate(async () => {
      const w = window as unknown as Win;
      const manager = new w.S.ResourceManager();
      const window_ = w.D.domLedger(manager.register('main-window', { type: 'window' }));
      const tab = window_.child('media', { type: 'tab' });
      const order: string[] = [];
      tab.onCleanup(() => order.push('tab'));
      window_.onCleanup(() => order.push('window'));
      tab.objectUrl(new Blob([new Uint8Array(512)]));
      const bytes = [
        window_.component.bytes,
        window_.component.ownBytes,
        tab.component.type,
        tab.component.parent?.id,
      ];
      await window_.cleanup();
      return { bytes, order, components: manager.components().length, tabAborted: tab.signal.aborted };
    });
    expect(out).toEqual({
      bytes: [512, 0, 'tab', 'main-window'],
      order: ['tab', 'window'],
      components: 0,
      tabAborted: true,
    });
  });

  it('refuses every acquisition after cleanup: disposes what was handed in, creates nothing, reports it', async () => {
    const out = await s.t.page.evaluate(async () => {
      const w = window as unknown as Win;
      const manager = new w.S.ResourceManager();
      const leaks: string[] = [];
      manager.on('leakDetected', (e) => leaks.push(`${e.kind}:${e.component.id}`));
      const tab = w.D.domLedger(manager.register('closed-tab'));
      await tab.cleanup();
      const canvas = new OffscreenCanvas(4, 4);
      canvas.getContext('2d')!.fillRect(0, 0, 4, 4);
      const bitmap = await createImageBitmap(canvas);
      const element = document.createElement('div');
      document.body.append(element);
      const { port1 } = new MessageChannel();
      const calls: string[] = [];
      const attempts: Record<string, () => unknown> = {
        listen: () => tab.listen(window, 'resize', () => calls.push('resize')),
        setTimeout: () => tab.setTimeout(() => calls.push('timeout'), 0),
        setInterval: () => tab.setInterval(() => calls.push('interval'), 1),
        requestAnimationFrame: () => tab.requestAnimationFrame(() => calls.push('frame')),
        requestIdleCallback: () => tab.requestIdleCallback(() => calls.push('idle')),
        observeResize: () => tab.observeResize(element, () => calls.push('resize-observer')),
        observeMutations: () =>
          tab.observeMutations(element, () => calls.push('mutation'), { attributes: true }),
        observeIntersection: () => tab.observeIntersection(element, () => calls.push('intersection')),
        objectUrl: () => tab.objectUrl(new Blob(['x'])),
        bitmap: () => tab.bitmap(bitmap),
        webSocket: () => tab.webSocket(`${location.origin.replace('http', 'ws')}/ws/refused`),
        eventSource: () => tab.eventSource('/events'),
        broadcastChannel: () => tab.broadcastChannel('refused'),
        port: () => tab.port(port1),
        messageChannel: () => tab.messageChannel(),
        worker: () => tab.worker('/fixtures/heartbeat-worker.js'),
        mount: () => tab.mount(element),
        style: () => tab.style('p { color: red }'),
        child: () => tab.child('late-child'),
      };
      const errors: Record<string, string> = {};
      for (const [name, attempt] of Object.entries(attempts)) {
        try {
          attempt();
          errors[name] = 'accepted';
        } catch (error) {
          errors[name] = (error as Error).name;
        }
      }
      element.setAttribute('data-x', '1');
      window.dispatchEvent(new Event('resize'));
      await new Promise((r) => setTimeout(r, 60));
      return {
        errors,
        calls,
        bitmapClosed: bitmap.width === 0,
        elementRemoved: !element.isConnected,
        leaks: leaks.length,
        sheets: document.adoptedStyleSheets.length,
        message: (() => {
          try {
            tab.objectUrl(new Blob(['x']));
          } catch (error) {
            return (error as Error).message;
          }
        })(),
      };
    });
    expect(Object.values(out.errors)).toEqual(Object.values(out.errors).map(() => 'UseAfterCleanupError'));
    expect(Object.keys(out.errors)).toHaveLength(19);
    expect(out).toMatchObject({ calls: [], bitmapClosed: true, elementRemoved: true, sheets: 0 });
    expect(out.leaks).toBe(18); // every refusal but the child's registration is a use-after-cleanup leak event
    expect(out.message).toMatch(/component "closed-tab": it is destroyed/);
    expect(s.env.server.sockets.some((c) => c.path === '/ws/refused')).toBe(false);
  });

  it('rejects bad arguments with errors that say what was expected', async () => {
    const out = await s.t.page.evaluate(() => {
      const w = window as unknown as Win;
      const tab = w.D.domLedger(new w.S.ResourceManager().register('tab'));
      const messages: string[] = [];
      const attempts = [
        () => tab.listen(null as never, 'click', () => {}),
        () => tab.listen(window, 'click', null as never),
        () => tab.mount('div' as never),
        () => tab.observeResize(['x' as never], () => {}),
      ];
      for (const attempt of attempts) {
        try {
          attempt();
          messages.push('accepted');
        } catch (error) {
          messages.push(`${(error as Error).name}: ${(error as Error).message}`);
        }
      }
      return { messages, resources: tab.component.resourceCount };
    });
    expect(out.messages[0]).toMatch(
      /^TypeError: listen\("click"\): target must be an EventTarget \(got null\)/,
    );
    expect(out.messages[1]).toMatch(/^TypeError: listen\("click"\): listener must be a function/);
    expect(out.messages[2]).toMatch(/^TypeError: mount\(\): element must be an Element \(got string div\)/);
    expect(out.messages[3]).toMatch(/^TypeError/);
    expect(out.resources).toBe(0); // nothing half-registered
  });
});

describe('steward/dom where the engine lacks what it needs', () => {
  it('throws DomUnsupportedError at import without WeakRef / FinalizationRegistry', async () => {
    const page = await s.t.context.newPage();
    await page.addInitScript(() => {
      // @ts-expect-error simulate an engine without them
      delete globalThis.WeakRef;
      // @ts-expect-error simulate an engine without them
      delete globalThis.FinalizationRegistry;
    });
    await page.goto(s.env.server.url);
    const error = await page.evaluate(`import('steward/dom').then(
      () => 'imported',
      (e) => ({ name: e.name, code: e.code, missing: e.missing, message: e.message }),
    )`);
    expect(error).toMatchObject({
      name: 'DomUnsupportedError',
      code: 'STEWARD_DOM_UNSUPPORTED',
      missing: ['WeakRef', 'FinalizationRegistry'],
    });
    expect((error as { message: string }).message).toMatch(/no WeakRef and FinalizationRegistry/);
  });
});
