import { tsImport } from 'tsx/esm/api';
import { beforeAll, describe, expect, it } from 'vitest';
import type * as Fixture from './fixtures/decorated.js';
import { anOwner } from './helpers.js';

// Standard decorators need a compiler that lowers them: load the fixture through tsx.
let fx: typeof Fixture;
beforeAll(async () => {
  fx = (await tsImport('./fixtures/decorated.ts', import.meta.url)) as typeof Fixture;
});

describe('@trackResult', () => {
  it("tracks a method's return value in the component of `this`, with size from the value", async () => {
    const manager = new fx.core.ResourceManager();
    const renderer = new fx.Renderer(manager, 'renderer');
    const thumb = renderer.render(120);
    expect(thumb).toBeInstanceOf(fx.Thumb);
    const component = manager.get('renderer')!;
    expect(component.resources().map((r) => [r.type, r.size, r.value === thumb, r.metadata])).toEqual([
      ['thumbnail', 120, true, { by: 'render' }],
    ]);
    expect(component.bytes).toBe(120);
    await component.cleanup();
    expect(renderer.log).toEqual(['thumb 120 closed']);
  });

  it('tracks the resolved value of an async method', async () => {
    const manager = new fx.core.ResourceManager();
    const renderer = new fx.Renderer(manager, 'renderer');
    const thumb = await renderer.renderLater(5);
    const component = manager.get('renderer')!;
    expect(component.resources().map((r) => [r.value === thumb, r.size])).toEqual([[true, 7]]);
  });

  it('passes a rejection through and tracks nothing', async () => {
    const manager = new fx.core.ResourceManager();
    const renderer = new fx.Renderer(manager, 'renderer');
    await expect(renderer.renderFails()).rejects.toThrow('render failed');
    expect(manager.get('renderer')!.resourceCount).toBe(0);
  });

  it('throws an InvalidArgumentError before running the method when `this` is not registered', () => {
    const object = new fx.Unregistered();
    expect(() => object.make()).toThrow(fx.core.InvalidArgumentError);
    expect(() => object.make()).toThrow(/@trackResult make\(\).*Unregistered.*manager\.register\(this, id\)/);
    expect(object.calls).toBe(0);
  });

  it('a method returning null or undefined: nothing is tracked and the value is returned as it is', async () => {
    const manager = new fx.core.ResourceManager();
    const renderer = new fx.Renderer(manager, 'renderer');
    expect(renderer.find(false)).toBeNull();
    expect(await renderer.findLater()).toBeUndefined();
    expect(manager.get('renderer')!.resourceCount).toBe(0);
    expect(renderer.find(true)).toBeInstanceOf(fx.Thumb);
    expect(manager.get('renderer')!.resourceCount).toBe(1);
  });

  it('bad decorator options are refused when the class is defined, naming the nearest key', () => {
    expect(() => fx.core.trackResult({ sise: 3 } as never)).toThrow(fx.core.UnknownOptionError);
    expect(() => fx.core.trackResult({ sise: 3 } as never)).toThrow(/did you mean size\?/);
    expect(() => fx.core.cleanupOnThrow({ clean: () => 0 } as never)).toThrow(/did you mean cleanup\?/);
    expect(() => fx.core.trackResult({ size: '3' } as never)).toThrow(fx.core.InvalidArgumentError);
  });

  it('finds the component through options.component', () => {
    const manager = new fx.core.ResourceManager();
    const component = manager.register(anOwner(), 'custom');
    const custom = new fx.Custom(component);
    expect(custom.make()).toBe('data');
    expect(component.bytes).toBe(3);
  });

  it('a refused track disposes the value the caller never received', () => {
    const manager = new fx.core.ResourceManager();
    const renderer = new fx.Renderer(manager, 'renderer');
    manager.get('renderer')!.setMemoryLimit({ bytes: 10, policy: 'reject' });
    expect(() => renderer.render(100)).toThrow(fx.core.MemoryLimitError);
    expect(renderer.calls).toBe(1);
    expect(renderer.log).toEqual(['thumb 100 closed']);
  });

  it('after cleanup: the registration is gone, so it throws before running the method', async () => {
    const manager = new fx.core.ResourceManager();
    const renderer = new fx.Renderer(manager, 'renderer');
    await manager.get('renderer')!.cleanup();
    expect(() => renderer.render(1)).toThrow(fx.core.InvalidArgumentError);
    expect(renderer.calls).toBe(0);
  });

  it('into a destroyed component found through options.component: UseAfterCleanupError', async () => {
    const manager = new fx.core.ResourceManager();
    const component = manager.register(anOwner(), 'custom');
    const custom = new fx.Custom(component);
    await component.cleanup();
    expect(() => custom.make()).toThrow(fx.core.UseAfterCleanupError);
  });
});

describe('@cleanupOnThrow', () => {
  it('a sync throw marks the component failed, cleans it up and rethrows the original error', async () => {
    const manager = new fx.core.ResourceManager();
    const renderer = new fx.Renderer(manager, 'renderer');
    const component = manager.get('renderer')!;
    renderer.render(1);
    const states: string[] = [];
    manager.on('stateChanged', (e) => states.push(e.to));
    expect(() => renderer.explode()).toThrow('sync boom');
    await new Promise((resolve) => setTimeout(resolve, 1));
    expect(states).toEqual(['failed', 'cleaning', 'destroyed']);
    expect((component.error as Error).message).toBe('sync boom');
    expect(renderer.log).toEqual(['thumb 1 closed']);
  });

  it('an async rejection waits for the cleanup, then rethrows', async () => {
    const manager = new fx.core.ResourceManager();
    const renderer = new fx.Renderer(manager, 'renderer');
    const component = manager.get('renderer')!;
    renderer.render(2);
    await expect(renderer.explodeLater()).rejects.toThrow('async boom');
    expect(component.state).toBe('destroyed');
    expect(renderer.log).toEqual(['thumb 2 closed']);
  });

  it('success paths leave the component alone', async () => {
    const manager = new fx.core.ResourceManager();
    const renderer = new fx.Renderer(manager, 'renderer');
    expect(renderer.fine()).toBe(1);
    expect(await renderer.fineLater()).toBe(2);
    expect(manager.get('renderer')!.state).toBe('loaded');
  });

  it('an unregistered `this` is reported before the method runs, never in place of its error', () => {
    const loose = new fx.Unregistered();
    expect(() => loose.explode()).toThrow(
      /@cleanupOnThrow explode\(\): `this` \(Unregistered\) is not registered/,
    );
    expect(loose.calls).toBe(0);
  });

  it('options.cleanup replaces the default cleanup', async () => {
    const manager = new fx.core.ResourceManager();
    const component = manager.register(anOwner(), 'custom');
    const custom = new fx.Custom(component);
    expect(() => custom.fail()).toThrow('custom');
    await new Promise((resolve) => setTimeout(resolve, 1));
    expect(custom.handled.map((e) => (e as Error).message)).toEqual(['custom']);
    expect(component.state).toBe('loaded');
  });
});
