/**
 * Walks over a parsed heap snapshot: shortest strong retainer paths from the GC roots (breadth
 * first, weak edges never followed), with a set of nodes that do not count as holders (edges into
 * them are not followed), and the bytes a set of objects retains (what becomes unreachable when
 * they are cut as well — exact, no dominator approximation).
 *
 * Paths avoid ambient holders: an `AsyncContextFrame` (what Node ≥ 24's `AsyncLocalStorage`
 * keeps for every callback it will run, holding whatever store was current when the callback was
 * scheduled) is entered only once nothing else is left to walk, so a path names an owner — a
 * module, a registry, an emitter — wherever one exists, on every Node.
 */
import type { HeapSnapshot } from './heap-snapshot.js';

/** Each node's first (shortest) retainer: parent node and edge offset; -1 when unreachable. */
export interface RetainerIndex {
  readonly parent: Int32Array;
  readonly parentEdge: Int32Array;
  /** Total self size of the reachable nodes. */
  readonly reachableBytes: number;
}

/** Names of the nodes a path enters last (see the file's comment). */
const AMBIENT = ['AsyncContextFrame'];

/**
 * Breadth-first from node 0 over strong edges, never entering a node with `cut[node] !== 0`.
 * `roots` are walked as if node 0 held them directly (their `parentEdge` is -1): objects that live
 * as long as the process, such as the module records Node's loader keeps, so that a path names
 * them rather than however the loader happens to reach them on this Node.
 */
export function retainerIndex(
  snapshot: HeapSnapshot,
  cut?: Uint8Array,
  roots: readonly number[] = [],
): RetainerIndex {
  const parent = new Int32Array(snapshot.size).fill(-1);
  const parentEdge = new Int32Array(snapshot.size).fill(-1);
  const seen = cut === undefined ? new Uint8Array(snapshot.size) : cut.slice();
  const reachableBytes = walk(snapshot, seen, { parent, parentEdge }, roots);
  return { parent, parentEdge, reachableBytes };
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
  const seen = cut.slice();
  for (const n of nodes) seen[n] = 1;
  return base.reachableBytes - walk(snapshot, seen);
}

/**
 * The one walk: breadth first from node 0 (and `roots`, as its children) over strong edges into nodes with `seen[node] === 0`
 * (marking them), ambient nodes deferred to a second wave; records each node's first retainer
 * when `tree` is given. Returns the self size of every node it visited.
 */
function walk(
  snapshot: HeapSnapshot,
  seen: Uint8Array,
  tree?: { parent: Int32Array; parentEdge: Int32Array },
  roots: readonly number[] = [],
): number {
  const { edges, snapshot: header } = snapshot.raw;
  const weak = header.meta.edge_types[0].indexOf('weak');
  const nodeFields = snapshot.fields.node;
  const edgeFields = snapshot.fields.edge;
  const ambient = new Set(AMBIENT.map((name) => snapshot.stringIndex(name)).filter((i) => i >= 0));
  const queue = new Uint32Array(snapshot.size);
  const later: number[] = [];
  let head = 0;
  let tail = 0;
  let bytes = 0;
  queue[tail++] = 0;
  seen[0] = 1;
  if (tree) tree.parent[0] = 0;
  for (const r of roots) {
    if (seen[r] !== 0) continue;
    seen[r] = 1;
    if (tree) tree.parent[r] = 0;
    queue[tail++] = r;
  }
  for (;;) {
    if (head === tail) {
      if (later.length === 0) break;
      for (const n of later) queue[tail++] = n;
      later.length = 0;
    }
    const from = queue[head++]!;
    bytes += snapshot.selfSize(from);
    const end = snapshot.edgeStart(from + 1);
    for (let e = snapshot.edgeStart(from); e < end; e += edgeFields) {
      if (edges[e] === weak) continue;
      const to = edges[e + 2]! / nodeFields;
      if (seen[to] !== 0) continue;
      seen[to] = 1;
      if (tree) {
        tree.parent[to] = from;
        tree.parentEdge[to] = e;
      }
      if (ambient.size > 0 && ambient.has(snapshot.nameIndex(to))) later.push(to);
      else queue[tail++] = to;
    }
  }
  return bytes;
}
