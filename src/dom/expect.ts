/**
 * The in-page assertion "this tab left no detached elements", for tests that run inside the
 * browser. It forces a collection when the page can (`gc()`, with Chromium's
 * `--js-flags=--expose-gc`), else waits for the collections the page runs anyway. From Node,
 * driving a browser over the DevTools protocol, use `steward/testing`'s `expectNoDetachedElements`
 * instead: it forces the collection itself and adds each element's retainer path.
 */
import type { ResourceManager } from '../core/index.js';
import { checkDetached, detachedSettled } from './detached.js';
import { DetachedElementsError, NoCollectionError } from './errors.js';

/** Options of `expectNoDetachedElements` (in-page). */
export interface ExpectNoDetachedOptions {
  /** Only this manager's elements. Default: every manager of the page. */
  readonly manager?: ResourceManager;
  /** Without `gc()`: how long to wait for the page's own collections, ms. Default 10000. */
  readonly timeoutMs?: number;
}

const tick = (ms = 0): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Resolves when no element a component mounted outlived that component's cleanup; rejects with
 * `DetachedElementsError` naming each one otherwise. Without `gc()` and without enough
 * collections within `timeoutMs`, rejects with a `StewardError` that says how to force one.
 */
export async function expectNoDetachedElements(options: ExpectNoDetachedOptions = {}): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (typeof gc === 'function') {
    // Two full collections, each in its own task: a WeakRef read earlier in a task keeps its
    // target alive until that task ends.
    await tick();
    gc();
    await tick();
    gc();
    await tick();
  } else {
    const deadline = Date.now() + (options.timeoutMs ?? 10_000);
    while (!detachedSettled(options.manager)) {
      if (Date.now() > deadline) {
        throw new NoCollectionError(options.timeoutMs ?? 10_000);
      }
      await tick(100);
    }
  }
  const findings = checkDetached(options.manager ? { manager: options.manager } : {});
  if (findings.length > 0) throw new DetachedElementsError(findings);
}
