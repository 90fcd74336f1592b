import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { connect, createServer } from 'node:net';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PluginHost } from '../../src/plugins/index.js';
import { PluginFixtures } from '../helpers/plugin-fixtures.js';

const run = promisify(execFile);

/** A plugin that acquires one of everything through ctx, and never releases any of it. */
const LEAKY = `
import { createServer } from 'node:net';
import { EventEmitter } from 'node:events';
export default {
  async activate(ctx) {
    const facts = (globalThis.__facts = {});
    ctx.setInterval(() => {}, 50);
    ctx.setTimeout(() => {}, 60_000);
    ctx.listen(process, 'SIGUSR2', () => {});
    facts.listenersDuring = process.listenerCount('SIGUSR2');
    const bus = new EventTarget();
    ctx.listen(bus, 'ping', () => { facts.pinged = (facts.pinged ?? 0) + 1; });
    globalThis.__bus = bus;
    const server = ctx.server(createServer((s) => s.write('hi')));
    await new Promise((r) => server.listen(0, '127.0.0.1', r));
    facts.port = server.address().port;
    const child = ctx.spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    facts.pid = child.pid;
    const dir = await ctx.storage();
    const file = await ctx.open(dir + '/data.txt', 'w');
    await file.write('x');
    facts.watcher = !!ctx.watch(dir, {}, () => {});
    ctx.worker('setInterval(() => {}, 1000)', { eval: true });
    facts.resources = ctx.component.resourceCount;
  },
};`;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

let fx: PluginFixtures;
beforeEach(async () => {
  fx = await PluginFixtures.create();
});
afterEach(async () => {
  await fx[Symbol.asyncDispose]();
});

describe('the plugin context reclaims everything a plugin acquired through it', () => {
  it('in process: timers, listeners, server, child process, file, watcher, worker', async () => {
    await fx.plugin('leaky', { code: LEAKY });
    const host = new PluginHost({ dirs: [fx.dir], storageDir: `${fx.root}/storage`, log: () => {} });
    const before = process.listenerCount('SIGUSR2');
    await host.start();
    const facts = (globalThis as Record<string, unknown>).__facts as Record<string, number>;
    expect(host.get('leaky')!.state).toBe('active');
    expect(facts.resources).toBe(9);
    expect(facts.listenersDuring).toBe(before + 1);
    const bus = (globalThis as Record<string, unknown>).__bus as EventTarget;
    bus.dispatchEvent(new Event('ping'));
    expect(facts.pinged).toBe(1);
    expect(alive(facts.pid!)).toBe(true);
    const byType = host.manager.stats().byType;
    expect(Object.keys(byType).sort()).toEqual([
      'file_handle',
      'listener',
      'process',
      'socket',
      'timer',
      'worker',
    ]);

    await host.unload('leaky');
    expect(host.manager.activeResources).toBe(0);
    expect(process.listenerCount('SIGUSR2')).toBe(before);
    bus.dispatchEvent(new Event('ping'));
    expect(facts.pinged).toBe(1);
    expect(alive(facts.pid!)).toBe(false);
    // The port is free: connecting is refused and it can be bound again.
    const socket = connect(facts.port!, '127.0.0.1');
    const [error] = (await once(socket, 'error')) as [NodeJS.ErrnoException];
    expect(error.code).toBe('ECONNREFUSED');
    const again = createServer();
    await new Promise<void>((r) => again.listen(facts.port, '127.0.0.1', r));
    await new Promise((r) => again.close(r));
    await host.dispose();
  });

  it('out of process: after unload the event loop is empty and the host exits by itself', async () => {
    await fx.plugin('leaky', { code: LEAKY });
    const { stdout } = await run(
      process.execPath,
      ['--import', 'tsx', 'test/fixtures/plugins/host-then-exit.ts', fx.dir],
      { cwd: `${import.meta.dirname}/../..`, timeout: 45_000 }, // a hang guard: "exits by itself"
    );
    const [started, ended] = stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(started.summary.active).toEqual(['leaky']);
    expect(started.facts.resources).toBe(9);
    expect(ended).toEqual({ unloaded: ['unloaded'], left: 0 });
    expect(alive(started.facts.pid)).toBe(false);
  });
});

describe('handle attribution in the host', () => {
  const FORGETFUL = `
import { createServer } from 'node:net';
export default {
  async activate(ctx) {
    setInterval(() => {}, 1000);                                  // never tracked
    const server = createServer();                               // never tracked
    await new Promise((r) => server.listen(0, '127.0.0.1', r));
    globalThis.__forgotten = { server, port: server.address().port };
    await Promise.resolve();
    setTimeout(() => {}, 60_000);                                // after an await: still attributed
  },
};`;

  it('reports what a plugin created without tracking, and reclaims it at unload', async () => {
    await fx.plugin('forgetful', { code: FORGETFUL });
    const warnings: string[] = [];
    const host = new PluginHost({
      dirs: [fx.dir],
      storageDir: `${fx.root}/storage`,
      attribution: { reclaim: true, captureStacks: true },
      log: (r) => r.level === 'warn' && warnings.push(`${r.message} ${r.args.join(' ')}`),
    });
    const leaks: string[] = [];
    host.manager.on('leakDetected', (e) => leaks.push(`${e.kind}: ${e.message}`));
    await host.start();
    const { server, port } = (globalThis as Record<string, unknown>).__forgotten as {
      server: import('node:net').Server;
      port: number;
    };
    expect(server.listening).toBe(true);
    await host.unload('forgetful');
    expect(leaks.length).toBe(3);
    expect(leaks.every((l) => l.startsWith('untracked-handle: plugin "forgetful" left a'))).toBe(true);
    expect(leaks.join('\n')).toMatch(/server/);
    expect(warnings.some((w) => w.includes('(reclaimed)') && w.includes('index.js'))).toBe(true);
    expect(server.listening).toBe(false);
    const again = createServer();
    await new Promise<void>((r) => again.listen(port, '127.0.0.1', r));
    await new Promise((r) => again.close(r));
    await host.dispose();
  });
});

describe('ctx.server and a server still binding at unload', () => {
  it('closes it the moment it binds, so it never keeps listening', async () => {
    await fx.plugin('hasty', {
      code: `import { createServer } from 'node:net';
      export default { activate(ctx) { globalThis.__hasty = ctx.server(createServer()).listen(0, '127.0.0.1'); } };`,
    });
    const host = new PluginHost({ dirs: [fx.dir], storageDir: `${fx.root}/storage`, log: () => {} });
    await host.start();
    const server = (globalThis as Record<string, unknown>).__hasty as import('node:net').Server;
    await host.unload('hasty'); // before 'listening' was emitted
    await new Promise<void>((resolve) =>
      server.listening ? server.once('close', () => resolve()) : setTimeout(resolve, 50),
    );
    expect(server.listening).toBe(false);
    await host.dispose();
  });
});
