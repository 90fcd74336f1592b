import { describe, expect, it } from 'vitest';
import {
  CancelledError,
  type Component,
  type DisposerContext,
  DisposerTimeoutError,
  ResourceManager,
  UseAfterCleanupError,
} from '../../src/core/index.js';
import { collectGarbage, deferred, sleep } from './helpers.js';

/** Resolves when `signal` aborts, rejecting with its reason (what a well-behaved fetch does). */
function untilAborted(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    if (signal.aborted) reject(signal.reason);
    signal.addEventListener('abort', () => reject(signal.reason), { once: true });
  });
}

describe('component.signal', () => {
  it('is created only when read, and aborts when cleanup starts, with a reason saying why', async () => {
    const manager = new ResourceManager();
    const quiet = manager.register('quiet');
    await quiet.cleanup();
    expect(quiet._abort).toBeUndefined(); // never read: never created

    const component = manager.register('reader');
    const signal = component.signal;
    expect(component.signal).toBe(signal);
    const seen: boolean[] = [];
    component.onCleanup(() => {
      seen.push(signal.aborted); // already aborted when the first disposer runs
    });
    expect(signal.aborted).toBe(false);
    await component.cleanup({ reason: 'unload' });
    expect(seen).toEqual([true]);
    expect(signal.reason).toBeInstanceOf(CancelledError);
    expect(signal.reason).toMatchObject({
      name: 'AbortError',
      code: 'STEWARD_CANCELLED',
      kind: 'cleanup',
      reason: 'unload',
      componentId: 'reader',
    });
    expect(String(signal.reason.message)).toContain('"reader"');
  });

  it('read after cleanup started, it is already aborted', async () => {
    const manager = new ResourceManager();
    const component = manager.register('late');
    await component.cleanup({ reason: 'shutdown (SIGTERM)' });
    expect(component.signal.aborted).toBe(true);
    expect(component.signal.reason).toMatchObject({ kind: 'shutdown', reason: 'shutdown (SIGTERM)' });
  });

  it('says failure for a failed component, with its error as cause', async () => {
    const manager = new ResourceManager();
    const component = manager.register('broken');
    const { signal } = component;
    const boom = new Error('boom');
    component.fail(boom);
    expect(signal.aborted).toBe(false); // failing keeps resources until cleanup
    await component.cleanup({ force: true });
    expect(signal.reason).toMatchObject({ kind: 'failure', cause: boom });
    const activating = manager.register('activating');
    const early = activating.signal;
    await activating.cleanup({ reason: 'activation failed' }); // how the plugin host says it
    expect(early.reason).toMatchObject({ kind: 'failure', reason: 'activation failed' });
  });

  it('says owner-collected when the owner went away without cleanup', async () => {
    const manager = new ResourceManager();
    manager.on('leakDetected', () => {}); // a listener: no console warning
    let signal: AbortSignal | undefined;
    (() => {
      signal = manager.register({}, 'forgotten').signal;
    })();
    for (let i = 0; i < 20 && !signal!.aborted; i++) await collectGarbage(2);
    expect(signal!.reason).toMatchObject({ kind: 'owner-collected', componentId: 'forgotten' });
  });

  it("a parent's cleanup aborts its children's signals at once, before any child disposer runs", async () => {
    const manager = new ResourceManager();
    const parent = manager.register('parent');
    const child = manager.register('child', { parent });
    const grandchild = child.scope('work');
    const signals = [child.signal, grandchild.signal];
    const gate = deferred();
    parent.onCleanup(() => gate.promise); // parent's own records run after its children
    const order: string[] = [];
    child.onCleanup(() => order.push(`child: ${signals.map((s) => s.aborted).join(',')}`));
    const run = parent.cleanup();
    expect(signals.map((s) => s.aborted)).toEqual([true, true]);
    gate.resolve();
    await run;
    expect(order).toEqual(['child: true,true']);
  });
});

