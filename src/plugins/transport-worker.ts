/**
 * The worker transport: a plugin's own thread and heap, with a hard heap cap from its manifest's
 * `memoryLimit`, its messages over the worker's port, and `terminate()` on unload — which stops
 * it whatever it is doing (an infinite loop included) and frees its whole heap, the only way to
 * reclaim an ES module's memory in Node.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { StewardError } from '../core/index.js';
import { childMark } from '../node/child-token.js';
import type { TransportFactory } from './runtime-remote.js';

/** Smallest heap given to a worker or process: V8 cannot start a useful isolate with less. */
export const MIN_HEAP_MB = 16;

/**
 * Where a compiled entry of a plugin's thread or process is (`worker-entry.cjs`,
 * `process-entry.cjs`, each bundled by scripts/bundle-entries.mjs): next to this file when running from dist, else dist/.
 */
export function compiledEntry(file: string, tier: 'Worker' | 'Process'): string {
  const here = new URL(`./${file}`, import.meta.url);
  if (existsSync(fileURLToPath(here))) return fileURLToPath(here);
  const built = new URL(`../../dist/plugins/${file}`, import.meta.url);
  if (existsSync(fileURLToPath(built))) return fileURLToPath(built);
  throw new StewardError(
    `${tier} isolation needs the compiled entry dist/plugins/${file}, which is missing. Run \`npm run build\`.`,
    { code: `STEWARD_${tier.toUpperCase()}_ENTRY_MISSING` },
  );
}

/**
 * Starts the plugin in a worker thread (`worker-entry.ts`, bundled: one file to load, not ~50 ES
 * modules at every thread's start) booted with `workerData`.
 */
export const workerTransport: TransportFactory = (init, boot, events) => {
  const { manifest, memoryLimit } = init;
  const heapMb = memoryLimit ? Math.max(MIN_HEAP_MB, Math.ceil(memoryLimit.bytes / 2 ** 20)) : undefined;
  const worker = new Worker(compiledEntry('worker-entry.cjs', 'Worker'), {
    // The host's mark on children, the same in the thread: not computed again at its start.
    workerData: { ...boot, childMark: childMark() },
    name: `plugin:${manifest.id}`,
    stdout: false,
    stderr: false,
    ...(init.execArgv ? { execArgv: [...init.execArgv] } : {}),
    ...(heapMb !== undefined ? { resourceLimits: { maxOldGenerationSizeMb: heapMb } } : {}),
  });
  worker.on('message', events.message);
  let lastError: Error | undefined;
  worker.on('error', (error) => {
    lastError = error;
  });
  const exited = new Promise<void>((resolve) => {
    worker.once('exit', (code) => {
      const reason =
        lastError ??
        new StewardError(
          `The worker of plugin "${manifest.id}" exited with code ${code} without being asked to.`,
          { code: 'STEWARD_PLUGIN_EXITED' },
        );
      events.closed(describeCrash(manifest.id, reason));
      resolve();
    });
  });
  return {
    send: (message) => worker.postMessage(message),
    loop: () => {
      const { idle, active } = worker.performance.eventLoopUtilization();
      return { idle, active };
    },
    // From the host's side: the worker's inspector takes it between two of its JS steps, even
    // while its plugin spins in a loop.
    heapSnapshot: () => worker.getHeapSnapshot(),
    metadata: { threadId: worker.threadId },
    thread: threadOf(worker),
    async end() {
      await worker.terminate();
      await exited;
    },
  };
};

/** `worker`'s id, and whether it still runs (`threadId` turns -1 when it exits), through a WeakRef. */
function threadOf(worker: Worker): { id: number; what: string; running: () => boolean } {
  const ref = new WeakRef(worker);
  const id = worker.threadId;
  return { id, what: `worker thread ${id}`, running: () => (ref.deref()?.threadId ?? -1) !== -1 };
}

/** Why a worker died, worded for the user: out of heap (with the fix), or what it threw. */
function describeCrash(id: string, error: Error): Error {
  const code = (error as { code?: string }).code;
  if (code === 'ERR_WORKER_OUT_OF_MEMORY') {
    return new StewardError(
      `Plugin "${id}" exceeded its memory limit: its worker ran out of heap and was stopped. ` +
        'Raise steward.memoryLimit or reduce what the plugin keeps in memory.',
      { cause: error, code: 'STEWARD_PLUGIN_OUT_OF_MEMORY' },
    );
  }
  return new StewardError(`Plugin "${id}" crashed in its worker: ${error.message}`, {
    cause: error,
    code: 'STEWARD_PLUGIN_CRASHED',
  });
}
