/**
 * Deadlines and numbers that hold (issue 12, §2): a joining cleanup's tighter deadline applies,
 * a disposer cut off by the deadline is reported naming `cleanupDeadlineMs`, timer options a
 * timer cannot hold are refused, sizes are whole bytes whose counters never drift, `track(null)`
 * is refused, and every options object is checked — its type and its keys.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DisposerTimeoutError,
  InvalidArgumentError,
  MAX_TIMER_MS,
  ResourceManager,
  UnknownOptionError,
} from '../../src/core/index.js';
import type { KeysOf } from '../../src/core/options.js';
import type { TrackOptions } from '../../src/core/types.js';
import { anOwner } from './helpers.js';

/** Long enough that a test relying on it would hit vitest's guard; a timer can hold it. */
const FOREVER_MS = MAX_TIMER_MS;
const GUARD_MS = 60_000;
const hang = (): Promise<never> => new Promise<never>(() => undefined);

function patient(): ResourceManager {
  return new ResourceManager({ disposerTimeoutMs: FOREVER_MS, cleanupDeadlineMs: FOREVER_MS });
}

describe('a joining cleanup with a tighter deadline', () => {
  it(
    'cleanup({ deadlineMs }) joining a running cleanup cuts the hung disposer off at its own deadline',
    async () => {
      const manager = patient();
      const component = manager.register(anOwner(), 'c');
      component.track({}, { dispose: hang });
      const first = component.cleanup({ force: true });
      const report = await component.cleanup({ deadlineMs: 20, force: true });
      expect(report).toBe(await first); // one run, shared
      expect(report.deadlineExceeded).toBe(true);
      const error = report.abandoned[0]!.error as DisposerTimeoutError;
      expect(error).toBeInstanceOf(DisposerTimeoutError);
      expect(error.budget).toBe('cleanupDeadlineMs');
      expect(error.message).toMatch(/cut off by the cleanup deadline \(20 ms\).*Raise cleanupDeadlineMs/);
      expect(error.message).not.toMatch(/raise disposerTimeoutMs/);
      expect(component.state).toBe('destroyed');
    },
    GUARD_MS,
  );

  it(
    'a parent cleanup with a deadline tightens a child cleanup already running',
    async () => {
      const manager = patient();
      const parent = manager.register(anOwner(), 'parent');
      const child = manager.register(anOwner(), 'child', { parent });
      child.track({}, { dispose: hang });
      const childRun = child.cleanup({ force: true });
      const report = await parent.cleanup({ deadlineMs: 20, force: true });
      expect(report.abandoned.map((a) => (a.error as DisposerTimeoutError).budget)).toEqual([
        'cleanupDeadlineMs',
      ]);
      expect((await childRun).deadlineExceeded).toBe(true);
    },
    GUARD_MS,
  );

  it(
    'manager.dispose({ deadlineMs }) tightens a component cleanup already running, and a second dispose() tightens the first',
    async () => {
      const manager = patient();
      const a = manager.register(anOwner(), 'a');
      a.track({}, { dispose: hang });
      const running = a.cleanup({ force: true });
      const report = await manager.dispose({ deadlineMs: 20, force: true });
      expect(report.deadlineExceeded).toBe(true);
      await running;

      const second = patient();
      second.register(anOwner(), 'b').track({}, { dispose: hang });
      const slow = second.dispose({ force: true });
      const fast = await second.dispose({ deadlineMs: 20, force: true });
      expect(fast).toBe(await slow);
      expect(fast.abandoned).toHaveLength(1);
    },
    GUARD_MS,
  );

  it(
    'a looser deadline does not loosen a running cleanup',
    async () => {
      const manager = new ResourceManager({ disposerTimeoutMs: FOREVER_MS, cleanupDeadlineMs: 20 });
      const component = manager.register(anOwner(), 'c');
      component.track({}, { dispose: hang });
      const first = component.cleanup({ force: true });
      const joined = component.cleanup({ deadlineMs: FOREVER_MS, force: true });
      expect(await joined).toBe(await first);
      expect((await first).deadlineExceeded).toBe(true);
    },
    GUARD_MS,
  );
});

