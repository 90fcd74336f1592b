import { afterEach, describe, expect, it, vi } from 'vitest';
import { ResourceManager } from '../../src/core/index.js';
import { type MonitorServer, startMonitor } from '../../src/monitor/index.js';
import { raw } from './http-client.js';
import { demoPlugins } from './plugin-control.js';

const owners: object[] = [];
let manager: ResourceManager;
let server: MonitorServer | undefined;

afterEach(async () => {
  await server?.close();
  server = undefined;
  await manager?.dispose({ force: true });
  owners.length = 0;
});

async function setup(options: Parameters<typeof startMonitor>[1] = {}) {
  manager = new ResourceManager({ leakTracking: true });
  const plugins = demoPlugins(manager);
  plugins.activateAll();
  server = await startMonitor(manager, { plugins, ...options });
  const auth = { authorization: `Bearer ${server.token}` };
  const post = (path: string, body = '{}', headers: Record<string, string> = {}) =>
    raw(`${server!.origin}${path}`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json', origin: server!.origin, ...headers },
      body,
    });
  return { manager, plugins, server, auth, post };
}

describe('startMonitor: binding and options', () => {
  it('binds 127.0.0.1 on a free port and prints a URL with a 32-character token', async () => {
    const { server } = await setup();
    expect(server.origin).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(server.port).toBeGreaterThan(0);
    expect(server.token).toMatch(/^[\w-]{32}$/);
    expect(server.url).toBe(`${server.origin}/?token=${server.token}`);
  });

  it('refuses a non-loopback bind without allowRemote, and without a token', async () => {
    manager = new ResourceManager();
    await expect(startMonitor(manager, { host: '0.0.0.0' })).rejects.toThrow(
      /not a loopback address.*allowRemote/,
    );
    await expect(startMonitor(manager, { host: '0.0.0.0', allowRemote: true })).rejects.toThrow(
      /explicit token/,
    );
    await expect(startMonitor(manager, { token: 'short' })).rejects.toThrow(/at least 16 characters/);
    await expect(startMonitor(manager, { port: 70000 })).rejects.toThrow(/at most 65535/);
  });

  it('reports a taken port clearly and leaves nothing running', async () => {
    const { server } = await setup();
    await expect(startMonitor(manager, { port: server.port })).rejects.toThrow(
      new RegExp(`cannot listen on 127.0.0.1:${server.port}.*EADDRINUSE`),
    );
  });

  it('accepts a chosen token', async () => {
    const token = 'a-chosen-token-of-sufficient-length';
    const { server } = await setup({ token });
    expect(server.token).toBe(token);
    const res = await raw(`${server.origin}/api/stats`, { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(200);
  });
});

describe('access control', () => {
  it('needs the token for the API, the page, the stream and /metrics', async () => {
    const { server } = await setup();
    for (const path of ['/api/snapshot', '/api/stats', '/api/plugins', '/metrics', '/api/events', '/']) {
      const res = await raw(`${server.origin}${path}`);
      expect(res.status, path).toBe(401);
    }
    const wrong = await raw(`${server.origin}/api/snapshot`, { headers: { authorization: 'Bearer nope' } });
    expect(wrong.status).toBe(401);
    expect(wrong.json().error).toMatch(/Missing or wrong token/);
    expect(wrong.headers['www-authenticate']).toMatch(/^Bearer/);
  });

  it('takes ?token= only for the page and the event stream, not for the JSON API', async () => {
    const { server } = await setup();
    const page = await raw(`${server.origin}/?token=${server.token}`);
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toMatch(/text\/html/);
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    expect(page.headers['set-cookie']).toBeUndefined();
    const api = await raw(`${server.origin}/api/snapshot?token=${server.token}`);
    expect(api.status).toBe(401);
  });

  it('serves static assets without the token, and nothing outside the assets folder', async () => {
    const { server } = await setup();
    const js = await raw(`${server.origin}/assets/dashboard.js`);
    expect(js.status).toBe(200);
    expect(js.headers['content-type']).toMatch(/text\/javascript/);
    expect(js.headers['x-content-type-options']).toBe('nosniff');
    expect((await raw(`${server.origin}/assets/../server.ts`)).status).toBe(401);
    expect((await raw(`${server.origin}/assets/%2e%2e%2fserver.ts`)).status).toBe(404);
    expect((await raw(`${server.origin}/assets/index.html`)).status).toBe(404);
  });

  it('refuses foreign Host headers (DNS rebinding) and accepts the loopback names', async () => {
    const { server, auth } = await setup();
    const url = `${server.origin}/api/stats`;
    for (const host of [`evil.example:${server.port}`, `127.0.0.1:${server.port + 1}`, 'localhost']) {
      const res = await raw(url, { headers: { ...auth, host } });
      expect(res.status, host).toBe(403);
    }
    for (const host of [`127.0.0.1:${server.port}`, `localhost:${server.port}`, `[::1]:${server.port}`]) {
      const res = await raw(url, { headers: { ...auth, host } });
      expect(res.status, host).toBe(200);
    }
  });

  it('refuses actions from another origin, without the bearer token, or without JSON', async () => {
    const { server, post, manager } = await setup();
    const path = '/api/components/terminal/cleanup';
    expect((await post(path, '{}', { origin: 'http://evil.example' })).status).toBe(403);
    expect((await post(path, '{}', { 'sec-fetch-site': 'cross-site' })).status).toBe(403);
    const noToken = await raw(`${server.origin}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: server.origin },
    });
    expect(noToken.status).toBe(401);
    const queryToken = await raw(`${server.origin}${path}?token=${server.token}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: server.origin },
    });
    expect(queryToken.status).toBe(401);
    expect(
      (await post(path, 'reason=x', { 'content-type': 'application/x-www-form-urlencoded' })).status,
    ).toBe(415);
    expect((await post(path, '{not json')).status).toBe(400);
    expect(manager.get('terminal')?.state).toBe('active');
  });
});

