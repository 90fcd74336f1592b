import { describe, expect, it } from 'vitest';
import {
  CleanupError,
  InvalidArgumentError,
  ResourceManager,
  UseAfterCleanupError,
} from '../../src/core/index.js';
import { anOwner, closable, collectGarbage } from './helpers.js';

describe('scopes', () => {
  it('a scope is an active child component whose memory counts towards the parent', async () => {
    const manager = new ResourceManager();
    const parent = manager.register(anOwner(), 'plugin');
    const scope = parent.scope('request');
    expect(scope.type).toBe('scope');
    expect(scope.state).toBe('active');
    expect(scope.parent).toBe(parent);
    expect(scope.id).toMatch(/^plugin\/request#\d+$/);
    expect(parent.children).toEqual([scope]);
    scope.track('buffer', { size: 64 });
    expect(parent.bytes).toBe(64);
    await scope.cleanup();
    expect(parent.bytes).toBe(0);
    expect(parent.children).toEqual([]);
    expect(manager.get(scope.id)).toBeUndefined();
  });

  it('scopes get distinct ids', () => {
    const manager = new ResourceManager();
    const parent = manager.register(anOwner(), 'p');
    const ids = [parent.scope().id, parent.scope().id, manager.scope().id, manager.scope('x').id];
    expect(new Set(ids).size).toBe(4);
    expect(ids[2]).toMatch(/^scope#\d+$/);
  });

  it("`await using` releases a scope's resources at the end of the block", async () => {
    const manager = new ResourceManager();
    const parent = manager.register(anOwner(), 'p');
    const log: string[] = [];
    {
      await using scope = parent.scope();
      scope.track(closable(log, 'a'));
      scope.track(closable(log, 'b'));
      expect(log).toEqual([]);
    }
    expect(log).toEqual(['b', 'a']);
    expect(parent.children).toEqual([]);
  });

  it('`await using` releases on throw too', async () => {
    const manager = new ResourceManager();
    const log: string[] = [];
    await expect(
      (async () => {
        await using scope = manager.scope();
        scope.track(closable(log, 'a'));
        throw new Error('block failed');
      })(),
    ).rejects.toThrow('block failed');
    expect(log).toEqual(['a']);
    expect(manager.components()).toEqual([]);
  });

  it('a parent cleanup cleans its open scopes first', async () => {
    const manager = new ResourceManager();
    const parent = manager.register(anOwner(), 'p');
    const log: string[] = [];
    parent.track(closable(log, 'parent'));
    const scope = parent.scope();
    scope.track(closable(log, 'scoped'));
    await parent.cleanup();
    expect(log).toEqual(['scoped', 'parent']);
    expect(scope.state).toBe('destroyed');
  });

  it("run() returns the block's result and cleans the scope up", async () => {
    const manager = new ResourceManager();
    const parent = manager.register(anOwner(), 'p');
    const log: string[] = [];
    let seen: string | undefined;
    const result = await parent.run(async (scope) => {
      seen = scope.id;
      scope.track(closable(log, 'x'));
      await new Promise((resolve) => setTimeout(resolve, 1));
      return 42;
    });
    expect(result).toBe(42);
    expect(log).toEqual(['x']);
    expect(manager.get(seen!)).toBeUndefined();
    expect(await manager.run((scope) => scope.type)).toBe('scope');
  });

  it("run() cleans up when the block throws and rethrows the block's error", async () => {
    const manager = new ResourceManager();
    const log: string[] = [];
    const boom = new Error('boom');
    await expect(
      manager.run((scope) => {
        scope.track(closable(log, 'x'));
        throw boom;
      }),
    ).rejects.toBe(boom);
    expect(log).toEqual(['x']);
    expect(manager.components()).toEqual([]);
  });

  it('run() rejects with CleanupError when only the cleanup failed', async () => {
    const manager = new ResourceManager();
    await expect(
      manager.run((scope) => {
        scope.track(
          {},
          {
            dispose: () => {
              throw new Error('dispose failed');
            },
          },
        );
        return 'ok';
      }),
    ).rejects.toBeInstanceOf(CleanupError);
  });

  it('run() keeps both errors when the block and the cleanup fail', async () => {
    const manager = new ResourceManager();
    const blockError = new Error('block');
    const error = (await manager
      .run((scope) => {
        scope.track(
          {},
          {
            dispose: () => {
              throw new Error('dispose failed');
            },
          },
        );
        throw blockError;
      })
      .catch((e: unknown) => e)) as Error & { error: unknown; suppressed: unknown };
    expect(error.name).toBe('SuppressedError');
    expect(error.error).toBeInstanceOf(CleanupError);
    expect(error.suppressed).toBe(blockError);
  });

  it('a scope in use survives garbage collection (its owner is internal, not forgotten)', async () => {
    const manager = new ResourceManager();
    const leaks: string[] = [];
    manager.on('leakDetected', (e) => leaks.push(`${e.kind} ${e.component.id}`));
    const log: string[] = [];
    const parent = manager.register(manager, 'p'); // owner kept alive by the test
    const open = parent.scope();
    open.track(closable(log, 'open-scope'));
    await parent.run(async (scope) => {
      scope.track(closable(log, 'run-scope'));
      await collectGarbage();
      expect(scope.state).toBe('active');
      expect(log).toEqual([]);
    });
    expect(log).toEqual(['run-scope']);
    expect(open.state).toBe('active');
    expect(manager.checkLeaks()).toEqual([]);
    expect(leaks).toEqual([]);
    await open.cleanup();
    expect(log).toEqual(['run-scope', 'open-scope']);
  });

  it('a scope cannot be opened in a cleaned-up component, on a disposed manager, or with a bad name', async () => {
    const manager = new ResourceManager();
    const parent = manager.register(anOwner(), 'plugin');
    expect(() => parent.scope('')).toThrow(InvalidArgumentError);
    expect(() => parent.scope(42 as unknown as string)).toThrow(/name must be a non-empty string \(got 42\)/);
    await parent.cleanup();
    expect(() => parent.scope('late')).toThrow(UseAfterCleanupError);
    expect(() => parent.scope('late')).toThrow(/open scope "late" in/);
    const count = manager.stats().components;
    await manager.dispose();
    expect(() => manager.scope()).toThrow(/manager is disposed/);
    expect(manager.stats().components).toBe(count); // nothing half-registered
  });

  it('a scope is listed and found by id like any component, and forgotten after its cleanup', async () => {
    const manager = new ResourceManager();
    const scope = manager.scope('job');
    expect(manager.get(scope.id)).toBe(scope);
    expect(manager.components()).toContain(scope);
    expect(scope.owner).toBeTypeOf('object');
    expect(manager.componentOf(scope.owner as object)).toBe(scope);
    await scope.cleanup();
    expect(manager.get(scope.id)).toBeUndefined();
    expect(manager.components()).toEqual([]);
  });
});