describe('a disposer cut off by the cleanup deadline is reported as such', () => {
  it(
    'names cleanupDeadlineMs, for the one cut off and for those called after the deadline',
    async () => {
      const manager = new ResourceManager({ disposerTimeoutMs: FOREVER_MS, cleanupDeadlineMs: 20 });
      const component = manager.register(anOwner(), 'c');
      const events: Array<{ budget: string; timeoutMs: number }> = [];
      manager.on('disposerTimedOut', (e) => events.push({ budget: e.budget, timeoutMs: e.timeoutMs }));
      component.track({}, { dispose: hang }); // older: called second, after the deadline
      component.track({}, { dispose: hang }); // newest: called first, cut off at 20 ms
      const report = await component.cleanup({ force: true });
      const [cut, after] = report.abandoned.map((a) => a.error as DisposerTimeoutError);
      expect(cut!.message).toMatch(/cut off by the cleanup deadline \(20 ms\) after \d+ ms/);
      expect(after!.message).toMatch(
        /cut off by the cleanup deadline \(20 ms\) which had passed before it was called/,
      );
      for (const error of [cut!, after!]) {
        expect(error.code).toBe('STEWARD_DISPOSER_TIMEOUT');
        expect(error.message).toMatch(/Raise cleanupDeadlineMs/);
      }
      expect(events.map((e) => e.budget)).toEqual(['cleanupDeadlineMs', 'cleanupDeadlineMs']);
      expect(report.deadlineExceeded).toBe(true);
    },
    GUARD_MS,
  );

  it(
    'a disposer over its own timeout names disposerTimeoutMs and is no deadline overrun',
    async () => {
      const manager = new ResourceManager({ disposerTimeoutMs: 20, cleanupDeadlineMs: FOREVER_MS });
      const component = manager.register(anOwner(), 'c');
      component.track({}, { dispose: hang });
      const report = await component.cleanup({ force: true });
      const error = report.abandoned[0]!.error as DisposerTimeoutError;
      expect(error.budget).toBe('disposerTimeoutMs');
      expect(error.message).toMatch(/did not settle within 20 ms.*raise disposerTimeoutMs/);
      expect(report.deadlineExceeded).toBe(false);
    },
    GUARD_MS,
  );
});

