/**
 * The plugin dependency graph: activation order, exclusions with reasons, and teardown planning.
 *
 * Everything here is linear in plugins + dependency edges (up to the sorting needed for deterministic
 * output): the edges are checked (graph-edges.ts), Tarjan's algorithm (iterative, so deep chains cannot
 * overflow the stack) finds cycles, a breadth-first search propagates exclusions, and Kahn's algorithm
 * with a min-heap orders the rest (graph-algorithms.ts).
 */

import { StewardRangeError, StewardTypeError } from '../core/errors.js';
import { cycleThrough, MinHeap, stronglyConnected } from './graph-algorithms.js';
import { byId, checkEdges } from './graph-edges.js';
import { GraphError } from './graph-error.js';
import type { PluginManifest } from './manifest.js';
import { validVersion } from './versions.js';

export { withServiceEdges } from './graph-edges.js';
export { GraphError, type GraphErrorKind } from './graph-error.js';

/** The fields of a manifest the graph needs; a full {@link PluginManifest} fits. */
export type PluginGraphNode = Pick<
  PluginManifest,
  'id' | 'version' | 'dependencies' | 'optionalDependencies'
> & {
  readonly hostRange?: string | undefined;
};

/** Options for {@link resolvePluginGraph}. */
export interface PluginGraphOptions {
  /** The host's version; plugins whose `hostRange` excludes it get a `host-mismatch` error. */
  readonly hostVersion?: string;
}

/** The resolved graph. Immutable; all lists are fresh arrays the caller may keep. */
export interface PluginGraph<M extends PluginGraphNode = PluginManifest> {
  /** Activatable plugin ids, dependencies before dependents; ties broken by id (deterministic). */
  readonly order: readonly string[];
  /** Every problem, in a deterministic order: per-plugin errors by id, then cycles, then `blocked`. */
  readonly errors: readonly GraphError[];
  /** Ids that cannot be activated (each has at least one entry in `errors`), sorted. */
  readonly excluded: readonly string[];
  /** All input manifests by id, including excluded ones. */
  readonly manifests: ReadonlyMap<string, M>;
  /**
   * Activatable plugins that depend on `id` directly or transitively (through required or present optional
   * dependencies), in teardown order: every plugin comes before the plugins it depends on. Excludes `id`;
   * empty for an excluded id. Throws a RangeError for an unknown id.
   */
  dependents(id: string): string[];
  /** Transitive dependencies of `id` that are activatable, in activation order; excludes `id`. */
  dependencies(id: string): string[];
}

/** What to stop, and in what order to bring it back. */
export interface TeardownPlan {
  /** The requested plugins plus all their transitive dependents; dependents before their dependencies. */
  readonly teardown: string[];
  /** The same plugins in activation order (reverse of `teardown`), for a reload. */
  readonly restore: string[];
}

interface Internals {
  readonly index: ReadonlyMap<string, number>; // position in `order`
  readonly forward: readonly (readonly number[])[]; // order-position -> positions of its dependencies
  readonly reverse: readonly (readonly number[])[]; // order-position -> positions of its dependents
  readonly order: readonly string[];
  readonly manifests: ReadonlyMap<string, unknown>;
}

const internals = new WeakMap<object, Internals>();

/**
 * Resolves the dependency graph of `manifests`.
 *
 * - A required dependency must be present and its version must satisfy the range (prereleases count:
 *   `2.0.0-beta.1` satisfies `>=1`), else `missing-dependency` / `incompatible-version`.
 * - An optional dependency is ignored when absent or excluded; when present its version must satisfy the
 *   range (else `incompatible-version`); when present it orders activation like a required one.
 * - With `hostVersion`, a plugin whose `hostRange` excludes it gets `host-mismatch`.
 * - Every cycle (through required or optional dependencies) is reported once with its path; all members
 *   of the strongly connected component are excluded.
 * - A plugin with an excluded required dependency is excluded too, transitively, as `blocked`, naming the
 *   dependency and the root cause.
 *
 * `order` contains every other plugin, dependencies first, ties broken by id. Throws a TypeError on
 * duplicate ids (use `discoverPlugins`, which rejects them) or an invalid `hostVersion`.
 */
