/**
 * "Why is it still alive", answered from a heap snapshot for code that was unloaded: which of
 * its objects the rest of the process still reaches, by which shortest strong path from the GC
 * roots, where each was created, and how many bytes it keeps. The objects that belong to
 * unloaded code are found in the snapshot itself:
 * - its closures (their function's script is one of the code's module URLs), with their source line;
 * - its module namespaces;
 * - values of its closures' variables whose declaration allocates (`const cache = new Map()`,
 *   `= []`, `= {…}`): created by that code, so it owns them; a variable holding something it was
 *   given (`const bus = host.bus`) is not its object;
 * - the probes' targets (`ProbeInfo`): objects Steward knows belong to it (its `ctx`, its
 *   component, values disposed at its cleanup).
 * Node's module loader keeps every module it ever evaluated (ES modules cannot be unloaded), so
 * its hold on the unloaded code's modules (`ModuleWrap`, `SourceTextModule`) does not count:
 * the walk never enters them. What is reached otherwise is retained by something else.
 * The stack at snapshot time (the caller's own frames) is not a root either.
 * Only the first object of the code on each path is reported (the culprit; what it holds are
 * victims, folded into it); findings whose paths have the same shape are one finding, counted.
 */
import { fileURLToPath } from 'node:url';
import type { HeapSnapshot } from './heap-snapshot.js';
import { pathTo, type RetainerIndex, retainedBytes, retainerIndex } from './retainer-graph.js';

/** Unloaded code to look for: a key (a plugin id) and which module URLs are its. */
export interface UnloadedCode {
  readonly key: string;
  readonly matches: (url: string) => boolean;
  /** Turns a module URL into the path shown (e.g. relative to the working directory). */
  readonly display?: (url: string) => string;
}

/** What Steward knows of a probed object (by the probe's label). */
export interface ProbeInfo {
  /** The code it belongs to (an {@link UnloadedCode} key). */
  readonly key: string;
  /** What it is: `the plugin context`, `timer #3 (disposed)`… */
  readonly what: string;
  /** Where it was created, when recorded. */
  readonly stack?: string | undefined;
  /**
   * Only a mark: an object the code's component created or tracked (a timer, a socket) shown
   * on a path with its owner and creation line, but neither a culprit nor a finding itself.
   */
  readonly mark?: boolean | undefined;
}

/** One finding: an object of unloaded code still reachable, and why. */
export interface RetainedFinding {
  /** The {@link UnloadedCode} key (plugin id). */
  readonly key: string;
  /** The culprit: the first object of that code on the path (`function onSignal`, `Map "cache"`…). */
  readonly object: string;
  /** The host object holding it, and the edge: `process._events.SIGUSR2`. */
  readonly holder: string;
  /** The path from the GC roots, one hop a line, outermost first. */
  readonly path: readonly string[];
  /** Where the culprit was created: a source line (`plugins/leaky/index.mjs:18:3`) or a stack. */
  readonly site: string | undefined;
  /** Probed objects this culprit keeps alive (`the plugin context`), with their stacks. */
  readonly keeps: readonly { readonly what: string; readonly stack?: string | undefined }[];
  /** Findings folded into this one (same code, same path shape). */
  readonly count: number;
  /** Bytes kept alive by the culprits of this finding. */
  readonly retainedBytes: number;
}

/** Options of {@link explainRetained}. */
export interface ExplainOptions {
  readonly codes: readonly UnloadedCode[];
  /** Constructor name of the probes (WeakRef subclasses with a `label` property). */
  readonly probeClass?: string;
  readonly probes?: ReadonlyMap<string, ProbeInfo>;
  /** At most this many findings (the largest retained first). Default 20. */
  readonly max?: number;
  /** Turns any module URL on a path into the text shown (default: the URL). */
  readonly display?: (url: string) => string;
}

interface Owned {
  readonly key: string;
  readonly label: string;
  readonly site: string | undefined;
  readonly probe?: ProbeInfo;
}

