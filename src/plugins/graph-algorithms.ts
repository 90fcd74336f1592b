/**
 * The graph algorithms the plugin graph is built on, each linear in nodes + edges: strongly
 * connected components (Tarjan, iterative so deep chains cannot overflow the stack), the shortest
 * cycle through a node (breadth-first), and a min-heap of ids for Kahn's algorithm with a
 * deterministic tie-break.
 */

/** A binary min-heap of strings (deterministic tie-break for Kahn's algorithm). */
export class MinHeap {
  readonly #items: string[] = [];
  get size(): number {
    return this.#items.length;
  }
  push(value: string): void {
    const items = this.#items;
    items.push(value);
    let i = items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (items[parent]! <= value) break;
      items[i] = items[parent]!;
      i = parent;
    }
    items[i] = value;
  }
  pop(): string | undefined {
    const items = this.#items;
    const top = items[0];
    const last = items.pop();
    if (items.length === 0 || last === undefined) return top;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= items.length) break;
      const right = left + 1;
      const child = right < items.length && items[right]! < items[left]! ? right : left;
      if (items[child]! >= last) break;
      items[i] = items[child]!;
      i = child;
    }
    items[i] = last;
    return top;
  }
}

/**
 * Strongly connected components (iterative Tarjan). Returns, for each node, its component number, and the
 * components as lists of nodes. O(V + E).
 */
export function stronglyConnected(adjacency: readonly (readonly number[])[]): {
  comp: Int32Array;
  comps: number[][];
} {
  const n = adjacency.length;
  const index = new Int32Array(n).fill(-1);
  const low = new Int32Array(n);
  const comp = new Int32Array(n).fill(-1);
  const onStack = new Uint8Array(n);
  const stack: number[] = [];
  const comps: number[][] = [];
  const callStack: number[] = []; // node
  const edgeStack: number[] = []; // next edge index for that node
  let counter = 0;
  for (let root = 0; root < n; root++) {
    if (index[root] !== -1) continue;
    callStack.push(root);
    edgeStack.push(0);
    index[root] = low[root] = counter++;
    stack.push(root);
    onStack[root] = 1;
    while (callStack.length > 0) {
      const v = callStack[callStack.length - 1]!;
      const edges = adjacency[v]!;
      const e = edgeStack[edgeStack.length - 1]!;
      if (e < edges.length) {
        edgeStack[edgeStack.length - 1] = e + 1;
        const w = edges[e]!;
        if (index[w] === -1) {
          index[w] = low[w] = counter++;
          stack.push(w);
          onStack[w] = 1;
          callStack.push(w);
          edgeStack.push(0);
        } else if (onStack[w]) {
          low[v] = Math.min(low[v]!, index[w]!);
        }
        continue;
      }
      callStack.pop();
      edgeStack.pop();
      const parent = callStack[callStack.length - 1];
      if (parent !== undefined) low[parent] = Math.min(low[parent]!, low[v]!);
      if (low[v] === index[v]) {
        const members: number[] = [];
        let w: number;
        do {
          w = stack.pop()!;
          onStack[w] = 0;
          comp[w] = comps.length;
          members.push(w);
        } while (w !== v);
        comps.push(members);
      }
    }
  }
  return { comp, comps };
}

/** Shortest cycle through `start` inside its component (BFS), as node indices `[start, ..., start]`. */
export function cycleThrough(
  start: number,
  adjacency: readonly (readonly number[])[],
  comp: Int32Array,
): number[] {
  const parent = new Map<number, number>();
  const queue = [start];
  for (let head = 0; head < queue.length; head++) {
    const v = queue[head]!;
    for (const w of adjacency[v]!) {
      if (comp[w] !== comp[start]) continue;
      if (w === start) {
        const back: number[] = [];
        for (let x = v; x !== start; x = parent.get(x)!) back.push(x);
        return [start, ...back.reverse(), start];
      }
      if (!parent.has(w)) {
        parent.set(w, v);
        queue.push(w);
      }
    }
  }
  return [start, start]; // unreachable for a real cycle
}
