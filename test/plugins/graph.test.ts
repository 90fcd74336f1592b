import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { discoverPlugins } from '../../src/plugins/discovery.js';
import {
  GraphError,
  type PluginGraph,
  type PluginGraphNode,
  planTeardown,
  resolvePluginGraph,
} from '../../src/plugins/graph.js';
import { makeTempDir, packagePlugin, type TempDir } from './fixtures.js';

/** A graph node: `deps`/`optional` map id -> range (default "*"), or a list of ids. */
function node(
  id: string,
  deps: Record<string, string> | string[] = {},
  extra: { version?: string; optional?: Record<string, string> | string[]; hostRange?: string } = {},
): PluginGraphNode {
  const toMap = (d: Record<string, string> | string[]) =>
    Array.isArray(d) ? Object.fromEntries(d.map((x) => [x, '*'])) : d;
  return {
    id,
    version: extra.version ?? '1.0.0',
    dependencies: toMap(deps),
    optionalDependencies: toMap(extra.optional ?? {}),
    ...(extra.hostRange !== undefined && { hostRange: extra.hostRange }),
  };
}

function errorsOf(graph: PluginGraph<PluginGraphNode>) {
  return graph.errors.map((e) => ({ kind: e.kind, plugins: e.plugins }));
}

/** Every activatable plugin comes after all its activatable dependencies. */
function expectValidOrder(graph: PluginGraph<PluginGraphNode>): void {
  const position = new Map(graph.order.map((id, i) => [id, i]));
  for (const id of graph.order) {
    const m = graph.manifests.get(id)!;
    for (const dep of [...Object.keys(m.dependencies), ...Object.keys(m.optionalDependencies)]) {
      if (position.has(dep)) expect(position.get(dep)!).toBeLessThan(position.get(id)!);
    }
  }
}

