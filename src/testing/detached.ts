/**
 * "This tab left no detached elements", asserted from the test runner over the DevTools protocol
 * (playwright's `CDPSession`, puppeteer's, or any object with the same `send`/`on`/`off`): force
 * full collections in the page, ask the page's `steward/dom` what outlived its component, and —
 * what a page cannot see — take a heap snapshot and name the shortest chain of references that
 * keeps each element alive, closures with their source location.
 */

import { StewardError } from '../core/errors.js';
import { DetachedElementsError } from '../dom/errors.js';
import type { DetachedElementFinding } from '../dom/finding.js';
import { formatRetainerPath, HeapSnapshot } from './heap-snapshot.js';

/** The DevTools protocol session the helpers need (playwright's and puppeteer's `CDPSession` fit). */
export interface DevToolsSession {
  send(method: string, params?: object): Promise<unknown>;
  // biome-ignore lint/suspicious/noExplicitAny: payloads differ per event; each caller knows its own.
  on(event: string, listener: (params: any) => void): unknown;
  // biome-ignore lint/suspicious/noExplicitAny: as for on().
  off(event: string, listener: (params: any) => void): unknown;
}

/** Options of `detachedElements` and `expectNoDetachedElements`. */
export interface DetachedElementsOptions {
  /** Add each element's retainer path from a heap snapshot. Default true. */
  readonly retainers?: boolean;
}

const HOOK = "(globalThis[Symbol.for('steward.dom')] ?? [])";

interface RemoteObject {
  readonly objectId?: string;
  readonly value?: unknown;
}

async function evaluate(
  session: DevToolsSession,
  expression: string,
  byValue: boolean,
): Promise<RemoteObject> {
  const reply = (await session.send('Runtime.evaluate', {
    expression,
    returnByValue: byValue,
    ...(byValue ? {} : { objectGroup: 'steward-detached' }),
  })) as { result: RemoteObject; exceptionDetails?: { text: string; exception?: { description?: string } } };
  if (reply.exceptionDetails) {
    throw new StewardError(
      `detachedElements(): the page threw: ${reply.exceptionDetails.exception?.description ?? reply.exceptionDetails.text}`,
      { code: 'STEWARD_PAGE_THREW' },
    );
  }
  return reply.result;
}

/**
 * Force two full collections in the page, then return every element a component mounted that is
 * still alive after that component's cleanup (each also reported once in the page as a
 * `leakDetected` event). With `retainers` (default), each finding carries its retainer path.
 * A page that never loaded `steward/dom` has none.
 */
export async function detachedElements(
  session: DevToolsSession,
  options: DetachedElementsOptions = {},
): Promise<DetachedElementFinding[]> {
  await session.send('HeapProfiler.enable');
  await session.send('HeapProfiler.collectGarbage');
  await session.send('HeapProfiler.collectGarbage');
  const findings = (await evaluate(session, `${HOOK}.flatMap((h) => h.checkDetached())`, true))
    .value as DetachedElementFinding[];
  if (findings.length === 0 || options.retainers === false) return findings;
  const { snapshot, scripts } = await takeSnapshot(session);
  const ids = await heapIds(session);
  if (ids.length !== findings.length) return findings; // the page changed in between: no paths rather than wrong ones
  return findings.map((finding, i) => {
    const index = snapshot.indexOf(ids[i]!);
    const hops = index === undefined ? undefined : snapshot.retainerPath(index);
    return hops ? { ...finding, retainers: formatRetainerPath(hops, scripts) } : finding;
  });
}

/**
 * Resolves when the page has no element that outlived its component (after forced collections);
 * rejects with `DetachedElementsError` naming each one and what retains it otherwise.
 */
export async function expectNoDetachedElements(
  session: DevToolsSession,
  options: DetachedElementsOptions = {},
): Promise<void> {
  const findings = await detachedElements(session, options);
  if (findings.length > 0) throw new DetachedElementsError(findings);
}

/** A heap snapshot of the page, and the URLs of its scripts (for closures' locations). */
async function takeSnapshot(
  session: DevToolsSession,
): Promise<{ snapshot: HeapSnapshot; scripts: Map<number, string> }> {
  const scripts = new Map<number, string>();
  const onScript = (e: { scriptId: string; url: string }): void => {
    if (e.url) scripts.set(Number(e.scriptId), e.url);
  };
  const chunks: string[] = [];
  const onChunk = (e: { chunk: string }): void => {
    chunks.push(e.chunk);
  };
  session.on('Debugger.scriptParsed', onScript);
  session.on('HeapProfiler.addHeapSnapshotChunk', onChunk);
  try {
    await session.send('Debugger.enable'); // replays scriptParsed for every script already loaded
    await session.send('Debugger.disable');
    await session.send('HeapProfiler.takeHeapSnapshot', { reportProgress: false });
  } finally {
    session.off('Debugger.scriptParsed', onScript);
    session.off('HeapProfiler.addHeapSnapshotChunk', onChunk);
  }
  return { snapshot: HeapSnapshot.parse(chunks.join('')), scripts };
}

/**
 * Heap ids of the current findings' elements, in the same order. Taken after the snapshot (whose
 * ids they match: ids are stable), so the protocol's own handles are not among the retainers.
 */
async function heapIds(session: DevToolsSession): Promise<number[]> {
  const array = await evaluate(session, `${HOOK}.flatMap((h) => h.detachedElements())`, false);
  try {
    const { result } = (await session.send('Runtime.getProperties', {
      objectId: array.objectId,
      ownProperties: true,
    })) as { result: Array<{ name: string; value?: RemoteObject }> };
    const ids: number[] = [];
    for (const property of result) {
      if (!/^\d+$/.test(property.name) || property.value?.objectId === undefined) continue;
      const { heapSnapshotObjectId } = (await session.send('HeapProfiler.getHeapObjectId', {
        objectId: property.value.objectId,
      })) as { heapSnapshotObjectId: string };
      ids[Number(property.name)] = Number(heapSnapshotObjectId);
    }
    return ids;
  } finally {
    await session.send('Runtime.releaseObjectGroup', { objectGroup: 'steward-detached' });
  }
}