describe('millisecond options a timer cannot hold', () => {
  const bad = [2 ** 31, MAX_TIMER_MS + 0.5, Number.POSITIVE_INFINITY, Number.NaN, 0, -1, '5'];

  it.each(bad)(
    'new ResourceManager({ disposerTimeoutMs: %s }) and the other timer options are refused',
    (ms) => {
      for (const options of [
        { disposerTimeoutMs: ms },
        { cleanupDeadlineMs: ms },
        { leakTracking: { sweepIntervalMs: ms } },
      ]) {
        let error: unknown;
        try {
          new ResourceManager(options as never);
        } catch (e) {
          error = e;
        }
        expect(error).toBeInstanceOf(InvalidArgumentError);
        expect((error as InvalidArgumentError).code).toBe('STEWARD_BAD_ARGUMENT');
        expect((error as Error).message).toMatch(/at most 2147483647 \(2\^31 − 1/);
      }
    },
  );

  it.each(bad)(
    'cleanup() and dispose() with deadlineMs or disposerTimeoutMs = %s reject and start nothing',
    async (ms) => {
      const manager = new ResourceManager();
      const component = manager.register(anOwner(), 'c');
      await expect(component.cleanup({ deadlineMs: ms as number })).rejects.toThrow(InvalidArgumentError);
      await expect(component.cleanup({ disposerTimeoutMs: ms as number })).rejects.toThrow(
        /at most 2147483647/,
      );
      await expect(manager.dispose({ deadlineMs: ms as number })).rejects.toThrow(InvalidArgumentError);
      expect(component.state).toBe('loaded');
      expect(manager.disposed).toBe(false);
    },
  );

  it('2^31 − 1 is accepted; maxResourceAgeMs, an age no timer holds, may be longer', () => {
    const manager = new ResourceManager({
      disposerTimeoutMs: MAX_TIMER_MS,
      cleanupDeadlineMs: MAX_TIMER_MS,
      leakTracking: { maxResourceAgeMs: 10 * MAX_TIMER_MS },
    });
    expect(manager.disposerTimeoutMs).toBe(MAX_TIMER_MS);
  });
});

describe('sizes are whole bytes and the counters never drift', () => {
  it.each([0.1, 1.5, -1, 2 ** 53, Number.MAX_VALUE, Number.NaN, '4'])('size %s is refused', (size) => {
    const manager = new ResourceManager();
    const component = manager.register(anOwner(), 'c');
    expect(() => component.track({}, { size: size as number })).toThrow(InvalidArgumentError);
    const handle = component.track({}, { size: 1 });
    expect(() => handle.resize(size as number)).toThrow(
      /whole number of bytes >= 0 and at most Number.MAX_SAFE_INTEGER/,
    );
    expect(() => component.setMemoryLimit({ bytes: size as number })).toThrow(InvalidArgumentError);
    expect(manager.totalBytes).toBe(1);
  });

  it('property: after any sequence of track / resize / release, every counter equals the sum of live sizes', () => {
    const size = fc.oneof(fc.nat(64), fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }));
    const op = fc.oneof(
      fc.record({ t: fc.constant('track' as const), comp: fc.nat(2), size }),
      fc.record({ t: fc.constant('resize' as const), pick: fc.nat(), size }),
      fc.record({ t: fc.constant('release' as const), pick: fc.nat() }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 40 }), (ops) => {
        const manager = new ResourceManager();
        const root = manager.register(anOwner(), 'root');
        const comps = [
          root,
          manager.register(anOwner(), 'a', { parent: root }),
          manager.register(anOwner(), 'b'),
        ];
        const live: Array<{ handle: ReturnType<typeof root.track>; comp: number; size: number }> = [];
        const total = (): number => live.reduce((s, l) => s + l.size, 0);
        for (const o of ops) {
          if (o.t === 'track') {
            if (total() + o.size > Number.MAX_SAFE_INTEGER) {
              expect(() => comps[o.comp]!.track({}, { size: o.size })).toThrow(
                /past Number.MAX_SAFE_INTEGER/,
              );
            } else {
              live.push({ handle: comps[o.comp]!.track({}, { size: o.size }), comp: o.comp, size: o.size });
            }
          } else if (live.length > 0) {
            const i = o.pick % live.length;
            if (o.t === 'resize') {
              if (total() - live[i]!.size + o.size > Number.MAX_SAFE_INTEGER) {
                expect(() => live[i]!.handle.resize(o.size)).toThrow(/past Number.MAX_SAFE_INTEGER/);
                continue;
              }
              live[i]!.handle.resize(o.size);
              live[i]!.size = o.size;
            } else {
              live[i]!.handle.release();
              live.splice(i, 1);
            }
          }
        }
        const own = (c: number): number => live.filter((l) => l.comp === c).reduce((s, l) => s + l.size, 0);
        for (let c = 0; c < comps.length; c++) expect(comps[c]!.ownBytes).toBe(own(c));
        expect(root.bytes).toBe(own(0) + own(1));
        expect(manager.totalBytes).toBe(own(0) + own(1) + own(2));
        for (const l of [...live]) l.handle.release();
        expect(manager.totalBytes).toBe(0);
        expect(root.bytes).toBe(0);
      }),
    );
  });
});

describe('track(null) and track(undefined)', () => {
  it.each([null, undefined])(
    'track(%s) is refused, saying what to use instead; nothing is tracked',
    (value) => {
      const manager = new ResourceManager();
      const component = manager.register(anOwner(), 'c');
      expect(() => component.track(value)).toThrow(InvalidArgumentError);
      expect(() => component.track(value, { size: 4 })).toThrow(
        new RegExp(
          `track\\(\\): the value is ${value}; there is nothing to track.*onCleanup\\(fn\\).*@trackResult skips null`,
        ),
      );
      expect(component.resourceCount).toBe(0);
      expect(manager.totalBytes).toBe(0);
    },
  );
});

