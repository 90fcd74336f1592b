import { describe, expect, it, vi } from 'vitest';
import { ResourceManager } from '../../src/core/index.js';
import { collectGarbage, deferred, sleep } from './helpers.js';

describe('components without an owner object', () => {
  it('register(id) is held until cleaned up: garbage collection does not touch it', async () => {
    const manager = new ResourceManager();
    const closed: string[] = [];
    (() => {
      const component = manager.register('app', { type: 'service' });
      component.track({ close: () => closed.push('timer') });
    })();
    await collectGarbage();
    expect(closed).toEqual([]);
    const component = manager.get('app')!;
    expect(component.state).toBe('loaded');
    expect(component.type).toBe('service');
    expect(manager.checkLeaks()).toEqual([]);
    await component.cleanup();
    expect(closed).toEqual(['timer']);
  });

  it('register(string, string) says what the two forms are', () => {
    const manager = new ResourceManager();
    expect(() => manager.register('plugin' as never, 'x')).toThrow(
      /Without an owner, call register\(id, options\?\)/,
    );
  });
});

describe('an owner collected without cleanup', () => {
  function forget(manager: ResourceManager, id: string, closed: string[]): void {
    const component = manager.register({ name: id }, id);
    component.track({ close: () => closed.push(id) });
  }

  it('still gets its component cleaned, and a warning naming it and where it was registered, once', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    try {
      const manager = new ResourceManager();
      const closed: string[] = [];
      forget(manager, 'tab-1', closed);
      for (let i = 0; i < 20 && closed.length === 0; i++) await collectGarbage(2);
      expect(closed).toEqual(['tab-1']);
      await collectGarbage(2);
      const warnings = warn.mock.calls.map((c) => String(c[0]));
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toContain('"tab-1"');
      expect(warnings[0]).toContain('owners.test.ts'); // where it was registered
      expect(warnings[0]).toContain('manager.register("tab-1")');
    } finally {
      warn.mockRestore();
    }
  });

  it('with a leakDetected listener, the listener hears it and nothing is printed', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    try {
      const manager = new ResourceManager();
      const kinds: string[] = [];
      manager.on('leakDetected', (e) => kinds.push(e.kind));
      const closed: string[] = [];
      forget(manager, 'panel', closed);
      for (let i = 0; i < 20 && closed.length === 0; i++) await collectGarbage(2);
      expect(closed).toEqual(['panel']);
      expect(kinds).toEqual(['owner-collected']);
      expect(warn).not.toHaveBeenCalled();
    } finally {
      warn.mockRestore();
    }
  });

  it('the reverse: an owner its own tracked callback refers to is never collected', async () => {
    const manager = new ResourceManager({ leakTracking: { captureStacks: false, maxResourceAgeMs: 1 } });
    const ref = new WeakRef(
      (() => {
        const owner = {
          ticks: 0,
          tick() {
            this.ticks++;
          },
        };
        const component = manager.register(owner, 'plugin-base');
        component.onCleanup(() => owner.tick()); // the cycle: manager → component → callback → owner
        return owner;
      })(),
    );
    await collectGarbage();
    expect(ref.deref()).toBeDefined();
    expect(manager.get('plugin-base')!.state).toBe('loaded');
    await sleep(5);
    const [finding] = manager.checkLeaks();
    expect(finding).toMatchObject({ kind: 'long-lived', component: 'plugin-base' });
    expect(finding!.message).toMatch(/keeps the owner alive: it is then never garbage-collected/);
    await manager.dispose();
  });
});

describe('a disposal in flight is visible as disposing', () => {
  it('during cleanup: counted (count, bytes) in the manager, stats and snapshot until it settles', async () => {
    const manager = new ResourceManager();
    const component = manager.register('db');
    const gate = deferred();
    component.track({}, { size: 300, dispose: () => gate.promise });
    component.track({}, { size: 20, dispose: () => {} });
    const run = component.cleanup();
    await sleep(1);
    expect(manager.activeResources).toBe(0);
    expect(manager.totalBytes).toBe(0);
    expect(manager.disposing).toEqual({ count: 1, bytes: 300 });
    expect(component.disposing).toEqual({ count: 1, bytes: 300 });
    expect(manager.stats().disposing).toEqual({ count: 1, bytes: 300 });
    expect(manager.stats().byComponent.db!.disposing).toEqual({ count: 1, bytes: 300 });
    const snapshot = manager.snapshot();
    expect(snapshot.stats.disposing).toEqual({ count: 1, bytes: 300 });
    expect(snapshot.components[0]!.disposing).toEqual({ count: 1, bytes: 300 });
    gate.resolve();
    await run;
    expect(manager.disposing).toEqual({ count: 0, bytes: 0 });
  });

  it('a hung disposer stays disposing until it is abandoned at its timeout', async () => {
    const manager = new ResourceManager({ disposerTimeoutMs: 60 });
    const component = manager.register('hung');
    component.track({}, { size: 7, dispose: () => new Promise(() => {}) });
    const run = component.cleanup({ force: true });
    await sleep(1);
    expect(manager.disposing).toEqual({ count: 1, bytes: 7 });
    const report = await run;
    expect(report.abandoned).toHaveLength(1);
    expect(manager.disposing).toEqual({ count: 0, bytes: 0 });
  });

  it('release() and releaseAsync() of an async disposer too', async () => {
    const manager = new ResourceManager();
    const component = manager.register('early');
    const a = deferred();
    const b = deferred();
    const first = component.track({}, { size: 1, dispose: () => a.promise });
    const second = component.track({}, { size: 2, dispose: () => b.promise });
    first.release();
    const pending = second.releaseAsync();
    expect(manager.disposing).toEqual({ count: 2, bytes: 3 });
    a.resolve();
    await sleep(1);
    expect(manager.disposing).toEqual({ count: 1, bytes: 2 });
    b.resolve();
    await pending;
    expect(manager.disposing).toEqual({ count: 0, bytes: 0 });
    await component.cleanup();
  });
});

describe('looking up and releasing by resource id', () => {
  it('is O(1) from the first lookup on, and builds nothing for an app that never looks up', async () => {
    const manager = new ResourceManager();
    const a = manager.register('a');
    const b = manager.register('b');
    const closed: number[] = [];
    const handles = Array.from({ length: 5 }, (_, i) => a.track({ close: () => closed.push(i) }));
    const other = b.track({ close: () => closed.push(99) });
    expect(manager._index).toBeUndefined();
    expect(manager.resource(handles[2]!.id)).toBe(handles[2]);
    expect(a.resource(other.id)).toBeUndefined(); // another component's
    expect(b.resource(other.id)).toBe(other);
    const later = a.track({ close: () => closed.push(5) }); // tracked after the index was built
    expect(a.resource(later.id)).toBe(later);
    expect(a.releaseResource(handles[1]!.id)).toBe(true);
    expect(closed).toEqual([1]);
    expect(a.releaseResource(handles[1]!.id)).toBe(false); // already released
    expect(manager.resource(handles[1]!.id)).toBeUndefined();
    expect(a.releaseResource(other.id)).toBe(false);
    expect(() => manager.resource('3' as never)).toThrow(/integer resource id/);
    await manager.dispose();
    expect(manager.resource(handles[0]!.id)).toBeUndefined();
  });
});
