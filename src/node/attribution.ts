/**
 * Handle attribution (opt-in): every timer, immediate, TCP/pipe socket and server, UDP
 * socket, fs watcher, child process, worker and message port created while a component's
 * code runs (see `runInComponent`) is attributed to that component, even when the code never
 * tracked it; so is every listener it adds to `process` or to an EventEmitter another
 * component provides as a service (attribution-listeners.ts). (Not `fs.promises` file
 * handles: Node creates them outside any async context.) `checkHandles(component)` lists
 * those still alive — kind, description, creation stack — and can reclaim them (clear the
 * timer, destroy the socket, close the server, watcher or port, SIGKILL the process,
 * terminate the worker, remove the listener).
 *
 * Findings are the component's own: what Node or Steward created while its code was current
 * (Node's bookkeeping, a shutdown started from its error) is not reported (attribution-own.ts),
 * and the parts of a leak are folded into it (a child's stdio, a worker's ports).
 *
 * `enableAttribution({ manager })` also checks each component of `manager` when its cleanup
 * finishes (after its own disposers ran): what is still alive is reported through the
 * manager as `leakDetected` events of kind `untracked-handle`, and reclaimed with
 * `atCleanup: 'reclaim'`. Values the component tracked itself are never reported.
 */
import { StewardTypeError } from '../core/errors.js';
import type { Component, ResourceManager, Subscription } from '../core/index.js';
import {
  acquireHook,
  allTables,
  type HandleRecord,
  type HandleTable,
  hookEnabled,
  pruneAndForget,
  pruneTables,
  recordStack,
  tableOf,
} from './attribution-hook.js';
import { watchSessionListeners } from './attribution-listeners.js';
import { createdByRuntime } from './attribution-own.js';
import { withoutParts, withParts } from './attribution-parts.js';
import { describeHandle, type HandleKind, isHandleAlive, ownerOf, reclaimHandle } from './handle-kinds.js';

export type { HandleKind } from './handle-kinds.js';

/** A live handle attributed to a component. */
export interface AttributedHandle {
  /** The component whose code created it. */
  readonly component: Component;
  readonly kind: HandleKind;
  /** async_hooks type (`Timeout`, `TCPSERVERWRAP`, `PROCESSWRAP`…). */
  readonly type: string;
  /** One line: `setInterval (1000 ms)`, `TCP server 127.0.0.1:4000`, `child process 42 (sleep)`. */
  readonly description: string;
  /** Where it was created (only when attribution was enabled with `captureStacks`). */
  readonly stack: string | undefined;
  /** Creation time, ms since the epoch. */
  readonly createdAt: number;
  /** Creation sequence number (compare with `attributionSeq()`). */
  readonly seq: number;
  /** The user-facing object: the Timeout, net.Server, ChildProcess, Worker… */
  readonly owner: object;
  /** @internal the async resource (native handle or the owner itself). */
  readonly resource: object;
}

/** A handle left alive by a component, as reported by `checkHandles`. */
export interface HandleLeak {
  /** Id of the component. */
  readonly component: string;
  readonly kind: HandleKind;
  readonly type: string;
  readonly description: string;
  readonly stack: string | undefined;
  readonly createdAt: number;
  /** Whether it was reclaimed by this check. */
  readonly reclaimed: boolean;
  /** Why reclaiming failed, if it did. */
  readonly reclaimError?: unknown;
}

/** Options of `checkHandles`. */
export interface CheckHandlesOptions {
  /** Close what is found (see the module comment for how). Default false. */
  readonly reclaim?: boolean;
  /** Report each finding through the component's manager (`leakDetected`, kind `untracked-handle`). Default true. */
  readonly report?: boolean;
  /** Values not to report (default: the values the component currently tracks; a ChildProcess covers its stdio). */
  readonly exclude?: Iterable<unknown>;
}

/**
 * Whether `owner` is the process's own `process.stdout` or `process.stderr`. Node creates them
 * on first use, so the first component whose code touches them (a `new Worker()` pipes its
 * output to them) would be blamed for two pipes it does not own. (Node marks them `_isStdio`.)
 */
function isProcessStdio(owner: object): boolean {
  return (owner as { _isStdio?: unknown })._isStdio === true;
}

function resolve(table: HandleTable, record: HandleRecord): AttributedHandle | undefined {
  const resource = record.ref.deref();
  if (resource === undefined) return undefined;
  const owner = ownerOf(record.kind, resource);
  if (isProcessStdio(owner) || !isHandleAlive(record.kind, resource, owner)) return undefined;
  if (createdByRuntime(record.kind, record.trace, resource)) return undefined;
  return {
    component: table.component,
    kind: record.kind,
    type: record.asyncType,
    description: describeHandle(record.kind, record.asyncType, owner),
    stack: recordStack(record, owner),
    createdAt: record.createdAt,
    seq: record.seq,
    owner,
    resource,
  };
}

/** The live handles of `table` created after `since`, a leak's parts folded into it (attribution-parts.ts). */
function liveHandles(table: HandleTable, since: number): AttributedHandle[] {
  const out: AttributedHandle[] = [];
  for (const record of table.records) {
    if (record.seq <= since) continue;
    const handle = resolve(table, record);
    if (handle !== undefined) out.push(handle);
  }
  return withoutParts(out);
}

/** The live handles attributed to `component` (created after sequence number `since`, if given). */
export function attributedHandles(component: Component, since = 0): AttributedHandle[] {
  const table = tableOf(component);
  if (table === undefined) return [];
  pruneAndForget(table);
  return liveHandles(table, since);
}

/**
 * Every live attributed handle, of every component (including destroyed ones, whose handles
 * are leaks by definition) — optionally only of `manager`'s components and created after `since`.
 */
