import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  BUILTIN_RESOURCE_TYPES,
  DisposerTimeoutError,
  ResourceManager,
  StewardError,
  TrackedResource,
  UseAfterCleanupError,
} from '../../src/core/index.js';
import { anOwner, closable, deferred } from './helpers.js';

function setup(options?: ConstructorParameters<typeof ResourceManager>[0]) {
  const manager = new ResourceManager(options);
  const component = manager.register(anOwner(), 'comp', { type: 'plugin' });
  return { manager, component };
}

describe('tracking: the handle', () => {
  it('records type, size, metadata, priority and creation time', () => {
    const { manager, component } = setup();
    const before = Date.now();
    const value = { close() {} };
    const handle = component.track(value, {
      type: 'socket',
      size: 128,
      metadata: { host: 'a' },
      priority: 3,
      dispose: () => undefined,
    });
    expect(handle).toBeInstanceOf(TrackedResource);
    expect(handle.value).toBe(value);
    expect(handle.type).toBe('socket');
    expect(handle.size).toBe(128);
    expect(handle.metadata).toEqual({ host: 'a' });
    expect(handle.priority).toBe(3);
    expect(handle.component).toBe(component);
    expect(handle.released).toBe(false);
    expect(handle.weak).toBe(false);
    expect(handle.evictable).toBe(false);
    expect(handle.createdAt).toBeGreaterThanOrEqual(before - 1);
    expect(handle.createdAt).toBeLessThanOrEqual(Date.now() + 1);
    expect(handle.stack).toBeUndefined();
    expect(component.resources()).toEqual([handle]);
    expect(component.resourceCount).toBe(1);
    expect(manager.activeResources).toBe(1);
  });

  it('defaults to type custom, size 0, priority 0', () => {
    const { component } = setup();
    const handle = component.track({ payload: 1 });
    expect(handle.type).toBe('custom');
    expect(handle.size).toBe(0);
    expect(handle.priority).toBe(0);
  });

  it('accepts every built-in type and any other non-empty type name', () => {
    const { component } = setup();
    for (const type of BUILTIN_RESOURCE_TYPES) {
      expect(component.track({ close() {} }, { type }).type).toBe(type);
    }
    expect(component.track({ close() {} }, { type: 'gpu-texture' }).type).toBe('gpu-texture');
  });

  it('gives each resource a distinct id, increasing in tracking order', () => {
    const { manager, component } = setup();
    const other = manager.register(anOwner(), 'other');
    const ids = [component.track(1).id, other.track(2).id, component.track(3).id];
    expect(new Set(ids).size).toBe(3);
    expect([...ids].sort((a, b) => a - b)).toEqual(ids);
  });

  it('tracks primitives and plain data without a disposer', () => {
    const { component } = setup();
    const handle = component.track('a string', { type: 'memory', size: 8 });
    expect(handle.value).toBe('a string');
    expect(handle.release()).toBe(true);
    expect(handle.value).toBeUndefined();
  });

  it('toJSON describes the resource in JSON-friendly form', () => {
    const { component } = setup();
    const handle = component.track(
      { close() {} },
      { type: 'file_handle', size: 9, metadata: { path: '/x' } },
    );
    const json = handle.toJSON();
    expect(json).toMatchObject({
      id: handle.id,
      type: 'file_handle',
      size: 9,
      priority: 0,
      weak: false,
      evictable: false,
      component: 'comp',
      metadata: { path: '/x' },
    });
    expect(json.ageMs).toBeGreaterThanOrEqual(0);
    const { ageMs: _age, ...stable } = json;
    expect(JSON.parse(JSON.stringify(handle))).toMatchObject(stable);
  });
});