describe('every options object is checked: its type and its keys', () => {
  function thrown(fn: () => unknown): Error {
    try {
      fn();
    } catch (error) {
      return error as Error;
    }
    throw new Error('expected a throw');
  }

  it('new ResourceManager(5) and other non-objects are refused', () => {
    for (const options of [5, 'x', [], null]) {
      const error = thrown(() => new ResourceManager(options as never));
      expect(error).toBeInstanceOf(InvalidArgumentError);
      expect(error.message).toMatch(
        /new ResourceManager\(\): options must be an object such as \{ disposerTimeoutMs/,
      );
    }
  });

  it.each([
    [
      'new ResourceManager',
      () => new ResourceManager({ disposerTimeout: 5 } as never),
      'disposerTimeout',
      'disposerTimeoutMs',
    ],
    [
      'new ResourceManager',
      () => new ResourceManager({ cleanupdeadlinems: 5 } as never),
      'cleanupdeadlinems',
      'cleanupDeadlineMs',
    ],
    [
      'leakTracking',
      () => new ResourceManager({ leakTracking: { sweepInterval: 5 } } as never),
      'sweepInterval',
      'sweepIntervalMs',
    ],
    ['memoryLimit', () => new ResourceManager({ memoryLimit: { byte: 5 } } as never), 'byte', 'bytes'],
    [
      'register',
      () => new ResourceManager().register(anOwner(), 'x', { parnet: undefined } as never),
      'parnet',
      'parent',
    ],
    [
      'track',
      () => new ResourceManager().register(anOwner(), 'x').track({}, { sise: 1 } as never),
      'sise',
      'size',
    ],
    [
      'track',
      () => new ResourceManager().register(anOwner(), 'x').track({}, { disposer: null } as never),
      'disposer',
      'dispose',
    ],
    ['snapshot', () => new ResourceManager().snapshot({ resource: true } as never), 'resource', 'resources'],
    [
      'setMemoryLimit',
      () => new ResourceManager().setMemoryLimit({ bytes: 1, polcy: 'warn' } as never),
      'polcy',
      'policy',
    ],
  ])('%s: an unknown key is refused naming the nearest known key', (_where, fn, key, suggestion) => {
    const error = thrown(fn) as UnknownOptionError;
    expect(error).toBeInstanceOf(UnknownOptionError);
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect(error.code).toBe('STEWARD_UNKNOWN_OPTION');
    expect(error.key).toBe(key);
    expect(error.suggestion).toBe(suggestion);
    expect(error.message).toContain(`did you mean ${suggestion}?`);
  });

  it('cleanup() and dispose() reject an unknown key and start nothing', async () => {
    const manager = new ResourceManager();
    const component = manager.register(anOwner(), 'c');
    await expect(component.cleanup({ deadline: 5 } as never)).rejects.toThrow(
      /unknown option "deadline" — did you mean deadlineMs\?/,
    );
    await expect(manager.dispose({ forse: true } as never)).rejects.toThrow(/did you mean force\?/);
    expect(component.state).toBe('loaded');
  });

  it('track accepts every key of TrackOptions (its hot-path check is a switch, kept in step here)', () => {
    const keys: KeysOf<TrackOptions> = {
      type: true,
      size: true,
      metadata: true,
      dispose: true,
      priority: true,
      weak: true,
      evictable: true,
    };
    const component = new ResourceManager().register(anOwner(), 'x');
    for (const key of Object.keys(keys))
      expect(() => component.track({}, { [key]: undefined })).not.toThrow();
  });

  it('a key far from every known one gets no suggestion, but the list of known keys', () => {
    const error = thrown(() =>
      new ResourceManager().register(anOwner(), 'x').track({}, { colour: 'red' } as never),
    );
    expect(error).toBeInstanceOf(UnknownOptionError);
    expect((error as UnknownOptionError).suggestion).toBeUndefined();
    expect(error.message).toMatch(
      /unknown option "colour"\. Known options: type, size, metadata, dispose, priority, weak, evictable\./,
    );
  });
});