const ALLOCATES = /^\s*(?:new\s|\[|\{|Array\(|Buffer\.(?:alloc|from)|Object\.create|structuredClone)/;

/** What {@link measureRetained} says of one code (plugin). */
export interface RetainedMemory {
  /** Bytes that would be freed if the code's objects (closures, module state) were gone. */
  readonly retainedBytes: number;
  /** How many of its objects (closures, module namespaces, allocated module variables) were found. */
  readonly objects: number;
}

/**
 * Per code (a loaded plugin's current generation): the bytes its objects retain — everything
 * that becomes unreachable when its closures, module namespaces, allocated module variables and
 * module records are cut (vscode-memory-leak-finder's "retained by source", exact). One walk
 * per code.
 */
export function measureRetained(
  snapshot: HeapSnapshot,
  codes: readonly UnloadedCode[],
): Map<string, RetainedMemory> {
  const scan = scanSnapshot(snapshot, { codes });
  const stackOnly = new Uint8Array(snapshot.size);
  const stack = snapshot.stringIndex('(Stack roots)');
  for (let n = 0; n < snapshot.size; n++) if (snapshot.nameIndex(n) === stack) stackOnly[n] = 1;
  const base = retainerIndex(snapshot, stackOnly);
  const out = new Map<string, RetainedMemory>();
  for (const code of codes) {
    const nodes: number[] = [];
    for (const [node, owned] of scan.owned) if (owned.key === code.key) nodes.push(node);
    const records: number[] = [];
    for (const [node] of scan.modules)
      if (scan.cut[node] && code.matches(scan.moduleUrls.get(node) ?? '')) records.push(node);
    out.set(code.key, {
      retainedBytes: retainedBytes(snapshot, base, stackOnly, [...nodes, ...records]),
      objects: nodes.length,
    });
  }
  return out;
}

/**
 * The objects of `code` in `snapshot` as {@link measureRetained} counts them — its closures (site:
 * their source line), module namespaces and allocated module variables (site: their declaration)
 * — and its module records (heap-own.ts lists them one by one).
 */
export function ownedObjects(
  snapshot: HeapSnapshot,
  code: UnloadedCode,
): {
  readonly objects: ReadonlyArray<{
    readonly node: number;
    readonly label: string;
    readonly site: string | undefined;
  }>;
  readonly records: readonly number[];
} {
  const scan = scanSnapshot(snapshot, { codes: [code] });
  const objects = [...scan.owned].map(([node, owned]) => ({ node, label: owned.label, site: owned.site }));
  const records = [...scan.modules.keys()].filter(
    (n) => scan.cut[n] !== 0 && code.matches(scan.moduleUrls.get(n) ?? ''),
  );
  return { objects, records };
}

/** Explain what of the unloaded `codes` is still reachable in `snapshot`. */
export function explainRetained(snapshot: HeapSnapshot, options: ExplainOptions): RetainedFinding[] {
  const scan = scanSnapshot(snapshot, options);
  // The live modules are roots: Node's loader keeps them for the life of the process, through
  // internals that differ between Node versions (the environment on 20, the load cache on 24).
  const liveModules = [...scan.modules.keys()].filter((n) => scan.cut[n] === 0);
  const base = retainerIndex(snapshot, scan.cut, liveModules);
  type Group = { finding: Omit<RetainedFinding, 'count' | 'retainedBytes'>; nodes: number[] };
  const groups = new Map<string, Group>();
  const culprits = new Map<number, Group>();
  for (const [node, owned] of scan.owned) {
    const path = pathTo(base, node);
    if (path === undefined) continue;
    const first = path.findIndex((n) => scan.owned.has(n));
    const culprit = path[first]!;
    const culpritOwned = scan.owned.get(culprit)!;
    let group = culprits.get(culprit);
    if (group === undefined) {
      const upTo = path.slice(0, first + 1);
      const shape = `${culpritOwned.key}|${upTo.map((n) => shapeOf(snapshot, base, n)).join('/')}`;
      group = groups.get(shape);
      if (group === undefined) {
        const lines = describePath(snapshot, base, upTo, scan);
        group = {
          finding: {
            key: culpritOwned.key,
            object: culpritOwned.label,
            holder: holderOf(snapshot, base, upTo, scan),
            path: lines,
            site: culpritOwned.site ?? culpritOwned.probe?.stack,
            keeps: [],
          },
          nodes: [],
        };
        groups.set(shape, group);
      }
      group.nodes.push(culprit);
      culprits.set(culprit, group);
    }
    if (owned.probe && node !== culprit) {
      (group.finding.keeps as Array<{ what: string; stack?: string | undefined }>).push({
        what: owned.probe.what,
        stack: owned.probe.stack,
      });
    }
  }
  const max = options.max ?? 20;
  return [...groups.values()]
    .slice(0, max * 4)
    .map((g) => ({
      ...g.finding,
      count: g.nodes.length,
      retainedBytes: retainedBytes(snapshot, base, scan.cut, g.nodes),
    }))
    .sort((a, b) => b.retainedBytes - a.retainedBytes)
    .slice(0, max);
}

interface Scan {
  readonly cut: Uint8Array;
  readonly owned: Map<number, Owned>;
  /** Objects the code's components created or tracked, shown with owner and creation line. */
  readonly marks: Map<number, ProbeInfo>;
  readonly showUrl: ((url: string) => string) | undefined;
  readonly scriptUrl: Map<number, string>;
  readonly display: Map<number, string>;
  /** Every module record (`ModuleWrap`) and its URL as shown. */
  readonly modules: Map<number, string>;
  /** Their URLs. */
  readonly moduleUrls: Map<number, string>;
  /** The URL of a closure's script (its function's `script` edge), for any closure. */
  readonly closureUrl: (closure: number) => string | undefined;
}

function scanSnapshot(snapshot: HeapSnapshot, options: ExplainOptions): Scan {
  const count = snapshot.size;
  const cut = new Uint8Array(count);
  const owned = new Map<number, Owned>();
  const scriptKey = new Map<number, UnloadedCode>();
  const scriptUrl = new Map<number, string>();
  const display = new Map<number, string>();
  const sources = new Map<number, string>();
  const modules = new Map<number, string>();
  const moduleUrls = new Map<number, string>();
  const codeOf = (url: string) => options.codes.find((c) => c.matches(url));
  // Names and types compared by number: a walk over every node decodes no string.
  const str = (s: string) => snapshot.stringIndex(s);
  const T = {
    object: snapshot.typeIndex('object'),
    code: snapshot.typeIndex('code'),
    closure: snapshot.typeIndex('closure'),
    native: snapshot.typeIndex('native'),
    synthetic: snapshot.typeIndex('synthetic'),
  };
  const S = {
    wrap: str('ModuleWrap'),
    stack: str('(Stack roots)'),
    stm: str('system / SourceTextModule'),
    nativeWrap: str('Node / ModuleWrap'),
    probe: str(options.probeClass ?? 'StewardUnloadProbe'),
    module: str('Module'),
    url: str('url'),
    source: str('source'),
    // V8 ≤ 12 names a function's script edge `script_or_debug_info`; V8 13 (Node 24) `script`.
    script: str('script_or_debug_info'),
    script13: str('script'),
    shared: str('shared'),
    context: str('context'),
    toJs: str('native_to_javascript'),
    label: str('label'),
    target: str('target'),
  };
  const { edges } = snapshot.raw;
  const edgeTypes = snapshot.raw.snapshot.meta.edge_types[0];
  const E = {
    property: edgeTypes.indexOf('property'),
    internal: edgeTypes.indexOf('internal'),
    hidden: edgeTypes.indexOf('hidden'),
    weak: edgeTypes.indexOf('weak'),
  };
  const ef = snapshot.fields.edge;
  const child = (node: number, type: number, name: number) => {
    if (name < 0 && type !== E.hidden) return undefined;
    const end = snapshot.edgeStart(node + 1);
    for (let e = snapshot.edgeStart(node); e < end; e += ef) {
      if (edges[e] === type && edges[e + 1] === name) return snapshot.edgeTarget(e);
    }
    return undefined;
  };
  // Pass 1: module records of the unloaded code (cut), their namespaces (owned); the scripts.
  const scripts = new Set<number>();
  for (let n = 0; n < count; n++) {
    const type = snapshot.typeNumber(n);
    const name = snapshot.nameIndex(n);
    // The stack at snapshot time is the analysing code's own: not a holder.
    if (type === T.synthetic && name === S.stack) cut[n] = 1;
    else if (type === T.object && name === S.wrap) {
      const urlNode = child(n, E.property, S.url);
      const url = urlNode === undefined ? '' : snapshot.nodeName(urlNode);
      if (url) {
        modules.set(n, options.display ? options.display(url) : url);
        moduleUrls.set(n, url);
      }
      const code = url ? codeOf(url) : undefined;
      if (!code) continue;
      cut[n] = 1;
      const end = snapshot.edgeStart(n + 1);
      for (let e = snapshot.edgeStart(n); e < end; e += ef) {
        const to = snapshot.edgeTarget(e);
        if (snapshot.nameIndex(to) !== S.stm) continue;
        cut[to] = 1;
        const ns = child(to, E.hidden, 1);
        if (ns !== undefined && snapshot.nameIndex(ns) === S.module) {
          owned.set(ns, { key: code.key, label: `module "${shown(code, url)}"`, site: shown(code, url) });
        }
      }
    } else if (type === T.code) {
      const script = child(n, E.internal, S.script) ?? child(n, E.internal, S.script13);
      if (script !== undefined) scripts.add(script);
    }
  }
  for (const n of scripts) {
    const name = snapshot.nodeName(n);
    const code = name.startsWith('file:') ? codeOf(name) : undefined;
    if (!code) continue;
    scriptKey.set(n, code);
    scriptUrl.set(n, name);
    display.set(n, shown(code, name));
    const source = child(n, E.internal, S.source);
    if (source !== undefined) sources.set(n, snapshot.nodeName(source));
  }
  // Pass 2: the natives behind cut module records; the functions (SFIs) of the code's scripts.
  const sfiScript = new Map<number, number>();
  for (let n = 0; n < count; n++) {
    const type = snapshot.typeNumber(n);
    if (type === T.native && snapshot.nameIndex(n) === S.nativeWrap) {
      const js = child(n, E.internal, S.toJs);
      if (js !== undefined && cut[js]) cut[n] = 1;
    } else if (type === T.code && scriptKey.size > 0) {
      const script = child(n, E.internal, S.script) ?? child(n, E.internal, S.script13);
      if (script !== undefined && scriptKey.has(script)) sfiScript.set(n, script);
    }
  }
  // Pass 3: the code's closures and their variables; the probes.
  const probeTargets: Array<[number, string]> = [];
  for (let n = 0; n < count; n++) {
    const type = snapshot.typeNumber(n);
    if (type === T.closure && sfiScript.size > 0) {
      const sfi = child(n, E.internal, S.shared);
      const script = sfi === undefined ? undefined : sfiScript.get(sfi);
      if (script === undefined) continue;
      const code = scriptKey.get(script)!;
      const loc = snapshot.location(n);
      const where = loc ? `${display.get(script)}:${loc.line + 1}:${loc.column + 1}` : display.get(script);
      owned.set(n, {
        key: code.key,
        label: `function ${snapshot.nodeName(n) || '(anonymous)'}`,
        site: where,
      });
      const context = child(n, E.internal, S.context);
      if (context !== undefined)
        ownVariables(snapshot, context, code, display.get(script)!, sources.get(script), owned);
    } else if (type === T.object && snapshot.nameIndex(n) === S.probe) {
      const labelNode = child(n, E.property, S.label);
      const target = child(n, E.weak, S.target);
      if (labelNode !== undefined && target !== undefined)
        probeTargets.push([target, snapshot.nodeName(labelNode)]);
    }
  }
  const marks = new Map<number, ProbeInfo>();
  for (const [target, label] of probeTargets) {
    const probe = options.probes?.get(label);
    if (!probe) continue;
    if (probe.mark) {
      if (!owned.has(target)) marks.set(target, probe);
      continue;
    }
    const prior = owned.get(target);
    owned.set(target, {
      key: probe.key,
      label: prior?.label ?? probe.what,
      site: prior?.site ?? probe.stack,
      probe,
    });
  }
  const closureUrl = (closure: number): string | undefined => {
    const sfi = child(closure, E.internal, S.shared);
    const script =
      sfi === undefined
        ? undefined
        : (child(sfi, E.internal, S.script) ?? child(sfi, E.internal, S.script13));
    const name = script === undefined ? '' : snapshot.nodeName(script);
    return name === '' ? undefined : name;
  };
  return { cut, owned, marks, showUrl: options.display, scriptUrl, display, modules, moduleUrls, closureUrl };
}

/** The variables of a closure's context (and outer contexts) whose declaration allocates. */
function ownVariables(
  snapshot: HeapSnapshot,
  context: number,
  code: UnloadedCode,
  file: string,
  source: string | undefined,
  owned: Map<number, Owned>,
): void {
  if (source === undefined) return;
  for (let ctx: number | undefined = context, depth = 0; ctx !== undefined && depth < 8; depth++) {
    let previous: number | undefined;
    const end = snapshot.edgeStart(ctx + 1);
    for (let e = snapshot.edgeStart(ctx); e < end; e += snapshot.fields.edge) {
      const type = snapshot.edgeType(e);
      const to = snapshot.edgeTarget(e);
      if (type === 'internal' && snapshot.edgeName(e) === 'previous') previous = to;
      if (type !== 'context' || owned.has(to)) continue;
      const nodeType = snapshot.nodeType(to);
      if (nodeType !== 'object' && nodeType !== 'array' && nodeType !== 'regexp') continue;
      const name = String(snapshot.edgeName(e));
      const line = declarationLine(source, name);
      if (line === undefined) continue;
      owned.set(to, {
        key: code.key,
        label: `${snapshot.nodeName(to) || 'Object'} "${name}"`,
        site: `${file}:${line}`,
      });
    }
    if (previous === undefined || snapshot.nodeName(previous) !== 'system / Context') break;
    ctx = previous;
  }
}

/** The 1-based line of `const|let|var name = <allocation>` in `source`, if there is one. */
export function declarationLine(source: string, name: string): number | undefined {
  const escaped = name.replace(/[$]/g, '\\$');
  const re = new RegExp(`\\b(?:const|let|var)\\s+${escaped}\\s*(?::[^=]+)?=([^\\n]*)`, 'g');
  for (let m = re.exec(source); m !== null; m = re.exec(source)) {
    if (ALLOCATES.test(m[1]!)) return source.slice(0, m.index).split('\n').length;
  }
  return undefined;
}

function shown(code: UnloadedCode, url: string): string {
  return code.display ? code.display(url) : url.replace(/\?.*$/, '');
}

/** A hop's identity for grouping: edge kind and name (indices blurred), node type and name. */
function shapeOf(snapshot: HeapSnapshot, index: RetainerIndex, node: number): string {
  const e = index.parentEdge[node]!;
  if (e < 0) return `root>${snapshot.nodeType(node)}:${snapshot.nodeName(node)}`;
  const type = snapshot.edgeType(e);
  const name = type === 'element' || type === 'hidden' ? '*' : String(snapshot.edgeName(e));
  return `${type}:${name}>${snapshot.nodeType(node)}:${snapshot.nodeName(node)}`;
}

const SYNTHETIC = new Set(['synthetic', 'hidden']);

/** The path as lines: `root → edge → object`, V8's internal hops folded. */
function describePath(
  snapshot: HeapSnapshot,
  index: RetainerIndex,
  nodes: readonly number[],
  scan: Scan,
): string[] {
  const lines: string[] = [];
  let start = 0;
  // Start at the last synthetic root group ("(Global handles)", "(Stack roots)"…) or the global
  // object — which V8 ≥ 14 (Node 26) reaches through its native context, older V8s directly.
  for (let i = 0; i < nodes.length; i++) {
    const node = nodes[i]!;
    if (isGlobalObject(snapshot.nodeName(node))) {
      start = i;
      break;
    }
    const type = snapshot.nodeType(node);
    if (type === 'synthetic') start = i;
    else if (type !== 'hidden' && !snapshot.nodeName(node).startsWith('system /')) break;
  }
  lines.push(nodeLabel(snapshot, nodes[start]!, scan));
  for (let i = start + 1; i < nodes.length; i++) {
    const node = nodes[i]!;
    const last = i === nodes.length - 1;
    const type = snapshot.nodeType(node);
    const name = snapshot.nodeName(node);
    const edge = index.parentEdge[node]!;
    if (
      !last &&
      !scan.owned.has(node) &&
      (SYNTHETIC.has(type) || type === 'code' || type === 'native' || name.startsWith('system /'))
    ) {
      continue;
    }
    lines.push(`${edgeLabel(snapshot, edge)}→ ${nodeLabel(snapshot, node, scan)}`);
  }
  return lines;
}

/** Node's global object: `global` (V8 ≤ 13) or `global (global*)` (V8 14, Node 26). */
function isGlobalObject(name: string): boolean {
  return name === 'global' || name.startsWith('global (');
}

function edgeLabel(snapshot: HeapSnapshot, edge: number): string {
  const type = snapshot.edgeType(edge);
  const name = snapshot.edgeName(edge);
  if (type === 'property') return `.${String(name)} `;
  if (type === 'element') return `[${name}] `;
  if (type === 'context') return `(variable ${String(name)}) `;
  if (type === 'internal' && name === 'context') return '(scope) ';
  return '';
}

function nodeLabel(snapshot: HeapSnapshot, node: number, scan: Scan): string {
  const owned = scan.owned.get(node);
  if (owned) {
    const line = owned.site?.includes('\n') ? creationLine(owned.site, scan.showUrl) : owned.site;
    const site = line ? ` (${line})` : '';
    return `${owned.label}${site}${owned.key ? ` [${owned.key}]` : ''}`;
  }
  const type = snapshot.nodeType(node);
  const name = snapshot.nodeName(node);
  const mark = scan.marks.get(node);
  if (mark) {
    const line = mark.stack ? creationLine(mark.stack, scan.showUrl) : undefined;
    return `${name || type} (${mark.what}${line ? `, created at ${line}` : ''}) [${mark.key}]`;
  }
  if (type === 'closure') {
    const loc = snapshot.location(node);
    // Named by file, as the unload verifier names the code it knows; the script id as a last resort.
    const url = scan.closureUrl(node);
    const file = url === undefined ? undefined : (scan.showUrl?.(url) ?? shownFile(url));
    const where =
      loc === undefined
        ? ''
        : file
          ? ` (${file}:${loc.line + 1}:${loc.column + 1})`
          : ` (script ${loc.scriptId}:${loc.line + 1})`;
    return `function ${name || '(anonymous)'}${where}`;
  }
  if (type === 'array') return name ? `${name} (array)` : 'Array';
  if (type === 'string') return JSON.stringify(name.slice(0, 40));
  if (name === 'system / Context') return 'scope';
  if (isGlobalObject(name)) return 'global';
  const module = scan.modules.get(node);
  if (module !== undefined) return `module "${module.replace(/\?.*$/, '')}"`;
  return name.replace(/ \/ https?:\/\/\S+$/, '') || type;
}

/** The host object holding the culprit, with the edge: `Object._events.SIGUSR2`. */
function holderOf(
  snapshot: HeapSnapshot,
  index: RetainerIndex,
  nodes: readonly number[],
  scan: Scan,
): string {
  // Walk up from the culprit to the nearest non-internal host object, collecting edge names.
  const names: string[] = [];
  for (let i = nodes.length - 1; i > 0; i--) {
    const edge = index.parentEdge[nodes[i]!]!;
    const type = snapshot.edgeType(edge);
    const name = snapshot.edgeName(edge);
    if (type === 'property') names.unshift(`.${String(name)}`);
    else if (type === 'element') names.unshift(`[${name}]`);
    else if (type === 'context') names.unshift(`(variable ${String(name)})`);
    const parent = nodes[i - 1]!;
    const ptype = snapshot.nodeType(parent);
    const pname = snapshot.nodeName(parent);
    if (
      ptype !== 'synthetic' &&
      ptype !== 'hidden' &&
      pname !== 'system / Context' &&
      !pname.startsWith('system /') &&
      ptype !== 'array' &&
      pname !== 'Array' &&
      pname !== 'Object' &&
      // A module's body (its generator) holds its variables: the module is the holder.
      !(pname === 'Generator' && nodes.slice(Math.max(0, i - 5), i - 1).some((m) => scan.modules.has(m))) &&
      !scan.owned.has(parent) &&
      names.length >= 1
    ) {
      return `${nodeLabel(snapshot, parent, scan)}${names.join('')}`;
    }
  }
  return nodes.length > 0 ? nodeLabel(snapshot, nodes[0]!, scan) + names.join('') : '(root)';
}

/** Steward's own code (the folder above this module: src/ or dist/), as a path and as a URL. */
const OWN = [fileURLToPath(new URL('..', import.meta.url)), new URL('..', import.meta.url).href];
const NOT_USER = /node:|node_modules[\\/]|\(<anonymous>\)/;

/**
 * The first frame of `stack` in the user's code, as `file:line:column` (a `file:` URL shown
 * through `display`): where a tracked value or an attributed handle was created.
 */
export function creationLine(stack: string, display?: (url: string) => string): string | undefined {
  for (const raw of stack.split('\n')) {
    const line = raw.trim();
    if (!line.startsWith('at ') || NOT_USER.test(line) || OWN.some((dir) => line.includes(dir))) continue;
    const m = /\(?((?:file:\/\/|\/|[A-Za-z]:\\)[^()\s]*?):(\d+):(\d+)\)?$/.exec(line);
    if (!m) continue;
    const file = m[1]!.startsWith('file:') ? (display ? display(m[1]!) : m[1]!) : m[1]!;
    return `${file.replace(/\?.*$/, '')}:${m[2]}:${m[3]}`;
  }
  return undefined;
}

/** A script URL as shown when no `display` is given: a file path relative to the working directory. */
function shownFile(url: string): string {
  if (!url.startsWith('file:')) return url;
  const path = fileURLToPath(url);
  const cwd = `${process.cwd()}/`;
  return path.startsWith(cwd) ? path.slice(cwd.length) : path;
}
