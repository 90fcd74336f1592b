/**
 * The globals guard: what the shared built-ins were when Steward was imported (before any plugin
 * ran), which of them code replaced since, by whom, and putting them back.
 *
 * Two groups, because they are replaced for different reasons:
 * - `builtin`: methods of the language's own objects (`Array.prototype.*`, `Object`,
 *   `Function.prototype.call`/`apply`/`bind`, `Promise` and its prototype, `Map`/`Set`/
 *   `WeakMap`/`WeakSet` prototypes, `String.prototype`, `Reflect`, `JSON`). Nothing a host can
 *   live with replaces these: everybody's code, Steward's and Node's included, calls them.
 * - `environment`: the host's globals (`setTimeout` and the other timers, `queueMicrotask`,
 *   `fetch`, `structuredClone`, `process.nextTick`/`on`/`emit`… and `process.exit`/`kill`/
 *   `abort`, whose expected value is Steward's guard while containment is on). Instrumenting
 *   these is something a plugin may mean to do while it runs.
 *
 * `detectGlobals(by)` compares every guarded slot with what it saw last and attributes what
 * changed to `by` (a plugin id, or undefined: changed by code outside any plugin hook).
 * `restoreGlobals` puts slots back to their original descriptors where the holder allows it
 * (a frozen holder does not) and says what it did. Only own slots that existed at import are
 * guarded: adding a method (a polyfill) is not replacing one.
 */
import { runOutsideComponents } from './attribution-context.js';
import { activeProcessGuard, isProcessGuard } from './containment.js';
import { ORIGINAL_PROCESS_METHODS } from './intrinsics.js';

/** Which group a guarded global is in (see the module comment). */
export type GlobalGroup = 'builtin' | 'environment';

/** One guarded global that was replaced. */
export interface GlobalReplacement {
  /** Its name, e.g. `Array.prototype.push`, `globalThis.setTimeout`, `process.exit`. */
  readonly name: string;
  readonly group: GlobalGroup;
  /** The plugin whose code was running when the change was first seen; undefined if none was. */
  readonly by: string | undefined;
  /** Whether it was put back (false: the holder is frozen or the property not configurable). */
  readonly restored: boolean;
}

interface Slot {
  readonly name: string;
  readonly group: GlobalGroup;
  readonly holder: object;
  readonly key: PropertyKey;
  /** The value at import (own or inherited, as `holder[key]` read it). */
  readonly original: unknown;
  /** Its own descriptor at import; undefined when it was inherited (`process.on`). */
  readonly descriptor: PropertyDescriptor | undefined;
  /** The value last seen (to attribute each change once). */
  seen: unknown;
  /** Who replaced it, once seen replaced. */
  by: string | undefined;
  replaced: boolean;
}

const getOwn = Object.getOwnPropertyDescriptor;
const define = Object.defineProperty;
const ownNames = Object.getOwnPropertyNames;
const ReflectApply = Reflect.apply;
const ArrayPush = Array.prototype.push;

/** `holder[key]` now (a property read: no allocation, cheap enough to run around every hook). */
function read(holder: object, key: PropertyKey): unknown {
  return (holder as Record<PropertyKey, unknown>)[key];
}

const slots: Slot[] = [];

function guard(group: GlobalGroup, prefix: string, holder: object, keys?: readonly PropertyKey[]): void {
  const all: PropertyKey[] = keys ? [...keys] : ownNames(holder);
  if (!keys && Symbol.iterator in holder) all.push(Symbol.iterator);
  for (const key of all) {
    const descriptor = getOwn(holder, key);
    if (descriptor !== undefined && !('value' in descriptor)) continue; // accessors are not methods
    const value = read(holder, key);
    if (typeof value !== 'function' || key === 'constructor') continue;
    const name = `${prefix}.${typeof key === 'symbol' ? `[${key.description}]` : key}`;
    slots.push({
      name,
      group,
      holder,
      key,
      original: value,
      descriptor,
      seen: value,
      by: undefined,
      replaced: false,
    });
  }
}

