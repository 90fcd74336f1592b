import { existsSync, readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { tokenFor } from '../../src/core/index.js';
import { PluginHost } from '../../src/plugins/index.js';
import { PluginFixtures } from '../helpers/plugin-fixtures.js';

let fx: PluginFixtures;
let host: PluginHost;
const logs: string[] = [];

beforeEach(async () => {
  fx = await PluginFixtures.create();
  logs.length = 0;
  host = new PluginHost({
    dirs: [fx.dir],
    // The host's default timeouts: a worker's start and round trips are slow on a loaded machine.
    storageDir: `${fx.root}/storage`,
    workerStatsIntervalMs: 50,
    log: (r) => logs.push(`${r.level} [${r.plugin}] ${r.message}`),
  });
});

afterEach(async () => {
  await host.dispose();
  await fx[Symbol.asyncDispose]();
});

/** An inline plugin that answers, to prove the host and its other plugins stay healthy. */
const HEALTHY = `export default { activate(ctx) { ctx.setInterval(() => {}, 1000); globalThis.__healthy = (globalThis.__healthy ?? 0) + 1; } };`;

function until(check: () => boolean, timeout = 5000): Promise<void> {
  return vi.waitFor(
    () => {
      if (!check()) throw new Error('condition not met yet');
    },
    { timeout, interval: 20 },
  );
}

/** The tiers with a heap of their own: each test runs for both (a thread, a process). */
describe.each(['worker', 'process'] as const)('%s isolation', (tier) => {
  it('runs the same plugin code in a worker and mirrors its resources and heap into the host', async () => {
    await fx.plugin('isolated', {
      isolation: tier,
      code: `import { isMainThread, threadId } from 'node:worker_threads';
      export default {
        activate(ctx) {
          ctx.log.info('main thread? ' + isMainThread + ' thread ' + threadId);
          ctx.setInterval(() => {}, 1000);
          ctx.track(Buffer.alloc(4096), { type: 'thumbnail', size: 4096, metadata: { file: 'a.jpg' } });
          const h = ctx.track(Buffer.alloc(10), { type: 'memory', size: 10 });
          h.resize(1000);
        },
      };`,
    });
    await host.start();
    const info = host.get('isolated')!;
    expect(info.state).toBe('active');
    expect(info.isolation).toBe(tier);
    if (tier === 'worker') expect(logs.some((l) => /main thread\? false thread \d+/.test(l))).toBe(true);
    else expect(info.pid).not.toBe(process.pid);
    // The worker's resources show in the host like any other component's.
    const component = host.manager.get('isolated')!;
    expect(component.bytes).toBe(5096);
    const byType = host.manager.stats().byComponent.isolated!.byType;
    expect(byType).toEqual({
      timer: { count: 1, bytes: 0 },
      thumbnail: { count: 1, bytes: 4096 },
      memory: { count: 1, bytes: 1000 },
    });
    const snapshot = host.manager.snapshot({ resources: true });
    const mirrored = snapshot.components.find((c) => c.id === 'isolated')!;
    expect(mirrored.resourceList!.find((r) => r.type === 'thumbnail')!.metadata).toMatchObject({
      file: 'a.jpg',
    });
    await until(() => (host.get('isolated')!.heapUsed ?? 0) > 0);
    expect(host.get('isolated')!.heapLimit).toBeGreaterThan(0);
    await host.unload('isolated');
    expect(host.get('isolated')!.state).toBe('unloaded');
    expect(host.manager.activeResources).toBe(0);
  });

  it('fails a plugin that exceeds its heap limit; the host and other plugins keep running', async () => {
    await fx.plugin('hog', {
      isolation: tier,
      memoryLimit: '24MiB',
      code: `export default { activate(ctx) {
        const keep = [];
        ctx.setTimeout(() => { for (;;) keep.push(new Array(100_000).fill({ a: Math.random() })); }, 10);
      } };`,
    });
    await fx.plugin('healthy', { code: HEALTHY });
    await host.start();
    await until(() => host.get('hog')!.state === 'failed', 15_000);
    expect(host.get('hog')!.error).toMatch(/exceeded its memory limit/);
    expect(host.get('healthy')!.state).toBe('active');
    expect(host.manager.get('hog')).toBeUndefined();
    await host.reload('healthy');
    expect(host.get('healthy')!.state).toBe('active');
  });

  it('enforces the byte limit on tracked sizes inside the worker (Buffers are outside the heap cap)', async () => {
    await fx.plugin('buffers', {
      isolation: tier,
      memoryLimit: '32MiB',
      code: `export default { activate(ctx) { ctx.track(Buffer.alloc(40 * 2 ** 20), { type: 'memory', size: 40 * 2 ** 20 }); } };`,
    });
    await host.start();
    expect(host.get('buffers')!.state).toBe('failed');
    expect(host.get('buffers')!.error).toMatch(/Memory limit exceeded/);
  });

  it('terminates a worker spinning forever in activate or in deactivate', async () => {
    // The timeouts are the spinning plugins' own: a short host-wide one would also fail the
    // healthy plugins' activation on a loaded machine.
    await fx.plugin('spin-activate', {
      isolation: tier,
      activationTimeoutMs: 300,
      code: `export default { activate() { for (;;) {} } };`,
    });
    await fx.plugin('spin-deactivate', {
      isolation: tier,
      deactivationTimeoutMs: 300,
      code: `export default { activate(ctx) { ctx.setInterval(() => {}, 1000); }, deactivate() { for (;;) {} } };`,
    });
    await fx.plugin('healthy', { code: HEALTHY });
    const quick = new PluginHost({
      dirs: [fx.dir],
      storageDir: `${fx.root}/storage`,
      log: () => {},
    });
    try {
      await quick.start();
      expect(quick.get('spin-activate')!.state).toBe('failed');
      expect(quick.get('spin-activate')!.error).toMatch(/did not settle within 300 ms/);
      expect(quick.get('spin-deactivate')!.state).toBe('active');
      await quick.unload('spin-deactivate');
      expect(quick.get('spin-deactivate')!.state).toBe('failed');
      expect(quick.get('spin-deactivate')!.error).toMatch(
        /deactivate\(\) of plugin "spin-deactivate" did not settle/,
      );
      expect(quick.manager.activeResources).toBe(1); // only the healthy plugin's interval
      expect(quick.get('healthy')!.state).toBe('active');
    } finally {
      await quick.dispose();
    }
  });

  it('unloads at once a plugin whose thread is stuck in a loop: unloaded, the reason said', {
    timeout: 90_000,
  }, async () => {
    // No deactivate hook, and a deactivation timeout far past the test's: waiting for it fails the test.
    await fx.plugin('spin-later', {
      isolation: tier,
      deactivationTimeoutMs: 600_000,
      code: `export default { activate(ctx) { ctx.setTimeout(() => { ctx.log.info('spinning'); for (;;) {} }, 100); } };`,
    });
    await fx.plugin('healthy', { code: HEALTHY });
    await host.start();
    expect(host.get('spin-later')!.state).toBe('active');
    await until(() => logs.includes('info [spin-later] spinning'), 20_000);
    const info = await host.unload('spin-later');
    expect(info.state).toBe('unloaded');
    expect(host.get('spin-later')!.state).toBe('unloaded');
    expect(host.get('spin-later')!.error).toBeUndefined();
    expect(logs.join('\n')).toMatch(
      /warn \[spin-later\] plugin "spin-later" did not answer for \d+\.\d s: the event loop of its thread is blocked/,
    );
    expect(logs.join('\n')).not.toMatch(/Make it finish sooner/);
    expect(host.manager.activeResources).toBe(1); // only the healthy plugin's interval
    // It can run again.
    await host.activate('spin-later');
    expect(host.get('spin-later')!.state).toBe('active');
  });

  it('ends at once a plugin whose deactivate() itself blocks its thread: failed, saying so', {
    timeout: 90_000,
  }, async () => {
    await fx.plugin('spin-hook', {
      isolation: tier,
      deactivationTimeoutMs: 600_000,
      code: `export default { activate(ctx) { ctx.setInterval(() => {}, 1000); }, deactivate() { for (;;) {} } };`,
    });
    await host.start();
    const info = await host.unload('spin-hook');
    expect(info.state).toBe('failed');
    expect(info.error).toMatch(/deactivate\(\) of plugin "spin-hook" blocks the event loop of its thread/);
    expect(host.manager.activeResources).toBe(0);
  });

  it('contains an uncaught error thrown later: failed, dependents blocked, restarted by policy', async () => {
    await fx.plugin('crashy', {
      isolation: tier,
      restart: { maxRestarts: 1, backoffMs: 50 },
      code: `export default { activate(ctx) {
        globalThis.__count = 1;
        ctx.setTimeout(() => { throw new Error('late boom'); }, 50);
      } };`,
    });
    await fx.plugin('dependent', {
      dependencies: { crashy: '*' },
      code: `export default { activate() { globalThis.__dependentActivations = (globalThis.__dependentActivations ?? 0) + 1; } };`,
    });
    const failures: string[] = [];
    host.on('failed', (e) => failures.push(`${e.id}:${e.phase}`));
    (globalThis as Record<string, unknown>).__dependentActivations = 0; // one count per tier
    await host.start();
    expect(host.get('crashy')!.state).toBe('active');
    // First crash: restarted once; second crash: stays failed (maxRestarts 1).
    await until(() => failures.length === 2, 8000);
    expect(host.get('crashy')!.restarts).toBe(1);
    expect(host.get('crashy')!.state).toBe('failed');
    expect(failures).toEqual(['crashy:crash', 'crashy:crash']);
    expect(host.get('crashy')!.error).toMatch(new RegExp(`crashed in its ${tier}: late boom`));
    expect(host.get('dependent')!.state).toBe('blocked');
    expect((globalThis as Record<string, unknown>).__dependentActivations).toBe(2);
  });

  it("the worker's own cleanup (released, failed with its error) is in the host's deactivated report", async () => {
    await fx.plugin('reports', {
      isolation: tier,
      code: `export default { activate(ctx) {
        ctx.track({}, { type: 'memory', dispose: () => {} });
        ctx.track({}, { type: 'socket', dispose: () => { throw new RangeError('socket would not close'); } });
        ctx.setInterval(() => {}, 1000);
      } };`,
    });
    const reports: import('../../src/core/index.js').CleanupReport[] = [];
    host.on('deactivated', (e) => {
      if (e.report) reports.push(e.report);
    });
    await host.start();
    await host.deactivate('reports');
    expect(reports).toHaveLength(1);
    const report = reports[0]!;
    expect(report.released).toBeGreaterThanOrEqual(2); // the memory record and the interval
    expect(report.failed).toHaveLength(1);
    expect(report.failed[0]).toMatchObject({ type: 'socket' });
    expect(report.failed[0]!.error).toBeInstanceOf(Error);
    expect((report.failed[0]!.error as Error).name).toBe('RangeError');
    expect((report.failed[0]!.error as Error).message).toBe('socket would not close');
    expect(host.get('reports')!.state).toBe('loaded');
  });

  it("a deactivate() that throws in the worker still brings the worker's cleanup into the report", async () => {
    await fx.plugin('throws-on-deactivate', {
      isolation: tier,
      code: `export default {
        activate(ctx) {
          ctx.track({}, { type: 'socket', dispose: () => { throw new RangeError('socket would not close'); } });
        },
        deactivate() { throw new TypeError('deactivate failed'); },
      };`,
    });
    const reports: import('../../src/core/index.js').CleanupReport[] = [];
    const finished: import('../../src/core/index.js').CleanupReport[] = [];
    host.on('deactivated', (e) => {
      if (e.report) reports.push(e.report);
    });
    await host.start();
    host.manager.on('cleanupFinished', (e) => {
      if (e.component.id === 'throws-on-deactivate') finished.push(e.report);
    });
    await host.deactivate('throws-on-deactivate');
    const info = host.get('throws-on-deactivate')!;
    expect(info.state).toBe('failed');
    expect(info.error).toMatch(/deactivate failed/);
    expect(reports[0]!.failed.map((f) => (f.error as Error).message)).toEqual(['socket would not close']);
    // The host-side report given to cleanupFinished listeners is left as they received it.
    expect(finished).toHaveLength(1);
    expect(finished[0]!.failed).toEqual([]);
    expect(finished[0]).not.toBe(reports[0]);
  });

  it('a worker that dies during a queued pause is a crash: restarted by policy, not failed as pause', async () => {
    await fx.plugin('exits-on-pause', {
      isolation: tier,
      restart: { maxRestarts: 1, backoffMs: 20 },
      code: `export default {
        activate(ctx) { ctx.setInterval(() => {}, 1000); },
        pause() { process.exit(3); },
      };`,
    });
    const failures: string[] = [];
    host.on('failed', (e) => failures.push(`${e.id}:${e.phase}`));
    await host.start();
    const info = await host.pause('exits-on-pause');
    expect(info.state).toBe('failed');
    expect(failures).toEqual(['exits-on-pause:crash']);
    expect(info.error).toMatch(/exited with code 3 without being asked to/);
    await until(() => host.get('exits-on-pause')!.state === 'active');
    expect(host.get('exits-on-pause')!.restarts).toBe(1);
    expect(failures).toEqual(['exits-on-pause:crash']); // the queued crash handler found it handled
  });

  it('a worker that dies during deactivate is recorded as a crash and not restarted', async () => {
    await fx.plugin('exits-on-deactivate', {
      isolation: tier,
      restart: { maxRestarts: 3, backoffMs: 20 },
      code: `export default {
        activate(ctx) { ctx.setInterval(() => {}, 1000); },
        deactivate() { process.exit(4); },
      };`,
    });
    const failures: string[] = [];
    host.on('failed', (e) => failures.push(`${e.id}:${e.phase}`));
    await host.start();
    await host.deactivate('exits-on-deactivate');
    const info = host.get('exits-on-deactivate')!;
    expect(info.state).toBe('failed');
    expect(failures).toEqual(['exits-on-deactivate:crash']);
    await new Promise((resolve) => setTimeout(resolve, 150)); // longer than any backoff
    expect(host.get('exits-on-deactivate')!.state).toBe('failed');
    expect(host.get('exits-on-deactivate')!.restarts).toBe(0);
  });

  it('bridges services: an inline plugin calls a worker plugin; calls after unload fail fast', async () => {
    await fx.plugin('calc', {
      isolation: tier,
      provides: ['calc'],
      requires: ['clock'],
      code: `import { tokenFor } from 'steward';
      export default { async activate(ctx) {
        const clock = ctx.services.get(tokenFor('clock'));
        const base = await clock.now();
        ctx.services.provide(tokenFor('calc'), { add: (a, b) => a + b + base, fail: () => { throw new RangeError('bad input'); } });
      } };`,
    });
    await fx.plugin('clock', {
      provides: ['clock'],
      code: `import { tokenFor } from 'steward';
      export default { activate(ctx) { ctx.services.provide(tokenFor('clock'), { now: () => 1000 }); } };`,
    });
    await fx.plugin('user', {
      requires: ['calc'],
      code: `import { tokenFor } from 'steward';
      export default { async activate(ctx) { globalThis.__calc = ctx.services.get(tokenFor('calc')); globalThis.__sum = await globalThis.__calc.add(2, 3); } };`,
    });
    await host.start();
    const g = globalThis as Record<string, unknown>;
    expect(host.list().map((p) => [p.id, p.state, p.error])).toEqual([
      ['clock', 'active', undefined],
      ['calc', 'active', undefined],
      ['user', 'active', undefined],
    ]);
    expect(g.__sum).toBe(1005);
    const calc = g.__calc as { add(a: number, b: number): Promise<number>; fail(): Promise<never> };
    await expect(calc.fail()).rejects.toThrow(/bad input/);
    expect(host.manager.services.tryGet(tokenFor('calc'))).toBeDefined();
    await host.unload('calc');
    expect(host.get('user')!.state).toBe('loaded');
    expect(host.manager.services.tryGet(tokenFor('calc'))).toBeUndefined();
    await expect(calc.add(1, 1)).rejects.toThrow(/unloaded|withdrawn/);
  });

  // Defined for the worker tier only (CI refuses skipped tests); the process tier's reload is tested in process.test.ts.
  const workerOnly = tier === 'worker' ? it : (((): void => {}) as unknown as typeof it);
  workerOnly('reload starts a new worker (a fresh heap)', async () => {
    await fx.plugin('fresh', {
      isolation: tier,
      code: `import { threadId } from 'node:worker_threads';
      export default { activate(ctx) { ctx.log.info('thread ' + threadId); } };`,
    });
    await host.start();
    await host.reload('fresh');
    const threads = logs.filter((l) => l.includes('[fresh] thread')).map((l) => l.split(' ').pop());
    expect(threads).toHaveLength(2);
    expect(new Set(threads).size).toBe(2);
  });

  it('dispose ends the worker of a plugin the graph failed after it was loaded', async () => {
    const beat = `${fx.root}/heartbeat`;
    // The module beats from the moment the worker imports it, activated or not.
    await fx.plugin('w', {
      isolation: tier,
      dependencies: { later: '*' },
      code: `import { writeFileSync } from 'node:fs';
      let n = 0;
      setInterval(() => writeFileSync(${JSON.stringify(beat)}, String(++n)), 10);
      export default { activate() {} };`,
    });
    await host.discover();
    expect(host.get('w')!.state).toBe('failed'); // its dependency is missing
    expect((await host.load('w')).state).toBe('loaded'); // load() does not consult the graph
    // Another plugin changes the graph: its verdict on "w" again — failed, its worker still loaded.
    await fx.plugin('other', { code: 'export default { activate() {} };' });
    await host.discover();
    await host.activate('other');
    expect(host.get('w')!.state).toBe('failed');
    await until(() => existsSync(beat));
    await host.dispose();
    const after = readFileSync(beat, 'utf8');
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(readFileSync(beat, 'utf8')).toBe(after);
    expect(host.get('w')!.heapUsed).toBeUndefined();
  });
});
