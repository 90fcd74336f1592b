/**
 * A host's claim on the faults of its inline plugins (src/node/containment.ts): an uncaught
 * exception, an unhandled rejection, `process.exit()`, `process.abort()` or
 * `process.kill(process.pid, …)` raised by a plugin's code becomes that plugin's failure
 * (phase `runtime`) instead of the process's.
 *
 * Whose fault it is, in this order:
 * 1. the plugin whose file is the top frame of the stack: its code threw (or called exit) — also
 *    when it runs in somebody else's context, e.g. a replaced `Array.prototype.push` that throws
 *    inside a neighbour's request handler;
 * 2. the plugin whose component was the async context the code ran in — the context of the code
 *    that scheduled the timer, promise job or listener (inline plugin code runs in its component,
 *    runtime-inline.ts): a library or Node threw on the plugin's behalf, or a non-Error was thrown;
 * 3. the plugin with a file anywhere in the stack (code armed at import, before any component
 *    existed, or a listener called from outside every plugin).
 * The error names the file:line:column of the plugin's code. Before anything else, the language
 * built-ins anybody replaced are put back (globals-guard.ts): the claim itself needs them.
 */
import { realpathSync } from 'node:fs';
import { sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Component, StewardError } from '../core/index.js';
import type { Fault, FaultClaimer, FaultKind } from '../node/containment.js';
import { describeReplacement, type GlobalReplacement, restoreGlobalsWhere } from '../node/globals-guard.js';
import type { PluginRecord, PluginRegistry } from './host-registry.js';
import type { LogSink } from './logger.js';

function describeValue(value: unknown): string {
  if (value instanceof Error) return `${value.name}: ${value.message}`;
  try {
    return typeof value === 'string' ? JSON.stringify(value) : String(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}

function what(fault: Fault): string {
  const args = fault.args.map((a) => (typeof a === 'string' ? JSON.stringify(a) : String(a))).join(', ');
  switch (fault.kind) {
    case 'uncaughtException':
      return `uncaught exception: ${describeValue(fault.error)}`;
    case 'unhandledRejection':
      return `unhandled promise rejection: ${describeValue(fault.error)}`;
    default:
      return `called process.${fault.kind}(${args}); Steward prevented it (a plugin cannot end its host: throw or return instead)`;
  }
}

/**
 * The failure of a running inline plugin outside its hooks: an uncaught error, an unhandled
 * rejection, or an exit/abort/kill of the host that was prevented. `cause` is what was thrown.
 * Code `STEWARD_PLUGIN_FAULT`; `kind` says which fault.
 */
export class PluginFaultError extends StewardError {
  /** The code of this class's errors. */
  static override readonly code = 'STEWARD_PLUGIN_FAULT';
  override name = 'PluginFaultError';
  constructor(
    /** The plugin. */
    readonly plugin: string,
    /** What happened. */
    readonly kind: FaultKind,
    /** `file:line:column` of the plugin's code that threw or called, when the stack names one. */
    readonly location: string | undefined,
    fault: Fault,
  ) {
    super(`Plugin "${plugin}"${location ? ` at ${location}` : ''}: ${what(fault)}`, {
      code: PluginFaultError.code,
      ...(fault.kind === 'uncaughtException' || fault.kind === 'unhandledRejection'
        ? { cause: fault.error }
        : {}),
    });
  }
}

/** A frame of a stack: file path and `path:line:column`. */
interface Frame {
  readonly path: string;
  readonly location: string;
}

const FRAME = /(?:\(|at )((?:file:\/\/)?\/[^()]*?|[A-Za-z]:\\[^()]*?):(\d+):(\d+)\)?\s*$/;

/** The file frames of `stack`, top first (`file://` URLs as paths, query strings dropped). */
export function stackFrames(stack: string | undefined): Frame[] {
  if (stack === undefined) return [];
  const frames: Frame[] = [];
  for (const line of stack.split('\n')) {
    const m = FRAME.exec(line);
    if (!m) continue;
    let file = m[1]!.replace(/\?.*$/, '');
    if (file.startsWith('file://')) {
      try {
        file = fileURLToPath(file);
      } catch {
        continue;
      }
    }
    frames.push({ path: file, location: `${file}:${m[2]}:${m[3]}` });
  }
  return frames;
}

/** What the host lends its containment. */
export interface ContainmentOptions {
  readonly registry: PluginRegistry;
  /** The plugin's code faulted: fail it. Called synchronously, from inside the process's handler. */
  readonly onFault: (record: PluginRecord, component: Component | undefined, error: PluginFaultError) => void;
  /** Built-ins were found replaced (and put back) when a fault arrived. */
  readonly onRestored: (replacements: readonly GlobalReplacement[]) => void;
}

/** One host's fault claimer. */
export class HostContainment implements FaultClaimer {
  readonly #o: ContainmentOptions;
  readonly #components = new WeakMap<Component, PluginRecord>();
  readonly #dirs = new Map<string, readonly string[]>();

  constructor(options: ContainmentOptions) {
    this.#o = options;
  }

  /** `component` is (was) the component of an activation of `record`. */
  adopt(component: Component, record: PluginRecord): void {
    this.#components.set(component, record);
  }

  claim(fault: Fault): Error | undefined {
    const restored = restoreGlobalsWhere({ group: 'builtin' });
    if (restored.length > 0) this.#o.onRestored(restored);
    const frames = stackFrames(fault.stack);
    const inContext = fault.component && this.#components.get(fault.component);
    let record = frames[0] && this.#ownerOf(frames[0].path);
    record ??= inContext;
    if (record === undefined) {
      for (const frame of frames) {
        record = this.#ownerOf(frame.path);
        if (record) break;
      }
    }
    if (record === undefined) return undefined;
    const location = this.#locationIn(record, frames);
    const error = new PluginFaultError(record.manifest.id, fault.kind, location, fault);
    // The activation the code belongs to, when the context says (else: the current one).
    this.#o.onFault(record, inContext === record ? fault.component : undefined, error);
    return error;
  }

  /** The first frame in the plugin's files, else the first frame outside Node and Steward. */
  #locationIn(record: PluginRecord, frames: readonly Frame[]): string | undefined {
    const dirs = this.#dirsOf(record);
    const own = frames.find((f) => dirs.some((d) => inside(f.path, d)));
    return own?.location ?? frames[0]?.location;
  }

  /** The inline plugin whose folder holds `path` (the innermost, should folders nest). */
  #ownerOf(path: string): PluginRecord | undefined {
    let best: PluginRecord | undefined;
    let bestLength = -1;
    for (const record of this.#o.registry.records()) {
      if (this.#o.registry.isolationOf(record.manifest) !== 'inline') continue;
      for (const dir of this.#dirsOf(record)) {
        if (dir.length > bestLength && inside(path, dir)) {
          best = record;
          bestLength = dir.length;
        }
      }
    }
    return best;
  }

  /** The plugin's folder as given and as resolved (Node reports a symlinked plugin by its real path). */
  #dirsOf(record: PluginRecord): readonly string[] {
    const dir = record.manifest.dir;
    let dirs = this.#dirs.get(dir);
    if (dirs === undefined) {
      let real = dir;
      try {
        real = realpathSync(dir);
      } catch {
        // gone: the path as given still matches
      }
      dirs = real === dir ? [dir] : [dir, real];
      this.#dirs.set(dir, dirs);
    }
    return dirs;
  }
}

