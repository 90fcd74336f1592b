/**
 * What handle attribution knows about each kind of Node async resource: which async_hooks
 * types are recorded, how to find the user-facing object (the `net.Server`, the
 * `ChildProcess`…) behind a native handle, whether it is still alive, how to reclaim it,
 * and how to describe it in a leak report.
 *
 * Liveness is read at check time from public state where Node has it (`socket.destroyed`,
 * `server.listening`, `child.exitCode`/`signalCode`, `worker.threadId`) and from the
 * handle otherwise (`_destroyed` of timers, `hasRef()` of ports) — so no `destroy` hook is
 * needed, which is what keeps attribution cheap.
 */
import type { ChildProcess } from 'node:child_process';
import type { Server, Socket } from 'node:net';
import type { MessagePort, Worker } from 'node:worker_threads';
import { descendants, signalAll } from './process-tree.js';

/** The kinds of handle attribution records. */
export type HandleKind =
  | 'timer'
  | 'immediate'
  | 'socket'
  | 'server'
  | 'udp'
  | 'process'
  | 'watcher'
  | 'worker'
  | 'port'
  | 'listener';

/**
 * A listener a component's code added to an emitter that outlives it (`process`, another
 * plugin's service): recorded by `attribution-listeners.ts`, not by the async hook.
 */
export interface ListenerHandle {
  readonly emitter: import('node:events').EventEmitter;
  readonly event: string | symbol;
  readonly listener: (...args: unknown[]) => void;
  /** Whose emitter: `process`, `service "bus"`. */
  readonly label: string;
}

/** Whether `l` was added with `once` (Node wraps it; the wrapper's `listener` is the original). */
function addedOnce(l: ListenerHandle): boolean {
  return l.emitter
    .rawListeners(l.event)
    .some((f) => f !== l.listener && (f as { listener?: unknown }).listener === l.listener);
}

/** async_hooks resource type → kind. Every other type (PROMISE, TickObject, FSREQCALLBACK…) is ignored. */
export const RECORDED_TYPES: Readonly<Record<string, HandleKind>> = Object.assign(Object.create(null), {
  Timeout: 'timer',
  Immediate: 'immediate',
  TCPWRAP: 'socket',
  PIPEWRAP: 'socket',
  TCPSERVERWRAP: 'server',
  PIPESERVERWRAP: 'server',
  UDPWRAP: 'udp',
  PROCESSWRAP: 'process',
  FSEVENTWRAP: 'watcher',
  STATWATCHER: 'watcher',
  MESSAGEPORT: 'port',
  // Not FILEHANDLE: Node creates a `fs.promises` FileHandle outside any async context (in
  // native code, after the open completed), so it cannot be attributed to the code that opened it.
  // WORKER handles are recorded through the `worker_threads` diagnostics channel, which gives the Worker itself.
});

let ownerSymbol: symbol | undefined | null = null;

/** Node's internal `owner_symbol`, found by description on a handle that has it. */
function findOwnerSymbol(handle: object): symbol | undefined {
  if (ownerSymbol === null || ownerSymbol === undefined) {
    const found = Object.getOwnPropertySymbols(handle).find((s) => s.description === 'owner_symbol');
    if (found !== undefined) ownerSymbol = found;
    return found;
  }
  return ownerSymbol;
}

/**
 * The user-facing object behind a native handle (net.Socket/Server, ChildProcess, FSWatcher,
 * StatWatcher, dgram.Socket), or the resource itself for timers, immediates, ports, workers
 * and listeners.
 */
export function ownerOf(kind: HandleKind, resource: object): object {
  if (kind !== 'socket' && kind !== 'server' && kind !== 'process' && kind !== 'watcher' && kind !== 'udp')
    return resource;
  const symbol = findOwnerSymbol(resource);
  const owner = symbol === undefined ? undefined : (resource as Record<symbol, unknown>)[symbol];
  return owner !== null && typeof owner === 'object' ? owner : resource;
}

type Loose = Record<string, unknown> & { hasRef?: () => boolean; close?: () => void };

function handleHasRef(resource: object): boolean {
  const hasRef = (resource as Loose).hasRef;
  return typeof hasRef === 'function' ? Boolean(hasRef.call(resource)) : false;
}

