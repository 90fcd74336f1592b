import { describe, expect, it } from 'vitest';
import { type Component, InvalidArgumentError, ResourceManager } from '../../src/core/index.js';
import { anOwner } from './helpers.js';

/** Assert that nothing was registered by a rejected call. */
function expectNothingRegistered(manager: ResourceManager, owner?: object): void {
  expect(manager.components()).toEqual([]);
  expect(manager.stats().componentsRegistered).toBe(0);
  expect(manager.snapshot().components).toEqual([]);
  if (owner) expect(manager.componentOf(owner)).toBeUndefined();
}

/** Assert that nothing was tracked by a rejected call. */
function expectNothingTracked(manager: ResourceManager, component: Component): void {
  expect(component.resourceCount).toBe(0);
  expect(component.bytes).toBe(0);
  expect(manager.totalBytes).toBe(0);
  expect(manager.activeResources).toBe(0);
  expect(manager.stats().resourcesTracked).toBe(0);
}

describe('bad input: register()', () => {
  it.each([
    [42, /owner must be an object.*got 42/],
    ['plugin', /owner must be an object.*got "plugin"/],
    [null, /owner must be an object.*got null/],
    [undefined, /owner must be an object.*got undefined/],
    [Symbol('s'), /owner must be an object.*Symbol\(s\)/],
  ])('a non-object owner (%s) is an InvalidArgumentError saying so', (owner, message) => {
    const manager = new ResourceManager();
    expect(() => manager.register(owner as never, 'x')).toThrow(InvalidArgumentError);
    expect(() => manager.register(owner as never, 'x')).toThrow(message);
    expectNothingRegistered(manager);
  });

  it.each([[''], ['   '], [42], [undefined]])(
    'an empty or non-string id (%j) is an InvalidArgumentError',
    (id) => {
      const manager = new ResourceManager();
      const owner = {};
      expect(() => manager.register(owner, id as never)).toThrow(InvalidArgumentError);
      expect(() => manager.register(owner, id as never)).toThrow(/id must be a non-empty string/);
      expectNothingRegistered(manager, owner);
    },
  );

  it.each([
    ['options', 'nope', InvalidArgumentError, /options must be an object/],
    ['type', { type: '' }, InvalidArgumentError, /options\.type must be a non-empty string/],
    [
      'state',
      { state: 'paused' },
      InvalidArgumentError,
      /options\.state must be loaded, initialized or active \(got "paused"\)/,
    ],
    ['state', { state: 'bogus' }, InvalidArgumentError, /options\.state/],
    ['parent', { parent: {} }, InvalidArgumentError, /options\.parent must be a component of this manager/],
    [
      'memoryLimit',
      { memoryLimit: { bytes: -1 } },
      InvalidArgumentError,
      /memoryLimit: bytes must be a whole number of bytes >= 0 .*\(got -1\)/,
    ],
    ['memoryLimit', { memoryLimit: { bytes: Number.NaN } }, InvalidArgumentError, /got NaN/],
    [
      'memoryLimit',
      { memoryLimit: { bytes: Number.POSITIVE_INFINITY } },
      InvalidArgumentError,
      /got Infinity/,
    ],
    [
      'memoryLimit',
      { memoryLimit: { bytes: 1, policy: 'shout' } },
      InvalidArgumentError,
      /policy must be one of warn, reject, evict \(got "shout"\)/,
    ],
    ['memoryLimit', { memoryLimit: 100 }, InvalidArgumentError, /expected \{ bytes, policy\? \}/],
  ] as const)('bad %s (%j) is refused and registers nothing', (_what, options, ErrorType, message) => {
    const manager = new ResourceManager();
    const owner = {};
    expect(() => manager.register(owner, 'x', options as never)).toThrow(ErrorType);
    expect(() => manager.register(owner, 'x', options as never)).toThrow(message);
    expect(() => manager.register(owner, 'x', options as never)).toThrow(/register\("x"\)/);
    expectNothingRegistered(manager, owner);
    // The id and owner are still free.
    expect(manager.register(owner, 'x').id).toBe('x');
  });

  it('a child under a parent of another manager leaves the parent untouched', () => {
    const manager = new ResourceManager();
    const other = new ResourceManager();
    const parent = other.register(anOwner(), 'p');
    expect(() => manager.register(anOwner(), 'c', { parent })).toThrow(InvalidArgumentError);
    expect(parent.children).toEqual([]);
    expectNothingRegistered(manager);
  });

  it('a disposed manager refuses registrations, saying to create a new one', async () => {
    const manager = new ResourceManager();
    await manager.dispose();
    expect(() => manager.register(anOwner(), 'late')).toThrow(
      /manager is disposed; create a new ResourceManager/,
    );
    expect(manager.components()).toEqual([]);
  });
});