export function resolvePluginGraph<M extends PluginGraphNode>(
  manifests: readonly M[],
  options: PluginGraphOptions = {},
): PluginGraph<M> {
  const { hostVersion } = options;
  if (hostVersion !== undefined && validVersion(hostVersion) === undefined) {
    throw new StewardTypeError(
      `resolvePluginGraph: hostVersion ${JSON.stringify(hostVersion)} is not a valid semver version`,
    );
  }
  // Nodes are numbered in id order so every traversal below is deterministic.
  const nodes = [...manifests].sort((a, b) => byId(a.id, b.id));
  const n = nodes.length;
  const position = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const id = nodes[i]!.id;
    if (position.has(id)) {
      throw new StewardTypeError(
        `resolvePluginGraph: duplicate plugin id "${id}"; each plugin id must be unique`,
      );
    }
    position.set(id, i);
  }

  const { directErrors, edges, required } = checkEdges(nodes, position, hostVersion);

  // Cycles: every strongly connected component with more than one node, or a self-loop.
  const { comp, comps } = stronglyConnected(edges);
  const inCycle = new Uint8Array(n);
  const cycleErrors: GraphError[] = [];
  for (const members of comps) {
    const only = members[0]!;
    if (members.length === 1 && !edges[only]!.includes(only)) continue;
    members.sort((a, b) => a - b);
    for (const m of members) inCycle[m] = 1;
    const path = cycleThrough(members[0]!, edges, comp).map((k) => nodes[k]!.id);
    const ids = members.map((k) => nodes[k]!.id);
    cycleErrors.push(
      new GraphError(
        'cycle',
        ids,
        `dependency cycle ${path.join(' -> ')}${ids.length > path.length - 1 ? ` (component: ${ids.join(', ')})` : ''}; ` +
          'none of these plugins can be activated until one of them drops a dependency in the cycle',
        { cycle: path },
      ),
    );
  }

  // Exclusion: roots (own errors, cycles), then everything that requires an excluded plugin.
  const rootOf = new Int32Array(n).fill(-1);
  const dependentsRequired: number[][] = Array.from({ length: n }, () => []);
  for (let i = 0; i < n; i++) for (const j of required[i]!) dependentsRequired[j]!.push(i);
  const queue: number[] = [];
  for (let i = 0; i < n; i++) {
    if (directErrors[i]!.length > 0 || inCycle[i]) {
      rootOf[i] = i;
      queue.push(i);
    }
  }
  for (let head = 0; head < queue.length; head++) {
    const v = queue[head]!;
    for (const w of dependentsRequired[v]!) {
      if (rootOf[w] === -1) {
        rootOf[w] = rootOf[v]!;
        queue.push(w);
      }
    }
  }
  const blockedErrors: GraphError[] = [];
  for (let i = 0; i < n; i++) {
    if (rootOf[i] === -1) continue;
    const blocker = required[i]!.find((j) => rootOf[j] !== -1 && !(inCycle[i] && comp[i] === comp[j]));
    if (blocker === undefined) continue;
    const id = nodes[i]!.id;
    const dep = nodes[blocker]!.id;
    const root = rootOf[blocker]!;
    const rootId = nodes[root]!.id;
    const rootKind = directErrors[root]![0]?.kind ?? 'cycle';
    blockedErrors.push(
      new GraphError(
        'blocked',
        [id],
        `plugin "${id}" is blocked: its dependency "${dep}" cannot be activated` +
          (rootId === dep ? ` (${rootKind})` : ` because of "${rootId}" (${rootKind})`) +
          `; fix "${rootId}" first`,
        { dependency: dep, rootCause: rootId },
      ),
    );
  }

  // Kahn's algorithm over the remaining plugins (ignoring edges to excluded optional dependencies).
  const pending = new Int32Array(n);
  const dependentsAll: number[][] = Array.from({ length: n }, () => []);
  for (let i = 0; i < n; i++) {
    if (rootOf[i] !== -1) continue;
    for (const j of edges[i]!) {
      if (rootOf[j] !== -1) continue;
      pending[i]!++;
      dependentsAll[j]!.push(i);
    }
  }
  const ready = new MinHeap();
  for (let i = 0; i < n; i++) if (rootOf[i] === -1 && pending[i] === 0) ready.push(nodes[i]!.id);
  const order: string[] = [];
  while (ready.size > 0) {
    const id = ready.pop()!;
    order.push(id);
    for (const w of dependentsAll[position.get(id)!]!) if (--pending[w]! === 0) ready.push(nodes[w]!.id);
  }

  const index = new Map<string, number>(order.map((id, k) => [id, k]));
  const forward: number[][] = order.map((id) => {
    const i = position.get(id)!;
    return edges[i]!.filter((j) => rootOf[j] === -1).map((j) => index.get(nodes[j]!.id)!);
  });
  const reverse: number[][] = order.map(() => []);
  forward.forEach((deps, k) => {
    for (const d of deps) reverse[d]!.push(k);
  });

  const errors = [...directErrors.flat(), ...cycleErrors, ...blockedErrors];
  const excluded: string[] = [];
  for (let i = 0; i < n; i++) if (rootOf[i] !== -1) excluded.push(nodes[i]!.id);
  const manifestMap = new Map<string, M>(nodes.map((m) => [m.id, m]));
  const frozenOrder = Object.freeze([...order]);
  const data: Internals = { index, forward, reverse, order: frozenOrder, manifests: manifestMap };

  const graph: PluginGraph<M> = Object.freeze({
    order: frozenOrder,
    errors: Object.freeze(errors),
    excluded: Object.freeze(excluded),
    manifests: manifestMap,
    dependents: (id: string) => closure(data, [id], 'dependents', false),
    dependencies: (id: string) => closure(data, [id], 'dependencies', false),
  });
  internals.set(graph, data);
  return graph;
}

