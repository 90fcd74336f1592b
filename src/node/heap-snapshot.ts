/**
 * Reading a V8 heap snapshot (`.heapsnapshot`, as Chrome DevTools and `v8.writeHeapSnapshot`
 * write it) far enough to answer "what keeps this object alive": the shortest path of strong
 * edges from the snapshot's root to it, as memlab and DevTools' Retainers panel show. Shared by
 * the browser check (`steward/testing`'s detached elements) and the unload verifier
 * (`src/plugins/unload-verifier.ts`); no Node built-ins here — `heap-reader.ts` streams a file in.
 */
import { StewardTypeError } from '../core/errors.js';

/** The parts of a `.heapsnapshot` this module reads. */
export interface HeapSnapshotJson {
  readonly snapshot: {
    readonly meta: {
      readonly node_fields: readonly string[];
      readonly node_types: readonly [readonly string[], ...unknown[]];
      readonly edge_fields: readonly string[];
      readonly edge_types: readonly [readonly string[], ...unknown[]];
      readonly location_fields?: readonly string[];
    };
  };
  readonly nodes: ArrayLike<number>;
  readonly edges: ArrayLike<number>;
  /** The strings table: an array (parsed JSON) or a lazily decoded table (the streaming reader). */
  readonly strings: readonly string[] | StringTable;
  readonly locations?: ArrayLike<number>;
}

/** A strings table that decodes on demand (the streaming reader keeps the bytes, not JS strings). */
export interface StringTable {
  readonly length: number;
  get(index: number): string | undefined;
  /** The index of `value` in the table, or -1 (compares bytes; decodes nothing). */
  indexOf(value: string): number;
}

/** One step of a retainer path: the edge taken (from the previous object) and the object reached. */
export interface RetainerHop {
  /** Edge type: `property`, `element`, `context` (a closure variable), `internal`, `hidden`, `shortcut`. */
  readonly edge: string;
  /** Property or variable name, or element index. */
  readonly edgeName: string | number;
  /** Node type: `object`, `closure`, `native`, `array`, `hidden`… */
  readonly type: string;
  /** Node name: constructor or function name, or a DOM node's tag (`<section id="x">`). */
  readonly name: string;
  /** Source location of a closure (script id, zero-based line and column), when the snapshot has it. */
  readonly location?: { readonly scriptId: number; readonly line: number; readonly column: number };
}

/** A parsed heap snapshot with a shortest-retainer index, built once on first use. */
export class HeapSnapshot {
  readonly #s: HeapSnapshotJson;
  readonly #nodeFields: number;
  readonly #edgeFields: number;
  readonly #firstEdge: Uint32Array;
  #byId: Map<number, number> | undefined;
  readonly #idField: number;
  readonly #sizeField: number;
  readonly #locations = new Map<number, { scriptId: number; line: number; column: number }>();
  #parentEdge: Int32Array | undefined;
  #parent: Int32Array | undefined;

