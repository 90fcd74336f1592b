import { describe, expect, it } from 'vitest';
import { type MemoryEvent, MemoryLimitError, ResourceManager } from '../../src/core/index.js';
import { anOwner, closable } from './helpers.js';

describe('memory accounting', () => {
  it('counts own bytes, subtree bytes and the total', () => {
    const manager = new ResourceManager();
    const root = manager.register(anOwner(), 'root');
    const child = manager.register(anOwner(), 'child', { parent: root });
    const grandchild = manager.register(anOwner(), 'grandchild', { parent: child });
    const other = manager.register(anOwner(), 'other');
    root.track('r', { size: 1 });
    child.track('c', { size: 10 });
    const g = grandchild.track('g', { size: 100 });
    other.track('o', { size: 1000 });
    expect([root.ownBytes, child.ownBytes, grandchild.ownBytes, other.ownBytes]).toEqual([1, 10, 100, 1000]);
    expect([root.bytes, child.bytes, grandchild.bytes, other.bytes]).toEqual([111, 110, 100, 1000]);
    expect(manager.totalBytes).toBe(1111);
    g.resize(300);
    expect([root.bytes, child.bytes, grandchild.bytes]).toEqual([311, 310, 300]);
    expect(manager.totalBytes).toBe(1311);
    g.release();
    expect([root.bytes, child.bytes, grandchild.bytes]).toEqual([11, 10, 0]);
    expect(manager.totalBytes).toBe(1011);
  });

  it('a destroyed child gives its bytes back to its ancestors', async () => {
    const manager = new ResourceManager();
    const root = manager.register(anOwner(), 'root');
    const child = manager.register(anOwner(), 'child', { parent: root });
    child.track('c', { size: 50 });
    root.track('r', { size: 5 });
    await child.cleanup();
    expect(root.bytes).toBe(5);
    expect(manager.totalBytes).toBe(5);
    await root.cleanup();
    expect(manager.totalBytes).toBe(0);
  });

  it('fractional sizes and sizes above MAX_SAFE_INTEGER are refused: 0.1 + 0.2 released must leave 0', () => {
    const manager = new ResourceManager();
    const c = manager.register(anOwner(), 'c');
    expect(() => c.track('a', { size: 0.5 })).toThrow(/whole number of bytes/);
    expect(() => c.track('b', { size: 2 ** 53 + 2 })).toThrow(/MAX_SAFE_INTEGER/);
    const h = c.track('c', { size: 3 });
    expect(() => h.resize(0.1)).toThrow(/whole number of bytes/);
    expect(() => manager.setMemoryLimit({ bytes: 1.5 })).toThrow(/whole number of bytes/);
    expect(manager.totalBytes).toBe(3);
    expect(c.resourceCount).toBe(1);
  });
});

describe('memory limits: warn', () => {
  it('tracks anyway and emits memoryThresholdExceeded (component limit)', () => {
    const manager = new ResourceManager();
    const events: MemoryEvent[] = [];
    manager.on('memoryThresholdExceeded', (e) => events.push(e));
    const c = manager.register(anOwner(), 'c', { memoryLimit: { bytes: 100 } });
    expect(c.memoryLimit).toEqual({ bytes: 100, policy: 'warn' });
    c.track('a', { size: 60 });
    expect(events).toEqual([]);
    c.track('b', { size: 60 });
    expect(c.bytes).toBe(120);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      scope: 'component',
      limitBytes: 100,
      currentBytes: 60,
      requestedBytes: 60,
      policy: 'warn',
      action: 'warned',
      evicted: 0,
    });
    expect(events[0]!.component).toBe(c);
  });

  it("a parent limit applies to its children's tracking", () => {
    const manager = new ResourceManager();
    const events: MemoryEvent[] = [];
    manager.on('memoryThresholdExceeded', (e) => events.push(e));
    const parent = manager.register(anOwner(), 'parent', { memoryLimit: { bytes: 10, policy: 'warn' } });
    const child = manager.register(anOwner(), 'child', { parent });
    child.track('x', { size: 11 });
    expect(events.map((e) => e.component.id)).toEqual(['parent']);
  });

  it('the global limit warns with scope global', () => {
    const manager = new ResourceManager({ memoryLimit: { bytes: 10 } });
    const events: MemoryEvent[] = [];
    manager.on('memoryThresholdExceeded', (e) => events.push(e));
    manager.register(anOwner(), 'a').track('x', { size: 8 });
    manager.register(anOwner(), 'b').track('y', { size: 8 });
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      scope: 'global',
      currentBytes: 8,
      requestedBytes: 8,
      action: 'warned',
    });
    expect(events[0]!.component.id).toBe('b');
    expect(manager.totalBytes).toBe(16);
  });
});