describe('JSON API', () => {
  it('GET /api/snapshot: the component tree with types, states, resources, memory, ages and plugins', async () => {
    const { server, auth } = await setup();
    const snap = (await raw(`${server.origin}/api/snapshot`, { headers: auth })).json();
    const ids = snap.components.map((c: { id: string }) => c.id);
    expect(ids).toEqual(['file-browser', 'file-browser/tree-panel', 'image-viewer', 'terminal']);
    const browser = snap.components[0];
    expect(browser).toMatchObject({
      type: 'plugin',
      state: 'active',
      resources: 2,
      ownBytes: 256 * 1024,
      subtreeBytes: (256 + 96) * 1024,
      children: ['file-browser/tree-panel'],
    });
    expect(browser.ageMs).toBeGreaterThanOrEqual(0);
    expect(snap.stats.byType.thumbnail).toEqual({ count: 14, bytes: (64 + 32 + 12 * 48) * 1024 });
    expect(snap.plugins.map((p: { id: string }) => p.id)).toEqual([
      'file-browser',
      'image-viewer',
      'terminal',
    ]);
    expect(snap.plugins[1]).toMatchObject({
      state: 'active',
      dependencies: ['file-browser'],
      component: 'image-viewer',
    });
  });

  it('GET /api/components/:id/resources: type, size, age, metadata and creation stack; paged and filtered', async () => {
    const { server, auth } = await setup();
    const res = (
      await raw(`${server.origin}/api/components/image-viewer/resources?type=thumbnail&limit=5&offset=10`, {
        headers: auth,
      })
    ).json();
    expect(res.total).toBe(12);
    expect(res.resources).toHaveLength(2);
    expect(res.resources[0]).toMatchObject({ type: 'thumbnail', size: 48 * 1024, evictable: true });
    expect(res.resources[0].metadata).toEqual({ file: 'photo-10.jpg' });
    expect(res.resources[0].stack).toContain('plugin-control.ts');
    expect(res.byType.listener).toEqual({ count: 1, bytes: 0 });
    const nested = await raw(
      `${server.origin}/api/components/${encodeURIComponent('file-browser/tree-panel')}/resources`,
      {
        headers: auth,
      },
    );
    expect(nested.json().total).toBe(2);
    const missing = await raw(`${server.origin}/api/components/nope/resources`, { headers: auth });
    expect(missing.status).toBe(404);
    expect(missing.json().error).toMatch(/No live component "nope"/);
    const bad = await raw(`${server.origin}/api/components/terminal/resources?limit=-1`, { headers: auth });
    expect(bad.status).toBe(400);
  });

  it('GET /api/stats, /api/plugins, /api/history and /api/events/recent', async () => {
    const { server, auth, manager } = await setup();
    const stats = (await raw(`${server.origin}/api/stats`, { headers: auth })).json();
    expect(stats.components).toBe(4);
    expect(stats.byComponent.terminal.resources).toBe(2);
    const plugins = (await raw(`${server.origin}/api/plugins`, { headers: auth })).json();
    expect(plugins.plugins).toHaveLength(3);
    const history = (await raw(`${server.origin}/api/history?component=terminal`, { headers: auth })).json();
    expect(history.component).toBe('terminal');
    expect(history.samples[0]).toMatchObject({ ownBytes: 4096, subtreeBytes: 4096, resources: 2 });
    const total = (await raw(`${server.origin}/api/history`, { headers: auth })).json();
    expect(total.samples[0].subtreeBytes).toBe(manager.totalBytes);
    manager.get('terminal')!.setState('paused');
    await vi.waitFor(async () => {
      const recent = (await raw(`${server.origin}/api/events/recent`, { headers: auth })).json();
      expect(recent.events.at(-1)).toMatchObject({
        type: 'stateChanged',
        component: 'terminal',
        from: 'active',
        to: 'paused',
      });
    });
  });

  it('answers 404 for unknown routes, 405 for GET on actions and other methods', async () => {
    const { server, auth } = await setup();
    expect((await raw(`${server.origin}/api/nothing`, { headers: auth })).status).toBe(404);
    expect((await raw(`${server.origin}/api/components/terminal/cleanup`, { headers: auth })).status).toBe(
      405,
    );
    const del = await raw(`${server.origin}/api/stats`, { method: 'DELETE', headers: auth });
    expect(del.status).toBe(405);
    expect(del.headers.allow).toBe('GET, HEAD, POST');
  });

  it('a monitor without a plugin host says so on /api/plugins and in the snapshot', async () => {
    manager = new ResourceManager();
    server = await startMonitor(manager);
    const auth = { authorization: `Bearer ${server.token}` };
    const res = await raw(`${server.origin}/api/plugins`, { headers: auth });
    expect(res.status).toBe(404);
    expect(res.json().error).toMatch(/no plugin host/);
    expect((await raw(`${server.origin}/api/snapshot`, { headers: auth })).json().plugins).toBeNull();
  });
});

