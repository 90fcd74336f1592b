/**
 * Findings that are true and complete (issue 13 §4), the way a plugin author meets them:
 * real plugin folders, hosted by the real `steward run` binary or by `PluginHost`.
 * - nothing of Steward's or Node's own is blamed on a plugin (a shutdown set off by its error
 *   ran Steward's deadline timer and Node's `setImmediate` in its async context);
 * - a leaked worker is one finding (not also its message ports), a forked child one (not also
 *   its IPC pipe);
 * - listeners a plugin adds with `process.on`/`once` and on another plugin's service are
 *   reported at unload with where they were added, and removed with `reclaim`;
 * - an `owner-collected` finding names the plugin that registered the component, and where.
 */
import type { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { type LeakEvent, ResourceManager } from '../../src/core/index.js';
import { attributedHandles, runInComponent } from '../../src/node/index.js';
import { PluginHost } from '../../src/plugins/index.js';
import { collectGarbage } from '../core/helpers.js';
import { findingsIn } from '../corpus/harness.js';
import { pluginFixturesPerTest } from '../helpers/fixtures-per-test.js';
import { eventually, startFixture } from './fixture-process.js';

const CLI = '../../../dist/cli/main.js'; // the built binary, relative to test/fixtures/node

const fx = pluginFixturesPerTest();

describe('steward run --attribution', () => {
  it("blames a plugin whose timer throws only for what it left: not Steward's deadline timer, not Node's setImmediate, not its worker's ports", async () => {
    await fx.plugin('late', {
      code: `
import { Worker } from 'node:worker_threads';
export default {
  activate() {
    new Worker('setInterval(() => {}, 60_000)', { eval: true, stdout: true, stdin: true });
    setTimeout(() => { throw new Error('late failure'); }, 100);
  },
};`,
    });
    const run = startFixture(CLI, ['run', fx.dir, '--attribution', '--reclaim']);
    // Today the host shuts down on the uncaught error; once such an error only fails its plugin,
    // the host keeps running and is stopped here: the findings must be the same either way.
    await run.waitFor(/Uncaught exception|late failed/);
    let exited = false;
    void run.exited.then(() => (exited = true));
    if (!(await eventually(() => exited || /stopped \d+ plugin/.test(run.stderr()), 2000))) {
      run.child.kill('SIGTERM');
    }
    await run.exited;
    const findings = findingsIn(run.stderr()).filter((f) => f.component === 'late');
    expect(findings.map((f) => f.text)).toEqual([expect.stringMatching(/^worker thread \d+ \(reclaimed\)$/)]);
    expect(run.stderr()).not.toMatch(/setTimeout \(8000 ms\)|setImmediate|MessagePort/);
  });

  it('a forked child with an IPC channel and piped stdio is one finding', async () => {
    await fx.plugin('forker', {
      code: `
import { fork } from 'node:child_process';
export default {
  activate(ctx) {
    const child = fork(new URL('./child.cjs', import.meta.url), [], { stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
    ctx.log.info('forked ' + child.pid);
  },
};`,
      files: { 'child.cjs': 'setInterval(() => {}, 1000);' },
    });
    const run = startFixture(CLI, ['run', fx.dir, '--attribution', '--reclaim']);
    const pid = Number((await run.waitFor(/\[forker\] forked \d+/, 'stderr')).split(' ').pop());
    await run.waitFor(/press Ctrl-C/, 'stderr');
    run.child.kill('SIGTERM');
    expect((await run.exited).code).toBe(143);
    expect(findingsIn(run.stderr()).map((f) => f.text)).toEqual([
      `child process ${pid} (${process.execPath}) (reclaimed)`,
    ]);
  });
});

describe('PluginHost attribution of listeners', () => {
  const BUS = `
import { EventEmitter } from 'node:events';
import { tokenFor } from 'steward';
export default {
  activate(ctx) {
    const bus = new EventEmitter();
    bus.on('tick', () => {}); // its own bus: no finding
    ctx.services.provide(tokenFor('test-bus'), bus);
    globalThis.__testBus = bus;
  },
};`;
  const CONSUMER = `
import { tokenFor } from 'steward';
export default {
  activate(ctx) {
    process.on('SIGUSR2', () => {});
    process.once('beforeExit', () => {});
    ctx.services.get(tokenFor('test-bus')).on('tick', () => {});
    ctx.listen(process, 'SIGWINCH', () => {}); // through ctx: removed at deactivation
  },
};`;

  async function host(reclaim: boolean): Promise<{ host: PluginHost; leaks: LeakEvent[] }> {
    await fx.plugin('bus', { code: BUS, provides: ['test-bus'] });
    await fx.plugin('consumer', { code: CONSUMER, requires: ['test-bus'], dependencies: { bus: '^1.0.0' } });
    const manager = new ResourceManager();
    const leaks: LeakEvent[] = [];
    manager.on('leakDetected', (leak) => leaks.push(leak));
    const h = new PluginHost({
      manager,
      dirs: [fx.dir],
      attribution: { reclaim, captureStacks: true },
      log: () => {},
    });
    const summary = await h.start();
    expect(summary.active.sort(), JSON.stringify(h.list().map((p) => [p.id, p.state, p.error]))).toEqual([
      'bus',
      'consumer',
    ]);
    return { host: h, leaks };
  }

  it('reports, with where they were added, the listeners a plugin left on process and on a service, and removes them', async () => {
    const before = { usr2: process.listenerCount('SIGUSR2'), exit: process.listenerCount('beforeExit') };
    const { host: h, leaks } = await host(true);
    const bus = (globalThis as { __testBus?: EventEmitter }).__testBus!;
    expect(bus.listenerCount('tick')).toBe(2);
    expect(process.listenerCount('SIGUSR2')).toBe(before.usr2 + 1);
    await h.unload('consumer');
    expect(leaks.map((l) => l.message).sort()).toEqual([
      'plugin "consumer" left a "tick" listener on service "test-bus" attached that it never removed (reclaimed).',
      'plugin "consumer" left a process.on("SIGUSR2") listener attached that it never removed (reclaimed).',
      'plugin "consumer" left a process.once("beforeExit") listener attached that it never removed (reclaimed).',
    ]);
    for (const leak of leaks) {
      expect(leak.stack).toMatch(/^Listener added here:\n/);
      expect(leak.stack).toMatch(/\s+at .*consumer\/index\.js:\d+:\d+/);
    }
    expect(leaks.find((l) => /SIGUSR2/.test(l.message))!.stack).toMatch(/consumer\/index\.js:5:/);
    expect(process.listenerCount('SIGUSR2')).toBe(before.usr2);
    expect(process.listenerCount('beforeExit')).toBe(before.exit);
    expect(bus.listenerCount('tick')).toBe(1); // the provider's own stays
    await h.dispose();
    expect(leaks).toHaveLength(3); // the provider listening to its own bus is no leak
  });

  it('without reclaim, reports them and leaves them attached', async () => {
    const before = process.listenerCount('SIGUSR2');
    const { host: h, leaks } = await host(false);
    await h.unload('consumer');
    expect(leaks.map((l) => l.message).filter((m) => m.includes('SIGUSR2'))).toEqual([
      'plugin "consumer" left a process.on("SIGUSR2") listener attached that it never removed.',
    ]);
    expect(process.listenerCount('SIGUSR2')).toBe(before + 1);
    process.removeAllListeners('SIGUSR2');
    await h.dispose();
  });
});

describe('owner-collected findings', () => {
  it('name the plugin whose code registered the component, and where', async () => {
    await fx.plugin('registrar', {
      code: `
export default {
  activate(ctx) {
    const part = ctx.component.manager.register({ dropped: true }, 'registrar-cache');
    part.track({ close() {} });
  },
};`,
    });
    const manager = new ResourceManager({ leakTracking: true });
    const leaks: LeakEvent[] = [];
    manager.on('leakDetected', (leak) => leaks.push(leak));
    await using h = new PluginHost({ manager, dirs: [fx.dir], attribution: {}, log: () => {} });
    await h.start();
    for (let i = 0; i < 20 && leaks.length === 0; i++) await collectGarbage(2);
    const leak = leaks.find((l) => l.kind === 'owner-collected')!;
    expect(leak.component.id).toBe('registrar-cache');
    expect(leak.registeredBy).toBe('plugin "registrar"');
    expect(leak.registeredAt).toMatch(/^file:\/\/.*\/registrar\/index\.js:4:\d+$/);
    expect(leak.message).toContain(`It was registered by plugin "registrar" at ${leak.registeredAt}.`);
  });

  it('say nothing of a registrar when no component code was running', async () => {
    const manager = new ResourceManager({ leakTracking: true });
    const leaks: LeakEvent[] = [];
    manager.on('leakDetected', (leak) => leaks.push(leak));
    (() => manager.register({}, 'loose'))();
    for (let i = 0; i < 20 && leaks.length === 0; i++) await collectGarbage(2);
    expect(leaks[0]?.registeredBy).toBeUndefined();
    expect(leaks[0]?.registeredAt).toMatch(/attribution-findings\.test\.ts:\d+:\d+$/);
  });
});

describe("Node's own handles", () => {
  for (const stacks of ['stacks', 'nostacks']) {
    it(`the setImmediate Node queues after a component's uncaught error is Node's (${stacks})`, async () => {
      const run = startFixture('uncaught-attribution.ts', [stacks]);
      const line = await run.waitFor(/^\[/, 'stdout');
      expect(JSON.parse(line)).toEqual(['timer: setInterval (60000 ms)']);
      expect((await run.exited).code).toBe(0);
    });
  }
});

describe('host operations asked for by plugin code', () => {
  it("run as the host's: their timers are not attributed to the plugin that asked", async () => {
    await fx.plugin('slow', {
      code: `export default { activate() { return new Promise((resolve) => setTimeout(resolve, 300)); } };`,
    });
    const manager = new ResourceManager();
    await using h = new PluginHost({ manager, dirs: [fx.dir], attribution: {}, log: () => {} });
    await h.discover();
    const admin = manager.register({}, 'admin', { type: 'plugin' });
    const activating = runInComponent(admin, () => h.activate('slow'));
    await eventually(() => h.get('slow')?.state === 'activating', 5000);
    expect(attributedHandles(admin).map((x) => x.description)).toEqual([]);
    await activating;
    expect(h.get('slow')?.state).toBe('active');
    await admin.cleanup();
  });
});