describe('resolvePluginGraph: order', () => {
  it('orders dependencies first with ties broken by id', () => {
    const graph = resolvePluginGraph([node('c'), node('a', ['z']), node('b'), node('z')]);
    expect(graph.order).toEqual(['b', 'c', 'z', 'a']);
    expect(graph.errors).toEqual([]);
    expect(graph.excluded).toEqual([]);
  });

  it('is independent of input order', () => {
    const nodes = [node('d', ['b', 'c']), node('b', ['a']), node('c', ['a']), node('a'), node('e')];
    const expected = resolvePluginGraph(nodes).order;
    expect(resolvePluginGraph([...nodes].reverse()).order).toEqual(expected);
  });

  it('orders a diamond validly', () => {
    const graph = resolvePluginGraph([
      node('top', ['left', 'right']),
      node('left', ['base']),
      node('right', ['base']),
      node('base'),
    ]);
    expect(graph.order).toEqual(['base', 'left', 'right', 'top']);
    expectValidOrder(graph);
    expect(graph.dependents('base')).toEqual(['top', 'right', 'left']);
    expect(graph.dependencies('top')).toEqual(['base', 'left', 'right']);
  });

  it('produces a valid topological order for random DAGs', () => {
    fc.assert(
      fc.property(
        fc
          .integer({ min: 1, max: 40 })
          .chain((n) =>
            fc.tuple(fc.constant(n), fc.array(fc.tuple(fc.nat(n - 1), fc.nat(n - 1)), { maxLength: 120 })),
          ),
        ([n, pairs]) => {
          const deps: string[][] = Array.from({ length: n }, () => []);
          for (const [a, b] of pairs) if (a > b) deps[a]!.push(`n${b}`); // edges only to lower numbers: acyclic
          const graph = resolvePluginGraph(deps.map((d, i) => node(`n${i}`, d)));
          expect(graph.errors).toEqual([]);
          expect(graph.order).toHaveLength(n);
          expectValidOrder(graph);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('accepts manifests from discovery', async () => {
    const tmp: TempDir = await makeTempDir();
    try {
      await tmp.write({
        ...packagePlugin('plugins/ui', 'ui', { dependencies: { core: '^1.0.0' } }),
        ...packagePlugin('plugins/core', 'core'),
        'plugins/stats.js': `export const metadata = { version: '1.0.0', optionalDependencies: { ui: '^1' } };\n`,
      });
      const { plugins } = await discoverPlugins([tmp.path('plugins')]);
      const graph = resolvePluginGraph(plugins, { hostVersion: '1.0.0' });
      expect(graph.order).toEqual(['core', 'ui', 'stats']);
      expect(graph.manifests.get('ui')?.entry).toBe(tmp.path('plugins', 'ui', 'index.js'));
    } finally {
      await tmp.remove();
    }
  });
});

describe('resolvePluginGraph: errors', () => {
  it('reports a missing dependency', () => {
    const graph = resolvePluginGraph([node('a', { ghost: '^2.0.0' }), node('b')]);
    expect(graph.order).toEqual(['b']);
    expect(graph.excluded).toEqual(['a']);
    const [error] = graph.errors;
    expect(error).toBeInstanceOf(GraphError);
    expect(error).toMatchObject({
      kind: 'missing-dependency',
      plugins: ['a'],
      dependency: 'ghost',
      range: '^2.0.0',
    });
    expect(error!.message).toMatch(
      /"a" depends on "ghost" \(\^2\.0\.0\), which is not installed; install "ghost"/,
    );
  });

  it('reports an incompatible version', () => {
    const graph = resolvePluginGraph([node('a', { lib: '^2.0.0' }), node('lib', [], { version: '1.4.0' })]);
    expect(graph.order).toEqual(['lib']);
    expect(graph.errors[0]).toMatchObject({
      kind: 'incompatible-version',
      plugins: ['a'],
      dependency: 'lib',
      range: '^2.0.0',
      found: '1.4.0',
      optional: false,
    });
    expect(graph.errors[0]!.message).toMatch(
      /needs dependency "lib" \^2\.0\.0, but version 1\.4\.0 is installed/,
    );
  });

  it('counts prereleases as satisfying ranges', () => {
    const graph = resolvePluginGraph(
      [node('a', { lib: '>=1.0.0' }), node('lib', [], { version: '2.0.0-beta.1' })],
      {
        hostVersion: '3.0.0-rc.1',
      },
    );
    expect(graph.order).toEqual(['lib', 'a']);
  });

  it('reports a host mismatch only when hostVersion is given', () => {
    const nodes = [node('old', [], { hostRange: '^1.0.0' }), node('fine', [], { hostRange: '>=1' })];
    expect(resolvePluginGraph(nodes).order).toEqual(['fine', 'old']);
    const graph = resolvePluginGraph(nodes, { hostVersion: '2.0.0' });
    expect(graph.order).toEqual(['fine']);
    expect(graph.errors[0]).toMatchObject({
      kind: 'host-mismatch',
      plugins: ['old'],
      range: '^1.0.0',
      found: '2.0.0',
    });
    expect(() => resolvePluginGraph(nodes, { hostVersion: 'latest' })).toThrow(TypeError);
  });

  it('handles optional dependencies: absent ignored, present ordered, incompatible reported', () => {
    const graph = resolvePluginGraph([
      node('a', [], { optional: { zz: '^1.0.0', ghost: '^1.0.0' } }),
      node('zz'),
      node('b', [], { optional: { zz: '^9.0.0' } }),
    ]);
    expect(graph.order).toEqual(['zz', 'a']);
    expect(errorsOf(graph)).toEqual([{ kind: 'incompatible-version', plugins: ['b'] }]);
    expect(graph.errors[0]!.optional).toBe(true);
    expect(graph.errors[0]!.message).toMatch(/needs optional dependency "zz"/);
  });

  it('ignores an optional dependency that is itself excluded', () => {
    const graph = resolvePluginGraph([node('a', [], { optional: ['broken'] }), node('broken', ['ghost'])]);
    expect(graph.order).toEqual(['a']);
    expect(errorsOf(graph)).toEqual([{ kind: 'missing-dependency', plugins: ['broken'] }]);
  });

  it('reports a cycle with its path and blocks its dependents', () => {
    const graph = resolvePluginGraph([
      node('a', ['b']),
      node('b', ['c']),
      node('c', ['a']),
      node('user', ['b']),
      node('free'),
    ]);
    expect(graph.order).toEqual(['free']);
    expect(graph.excluded).toEqual(['a', 'b', 'c', 'user']);
    const cycle = graph.errors.find((e) => e.kind === 'cycle')!;
    expect(cycle.plugins).toEqual(['a', 'b', 'c']);
    expect(cycle.cycle).toEqual(['a', 'b', 'c', 'a']);
    expect(cycle.message).toMatch(/^dependency cycle a -> b -> c -> a; .*drops a dependency/);
    expect(graph.errors.find((e) => e.kind === 'blocked')).toMatchObject({
      plugins: ['user'],
      dependency: 'b',
      rootCause: 'b',
    });
  });

  it('reports self-dependencies, cycles through optional dependencies, and separate cycles separately', () => {
    const graph = resolvePluginGraph([
      node('self', ['self']),
      node('x', [], { optional: ['y'] }),
      node('y', ['x']),
      node('p', ['q']),
      node('q', ['r', 'p']),
      node('r', ['q']),
    ]);
    expect(graph.order).toEqual([]);
    const cycles = graph.errors.filter((e) => e.kind === 'cycle').map((e) => e.cycle!.join(' -> '));
    expect(cycles.sort()).toEqual(['p -> q -> p', 'self -> self', 'x -> y -> x']);
    const pqr = graph.errors.find((e) => e.cycle?.[0] === 'p')!;
    expect(pqr.plugins).toEqual(['p', 'q', 'r']);
    expect(pqr.message).toMatch(/\(component: p, q, r\)/);
    expect(graph.errors.some((e) => e.kind === 'blocked')).toBe(false);
  });

  it('propagates blocked transitively, naming the root cause', () => {
    const graph = resolvePluginGraph([
      node('root', ['ghost']),
      node('mid', ['root']),
      node('leaf', ['mid']),
      node('side', [], { optional: ['mid'] }),
      node('ok'),
    ]);
    expect(graph.order).toEqual(['ok', 'side']);
    expect(errorsOf(graph)).toEqual([
      { kind: 'missing-dependency', plugins: ['root'] },
      { kind: 'blocked', plugins: ['leaf'] },
      { kind: 'blocked', plugins: ['mid'] },
    ]);
    const leaf = graph.errors.find((e) => e.plugins[0] === 'leaf')!;
    expect(leaf).toMatchObject({ dependency: 'mid', rootCause: 'root' });
    expect(leaf.message).toBe(
      'plugin "leaf" is blocked: its dependency "mid" cannot be activated because of "root" (missing-dependency); fix "root" first',
    );
  });

  it('reports every own problem of a plugin, and blocked on top of them', () => {
    const graph = resolvePluginGraph(
      [node('a', { ghost: '*', lib: '^2' }, { hostRange: '^9' }), node('lib', ['ghost2']), node('z')],
      { hostVersion: '1.0.0' },
    );
    expect(errorsOf(graph)).toEqual([
      { kind: 'host-mismatch', plugins: ['a'] },
      { kind: 'missing-dependency', plugins: ['a'] },
      { kind: 'incompatible-version', plugins: ['a'] },
      { kind: 'missing-dependency', plugins: ['lib'] },
    ]);
    expect(graph.order).toEqual(['z']);
  });

  it('rejects duplicate ids', () => {
    expect(() => resolvePluginGraph([node('a'), node('a')])).toThrow(/duplicate plugin id "a"/);
  });
});

describe('teardown planning', () => {
  const graph = resolvePluginGraph([
    node('base'),
    node('ui', ['base']),
    node('editor', ['ui']),
    node('stats', [], { optional: ['ui'] }),
    node('net', ['base']),
    node('alone'),
    node('broken', ['ghost']),
  ]);

  it('lists transitive dependents in teardown order', () => {
    expect(graph.order).toEqual(['alone', 'base', 'net', 'ui', 'editor', 'stats']);
    expect(graph.dependents('ui')).toEqual(['stats', 'editor']);
    expect(graph.dependents('base')).toEqual(['stats', 'editor', 'ui', 'net']);
    expect(graph.dependents('alone')).toEqual([]);
    expect(graph.dependents('broken')).toEqual([]);
    expect(() => graph.dependents('nope')).toThrow(RangeError);
  });

  it('plans a teardown of several plugins and the order to restore them', () => {
    const plan = planTeardown(graph, ['net', 'ui', 'broken']);
    expect(plan.teardown).toEqual(['stats', 'editor', 'ui', 'net']);
    expect(plan.restore).toEqual(['net', 'ui', 'editor', 'stats']);
    expect(planTeardown(graph, ['alone'])).toEqual({ teardown: ['alone'], restore: ['alone'] });
    expect(() => planTeardown(graph, ['nope'])).toThrow(/unknown plugin "nope"/);
    expect(() => planTeardown({ ...graph }, ['ui'])).toThrow(TypeError);
  });
});

describe('large graphs', () => {
  const N = 1000;
  const id = (i: number) => `p${String(i).padStart(4, '0')}`;

  it('resolves a 1,000-plugin chain', () => {
    const chain = Array.from({ length: N }, (_, i) => node(id(i), i === 0 ? [] : [id(i - 1)]));
    const graph = resolvePluginGraph(chain.reverse());
    expect(graph.errors).toEqual([]);
    expect(graph.order).toEqual(Array.from({ length: N }, (_, i) => id(i)));
    const dependents = graph.dependents(id(0));
    expect(dependents).toHaveLength(N - 1);
    expect(dependents[0]).toBe(id(N - 1));
    expect(dependents[N - 2]).toBe(id(1));
    expect(planTeardown(graph, [id(500)]).restore).toEqual(
      Array.from({ length: 500 }, (_, i) => id(500 + i)),
    );
  });

  it('reports a 1,000-plugin cycle with its full path and blocks a missing root transitively', () => {
    const ring = Array.from({ length: N }, (_, i) => node(id(i), [id((i + 1) % N)]));
    const graph = resolvePluginGraph(ring);
    expect(graph.errors).toHaveLength(1);
    expect(graph.errors[0]!.cycle).toEqual([...Array.from({ length: N }, (_, i) => id(i)), id(0)]);

    const broken = Array.from({ length: N }, (_, i) => node(id(i), [i === 0 ? 'ghost' : id(i - 1)]));
    const blocked = resolvePluginGraph(broken);
    expect(blocked.order).toEqual([]);
    expect(blocked.errors.filter((e) => e.kind === 'blocked')).toHaveLength(N - 1);
    expect(blocked.errors.every((e) => e.kind !== 'blocked' || e.rootCause === id(0))).toBe(true);
  });

  it('handles a deep chain without recursion limits', () => {
    const deep = 50_000;
    const chain = Array.from({ length: deep }, (_, i) => node(`n${i}`, i === 0 ? [] : [`n${i - 1}`]));
    const graph = resolvePluginGraph(chain);
    expect(graph.order).toHaveLength(deep);
    expect(graph.order[deep - 1]).toBe(`n${deep - 1}`);
  });
});