describe('memory limits: reject', () => {
  it('throws MemoryLimitError and tracks nothing; the value is not disposed', () => {
    const manager = new ResourceManager();
    const c = manager.register(anOwner(), 'c', { memoryLimit: { bytes: 100, policy: 'reject' } });
    c.track('a', { size: 90 });
    const log: string[] = [];
    const value = closable(log, 'big');
    let error: unknown;
    try {
      c.track(value, { size: 20 });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(MemoryLimitError);
    expect(error).toMatchObject({
      scope: 'component',
      componentId: 'c',
      limitBytes: 100,
      currentBytes: 90,
      requestedBytes: 20,
    });
    expect((error as Error).message).toMatch(/component "c" holds 90 B of 100 B and cannot take 20 B more/);
    expect(log).toEqual([]);
    expect(c.resourceCount).toBe(1);
    expect(c.bytes).toBe(90);
    expect(manager.totalBytes).toBe(90);
    expect(manager.stats()).toMatchObject({ resourcesTracked: 1, rejections: 1, activeResources: 1 });
    // Exactly at the limit is fine.
    c.track('b', { size: 10 });
    expect(c.bytes).toBe(100);
  });

  it("an ancestor's reject limit stops a descendant, and the error names the ancestor", () => {
    const manager = new ResourceManager();
    const parent = manager.register(anOwner(), 'parent', { memoryLimit: { bytes: 10, policy: 'reject' } });
    const child = manager.register(anOwner(), 'child', { parent });
    expect(() => child.track('x', { size: 11 })).toThrow(/component "parent"/);
    expect(child.resourceCount).toBe(0);
    expect(parent.bytes).toBe(0);
  });

  it('the global reject limit names the component being tracked into', () => {
    const manager = new ResourceManager({ memoryLimit: { bytes: 10, policy: 'reject' } });
    const c = manager.register(anOwner(), 'c');
    c.track('x', { size: 6 });
    let error: unknown;
    try {
      c.track('y', { size: 6 });
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({ scope: 'global', componentId: 'c' });
    expect((error as Error).message).toMatch(/the manager holds 6 B of 10 B/);
    expect((error as Error).message).toMatch(/tracking into "c"/);
    expect(manager.totalBytes).toBe(6);
  });

  it('resize past a reject limit throws and keeps the old size; shrinking always works', () => {
    const manager = new ResourceManager({ memoryLimit: { bytes: 100, policy: 'reject' } });
    const c = manager.register(anOwner(), 'c');
    const h = c.track('x', { size: 50 });
    expect(() => h.resize(101)).toThrow(MemoryLimitError);
    expect(h.size).toBe(50);
    expect(manager.totalBytes).toBe(50);
    h.resize(100);
    expect(manager.totalBytes).toBe(100);
    manager.setMemoryLimit({ bytes: 10, policy: 'reject' });
    h.resize(60); // shrinking past nothing: allowed even though still over the new limit
    expect(h.size).toBe(60);
  });

  it('rejection is checked before any eviction', () => {
    const manager = new ResourceManager({ memoryLimit: { bytes: 10, policy: 'evict' } });
    const c = manager.register(anOwner(), 'c', { memoryLimit: { bytes: 10, policy: 'reject' } });
    const log: string[] = [];
    c.track(closable(log, 'evictable'), { size: 8, evictable: true });
    expect(() => c.track('x', { size: 5 })).toThrow(MemoryLimitError);
    expect(log).toEqual([]);
    expect(c.bytes).toBe(8);
  });

  it('size-0 resources are never rejected', () => {
    const manager = new ResourceManager({ memoryLimit: { bytes: 0, policy: 'reject' } });
    const c = manager.register(anOwner(), 'c');
    expect(() => c.track('x')).not.toThrow();
    expect(() => c.track('y', { size: 1 })).toThrow(MemoryLimitError);
  });
});

describe('memory limits: evict', () => {
  it('releases evictable resources least recently used first until under the limit', () => {
    const manager = new ResourceManager({ memoryLimit: { bytes: 100, policy: 'evict' } });
    const c = manager.register(anOwner(), 'cache');
    const log: string[] = [];
    const released: string[] = [];
    manager.on('released', (e) => released.push(`${e.resource.type}:${e.reason}`));
    const a = c.track(closable(log, 'a'), { type: 'thumbnail', size: 30, evictable: true });
    const b = c.track(closable(log, 'b'), { type: 'thumbnail', size: 30, evictable: true });
    const pinned = c.track(closable(log, 'pinned'), { size: 30 });
    const d = c.track(closable(log, 'd'), { type: 'thumbnail', size: 10, evictable: true });
    a.touch(); // now b is the least recently used
    const events: MemoryEvent[] = [];
    manager.on('memoryThresholdExceeded', (e) => events.push(e));
    c.track(closable(log, 'new'), { size: 45 });
    // Held 100, +45 needs ≤ 55 held: evict b (30) → 70, then d (10) → 60, then a (30) → 30.
    expect(log).toEqual(['b', 'd', 'a']);
    expect([a.released, b.released, d.released, pinned.released]).toEqual([true, true, true, false]);
    expect(released).toEqual(['thumbnail:evicted', 'thumbnail:evicted', 'thumbnail:evicted']);
    expect(manager.totalBytes).toBe(75);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ action: 'evicted', evicted: 3, evictedBytes: 70, policy: 'evict' });
    expect(manager.stats().evictions).toBe(3);
  });

  it('stops as soon as the new resource fits', () => {
    const manager = new ResourceManager({ memoryLimit: { bytes: 100, policy: 'evict' } });
    const c = manager.register(anOwner(), 'cache');
    const log: string[] = [];
    for (const name of ['a', 'b', 'c', 'd']) c.track(closable(log, name), { size: 25, evictable: true });
    c.track('x', { size: 10 });
    expect(log).toEqual(['a']);
    expect(manager.totalBytes).toBe(85);
  });

  it('touch() on a released or non-evictable resource is a no-op', () => {
    const manager = new ResourceManager({ memoryLimit: { bytes: 10, policy: 'evict' } });
    const c = manager.register(anOwner(), 'cache');
    const plain = c.track('p', { size: 1 });
    plain.touch();
    const gone = c.track({ close() {} }, { size: 1, evictable: true });
    gone.release();
    expect(() => gone.touch()).not.toThrow();
    expect(manager.totalBytes).toBe(1);
  });

  it('a component evict limit only evicts within its subtree', () => {
    const manager = new ResourceManager();
    const log: string[] = [];
    const outside = manager.register(anOwner(), 'outside');
    outside.track(closable(log, 'outside'), { size: 50, evictable: true });
    const parent = manager.register(anOwner(), 'parent', { memoryLimit: { bytes: 60, policy: 'evict' } });
    const child = manager.register(anOwner(), 'child', { parent });
    child.track(closable(log, 'child'), { size: 40, evictable: true });
    parent.track(closable(log, 'parent'), { size: 20, evictable: true });
    parent.track('new', { size: 30 });
    expect(log).toEqual(['child']);
    expect(parent.bytes).toBe(50);
    expect(manager.totalBytes).toBe(100);
  });

  it('a subtree eviction follows least-recent use across its components, touches included', () => {
    const manager = new ResourceManager();
    const log: string[] = [];
    const outside = manager.register(anOwner(), 'outside');
    const parent = manager.register(anOwner(), 'parent', { memoryLimit: { bytes: 100, policy: 'evict' } });
    const left = manager.register(anOwner(), 'left', { parent });
    const right = manager.register(anOwner(), 'right', { parent });
    const grandchild = manager.register(anOwner(), 'grandchild', { parent: right });
    const o1 = outside.track(closable(log, 'o1'), { size: 10, evictable: true });
    const l1 = left.track(closable(log, 'l1'), { size: 20, evictable: true });
    grandchild.track(closable(log, 'g1'), { size: 20, evictable: true });
    const r1 = right.track(closable(log, 'r1'), { size: 20, evictable: true });
    left.track(closable(log, 'l2'), { size: 20, evictable: true });
    parent.track(closable(log, 'p1'), { size: 20, evictable: true });
    l1.touch(); // order now: g1, r1, l2, p1, l1
    r1.touch(); // order now: g1, l2, p1, l1, r1
    o1.touch();
    // Held 100; +50 needs ≤ 50 held: g1 (→ 80), l2 (→ 60), p1 (→ 40).
    parent.track('new', { size: 50 });
    expect(log).toEqual(['g1', 'l2', 'p1']);
    expect(o1.released).toBe(false);
    expect(parent.bytes).toBe(90);
    // The lists stay in step with releases and touches: next, l1 then r1.
    parent.track('more', { size: 40 }); // 90 + 40 needs ≤ 60 held: l1 (→ 70), r1 (→ 50)
    expect(log).toEqual(['g1', 'l2', 'p1', 'l1', 'r1']);
    expect(parent.bytes).toBe(90);
    expect(manager.totalBytes).toBe(100);
  });

  it('an evict limit set later orders the subtree records already tracked by their last use', () => {
    const manager = new ResourceManager();
    const log: string[] = [];
    const parent = manager.register(anOwner(), 'parent');
    const child = manager.register(anOwner(), 'child', { parent });
    const outside = manager.register(anOwner(), 'outside');
    const a = child.track(closable(log, 'a'), { size: 10, evictable: true });
    outside.track(closable(log, 'o'), { size: 10, evictable: true });
    parent.track(closable(log, 'b'), { size: 10, evictable: true });
    a.touch(); // order in the subtree: b, a
    parent.setMemoryLimit({ bytes: 20, policy: 'evict' });
    child.track(closable(log, 'c'), { size: 10, evictable: true }); // 30 > 20: b goes
    expect(log).toEqual(['b']);
    parent.setMemoryLimit({ bytes: 20, policy: 'reject' }); // no longer evicts
    expect(() => child.track('d', { size: 10 })).toThrow(MemoryLimitError);
    parent.setMemoryLimit({ bytes: 10, policy: 'evict' }); // rebuilt: a, c
    parent.track('e', { size: 0 });
    child.track('f', { size: 5 }); // 25 > 10: a (→ 15), c (→ 5)
    expect(log).toEqual(['b', 'a', 'c']);
  });

  it('an eviction never evicts what its own disposers tracked or touched (no endless refill)', () => {
    const manager = new ResourceManager();
    const c = manager.register(anOwner(), 'c', { memoryLimit: { bytes: 100, policy: 'evict' } });
    c.track('pinned', { size: 90 });
    let refills = 0;
    const refill = (): void => {
      refills++;
      c.track({}, { evictable: true, dispose: refill });
    };
    c.track({}, { size: 5, evictable: true, dispose: refill });
    const big = c.track('big', { size: 20 }); // cannot fit even after evicting: warned, tracked
    expect(big.released).toBe(false);
    expect(refills).toBe(1);
    expect(c.bytes).toBe(110);
  });

  it('when eviction cannot make room, the resource is still tracked and the event says what was freed', () => {
    const manager = new ResourceManager({ memoryLimit: { bytes: 10, policy: 'evict' } });
    const c = manager.register(anOwner(), 'c');
    const events: MemoryEvent[] = [];
    manager.on('memoryThresholdExceeded', (e) => events.push(e));
    c.track({ close() {} }, { size: 5, evictable: true });
    const big = c.track('big', { size: 50 });
    expect(big.released).toBe(false);
    expect(manager.totalBytes).toBe(50);
    expect(events[0]).toMatchObject({ action: 'evicted', evicted: 1, evictedBytes: 5 });
  });

  it('resize can evict other resources but never the one being resized', () => {
    const manager = new ResourceManager({ memoryLimit: { bytes: 100, policy: 'evict' } });
    const c = manager.register(anOwner(), 'c');
    const log: string[] = [];
    const self = c.track(closable(log, 'self'), { size: 10, evictable: true });
    c.track(closable(log, 'other'), { size: 40, evictable: true });
    self.resize(80);
    expect(log).toEqual(['other']);
    expect(self.released).toBe(false);
    expect(self.size).toBe(80);
    expect(manager.totalBytes).toBe(80);
  });

  it('a throwing evicted disposer is reported and eviction goes on', () => {
    const manager = new ResourceManager({ memoryLimit: { bytes: 10, policy: 'evict' } });
    const c = manager.register(anOwner(), 'c');
    const phases: string[] = [];
    manager.on('disposerFailed', (e) => phases.push(e.phase));
    const log: string[] = [];
    c.track(
      {},
      {
        size: 5,
        evictable: true,
        dispose: () => {
          throw new Error('evict boom');
        },
      },
    );
    c.track(closable(log, 'second'), { size: 5, evictable: true });
    c.track('x', { size: 10 });
    expect(phases).toEqual(['evict']);
    expect(log).toEqual(['second']);
    expect(manager.totalBytes).toBe(10);
  });

  it("an evicted async disposer that rejects is reported with phase 'evict' (nothing timed out: not 'late')", async () => {
    const manager = new ResourceManager({ memoryLimit: { bytes: 10, policy: 'evict' } });
    const c = manager.register(anOwner(), 'c');
    const phases: string[] = [];
    manager.on('disposerFailed', (e) => phases.push(e.phase));
    c.track({}, { size: 10, evictable: true, dispose: async () => Promise.reject(new Error('evict boom')) });
    c.track('x', { size: 10 });
    await expect.poll(() => phases, { timeout: 20_000 }).toEqual(['evict']);
  });
});

