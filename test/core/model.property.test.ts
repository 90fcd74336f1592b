/**
 * Model-based test of the core: random sequences of register / track / release / untrack /
 * resize / touch / setState / cleanup (sometimes twice at once, sometimes left running) and a
 * final manager disposal, checked against a simple model after every step:
 * - memory: own, subtree and total bytes equal the sums of the live sizes in the model;
 * - every tracked resource is disposed exactly once by the end (never twice; never, if untracked);
 * - within every cleanup, disposal order is priority-descending then newest-first, and every
 *   child's disposals come before its parent's own;
 * - after a cleanup resolves, each component it reports is destroyed, empty, not findable by id,
 *   and the report's failures are exactly the failing disposers that the sweep called.
 */

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type CleanupRegistration,
  type CleanupReport,
  type Component,
  InvalidArgumentError,
  type LifecycleState,
  MemoryLimitError,
  ResourceManager,
  StewardError,
  type TrackedResource,
  UseAfterCleanupError,
} from '../../src/core/index.js';
import { anOwner, LEGAL_BY_SETSTATE } from './helpers.js';

type Kind = 'sync' | 'throw' | 'async' | 'slow' | 'reject' | 'callback';
type Tag = 'sweep' | 'release' | 'evict' | 'late-track';

interface MComp {
  readonly id: string;
  readonly component: Component;
  readonly parent: MComp | undefined;
  readonly children: MComp[];
  readonly resources: MRes[];
  readonly rejectLimit: number | undefined;
  cleanupCalled: boolean;
}

interface MRes {
  readonly seq: number;
  readonly comp: MComp;
  readonly kind: Kind;
  readonly priority: number;
  readonly evictable: boolean;
  size: number;
  handle: TrackedResource | undefined;
  registration: CleanupRegistration | undefined;
  /** Unlinked in the model: released, evicted, untracked or disposed by a sweep. */
  gone: boolean;
  untracked: boolean;
  readonly disposals: Array<{ tag: Tag; at: number }>;
}

type Op =
  | {
      t: 'register';
      parent: number;
      root: boolean;
      limit: number | null;
      state: 'loaded' | 'initialized' | 'active';
    }
  | {
      t: 'track';
      comp: number;
      late: boolean;
      size: number;
      priority: number;
      kind: Kind;
      evictable: boolean;
    }
  | { t: 'release'; res: number; via: 'handle' | 'component' | 'foreign' }
  | { t: 'untrack'; res: number }
  | { t: 'resize'; res: number; size: number }
  | { t: 'touch'; res: number }
  | { t: 'setState'; comp: number; state: LifecycleState }
  | { t: 'cleanup'; comp: number; twice: boolean; wait: boolean; force: boolean }
  | { t: 'flush' };

const STATES: LifecycleState[] = [
  'loaded',
  'initialized',
  'active',
  'paused',
  'cleaning',
  'destroyed',
  'failed',
];

const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({
      t: fc.constant('register' as const),
      parent: fc.nat(),
      root: fc.boolean(),
      limit: fc.option(
        fc.integer({ min: 4, max: 24 }).map((n) => n * 5),
        { freq: 4 },
      ),
      state: fc.constantFrom('loaded' as const, 'initialized' as const, 'active' as const),
    }),
  },
  {
    weight: 8,
    arbitrary: fc.record({
      t: fc.constant('track' as const),
      comp: fc.nat(),
      late: fc.integer({ min: 0, max: 5 }).map((n) => n === 0),
      size: fc.oneof(
        { weight: 1, arbitrary: fc.constant(0) },
        { weight: 3, arbitrary: fc.integer({ min: 1, max: 8 }).map((n) => n * 5) },
      ),
      priority: fc.constantFrom(-1, 0, 0, 0, 1, 2),
      kind: fc.constantFrom<Kind>('sync', 'sync', 'throw', 'async', 'slow', 'reject', 'callback'),
      evictable: fc.boolean(),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      t: fc.constant('release' as const),
      res: fc.nat(),
      via: fc.constantFrom('handle' as const, 'component' as const, 'foreign' as const),
    }),
  },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('untrack' as const), res: fc.nat() }) },
  {
    weight: 2,
    arbitrary: fc.record({
      t: fc.constant('resize' as const),
      res: fc.nat(),
      size: fc.integer({ min: 0, max: 60 }),
    }),
  },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('touch' as const), res: fc.nat() }) },
  {
    weight: 2,
    arbitrary: fc.record({
      t: fc.constant('setState' as const),
      comp: fc.nat(),
      state: fc.constantFrom(...STATES),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      t: fc.constant('cleanup' as const),
      comp: fc.nat(),
      twice: fc.boolean(),
      wait: fc.boolean(),
      force: fc.boolean(),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ t: 'flush' as const }) },
);

