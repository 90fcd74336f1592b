/**
 * The pieces under plugin containment, in-process: fault claimers and the process guards
 * (containment.ts), the globals guard (globals-guard.ts), and Steward's own built-ins on its
 * cleanup path (intrinsics). The outside-in tests are in test/plugins/containment.test.ts.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ResourceManager } from '../../src/core/index.js';
import {
  addFaultClaimer,
  claimFault,
  detectGlobals,
  type Fault,
  isProcessGuard,
  restoreGlobalsWhere,
  runInComponent,
} from '../../src/node/index.js';
import { stackFrames } from '../../src/plugins/host-containment.js';
import { runWithin, TimeoutError } from '../../src/plugins/timeout.js';

const removers: Array<() => void> = [];
afterEach(() => {
  for (const remove of removers.splice(0)) remove();
});

/** A claimer that takes faults of code running in `component`, and records them. */
function claimerFor(component: object) {
  const seen: Fault[] = [];
  removers.push(
    addFaultClaimer({
      claim(fault) {
        if (fault.component !== component) return undefined;
        seen.push(fault);
        return new Error(`taken: ${fault.kind}`);
      },
    }),
  );
  return seen;
}

describe('fault claimers and the process guards', () => {
  it('guard process.exit/kill/abort only while a claimer is registered', () => {
    const exit = process.exit;
    const remove = addFaultClaimer({ claim: () => undefined });
    expect(isProcessGuard(process.exit)).toBe(true);
    expect(isProcessGuard(process.kill)).toBe(true);
    expect(isProcessGuard(process.abort)).toBe(true);
    remove();
    expect(process.exit).toBe(exit);
    expect(isProcessGuard(process.kill)).toBe(false);
  });

  it("a claimed component's exit and kill of its own process throw the claimer's error; nothing is sent", () => {
    const plugin = new ResourceManager().register({}, 'plugin');
    const seen = claimerFor(plugin);
    let signalled = false;
    const onSignal = () => {
      signalled = true;
    };
    process.on('SIGUSR2', onSignal);
    try {
      expect(() => runInComponent(plugin, () => process.exit(3))).toThrow('taken: exit');
      expect(() => runInComponent(plugin, () => process.kill(process.pid, 'SIGUSR2'))).toThrow('taken: kill');
      expect(() => runInComponent(plugin, () => process.kill(0))).toThrow('taken: kill');
      // An existence check, and a signal to another process, are not the host's end.
      expect(runInComponent(plugin, () => process.kill(process.pid, 0))).toBe(true);
      expect(seen.map((f) => [f.kind, f.args])).toEqual([
        ['exit', [3]],
        ['kill', [process.pid, 'SIGUSR2']],
        ['kill', [0]],
      ]);
      expect(seen[0]!.stack).toContain('containment.test.ts');
    } finally {
      process.off('SIGUSR2', onSignal);
    }
    expect(signalled).toBe(false);
  });

  it('claimFault: offered once per error, with the async context it was raised in', async () => {
    const plugin = new ResourceManager().register({}, 'plugin');
    const seen = claimerFor(plugin);
    const error = new Error('boom');
    const claimed = await runInComponent(plugin, async () => {
      await new Promise((resolve) => setImmediate(resolve));
      return claimFault(error, 'unhandledRejection');
    });
    expect(claimed).toBe(true);
    expect(claimFault(error, 'uncaughtException')).toBe(true); // already taken: not offered again
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ kind: 'unhandledRejection', error, component: plugin });
    expect(claimFault(new Error('not in the plugin'), 'uncaughtException')).toBe(false);
  });
});