guard('builtin', 'Array.prototype', Array.prototype);
guard('builtin', 'Array', Array, ['from', 'of', 'isArray']);
guard('builtin', 'Object', Object);
guard('builtin', 'Object.prototype', Object.prototype, [
  'hasOwnProperty',
  'isPrototypeOf',
  'propertyIsEnumerable',
  'toString',
  'valueOf',
]);
guard('builtin', 'Function.prototype', Function.prototype, ['call', 'apply', 'bind', 'toString']);
guard('builtin', 'Promise', Promise);
guard('builtin', 'Promise.prototype', Promise.prototype);
for (const [name, ctor] of [
  ['Map', Map],
  ['Set', Set],
  ['WeakMap', WeakMap],
  ['WeakSet', WeakSet],
] as const) {
  guard('builtin', `${name}.prototype`, ctor.prototype);
}
// The string methods code (Steward's, Node's, a logger's) calls most; all 50 would double the check's cost.
guard('builtin', 'String.prototype', String.prototype, [
  'split',
  'slice',
  'substring',
  'replace',
  'replaceAll',
  'startsWith',
  'endsWith',
  'includes',
  'indexOf',
  'trim',
  'padStart',
  'padEnd',
  'toLowerCase',
  'toUpperCase',
  'match',
  Symbol.iterator,
]);
guard('builtin', 'Reflect', Reflect);
guard('builtin', 'JSON', JSON, ['parse', 'stringify']);
guard('builtin', 'globalThis', globalThis, ['Promise', 'Array', 'Object', 'Map', 'Set', 'Reflect']);
guard('environment', 'globalThis', globalThis, [
  'setTimeout',
  'clearTimeout',
  'setInterval',
  'clearInterval',
  'setImmediate',
  'clearImmediate',
  'queueMicrotask',
  'structuredClone',
  'fetch',
]);
guard('environment', 'process', process, [
  'exit',
  'kill',
  'abort',
  'nextTick',
  'on',
  'once',
  'off',
  'addListener',
  'removeListener',
  'emit',
  'emitWarning',
]);

const PROCESS_GUARDED: ReadonlySet<PropertyKey> = new Set(['exit', 'kill', 'abort']);

/** The value a slot should hold now: the original, or for process.exit/kill/abort Steward's guard. */
function isExpected(slot: Slot, value: unknown): boolean {
  if (slot.holder === process && PROCESS_GUARDED.has(slot.key)) {
    return value === ORIGINAL_PROCESS_METHODS[slot.key as 'exit' | 'kill' | 'abort'] || isProcessGuard(value);
  }
  return value === slot.original;
}

/**
 * Note every guarded global replaced since the last call, attributing it to `by` (the plugin
 * whose code just ran; undefined when it changed outside any plugin's hook). Returns the names
 * newly seen replaced. Cheap (a few hundred property reads); never throws.
 */
export function detectGlobals(by: string | undefined): string[] {
  markQuiet();
  const found: string[] = [];
  for (let i = 0; i < slots.length; i++) {
    const slot = slots[i]!;
    let value: unknown;
    try {
      value = read(slot.holder, slot.key);
    } catch {
      continue; // a hostile getter
    }
    if (value === slot.seen) continue;
    slot.seen = value;
    if (isExpected(slot, value)) {
      slot.replaced = false;
      slot.by = undefined;
      continue;
    }
    slot.replaced = true;
    slot.by = by;
    ReflectApply(ArrayPush, found, [slot.name]);
  }
  return found;
}

/** Whether no macrotask (timer, I/O callback, immediate) ran since the last `detectGlobals`. */
let quiet = false;
let marking = false;
const setImmediateOriginal = globalThis.setImmediate;

function markQuiet(): void {
  quiet = true;
  if (marking) return;
  marking = true;
  // Outside any component: this immediate is Steward's, never a plugin's leak.
  const immediate = runOutsideComponents(() =>
    ReflectApply(setImmediateOriginal, globalThis, [
      () => {
        quiet = false;
        marking = false;
      },
    ]),
  ) as { unref?: () => void };
  immediate.unref?.();
}

