/**
 * Take a heap snapshot of this process and explain what of some objects is still reachable:
 * the snapshot goes to a temporary file (removed whatever happens), is read back by the
 * streaming reader and analysed (`leak-forensics.ts`). Objects to explain are marked with
 * {@link StewardUnloadProbe}s — WeakRefs the snapshot finds by their constructor's name — so
 * marking them adds no strong reference.
 */
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getHeapStatistics, writeHeapSnapshot } from 'node:v8';
import { StewardError } from '../core/index.js';
import type { HeapSnapshot } from './heap-snapshot.js';
import type { ExplainOptions, RetainedFinding, RetainedMemory, UnloadedCode } from './leak-forensics.js';

// The reader and the analysis (a third of steward/testing's code) are loaded with the first
// snapshot: a test setup that imports the gate, once per test file, does not pay for them.
const reader = () => import('./heap-reader.js');
const forensics = () => import('./leak-forensics.js');

/** A weak mark on an object to explain; `label` ties it to its {@link ExplainOptions.probes} entry. */
export class StewardUnloadProbe extends WeakRef<object> {
  constructor(
    target: object,
    readonly label: string,
  ) {
    super(target);
  }
}

/** Options of {@link captureAndExplain}. */
export interface CaptureOptions extends ExplainOptions {
  /** Folder of the temporary snapshot. Default the OS temp folder. */
  readonly dir?: string | undefined;
  /** Refuse (with a clear error) when the heap in use is above this. Default 1 GiB. */
  readonly maxHeapBytes?: number | undefined;
}

/**
 * Snapshot the heap and explain the probes and unloaded code in `options`. Call it in a job
 * after the one that last called `deref()` on a probe (a deref keeps its target alive until its
 * job ends). Rejects with a `StewardError` (`STEWARD_HEAP_SNAPSHOT_FAILED`) naming the folder
 * when the snapshot cannot be written, or the limit when the heap is too large.
 */
export function captureAndExplain(options: CaptureOptions): Promise<RetainedFinding[]> {
  return withSnapshot(options, async (snapshot) => (await forensics()).explainRetained(snapshot, options));
}

/** Snapshot the heap and measure the bytes each of `codes` retains (`measureRetained`). Rejects as {@link captureAndExplain}. */
export function captureAndMeasure(
  codes: readonly UnloadedCode[],
  options: Pick<CaptureOptions, 'dir' | 'maxHeapBytes'> = {},
): Promise<Map<string, RetainedMemory>> {
  return withSnapshot(options, async (snapshot) => (await forensics()).measureRetained(snapshot, codes));
}

async function withSnapshot<T>(
  options: Pick<CaptureOptions, 'dir' | 'maxHeapBytes'>,
  analyse: (snapshot: HeapSnapshot) => Promise<T>,
): Promise<T> {
  const limit = options.maxHeapBytes ?? 2 ** 30;
  const used = getHeapStatistics().used_heap_size;
  if (used > limit) {
    throw new StewardError(
      `the heap in use (${mib(used)}) is above maxHeapBytes (${mib(limit)}); raise it to take the snapshot anyway`,
      { code: 'STEWARD_HEAP_SNAPSHOT_FAILED' },
    );
  }
  const file = join(options.dir ?? tmpdir(), `steward-heap-${process.pid}-${Date.now()}.heapsnapshot`);
  try {
    try {
      writeHeapSnapshot(file);
    } catch (e) {
      throw new StewardError(
        `the heap snapshot could not be written to ${file} (${(e as Error).message}); give a writable folder (snapshotDir)`,
        { code: 'STEWARD_HEAP_SNAPSHOT_FAILED' },
      );
    }
    const { readHeapSnapshot } = await reader();
    return await analyse(await readHeapSnapshot(file));
  } finally {
    rmSync(file, { force: true });
  }
}

function mib(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(0)} MiB`;
}
