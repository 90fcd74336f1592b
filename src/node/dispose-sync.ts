/**
 * The synchronous part of a manager's cleanup, for the moment when no more asynchronous work
 * can happen (`process.exit()`, the `exit` event). Same order as a normal cleanup: newest root
 * component first, children before their parent, within a component higher priority first and
 * then newest first. Every disposer is called; one returning a promise is not awaited (its
 * rejection is still reported by the core), one throwing is counted and the sweep goes on.
 * Components are left in their state (the process is ending); their records are released.
 */
import type { Component, ResourceManager } from '../core/index.js';

/** What `disposeSync` did. */
export interface SyncDisposal {
  /** Disposers called (including those that returned a promise). */
  released: number;
  /** Disposers that threw. */
  failed: number;
}

function sweep(component: Component, out: SyncDisposal): void {
  const children = component.children;
  for (let i = children.length - 1; i >= 0; i--) sweep(children[i]!, out);
  // Newest first; a stable sort by priority (read once each: it lives in a side table) keeps that
  // order within a priority.
  const records = component
    .resources()
    .reverse()
    .map((record) => ({ record, priority: record.priority }));
  records.sort((a, b) => b.priority - a.priority);
  for (const { record } of records) {
    try {
      if (record.release()) out.released++;
    } catch {
      out.failed++; // reported as a disposerFailed event by the core
    }
  }
}

/** Run every remaining disposer of `manager` synchronously, in cleanup order. */
export function disposeSync(manager: ResourceManager): SyncDisposal {
  const out: SyncDisposal = { released: 0, failed: 0 };
  const roots = manager.components().filter((c) => c.parent === undefined || c.parent.state === 'destroyed');
  for (let i = roots.length - 1; i >= 0; i--) sweep(roots[i]!, out);
  return out;
}
