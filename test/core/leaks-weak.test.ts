import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { type Component, type LeakEvent, ResourceManager } from '../../src/core/index.js';
import { anOwner, closable, collectGarbage, deferred, sleep } from './helpers.js';

class Blob {
  readonly data = new Array(1000).fill(0);
  closed = 0;
  close(): void {
    this.closed++;
  }
}

/** Register a component whose owner nobody keeps; return only the component. */
function forgottenOwner(manager: ResourceManager, id: string, log: string[]): Component {
  const component = manager.register({ id }, id);
  component.track(closable(log, `${id}-res`));
  return component;
}

describe('weak tracking', () => {
  it('drops the record (and its bytes) when the value is collected, without calling a disposer', async () => {
    const manager = new ResourceManager();
    const owner = {}; // kept alive: only the tracked value may be collected here
    const component = manager.register(owner, 'cache');
    const reasons: string[] = [];
    manager.on('released', (e) => reasons.push(e.reason));
    const kept = new Blob();
    const keptHandle = component.track(kept, { weak: true, size: 10 });
    (() => {
      component.track(new Blob(), { weak: true, size: 100, type: 'thumbnail' });
    })();
    expect(component.resourceCount).toBe(2);
    expect(manager.totalBytes).toBe(110);
    await collectGarbage();
    expect(component.resourceCount).toBe(1);
    expect(component.resources()).toEqual([keptHandle]);
    expect(manager.totalBytes).toBe(10);
    expect(reasons).toEqual(['collected']);
    expect(keptHandle.value).toBe(kept);
    expect(keptHandle.weak).toBe(true);
    await component.cleanup();
    expect(kept.closed).toBe(1);
    expect(owner).toBeDefined();
  });

  it('a weakly tracked value that is still alive is released normally', () => {
    const manager = new ResourceManager();
    const component = manager.register(anOwner(), 'cache');
    const value = new Blob();
    const handle = component.track(value, { weak: true });
    expect(handle.release()).toBe(true);
    expect(value.closed).toBe(1);
  });
});

describe('owner collected without cleanup', () => {
  it('cleans the component up anyway and reports an owner-collected leak with the creation stack', async () => {
    const manager = new ResourceManager({ leakTracking: true });
    const leaks: LeakEvent[] = [];
    manager.on('leakDetected', (e) => leaks.push(e));
    const log: string[] = [];
    const component = forgottenOwner(manager, 'forgotten', log);
    const child = manager.register(anOwner(), 'kid', { parent: component });
    child.track(closable(log, 'kid-res'));
    const keptOwner = {};
    const kept = manager.register(keptOwner, 'kept');
    await collectGarbage();
    expect(leaks.map((l) => [l.kind, l.component.id])).toContainEqual(['owner-collected', 'forgotten']);
    const leak = leaks.find((l) => l.component.id === 'forgotten')!;
    expect(leak.message).toMatch(/"forgotten"/);
    expect(leak.stack).toMatch(/leaks-weak\.test\.ts/);
    expect(component.state).toBe('destroyed');
    expect(child.state).toBe('destroyed');
    expect(log).toContain('forgotten-res');
    expect(log).toContain('kid-res');
    expect(log.indexOf('kid-res')).toBeLessThan(log.indexOf('forgotten-res'));
    expect(manager.get('forgotten')).toBeUndefined();
    expect(kept.state).toBe('loaded');
    expect(manager.stats().leaksDetected).toBeGreaterThanOrEqual(1);
    expect(keptOwner).toBeDefined();
  });

  it('reports no leak for an owner that is collected after its cleanup started', async () => {
    const manager = new ResourceManager();
    const leaks: string[] = [];
    manager.on('leakDetected', (e) => leaks.push(`${e.kind} ${e.component.id}`));
    const gate = deferred();
    const done = (() => {
      const component = manager.register({}, 'closing');
      component.track({}, { dispose: () => gate.promise });
      return component.cleanup();
    })();
    await collectGarbage();
    gate.resolve();
    await done;
    expect(leaks).toEqual([]);
  });

  it('reports no leak for an owner collected after cleanup finished', async () => {
    const manager = new ResourceManager();
    const leaks: string[] = [];
    manager.on('leakDetected', (e) => leaks.push(e.kind));
    await (async () => {
      const component = manager.register({}, 'clean');
      component.track({ close() {} });
      await component.cleanup();
    })();
    await collectGarbage();
    expect(leaks).toEqual([]);
  });
});