describe('bad input: track()', () => {
  function setup() {
    const manager = new ResourceManager();
    const component = manager.register(anOwner(), 'comp');
    let closed = 0;
    const value = { close: () => closed++ };
    return { manager, component, value, closed: () => closed };
  }

  it.each([
    [{ size: -1 }, InvalidArgumentError, /options\.size must be a whole number of bytes >= 0 .*\(got -1\)/],
    [{ size: Number.NaN }, InvalidArgumentError, /options\.size.*got NaN/],
    [{ size: Number.POSITIVE_INFINITY }, InvalidArgumentError, /options\.size.*got Infinity/],
    [{ size: '10' }, InvalidArgumentError, /options\.size.*got "10"/],
    [{ priority: Number.NaN }, InvalidArgumentError, /options\.priority must be a finite number \(got NaN\)/],
    [{ priority: '1' }, InvalidArgumentError, /options\.priority/],
    [{ type: '' }, InvalidArgumentError, /options\.type must be a non-empty string/],
    [{ type: 7 }, InvalidArgumentError, /options\.type must be a non-empty string \(got 7\)/],
    [
      { dispose: 'close' },
      InvalidArgumentError,
      /options\.dispose must be a function, or null .*got "close"/,
    ],
    [{ dispose: {} }, InvalidArgumentError, /options\.dispose must be a function/],
  ] as const)(
    '%j is refused; nothing is tracked and the value is not disposed',
    (options, ErrorType, message) => {
      const { manager, component, value, closed } = setup();
      expect(() => component.track(value, options as never)).toThrow(ErrorType);
      expect(() => component.track(value, options as never)).toThrow(message);
      expectNothingTracked(manager, component);
      expect(closed()).toBe(0);
    },
  );

  it.each([[42], ['text']])('weak tracking of a non-object (%j) is an InvalidArgumentError', (value) => {
    const { manager, component } = setup();
    expect(() => component.track(value, { weak: true })).toThrow(/only objects can be tracked weakly/);
    expectNothingTracked(manager, component);
  });

  it.each([['timer'], [42], [null]])(
    'options that are not an object (%j) get an InvalidArgumentError saying so',
    (options) => {
      const { manager, component, value, closed } = setup();
      expect(() => component.track(value, options as never)).toThrow(InvalidArgumentError);
      expect(() => component.track(value, options as never)).toThrow(/track\(\): options must be an object/);
      expectNothingTracked(manager, component);
      expect(closed()).toBe(0);
    },
  );

  it('a non-function cleanup callback is an InvalidArgumentError', () => {
    const { manager, component } = setup();
    expect(() => component.onCleanup('flush' as never)).toThrow(
      /onCleanup\(\): the callback must be a function \(got "flush"\)/,
    );
    expectNothingTracked(manager, component);
  });

  it('onCleanup with a bad priority registers nothing', () => {
    const { manager, component } = setup();
    expect(() => component.onCleanup(() => undefined, { priority: Number.NaN })).toThrow(
      InvalidArgumentError,
    );
    expectNothingTracked(manager, component);
  });
});

describe('bad input: handles', () => {
  it('releasing a handle through a foreign component is an InvalidArgumentError naming both; nothing is released', () => {
    const manager = new ResourceManager();
    const a = manager.register(anOwner(), 'a');
    const b = manager.register(anOwner(), 'b');
    let closed = 0;
    const handle = a.track({ close: () => closed++ }, { size: 5 });
    expect(() => b.release(handle)).toThrow(InvalidArgumentError);
    expect(() => b.release(handle)).toThrow(/belongs to component "a", not "b"/);
    expect(handle.released).toBe(false);
    expect(closed).toBe(0);
    expect(a.bytes).toBe(5);
    const otherManager = new ResourceManager();
    const c = otherManager.register(anOwner(), 'a');
    expect(() => c.release(handle)).toThrow(InvalidArgumentError);
    expect(handle.released).toBe(false);
  });

  it('releasing something that is not a handle is an InvalidArgumentError', () => {
    const manager = new ResourceManager();
    const component = manager.register(anOwner(), 'a');
    expect(() => component.release({ id: 1 } as never)).toThrow(/expected a handle returned by track\(\)/);
  });

  it.each([[-1], [Number.NaN], [Number.POSITIVE_INFINITY], ['5']])(
    'resize(%j) is an InvalidArgumentError; the size is unchanged',
    (bytes) => {
      const manager = new ResourceManager();
      const component = manager.register(anOwner(), 'a');
      const handle = component.track('x', { size: 5 });
      expect(() => handle.resize(bytes as never)).toThrow(InvalidArgumentError);
      expect(() => handle.resize(bytes as never)).toThrow(
        /resize\(\): the size must be a whole number of bytes >= 0/,
      );
      expect(handle.size).toBe(5);
      expect(manager.totalBytes).toBe(5);
    },
  );
});