describe('tracking: release', () => {
  it('release() runs the disposer once, unlinks the record and returns false afterwards', () => {
    const { manager, component } = setup();
    const log: string[] = [];
    const value = closable(log, 'a');
    const handle = component.track(value, { size: 10 });
    expect(handle.release()).toBe(true);
    expect(log).toEqual(['a']);
    expect(handle.released).toBe(true);
    expect(handle.value).toBeUndefined();
    expect(component.resourceCount).toBe(0);
    expect(component.bytes).toBe(0);
    expect(manager.totalBytes).toBe(0);
    expect(handle.release()).toBe(false);
    expect(log).toEqual(['a']);
    expect(manager.stats()).toMatchObject({ resourcesTracked: 1, resourcesReleased: 1, activeResources: 0 });
  });

  it('calls an explicit disposer with this = value and the value as argument', () => {
    const { component } = setup();
    const value = { tag: 'v' };
    let seenThis: unknown;
    let seenArg: unknown;
    component
      .track(value, {
        dispose: function (this: unknown, arg) {
          seenThis = this;
          seenArg = arg;
        },
      })
      .release();
    expect(seenThis).toBe(value);
    expect(seenArg).toBe(value);
  });

  it('component.release(handle) releases its own handle', () => {
    const { component } = setup();
    const log: string[] = [];
    const handle = component.track(closable(log, 'x'));
    expect(component.release(handle)).toBe(true);
    expect(component.release(handle)).toBe(false);
    expect(log).toEqual(['x']);
  });

  it('a throwing disposer still releases the resource, then rethrows', () => {
    const { manager, component } = setup();
    const failures: unknown[] = [];
    manager.on('disposerFailed', (e) => failures.push([e.phase, (e.error as Error).message]));
    const handle = component.track(
      {},
      {
        size: 5,
        dispose: () => {
          throw new Error('boom');
        },
      },
    );
    expect(() => handle.release()).toThrow('boom');
    expect(handle.released).toBe(true);
    expect(component.resourceCount).toBe(0);
    expect(component.bytes).toBe(0);
    expect(handle.release()).toBe(false);
    expect(failures).toEqual([['release', 'boom']]);
    expect(manager.stats().disposerFailures).toBe(1);
  });

  it("release() does not await an async disposer but reports its rejection, with phase 'release' (nothing timed out)", async () => {
    const { manager, component } = setup();
    const failures: unknown[] = [];
    manager.on('disposerFailed', (e) => failures.push(e.phase));
    const handle = component.track({}, { dispose: () => Promise.reject(new Error('late boom')) });
    expect(handle.release()).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(failures).toEqual(['release']);
    expect(manager.stats().disposerFailures).toBe(1);
  });

  it('releaseAsync() awaits the async disposer', async () => {
    const { component } = setup();
    const gate = deferred();
    let done = false;
    const handle = component.track({}, { dispose: () => gate.promise.then(() => (done = true)) });
    const releasing = handle.releaseAsync();
    expect(handle.released).toBe(true);
    expect(done).toBe(false);
    gate.resolve();
    await expect(releasing).resolves.toBe(true);
    expect(done).toBe(true);
    await expect(handle.releaseAsync()).resolves.toBe(false);
  });

  it("releaseAsync() rejects with the disposer's error, and with a timeout error past the manager's timeout", async () => {
    const { component } = setup({ disposerTimeoutMs: 20 });
    const rejecting = component.track({}, { dispose: () => Promise.reject(new Error('nope')) });
    await expect(rejecting.releaseAsync()).rejects.toThrow('nope');
    const hanging = component.track({}, { dispose: () => new Promise(() => undefined) });
    const error = await hanging.releaseAsync().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DisposerTimeoutError);
    expect((error as DisposerTimeoutError).timeoutMs).toBe(20);
    expect(String(error)).toMatch(/comp/);
    expect(hanging.released).toBe(true);
    expect(component.resourceCount).toBe(0);
  });

  it('untrackAndLeak() hands the value back without disposing it', () => {
    const { manager, component } = setup();
    const log: string[] = [];
    const value = closable(log, 'kept');
    const handle = component.track(value, { size: 4 });
    expect(handle.untrackAndLeak()).toBe(value);
    expect(log).toEqual([]);
    expect(handle.released).toBe(true);
    expect(component.resourceCount).toBe(0);
    expect(manager.totalBytes).toBe(0);
    expect(handle.untrackAndLeak()).toBeUndefined();
    expect(handle.release()).toBe(false);
    expect(log).toEqual([]);
  });

  it('resize() changes the accounted bytes; resizing a released resource throws', () => {
    const { manager, component } = setup();
    const handle = component.track({}, { size: 10 });
    handle.resize(25);
    expect(handle.size).toBe(25);
    expect(component.ownBytes).toBe(25);
    expect(manager.totalBytes).toBe(25);
    handle.resize(0);
    expect(manager.totalBytes).toBe(0);
    handle.release();
    expect(() => handle.resize(5)).toThrow(StewardError);
    expect(() => handle.resize(5)).toThrow(/already released/);
    expect(manager.totalBytes).toBe(0);
  });
});

describe('tracking: using and await using', () => {
  it('`using` releases at the end of the block', () => {
    const { component } = setup();
    const log: string[] = [];
    {
      using handle = component.track(closable(log, 'scoped'));
      expect(handle.released).toBe(false);
      expect(log).toEqual([]);
    }
    expect(log).toEqual(['scoped']);
    expect(component.resourceCount).toBe(0);
  });

  it('`using` releases on throw too', () => {
    const { component } = setup();
    const log: string[] = [];
    expect(() => {
      using _handle = component.track(closable(log, 'scoped'));
      throw new Error('inside');
    }).toThrow('inside');
    expect(log).toEqual(['scoped']);
  });

  it('`await using` awaits an async disposer', async () => {
    const { component } = setup();
    const log: string[] = [];
    {
      await using _handle = component.track(
        {},
        {
          dispose: () => new Promise<void>((resolve) => setTimeout(() => resolve(void log.push('async')), 5)),
        },
      );
    }
    expect(log).toEqual(['async']);
  });

  it('`using` after an explicit release does nothing', () => {
    const { component } = setup();
    const log: string[] = [];
    {
      using handle = component.track(closable(log, 'once'));
      handle.release();
    }
    expect(log).toEqual(['once']);
  });
});