/**
 * Transitive closure from `ids` over dependents (result in teardown order) or dependencies (activation
 * order). O(k log k + edges visited) for a closure of size k.
 */
function closure(
  data: Internals,
  ids: Iterable<string>,
  direction: 'dependents' | 'dependencies',
  includeSelf: boolean,
): string[] {
  const adjacency = direction === 'dependents' ? data.reverse : data.forward;
  const seen = new Set<number>();
  const queue: number[] = [];
  for (const id of ids) {
    if (!data.manifests.has(id)) {
      throw new StewardRangeError(
        `unknown plugin "${id}"; it was not among the manifests given to resolvePluginGraph`,
      );
    }
    const k = data.index.get(id);
    if (k === undefined || seen.has(k)) continue; // excluded plugins are never active: nothing to do
    seen.add(k);
    queue.push(k);
  }
  const starts = new Set(queue);
  for (let head = 0; head < queue.length; head++) {
    for (const w of adjacency[queue[head]!]!) {
      if (!seen.has(w)) {
        seen.add(w);
        queue.push(w);
      }
    }
  }
  const result = [...seen].filter((k) => includeSelf || !starts.has(k));
  result.sort(direction === 'dependents' ? (a, b) => b - a : (a, b) => a - b);
  return result.map((k) => data.order[k]!);
}

/**
 * For a set of plugins to stop (unload or reload), returns the full set including every transitive
 * dependent, in safe teardown order (dependents before their dependencies), and the order to bring them
 * back (activation order). Excluded plugins are ignored (they are never active); an unknown id throws a
 * RangeError. `graph` must come from {@link resolvePluginGraph}.
 */
export function planTeardown<M extends PluginGraphNode>(
  graph: PluginGraph<M>,
  ids: Iterable<string>,
): TeardownPlan {
  const data = internals.get(graph);
  if (!data) throw new StewardTypeError('planTeardown: graph must be the result of resolvePluginGraph');
  const teardown = closure(data, ids, 'dependents', true);
  return { teardown, restore: [...teardown].reverse() };
}
