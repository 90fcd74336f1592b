/**
 * Detached-element detection. An element a component mounted is removed at the component's
 * cleanup and from then on held only weakly. If it is still alive after garbage collection,
 * something kept it — a listener on `window`, a cache, a timer's closure — and the whole detached
 * tree with it: a `leakDetected` finding of kind `detached-element` names the component, the
 * element and, where Steward knows them, the records that hold it.
 *
 * Two ways to look: automatically, after two full collections the page ran anyway (see
 * gc-clock.ts; nothing is forced), or at once with `checkDetached()` after the caller forced a
 * collection (a test: CDP `HeapProfiler.collectGarbage`, or `gc()` with `--js-flags=--expose-gc`).
 */
import type { Component, ResourceManager } from '../core/index.js';
import { type ElementDescription, selectorOf } from './describe.js';
import type { DetachedElementFinding, DetachedHolder } from './finding.js';
import { GcClock } from './gc-clock.js';
import { DomListener } from './listener.js';

export type { DetachedElementFinding, DetachedHolder } from './finding.js';

interface Entry {
  readonly ref: WeakRef<Element>;
  readonly component: Component;
  readonly element: ElementDescription;
  readonly stack: string | undefined;
  readonly detachedAt: number;
  /** The canary generation whose collection confirms this element should be gone. */
  readonly confirmAt: number;
  reported: boolean;
}

/** Marks a watched element (and the canaries): shows in DevTools and heap snapshots. */
export const DETACHED_MARK: unique symbol = Symbol.for('steward.detached');

const entries = new Set<Entry>();
const collectedRegistry = new FinalizationRegistry<Entry>((entry) => entries.delete(entry));
let canaryDocument: Document | undefined;
let scheduled = false;
const clock = new GcClock(
  () => {
    const canary = (canaryDocument ?? document).createElement('steward-gc-canary');
    (canary as unknown as Record<symbol, unknown>)[DETACHED_MARK] = 'canary';
    return canary;
  },
  () => {
    // Out of the finalization job: a WeakRef read inside it would keep its target for the job.
    if (scheduled) return;
    scheduled = true;
    setTimeout(() => {
      scheduled = false;
      report(entries, (e) => e.confirmAt <= clock.collected);
    }, 0);
  },
);

/**
 * @internal Watch `element`, just removed by the cleanup of `component`. `described` was read
 * before the removal; `stack` is where it was mounted.
 */
export function watchDetached(
  element: Element,
  component: Component,
  described: ElementDescription,
  stack: string | undefined,
): void {
  canaryDocument ??= element.ownerDocument;
  (element as unknown as Record<symbol, unknown>)[DETACHED_MARK] = component.id;
  const entry: Entry = {
    ref: new WeakRef(element),
    component,
    element: described,
    stack,
    detachedAt: Date.now(),
    confirmAt: clock.request(),
    reported: false,
  };
  entries.add(entry);
  collectedRegistry.register(element, entry);
}

/** Options of `checkDetached`. */
export interface CheckDetachedOptions {
  /** Only elements of this manager's components. Default: every manager of the page. */
  readonly manager?: ResourceManager;
}

/**
 * Every element a component mounted that is still alive after that component's cleanup. Call it
 * after forcing a garbage collection (it cannot tell "not collected yet" from "leaked"): each is
 * then a finding, reported once as a `leakDetected` event of kind `detached-element`; every call
 * returns all of them. Elements put back into a document since are no findings (dropped).
 */
export function checkDetached(options: CheckDetachedOptions = {}): DetachedElementFinding[] {
  const manager = options.manager;
  return report(entries, (e) => manager === undefined || e.component.manager === manager);
}

/** How many removed elements are still waiting for a collection (alive, not yet reported). */
export function pendingDetached(manager?: ResourceManager): number {
  let n = 0;
  for (const e of entries) {
    if ((manager === undefined || e.component.manager === manager) && !e.reported && e.ref.deref()) n++;
  }
  return n;
}

