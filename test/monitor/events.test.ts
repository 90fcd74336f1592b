import { get } from 'node:http';
import { connect } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type Component, ResourceManager } from '../../src/core/index.js';
import { type MonitorServer, startMonitor } from '../../src/monitor/index.js';
import { demoPlugins } from './plugin-control.js';
import { readStream, type StreamReader } from './sse-client.js';

let manager: ResourceManager;
let server: MonitorServer | undefined;
const streams: StreamReader[] = [];
const owners: object[] = [];

afterEach(async () => {
  for (const s of streams.splice(0)) s.close();
  await server?.close();
  server = undefined;
  await manager.dispose({ force: true });
  owners.length = 0;
});

async function open(options: Parameters<typeof startMonitor>[1] = {}) {
  server = await startMonitor(manager, options);
  const stream = await readStream(server.origin, server.token);
  streams.push(stream);
  return stream;
}

/**
 * Register a noisy component and report 2 KB leak events on it until the server queues some for
 * a client that does not read (its socket, and a reader's buffer, full).
 */
async function fillUntilQueued(
  manager: ResourceManager,
  server: { readonly streamBacklog: number },
): Promise<{ c: Component; message: string }> {
  const c = manager.register(owner(), 'noisy', { state: 'active' });
  const message = 'x'.repeat(2000);
  for (let round = 0; round < 400 && server.streamBacklog === 0; round++) {
    for (let i = 0; i < 50; i++) manager.reportLeak({ kind: 'untracked-handle', component: c, message });
    await new Promise((r) => setTimeout(r, 5));
  }
  expect(server.streamBacklog).toBeGreaterThan(0);
  return { c, message };
}

function owner(): object {
  const o = {};
  owners.push(o);
  return o;
}