describe('the globals guard', () => {
  it('attributes a replacement to the plugin whose code ran, and puts it back', () => {
    const original = Array.prototype.at;
    detectGlobals(undefined);
    Array.prototype.at = function at() {
      return 'hijacked';
    };
    try {
      expect(detectGlobals('patcher')).toEqual(['Array.prototype.at']);
      expect(detectGlobals('someone-else')).toEqual([]); // seen once, attributed once
      expect(restoreGlobalsWhere({ by: 'someone-else' })).toEqual([]);
      expect(restoreGlobalsWhere({ by: 'patcher' })).toEqual([
        { name: 'Array.prototype.at', group: 'builtin', by: 'patcher', restored: true },
      ]);
      expect(Array.prototype.at).toBe(original);
    } finally {
      Array.prototype.at = original;
    }
  });

  it('adding a method is not replacing one; a replacement outside any hook is nobody’s', () => {
    const original = globalThis.structuredClone;
    detectGlobals(undefined);
    (Array.prototype as unknown as { stewardAdded: unknown }).stewardAdded = () => 1;
    globalThis.structuredClone = ((v: unknown) => v) as typeof structuredClone;
    try {
      expect(detectGlobals(undefined)).toEqual(['globalThis.structuredClone']);
      expect(restoreGlobalsWhere({ onlyUnknown: true })).toEqual([
        { name: 'globalThis.structuredClone', group: 'environment', by: undefined, restored: true },
      ]);
      expect(globalThis.structuredClone).toBe(original);
    } finally {
      delete (Array.prototype as unknown as { stewardAdded?: unknown }).stewardAdded;
      globalThis.structuredClone = original;
    }
  });
});

describe('the globals guard and a frozen holder', () => {
  // Freezes JSON for the rest of this file's process (Vitest runs each file in its own fork).
  it('reports what it cannot put back', () => {
    const original = JSON.stringify;
    detectGlobals(undefined);
    JSON.stringify = ((...args: Parameters<typeof JSON.stringify>) =>
      Reflect.apply(original, JSON, args)) as typeof JSON.stringify;
    Object.freeze(JSON);
    expect(detectGlobals('freezer')).toEqual(['JSON.stringify']);
    expect(restoreGlobalsWhere({ by: 'freezer' })).toEqual([
      { name: 'JSON.stringify', group: 'builtin', by: 'freezer', restored: false },
    ]);
    expect(JSON.stringify({ a: 1 })).toBe('{"a":1}');
  });
});

describe("Steward's own built-ins on its cleanup path", () => {
  it('a replaced setTimeout and Array.prototype.push break neither a cleanup deadline nor a hook timeout', async () => {
    const setTimeoutBefore = globalThis.setTimeout;
    const pushBefore = Array.prototype.push;
    const manager = new ResourceManager();
    const component = manager.register({}, 'app');
    component.track({}, { type: 'stuck', dispose: () => new Promise(() => {}) });
    component.track({}, { type: 'failing', dispose: () => Promise.reject(new Error('no')) });
    // Replacements that throw for Steward's code and delegate for everybody else (the test
    // runner keeps running meanwhile): the cleanup must not have called them.
    let refused = 0;
    const hostile = <F extends (...args: never[]) => unknown>(original: F) =>
      function (this: unknown, ...args: unknown[]) {
        if (/[/\\]src[/\\](core|plugins|node)[/\\]/.test(new Error().stack ?? '')) {
          refused++;
          throw new Error('replaced');
        }
        return Reflect.apply(original, this, args);
      };
    globalThis.setTimeout = hostile(setTimeoutBefore) as unknown as typeof setTimeout;
    Array.prototype.push = hostile(pushBefore);
    let report: Awaited<ReturnType<typeof component.cleanup>>;
    let timeout: unknown;
    try {
      report = await component.cleanup({ force: true, deadlineMs: 50 });
      timeout = await runWithin(() => new Promise(() => {}), 20, 'a stuck hook').catch((e: unknown) => e);
    } finally {
      Array.prototype.push = pushBefore;
      globalThis.setTimeout = setTimeoutBefore;
    }
    expect(report.abandoned.map((a) => a.type)).toEqual(['stuck']);
    expect(report.failed.map((f) => f.type)).toEqual(['failing']);
    expect(report.components).toEqual(['app']);
    expect(timeout).toBeInstanceOf(TimeoutError);
    expect(refused).toBe(0);
  });
});

describe('stack frames', () => {
  it('reads file frames as paths (URLs, query strings, anonymous and named frames)', () => {
    const stack = [
      'Error: x',
      '    at hijacked (file:///tmp/p/a/index.js?steward-gen=2:11:17)',
      '    at parserOnIncoming (node:_http_server:1036:18)',
      '    at /tmp/p/b/lib.js:3:9',
      '    at JSON.parse (<anonymous>)',
    ].join('\n');
    expect(stackFrames(stack)).toEqual([
      { path: '/tmp/p/a/index.js', location: '/tmp/p/a/index.js:11:17' },
      { path: '/tmp/p/b/lib.js', location: '/tmp/p/b/lib.js:3:9' },
    ]);
    expect(stackFrames(undefined)).toEqual([]);
  });
});
