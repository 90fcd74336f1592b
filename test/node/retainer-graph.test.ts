/**
 * The retainer walk's two path preferences, on small hand-built snapshots: extra roots (the live
 * modules) are walked as node 0's children, and an ambient holder (`AsyncContextFrame`) is entered
 * only when nothing else reaches an object. Reachability (and so retained bytes) never changes.
 */
import { describe, expect, it } from 'vitest';
import { HeapSnapshot } from '../../src/node/heap-snapshot.js';
import { pathTo, retainedBytes, retainerIndex } from '../../src/node/retainer-graph.js';

/** A snapshot of `names` (node i named names[i], self size 10) and `edges` [from, to] (properties). */
function graph(names: string[], links: Array<[number, number]>): HeapSnapshot {
  const strings = [...new Set(['p', ...names])];
  const nodes: number[] = [];
  const edges: number[] = [];
  names.forEach((name, i) => {
    const out = links.filter(([from]) => from === i);
    nodes.push(0, strings.indexOf(name), i + 1, 10, out.length);
    for (const [, to] of out) edges.push(0, strings.indexOf('p'), to * 5);
  });
  return new HeapSnapshot({
    snapshot: {
      meta: {
        node_fields: ['type', 'name', 'id', 'self_size', 'edge_count'],
        node_types: [['object']],
        edge_fields: ['type', 'name_or_index', 'to_node'],
        edge_types: [['property', 'weak']],
      },
    },
    nodes,
    edges,
    strings,
  });
}

const names = (s: HeapSnapshot, path: number[] | undefined) => (path ?? []).map((n) => s.nodeName(n));

describe('retainer paths', () => {
  it('go around an AsyncContextFrame when another path exists, even a longer one', () => {
    // root → frame → target (2 hops); root → a → b → target (3 hops).
    const s = graph(
      ['root', 'AsyncContextFrame', 'a', 'b', 'target'],
      [
        [0, 1],
        [0, 2],
        [1, 4],
        [2, 3],
        [3, 4],
      ],
    );
    expect(names(s, pathTo(retainerIndex(s), 4))).toEqual(['a', 'b', 'target']);
  });

  it('go through an AsyncContextFrame when it is the only holder', () => {
    const s = graph(
      ['root', 'AsyncContextFrame', 'target'],
      [
        [0, 1],
        [1, 2],
      ],
    );
    expect(names(s, pathTo(retainerIndex(s), 2))).toEqual(['AsyncContextFrame', 'target']);
  });

  it('start at an extra root (a live module) before the way the runtime reaches it', () => {
    // root → loader → cache → job → module → registry → target, and root → service → target.
    const s = graph(
      ['root', 'loader', 'cache', 'job', 'module', 'registry', 'service', 'target'],
      [
        [0, 1],
        [1, 2],
        [2, 3],
        [3, 4],
        [4, 5],
        [5, 7],
        [0, 6],
        [6, 7],
      ],
    );
    expect(names(s, pathTo(retainerIndex(s), 7))).toEqual(['service', 'target']);
    const index = retainerIndex(s, undefined, [4]);
    expect(names(s, pathTo(index, 5))).toEqual(['module', 'registry']);
    expect(index.parentEdge[4]).toBe(-1);
    // The same nodes are reachable either way: bytes do not depend on the path taken.
    expect(index.reachableBytes).toBe(retainerIndex(s).reachableBytes);
    expect(retainedBytes(s, index, new Uint8Array(s.size), [5, 6])).toBe(30); // registry, service and target
  });
});