describe('the context a disposer is called with', () => {
  it('gives reason, signal and deadline; the signal aborts at that disposer’s own timeout', async () => {
    const manager = new ResourceManager({ disposerTimeoutMs: 80 });
    const component = manager.register('slow');
    const contexts: DisposerContext[] = [];
    let stoppedWith: unknown;
    const before = Date.now();
    component.track(
      {},
      {
        dispose: (_v, context) => {
          contexts.push(context);
          // Honours its signal: stops as soon as Steward stops waiting.
          return untilAborted(context.signal).catch((e) => {
            stoppedWith = e;
          });
        },
      },
    );
    const report = await component.cleanup({ force: true, reason: 'unload' });
    const [context] = contexts;
    expect(context!.reason).toBe('unload');
    expect(context!.deadline).toBeGreaterThanOrEqual(before);
    expect(context!.signal.aborted).toBe(true);
    expect(context!.signal.reason).toBeInstanceOf(DisposerTimeoutError);
    expect(stoppedWith).toBe(context!.signal.reason);
    expect(report.abandoned.map((a) => a.error)).toEqual([context!.signal.reason]);
  });

  it('past the cleanup deadline, a disposer still called gets a signal already aborted', async () => {
    const manager = new ResourceManager({ disposerTimeoutMs: 10_000 });
    const component = manager.register('late');
    const signals: AbortSignal[] = [];
    const hang = (_v: unknown, c: DisposerContext) => {
      signals.push(c.signal);
      return new Promise(() => {}); // never settles, ignores its signal
    };
    component.track({}, { dispose: hang }); // older: called once the deadline is gone
    component.track({}, { dispose: hang }); // newer: eats the whole deadline
    const report = await component.cleanup({ force: true, deadlineMs: 50 });
    expect(report.deadlineExceeded).toBe(true);
    expect(signals.map((s) => s.aborted)).toEqual([true, true]);
    expect(signals[1]!.reason).toBeInstanceOf(DisposerTimeoutError);
    expect(report.abandoned).toHaveLength(2);
  });

  it('is not the component’s signal: cleanup is not cancelled by the signal it fires', async () => {
    const manager = new ResourceManager();
    const component = manager.register('flush');
    const own = component.signal;
    const flushed: string[] = [];
    let context: DisposerContext | undefined;
    component.onCleanup(async (c) => {
      context = c;
      expect(own.aborted).toBe(true);
      expect(c.signal.aborted).toBe(false);
      await sleep(20); // a real async flush, given its time
      flushed.push('flushed');
    });
    const report = await component.cleanup();
    expect(flushed).toEqual(['flushed']);
    expect(report.released).toBe(1);
    expect(context!.signal).not.toBe(own);
    expect(context!.signal.aborted).toBe(false); // it finished in time
    expect(context!.deadline).toBeGreaterThan(Date.now() - 1000);
  });

  it('a disposer that read its signal gets its own: the next one’s timeout does not abort it', async () => {
    const manager = new ResourceManager({ disposerTimeoutMs: 60 });
    const component = manager.register('two');
    const signals: AbortSignal[] = [];
    component.track({}, { dispose: (_v, c) => void signals.push(c.signal) }); // sync, runs last
    component.track({}, { dispose: (_v, c) => untilAborted(c.signal).catch(() => {}) }); // hangs
    await component.cleanup({ force: true });
    expect(signals.length).toBe(1);
    expect(signals[0]!.aborted).toBe(false);
  });

  it('release() and eviction give a context whose signal never aborts (nobody waits)', async () => {
    const manager = new ResourceManager();
    const component = manager.register('early');
    const reasons: string[] = [];
    const handle = component.track({}, { dispose: (_v, c) => void reasons.push(c.reason) });
    handle.release();
    const limited = manager.register('limited', { memoryLimit: { bytes: 10, policy: 'evict' } });
    limited.track({}, { size: 8, evictable: true, dispose: (_v, c) => void reasons.push(c.reason) });
    limited.track({}, { size: 8 });
    expect(reasons).toEqual(['released', 'evicted']);
    await manager.dispose();
  });

  it('detected disposers (the value’s own method) get no context', async () => {
    const manager = new ResourceManager();
    const component = manager.register('detected');
    const args: unknown[][] = [];
    component.track({
      close(...a: unknown[]) {
        args.push(a);
      },
    });
    await component.cleanup();
    expect(args[0]!.length).toBeLessThan(2);
  });
});