export function allAttributedHandles(
  options: { manager?: ResourceManager; since?: number } = {},
): AttributedHandle[] {
  pruneTables();
  const out: AttributedHandle[] = [];
  for (const table of allTables()) {
    if (options.manager !== undefined && table.component.manager !== options.manager) continue;
    out.push(...liveHandles(table, options.since ?? 0));
  }
  return out;
}

/** Close `handle` (see the module comment for how). Throws what the close method throws. */
export function reclaim(handle: AttributedHandle): void {
  reclaimHandle(handle.kind, handle.resource, handle.owner);
}

function trackedValues(component: Component): Set<unknown> {
  return withParts(component.resources().map((r) => r.value));
}

/** Turn live handles into leak findings: report them, reclaim them if asked. */
export function toLeaks(
  handles: readonly AttributedHandle[],
  options: { reclaim?: boolean; report?: boolean } = {},
): HandleLeak[] {
  return handles.map((handle) => {
    let reclaimed = false;
    let reclaimError: unknown;
    if (options.reclaim) {
      try {
        reclaim(handle);
        reclaimed = true;
      } catch (error) {
        reclaimError = error;
      }
    }
    const component = handle.component;
    if (options.report !== false) {
      component.manager.reportLeak({
        kind: 'untracked-handle',
        component,
        message:
          `${component.type} "${component.id}" left a ${handle.description} ` +
          (handle.kind === 'listener' ? 'attached that it never removed' : 'open that it never tracked') +
          (reclaimed ? ' (reclaimed).' : '.') +
          (handle.stack === undefined
            ? ' Enable attribution with captureStacks to see where it was created.'
            : ''),
        stack: handle.stack,
      });
    }
    return {
      component: component.id,
      kind: handle.kind,
      type: handle.type,
      description: handle.description,
      stack: handle.stack,
      createdAt: handle.createdAt,
      reclaimed,
      ...(reclaimError !== undefined ? { reclaimError } : {}),
    };
  });
}

/**
 * The handles `component`'s code created that are still alive and that it does not track:
 * reported through its manager and, with `reclaim`, closed. Only sees handles created while
 * attribution was enabled.
 */
export function checkHandles(component: Component, options: CheckHandlesOptions = {}): HandleLeak[] {
  const exclude = options.exclude === undefined ? trackedValues(component) : withParts(options.exclude);
  const handles = attributedHandles(component).filter(
    (h) => !exclude.has(h.owner) && !exclude.has(h.resource),
  );
  return toLeaks(handles, options);
}

/** Options of `enableAttribution`. */
export interface AttributionOptions {
  /** Check the components of this manager (or these managers) when their cleanup finishes. */
  readonly manager?: ResourceManager | readonly ResourceManager[];
  /** Capture a creation stack per attributed handle (costly; for tests and debugging). Default false. */
  readonly captureStacks?: boolean;
  /** At each component's cleanup: `report` leaks (default), `reclaim` them too, or `off`. */
  readonly atCleanup?: 'report' | 'reclaim' | 'off';
  /** Called with the leaks found at a component's cleanup (after they are reported). */
  readonly onLeaks?: (leaks: HandleLeak[], component: Component) => void;
}

/** An enabled attribution session; dispose it to stop (the hook stops with the last session). */
export interface Attribution extends Disposable {
  /** Whether this session is still on. */
  readonly active: boolean;
  /** Stop this session: unsubscribe from the managers, release the hook. Idempotent. */
  dispose(): void;
}

/**
 * Start attributing handles to components (see the module comment). Sessions stack: the
 * async hook runs while at least one is active. Throws TypeError on bad options.
 */
export function enableAttribution(options: AttributionOptions = {}): Attribution {
  if (options === null || typeof options !== 'object') {
    throw new StewardTypeError('enableAttribution(options): options must be an object.');
  }
  const atCleanup = options.atCleanup ?? 'report';
  if (atCleanup !== 'report' && atCleanup !== 'reclaim' && atCleanup !== 'off') {
    throw new StewardTypeError(
      `enableAttribution(): atCleanup must be 'report', 'reclaim' or 'off' (got ${String(atCleanup)}).`,
    );
  }
  const managers =
    options.manager === undefined ? [] : Array.isArray(options.manager) ? options.manager : [options.manager];
  const release = acquireHook(options.captureStacks === true);
  const unwatch = watchSessionListeners(managers as readonly ResourceManager[]);
  const subscriptions: Subscription[] = [];
  if (atCleanup !== 'off') {
    const tracked = new WeakMap<Component, Set<unknown>>();
    for (const manager of managers as ResourceManager[]) {
      subscriptions.push(
        manager.on('cleanupStarted', ({ component }) => {
          if (tableOf(component) !== undefined) tracked.set(component, trackedValues(component));
        }),
        manager.on('cleanupFinished', ({ component }) => {
          if (tableOf(component) === undefined) return;
          const exclude = tracked.get(component) ?? new Set();
          tracked.delete(component);
          const leaks = checkHandles(component, { exclude, reclaim: atCleanup === 'reclaim' });
          if (leaks.length > 0) options.onLeaks?.(leaks, component);
        }),
      );
    }
  }
  let active = true;
  const dispose = (): void => {
    if (!active) return;
    active = false;
    for (const s of subscriptions) s.dispose();
    unwatch();
    release();
  };
  return {
    get active() {
      return active;
    },
    dispose,
    [Symbol.dispose]: dispose,
  };
}

/** Whether any attribution session is active. */
export function attributionEnabled(): boolean {
  return hookEnabled();
}

export { currentSeq as attributionSeq } from './attribution-hook.js';
