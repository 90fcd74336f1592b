/**
 * `expectCollected`: the check IntelliJ runs after unloading a plugin — force full garbage
 * collections and fail if an object that should be unreachable (the unloaded plugin, its
 * component's owner, a closed panel) is still alive. Uses the `gc()` of `--expose-gc`, or
 * turns it on at run time (`v8.setFlagsFromString('--expose-gc')` + a fresh context).
 */
import { writeHeapSnapshot } from 'node:v8';
import { StewardError, StewardRangeError, StewardTypeError } from '../core/errors.js';
import { forceGc } from '../node/gc.js';
import { captureAndExplain, StewardUnloadProbe } from '../node/heap-capture.js';

export { forceGc };

/** Options of `expectCollected`. */
export interface ExpectCollectedOptions {
  /**
   * How long to keep collecting before failing, ms. Default 2000. It bounds the wait for
   * collection only: on failure the retainer path (`retainers`) and `snapshotDir` come after it —
   * a heap snapshot, seconds on a large heap.
   */
  readonly timeoutMs?: number;
  /** Name of the object in the error message. */
  readonly label?: string;
  /** On failure, write a heap snapshot into this directory and name it in the message. */
  readonly snapshotDir?: string;
  /**
   * On failure, find what keeps it alive (a heap snapshot to a temporary file, removed) and put
   * the shortest retainer path from the GC roots in the message. Default true.
   */
  readonly retainers?: boolean;
}

/**
 * A WeakRef to `target`, made in a frame of its own: a temporary register of the async
 * function holding the object would otherwise keep it alive for the whole wait.
 */
function weakRefTo(target: object | WeakRef<object>): WeakRef<object> {
  return target instanceof WeakRef ? target : new WeakRef(target);
}

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * Resolve once `target` has been garbage-collected; reject with an error naming it if it is
 * still reachable after `timeoutMs` of repeated full collections. Given the object itself,
 * no reference to it is kept by this call (it is not an async function: its frame, and the
 * argument in it, are gone when it returns); the caller must not keep one either — a `const`
 * still in scope does. Pass a `WeakRef` made when the object was loaded in that case.
 */
export function expectCollected(
  target: object | WeakRef<object>,
  options: ExpectCollectedOptions = {},
): Promise<void> {
  if (target === null || (typeof target !== 'object' && typeof target !== 'function')) {
    return Promise.reject(
      new StewardTypeError(`expectCollected(): expected an object or a WeakRef (got ${String(target)}).`),
    );
  }
  const timeoutMs = options.timeoutMs ?? 2000;
  if (!(Number.isFinite(timeoutMs) && timeoutMs > 0)) {
    return Promise.reject(
      new StewardRangeError(`expectCollected(): timeoutMs must be a finite number > 0 (got ${timeoutMs}).`),
    );
  }
  return waitUntilCollected(weakRefTo(target), timeoutMs, options);
}

async function waitUntilCollected(
  ref: WeakRef<object>,
  timeoutMs: number,
  options: ExpectCollectedOptions,
): Promise<void> {
  const label = options.label ?? 'the object';
  const started = Date.now();
  let collections = 0;
  // deref() keeps its result alive until the end of the current job, so collect in fresh jobs.
  do {
    await tick();
    forceGc();
    collections++;
    await tick();
    if (ref.deref() === undefined) return;
  } while (Date.now() - started < timeoutMs);
  const waited = Date.now() - started; // the wait `timeoutMs` bounds; the path comes after it
  const why = options.retainers === false ? '' : await retainerText(ref, label);
  let snapshot = '';
  if (options.snapshotDir !== undefined) {
    const file = writeHeapSnapshot(
      `${options.snapshotDir}/expect-collected-${process.pid}-${Date.now()}.heapsnapshot`,
    );
    snapshot = ` Heap snapshot: ${file} (open it in Chrome DevTools, Memory tab, and look at the retainers).`;
  }
  throw new StewardError(
    `expectCollected(): ${label} is still reachable after ${collections} full garbage collections over ` +
      `${waited} ms. Something still references it — an event listener, a cache or registry, ` +
      `a timer or closure, a service; release it on unload.${why}${snapshot}`,
    { code: 'STEWARD_NOT_COLLECTED' },
  );
}

/** " Retained by:" and the path, one hop a line; or why it could not be found. */
async function retainerText(ref: WeakRef<object>, label: string): Promise<string> {
  const target = ref.deref();
  if (target === undefined) return '';
  const probe = new StewardUnloadProbe(target, 'expect-collected');
  await tick(); // a new job: the deref above no longer keeps the target alive
  try {
    const [finding] = await captureAndExplain({
      codes: [],
      probes: new Map([['expect-collected', { key: '', what: label }]]),
    });
    if (!finding) return '';
    return `\nRetained by (shortest path from a GC root):\n${finding.path.map((hop) => `  ${hop}`).join('\n')}\n`;
  } catch (error) {
    return ` (No retainer path: ${(error as Error).message}.)`;
  } finally {
    void probe;
  }
}