describe('live event stream', () => {
  it('sends registrations, state changes, cleanups, failures and leaks as they happen', async () => {
    manager = new ResourceManager();
    const stream = await open();
    const c = manager.register(owner(), 'editor', { type: 'tab', state: 'active' });
    c.setState('paused');
    c.track(
      {},
      {
        type: 'socket',
        dispose: () => {
          throw new Error('EPIPE');
        },
      },
    );
    manager.reportLeak({
      kind: 'untracked-handle',
      component: c,
      message: 'a timer nobody tracked',
      stack: 'at x',
    });
    await c.cleanup({ force: true, reason: 'closed' });
    await vi.waitFor(() => expect(stream.events.some((e) => e.type === 'cleanupFinished')).toBe(true));
    const types = stream.events.map((e) => e.type);
    expect(types).toEqual([
      'registered',
      'stateChanged',
      'tracked',
      'leakDetected',
      'stateChanged',
      'cleanupStarted',
      'released', // unlinked first, then its disposer runs and fails
      'disposerFailed',
      'stateChanged',
      'cleanupFinished',
    ]);
    const byType = Object.fromEntries(stream.events.map((e) => [e.type, e]));
    expect(byType.registered).toMatchObject({ component: 'editor', componentType: 'tab', state: 'active' });
    expect(byType.disposerFailed).toMatchObject({
      phase: 'cleanup',
      error: 'Error: EPIPE',
      resourceType: 'socket',
    });
    expect(byType.leakDetected).toMatchObject({
      kind: 'untracked-handle',
      message: 'a timer nobody tracked',
    });
    expect(byType.cleanupFinished).toMatchObject({
      component: 'editor',
      reason: 'closed',
      released: 0,
      failed: 1,
    });
    const seqs = stream.events.map((e) => e.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
  });

  it('aggregates a burst of 100,000 tracked resources into a handful of events', async () => {
    manager = new ResourceManager();
    const stream = await open({ events: { flushMs: 100 } });
    await vi.waitFor(() => expect(manager.events.has('tracked')).toBe(true));
    const c = manager.register(owner(), 'importer', { state: 'active' });
    for (let i = 0; i < 100_000; i++)
      c.track(i, { type: i % 2 ? 'memory' : 'timer', size: 2, dispose: null });
    await c.cleanup();
    await vi.waitFor(() => expect(stream.events.some((e) => e.type === 'cleanupFinished')).toBe(true));
    const tracked = stream.events.filter((e) => e.type === 'tracked');
    const released = stream.events.filter((e) => e.type === 'released');
    expect(tracked.reduce((n, e) => n + (e.count as number), 0)).toBe(100_000);
    expect(released.reduce((n, e) => n + (e.count as number), 0)).toBe(100_000);
    expect(tracked.reduce((n, e) => n + (e.bytes as number), 0)).toBe(200_000);
    expect(tracked.length).toBeLessThanOrEqual(4);
    expect(released.length).toBeLessThanOrEqual(4);
    expect(stream.batches()).toBeLessThanOrEqual(6);
  });

  it('relays plugin changes from the plugin host', async () => {
    manager = new ResourceManager();
    const plugins = demoPlugins(manager);
    plugins.activateAll();
    const stream = await open({ plugins });
    await plugins.unload('terminal');
    await vi.waitFor(() =>
      expect(stream.events).toContainEqual(
        expect.objectContaining({
          type: 'plugin',
          plugin: 'terminal',
          change: 'unloaded',
          state: 'unloaded',
        }),
      ),
    );
  });

  it('replays the recent log to a new client, then only new events', async () => {
    manager = new ResourceManager();
    server = await startMonitor(manager, { events: { logSize: 2 } });
    for (const id of ['a', 'b', 'c']) manager.register(owner(), id);
    await vi.waitFor(async () => {
      const res = await fetch(`${server!.origin}/api/events/recent`, {
        headers: { authorization: `Bearer ${server!.token}` },
      });
      expect(((await res.json()) as { events: unknown[] }).events).toHaveLength(2);
    });
    const stream = await readStream(server.origin, server.token);
    streams.push(stream);
    await vi.waitFor(() => expect(stream.events.map((e) => e.component)).toEqual(['b', 'c']));
    manager.register(owner(), 'd');
    await vi.waitFor(() => expect(stream.events.map((e) => e.component)).toEqual(['b', 'c', 'd']));
  });

  it('subscribes to resource events only while a client is connected, and forgets closed clients', async () => {
    manager = new ResourceManager();
    server = await startMonitor(manager);
    expect(manager.events.has('tracked')).toBe(false);
    const stream = await readStream(server.origin, server.token);
    await vi.waitFor(() => expect(server!.streamClients).toBe(1));
    expect(manager.events.has('tracked')).toBe(true);
    stream.close();
    await vi.waitFor(() => expect(server!.streamClients).toBe(0));
    expect(manager.events.has('tracked')).toBe(false);
    expect(manager.events.has('released')).toBe(false);
  });

  it('sends heartbeats', async () => {
    manager = new ResourceManager();
    const stream = await open({ events: { heartbeatMs: 20 } });
    await vi.waitFor(() => expect(stream.comments()).toBeGreaterThanOrEqual(2));
  });

  it('bounds the backlog of a client that does not read, and tells it what it missed', async () => {
    manager = new ResourceManager();
    server = await startMonitor(manager, { events: { flushMs: 1, maxBacklog: 50 } });
    const socket = connect(server.port, '127.0.0.1');
    await new Promise<void>((resolve) => socket.once('connect', resolve));
    socket.write(`GET /api/events?token=${server.token} HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\n\r\n`);
    await vi.waitFor(() => expect(server!.streamClients).toBe(1));
    socket.pause();
    const { c, message } = await fillUntilQueued(manager, server);
    for (let round = 0; round < 20; round++) {
      for (let i = 0; i < 50; i++) manager.reportLeak({ kind: 'untracked-handle', component: c, message });
      await new Promise((r) => setTimeout(r, 5));
      expect(server.streamBacklog).toBeLessThanOrEqual(50);
    }
    let text = '';
    socket.on('data', (chunk: Buffer) => {
      text += chunk.toString('utf8');
    });
    socket.resume();
    await vi.waitFor(() => expect(text).toMatch(/"type":"dropped","count":\d+/));
    socket.destroy();
  });
  it('gives a client that drains every event of a burst larger than maxBacklog', async () => {
    manager = new ResourceManager();
    const stream = await open({ events: { flushMs: 20, maxBacklog: 100 } });
    await vi.waitFor(() => expect(server!.streamClients).toBe(1));
    for (let round = 0; round < 5; round++) {
      for (let i = 0; i < 250; i++) manager.register(owner(), `burst-${round}-${i}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    await expect
      .poll(() => stream.events.filter((e) => e.type === 'registered').length, { timeout: 20_000 })
      .toBe(1250);
    expect(stream.events.filter((e) => e.type === 'dropped')).toEqual([]);
    const seqs = stream.events.map((e) => e.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
  });

  it('gives a paused client the newest maxBacklog events once it drains, and the true count it missed', async () => {
    manager = new ResourceManager();
    server = await startMonitor(manager, { events: { flushMs: 5, maxBacklog: 50 } });
    const events: Array<{ seq: number; type: string; count?: number; component?: string }> = [];
    let buffer = '';
    const req = get(`${server.origin}/api/events?token=${server.token}`);
    const res = await new Promise<import('node:http').IncomingMessage>((resolve) =>
      req.once('response', resolve),
    );
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => {
      buffer += chunk;
      for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
        const data = buffer
          .slice(0, end)
          .split('\n')
          .find((l) => l.startsWith('data: '));
        buffer = buffer.slice(end + 2);
        if (data) events.push(...JSON.parse(data.slice(6)));
      }
    });
    await vi.waitFor(() => expect(server!.streamClients).toBe(1));
    res.pause();
    await fillUntilQueued(manager, server);
    // One window of 500 registrations while the socket does not drain.
    for (let i = 0; i < 500; i++) manager.register(owner(), `late-${i}`);
    await new Promise((r) => setTimeout(r, 50));
    expect(server.streamBacklog).toBe(50);
    res.resume();
    await expect.poll(() => events.at(-1)?.component, { timeout: 20_000 }).toBe('late-499');
    const received = events.filter((e) => e.type !== 'dropped');
    const missed = events.filter((e) => e.type === 'dropped').reduce((n, e) => n + e.count!, 0);
    // Every event is either received or counted: the counts are the true number dropped.
    const last = received.at(-1)!.seq;
    expect(new Set(received.map((e) => e.seq)).size + missed).toBe(last);
    expect(missed).toBeGreaterThanOrEqual(450);
    // What follows the last notice is the newest maxBacklog events, in order.
    const tail = events.slice(events.findLastIndex((e) => e.type === 'dropped') + 1);
    expect(tail.map((e) => e.component)).toEqual(Array.from({ length: 50 }, (_, i) => `late-${450 + i}`));
    req.destroy();
  });
});