describe('bad input: states', () => {
  it.each([['sleeping'], [''], [3], [undefined]])(
    'setState(%j) is an InvalidArgumentError listing the states',
    (state) => {
      const manager = new ResourceManager();
      const component = manager.register(anOwner(), 'a');
      const changes: unknown[] = [];
      manager.on('stateChanged', (e) => changes.push(e));
      expect(() => component.setState(state as never)).toThrow(InvalidArgumentError);
      expect(() => component.setState(state as never)).toThrow(
        /unknown state .*use one of loaded, initialized, active, paused, failed/,
      );
      expect(component.state).toBe('loaded');
      expect(changes).toEqual([]);
    },
  );
});

describe('bad input: manager and cleanup options', () => {
  it.each([
    [
      { disposerTimeoutMs: 0 },
      /disposerTimeoutMs must be a number of milliseconds > 0 and at most 2147483647 .*\(got 0\)/,
    ],
    [{ disposerTimeoutMs: -5 }, /disposerTimeoutMs.*got -5/],
    [{ cleanupDeadlineMs: Number.NaN }, /cleanupDeadlineMs.*got NaN/],
    [{ leakTracking: { sweepIntervalMs: -1 } }, /sweepIntervalMs/],
    [{ leakTracking: { maxResourceAgeMs: 0 } }, /maxResourceAgeMs/],
  ])('new ResourceManager(%j) is an InvalidArgumentError', (options, message) => {
    expect(() => new ResourceManager(options as never)).toThrow(InvalidArgumentError);
    expect(() => new ResourceManager(options as never)).toThrow(message);
  });

  it('a bad memory limit keeps the previous one', () => {
    const manager = new ResourceManager({ memoryLimit: { bytes: 10, policy: 'reject' } });
    expect(() => manager.setMemoryLimit({ bytes: -1 })).toThrow(InvalidArgumentError);
    expect(manager.memoryLimit).toEqual({ bytes: 10, policy: 'reject' });
    const component = manager.register(anOwner(), 'c', { memoryLimit: { bytes: 5 } });
    expect(() => component.setMemoryLimit({ bytes: 1, policy: 'drop' as never })).toThrow(
      /component "c" memory limit/,
    );
    expect(component.memoryLimit).toEqual({ bytes: 5, policy: 'warn' });
  });

  it.each([
    [{ deadlineMs: Number.NaN }, /deadlineMs must be a number of milliseconds > 0 .*\(got NaN\)/],
    [{ deadlineMs: -1 }, /deadlineMs.*got -1/],
    [{ disposerTimeoutMs: 0 }, /disposerTimeoutMs.*got 0/],
    [{ disposerTimeoutMs: '20' }, /disposerTimeoutMs.*got "20"/],
  ])('cleanup(%j) rejects with an InvalidArgumentError and does not start', async (options, message) => {
    const manager = new ResourceManager();
    const component = manager.register(anOwner(), 'c');
    let closed = 0;
    component.track({ close: () => closed++ });
    await expect(component.cleanup(options as never)).rejects.toThrow(InvalidArgumentError);
    await expect(component.cleanup(options as never)).rejects.toThrow(message);
    expect(component.state).toBe('loaded');
    expect(closed).toBe(0);
    // A valid call afterwards still works.
    await component.cleanup();
    expect(closed).toBe(1);
  });

  it('dispose() with bad options rejects with an InvalidArgumentError and disposes nothing', async () => {
    const manager = new ResourceManager();
    const component = manager.register(anOwner(), 'c');
    await expect(manager.dispose({ deadlineMs: -1 })).rejects.toThrow(InvalidArgumentError);
    expect(manager.disposed).toBe(false);
    expect(component.state).toBe('loaded');
    await manager.dispose();
    expect(component.state).toBe('destroyed');
  });
});