function warn(log: LogSink, plugin: string, message: string): void {
  log({ level: 'warn', plugin, message, args: [], time: Date.now() });
}

/**
 * Plugin `id`'s hook replaced the guarded globals `names` (or, with none, globals were found
 * replaced before it ran). Built-ins of the language (`Array.prototype.push`…) are put back at
 * once — the host and every other plugin call them; host globals (`setTimeout`…) stay until the
 * plugin's activation ends. Both are reported to `log`.
 */
export function replacedGlobals(log: LogSink, id: string, names: readonly string[]): void {
  const restored = restoreGlobalsWhere({ group: 'builtin' });
  const now = new Set(restored.map((r) => r.name));
  for (const r of restored) warn(log, r.by ?? 'steward', `replaced global ${describeReplacement(r)}`);
  for (const name of names) {
    if (!now.has(name)) warn(log, id, `replaced global ${name}; it is put back when the plugin deactivates`);
  }
}

/** Report each replacement to `log` (under the plugin that made it, else `steward`). */
export function logReplacements(log: LogSink, replacements: readonly GlobalReplacement[]): void {
  for (const r of replacements) warn(log, r.by ?? 'steward', `replaced global ${describeReplacement(r)}`);
}

/**
 * Before a host's teardown (which runs Steward's code and every plugin's deactivate): put back
 * the language built-ins anybody replaced, the host globals the plugins `ids` replaced, and those
 * replaced outside any plugin hook (Steward cannot tell by whom: a plugin's timer, or the
 * application) — no replacement made by a plugin of this host survives it.
 */
export function restoreBeforeTeardown(log: LogSink, ids: readonly string[]): void {
  const restored = restoreGlobalsWhere({ group: 'builtin' });
  for (const r of restoreGlobalsWhere({ onlyUnknown: true })) restored.push(r);
  for (const id of ids) for (const r of restoreGlobalsWhere({ by: id })) restored.push(r);
  logReplacements(log, restored);
}

/** Plugin `id`'s activation is over: put back what it replaced, and report it to `log`. */
export function restoreGlobalsOf(log: LogSink, id: string): void {
  for (const r of restoreGlobalsWhere({ by: id })) warn(log, id, `replaced global ${describeReplacement(r)}`);
}

function inside(path: string, dir: string): boolean {
  return path === dir || path.startsWith(dir.endsWith(sep) ? dir : dir + sep);
}
