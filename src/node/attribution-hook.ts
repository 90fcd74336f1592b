/**
 * The one async_hooks hook behind handle attribution, and the per-component tables it fills.
 *
 * Cost model (see bench/attribution.bench.ts): the hook has only an `init` callback — no
 * `destroy`/`promiseResolve`/`before`/`after`, which is what makes classic async_hooks
 * tooling slow — and is created with `trackPromises: false`: on Node versions that support it
 * (added January 2026: 26.x and recent 24.x, e.g. 24.21) promises never reach it at all;
 * elsewhere (Node 20) every promise goes through Node's promise hooks — the main cost there —
 * and is dropped after one string comparison. A recorded handle costs a small object and a
 * `WeakRef` (plus a stack trace when asked); nothing is recorded when no component is
 * current. Liveness is decided at check time.
 * Workers come from the `worker_threads` diagnostics channel, which hands over the Worker.
 *
 * Tables never grow without bound: when a table doubles, records of handles that are closed
 * or collected are dropped (records younger than one second are kept: their owner object may
 * not be attached yet).
 */
import { createHook, type HookCallbacks } from 'node:async_hooks';
import dc from 'node:diagnostics_channel';
import type { Component } from '../core/index.js';
import { componentStorage } from './attribution-context.js';
import { type HandleKind, isHandleAlive, ownerOf, RECORDED_TYPES } from './handle-kinds.js';

/** One async resource created while a component's code ran. */
export interface HandleRecord {
  /** Global creation sequence number (monotonic). */
  readonly seq: number;
  readonly kind: HandleKind;
  /** The async_hooks type (`Timeout`, `TCPSERVERWRAP`…). */
  readonly asyncType: string;
  /** The resource, held weakly. */
  readonly ref: WeakRef<object>;
  /** Creation stack, unformatted (only while some session asked for stacks); see `recordStack`. */
  readonly trace: StackTrace | undefined;
  /** Creation time, ms since the epoch. */
  readonly createdAt: number;
}

/** The records of one component. */
export interface HandleTable {
  readonly component: Component;
  records: HandleRecord[];
  pruneAt: number;
}