/**
 * @internal Whether every removed element (of `manager`, if given) is decided: collected, or
 * still alive after the two full collections that confirm a leak.
 */
export function detachedSettled(manager?: ResourceManager): boolean {
  for (const e of entries) {
    if (manager !== undefined && e.component.manager !== manager) continue;
    if (e.confirmAt > clock.collected && e.ref.deref() !== undefined) return false;
  }
  return true;
}

function report(from: Iterable<Entry>, include: (e: Entry) => boolean): DetachedElementFinding[] {
  const findings: DetachedElementFinding[] = [];
  for (const entry of [...from]) {
    if (!include(entry)) continue;
    const element = entry.ref.deref();
    if (element === undefined) {
      entries.delete(entry);
      continue;
    }
    if (element.isConnected) {
      entries.delete(entry); // back in a document: somebody else's element now
      continue;
    }
    const finding = toFinding(entry, element);
    findings.push(finding);
    if (!entry.reported) {
      entry.reported = true;
      entry.component.manager.reportLeak({
        kind: 'detached-element',
        component: entry.component,
        message: finding.message,
        stack: finding.stack,
      });
    }
  }
  return findings;
}

function toFinding(entry: Entry, element: Element): DetachedElementFinding {
  const { component } = entry;
  const holders = findHolders(element, component.manager);
  const held = holders.length
    ? `Held by ${holders.map(describeHolder).join('; ')}.`
    : 'No record Steward knows holds it: look for a listener added without the ledger, a cache or a timer ' +
      "closure that keeps it (a heap snapshot's retainers, or steward/testing's detachedElements(), show the path).";
  return {
    kind: 'detached-element',
    component: component.id,
    componentType: component.type,
    element: entry.element,
    message:
      `Element ${selectorOf(element)} (${entry.element.path}) of ${component.type} "${component.id}" is still in ` +
      `memory after the component's cleanup removed it: a detached DOM tree. ${held}`,
    ...(entry.stack ? { stack: entry.stack } : {}),
    holders,
    detachedAt: entry.detachedAt,
  };
}

function describeHolder(h: DetachedHolder): string {
  return h.kind === 'listener'
    ? `a "${h.event}" listener of "${h.component}" (#${h.resource}) on a node inside it`
    : `${h.type} #${h.resource} of "${h.component}"`;
}

/** Records of live components whose value is, or listens on, a node inside `root`. */
function findHolders(root: Element, manager: ResourceManager): DetachedHolder[] {
  const holders: DetachedHolder[] = [];
  for (const component of manager.components()) {
    for (const record of component.resources()) {
      const value = record.value;
      const listener = value instanceof DomListener;
      const node = listener ? value.target : value;
      if (!isNode(node) || !root.contains(node)) continue;
      const stack = record.stack;
      holders.push({
        kind: listener ? 'listener' : 'resource',
        component: component.id,
        type: record.type,
        resource: record.id,
        ...(listener ? { event: value.type } : {}),
        ...(stack ? { stack } : {}),
      });
    }
  }
  return holders;
}

function isNode(value: unknown): value is Node {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as Node).nodeType === 'number' &&
    'contains' in value
  );
}

/** The page-wide hook `steward/testing` drives over the DevTools protocol (one per copy loaded). */
export interface DetachedHook {
  readonly version: 1;
  checkDetached(): DetachedElementFinding[];
  /** The elements of the current findings, for a heap snapshot's retainer paths. */
  detachedElements(): Element[];
}

const HOOK_KEY = Symbol.for('steward.dom');
const hooks = ((globalThis as Record<symbol, unknown>)[HOOK_KEY] ??= []) as DetachedHook[];
hooks.push({
  version: 1,
  checkDetached: () => checkDetached(),
  detachedElements: () => {
    const out: Element[] = [];
    for (const e of entries) {
      const el = e.ref.deref();
      if (el && !el.isConnected) out.push(el);
    }
    return out;
  },
});
