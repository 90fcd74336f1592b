/**
 * Messages between the host and a worker plugin (besides RPC requests and responses).
 */
import type { LogLevel } from './logger.js';
import type { PluginManifest } from './manifest.js';
import type { SerializedError } from './rpc.js';

/** `workerData` of a plugin worker. */
export interface WorkerBoot {
  readonly manifest: PluginManifest;
  readonly hostVersion: string;
  readonly storageDir: string;
  readonly memoryLimit: { readonly bytes: number; readonly policy: 'warn' | 'reject' | 'evict' } | undefined;
  /** How often heap figures are sent, ms. */
  readonly statsIntervalMs: number;
}

/** A change to the worker's resources: tracked, released, resized. */
export type ResourceChange =
  | readonly [
      '+',
      id: number,
      type: string,
      size: number,
      metadata: Readonly<Record<string, unknown>> | undefined,
    ]
  | readonly ['-', id: number]
  | readonly ['~', id: number, size: number];

/** V8 heap figures of the worker. */
export interface HeapFigures {
  readonly used: number;
  readonly total: number;
  readonly limit: number;
  readonly external: number;
}

/** Messages a worker sends on its own. */
export type WorkerEvent =
  | { readonly t: 'loaded'; readonly ms: number }
  | { readonly t: 'load-failed'; readonly error: SerializedError }
  | { readonly t: 'sync'; readonly changes: readonly ResourceChange[]; readonly heap: HeapFigures }
  | {
      readonly t: 'log';
      readonly level: LogLevel;
      readonly message: string;
      readonly args: readonly string[];
    }
  | { readonly t: 'provide'; readonly name: string }
  | { readonly t: 'withdraw'; readonly name: string };

/** Argument of the `activate` lifecycle request: services the host offers at activation. */
export interface ActivateRequest {
  readonly available: readonly string[];
}

/** RPC name of lifecycle requests (member: activate, deactivate, pause, resume). */
export const LIFECYCLE = '@lifecycle';

/** A disposal problem inside the worker, posted with the `deactivate` answer. */
export interface WorkerDisposalProblem {
  readonly componentId: string;
  readonly resourceId: number;
  readonly type: string;
  readonly error: SerializedError;
}

/** What the worker's own cleanup did, the answer to `deactivate` (merged into the host's report). */
export interface WorkerCleanup {
  readonly released: number;
  readonly failed: WorkerDisposalProblem[];
  readonly abandoned: WorkerDisposalProblem[];
  readonly deadlineExceeded: boolean;
}

/**
 * The answer to `deactivate`: the cleanup (which runs whatever the plugin's `deactivate` did)
 * and the error that hook threw, if it did.
 */
export interface DeactivateAnswer {
  readonly cleanup: WorkerCleanup | undefined;
  readonly failure: SerializedError | undefined;
}
