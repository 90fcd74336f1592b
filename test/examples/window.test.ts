/**
 * The window plugin's server, as a browser and an attacker meet it: the app with its import map,
 * Steward's browser build, exifr's ES module build and the photos on 127.0.0.1; foreign Host
 * headers, cross-origin posts, bad mirror updates and paths outside its folders refused; the
 * page's mirror cleaned up when the page says it is gone and when the plugin unloads.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type ExamplesHost, raw, SAMPLES, startExamples } from './examples-host.js';

interface WindowApp {
  readonly url: string;
  mirror(): { connected: boolean; components: string[]; resources: number; findings: number };
}

let ex: ExamplesHost;
let app: WindowApp;

beforeEach(async () => {
  ex = await startExamples();
  app = ex.service<WindowApp>('window.app');
});
afterEach(async () => {
  await ex[Symbol.asyncDispose]();
});

const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
  raw(new URL(path, app.url).href, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });

describe('window plugin: the web app server', () => {
  it('serves the app with an import map, the browser build, exifr and the photos; logs its URL', async () => {
    expect(ex.logs).toContain(`info [window] web app: ${app.url}`);
    const page = await fetch(app.url);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const html = await page.text();
    expect(html).toContain(
      '<script type="importmap">{"imports":{"steward":"/steward/core/index.js","steward/dom":"/steward/dom/index.js"}}</script>',
    );
    for (const path of [
      '/steward/dom/index.js',
      '/steward/core/index.js',
      '/vendor/exifr.js',
      '/shared/exif.js',
      '/app/main.js',
    ]) {
      const res = await fetch(new URL(path, app.url));
      expect([path, res.status, res.headers.get('content-type')]).toEqual([
        path,
        200,
        'text/javascript; charset=utf-8',
      ]);
    }
    const photos = (await (await fetch(new URL('/api/photos', app.url))).json()) as Array<{
      file: string;
      bytes: number;
    }>;
    expect(photos).toEqual(SAMPLES.map((p) => ({ file: p.file, bytes: p.bytes })));
    const jpeg = await fetch(new URL(`/photos/${SAMPLES[0]!.file}`, app.url));
    expect([jpeg.headers.get('content-type'), (await jpeg.arrayBuffer()).byteLength]).toEqual([
      'image/jpeg',
      SAMPLES[0]!.bytes,
    ]);
  });

  it('refuses foreign Host headers, cross-origin posts, other methods and paths outside its folders', async () => {
    const foreign = await raw(app.url, { headers: { host: 'evil.example:80' } });
    expect([foreign.status, foreign.body]).toEqual([403, 'Forbidden: unexpected Host header.']);
    const cross = await post('/api/mirror', { components: [] }, { origin: 'http://evil.example' });
    expect([cross.status, cross.body]).toEqual([403, 'Forbidden: cross-origin request.']);
    expect((await raw(app.url, { method: 'DELETE' })).status).toBe(405);
    for (const path of [
      '/app/../index.js',
      '/app/%2e%2e/http.js',
      '/photos/../photos.json',
      '/app/',
      '/steward/node/index.js',
    ]) {
      expect([path, (await raw(new URL(path, app.url).href, {})).status]).toEqual([path, 404]);
    }
    expect((await raw(`${app.url}app/%E0%A4%A`, {})).status).toBe(400);
    const huge = await post('/api/mirror', `"${'x'.repeat(300 * 1024)}"`);
    expect([huge.status, huge.body]).toEqual([413, 'Error: body too large']);
  });

  it('mirrors the page into the host, refuses malformed updates, and drops the page when it says it is gone', async () => {
    const manager = ex.host.manager;
    for (const [body, message] of [
      ['{', 'the body is not JSON'],
      [{}, 'expected { components: [...], findings: [...] }'],
      [
        { components: [{ id: 'x', type: 't', resources: [{ id: 1.5, type: 'listener', size: 0 }] }] },
        'integer id',
      ],
      [
        { components: [{ id: 'x', type: 't', resources: [{ id: 1, type: 'memory', size: -1 }] }] },
        'size >= 0',
      ],
    ] as const) {
      const res = await post('/api/mirror', body);
      expect(res.status).toBe(400);
      expect(res.body).toContain(message);
    }
    expect(manager.get('window/page')).toBeUndefined(); // nothing half-registered
    const update = {
      components: [
        { id: 'main-window', type: 'window', resources: [{ id: 1, type: 'listener', size: 0 }] },
        {
          id: 'example#1',
          type: 'tab',
          parent: 'main-window',
          resources: [
            { id: 2, type: 'element', size: 0 },
            { id: 3, type: 'memory', size: 1048576 },
          ],
        },
      ],
      findings: [{ component: 'example#1', message: 'Element section#view-example-1 … detached DOM tree.' }],
    };
    expect((await post('/api/mirror', update)).status).toBe(204);
    expect((await post('/api/mirror', update)).status).toBe(204); // the same state again: nothing changes
    const tab = manager.get('window/page/example#1')!;
    expect([tab.type, tab.parent?.id, tab.bytes, tab.resources().map((r) => r.type)]).toEqual([
      'tab',
      'window/page/main-window',
      1048576,
      ['element', 'memory'],
    ]);
    expect(manager.get('window/page')!.parent?.id).toBe('window');
    expect(
      ex.logs.filter((l) => l.startsWith('warn [window] page: Element section#view-example-1')),
    ).toHaveLength(1);
    // The tab closes in the page: its mirror goes.
    expect((await post('/api/mirror', { components: [update.components[0]], findings: [] })).status).toBe(
      204,
    );
    expect(manager.get('window/page/example#1')).toBeUndefined();
    expect(app.mirror()).toMatchObject({ connected: true, components: ['main-window'], resources: 1 });
    // The page goes (its pagehide beacon).
    expect((await post('/api/mirror/close', '')).status).toBe(204);
    await expect.poll(() => manager.get('window/page')).toBeUndefined();
    expect(app.mirror()).toMatchObject({ connected: false, components: [] });
  });

  it('unloading the plugin closes its server and cleans up the mirror', async () => {
    expect(
      (await post('/api/mirror', { components: [{ id: 'main-window', type: 'window', resources: [] }] }))
        .status,
    ).toBe(204);
    await ex.host.unload('window');
    expect(ex.host.manager.components().filter((c) => c.id.startsWith('window'))).toEqual([]);
    await expect(fetch(app.url)).rejects.toThrow();
  });
});
