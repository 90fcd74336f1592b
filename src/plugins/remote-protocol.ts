/**
 * The protocol between the host and a plugin running out of its heap (a worker thread, a process):
 * the boot data, the events the plugin's side sends on its own, and the lifecycle requests and
 * answers that travel as RPC (rpc.ts). Nothing here depends on the transport: any channel that
 * carries structured-clone messages both ways will do.
 */
import type { LogLevel } from './logger.js';
import type { PluginManifest } from './manifest.js';
import type { PermissionMode, PermissionName, ResolvedPermissions } from './permissions.js';
import type { SerializedError } from './rpc.js';

/** One end of a message channel (a worker's port, a child process's IPC). */
export interface MessageChannelEnd {
  /** Send a message to the other end. */
  send(message: unknown): void;
  /** Receive every message from the other end. */
  onMessage(listener: (message: unknown) => void): void;
  /**
   * Send, and resolve once the message has left this end (a process's IPC backlog); absent where
   * sending never queues (a worker's port). Large streams send their pieces with it.
   */
  sendAndWait?(message: unknown): Promise<void>;
}

/** What the plugin's side starts from (a worker's `workerData`). */
export interface RemoteBoot {
  readonly manifest: PluginManifest;
  readonly hostVersion: string;
  readonly storageDir: string;
  readonly memoryLimit: { readonly bytes: number; readonly policy: 'warn' | 'reject' | 'evict' } | undefined;
  /** How often heap figures are sent, ms. */
  readonly statsIntervalMs: number;
  /** Where the plugin's child processes are journaled (see host-children.ts); none if undefined. */
  readonly children?: { readonly dir: string; readonly label: string };
  /** The manifest's permissions resolved; undefined when it declares none. */
  readonly permissions: ResolvedPermissions | undefined;
  readonly permissionMode: PermissionMode;
  /** Check `ctx` calls against the permissions (worker tier; every tier in audit mode). */
  readonly guardContext: boolean;
  /** Send {@link ProcessFigures} with the heap figures (the side has a process of its own). */
  readonly processFigures: boolean;
  /**
   * The host's child mark (child-token.ts), given to a worker, which is in the host's process:
   * computing it again would read `/proc` and load `node:crypto` at every thread's start.
   */
  readonly childMark?: string;
}

/** Figures of a plugin's own process. */
export interface ProcessFigures {
  readonly pid: number;
  /** Resident set size, bytes. */
  readonly rss: number;
  /** CPU time used so far (user + system), ms. */
  readonly cpuMs: number;
}

/** A change to the remote plugin's resources: tracked, released, resized. */
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

/** V8 heap figures of the remote plugin's isolate. */
export interface HeapFigures {
  readonly used: number;
  readonly total: number;
  readonly limit: number;
  readonly external: number;
}

/** Messages the plugin's side sends on its own. */
export type RemoteEvent =
  | { readonly t: 'loaded'; readonly ms: number }
  /** Sent before the plugin's `deactivate` hook runs: the host tells a hook that blocks from a loop blocked before it. */
  | { readonly t: 'deactivating' }
  | { readonly t: 'load-failed'; readonly error: SerializedError }
  | {
      readonly t: 'sync';
      readonly changes: readonly ResourceChange[];
      readonly heap: HeapFigures;
      readonly process?: ProcessFigures;
    }
  | {
      readonly t: 'access';
      readonly permission: PermissionName;
      readonly resource: string;
      readonly denied: boolean;
    }
  | {
      readonly t: 'log';
      readonly level: LogLevel;
      readonly message: string;
      readonly args: readonly string[];
    }
  | { readonly t: 'provide'; readonly name: string }
  | { readonly t: 'withdraw'; readonly name: string }
  /** A piece of the heap snapshot asked for by the `@diagnostics` request `heap` with this `id`. */
  | { readonly t: 'heap-chunk'; readonly id: number; readonly data: Uint8Array };

/** Argument of the `activate` lifecycle request: services the host offers at activation. */
export interface ActivateRequest {
  readonly available: readonly string[];
}

/** RPC name of lifecycle requests (member: activate, deactivate, pause, resume). */
export const LIFECYCLE = '@lifecycle';

/**
 * RPC name of diagnostics requests: `profile` (args `[ms]`, answers the `.cpuprofile` of the
 * plugin's own thread) and `heap` (args `[id]`: sends its heap snapshot as `heap-chunk` events
 * with that id, then answers the byte count).
 */
export const DIAGNOSTICS = '@diagnostics';

/** A disposal problem on the plugin's side, posted with the `deactivate` answer. */
export interface RemoteDisposalProblem {
  readonly componentId: string;
  readonly resourceId: number;
  readonly type: string;
  readonly error: SerializedError;
}

/** What the plugin side's own cleanup did, the answer to `deactivate` (merged into the host's report). */
export interface RemoteCleanup {
  readonly released: number;
  readonly failed: RemoteDisposalProblem[];
  readonly abandoned: RemoteDisposalProblem[];
  readonly deadlineExceeded: boolean;
}

/**
 * The answer to `deactivate`: the cleanup (which runs whatever the plugin's `deactivate` did)
 * and the error that hook threw, if it did.
 */
export interface DeactivateAnswer {
  readonly cleanup: RemoteCleanup | undefined;
  readonly failure: SerializedError | undefined;
}