describe('tracking: cleanup callbacks', () => {
  it('onCleanup runs the callback at cleanup', async () => {
    const { component } = setup();
    const log: string[] = [];
    component.onCleanup(() => log.push('cb'), { name: 'flush' });
    expect(component.resourceCount).toBe(1);
    expect(component.resources()[0]!.metadata).toEqual({ name: 'flush' });
    expect(log).toEqual([]);
    await component.cleanup();
    expect(log).toEqual(['cb']);
  });

  it('the registration unregisters without running the callback', async () => {
    const { component } = setup();
    const log: string[] = [];
    const registration = component.onCleanup(() => log.push('never'));
    expect(registration.dispose()).toBe(true);
    expect(registration.dispose()).toBe(false);
    expect(component.resourceCount).toBe(0);
    await component.cleanup();
    expect(log).toEqual([]);
  });

  it('the registration works with `using`', async () => {
    const { component } = setup();
    const log: string[] = [];
    {
      using _registration = component.onCleanup(() => log.push('never'));
    }
    await component.cleanup();
    expect(log).toEqual([]);
  });

  it('callbacks follow priority and LIFO together with resources', async () => {
    const { component } = setup();
    const log: string[] = [];
    component.onCleanup(() => log.push('cb-low'), { priority: -1 });
    component.track(closable(log, 'res-0'));
    component.onCleanup(() => log.push('cb-high'), { priority: 2 });
    component.onCleanup(() => log.push('cb-0'));
    await component.cleanup();
    expect(log).toEqual(['cb-high', 'cb-0', 'res-0', 'cb-low']);
  });

  it('a registration is a record like any other: type, size, id, lookup, JSON, resize, release', async () => {
    // A callback's record is slimmer (its type, size and disposer are shared): nothing a user
    // can observe differs from a tracked value's record.
    const { manager, component } = setup();
    const log: string[] = [];
    const before = component.track({ a: 1 });
    const registration = component.onCleanup(() => log.push('cb'));
    const record = component.resources()[1]!;
    expect(record).toBe(registration);
    expect(record).toBeInstanceOf(TrackedResource);
    expect(record.type).toBe('callback');
    expect(record.size).toBe(0);
    expect(record.id).toBeGreaterThan(before.id);
    expect(component.track({ b: 2 }).id).toBeGreaterThan(record.id);
    expect(manager.resource(record.id)).toBe(record);
    expect(record.toJSON()).toMatchObject({ id: record.id, type: 'callback', size: 0, component: 'comp' });
    expect(Object.keys(record)).not.toContain('type'); // shared, not copied into every record
    record.resize(40);
    expect(record.size).toBe(40);
    expect(component.ownBytes).toBe(40);
    const other = component.onCleanup(() => log.push('other'));
    expect(component.resources().at(-1)).toBe(other);
    expect(component.resources().at(-1)!.size).toBe(0); // resizing one callback leaves the others alone
    expect(manager.stats().byType.callback).toMatchObject({ count: 2, bytes: 40 });
    expect(record.release()).toBe(true); // release() runs it, as for any record
    expect(log).toEqual(['cb']);
    expect(record.released).toBe(true);
    expect(record.value).toBeUndefined();
    expect(component.ownBytes).toBe(0);
    expect(registration.dispose()).toBe(false);
    await component.cleanup();
    expect(log).toEqual(['cb', 'other']);
  });

  it('an async callback is awaited', async () => {
    const { component } = setup();
    const log: string[] = [];
    component.track(closable(log, 'after'));
    component.onCleanup(async () => {
      await new Promise((resolve) => setTimeout(resolve, 5));
      log.push('async-cb');
    });
    await component.cleanup();
    expect(log).toEqual(['async-cb', 'after']);
  });
});

