import { describe, expect, it } from 'vitest';
import {
  adopt,
  adoptAll,
  InvalidArgumentError,
  ResourceManager,
  StewardError,
} from '../../src/core/index.js';
import { anOwner, closable } from './helpers.js';

class LegacyCache {
  readonly log: string[] = [];
  cleanup(): void {
    this.log.push('legacy cleanup');
  }
  dispose(): void {
    this.log.push('legacy dispose');
  }
}

describe('adopt', () => {
  it('gives a legacy object a component; its own cleanup runs once, after every tracked resource', async () => {
    const manager = new ResourceManager();
    const cache = new LegacyCache();
    const adopted = adopt(manager, cache, { id: 'cache', metadata: { legacy: true } });
    expect(adopted.target).toBe(cache);
    expect(adopted.component.type).toBe('legacy');
    expect(adopted.component.metadata).toEqual({ legacy: true });
    expect(manager.componentOf(cache)).toBe(adopted.component);
    adopted.track(closable(cache.log, 'a'));
    adopted.track(closable(cache.log, 'b'), { priority: 1 });
    const report = await adopted.cleanup();
    expect(cache.log).toEqual(['b', 'a', 'legacy cleanup']);
    expect(report.components).toEqual(['cache']);
    expect(adopted.component.state).toBe('destroyed');
  });

  it('finds the legacy method in the order cleanup, dispose, close, destroy', async () => {
    const manager = new ResourceManager();
    const log: string[] = [];
    const objects = [
      { id: 'd', target: { dispose: () => log.push('d.dispose'), close: () => log.push('d.close') } },
      { id: 'c', target: { close: () => log.push('c.close'), destroy: () => log.push('c.destroy') } },
      { id: 'x', target: { destroy: () => log.push('x.destroy') } },
    ];
    for (const { id, target } of objects) await adopt(manager, target, { id }).cleanup();
    expect(log).toEqual(['d.dispose', 'c.close', 'x.destroy']);
  });

  it('an object without a cleanup method, or with cleanup: null, gets no legacy cleanup', async () => {
    const manager = new ResourceManager();
    const plain = adopt(manager, { data: 1 }, { id: 'plain' });
    expect(plain.component.resourceCount).toBe(0);
    const cache = new LegacyCache();
    const none = adopt(manager, cache, { id: 'none', cleanup: null });
    expect(none.component.resourceCount).toBe(0);
    await none.cleanup();
    expect(cache.log).toEqual([]);
  });

  it('accepts an explicit cleanup function that gets the target', async () => {
    const manager = new ResourceManager();
    const cache = new LegacyCache();
    let got: unknown;
    const adopted = adopt(manager, cache, { id: 'explicit', cleanup: (t) => void (got = t) });
    await adopted.cleanup();
    expect(got).toBe(cache);
    expect(cache.log).toEqual([]);
  });

  it('helpers track and release through the component', () => {
    const manager = new ResourceManager();
    const adopted = adopt(manager, {}, { id: 'h' });
    const log: string[] = [];
    const handle = adopted.track(closable(log, 'r'), { size: 10 });
    expect(adopted.component.bytes).toBe(10);
    expect(adopted.release(handle)).toBe(true);
    expect(log).toEqual(['r']);
    const other = manager.register(anOwner(), 'other').track({ close() {} });
    expect(() => adopted.release(other)).toThrow(InvalidArgumentError);
  });

  it('adopting the same object twice returns the same component and registers its cleanup once', async () => {
    const manager = new ResourceManager();
    const cache = new LegacyCache();
    const first = adopt(manager, cache, { id: 'cache' });
    const second = adopt(manager, cache, { id: 'cache' });
    expect(second.component).toBe(first.component);
    expect(first.component.resourceCount).toBe(1);
    await second.cleanup();
    expect(cache.log).toEqual(['legacy cleanup']);
  });

  it('a failing legacy cleanup is reported like any disposer', async () => {
    const manager = new ResourceManager();
    const target = {
      cleanup() {
        throw new Error('legacy failed');
      },
    };
    const report = await adopt(manager, target, { id: 'bad' }).cleanup({ force: true });
    expect(report.failed.map((f) => (f.error as Error).message)).toEqual(['legacy failed']);
  });

  it('bad input throws and registers nothing', () => {
    const manager = new ResourceManager();
    expect(() => adopt(manager, {}, { id: 'x', cleanup: 'nope' as never })).toThrow(InvalidArgumentError);
    expect(() => adopt(manager, {}, { id: 'x', cleanup: 'nope' as never })).toThrow(
      /options\.cleanup must be a function or null/,
    );
    expect(() => adopt(manager, {}, null as never)).toThrow(/options must be an object with an id/);
    expect(() => adopt(manager, 42 as never, { id: 'x' })).toThrow(/owner must be an object/);
    expect(() => adopt(manager, {}, { id: '' })).toThrow(InvalidArgumentError);
    manager.register(anOwner(), 'taken');
    expect(() => adopt(manager, new LegacyCache(), { id: 'taken' })).toThrow(StewardError);
    expect(manager.components().map((c) => c.id)).toEqual(['taken']);
  });
});

describe('adoptAll', () => {
  it('adopts several objects and reports one result per entry, in order; a failure does not stop the rest', () => {
    const manager = new ResourceManager();
    manager.register(anOwner(), 'taken');
    const a = new LegacyCache();
    const b = new LegacyCache();
    const results = adoptAll(manager, [
      { target: a, id: 'a' },
      { target: new LegacyCache(), id: 'taken' },
      { target: b, id: 'b', type: 'cache' },
      { target: new LegacyCache(), id: 'a' },
    ]);
    expect(results.map((r) => [r.id, r.ok])).toEqual([
      ['a', true],
      ['taken', false],
      ['b', true],
      ['a', false],
    ]);
    const [ra, rtaken, rb] = results;
    if (ra?.ok) expect(ra.adopted.target).toBe(a);
    if (rb?.ok) expect(rb.adopted.component.type).toBe('cache');
    if (rtaken && !rtaken.ok) expect(String(rtaken.error)).toMatch(/"taken" is already used/);
    expect(manager.components().map((c) => c.id)).toEqual(['taken', 'a', 'b']);
  });

  it('a malformed entry becomes a failed result instead of aborting the batch half-way', () => {
    const manager = new ResourceManager();
    const results = adoptAll(manager, [
      { target: new LegacyCache(), id: 'first' },
      null as never,
      { target: new LegacyCache(), id: 'last' },
    ]);
    expect(results.map((r) => r.ok)).toEqual([true, false, true]);
    const failed = results[1]!;
    if (!failed.ok) expect(failed.error).toBeInstanceOf(InvalidArgumentError);
    expect(manager.components().map((c) => c.id)).toEqual(['first', 'last']);
  });

  it('refuses a non-array with an InvalidArgumentError and adopts nothing', () => {
    const manager = new ResourceManager();
    expect(() => adoptAll(manager, { target: {}, id: 'x' } as never)).toThrow(InvalidArgumentError);
    expect(() => adoptAll(manager, { target: {}, id: 'x' } as never)).toThrow(/array/);
    expect(manager.components()).toEqual([]);
  });
});