describe('actions', () => {
  it('cleanup releases the component and its children and returns the report', async () => {
    const { post, manager } = await setup();
    const res = await post('/api/components/file-browser/cleanup', '{"reason":"test"}');
    expect(res.status).toBe(200);
    const report = res.json();
    expect(report).toMatchObject({ componentId: 'file-browser', reason: 'test', released: 4, failed: [] });
    expect(report.components).toEqual(['file-browser/tree-panel', 'file-browser']);
    expect(manager.get('file-browser')).toBeUndefined();
    expect(manager.get('file-browser/tree-panel')).toBeUndefined();
  });

  it('cleanup reports disposer failures as messages instead of failing', async () => {
    const { post, manager } = await setup();
    manager.get('terminal')!.track(
      {},
      {
        type: 'socket',
        dispose: () => {
          throw new Error('socket already closed');
        },
      },
    );
    const report = (await post('/api/components/terminal/cleanup')).json();
    expect(report.failed).toEqual([
      expect.objectContaining({ type: 'socket', error: 'Error: socket already closed' }),
    ]);
    expect(manager.get('terminal')).toBeUndefined();
  });

  it('pause and resume follow the lifecycle, refusing illegal moves with 409', async () => {
    const { post, manager } = await setup();
    expect((await post('/api/components/terminal/pause')).json()).toEqual({
      id: 'terminal',
      state: 'paused',
    });
    expect(manager.get('terminal')!.state).toBe('paused');
    expect((await post('/api/components/terminal/resume')).json()).toEqual({
      id: 'terminal',
      state: 'active',
    });
    manager.get('terminal')!.fail(new Error('boom'));
    const refused = await post('/api/components/terminal/resume');
    expect(refused.status).toBe(409);
    expect(refused.json().error).toMatch(/cannot go from "failed" to "active"/);
  });

  it('reload and unload a plugin through the plugin host', async () => {
    const { post, manager } = await setup();
    const before = manager.get('terminal');
    const reloaded = (await post('/api/plugins/terminal/reload')).json();
    expect(reloaded).toMatchObject({ id: 'terminal', action: 'reload', plugin: { state: 'active' } });
    expect(manager.get('terminal')).not.toBe(before);
    const unloaded = (await post('/api/plugins/terminal/unload')).json();
    expect(unloaded).toMatchObject({ result: { released: 2 }, plugin: { state: 'unloaded' } });
    expect(manager.get('terminal')).toBeUndefined();
    expect((await post('/api/plugins/nope/reload')).status).toBe(404);
  });

  it('leak check runs checkLeaks and returns the findings', async () => {
    manager = new ResourceManager({ leakTracking: { maxResourceAgeMs: 1 } });
    const owner = {};
    owners.push(owner);
    manager.register(owner, 'old', { state: 'active' }).track({}, { type: 'socket', dispose: null });
    server = await startMonitor(manager);
    await new Promise((r) => setTimeout(r, 5));
    const res = await raw(`${server.origin}/api/leaks/check`, {
      method: 'POST',
      headers: { authorization: `Bearer ${server.token}`, 'content-type': 'application/json' },
    });
    expect(res.json().findings).toEqual([expect.objectContaining({ kind: 'long-lived', component: 'old' })]);
  });
});

describe('shutdown', () => {
  it('close() ends event streams and open connections, and is idempotent', async () => {
    const { server } = await setup();
    const controller = new AbortController();
    const stream = await fetch(`${server.origin}/api/events?token=${server.token}`, {
      signal: controller.signal,
    });
    expect(stream.headers.get('content-type')).toMatch(/text\/event-stream/);
    const reader = stream.body!.getReader();
    await reader.read();
    expect(server.streamClients).toBe(1);
    await Promise.all([server.close(), server.close()]);
    let done = false;
    while (!done) done = (await reader.read()).done;
    expect(server.streamClients).toBe(0);
    await expect(fetch(`${server.origin}/api/stats`)).rejects.toThrow();
  });
});
