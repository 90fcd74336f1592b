/**
 * The parts of a handle: what Node creates along with it and closes with it. A part is not a
 * leak of its own — a leaked child process is one finding, not also its stdio pipes and IPC
 * channel; a leaked worker is one, not also its message ports; a leaked http server is one,
 * not also its connection-checking interval. And a part of something a component tracks is
 * tracked too (a tracked ChildProcess covers its stdio and IPC channel).
 * The internal fields are found by symbol description, as `owner_symbol` is: read, never written.
 */
import type { ChildProcess } from 'node:child_process';
import type { AttributedHandle } from './attribution.js';

/** The internal fields of a Worker holding its message ports. */
const WORKER_PARTS = new Set(['kPort', 'kPublicPort']);
/** The internal field of a forked ChildProcess holding its IPC pipe. */
const CHILD_PARTS = new Set(['kChannelHandle']);
/** Node's http/https server keeps a `setInterval` to check connection timeouts. */
const SERVER_PARTS = new Set(['http.server.connectionsCheckingInterval']);

/** The values of `value`'s own symbol-keyed fields whose symbol description is in `names`. */
function symbolValues(value: object, names: ReadonlySet<string>): unknown[] {
  return Object.getOwnPropertySymbols(value)
    .filter((sym) => sym.description !== undefined && names.has(sym.description))
    .map((sym) => (value as Record<symbol, unknown>)[sym]);
}

/** The parts of a child process: its stdio streams and its IPC pipe. */
function childParts(child: object): unknown[] {
  const stdio = (child as Partial<ChildProcess>).stdio;
  return [...(Array.isArray(stdio) ? stdio.filter(Boolean) : []), ...symbolValues(child, CHILD_PARTS)];
}

/** `handles` without those that are parts of another one in the list. */
export function withoutParts(handles: AttributedHandle[]): AttributedHandle[] {
  const parts = new Set<unknown>();
  for (const h of handles) {
    if (h.kind === 'process') for (const part of childParts(h.owner)) parts.add(part);
    else if (h.kind === 'worker') for (const port of symbolValues(h.owner, WORKER_PARTS)) parts.add(port);
    else if (h.kind === 'server') for (const timer of symbolValues(h.owner, SERVER_PARTS)) parts.add(timer);
  }
  return parts.size === 0 ? handles : handles.filter((h) => !parts.has(h.owner) && !parts.has(h.resource));
}

/** `values` plus their parts: what a component tracks covers what belongs to it. */
export function withParts(values: Iterable<unknown>): Set<unknown> {
  const out = new Set<unknown>();
  for (const value of values) {
    out.add(value);
    if (value === null || typeof value !== 'object') continue;
    if (Array.isArray((value as { stdio?: unknown }).stdio))
      for (const part of childParts(value)) out.add(part);
  }
  return out;
}