describe('component.task', () => {
  it('gets the signal; cleanup aborts it and awaits it, then it is gone', async () => {
    const manager = new ResourceManager();
    const component = manager.register('poller');
    const steps: string[] = [];
    const result = component.task(async (signal) => {
      expect(signal).toBe(component.signal);
      try {
        await untilAborted(signal);
      } finally {
        await sleep(10); // cleans up after itself: cleanup waits for it
        steps.push('task stopped');
      }
    });
    expect(component.resources().map((r) => r.type)).toEqual(['task']);
    const report = await component.cleanup();
    steps.push('cleanup done');
    expect(steps).toEqual(['task stopped', 'cleanup done']);
    expect(report.failed).toEqual([]);
    expect(report.abandoned).toEqual([]);
    await expect(result).rejects.toBeInstanceOf(CancelledError);
  });

  it('a task that ends on its own leaves no record; its value is returned', async () => {
    const manager = new ResourceManager();
    const component = manager.register('quick');
    await expect(component.task(async () => 42, { name: 'answer' })).resolves.toBe(42);
    expect(component.resourceCount).toBe(0);
    await component.cleanup();
  });

  it('a rejected task is reported even if nobody awaits it, and no unhandled rejection escapes', async () => {
    const manager = new ResourceManager();
    const component = manager.register('failing');
    const failures: { phase: string; error: unknown; type: string | undefined }[] = [];
    manager.on('disposerFailed', (e) =>
      failures.push({ phase: e.phase, error: e.error, type: e.resource?.type }),
    );
    const boom = new Error('poll failed');
    void component.task(async () => {
      await sleep(1);
      throw boom;
    });
    for (let i = 0; i < 50 && failures.length === 0; i++) await sleep(5);
    expect(failures).toEqual([{ phase: 'task', error: boom, type: 'task' }]);
    expect(component.resourceCount).toBe(0);
    await component.cleanup();
  });

  it('a task failing (not aborting) while cleanup awaits it is a failure in the report', async () => {
    const manager = new ResourceManager();
    const component = manager.register('messy');
    const boom = new Error('broke on the way out');
    const result = component.task(async (signal) => {
      await untilAborted(signal).catch(() => {});
      throw boom;
    });
    const report = await component.cleanup({ force: true });
    expect(report.failed.map((f) => [f.type, f.error])).toEqual([['task', boom]]);
    await expect(result).rejects.toBe(boom);
  });

  it('a task ignoring its signal is abandoned at the disposer timeout and reported', async () => {
    const manager = new ResourceManager({ disposerTimeoutMs: 50 });
    const component = manager.register('stubborn');
    const hang = deferred();
    void component.task(() => hang.promise);
    const report = await component.cleanup({ force: true });
    expect(report.abandoned.map((a) => a.type)).toEqual(['task']);
    hang.resolve();
  });

  it('an extra signal also stops it, and its reason counts as an abort', async () => {
    const manager = new ResourceManager();
    const component = manager.register('request');
    const failures: unknown[] = [];
    manager.on('disposerFailed', (e) => failures.push(e.error));
    const request = new AbortController();
    const result = component.task((signal) => untilAborted(signal), { signal: request.signal });
    request.abort(new Error('client went away'));
    await expect(result).rejects.toThrow('client went away');
    expect(failures).toEqual([]);
    expect(component.resourceCount).toBe(0);
    await component.cleanup();
  });

  it('refuses bad input and a component that is cleaning up or destroyed, running nothing', async () => {
    const manager = new ResourceManager();
    const component: Component = manager.register('done');
    expect(() => component.task(42 as never)).toThrow(/expected a function/);
    expect(() => component.task(async () => {}, { signal: {} as never })).toThrow(/AbortSignal/);
    await component.cleanup();
    let ran = false;
    expect(() =>
      component.task(async () => {
        ran = true;
      }),
    ).toThrow(UseAfterCleanupError);
    expect(ran).toBe(false);
  });
});