const tables = new Map<Component, HandleTable>();
let tablesPruneAt = 256;
let seq = 0;
let users = 0;
let stackUsers = 0;
const YOUNG_MS = 1000;
const LISTEN_CHANNEL = 'tracing:net.server.listen:asyncStart';
/** Frames of Node itself (`node:net`, `node:internal/…`) and native frames: the user's code is what matters. */
export const INTERNAL_FRAME = /\(node:|at node:|\(<anonymous>\)|\(native\)/;

/** A captured, not yet formatted stack (V8 formats `stack` on first read: capture is the cheap part). */
export type StackTrace = { readonly stack?: string };

function captureTrace(above: Function): StackTrace {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 40;
  const holder: { stack?: string } = {};
  Error.captureStackTrace(holder, above);
  Error.stackTraceLimit = limit;
  return holder;
}

/** The frames of the user's code in `trace` (Node's own frames dropped), at most 20. */
export function userFrames(trace: StackTrace): string[] {
  return (trace.stack ?? '')
    .split('\n')
    .slice(1)
    .filter((line) => !INTERNAL_FRAME.test(line))
    .slice(0, 20);
}

/**
 * Where each server attributed to a component called `listen()` (only while stacks are on):
 * its handle is often created later, in a lookup callback where no user frame is on the stack.
 */
const listenTraces = new WeakMap<object, StackTrace>();

function onListen(message: unknown): void {
  const server = (message as { server?: unknown } | null)?.server;
  if (stackUsers > 0 && server !== null && typeof server === 'object' && componentStorage.getStore()) {
    listenTraces.set(server, captureTrace(onListen));
  }
}

/** The creation stack of a record, formatted (undefined when stacks were off at creation). */
export function recordStack(record: HandleRecord, owner: object): string | undefined {
  if (record.trace === undefined) return undefined;
  const frames = userFrames(record.trace);
  if (frames.length > 0)
    return `${record.kind === 'listener' ? 'Listener added' : 'Handle created'} here:\n${frames.join('\n')}`;
  const listen = listenTraces.get(owner);
  if (listen !== undefined) return `Server listen() called here:\n${userFrames(listen).join('\n')}`;
  return 'Handle created by Node itself (no frame of your code on the stack).';
}

function isLive(record: HandleRecord, now: number, keepYoung: boolean): boolean {
  if (keepYoung && now - record.createdAt < YOUNG_MS) return true;
  const resource = record.ref.deref();
  return resource !== undefined && isHandleAlive(record.kind, resource, ownerOf(record.kind, resource));
}

/**
 * Drop records of closed or collected handles from `table`. Inside the hook (`keepYoung`),
 * records younger than a second are kept: their owner object may not be attached yet.
 */
export function pruneTable(table: HandleTable, keepYoung = false): void {
  const now = Date.now();
  table.records = table.records.filter((r) => isLive(r, now, keepYoung));
  table.pruneAt = Math.max(64, table.records.length * 2);
}

/**
 * Prune `table` and forget it if its component is destroyed and nothing of it is alive (so
 * the table retains neither the component nor, through creation stacks, the plugin's code).
 */
export function pruneAndForget(table: HandleTable, keepYoung = false): void {
  pruneTable(table, keepYoung);
  if (table.records.length === 0 && table.component.state === 'destroyed') tables.delete(table.component);
}

/** Prune every table (see `pruneAndForget`). */
export function pruneTables(keepYoung = false): void {
  for (const table of tables.values()) pruneAndForget(table, keepYoung);
  tablesPruneAt = Math.max(256, tables.size * 2);
}

/**
 * Record `resource` as created by `component`'s code (also used for what the async hook does
 * not see: workers, listeners). `above` is the frame the creation stack starts above.
 */
export function record(
  component: Component,
  kind: HandleKind,
  asyncType: string,
  resource: object,
  above: Function,
): void {
  let table = tables.get(component);
  if (table === undefined) {
    if (tables.size >= tablesPruneAt) pruneTables(true);
    table = { component, records: [], pruneAt: 64 };
    tables.set(component, table);
  } else if (table.records.length >= table.pruneAt) {
    pruneTable(table, true);
  }
  table.records.push({
    seq: ++seq,
    kind,
    asyncType,
    ref: new WeakRef(resource),
    trace: stackUsers > 0 ? captureTrace(above) : undefined,
    createdAt: Date.now(),
  });
}

function init(_asyncId: number, type: string, _trigger: number, resource: object): void {
  if (type === 'PROMISE') return;
  const kind = RECORDED_TYPES[type];
  if (kind === undefined) return;
  const component = componentStorage.getStore();
  if (component !== undefined) record(component, kind, type, resource, init);
}

function onWorker(message: unknown): void {
  const component = componentStorage.getStore();
  const worker = (message as { worker?: unknown } | null)?.worker;
  if (component !== undefined && worker !== null && typeof worker === 'object') {
    record(component, 'worker', 'WORKER', worker, onWorker);
  }
}

// `trackPromises` (recent 24.x, 26.x) keeps promises out of the hook entirely; older versions ignore it.
const hook = createHook({ init, trackPromises: false } as HookCallbacks);

/**
 * Turn recording on for one more user (with creation stacks if `stacks`). Returns the
 * function that turns it off for that user; the hook is disabled when the last user leaves.
 */
export function acquireHook(stacks: boolean): () => void {
  if (users++ === 0) {
    hook.enable();
    dc.subscribe('worker_threads', onWorker);
    dc.subscribe(LISTEN_CHANNEL, onListen);
  }
  if (stacks) stackUsers++;
  let released = false;
  return () => {
    if (released) return;
    released = true;
    if (stacks) stackUsers--;
    if (--users === 0) {
      hook.disable();
      dc.unsubscribe('worker_threads', onWorker);
      dc.unsubscribe(LISTEN_CHANNEL, onListen);
    }
  };
}

/** Whether recording is on. */
export function hookEnabled(): boolean {
  return users > 0;
}

/** The table of `component`, if it ever created a recorded handle. */
export function tableOf(component: Component): HandleTable | undefined {
  return tables.get(component);
}

/** Every table (components with recorded handles). */
export function allTables(): HandleTable[] {
  return [...tables.values()];
}

/** The sequence number of the newest record (0 if none): records after it have a larger `seq`. */
export function currentSeq(): number {
  return seq;
}