const scenarioArb = fc.record({
  // Multiples of 5, like the sizes, so that "exactly at the limit" happens often.
  globalEvictLimit: fc.option(
    fc.integer({ min: 4, max: 20 }).map((n) => n * 5),
    { freq: 3 },
  ),
  ops: fc.array(opArb, { minLength: 10, maxLength: 60, size: 'max' }),
});

/** Run one scenario against the real manager and the model; throws on any disagreement. */
async function runScenario(globalEvictLimit: number | null, ops: Op[]): Promise<void> {
  const manager = new ResourceManager(
    globalEvictLimit === null ? {} : { memoryLimit: { bytes: globalEvictLimit, policy: 'evict' } },
  );
  const comps: MComp[] = [];
  const all: MRes[] = [];
  const lru: MRes[] = [];
  let tag: Tag = 'sweep';
  let clock = 0;
  let nextId = 0;
  const pending: Array<{ comp: MComp; runs: Array<Promise<unknown>> }> = [];

  const live = (r: MRes) => !r.gone;
  const evictions = () => all.reduce((n, r) => n + r.disposals.filter((d) => d.tag === 'evict').length, 0);
  const ownBytes = (c: MComp) => c.resources.filter(live).reduce((n, r) => n + r.size, 0);
  const subtreeBytes = (c: MComp): number =>
    ownBytes(c) + c.children.reduce((n, k) => n + subtreeBytes(k), 0);
  const totalBytes = () => all.filter(live).reduce((n, r) => n + r.size, 0);
  const accepts = (c: MComp) => c.component.state !== 'cleaning' && c.component.state !== 'destroyed';
  const unlink = (r: MRes) => {
    r.gone = true;
    const i = lru.indexOf(r);
    if (i >= 0) lru.splice(i, 1);
  };

  function makeDisposer(r: MRes): () => unknown {
    return () => {
      r.disposals.push({ tag, at: clock++ });
      unlink(r);
      switch (r.kind) {
        case 'throw':
          throw new Error(`dispose #${r.seq} failed`);
        case 'async':
          return Promise.resolve();
        case 'slow':
          return new Promise((resolve) => setTimeout(resolve, 0));
        case 'reject':
          return Promise.reject(new Error(`dispose #${r.seq} rejected`));
        default:
          return undefined;
      }
    };
  }

  /** Model of limit checks for adding `delta` bytes to `c`; evicts (in the model) like the manager. */
  function admit(c: MComp, delta: number, exclude: MRes | undefined): 'reject' | 'ok' {
    if (delta <= 0) return 'ok';
    for (let x: MComp | undefined = c; x; x = x.parent) {
      if (x.rejectLimit !== undefined && subtreeBytes(x) + delta > x.rejectLimit) return 'reject';
    }
    if (globalEvictLimit !== null && totalBytes() + delta > globalEvictLimit) {
      const target = globalEvictLimit - delta;
      let held = totalBytes();
      for (const r of lru) {
        if (held <= target) break;
        if (r === exclude) continue;
        expectedEvictions.push(r);
        held -= r.size;
      }
    }
    return 'ok';
  }
  let expectedEvictions: MRes[] = [];

  function checkMemory(step: string): void {
    for (const c of comps) {
      expect(c.component.ownBytes, `${step}: own bytes of ${c.id}`).toBe(ownBytes(c));
      expect(c.component.bytes, `${step}: subtree bytes of ${c.id}`).toBe(subtreeBytes(c));
      expect(c.component.resourceCount, `${step}: resources of ${c.id}`).toBe(
        c.resources.filter(live).length,
      );
    }
    expect(manager.totalBytes, `${step}: total bytes`).toBe(totalBytes());
    expect(manager.activeResources, `${step}: active resources`).toBe(all.filter(live).length);
  }

  async function settle(comp: MComp, runs: Array<Promise<unknown>>): Promise<void> {
    const outcomes = await Promise.allSettled(runs);
    const reports = outcomes.map((o) => {
      if (o.status === 'fulfilled') return o.value as CleanupReport;
      expect((o.reason as Error).name).toBe('CleanupError');
      return (o.reason as { report: CleanupReport }).report;
    });
    const report = reports[0]!;
    for (const other of reports) expect(other).toBe(report); // concurrent calls share one run
    expect(report.components.at(-1)).toBe(comp.id);
    const cleaned = new Set(report.components);
    for (const id of cleaned) {
      const c = comps.find((x) => x.id === id)!;
      expect(c.component.state, `${id} after cleanup`).toBe('destroyed');
      expect(c.component.resourceCount).toBe(0);
      expect(c.component.bytes).toBe(0);
      expect(manager.get(id)).toBeUndefined();
      for (const r of c.resources) expect(r.gone, `resource #${r.seq} of ${id} left behind`).toBe(true);
    }
    const expectedFailed = all
      .filter((r) => cleaned.has(r.comp.id) && (r.kind === 'throw' || r.kind === 'reject'))
      .filter((r) => r.disposals.some((d) => d.tag === 'sweep'))
      .map((r) => r.handle?.id)
      .sort();
    expect(report.failed.map((f) => f.resourceId).sort()).toEqual(expectedFailed);
    const expectedReleased = all.filter(
      (r) =>
        cleaned.has(r.comp.id) &&
        r.kind !== 'throw' &&
        r.kind !== 'reject' &&
        r.disposals.some((d) => d.tag === 'sweep'),
    ).length;
    expect(report.released, 'released count').toBe(expectedReleased);
    expect(report.abandoned).toEqual([]);
    // Forced calls resolve; non-forced ones reject exactly when something failed.
    const problems = report.failed.length > 0;
    outcomes.forEach((o, i) => {
      if (o.status === 'rejected') expect(problems, `run ${i} rejected without failures`).toBe(true);
    });
  }

  const first: Op = { t: 'register', parent: 0, root: true, limit: null, state: 'active' };
  for (const [index, op] of [first, ...ops].entries()) {
    const step = `step ${index} ${JSON.stringify(op)}`;
    switch (op.t) {
      case 'register': {
        const parent = op.root || comps.length === 0 ? undefined : comps[op.parent % comps.length];
        const id = `c${nextId++}`;
        const options = {
          state: op.state,
          ...(parent ? { parent: parent.component } : {}),
          ...(op.limit !== null ? { memoryLimit: { bytes: op.limit, policy: 'reject' as const } } : {}),
        };
        if (parent && !accepts(parent)) {
          expect(() => manager.register(anOwner(), id, options), step).toThrow(UseAfterCleanupError);
          expect(manager.get(id)).toBeUndefined();
          break;
        }
        const component = manager.register(anOwner(), id, options);
        const c: MComp = {
          id,
          component,
          parent,
          children: [],
          resources: [],
          rejectLimit: op.limit ?? undefined,
          cleanupCalled: false,
        };
        parent?.children.push(c);
        comps.push(c);
        break;
      }
      case 'track': {
        // Mostly into live components; sometimes into any (use after cleanup).
        const targets = op.late ? comps : comps.filter(accepts);
        if (targets.length === 0) break;
        const c = targets[op.comp % targets.length]!;
        const isCallback = op.kind === 'callback';
        const r: MRes = {
          seq: all.length,
          comp: c,
          kind: op.kind,
          priority: op.priority,
          evictable: op.evictable && !isCallback,
          size: isCallback ? 0 : op.size,
          handle: undefined,
          registration: undefined,
          gone: false,
          untracked: false,
          disposals: [],
        };
        const dispose = makeDisposer(r);
        if (c.cleanupCalled) expect(accepts(c), step).toBe(false);
        if (!accepts(c)) {
          tag = 'late-track';
          try {
            if (isCallback) expect(() => c.component.onCleanup(dispose), step).toThrow(UseAfterCleanupError);
            else
              expect(() => c.component.track({}, { dispose, size: r.size }), step).toThrow(
                UseAfterCleanupError,
              );
          } finally {
            tag = 'sweep';
          }
          expect(
            r.disposals.map((d) => d.tag),
            step,
          ).toEqual(['late-track']);
          all.push(r); // disposed once, never linked
          break;
        }
        expectedEvictions = [];
        const evictedBefore = evictions();
        const verdict = admit(c, r.size, undefined);
        tag = 'evict';
        try {
          if (verdict === 'reject') {
            expect(() => c.component.track({}, { dispose, size: r.size }), step).toThrow(MemoryLimitError);
            expect(r.disposals).toEqual([]);
            break;
          }
          if (isCallback) {
            r.registration = c.component.onCleanup(dispose, { priority: r.priority });
          } else {
            r.handle = c.component.track(
              {},
              { dispose, size: r.size, priority: r.priority, evictable: r.evictable },
            );
          }
        } finally {
          tag = 'sweep';
        }
        for (const e of expectedEvictions) {
          expect(
            e.disposals.map((d) => d.tag),
            `${step}: eviction of #${e.seq}`,
          ).toEqual(['evict']);
        }
        expect(evictions(), `${step}: evictions`).toBe(evictedBefore + expectedEvictions.length);
        c.resources.push(r);
        all.push(r);
        if (r.evictable) lru.push(r);
        break;
      }
      case 'release': {
        const candidates = all.filter((x) => x.handle || x.registration);
        if (candidates.length === 0) break;
        const r = candidates[op.res % candidates.length]!;
        const wasLive = live(r);
        if (r.registration) {
          expect(r.registration.dispose(), step).toBe(wasLive);
          if (wasLive) {
            unlink(r);
            r.untracked = true;
          }
          break;
        }
        const handle = r.handle!;
        if (op.via === 'foreign') {
          const other = comps.find((x) => x !== r.comp);
          if (other) {
            expect(() => other.component.release(handle), step).toThrow(InvalidArgumentError);
            expect(live(r)).toBe(wasLive);
            break;
          }
        }
        tag = 'release';
        try {
          const release = () =>
            op.via === 'component' ? r.comp.component.release(handle) : handle.release();
          if (wasLive && r.kind === 'throw') expect(release, step).toThrow(/failed/);
          else expect(release(), step).toBe(wasLive);
        } finally {
          tag = 'sweep';
        }
        if (wasLive) expect(r.disposals.map((d) => d.tag)).toEqual(['release']);
        break;
      }
      case 'untrack': {
        const candidates = all.filter((x) => x.handle);
        if (candidates.length === 0) break;
        const r = candidates[op.res % candidates.length]!;
        const wasLive = live(r);
        const value = r.handle!.untrackAndLeak();
        expect(value !== undefined, step).toBe(wasLive);
        if (wasLive) {
          unlink(r);
          r.untracked = true;
        }
        break;
      }
      case 'resize': {
        const candidates = all.filter((x) => x.handle);
        if (candidates.length === 0) break;
        const r = candidates[op.res % candidates.length]!;
        const handle = r.handle!;
        if (!live(r)) {
          expect(() => handle.resize(op.size), step).toThrow(StewardError);
          break;
        }
        expectedEvictions = [];
        const evictedBefore = evictions();
        const verdict = admit(r.comp, op.size - r.size, r);
        tag = 'evict';
        try {
          if (verdict === 'reject') {
            expect(() => handle.resize(op.size), step).toThrow(MemoryLimitError);
            break;
          }
          handle.resize(op.size);
        } finally {
          tag = 'sweep';
        }
        for (const e of expectedEvictions) {
          expect(
            e.disposals.map((d) => d.tag),
            `${step}: eviction of #${e.seq}`,
          ).toEqual(['evict']);
        }
        expect(evictions(), `${step}: evictions`).toBe(evictedBefore + expectedEvictions.length);
        r.size = op.size;
        expect(handle.size).toBe(op.size);
        break;
      }
      case 'touch': {
        const candidates = all.filter((x) => x.handle);
        if (candidates.length === 0) break;
        const r = candidates[op.res % candidates.length]!;
        r.handle!.touch();
        const i = lru.indexOf(r);
        if (i >= 0) {
          lru.splice(i, 1);
          lru.push(r);
        }
        break;
      }
      case 'setState': {
        if (comps.length === 0) break;
        const c = comps[op.comp % comps.length]!;
        const from = c.component.state;
        if (c.cleanupCalled) expect(['cleaning', 'destroyed']).toContain(from);
        if (op.state === from) {
          c.component.setState(op.state);
        } else if (LEGAL_BY_SETSTATE[from].includes(op.state)) {
          c.component.setState(op.state);
          expect(c.component.state, step).toBe(op.state);
        } else {
          expect(() => c.component.setState(op.state), step).toThrow(/cannot go from/);
          expect(c.component.state, step).toBe(from);
        }
        break;
      }
      case 'cleanup': {
        if (comps.length === 0) break;
        const c = comps[op.comp % comps.length]!;
        c.cleanupCalled = true;
        const runs = [c.component.cleanup({ force: op.force })];
        if (op.twice) runs.push(c.component.cleanup({ force: !op.force }));
        for (const run of runs) run.catch(() => undefined); // settled and checked below or at the end
        if (op.wait) await settle(c, runs);
        else pending.push({ comp: c, runs });
        break;
      }
      case 'flush': {
        for (const p of pending.splice(0)) await settle(p.comp, p.runs);
        break;
      }
    }
    checkMemory(step);
  }

  for (const p of pending.splice(0)) await settle(p.comp, p.runs);
  const final = await manager.dispose({ force: true });
  expect(final.abandoned).toEqual([]);
  checkMemory('after dispose');
  expect(manager.components()).toEqual([]);
  expect(manager.totalBytes).toBe(0);
  for (const c of comps) expect(c.component.state).toBe('destroyed');

  // Every tracked resource disposed exactly once; untracked ones never.
  for (const r of all) {
    expect(r.disposals.length, `resource #${r.seq} (${r.kind}${r.untracked ? ', untracked' : ''})`).toBe(
      r.untracked ? 0 : 1,
    );
  }

  // Order within every sweep: priority descending, then newest first; children before parents.
  const sweepOf = (c: MComp) =>
    c.resources
      .filter((r) => r.disposals[0]?.tag === 'sweep')
      .sort((a, b) => a.disposals[0]!.at - b.disposals[0]!.at);
  for (const c of comps) {
    const order = sweepOf(c);
    for (let i = 1; i < order.length; i++) {
      const a = order[i - 1]!;
      const b = order[i]!;
      const ok = a.priority > b.priority || (a.priority === b.priority && a.seq > b.seq);
      expect(ok, `${c.id}: #${a.seq}(p${a.priority}) disposed before #${b.seq}(p${b.priority})`).toBe(true);
    }
    const first = order[0]?.disposals[0]?.at;
    if (first === undefined) continue;
    const descendants: MComp[] = [];
    const collect = (x: MComp) => {
      for (const k of x.children) {
        descendants.push(k);
        collect(k);
      }
    };
    collect(c);
    for (const d of descendants) {
      for (const r of sweepOf(d)) {
        expect(r.disposals[0]!.at, `${d.id} disposed #${r.seq} after parent ${c.id} started`).toBeLessThan(
          first,
        );
      }
    }
  }
}

describe('core model (property-based)', () => {
  it('agrees with the model over random operation sequences', async () => {
    await fc.assert(
      fc.asyncProperty(scenarioArb, ({ globalEvictLimit, ops }) => runScenario(globalEvictLimit, ops)),
      { numRuns: 200 },
    );
  });
});