describe('leak checks', () => {
  it('creation stacks are captured only with leak tracking', () => {
    const off = new ResourceManager();
    expect(off.register(anOwner(), 'a').track({ close() {} }).stack).toBeUndefined();
    const on = new ResourceManager({ leakTracking: true });
    const handle = on.register(anOwner(), 'a').track({ close() {} });
    expect(handle.stack).toMatch(/leaks-weak\.test\.ts/);
    expect(handle.toJSON().stack).toBe(handle.stack);
    const noStacks = new ResourceManager({ leakTracking: { captureStacks: false } });
    expect(noStacks.register(anOwner(), 'a').track({ close() {} }).stack).toBeUndefined();
  });

  it('checkLeaks() reports resources older than maxResourceAgeMs, once each', async () => {
    // Ages come from Date.now(): a fake clock makes them exact, so a loaded machine that pauses
    // the test between two lines cannot age the fresh resource past the limit.
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      const manager = new ResourceManager({ leakTracking: { maxResourceAgeMs: 5 } });
      const component = manager.register(anOwner(), 'app');
      const old = component.track({ close() {} }, { type: 'socket' });
      vi.setSystemTime(Date.now() + 20);
      await null; // a new run of JavaScript: the clock is read afresh
      component.track({ close() {} }, { type: 'timer', dispose: () => undefined });
      const found = manager.checkLeaks();
      expect(found).toHaveLength(1);
      expect(found[0]).toMatchObject({ kind: 'long-lived', component: 'app', resource: old.id });
      expect(found[0]!.message).toMatch(
        new RegExp(`^socket #${old.id} of "app" is 20 ms old \\(limit 5 ms\\)\\. .*keeps the owner alive`),
      );
      expect(JSON.parse(JSON.stringify(found))).toEqual(found);
      expect(manager.checkLeaks()).toEqual([]);
    } finally {
      vi.useRealTimers();
    }
  });

  it('checkLeaks() finds nothing on a healthy manager', () => {
    const manager = new ResourceManager({ leakTracking: true });
    const owner = {};
    manager.register(owner, 'ok').track({ close() {} });
    expect(manager.checkLeaks()).toEqual([]);
  });

  it('the periodic sweep runs checkLeaks and stops at dispose', async () => {
    // Real timers: the sweep runs on Steward's own setInterval (captured at import, so neither a
    // plugin nor a fake-timer library replacing the global can stop it). No wall-clock bound:
    // the test waits as long as a loaded machine needs.
    const manager = new ResourceManager({ leakTracking: { sweepIntervalMs: 5, maxResourceAgeMs: 1 } });
    const sweeps = vi.spyOn(manager, 'checkLeaks');
    const leaks: string[] = [];
    manager.on('leakDetected', (e) => leaks.push(e.kind));
    const owner = {};
    manager.register(owner, 'app').track({ close() {} });
    await expect
      .poll(() => sweeps.mock.calls.length, { timeout: 20_000, interval: 5 })
      .toBeGreaterThanOrEqual(3);
    expect(leaks).toEqual(['long-lived']); // reported once, not at every sweep
    await manager.dispose();
    const after = sweeps.mock.calls.length;
    await new Promise((r) => setTimeout(r, 50));
    expect(sweeps.mock.calls.length).toBe(after);
  });

  it('other layers report leaks through the public reportLeak()', () => {
    const manager = new ResourceManager();
    const component = manager.register(anOwner(), 'plugin');
    const seen: LeakEvent[] = [];
    manager.on('leakDetected', (e) => seen.push(e));
    const finding = manager.reportLeak({
      kind: 'untracked-handle',
      component,
      message: 'a Timeout created by "plugin" was never tracked',
      stack: 'at somewhere',
    });
    expect(finding).toEqual({
      kind: 'untracked-handle',
      component: 'plugin',
      message: 'a Timeout created by "plugin" was never tracked',
      stack: 'at somewhere',
    });
    expect(seen).toHaveLength(1);
    expect(manager.stats().leaksDetected).toBe(1);
  });

  it('reportLeak() refuses a component of another manager or no component; counters() is a copy', () => {
    const manager = new ResourceManager();
    const foreign = new ResourceManager().register(anOwner(), 'elsewhere');
    expect(() => manager.reportLeak({ kind: 'untracked-handle', component: foreign, message: 'x' })).toThrow(
      /component "elsewhere" belongs to another manager/,
    );
    expect(() => manager.reportLeak({ kind: 'untracked-handle', message: 'x' } as never)).toThrow(
      /expected \{ kind, component, message/,
    );
    const counters = manager.counters();
    counters.leaksDetected = 99;
    expect(manager.counters().leaksDetected).toBe(0);
    manager.register(anOwner(), 'c').track({});
    expect(manager.counters()).toMatchObject({ componentsRegistered: 1, resourcesTracked: 1 });
  });

  it('the sweep timer never keeps a process alive', async () => {
    const root = join(import.meta.dirname, '../..');
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', join(import.meta.dirname, 'fixtures/sweep-exits.ts')],
      {
        cwd: root,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const outcome = await Promise.race([exited, sleep(15_000).then(() => 'still running' as const)]);
    if (outcome === 'still running') child.kill('SIGKILL');
    expect(outcome, stderr).toBe(0);
    expect(stdout).toContain('leak long-lived app');
    expect(stdout).toContain('main done, owner app still alive');
  });
});
