import { describe, expect, it } from 'vitest';
import { CleanupError, DisposerTimeoutError, ResourceManager } from '../../src/core/index.js';
import { anOwner, closable, sleep } from './helpers.js';

const hang = () => new Promise<void>(() => undefined);

describe('failures: the sweep never stops half-way', () => {
  it('goes on past throwing and rejecting disposers and rejects with one CleanupError', async () => {
    const manager = new ResourceManager();
    const component = manager.register(anOwner(), 'c');
    const log: string[] = [];
    component.track(closable(log, 'a'));
    component.track({}, { type: 'socket', dispose: () => Promise.reject(new Error('reject-b')) });
    component.track(closable(log, 'c'));
    component.track(
      {},
      {
        type: 'timer',
        dispose: () => {
          throw new Error('throw-d');
        },
      },
    );
    component.track(closable(log, 'e'));
    const error = await component.cleanup().catch((e: unknown) => e);
    expect(log).toEqual(['e', 'c', 'a']);
    expect(error).toBeInstanceOf(CleanupError);
    expect(error).toBeInstanceOf(AggregateError);
    const cleanupError = error as CleanupError;
    expect(cleanupError.errors.map((e: Error) => e.message)).toEqual(['throw-d', 'reject-b']);
    expect(cleanupError.message).toMatch(/"c"/);
    expect(cleanupError.message).toMatch(/2 failed/);
    expect(cleanupError.message).toMatch(/force: true/);
    const { report } = cleanupError;
    expect(report.released).toBe(3);
    expect(report.failed.map((f) => f.type)).toEqual(['timer', 'socket']);
    expect(report.failed.every((f) => f.componentId === 'c')).toBe(true);
    expect(report.abandoned).toEqual([]);
    expect(component.state).toBe('destroyed');
    expect(component.resourceCount).toBe(0);
    expect(manager.stats().disposerFailures).toBe(2);
  });

  it('with force, resolves with the report instead', async () => {
    const manager = new ResourceManager();
    const component = manager.register(anOwner(), 'c');
    component.track(
      {},
      {
        dispose: () => {
          throw new Error('x');
        },
      },
    );
    const report = await component.cleanup({ force: true });
    expect(report.failed).toHaveLength(1);
    // A later non-forced call on the same (finished) run still reports the problem.
    await expect(component.cleanup()).rejects.toBeInstanceOf(CleanupError);
  });

  it('failing cleanup callbacks do not stop the sweep either', async () => {
    const manager = new ResourceManager();
    const component = manager.register(anOwner(), 'c');
    const log: string[] = [];
    component.track(closable(log, 'resource'));
    component.onCleanup(() => {
      throw new Error('callback failed');
    });
    const report = await component.cleanup({ force: true });
    expect(log).toEqual(['resource']);
    expect(report.failed).toHaveLength(1);
    expect(report.failed[0]!.type).toBe('callback');
  });

  it('a failing child does not stop the parent, and the parent report carries the child failure', async () => {
    const manager = new ResourceManager();
    const parent = manager.register(anOwner(), 'parent');
    const child = manager.register(anOwner(), 'child', { parent });
    const log: string[] = [];
    child.track({}, { dispose: () => Promise.reject(new Error('child failed')) });
    parent.track(closable(log, 'parent-res'));
    const report = await parent.cleanup({ force: true });
    expect(log).toEqual(['parent-res']);
    expect(report.failed.map((f) => f.componentId)).toEqual(['child']);
    expect(report.components).toEqual(['child', 'parent']);
    expect(child.state).toBe('destroyed');
    expect(parent.state).toBe('destroyed');
  });

  it('emits disposerFailed with the phase "cleanup"', async () => {
    const manager = new ResourceManager();
    const component = manager.register(anOwner(), 'c');
    const events: unknown[] = [];
    manager.on('disposerFailed', (e) => events.push([e.component.id, e.resource?.type, e.phase]));
    component.track(
      {},
      {
        type: 'worker',
        dispose: () => {
          throw new Error('x');
        },
      },
    );
    await component.cleanup({ force: true });
    expect(events).toEqual([['c', 'worker', 'cleanup']]);
  });

  it('a disposer returning a thenable whose then() throws is a failure, not the end of the sweep', async () => {
    const manager = new ResourceManager();
    const component = manager.register(anOwner(), 'c');
    const log: string[] = [];
    component.track(closable(log, 'older'));
    component.track(
      {},
      {
        dispose: () => ({
          // biome-ignore lint/suspicious/noThenProperty: a hostile thenable is the point of the test
          then() {
            throw new Error('broken thenable');
          },
        }),
      },
    );
    const report = await Promise.race([
      component.cleanup({ force: true }),
      sleep(2000).then(() => 'hung' as const),
    ]);
    expect(report).not.toBe('hung');
    expect(log).toEqual(['older']);
    expect(component.state).toBe('destroyed');
    if (report !== 'hung')
      expect(report.failed.map((f) => (f.error as Error).message)).toEqual(['broken thenable']);
  });
});