describe('memory limits: changing them', () => {
  it('setMemoryLimit on a component and on the manager applies to later tracking; undefined removes it', () => {
    const manager = new ResourceManager();
    const c = manager.register(anOwner(), 'c');
    c.setMemoryLimit({ bytes: 5, policy: 'reject' });
    expect(() => c.track('x', { size: 6 })).toThrow(MemoryLimitError);
    c.setMemoryLimit(undefined);
    expect(c.memoryLimit).toBeUndefined();
    c.track('x', { size: 6 });
    manager.setMemoryLimit({ bytes: 6, policy: 'reject' });
    expect(manager.memoryLimit).toEqual({ bytes: 6, policy: 'reject' });
    expect(() => c.track('y', { size: 1 })).toThrow(/the manager holds 6 B of 6 B/);
    manager.setMemoryLimit(undefined);
    c.track('y', { size: 1 });
    expect(manager.totalBytes).toBe(7);
  });

  it('limits keep applying after other limited components are destroyed (the limit count stays right)', async () => {
    const manager = new ResourceManager();
    const a = manager.register(anOwner(), 'a', { memoryLimit: { bytes: 5, policy: 'reject' } });
    const b = manager.register(anOwner(), 'b');
    b.setMemoryLimit({ bytes: 5, policy: 'reject' });
    await a.cleanup();
    a.setMemoryLimit(undefined); // on a destroyed component: changes nothing
    expect(() => b.track('x', { size: 6 })).toThrow(MemoryLimitError);
    b.setMemoryLimit(undefined);
    b.track('x', { size: 6 });
    const c = manager.register(anOwner(), 'c');
    c.setMemoryLimit({ bytes: 1, policy: 'reject' });
    expect(() => c.track('y', { size: 2 })).toThrow(MemoryLimitError);
  });

  it('an eviction disposer that cleans the component up refuses the new value (disposed, nothing linked)', async () => {
    const manager = new ResourceManager();
    const c = manager.register(anOwner(), 'c', { memoryLimit: { bytes: 1000, policy: 'evict' } });
    c.track({ dispose: () => void c.cleanup({ force: true }) }, { size: 600, evictable: true });
    let disposed = false;
    expect(() => c.track({ dispose: () => (disposed = true) }, { size: 500 })).toThrow(
      /Cannot track a custom in component "c"/,
    );
    expect(disposed).toBe(true);
    await c.cleanup({ force: true });
    expect(manager.activeResources).toBe(0);
    expect(manager.totalBytes).toBe(0);
  });

  it('an eviction disposer that resizes the record being resized leaves the figures right', () => {
    const manager = new ResourceManager();
    const c = manager.register(anOwner(), 'c', { memoryLimit: { bytes: 1000, policy: 'evict' } });
    let h!: ReturnType<typeof c.track>;
    c.track({ dispose: () => h.resize(900) }, { size: 500, evictable: true });
    h = c.track({}, { size: 100 });
    h.resize(600);
    expect(h.size).toBe(600);
    expect(c.ownBytes).toBe(600);
    expect(manager.totalBytes).toBe(600);
  });

  it('events follow the limits in order: no warning for a limit an earlier eviction brought back under', () => {
    const manager = new ResourceManager({ memoryLimit: { bytes: 2500, policy: 'warn' } });
    const c = manager.register(anOwner(), 'c', { memoryLimit: { bytes: 2000, policy: 'evict' } });
    const events: string[] = [];
    manager.on('memoryThresholdExceeded', (e) => events.push(`${e.scope}:${e.action}:${e.currentBytes}`));
    c.track({}, { size: 1000, evictable: true });
    c.track({}, { size: 1000, evictable: true });
    c.track({}, { size: 1000 });
    expect(events).toEqual(['component:evicted:2000']);
    expect(manager.totalBytes).toBe(2000);
  });

  it('evict that cannot free enough tracks the request and warns', () => {
    const manager = new ResourceManager();
    const c = manager.register(anOwner(), 'c', { memoryLimit: { bytes: 1000, policy: 'evict' } });
    const events: string[] = [];
    manager.on('memoryThresholdExceeded', (e) => events.push(`${e.action}:${e.evicted}`));
    c.track({}, { size: 800 });
    c.track({}, { size: 1000 });
    expect(events).toEqual(['evicted:0', 'warned:0']);
    expect(c.bytes).toBe(1800);
  });
});