/**
 * `detectGlobals(undefined)` unless nothing but promise jobs ran since the last detection (then
 * nothing outside a hook could have replaced a global, bar a promise job): the check before each
 * hook, cheap when hooks run back to back (a host's start).
 */
export function detectGlobalsOutsideHooks(): string[] {
  return quiet ? [] : detectGlobals(undefined);
}

/** Which slots `restoreGlobals` puts back. */
export interface RestoreFilter {
  /** Only those replaced by this plugin. */
  readonly by?: string;
  /** Only those of this group. */
  readonly group?: GlobalGroup;
  /** Also those replaced outside any plugin hook (`by` undefined). Default true unless `by` is given. */
  readonly unknown?: boolean;
  /** Only those replaced outside any plugin hook. */
  readonly onlyUnknown?: boolean;
}

/**
 * Put replaced guarded globals back (after noting every change not seen yet, as by nobody). Returns
 * what was replaced and whether each was restored. Uses only references captured at import.
 */
export function restoreGlobalsWhere(filter: RestoreFilter = {}): GlobalReplacement[] {
  // Always a full look, never the quiet shortcut: a fault's claim runs this first, and the I/O
  // callbacks and timers of the current turn of the loop run before the shortcut's immediate —
  // a global one of them replaced would be left in place for the claim to break on.
  detectGlobals(undefined);
  const out: GlobalReplacement[] = [];
  const includeUnknown = filter.unknown ?? filter.by === undefined;
  for (let i = 0; i < slots.length; i++) {
    const slot = slots[i]!;
    if (!slot.replaced) continue;
    if (filter.group !== undefined && slot.group !== filter.group) continue;
    if (filter.onlyUnknown && slot.by !== undefined) continue;
    if (slot.by === undefined ? !includeUnknown : filter.by !== undefined && slot.by !== filter.by) continue;
    let restored = false;
    try {
      const guardNow =
        slot.holder === process && PROCESS_GUARDED.has(slot.key)
          ? activeProcessGuard(slot.key as 'exit' | 'kill' | 'abort')
          : undefined;
      const value = guardNow ?? slot.original;
      if (slot.descriptor !== undefined) define(slot.holder, slot.key, { ...slot.descriptor, value });
      else {
        // Inherited at import: drop the own property that shadows it (or, failing that, set one).
        delete (slot.holder as Record<PropertyKey, unknown>)[slot.key];
        if (read(slot.holder, slot.key) !== value) {
          define(slot.holder, slot.key, { value, writable: true, configurable: true, enumerable: false });
        }
      }
      restored = read(slot.holder, slot.key) === value;
    } catch {
      restored = false;
    }
    const entry: GlobalReplacement = { name: slot.name, group: slot.group, by: slot.by, restored };
    ReflectApply(ArrayPush, out, [entry]);
    if (restored) {
      slot.replaced = false;
      slot.by = undefined;
      slot.seen = read(slot.holder, slot.key);
    }
  }
  return out;
}

/** One line per replacement, for a log: `Array.prototype.push, replaced by plugin "x": restored`. */
export function describeReplacement(r: GlobalReplacement): string {
  return (
    `${r.name}, replaced by ${r.by === undefined ? 'code outside any plugin hook' : `plugin "${r.by}"`}: ` +
    (r.restored ? 'restored' : 'could not be restored (its holder is frozen or the property is locked)')
  );
}

/**
 * At shutdown: put back every replaced guarded global, whoever replaced it (the process is
 * ending; its cleanup must run on the real built-ins). Returns log lines.
 */
export function restoreGlobals(reason: string): string[] {
  const lines: string[] = [];
  const restored = restoreGlobalsWhere({});
  for (let i = 0; i < restored.length; i++) {
    ReflectApply(ArrayPush, lines, [`${reason}: global ${describeReplacement(restored[i]!)}`]);
  }
  return lines;
}
