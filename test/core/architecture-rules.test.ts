/**
 * docs/architecture.md, "The rules cleanup obeys": one describe per numbered rule, named after
 * it, each test written so that it fails when the rule is broken (not a copy of the code).
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  CleanupError,
  type CleanupReport,
  createToken,
  type DisposerTimeoutError,
  type FailurePhase,
  type MemoryEvent,
  MemoryLimitError,
  ResourceManager,
  UseAfterCleanupError,
} from '../../src/core/index.js';
import { anOwner, collectGarbage, deferred } from './helpers.js';

const GUARD_MS = 60_000;

function setup(options?: ConstructorParameters<typeof ResourceManager>[0]) {
  const manager = new ResourceManager(options);
  const component = manager.register(anOwner(), 'c');
  return { manager, component };
}

describe('rule 1. Order', () => {
  it('services first, then children newest first, then own records by priority and newest first', async () => {
    const { manager, component } = setup();
    const log: string[] = [];
    const disposeAs = (name: string) => ({ dispose: () => void log.push(name) });
    component.track({}, disposeAs('own old'));
    const older = manager.register(anOwner(), 'child-old', { parent: component });
    const newer = manager.register(anOwner(), 'child-new', { parent: component });
    older.track({}, disposeAs('child-old'));
    newer.track({}, disposeAs('child-new'));
    component.track({}, { ...disposeAs('own high'), priority: 5 });
    component.onCleanup(() => void log.push('callback'));
    const token = createToken<string>('rule1.service');
    manager.services.provide(token, 'x', { component });
    const seenByChild: Array<string | undefined> = [];
    newer.onCleanup(() => void seenByChild.push(manager.services.tryGet(token)));
    component.track({}, disposeAs('own new'));
    await component.cleanup();
    expect(seenByChild).toEqual([undefined]); // withdrawn before any child ran
    expect(log).toEqual(['child-new', 'child-old', 'own high', 'own new', 'callback', 'own old']);
  });
});

describe('rule 2. Never stop half-way', () => {
  it('a throwing, a rejecting and a hanging disposer are reported and everything else still runs; then CleanupError', async () => {
    const { manager, component } = setup({ disposerTimeoutMs: 20 });
    const ran: string[] = [];
    const phases: FailurePhase[] = [];
    manager.on('disposerFailed', (e) => phases.push(e.phase));
    component.track({}, { dispose: () => void ran.push('first') });
    component.track({}, { dispose: () => Promise.reject(new Error('rejects')) });
    component.track({}, { dispose: () => new Promise(() => undefined) });
    component.track(
      {},
      {
        dispose: () => {
          throw new Error('throws');
        },
      },
    );
    component.track({}, { dispose: () => void ran.push('last') });
    const error = (await component.cleanup().catch((e: unknown) => e)) as CleanupError;
    expect(error).toBeInstanceOf(CleanupError);
    expect(error).toBeInstanceOf(AggregateError);
    expect(error.code).toBe('STEWARD_CLEANUP_FAILED');
    expect(ran).toEqual(['last', 'first']);
    expect(error.errors.map((e) => (e as Error).message.slice(0, 20))).toEqual([
      'throws',
      'rejects',
      expect.stringMatching(/^Disposer of custom/),
    ]);
    expect(error.report.released).toBe(2);
    expect(phases).toEqual(['cleanup', 'cleanup']);
    expect(component.state).toBe('destroyed');
  });

  it('{ force: true } resolves with the same report instead', async () => {
    const { component } = setup();
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
  });
});

describe('rule 3. Deadlines', () => {
  it('async disposers are awaited one at a time, each within disposerTimeoutMs; an abandoned one still reports its late rejection', async () => {
    const { manager, component } = setup({ disposerTimeoutMs: 20 });
    const late: unknown[] = [];
    manager.on('disposerFailed', (e) => e.phase === 'late' && late.push(e.error));
    const order: string[] = [];
    const slow = deferred();
    component.track({}, { dispose: () => order.push('second') && undefined });
    component.track(
      {},
      {
        dispose: () => {
          order.push('first');
          return slow.promise;
        },
      },
    );
    const run = component.cleanup({ force: true });
    expect(order).toEqual(['first']); // the next one waits for the async one
    const report = await run;
    expect(order).toEqual(['first', 'second']);
    expect((report.abandoned[0]!.error as DisposerTimeoutError).budget).toBe('disposerTimeoutMs');
    slow.reject(new Error('too late'));
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(late).toEqual([new Error('too late')]);
  });

  it(
    'past the deadline the remaining disposers are still called, not awaited, and named as cut off by cleanupDeadlineMs',
    async () => {
      const { component } = setup({ disposerTimeoutMs: 2 ** 31 - 1, cleanupDeadlineMs: 20 });
      const called: string[] = [];
      component.track({}, { dispose: () => void called.push('sync after the deadline') });
      const hangAs = (name: string) => () => {
        called.push(name);
        return new Promise(() => undefined);
      };
      component.track({}, { dispose: hangAs('async after the deadline') });
      component.track({}, { dispose: hangAs('hangs') });
      const report = await component.cleanup({ force: true });
      expect(called).toEqual(['hangs', 'async after the deadline', 'sync after the deadline']);
      expect(report.deadlineExceeded).toBe(true);
      expect(report.abandoned.map((a) => (a.error as DisposerTimeoutError).budget)).toEqual([
        'cleanupDeadlineMs',
        'cleanupDeadlineMs',
      ]);
      expect(report.released).toBe(1);
    },
    GUARD_MS,
  );

  it('synchronous disposers cost no microtask: all of them have run when cleanup() returns', () => {
    const { component } = setup();
    const log: number[] = [];
    for (let i = 0; i < 5; i++) component.track({}, { dispose: () => void log.push(i) });
    void component.cleanup();
    expect(log).toEqual([4, 3, 2, 1, 0]);
  });

  it(
    'the timers of a running cleanup are ref’d: a process waits for its cleanup to finish',
    async () => {
      const child = spawn(
        process.execPath,
        ['--import', 'tsx', join(import.meta.dirname, 'fixtures/cleanup-holds-process.ts')],
        { cwd: join(import.meta.dirname, '../..'), stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.stderr.on('data', (d) => (stderr += d));
      const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
      expect(code, stderr).toBe(0);
      expect(stdout).toBe('finished: released 1, abandoned 1, owner object\n');
    },
    GUARD_MS,
  );

  it(
    'every other timer Steward owns is unref’d: a periodic leak sweep never keeps a process alive',
    async () => {
      const child = spawn(
        process.execPath,
        ['--import', 'tsx', join(import.meta.dirname, 'fixtures/sweep-exits.ts')],
        { cwd: join(import.meta.dirname, '../..'), stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let stdout = '';
      child.stdout.on('data', (d) => (stdout += d));
      const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
      expect(code).toBe(0);
      expect(stdout).toContain('main done');
    },
    GUARD_MS,
  );
});

describe('rule 4. Idempotent', () => {
  it('releasing twice returns false; the disposer runs once', () => {
    const { component } = setup();
    let runs = 0;
    const handle = component.track({}, { dispose: () => void runs++ });
    expect(handle.release()).toBe(true);
    expect(handle.release()).toBe(false);
    expect(runs).toBe(1);
  });

  it('concurrent, repeated and re-entrant cleanup() calls share one run', async () => {
    const { component } = setup();
    let runs = 0;
    let reentrant: Promise<CleanupReport> | undefined;
    component.track({}, { dispose: () => void runs++ });
    component.onCleanup(() => {
      reentrant = component.cleanup();
    });
    const a = component.cleanup();
    const b = component.cleanup();
    const [ra, rb, rc] = await Promise.all([a, b, reentrant!]);
    expect(ra).toBe(rb);
    expect(rc).toBe(ra);
    expect(await component.cleanup()).toBe(ra);
    expect(runs).toBe(1);
  });

  it('no global "cleanup in progress" flag: a second component cleans up while the first is still cleaning', async () => {
    const manager = new ResourceManager();
    const first = manager.register(anOwner(), 'first');
    const second = manager.register(anOwner(), 'second');
    const gate = deferred();
    let secondRan = false;
    first.track({}, { dispose: () => gate.promise });
    second.track({}, { dispose: () => void (secondRan = true) });
    const firstRun = first.cleanup();
    await second.cleanup();
    expect(secondRan).toBe(true);
    expect(first.state).toBe('cleaning');
    gate.resolve();
    await firstRun;
  });
});

describe('rule 5. Use after cleanup', () => {
  it.each(['cleaning', 'destroyed'])(
    'tracking into a %s component disposes the value at once and throws naming it; cause has the cleanup stack',
    async (when) => {
      const { component } = setup({ leakTracking: true });
      const gate = deferred();
      component.track({}, { dispose: () => gate.promise });
      const run = component.cleanup();
      if (when === 'destroyed') {
        gate.resolve();
        await run;
      }
      let disposed = 0;
      const error = (() => {
        try {
          component.track({ close: () => void disposed++ });
        } catch (e) {
          return e as UseAfterCleanupError;
        }
      })();
      expect(error).toBeInstanceOf(UseAfterCleanupError);
      expect(error!.componentId).toBe('c');
      expect(error!.message).toContain(`"c": it is ${when}`);
      expect((error!.cause as Error).stack).toMatch(/cleanup started/);
      expect(disposed).toBe(1);
      gate.resolve();
      await run;
    },
  );
});

describe('rule 6. Memory accounting', () => {
  it('own, subtree and total bytes follow track, resize and release through the parent chain; sizes are whole bytes', () => {
    const manager = new ResourceManager();
    const parent = manager.register(anOwner(), 'p');
    const child = manager.register(anOwner(), 'k', { parent });
    const a = child.track({}, { size: 10 });
    parent.track({}, { size: 5 });
    a.resize(30);
    expect([child.ownBytes, child.bytes, parent.ownBytes, parent.bytes, manager.totalBytes]).toEqual([
      30, 30, 5, 35, 35,
    ]);
    a.release();
    expect([child.bytes, parent.bytes, manager.totalBytes]).toEqual([0, 5, 5]);
    expect(() => child.track({}, { size: 0.5 })).toThrow(/whole number of bytes/);
  });

  it('warn: tracked, and an event each time a request goes over (not only the first crossing)', () => {
    const { manager, component } = setup();
    component.setMemoryLimit({ bytes: 10, policy: 'warn' });
    const actions: string[] = [];
    manager.on('memoryThresholdExceeded', (e) => actions.push(e.action));
    component.track({}, { size: 20 });
    component.track({}, { size: 1 });
    expect(actions).toEqual(['warned', 'warned']);
    expect(component.bytes).toBe(21);
  });

  it('reject: MemoryLimitError, nothing changes, and the caller still owns the value (not disposed)', () => {
    const { manager, component } = setup();
    manager.setMemoryLimit({ bytes: 10, policy: 'reject' });
    let closed = false;
    expect(() => component.track({ close: () => void (closed = true) }, { size: 11 })).toThrow(
      MemoryLimitError,
    );
    expect([closed, component.resourceCount, manager.totalBytes]).toEqual([false, 0, 0]);
  });

  it('evict: least recently used first (touch() counts), only under the limit’s subtree; then warned if it still does not fit', () => {
    const manager = new ResourceManager();
    const limited = manager.register(anOwner(), 'limited', { memoryLimit: { bytes: 30, policy: 'evict' } });
    const outside = manager.register(anOwner(), 'outside');
    const evicted: string[] = [];
    const cache = (name: string, owner = limited) =>
      owner.track({ name }, { size: 10, evictable: true, dispose: (v) => void evicted.push(v.name) });
    cache('outside', outside);
    const a = cache('a');
    cache('b');
    cache('c');
    a.touch();
    cache('d');
    expect(evicted).toEqual(['b']);
    const events: MemoryEvent[] = [];
    manager.on('memoryThresholdExceeded', (e) => events.push(e));
    limited.track({}, { size: 100 });
    expect(evicted).toEqual(['b', 'c', 'a', 'd']);
    expect(events.map((e) => e.action)).toEqual(['evicted', 'warned']);
  });

  it('records tracked or touched by the evicted resources’ own disposers are left alone', () => {
    const manager = new ResourceManager();
    const limited = manager.register(anOwner(), 'limited', { memoryLimit: { bytes: 20, policy: 'evict' } });
    const evicted: string[] = [];
    const cache = (name: string): void => {
      limited.track(
        { name },
        {
          size: 10,
          evictable: true,
          dispose: (v) => {
            evicted.push(v.name);
            if (v.name === 'a') cache('made by a’s disposer'); // tracked during the eviction
          },
        },
      );
    };
    cache('a');
    cache('b');
    cache('c'); // evicts a, whose disposer tracks a new record: that one is not evicted in turn
    expect(evicted).toEqual(['a', 'b']);
    expect(limited.resources().map((r) => (r.value as { name: string }).name)).toEqual([
      'made by a’s disposer',
      'c',
    ]);
  });

  it('several limits are handled in order (component, ancestors, global), each against the bytes held after the previous one', () => {
    const manager = new ResourceManager({ memoryLimit: { bytes: 100, policy: 'reject' } });
    const parent = manager.register(anOwner(), 'p', { memoryLimit: { bytes: 20, policy: 'evict' } });
    const child = manager.register(anOwner(), 'k', { parent, memoryLimit: { bytes: 15, policy: 'warn' } });
    const scopes: string[] = [];
    manager.on('memoryThresholdExceeded', (e) => scopes.push(`${e.component.id}:${e.action}`));
    parent.track({}, { size: 10, evictable: true });
    child.track({}, { size: 16 });
    expect(scopes).toEqual(['k:warned', 'p:evicted']);
    expect(() => child.track({}, { size: 90 })).toThrow(MemoryLimitError); // the global reject wins first
  });
});

describe('rule 7. Weak tracking', () => {
  it('a collected value’s record disappears with reason collected, also when cleanup finds it first', async () => {
    const { manager, component } = setup();
    const reasons: string[] = [];
    manager.on('released', (e) => reasons.push(e.resource.weak ? e.reason : 'strong'));
    let disposed = 0;
    (() => {
      component.track(
        { big: new Array(1000).fill(0) },
        { weak: true, size: 8, dispose: () => void disposed++ },
      );
    })();
    await collectGarbage();
    await component.cleanup();
    expect(reasons).toEqual(['collected']);
    expect(disposed).toBe(0);
    expect(manager.totalBytes).toBe(0);
  });
});

describe('rule 8. Zero cost when unused', () => {
  it('no event payload is built when nobody listens: emit is never called', async () => {
    const { manager, component } = setup();
    let emitted = 0;
    const emit = manager.events.emit.bind(manager.events);
    manager.events.emit = ((...args: Parameters<typeof emit>) => {
      emitted++;
      return emit(...args);
    }) as typeof emit;
    const h = component.track({}, { size: 4, dispose: () => undefined });
    h.resize(8);
    h.release();
    component.track({}, { dispose: () => undefined });
    await component.cleanup();
    expect(emitted).toBe(0);
  });

  it('no stack is captured unless leak tracking is on; ids are counters', () => {
    const off = setup().component;
    const handles = [off.track({}), off.track({}), off.track({})];
    expect(handles.map((h) => h.stack)).toEqual([undefined, undefined, undefined]);
    expect(handles.map((h) => h.id)).toEqual([1, 2, 3]);
    const on = setup({ leakTracking: true }).component;
    expect(on.track({}).stack).toMatch(/tracked here/);
  });
});

describe('rule 9. Disposers are called as their owners expect', () => {
  it('a detected method gets no argument (abort() → AbortError reason); an explicit dispose gets the value', async () => {
    const { component } = setup();
    const controller = new AbortController();
    component.track(controller);
    let got: unknown;
    const value = { name: 'v' };
    component.track(value, { dispose: (v) => void (got = v) });
    await component.cleanup();
    expect((controller.signal.reason as DOMException).name).toBe('AbortError');
    expect(got).toBe(value);
  });
});

describe('rule 10. Cancellation without cancelling cleanup', () => {
  it('the signal aborts before any disposer runs; a disposer’s own signal only at its own timeout', async () => {
    const { manager, component } = setup({ disposerTimeoutMs: 60 });
    const seen: string[] = [];
    const own = component.signal;
    component.track(
      {},
      { dispose: (_v, c) => new Promise<void>((r) => c.signal.addEventListener('abort', () => r())) },
    );
    component.onCleanup((c) => {
      seen.push(`component ${own.aborted}, disposer ${c.signal.aborted}`);
    });
    const report = await component.cleanup({ force: true });
    expect(seen).toEqual(['component true, disposer false']);
    expect(report.abandoned).toHaveLength(1); // the hanging one, stopped by its signal at 60 ms
    expect(manager.disposing.count).toBe(0);
  });
});

describe('rule 11. Nothing in flight is invisible', () => {
  it('a hung async disposal is counted as disposing until it is abandoned', async () => {
    const { manager, component } = setup({ disposerTimeoutMs: 60 });
    component.track({}, { size: 5, dispose: () => new Promise(() => {}) });
    const run = component.cleanup({ force: true });
    await Promise.resolve();
    expect([manager.activeResources, manager.totalBytes]).toEqual([0, 0]);
    expect(manager.stats().disposing).toEqual({ count: 1, bytes: 5 });
    await run;
    expect(manager.stats().disposing).toEqual({ count: 0, bytes: 0 });
  });
});

describe('rule 12. Lookup by id costs nothing until used', () => {
  it('no index before the first lookup; after it, tracking and release keep it', () => {
    const { manager, component } = setup();
    const a = component.track({});
    expect(manager._index).toBeUndefined();
    expect(manager.resource(a.id)).toBe(a);
    const b = component.track({});
    expect(component.resource(b.id)).toBe(b);
    a.release();
    expect(manager.resource(a.id)).toBeUndefined();
  });
});
