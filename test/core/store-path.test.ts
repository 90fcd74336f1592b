import { describe, expect, it } from 'vitest';
import { InvalidArgumentError, ResourceManager, UseAfterCleanupError } from '../../src/core/index.js';
import { deferred } from './helpers.js';

/** A ready-made disposable that logs its disposal. */
function disposable(log: string[], name: string, dispose?: () => unknown): { dispose(): unknown } {
  return {
    dispose() {
      log.push(name);
      return dispose?.();
    },
  };
}

describe('component.add / delete / deleteAndLeak (the DisposableStore-shaped path)', () => {
  it('keeps the one order: added objects and tracked resources newest first, after higher priorities', async () => {
    const manager = new ResourceManager();
    const component = manager.register('mixed');
    const log: string[] = [];
    const first = disposable(log, 'added 1');
    expect(component.add(first)).toBe(first);
    component.track({ close: () => log.push('tracked 2') });
    component.add(disposable(log, 'added 3'));
    component.onCleanup(() => log.push('callback 4'));
    component.add({ [Symbol.dispose]: () => log.push('added 5 (Symbol.dispose)') });
    component.onCleanup(() => log.push('urgent'), { priority: 10 });
    component.onCleanup(() => log.push('last'), { priority: -1 });
    expect(component.resourceCount).toBe(7);
    expect(manager.stats().byComponent.mixed!.byType.disposable).toEqual({ count: 3, bytes: 0 });
    expect(component.resources()).toHaveLength(4); // added objects have no handle
    await component.cleanup();
    expect(log).toEqual([
      'urgent',
      'added 5 (Symbol.dispose)',
      'callback 4',
      'added 3',
      'tracked 2',
      'added 1',
      'last',
    ]);
    expect(manager.activeResources).toBe(0);
  });

  it('delete disposes now; deleteAndLeak hands it back; neither touches what was not added', async () => {
    const manager = new ResourceManager();
    const component = manager.register('early');
    const log: string[] = [];
    const a = component.add(disposable(log, 'a'));
    const b = component.add(disposable(log, 'b'));
    component.add(a); // twice: one entry
    expect(component.resourceCount).toBe(2);
    expect(component.delete(a)).toBe(true);
    expect(component.delete(a)).toBe(false);
    expect(component.deleteAndLeak(b)).toBe(true);
    expect(component.delete(disposable(log, 'stranger'))).toBe(false);
    expect(log).toEqual(['a']);
    expect(component.resourceCount).toBe(0);
    await component.cleanup();
    expect(log).toEqual(['a']);
  });

  it('reports failures and timeouts like a tracked resource, and the sweep goes on', async () => {
    const manager = new ResourceManager({ disposerTimeoutMs: 50 });
    const component = manager.register('failing');
    const log: string[] = [];
    const events: string[] = [];
    manager.on('disposerFailed', (e) => events.push(`${e.phase}:${e.resource?.type}`));
    const boom = new Error('boom');
    component.add(disposable(log, 'ok'));
    component.add(disposable(log, 'hangs', () => new Promise(() => {})));
    const thrower = component.add(
      disposable(log, 'throws', () => {
        throw boom;
      }),
    );
    const slow = deferred();
    component.add(disposable(log, 'async', () => slow.promise));
    setTimeout(() => slow.resolve(), 5);
    const report = await component.cleanup({ force: true });
    expect(log).toEqual(['async', 'throws', 'hangs', 'ok']);
    expect(report.failed.map((f) => [f.type, f.error])).toEqual([['disposable', boom]]);
    expect(report.abandoned.map((a) => a.type)).toEqual(['disposable']);
    expect(report.released).toBe(2);
    expect(events).toEqual(['cleanup:disposable']);
    expect(thrower).toBeDefined();
  });

  it('during cleanup the sweep owns them: a dispose() deleting another gets false, each is disposed once', async () => {
    const manager = new ResourceManager();
    const component = manager.register('nested');
    const log: string[] = [];
    const answers: boolean[] = [];
    const inner = component.add(disposable(log, 'inner'));
    component.add(disposable(log, 'outer', () => answers.push(component.delete(inner))));
    await component.cleanup();
    expect(log).toEqual(['outer', 'inner']);
    expect(answers).toEqual([false]);
    expect(component.resourceCount).toBe(0);
    expect(manager.activeResources).toBe(0);
  });

  it('refuses a value without a dispose method, and disposes at once what comes after cleanup', async () => {
    const manager = new ResourceManager();
    const component = manager.register('done');
    expect(() => component.add({} as never)).toThrow(/expected an object with a dispose\(\) method/);
    expect(() => component.add(null as never)).toThrow(InvalidArgumentError);
    await component.cleanup();
    const log: string[] = [];
    expect(() => component.add(disposable(log, 'late'))).toThrow(UseAfterCleanupError);
    expect(log).toEqual(['late']);
  });
});
