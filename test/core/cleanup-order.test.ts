import { describe, expect, it } from 'vitest';
import { ResourceManager } from '../../src/core/index.js';
import { anOwner, closable, deferred } from './helpers.js';

describe('cleanup order', () => {
  it('releases newest first (LIFO) without priorities', async () => {
    const manager = new ResourceManager();
    const component = manager.register(anOwner(), 'c');
    const log: string[] = [];
    for (const name of ['a', 'b', 'c', 'd']) component.track(closable(log, name));
    const report = await component.cleanup();
    expect(log).toEqual(['d', 'c', 'b', 'a']);
    expect(report.released).toBe(4);
    expect(report.components).toEqual(['c']);
  });

  it('releases higher priority first, LIFO within a priority', async () => {
    const manager = new ResourceManager();
    const component = manager.register(anOwner(), 'c');
    const log: string[] = [];
    const plan: Array<[string, number]> = [
      ['p0-a', 0],
      ['p5-a', 5],
      ['pm1-a', -1],
      ['p0-b', 0],
      ['p5-b', 5],
      ['p2.5', 2.5],
      ['pm1-b', -1],
      ['p0-c', 0],
    ];
    for (const [name, priority] of plan) component.track(closable(log, name), { priority });
    await component.cleanup();
    expect(log).toEqual(['p5-b', 'p5-a', 'p2.5', 'p0-c', 'p0-b', 'p0-a', 'pm1-b', 'pm1-a']);
  });

  it('cleans children before the parent, newest child first, recursively', async () => {
    const manager = new ResourceManager();
    const root = manager.register(anOwner(), 'root');
    const log: string[] = [];
    root.track(closable(log, 'root-1'), { priority: 100 });
    const a = manager.register(anOwner(), 'a', { parent: root });
    a.track(closable(log, 'a-1'));
    const a1 = manager.register(anOwner(), 'a1', { parent: a });
    a1.track(closable(log, 'a1-1'));
    const b = manager.register(anOwner(), 'b', { parent: root });
    b.track(closable(log, 'b-1'));
    b.track(closable(log, 'b-2'));
    root.track(closable(log, 'root-2'));
    const report = await root.cleanup();
    expect(log).toEqual(['b-2', 'b-1', 'a1-1', 'a-1', 'root-1', 'root-2']);
    expect(report.components).toEqual(['b', 'a1', 'a', 'root']);
    expect(report.released).toBe(6);
    for (const c of [root, a, a1, b]) expect(c.state).toBe('destroyed');
    expect(manager.components()).toEqual([]);
  });

  it('awaits async disposers one at a time, in order', async () => {
    const manager = new ResourceManager();
    const component = manager.register(anOwner(), 'c');
    const log: string[] = [];
    let running = 0;
    for (const name of ['a', 'b', 'c']) {
      component.track(
        {},
        {
          dispose: async () => {
            running++;
            expect(running).toBe(1);
            log.push(`start ${name}`);
            await new Promise((resolve) => setTimeout(resolve, 2));
            log.push(`end ${name}`);
            running--;
          },
        },
      );
    }
    await component.cleanup();
    expect(log).toEqual(['start c', 'end c', 'start b', 'end b', 'start a', 'end a']);
  });

  it('skips a resource that an earlier disposer released, and never disposes it twice', async () => {
    const manager = new ResourceManager();
    const component = manager.register(anOwner(), 'c');
    const log: string[] = [];
    const first = component.track(closable(log, 'first'), { priority: 1 });
    component.track(
      {
        close: () => {
          log.push('second');
          first.release();
        },
      },
      { priority: 2 },
    );
    const report = await component.cleanup();
    expect(log).toEqual(['second', 'first']);
    expect(report.released).toBe(1);
    // Same without priorities (the unsorted path).
    const other = manager.register(anOwner(), 'd');
    const log2: string[] = [];
    const older = other.track(closable(log2, 'older'));
    other.track({
      close: () => {
        log2.push('newer');
        older.release();
      },
    });
    await other.cleanup();
    expect(log2).toEqual(['newer', 'older']);
  });

  it('moves through cleaning to destroyed and empties the component', async () => {
    const manager = new ResourceManager();
    const component = manager.register(anOwner(), 'c', { state: 'active' });
    component.track({ close() {} }, { size: 10 });
    const seen: string[] = [];
    component.track({ close: () => void seen.push(component.state) });
    const gate = deferred();
    component.track({}, { dispose: () => gate.promise });
    const cleaning = component.cleanup();
    expect(component.state).toBe('cleaning');
    expect(component.disposed).toBe(true);
    gate.resolve();
    await cleaning;
    expect(seen).toEqual(['cleaning']);
    expect(component.state).toBe('destroyed');
    expect(component.resourceCount).toBe(0);
    expect(component.bytes).toBe(0);
    expect(manager.totalBytes).toBe(0);
    expect(manager.get('c')).toBeUndefined();
  });

  it('is idempotent: calling cleanup again returns the same report', async () => {
    const manager = new ResourceManager();
    const component = manager.register(anOwner(), 'c');
    const log: string[] = [];
    component.track(closable(log, 'once'));
    const first = await component.cleanup();
    const second = await component.cleanup();
    expect(second).toBe(first);
    expect(log).toEqual(['once']);
    expect(manager.stats().componentsDestroyed).toBe(1);
  });

  it('concurrent cleanups share one run', async () => {
    const manager = new ResourceManager();
    const component = manager.register(anOwner(), 'c');
    const gate = deferred();
    let calls = 0;
    component.track(
      {},
      {
        dispose: () => {
          calls++;
          return gate.promise;
        },
      },
    );
    const a = component.cleanup();
    const b = component.cleanup({ force: true });
    const c = component.cleanup({ reason: 'ignored' });
    gate.resolve();
    const [ra, rb, rc] = await Promise.all([a, b, c]);
    expect(ra).toBe(rb);
    expect(rb).toBe(rc);
    expect(calls).toBe(1);
    expect(ra.reason).toBeUndefined();
  });

  it('a parent cleanup joins a child cleanup already in flight', async () => {
    const manager = new ResourceManager();
    const parent = manager.register(anOwner(), 'parent');
    const child = manager.register(anOwner(), 'child', { parent });
    const gate = deferred();
    const log: string[] = [];
    child.track({}, { dispose: () => gate.promise.then(() => void log.push('child')) });
    parent.track(closable(log, 'parent'));
    const childRun = child.cleanup();
    const parentRun = parent.cleanup();
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(log).toEqual([]); // the parent waits for the child
    gate.resolve();
    const [childReport, parentReport] = await Promise.all([childRun, parentRun]);
    expect(log).toEqual(['child', 'parent']);
    expect(parentReport.components).toEqual(['child', 'parent']);
    expect(childReport.components).toEqual(['child']);
  });

  it('cleanups of different components run independently (no global in-progress flag)', async () => {
    const manager = new ResourceManager();
    const slow = manager.register(anOwner(), 'slow');
    const fast = manager.register(anOwner(), 'fast');
    const gate = deferred();
    const log: string[] = [];
    slow.track({}, { dispose: () => gate.promise });
    fast.track(closable(log, 'fast'));
    const slowRun = slow.cleanup();
    await fast.cleanup();
    expect(log).toEqual(['fast']);
    expect(fast.state).toBe('destroyed');
    expect(slow.state).toBe('cleaning');
    gate.resolve();
    await slowRun;
  });

  it('the reason is carried into the report and the events', async () => {
    const manager = new ResourceManager();
    const component = manager.register(anOwner(), 'c');
    const reasons: unknown[] = [];
    manager.on('cleanupStarted', (e) => reasons.push(e.reason));
    const report = await component.cleanup({ reason: 'unload' });
    expect(report.reason).toBe('unload');
    expect(reasons).toEqual(['unload']);
  });
});