describe('tracking: use after cleanup', () => {
  it('tracking into a destroyed component disposes the value at once and throws naming the component', async () => {
    const { manager, component } = setup();
    await component.cleanup();
    const log: string[] = [];
    const value = closable(log, 'late');
    const error = (() => {
      try {
        component.track(value, { size: 100 });
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(UseAfterCleanupError);
    expect((error as UseAfterCleanupError).componentId).toBe('comp');
    expect((error as Error).message).toMatch(/"comp"/);
    expect((error as Error).message).toMatch(/destroyed/);
    expect(value.closed).toBe(1);
    expect(component.resourceCount).toBe(0);
    expect(manager.totalBytes).toBe(0);
    expect(manager.stats().leaksDetected).toBe(1);
  });

  it('tracking from a disposer while the component is cleaning disposes the value at once', async () => {
    const { component } = setup();
    const log: string[] = [];
    let caught: unknown;
    component.track({
      close: () => {
        try {
          component.track(closable(log, 'too-late'));
        } catch (e) {
          caught = e;
        }
      },
    });
    await component.cleanup();
    expect(caught).toBeInstanceOf(UseAfterCleanupError);
    expect((caught as Error).message).toMatch(/cleaning/);
    expect(log).toEqual(['too-late']);
  });

  it("with leak tracking, the error's cause says where cleanup started", async () => {
    const { component } = setup({ leakTracking: true });
    await component.cleanup();
    const error = (() => {
      try {
        component.track({ close() {} });
      } catch (e) {
        return e as Error;
      }
      throw new Error('track() did not throw');
    })();
    expect(error.cause).toBeInstanceOf(Error);
    expect(String((error.cause as Error).stack)).toMatch(/tracking\.test\.ts/);
  });

  it('a late cleanup callback runs at once', async () => {
    const { component } = setup();
    await component.cleanup();
    const log: string[] = [];
    expect(() => component.onCleanup(() => log.push('ran'))).toThrow(UseAfterCleanupError);
    expect(log).toEqual(['ran']);
  });

  it('registering a child under a destroyed parent throws and registers nothing', async () => {
    const { manager, component } = setup();
    await component.cleanup();
    expect(() => manager.register(anOwner(), 'kid', { parent: component })).toThrow(UseAfterCleanupError);
    expect(manager.get('kid')).toBeUndefined();
  });
});

describe('creation times', () => {
  it('one clock reading serves a synchronous run; never later than the track, renewed after a yield', async () => {
    const manager = new ResourceManager();
    const c = manager.register({}, 'c');
    const before = Date.now();
    const first = c.track('a');
    const busyUntil = Date.now() + 5;
    while (Date.now() < busyUntil) {
      // block the event loop: the stamp is not re-read within the run
    }
    const second = c.track('b');
    expect(second.createdAt).toBe(first.createdAt);
    expect(first.createdAt).toBeGreaterThanOrEqual(before - 1); // ms floor of the manager's origin
    expect(second.createdAt).toBeLessThanOrEqual(Date.now());
    await new Promise((resolve) => setTimeout(resolve, 5));
    const later = c.track('c');
    expect(later.createdAt).toBeGreaterThan(first.createdAt);
    expect(later.createdAt).toBeLessThanOrEqual(Date.now());
    expect(Number.isInteger(later.createdAt)).toBe(true);
  });
});

describe('creation times under fake timers', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('the clock reading still expires when queueMicrotask is faked (Jest and sinon fake it)', async () => {
    vi.useFakeTimers({ toFake: ['queueMicrotask'] });
    const c = new ResourceManager().register({}, 'c');
    const first = c.track('a');
    await new Promise((resolve) => setImmediate(resolve));
    const busyUntil = Date.now() + 3;
    while (Date.now() < busyUntil) {
      // let the wall clock move on
    }
    const second = c.track('b');
    expect(second.createdAt).toBeGreaterThan(first.createdAt);
    expect(second.toJSON().ageMs).toBeGreaterThanOrEqual(0);
  });
});

describe('priority and metadata (kept beside the record, only when given)', () => {
  it('are read back from the handle, JSON and snapshot; absent ones read as 0 and undefined', () => {
    const manager = new ResourceManager();
    const c = manager.register({}, 'c');
    const plain = c.track('p');
    const rich = c.track('r', { priority: -2.5, metadata: { path: '/tmp/x' } });
    const onlyMeta = c.track('m', { metadata: { n: 1 } });
    expect([plain.priority, plain.metadata]).toEqual([0, undefined]);
    expect([rich.priority, rich.metadata]).toEqual([-2.5, { path: '/tmp/x' }]);
    expect([onlyMeta.priority, onlyMeta.metadata]).toEqual([0, { n: 1 }]);
    expect(rich.toJSON()).toMatchObject({ priority: -2.5, metadata: { path: '/tmp/x' } });
    expect('metadata' in plain.toJSON()).toBe(false);
    const resources = manager.snapshot({ resources: true }).components[0]!.resourceList ?? [];
    expect(resources.map((r) => r.priority)).toEqual([0, -2.5, 0]);
  });
});
