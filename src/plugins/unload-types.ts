/**
 * The vocabulary of unload verification: its options, what a host hands it for one unload, the
 * verdict and findings it reports, and a queued unload as the verifier keeps it. Types only;
 * the verifier is `unload-verifier.ts`.
 */
import type { Component } from '../core/index.js';
import type { StewardUnloadProbe } from '../node/heap-capture.js';
import type { ProbeInfo } from '../node/leak-forensics.js';
import type { PluginManifest } from './manifest.js';
import type { RemoteLeftovers } from './runtime.js';

/** Options of unload verification (`new PluginHost({ verifyUnload })`). */
export interface UnloadVerificationOptions {
  /**
   * When to take a heap snapshot: `always` (each batch with an unload — finds closures and module
   * caches the host still reaches even when `ctx` was collected), `retained` (only when a probed
   * object survived; the cheap mode), `never` (findings without paths). Default `always`.
   */
  readonly snapshot?: 'always' | 'retained' | 'never';
  /** At most this many full collections before judging (fewer when everything is gone sooner). Default 3. */
  readonly gcCycles?: number;
  /** Unloads within this many ms share one batch. Default 20. */
  readonly batchMs?: number;
  /** Where the temporary snapshot is written (and removed). Default the OS temp folder. */
  readonly snapshotDir?: string;
  /** No snapshot when the heap in use is above this (it would take long): reported instead. Default 1 GiB. */
  readonly maxHeapBytes?: number;
}

/** One plugin's unload to verify. */
export interface UnloadWatch {
  readonly manifest: PluginManifest;
  readonly generation: number;
  /** The plugin's component (held strongly: findings are reported on it; it holds nothing of the plugin's after cleanup). */
  readonly component: Component;
  readonly ctx: object | undefined;
  /** Whether the plugin's code was unloaded (unload, reload), not only deactivated. */
  readonly unloaded: boolean;
  /** A worker or process plugin's host-side leftovers: objects to collect, and its thread or process. */
  readonly remote?: RemoteLeftovers | undefined;
  /** Values the plugin's cleanup disposed, with what they were (leak tracking on). */
  readonly disposed?:
    | ReadonlyArray<{ readonly value: object; readonly what: string; readonly stack?: string | undefined }>
    | undefined;
}

/** A verification's outcome (`unloadVerified` event, `host.verifyUnloads()`). */
export interface UnloadVerdict {
  /** Plugins checked in this batch. */
  readonly plugins: readonly string[];
  /** What was found (also reported as `leakDetected`). */
  readonly findings: readonly UnloadFinding[];
  /** Time spent: collections and probes; snapshot and analysis (0 without one), ms. */
  readonly gcMs: number;
  readonly snapshotMs: number;
  /** Why no snapshot was taken or analysed, when one was wanted. */
  readonly error: string | undefined;
}

/** One finding of a verification. */
export interface UnloadFinding {
  readonly kind: 'retained-after-unload' | 'disposed-but-reachable';
  readonly plugin: string;
  readonly message: string;
  /** The culprit object, its holder, path and site (undefined fields without a snapshot). */
  readonly object: string;
  readonly holder: string | undefined;
  readonly path: readonly string[] | undefined;
  readonly site: string | undefined;
  readonly stack: string | undefined;
  readonly count: number;
  readonly retainedBytes: number | undefined;
}

/**
 * One queued unload as the verifier keeps it: the watch without what it holds weakly, the probes
 * (weak) and marks made of it, and its thread or process.
 * @internal
 */
export interface PendingUnload {
  readonly watch: Omit<UnloadWatch, 'ctx' | 'disposed' | 'remote'>;
  /** A worker plugin's thread or a process plugin's process (no code of it in this heap). */
  readonly thread: RemoteLeftovers['thread'] | undefined;
  readonly remote: boolean;
  /** Queued when its host was disposed: a snapshot only if a probe survived (the cheap mode). */
  disposedHost?: boolean;
  readonly probes: Array<{
    readonly probe: StewardUnloadProbe;
    readonly info: ProbeInfo;
    readonly kind: UnloadFinding['kind'];
  }>;
  readonly marks: Array<{ readonly probe: StewardUnloadProbe; readonly info: ProbeInfo }>;
}
