/**
 * The bisect search (src/plugins/bisect.ts) against random plugin sets, dependency graphs,
 * always-on lists and culprits: it finds exactly the culprits it can tell apart, every trial is a
 * valid set (closed under dependencies, the always-on ones in), within the stated number of runs.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type BisectPlugin, bisectPlugins, bisectRunBound } from '../../src/plugins/bisect.js';

interface Case {
  plugins: BisectPlugin[];
  alwaysOn: string[];
  culprits: Set<string>;
}

/** Plugins p0…pn-1, each depending on a few earlier ones, listed in a shuffled order. */
const aCase = fc
  .integer({ min: 1, max: 14 })
  .chain((n) =>
    fc.record({
      deps: fc.tuple(
        ...Array.from({ length: n }, (_, i) =>
          fc.uniqueArray(fc.integer({ min: 0, max: Math.max(0, i - 1) }), { maxLength: i === 0 ? 0 : 2 }),
        ),
      ),
      alwaysOn: fc.uniqueArray(fc.integer({ min: 0, max: n - 1 }), { maxLength: 2 }),
      culprits: fc.uniqueArray(fc.integer({ min: 0, max: n - 1 }), { minLength: 1, maxLength: 4 }),
      order: fc.shuffledSubarray(
        Array.from({ length: n }, (_, i) => i),
        { minLength: n, maxLength: n },
      ),
    }),
  )
  .map(
    ({ deps, alwaysOn, culprits, order }): Case => ({
      plugins: order.map((i) => ({ id: `p${i}`, dependencies: deps[i]!.map((d) => `p${d}`) })),
      alwaysOn: alwaysOn.map((i) => `p${i}`),
      culprits: new Set(culprits.map((i) => `p${i}`)),
    }),
  );

function ancestors(plugins: readonly BisectPlugin[], id: string): Set<string> {
  const deps = new Map(plugins.map((p) => [p.id, p.dependencies]));
  const out = new Set<string>();
  const stack = [...(deps.get(id) ?? [])];
  while (stack.length > 0) {
    const x = stack.pop()!;
    if (out.has(x)) continue;
    out.add(x);
    stack.push(...(deps.get(x) ?? []));
  }
  return out;
}

function checkTrial(c: Case, alwaysOn: Set<string>, enabled: readonly string[]): void {
  const set = new Set(enabled);
  for (const id of alwaysOn) expect(set.has(id)).toBe(true);
  for (const id of enabled) for (const dep of ancestors(c.plugins, id)) expect(set.has(dep)).toBe(true);
}