describe('deadlines: per-disposer timeout and per-cleanup deadline', () => {
  it('abandons a hanging disposer at its timeout and goes on', async () => {
    const manager = new ResourceManager({ disposerTimeoutMs: 20 });
    const component = manager.register(anOwner(), 'c');
    const log: string[] = [];
    const timedOut: unknown[] = [];
    manager.on('disposerTimedOut', (e) => timedOut.push([e.component.id, e.resource.type, e.timeoutMs]));
    component.track(closable(log, 'after'));
    component.track({}, { type: 'worker', dispose: hang });
    // The disposer never settles: that cleanup() resolves at all is the timeout at work (no
    // wall-clock bound, which a loaded machine could break).
    const error = (await component.cleanup().catch((e: unknown) => e)) as CleanupError;
    expect(error).toBeInstanceOf(CleanupError);
    expect(log).toEqual(['after']);
    expect(error.report.abandoned).toHaveLength(1);
    const abandoned = error.report.abandoned[0]!;
    expect(abandoned.type).toBe('worker');
    expect(abandoned.error).toBeInstanceOf(DisposerTimeoutError);
    expect(abandoned.error.message).toMatch(/20 ms/);
    expect(error.report.deadlineExceeded).toBe(false);
    expect(timedOut).toEqual([['c', 'worker', 20]]);
    expect(manager.stats().disposerTimeouts).toBe(1);
    expect(component.state).toBe('destroyed');
  });

  it("cleanup({ disposerTimeoutMs }) overrides the manager's timeout", async () => {
    const manager = new ResourceManager({ disposerTimeoutMs: 60_000 });
    const component = manager.register(anOwner(), 'c');
    component.track({}, { dispose: hang });
    const report = await component.cleanup({ force: true, disposerTimeoutMs: 20 });
    expect(report.abandoned).toHaveLength(1);
    expect(report.abandoned[0]!.error.message).toMatch(/20 ms/);
  });

  it('each hanging disposer gets its own timeout; the deadline bounds the whole cleanup', async () => {
    const manager = new ResourceManager({ disposerTimeoutMs: 30, cleanupDeadlineMs: 50 });
    const component = manager.register(anOwner(), 'c');
    const called: number[] = [];
    for (let i = 0; i < 6; i++) {
      component.track(
        {},
        {
          dispose: () => {
            called.push(i);
            return hang();
          },
        },
      );
    }
    const log: string[] = [];
    component.track(closable(log, 'sync-first'), { priority: -1 });
    const report = await component.cleanup({ force: true }); // resolves although none settles
    // Every disposer was called, even past the deadline; only the first ones were awaited.
    expect(called).toEqual([5, 4, 3, 2, 1, 0]);
    expect(log).toEqual(['sync-first']);
    expect(report.abandoned).toHaveLength(6);
    expect(report.deadlineExceeded).toBe(true);
    expect(report.released).toBe(1);
    expect(component.state).toBe('destroyed');
  });

  it("cleanup({ deadlineMs }) overrides the manager's deadline, and children share the parent's deadline", async () => {
    const manager = new ResourceManager({ disposerTimeoutMs: 60_000, cleanupDeadlineMs: 60_000 });
    const parent = manager.register(anOwner(), 'parent');
    const child = manager.register(anOwner(), 'child', { parent });
    child.track({}, { dispose: hang });
    let parentCalled = false;
    parent.track(
      {},
      {
        dispose: () => {
          parentCalled = true;
          return hang();
        },
      },
    );
    const report = await parent.cleanup({ force: true, deadlineMs: 30 });
    expect(parentCalled).toBe(true);
    expect(report.deadlineExceeded).toBe(true);
    expect(report.abandoned.map((a) => a.componentId)).toEqual(['child', 'parent']);
    expect(child.state).toBe('destroyed');
  });

  it('a rejection that arrives after the timeout is still reported (phase "late")', async () => {
    const manager = new ResourceManager({ disposerTimeoutMs: 10 });
    const component = manager.register(anOwner(), 'c');
    const phases: string[] = [];
    manager.on('disposerFailed', (e) => phases.push(e.phase));
    component.track(
      {},
      {
        dispose: () => new Promise<void>((_, reject) => setTimeout(() => reject(new Error('too late')), 40)),
      },
    );
    const report = await component.cleanup({ force: true });
    expect(report.abandoned).toHaveLength(1);
    expect(phases).toEqual([]);
    await sleep(80);
    expect(phases).toEqual(['late']);
    expect(manager.stats().disposerFailures).toBe(1);
  });

  it('a disposer that settles in time is not abandoned', async () => {
    const manager = new ResourceManager({ disposerTimeoutMs: 1000 });
    const component = manager.register(anOwner(), 'c');
    component.track({}, { dispose: () => sleep(5) });
    const report = await component.cleanup();
    expect(report.released).toBe(1);
    expect(report.abandoned).toEqual([]);
    expect(report.durationMs).toBeGreaterThan(0);
  });
});