/** Whether the handle is still open (a timer still pending, a socket not destroyed…). */
export function isHandleAlive(kind: HandleKind, resource: object, owner: object): boolean {
  const o = owner as Loose;
  switch (kind) {
    case 'timer':
    case 'immediate':
      return typeof o._destroyed === 'boolean' ? !o._destroyed : handleHasRef(resource);
    case 'socket':
      return owner !== resource ? o.destroyed === false : handleHasRef(resource);
    case 'server':
      return owner !== resource ? o.listening === true : handleHasRef(resource);
    case 'process':
      return owner !== resource ? o.exitCode === null && o.signalCode === null : handleHasRef(resource);
    case 'watcher':
      return owner !== resource ? o._handle !== null && o._handle !== undefined : handleHasRef(resource);
    case 'worker':
      return (owner as Worker).threadId !== -1;
    case 'port':
    case 'udp':
      return handleHasRef(resource);
    case 'listener': {
      const l = resource as ListenerHandle;
      return l.emitter.listeners(l.event).includes(l.listener);
    }
  }
}

/** Close the handle the way its owner would: clear, destroy, close, kill (SIGKILL) or terminate. */
export function reclaimHandle(kind: HandleKind, resource: object, owner: object): void {
  switch (kind) {
    case 'timer':
      clearTimeout(owner as NodeJS.Timeout);
      return;
    case 'immediate':
      clearImmediate(owner as NodeJS.Immediate);
      return;
    case 'socket':
      if (owner !== resource) (owner as Socket).destroy();
      else (resource as Loose).close?.();
      return;
    case 'server': {
      const server = owner as Server & { closeAllConnections?: () => void };
      if (owner === resource) (resource as Loose).close?.();
      else {
        server.close();
        server.closeAllConnections?.();
      }
      return;
    }
    case 'process':
      if (owner !== resource) {
        const child = owner as ChildProcess;
        // The whole tree: a shell's command (`exec`) would outlive the shell (Linux: /proc).
        const tree = child.pid !== undefined && child.exitCode === null ? descendants(child.pid) : [];
        child.kill('SIGKILL');
        signalAll(tree, 'SIGKILL');
        for (const stream of child.stdio) stream?.destroy();
      }
      return;
    case 'watcher': {
      const watcher = owner as Loose & { stop?: () => void };
      if (typeof watcher.close === 'function') watcher.close();
      else if (typeof watcher.stop === 'function') watcher.stop();
      return;
    }
    case 'worker':
      void (owner as Worker).terminate();
      return;
    case 'port':
      (owner as MessagePort).close();
      return;
    case 'udp':
      if (owner !== resource) (owner as Loose).close?.();
      return;
    case 'listener': {
      const l = resource as ListenerHandle;
      l.emitter.removeListener(l.event, l.listener);
      return;
    }
  }
}

function address(value: unknown): string {
  if (value === null || typeof value !== 'object') return typeof value === 'string' ? value : '?';
  const a = value as { address?: string; port?: number };
  return `${a.address}:${a.port}`;
}

/** A one-line description: `setInterval (1000 ms)`, `TCP server 127.0.0.1:4000`, `child process 42 (sleep)`… */
export function describeHandle(kind: HandleKind, asyncType: string, owner: object): string {
  const o = owner as Loose;
  try {
    switch (kind) {
      case 'timer':
        return `${o._repeat ? 'setInterval' : 'setTimeout'} (${o._idleTimeout} ms)`;
      case 'immediate':
        return 'setImmediate';
      case 'socket': {
        const s = owner as Socket;
        const remote = s.remoteAddress === undefined ? '' : ` to ${s.remoteAddress}:${s.remotePort}`;
        return `${asyncType === 'PIPEWRAP' ? 'pipe' : 'TCP socket'}${remote}`;
      }
      case 'server':
        return `${asyncType === 'PIPESERVERWRAP' ? 'pipe' : 'TCP'} server ${address((owner as Server).address?.())}`;
      case 'process': {
        const c = owner as ChildProcess;
        return `child process ${c.pid ?? '?'} (${c.spawnfile ?? '?'})`;
      }
      case 'watcher':
        return asyncType === 'STATWATCHER' ? 'fs.watchFile watcher' : 'fs.watch watcher';
      case 'worker':
        return `worker thread ${(owner as Worker).threadId}`;
      case 'port':
        return 'MessagePort';
      case 'udp':
        return 'UDP socket';
      case 'listener': {
        const l = owner as ListenerHandle;
        const event = typeof l.event === 'string' ? JSON.stringify(l.event) : String(l.event);
        return l.label === 'process'
          ? `process.${addedOnce(l) ? 'once' : 'on'}(${event}) listener`
          : `${event} listener on ${l.label}`;
      }
    }
  } catch {
    return asyncType;
  }
}
