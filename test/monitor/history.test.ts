import { afterEach, describe, expect, it } from 'vitest';
import { ResourceManager } from '../../src/core/index.js';
import { MemoryHistory } from '../../src/monitor/history.js';
import { SampleRing } from '../../src/monitor/ring.js';

const owners: object[] = [];
let manager: ResourceManager;
afterEach(async () => {
  await manager?.dispose({ force: true });
  owners.length = 0;
});
function owner(): object {
  const o = {};
  owners.push(o);
  return o;
}

describe('SampleRing', () => {
  it('keeps the last `capacity` rows, oldest first', () => {
    const ring = new SampleRing(3, 2);
    for (let i = 1; i <= 5; i++) ring.push(i, i * 10);
    expect(ring.length).toBe(3);
    expect(ring.rows()).toEqual([
      [3, 30],
      [4, 40],
      [5, 50],
    ]);
    expect(() => new SampleRing(0, 1)).toThrow(/capacity must be an integer >= 1/);
  });
});

describe('MemoryHistory', () => {
  it('samples own and subtree bytes and resource counts per component and in total', () => {
    manager = new ResourceManager();
    const parent = manager.register(owner(), 'p');
    const child = manager.register(owner(), 'c', { parent });
    const history = new MemoryHistory(manager, { samples: 3 });
    const r = child.track(1, { size: 100, dispose: null });
    history.sample(1000);
    r.resize(300);
    parent.track(2, { size: 5, dispose: null });
    history.sample(2000);
    expect(history.series('p')!.samples).toEqual([
      { t: 1000, ownBytes: 0, subtreeBytes: 100, resources: 0 },
      { t: 2000, ownBytes: 5, subtreeBytes: 305, resources: 1 },
    ]);
    expect(history.series('c')!.samples.map((s) => s.ownBytes)).toEqual([100, 300]);
    expect(history.series(undefined)!.samples.map((s) => s.subtreeBytes)).toEqual([100, 305]);
    for (let t = 3000; t <= 6000; t += 1000) history.sample(t);
    expect(history.series('p')!.samples.map((s) => s.t)).toEqual([4000, 5000, 6000]);
  });

  it('forgets components that are gone, restarts for a new component with the same id, and is bounded', async () => {
    manager = new ResourceManager();
    const history = new MemoryHistory(manager, { maxComponents: 2 });
    const a = manager.register(owner(), 'a');
    manager.register(owner(), 'b');
    manager.register(owner(), 'c');
    history.sample(1);
    expect([history.has('a'), history.has('b'), history.has('c')]).toEqual([true, true, false]);
    await a.cleanup();
    history.sample(2);
    expect(history.has('a')).toBe(false);
    expect(history.has('c')).toBe(true);
    manager.register(owner(), 'a');
    history.sample(3);
    expect(history.has('a')).toBe(false);
    await manager.get('c')!.cleanup();
    history.sample(4);
    expect(history.series('a')!.samples).toHaveLength(1);
  });

  it("samples on an unref'd timer and stops", () => {
    manager = new ResourceManager();
    const history = new MemoryHistory(manager, { intervalMs: 60_000 });
    history.start();
    expect(history.series(undefined)!.samples).toHaveLength(1);
    history.stop();
    expect(() => new MemoryHistory(manager, { intervalMs: 0 })).toThrow(/intervalMs must be an integer >= 1/);
  });
});
