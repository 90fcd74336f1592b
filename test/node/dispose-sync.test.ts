import { describe, expect, it } from 'vitest';
import { ResourceManager } from '../../src/core/index.js';
import { disposeSync } from '../../src/node/index.js';

describe('disposeSync', () => {
  it('calls every disposer synchronously in cleanup order: newest root first, children first, priority, LIFO', () => {
    const manager = new ResourceManager();
    const order: string[] = [];
    const a = manager.register('a');
    const b = manager.register('b');
    const bChild = manager.register('b/child', { parent: b });
    a.onCleanup(() => order.push('a1'));
    a.onCleanup(() => order.push('a2'));
    b.onCleanup(() => order.push('b-low'), { priority: -1 });
    b.onCleanup(() => order.push('b1'));
    b.onCleanup(() => order.push('b-high'), { priority: 5 });
    bChild.onCleanup(() => order.push('child'));
    let late = false;
    b.onCleanup(async () => {
      await null;
      late = true; // not awaited: the process is ending
    });
    a.onCleanup(() => {
      throw new Error('counted, and the sweep goes on');
    });
    const result = disposeSync(manager);
    expect(order).toEqual(['child', 'b-high', 'b1', 'b-low', 'a2', 'a1']);
    expect(result).toEqual({ released: 7, failed: 1 });
    expect(late).toBe(false);
    expect(manager.activeResources).toBe(0);
    expect(disposeSync(manager)).toEqual({ released: 0, failed: 0 });
  });
});