describe('cleanup re-entrancy', () => {
  it('a disposer that calls cleanup() of its own component joins the run instead of starting a second one', async () => {
    const manager = new ResourceManager();
    const component = manager.register(anOwner(), 'c');
    const transitions: string[] = [];
    manager.on('stateChanged', (e) => transitions.push(`${e.from}->${e.to}`));
    let finished = 0;
    manager.on('cleanupFinished', () => finished++);
    const log: string[] = [];
    let inner: Promise<unknown> | undefined;
    component.track(closable(log, 'oldest'));
    component.track({
      close: () => {
        log.push('reenter');
        inner = component.cleanup();
      },
    });
    component.track(closable(log, 'newest'));
    const outer = component.cleanup();
    const report = await outer;
    expect(await inner).toBe(report);
    expect(log).toEqual(['newest', 'reenter', 'oldest']);
    expect(transitions).toEqual(['loaded->cleaning', 'cleaning->destroyed']);
    expect(finished).toBe(1);
    expect(report.released).toBe(3);
    expect(manager.stats().componentsDestroyed).toBe(1);
  });

  it("a child disposer that calls cleanup() of the parent joins the parent's run", async () => {
    const manager = new ResourceManager();
    const parent = manager.register(anOwner(), 'parent');
    const child = manager.register(anOwner(), 'child', { parent });
    const started: string[] = [];
    manager.on('cleanupStarted', (e) => started.push(e.component.id));
    const log: string[] = [];
    parent.track(closable(log, 'parent-res'));
    child.track({
      close: () => {
        log.push('child-res');
        void parent.cleanup();
      },
    });
    await parent.cleanup();
    expect(started).toEqual(['parent', 'child']);
    expect(log).toEqual(['child-res', 'parent-res']);
    expect(manager.stats().componentsDestroyed).toBe(2);
  });

  it('a stateChanged listener that calls cleanup() on "cleaning" joins the run', async () => {
    const manager = new ResourceManager();
    const component = manager.register(anOwner(), 'c');
    let joined: Promise<unknown> | undefined;
    manager.on('stateChanged', (e) => {
      if (e.to === 'cleaning') joined = e.component.cleanup();
    });
    const log: string[] = [];
    component.track(closable(log, 'x'));
    const report = await component.cleanup();
    expect(await joined).toBe(report);
    expect(log).toEqual(['x']);
  });
});
