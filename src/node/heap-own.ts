/**
 * A heap snapshot of this (shared) heap, kept for the user, with the objects of one piece of code
 * — an inline plugin — picked out of it. "Its objects" are what leak-forensics.ts calls a code's
 * own: the closures whose function is in one of its files (site: the function's source line),
 * its module namespaces, and the values its module-level variables were created with when the
 * declaration allocates (`const cache = new Map()`, `= []`, `= {…}`; site: the declaration). An
 * object it was handed (`const bus = host.bus`) is not its own, nor is anything a library under
 * its `node_modules` created. For each: its self size and the bytes it alone keeps alive (what
 * would become unreachable if only it were gone; shared holdings count for none of them alone);
 * and for all of them together the bytes they retain (`retainedBytes`, as `measureMemory`).
 *
 * The snapshot is written to a file in a folder of the caller's (the OS temp folder by default),
 * read back, then opened and removed at once: the returned stream reads the open file, so nothing
 * is left in the folder whether the stream is read to its end, dropped or the process dies.
 */
import { createReadStream, openSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { getHeapStatistics, writeHeapSnapshot } from 'node:v8';
import { StewardError } from '../core/index.js';
import { readHeapSnapshot } from './heap-reader.js';
import type { HeapSnapshot } from './heap-snapshot.js';
import { ownedObjects, type UnloadedCode } from './leak-forensics.js';
import { retainedBytes, retainerIndex } from './retainer-graph.js';

/** One object of the code, as {@link measureOwnHeap} reports it. */
export interface OwnObject {
  /** What it is: `function onTick`, `Map "cache"`, `module "plugins/busy/index.js"`. */
  readonly what: string;
  /** Where it was created: `plugins/busy/index.js:12:5`, when known. */
  readonly site?: string;
  /** Its own size, bytes. */
  readonly selfBytes: number;
  /** Bytes it alone keeps alive (itself included). */
  readonly retainedBytes: number;
}

/** The code's objects in a snapshot. */
export interface OwnHeap {
  /** Bytes its objects and module records retain together (`measureMemory`'s figure). */
  readonly retainedBytes: number;
  /** How many objects of its own were found. */
  readonly objects: number;
  /** The largest of them by retained bytes, at most `max`, largest first. */
  readonly largest: readonly OwnObject[];
}

/** Objects measured one by one (a walk of the heap each); the rest count in the total only. */
const MEASURED_ONE_BY_ONE = 200;

/** Pick `code`'s objects out of `snapshot` (see the module comment). */
export function measureOwnHeap(snapshot: HeapSnapshot, code: UnloadedCode, max = 20): OwnHeap {
  const { objects, records } = ownedObjects(snapshot, code);
  // The stack at snapshot time (the caller's frames) is no holder, as in measureRetained.
  const stackOnly = new Uint8Array(snapshot.size);
  const stack = snapshot.stringIndex('(Stack roots)');
  for (let n = 0; n < snapshot.size; n++) if (snapshot.nameIndex(n) === stack) stackOnly[n] = 1;
  const base = retainerIndex(snapshot, stackOnly);
  const total = retainedBytes(snapshot, base, stackOnly, [...objects.map((o) => o.node), ...records]);
  // Biggest first by self size, so the objects measured one by one are the likeliest large ones.
  const bySelf = [...objects].sort((a, b) => snapshot.selfSize(b.node) - snapshot.selfSize(a.node));
  const measured = bySelf.slice(0, MEASURED_ONE_BY_ONE).map((o) => ({
    what: o.label,
    ...(o.site !== undefined && { site: o.site }),
    selfBytes: snapshot.selfSize(o.node),
    retainedBytes: retainedBytes(snapshot, base, stackOnly, [o.node]),
  }));
  measured.sort((a, b) => b.retainedBytes - a.retainedBytes || a.what.localeCompare(b.what));
  return { retainedBytes: total, objects: objects.length, largest: measured.slice(0, max) };
}

/** Options of {@link captureOwnHeap}. */
export interface OwnHeapOptions {
  /** Folder the snapshot passes through (it is removed before this resolves). Default the OS temp folder. */
  readonly dir?: string | undefined;
  /** Refuse when the heap in use is above this, bytes. Default 1 GiB. */
  readonly maxHeapBytes?: number | undefined;
  /** At most this many objects in `largest`. Default 20. */
  readonly max?: number | undefined;
}

/**
 * Snapshot this heap, measure `code`'s objects in it, and resolve with them and a stream of the
 * snapshot's text (the `.heapsnapshot` DevTools opens). The file is gone from `dir` when this
 * resolves (see the module comment). Rejects with `STEWARD_HEAP_SNAPSHOT_FAILED` naming the
 * folder when the snapshot cannot be written, or the limit when the heap is above it.
 */
export async function captureOwnHeap(
  code: UnloadedCode,
  options: OwnHeapOptions = {},
): Promise<{ readonly own: OwnHeap; readonly stream: Readable }> {
  const limit = options.maxHeapBytes ?? 2 ** 30;
  const used = getHeapStatistics().used_heap_size;
  if (used > limit) {
    throw new StewardError(
      `the heap in use (${mib(used)}) is above the limit of a snapshot (${mib(limit)})`,
      { code: 'STEWARD_HEAP_SNAPSHOT_FAILED' },
    );
  }
  const dir = options.dir ?? tmpdir();
  const file = join(dir, `steward-heap-${process.pid}-${Date.now()}.heapsnapshot`);
  try {
    try {
      writeHeapSnapshot(file);
    } catch (error) {
      throw new StewardError(
        `the heap snapshot could not be written to ${file} (${(error as Error).message}); the host needs a writable temporary folder (TMPDIR)`,
        { cause: error, code: 'STEWARD_HEAP_SNAPSHOT_FAILED' },
      );
    }
    const own = measureOwnHeap(await readHeapSnapshot(file), code, options.max);
    const fd = openSync(file, 'r');
    return { own, stream: createReadStream('', { fd }) };
  } finally {
    // Removed while open (libuv opens files shareable for deletion on Windows too): the stream
    // reads the open file, and nothing is left in `dir` from here on.
    rmSync(file, { force: true });
  }
}

function mib(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(0)} MiB`;
}
