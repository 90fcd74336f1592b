/**
 * Walks over a parsed heap snapshot: shortest strong retainer paths from the GC roots (breadth
 * first, weak edges never followed), with a set of nodes that do not count as holders (edges into
 * them are not followed), and the bytes a set of objects retains (what becomes unreachable when
 * they are cut as well — exact, no dominator approximation).
 */
import type { HeapSnapshot } from './heap-snapshot.js';

/** Each node's first (shortest) retainer: parent node and edge offset; -1 when unreachable. */
export interface RetainerIndex {
  readonly parent: Int32Array;
  readonly parentEdge: Int32Array;
  /** Total self size of the reachable nodes. */
  readonly reachableBytes: number;
}

/** Breadth-first from node 0 over strong edges, never entering a node with `cut[node] !== 0`. */
export function retainerIndex(snapshot: HeapSnapshot, cut?: Uint8Array): RetainerIndex {
  const count = snapshot.size;
  const { edges, snapshot: header } = snapshot.raw;
  const weak = header.meta.edge_types[0].indexOf('weak');
  const nodeFields = snapshot.fields.node;
  const edgeFields = snapshot.fields.edge;
  const parent = new Int32Array(count).fill(-1);
  const parentEdge = new Int32Array(count).fill(-1);
  const queue = new Uint32Array(count);
  let head = 0;
  let tail = 0;
  let bytes = 0;
  queue[tail++] = 0;
  parent[0] = 0;
  while (head < tail) {
    const from = queue[head++]!;
    bytes += snapshot.selfSize(from);
    const end = snapshot.edgeStart(from + 1);
    for (let e = snapshot.edgeStart(from); e < end; e += edgeFields) {
      if (edges[e] === weak) continue;
      const to = edges[e + 2]! / nodeFields;
      if (parent[to] !== -1 || (cut !== undefined && cut[to] !== 0)) continue;
      parent[to] = from;
      parentEdge[to] = e;
      queue[tail++] = to;
    }
  }
  return { parent, parentEdge, reachableBytes: bytes };
}

/** The node indices from the root (excluded) down to `node`; undefined when unreachable. */
export function pathTo(index: RetainerIndex, node: number): number[] | undefined {
  if (node !== 0 && index.parent[node] === -1) return undefined;
  const nodes: number[] = [];
  for (let i = node; i !== 0; i = index.parent[i]!) nodes.push(i);
  return nodes.reverse();
}

/**
 * Bytes that `nodes` keep alive: reachable now, unreachable once they are cut too. One
 * breadth-first walk per call, with a visited bitmap and a queue only (no paths kept).
 */
export function retainedBytes(
  snapshot: HeapSnapshot,
  base: RetainerIndex,
  cut: Uint8Array,
  nodes: readonly number[],
): number {
  const count = snapshot.size;
  const { edges, snapshot: header } = snapshot.raw;
  const weak = header.meta.edge_types[0].indexOf('weak');
  const nodeFields = snapshot.fields.node;
  const edgeFields = snapshot.fields.edge;
  const seen = cut.slice();
  for (const n of nodes) seen[n] = 1;
  const queue = new Uint32Array(count);
  let head = 0;
  let tail = 0;
  let bytes = 0;
  queue[tail++] = 0;
  seen[0] = 1;
  while (head < tail) {
    const from = queue[head++]!;
    bytes += snapshot.selfSize(from);
    const end = snapshot.edgeStart(from + 1);
    for (let e = snapshot.edgeStart(from); e < end; e += edgeFields) {
      if (edges[e] === weak) continue;
      const to = edges[e + 2]! / nodeFields;
      if (seen[to] !== 0) continue;
      seen[to] = 1;
      queue[tail++] = to;
    }
  }
  return base.reachableBytes - bytes;
}
