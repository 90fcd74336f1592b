import { describe, expect, it } from 'vitest';
import { CleanupError, ResourceManager } from '../../src/core/index.js';
import { anOwner, closable, deferred } from './helpers.js';

describe('manager disposal', () => {
  it("cleans every component up, newest root first, each root's children first", async () => {
    const manager = new ResourceManager();
    const log: string[] = [];
    const a = manager.register(anOwner(), 'a');
    a.track(closable(log, 'a'));
    const b = manager.register(anOwner(), 'b');
    b.track(closable(log, 'b'));
    const a1 = manager.register(anOwner(), 'a1', { parent: a });
    a1.track(closable(log, 'a1'));
    const c = manager.register(anOwner(), 'c');
    c.track(closable(log, 'c'));
    const report = await manager.dispose({ reason: 'shutdown' });
    expect(log).toEqual(['c', 'b', 'a1', 'a']);
    expect(report.componentId).toBe('*');
    expect(report.reason).toBe('shutdown');
    expect(report.components).toEqual(['c', 'b', 'a1', 'a']);
    expect(report.released).toBe(4);
    expect(manager.components()).toEqual([]);
    expect(manager.disposed).toBe(true);
    expect(manager.totalBytes).toBe(0);
  });

  it('is idempotent and refuses new components afterwards', async () => {
    const manager = new ResourceManager();
    const log: string[] = [];
    manager.register(anOwner(), 'a').track(closable(log, 'a'));
    const first = await manager.dispose();
    const second = await manager.dispose();
    expect(second).toBe(first);
    expect(log).toEqual(['a']);
    expect(() => manager.register(anOwner(), 'b')).toThrow(/disposed/);
  });

  it('works with `await using`', async () => {
    const log: string[] = [];
    {
      await using manager = new ResourceManager();
      manager.register(anOwner(), 'a').track(closable(log, 'a'));
      manager.register(anOwner(), 'b').track(closable(log, 'b'));
    }
    expect(log).toEqual(['b', 'a']);
  });

  it('goes on past failures and rejects with one CleanupError unless forced', async () => {
    const manager = new ResourceManager();
    const log: string[] = [];
    manager.register(anOwner(), 'a').track(closable(log, 'a'));
    manager.register(anOwner(), 'b').track(
      {},
      {
        dispose: () => {
          throw new Error('b failed');
        },
      },
    );
    manager.register(anOwner(), 'c').track(closable(log, 'c'));
    const error = (await manager.dispose().catch((e: unknown) => e)) as CleanupError;
    expect(error).toBeInstanceOf(CleanupError);
    expect(error.errors.map((e: Error) => e.message)).toEqual(['b failed']);
    expect(log).toEqual(['c', 'a']);
    const forced = await manager.dispose({ force: true });
    expect(forced.failed).toHaveLength(1);
    expect(forced).toBe(error.report);
  });

  it('joins a component cleanup already in flight', async () => {
    const manager = new ResourceManager();
    const gate = deferred();
    const a = manager.register(anOwner(), 'a');
    a.track({}, { dispose: () => gate.promise });
    const running = a.cleanup();
    const disposing = manager.dispose();
    gate.resolve();
    const [own, all] = await Promise.all([running, disposing]);
    expect(all.components).toEqual(['a']);
    expect(own.components).toEqual(['a']);
    expect(manager.stats().componentsDestroyed).toBe(1);
  });

  it('a disposer that calls manager.dispose() joins the disposal in progress', async () => {
    const manager = new ResourceManager();
    const log: string[] = [];
    let inner: Promise<unknown> | undefined;
    manager.register(anOwner(), 'a').track(closable(log, 'a'));
    manager.register(anOwner(), 'b').track({
      close: () => {
        log.push('b');
        inner = manager.dispose({ force: true });
      },
    });
    const outer = manager.dispose({ force: true });
    const report = await outer;
    expect(inner).toBe(outer);
    expect(log).toEqual(['b', 'a']);
    expect(report.components).toEqual(['b', 'a']);
    expect(manager.stats().componentsDestroyed).toBe(2);
  });

  it('a component registered by a disposer during disposal is refused (none is left behind)', async () => {
    const manager = new ResourceManager();
    let refused: unknown;
    manager.register(anOwner(), 'a').track({
      close: () => {
        try {
          manager.register(anOwner(), 'late');
        } catch (e) {
          refused = e;
        }
      },
    });
    await manager.dispose();
    expect(String(refused)).toMatch(/disposed/);
    expect(manager.components()).toEqual([]);
  });

  it('the whole disposal shares one deadline', async () => {
    const manager = new ResourceManager({ disposerTimeoutMs: 60_000 });
    for (const id of ['a', 'b', 'c']) {
      manager.register(anOwner(), id).track({}, { dispose: () => new Promise(() => undefined) });
    }
    const report = await manager.dispose({ force: true, deadlineMs: 30 });
    expect(report.deadlineExceeded).toBe(true);
    expect(report.abandoned.map((a) => a.componentId)).toEqual(['c', 'b', 'a']);
    expect(manager.components()).toEqual([]);
  });
});