describe('bisectPlugins', () => {
  it('finds exactly the culprits that can be told apart, within bisectRunBound runs', async () => {
    await fc.assert(
      fc.asyncProperty(aCase, async (c) => {
        const alwaysOn = new Set(c.alwaysOn.flatMap((id) => [id, ...ancestors(c.plugins, id)]));
        const result = await bisectPlugins({
          plugins: c.plugins,
          alwaysOn: c.alwaysOn,
          test: async (enabled) => {
            checkTrial(c, alwaysOn, enabled);
            return { failed: enabled.some((id) => c.culprits.has(id)), evidence: enabled.length };
          },
        });
        expect(new Set(result.alwaysOn)).toEqual(alwaysOn);
        if ([...c.culprits].some((id) => alwaysOn.has(id))) {
          expect(result.verdict).toBe('fails-without-plugins');
          expect(result.trials.length).toBeLessThanOrEqual(2);
          return;
        }
        // A culprit that depends on another culprit is never tried without it: masked, not found.
        const findable = [...c.culprits].filter(
          (id) => ![...ancestors(c.plugins, id)].some((a) => c.culprits.has(a)),
        );
        expect(result.verdict).toBe('found');
        expect(result.culprits.map((x) => x.id).sort()).toEqual(findable.sort());
        for (const id of c.culprits) {
          if (!findable.includes(id)) expect(c.culprits.has(result.masked.get(id)!)).toBe(true);
        }
        for (const culprit of result.culprits) {
          expect(culprit.companions).toEqual([]);
          expect(culprit.failing.failed).toBe(true);
          expect(culprit.passing.failed).toBe(false);
          expect(culprit.failing.enabled).toContain(culprit.id);
          expect(culprit.passing.enabled).not.toContain(culprit.id);
          expect(new Set(culprit.dependencies)).toEqual(
            new Set([...ancestors(c.plugins, culprit.id)].filter((d) => !alwaysOn.has(d))),
          );
        }
        const candidates = c.plugins.length - alwaysOn.size;
        expect(result.trials.length).toBeLessThanOrEqual(bisectRunBound(candidates, findable.length));
        // Memoized: no set is run twice but each culprit's failing set, run again to confirm it.
        expect(new Set(result.trials.map((t) => t.enabled.join(','))).size).toBe(
          result.trials.length - result.culprits.length,
        );
        expect(result.unconfirmed).toEqual([]);
      }),
      { numRuns: 400 },
    );
  });

  it('finds a culprit that fails only together with an unrelated plugin, naming the companion', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc
          .integer({ min: 2, max: 16 })
          .chain((n) =>
            fc.tuple(
              fc.constant(n),
              fc.uniqueArray(fc.integer({ min: 0, max: n - 1 }), { minLength: 2, maxLength: 2 }),
            ),
          ),
        async ([n, [a, b]]) => {
          const plugins = Array.from({ length: n }, (_, i) => ({ id: `p${i}`, dependencies: [] }));
          const pair = [`p${a}`, `p${b}`];
          const result = await bisectPlugins({
            plugins,
            test: async (enabled) => ({ failed: pair.every((id) => enabled.includes(id)), evidence: null }),
          });
          expect(result.verdict).toBe('found');
          expect(result.culprits).toHaveLength(1);
          const [culprit] = result.culprits;
          expect([culprit!.id, ...culprit!.companions].sort()).toEqual(pair.sort());
          expect(culprit!.failing.enabled.slice().sort()).toEqual(pair.sort());
        },
      ),
      { numRuns: 200 },
    );
  });

  it('with any monotone predicate (interactions across a dependency graph): every culprit is shown by its runs, and what is left passes', async () => {
    await fc.assert(
      fc.asyncProperty(
        aCase.chain((c) =>
          fc.tuple(
            fc.constant(c),
            // Failing combinations: each a set of one to three plugins that fails only together.
            fc.array(
              fc.uniqueArray(fc.constantFrom(...c.plugins.map((p) => p.id)), { minLength: 1, maxLength: 3 }),
              {
                minLength: 1,
                maxLength: 3,
              },
            ),
          ),
        ),
        async ([c, terms]) => {
          const fails = (enabled: readonly string[]): boolean =>
            terms.some((term) => term.every((id) => enabled.includes(id)));
          const result = await bisectPlugins({
            plugins: c.plugins,
            alwaysOn: c.alwaysOn,
            test: async (enabled) => ({ failed: fails(enabled), evidence: null }),
          });
          const all = c.plugins.map((p) => p.id);
          if (!fails(all)) {
            expect(result.verdict).toBe('passes-with-all');
            return;
          }
          if (fails(result.alwaysOn)) {
            expect(result.verdict).toBe('fails-without-plugins');
            return;
          }
          expect(result.verdict).toBe('found');
          expect(result.unconfirmed).toEqual([]);
          for (const culprit of result.culprits) {
            expect(fails(culprit.failing.enabled)).toBe(true);
            expect(fails(culprit.passing.enabled)).toBe(false);
            // The failing run is the culprit with its dependencies and companions (and theirs).
            const needed = new Set([culprit.id, ...culprit.companions, ...result.alwaysOn]);
            for (const id of [...needed]) for (const d of ancestors(c.plugins, id)) needed.add(d);
            expect(new Set(culprit.failing.enabled)).toEqual(needed);
          }
          // Without the culprits and what depends on them, the rest passes.
          const gone = new Set([...result.culprits.map((x) => x.id), ...result.masked.keys()]);
          expect(fails(all.filter((id) => !gone.has(id)))).toBe(false);
        },
      ),
      { numRuns: 400 },
    );
  });

  it('says when the predicate passes with every plugin, or fails with none', async () => {
    const plugins = [
      { id: 'a', dependencies: [] },
      { id: 'b', dependencies: ['a'] },
    ];
    const passes = await bisectPlugins({ plugins, test: async () => ({ failed: false, evidence: 0 }) });
    expect(passes.verdict).toBe('passes-with-all');
    expect(passes.trials).toHaveLength(1);
    const fails = await bisectPlugins({ plugins, test: async () => ({ failed: true, evidence: 0 }) });
    expect(fails.verdict).toBe('fails-without-plugins');
    expect(fails.trials.map((t) => t.enabled)).toEqual([['a', 'b'], []]);
  });

  it('calls a predicate that does not reproduce "none", not a culprit', async () => {
    let calls = 0;
    const result = await bisectPlugins({
      plugins: [
        { id: 'a', dependencies: [] },
        { id: 'b', dependencies: [] },
      ],
      // Fails the first time only: every plugin enabled, then never again.
      test: async () => ({ failed: calls++ === 0, evidence: 0 }),
    });
    expect(result.verdict).toBe('none');
    expect(result.culprits).toEqual([]);
    expect(result.unconfirmed.map((c) => c.id)).toEqual(['b']);
  });

  it('refuses an unknown always-on id, an unknown dependency and a cycle, naming them', async () => {
    const test = async () => ({ failed: true, evidence: 0 });
    await expect(
      bisectPlugins({ plugins: [{ id: 'a', dependencies: [] }], alwaysOn: ['x'], test }),
    ).rejects.toThrow(/always-on plugin "x"/);
    await expect(bisectPlugins({ plugins: [{ id: 'a', dependencies: ['z'] }], test })).rejects.toThrow(
      /"a" depends on "z"/,
    );
    await expect(
      bisectPlugins({
        plugins: [
          { id: 'a', dependencies: ['b'] },
          { id: 'b', dependencies: ['a'] },
        ],
        test,
      }),
    ).rejects.toThrow(/cycle/);
  });
});