  constructor(json: HeapSnapshotJson) {
    this.#s = json;
    const meta = json.snapshot.meta;
    this.#nodeFields = meta.node_fields.length;
    this.#edgeFields = meta.edge_fields.length;
    const count = json.nodes.length / this.#nodeFields;
    const edgeCount = meta.node_fields.indexOf('edge_count');
    const id = meta.node_fields.indexOf('id');
    if (edgeCount < 0 || id < 0 || meta.edge_fields.indexOf('to_node') !== 2) {
      throw new StewardTypeError(
        'HeapSnapshot: not a V8 heap snapshot (node_fields lack edge_count/id, or an unknown edge layout).',
      );
    }
    this.#idField = id;
    this.#sizeField = meta.node_fields.indexOf('self_size');
    this.#firstEdge = new Uint32Array(count + 1);
    for (let i = 0; i < count; i++) {
      this.#firstEdge[i + 1] =
        this.#firstEdge[i]! + json.nodes[i * this.#nodeFields + edgeCount]! * this.#edgeFields;
    }
    const loc = json.locations ?? [];
    const lf = meta.location_fields?.length ?? 4;
    for (let i = 0; i + 3 < loc.length; i += lf) {
      this.#locations.set(loc[i]! / this.#nodeFields, {
        scriptId: loc[i + 1]!,
        line: loc[i + 2]!,
        column: loc[i + 3]!,
      });
    }
  }

  /** Parse the text of a `.heapsnapshot`. */
  static parse(text: string): HeapSnapshot {
    return new HeapSnapshot(JSON.parse(text) as HeapSnapshotJson);
  }

  /** Number of objects. */
  get size(): number {
    return this.#firstEdge.length - 1;
  }

  /** The raw arrays and field layout, for graph walks (`retainers.ts`). */
  get raw(): HeapSnapshotJson {
    return this.#s;
  }

  /** Fields per node and per edge in the flat arrays. */
  get fields(): { readonly node: number; readonly edge: number } {
    return { node: this.#nodeFields, edge: this.#edgeFields };
  }

  /** Offset of node `index`'s first edge in `edges`; `edgeStart(index + 1)` ends them. */
  edgeStart(index: number): number {
    return this.#firstEdge[index]!;
  }

  /** Node type (`object`, `closure`, `code`, `hidden`…). */
  nodeType(index: number): string {
    return this.#s.snapshot.meta.node_types[0][this.#s.nodes[index * this.#nodeFields]!] ?? 'unknown';
  }

  /** Node name: constructor or function name, a string's value, a script's URL. */
  nodeName(index: number): string {
    return this.string(this.#s.nodes[index * this.#nodeFields + 1]!) ?? '';
  }

  /** String number `index` of the snapshot's table. */
  string(index: number): string | undefined {
    const table = this.#s.strings;
    return Array.isArray(table) ? (table as readonly string[])[index] : (table as StringTable).get(index);
  }

  /** The table index of `value` (to compare names by number in a walk over every node), or -1. */
  stringIndex(value: string): number {
    const table = this.#s.strings;
    return Array.isArray(table)
      ? (table as readonly string[]).indexOf(value)
      : (table as StringTable).indexOf(value);
  }

  /** The table index of node `index`'s name. */
  nameIndex(index: number): number {
    return this.#s.nodes[index * this.#nodeFields + 1]!;
  }

  /** The raw type number of node `index` (see {@link typeIndex}). */
  typeNumber(index: number): number {
    return this.#s.nodes[index * this.#nodeFields]!;
  }

  /** The number of node type `name` (`closure`, `object`…), or -1. */
  typeIndex(name: string): number {
    return this.#s.snapshot.meta.node_types[0].indexOf(name);
  }

  /** Node's own size in bytes. */
  selfSize(index: number): number {
    return this.#sizeField < 0 ? 0 : this.#s.nodes[index * this.#nodeFields + this.#sizeField]!;
  }

  /** Edge type name of the edge at offset `edge`. */
  edgeType(edge: number): string {
    return this.#s.snapshot.meta.edge_types[0][this.#s.edges[edge]!] ?? 'unknown';
  }

  /** Edge name (property or variable name) or index (elements, hidden edges). */
  edgeName(edge: number): string | number {
    const type = this.edgeType(edge);
    const raw = this.#s.edges[edge + 1]!;
    return type === 'element' || type === 'hidden' ? raw : (this.string(raw) ?? raw);
  }

  /** Node index an edge points to. */
  edgeTarget(edge: number): number {
    return this.#s.edges[edge + 2]! / this.#nodeFields;
  }

  /** Source location of a closure node (script id, zero-based line and column), if recorded. */
  location(
    index: number,
  ): { readonly scriptId: number; readonly line: number; readonly column: number } | undefined {
    return this.#locations.get(index);
  }

  /** One hop as {@link RetainerHop}: the edge at offset `edge`, reaching node `node`. */
  hop(edge: number, node: number): RetainerHop {
    return this.#hop(edge, node);
  }

  /** The node index of the object with heap id `id` (DevTools' `@id`), if it is in the snapshot. */
  indexOf(id: number): number | undefined {
    if (this.#byId === undefined) {
      this.#byId = new Map();
      for (let i = 0; i < this.size; i++)
        this.#byId.set(this.#s.nodes[i * this.#nodeFields + this.#idField]!, i);
    }
    return this.#byId.get(id);
  }

  /**
   * The shortest path of strong (non-weak) edges from the root to node `index`, root excluded;
   * undefined when nothing strong reaches it (it would be collected).
   */
  retainerPath(index: number): RetainerHop[] | undefined {
    this.#index();
    const parent = this.#parent!;
    const parentEdge = this.#parentEdge!;
    if (index !== 0 && parent[index] === -1) return undefined;
    const hops: RetainerHop[] = [];
    for (let i = index; i !== 0; i = parent[i]!) hops.push(this.#hop(parentEdge[i]!, i));
    return hops.reverse();
  }

  #hop(edge: number, node: number): RetainerHop {
    const { snapshot, edges, nodes } = this.#s;
    const edgeType = snapshot.meta.edge_types[0][edges[edge]!] ?? 'unknown';
    const rawName = edges[edge + 1]!;
    const location = this.#locations.get(node);
    return {
      edge: edgeType,
      edgeName: edgeType === 'element' || edgeType === 'hidden' ? rawName : (this.string(rawName) ?? rawName),
      type: snapshot.meta.node_types[0][nodes[node * this.#nodeFields]!] ?? 'unknown',
      name: this.string(nodes[node * this.#nodeFields + 1]!) ?? '',
      ...(location ? { location } : {}),
    };
  }

  /** Breadth-first from the root over strong edges: each node's first (shortest) retainer. */
  #index(): void {
    if (this.#parent) return;
    const { snapshot, edges } = this.#s;
    const weak = snapshot.meta.edge_types[0].indexOf('weak');
    const count = this.size;
    const parent = new Int32Array(count).fill(-1);
    const parentEdge = new Int32Array(count).fill(-1);
    const queue = new Uint32Array(count);
    let head = 0;
    let tail = 0;
    queue[tail++] = 0;
    parent[0] = 0;
    while (head < tail) {
      const from = queue[head++]!;
      for (let e = this.#firstEdge[from]!; e < this.#firstEdge[from + 1]!; e += this.#edgeFields) {
        if (edges[e] === weak) continue;
        const to = edges[e + 2]! / this.#nodeFields;
        if (parent[to] !== -1) continue;
        parent[to] = from;
        parentEdge[to] = e;
        queue[tail++] = to;
      }
    }
    this.#parent = parent;
    this.#parentEdge = parentEdge;
  }
}

/**
 * A retainer path as lines a person reads, from the global object down: V8's and Blink's
 * internal hops (`InternalNode`, system objects) folded, closures with their source location
 * (`scripts` maps script ids to URLs), variable and property names on the edge that reaches the
 * next object.
 */
export function formatRetainerPath(
  hops: readonly RetainerHop[],
  scripts: ReadonlyMap<number, string>,
): string[] {
  const start = Math.max(
    0,
    hops.findIndex((h) => /^Window\b/.test(h.name) || h.name.startsWith('Window (global')),
  );
  const lines: string[] = [];
  for (let i = start; i < hops.length; i++) {
    const hop = hops[i]!;
    const last = i === hops.length - 1;
    if (
      !last &&
      i > start &&
      (hop.name === 'InternalNode' || hop.name === 'system / Context' || hop.type === 'hidden')
    ) {
      // Folded, but a closure variable's name survives on the hop after it.
      continue;
    }
    const via = edgeLabel(hop);
    lines.push(
      i === start ? nodeLabel(hop, scripts) : `${via ? `${via} → ` : '→ '}${nodeLabel(hop, scripts)}`,
    );
  }
  return lines;
}

function edgeLabel(hop: RetainerHop): string {
  if (hop.edge === 'property') return `.${hop.edgeName}`;
  if (hop.edge === 'context') return `(closure variable) ${hop.edgeName}`;
  if (hop.edge === 'element' && (hop.type === 'object' || hop.type === 'array')) return `[${hop.edgeName}]`;
  return '';
}

function nodeLabel(hop: RetainerHop, scripts: ReadonlyMap<number, string>): string {
  if (hop.type === 'closure') {
    const where = hop.location
      ? ` at ${scripts.get(hop.location.scriptId) ?? `script ${hop.location.scriptId}`}:${hop.location.line + 1}:${hop.location.column + 1}`
      : '';
    return `function ${hop.name || '(anonymous)'}${where}`;
  }
  if (hop.type === 'array') return hop.name ? `${hop.name} (array)` : '(array)';
  return hop.name.replace(/ \/ https?:\/\/\S+$/, '');
}
