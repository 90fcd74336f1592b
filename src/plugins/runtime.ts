/**
 * The runtime seam: where a plugin's code runs, behind one interface. The host decides *when*
 * (graph order, timeouts, the serialized queue, failure containment); a runtime decides *where*
 * and *how*: `inline` imports the plugin into the host's heap, `worker` runs it in a thread of its
 * own over a message channel (runtime-remote.ts, transport-worker.ts), `process` runs it in a
 * child process of its own over IPC, under Node's permission model (transport-process.ts). A runtime never changes a
 * plugin's state; it reports what happened (a result, a rejection, a `crashed` event) and the
 * host applies it inside its queue.
 *
 * A runtime is made for one plugin and one code generation: a reload makes a new one. Adding a
 * tier is adding a {@link RuntimeFactory} to {@link RUNTIMES} — the host does not change.
 */

import type { Readable } from 'node:stream';
import type {
  AbandonedDisposal,
  Component,
  DisposalFailure,
  Emitter,
  MemoryPolicy,
  ServiceRegistry,
} from '../core/index.js';
import type { CpuProfile } from '../node/profile-blame.js';
import type { PluginContext } from './context.js';
import type { HostChildren } from './host-children.js';
import type { LogSink } from './logger.js';
import type { PluginIsolation, PluginManifest } from './manifest.js';
import type { PermissionAccess, PermissionMode, ResolvedPermissions } from './permissions.js';
import type { HeapFigures, ProcessFigures } from './remote-protocol.js';
import { InlineRuntime } from './runtime-inline.js';
import { RemoteRuntime } from './runtime-remote.js';
import { processTransport } from './transport-process.js';
import { workerTransport } from './transport-worker.js';

/** A byte limit and what to do when it would be exceeded. */
export interface MemoryLimit {
  readonly bytes: number;
  readonly policy: MemoryPolicy;
}

/** What a runtime is made from: the plugin, its generation, and what the host lends it. */
export interface RuntimeInit {
  readonly manifest: PluginManifest;
  /** Reloads so far: generation n > 0 imports a fresh copy of the plugin's modules. */
  readonly generation: number;
  readonly hostVersion: string;
  /** The plugin's private storage folder. */
  readonly storageDir: string;
  /** The manifest's `memoryLimit` with the host's policy, if it declares one. */
  readonly memoryLimit: MemoryLimit | undefined;
  /** The host's service registry (remote runtimes bridge it both ways). */
  readonly services: ServiceRegistry;
  /** Where the plugin's log lines go. */
  readonly log: LogSink;
  /** Run in-heap plugin code as code of its component, so handle attribution sees what it creates. */
  readonly attribution: boolean;
  /** How often a remote runtime reports its heap figures, ms. Default 1000. */
  readonly statsIntervalMs: number | undefined;
  /** Node options of a runtime's own thread or process; default: the host's. */
  readonly execArgv: readonly string[] | undefined;
  /** Where the plugin's child processes are journaled and guarded (default: the watchdog only). */
  readonly children?: HostChildren;
  /** The manifest's permissions resolved for this host; undefined when it declares none. */
  readonly permissions: ResolvedPermissions | undefined;
  /** Enforce them, or refuse nothing and report every access (`audit`). */
  readonly permissionMode: PermissionMode;
}

/** One activation, as the host sets it up: the plugin's component, its signal, its metadata. */
export interface PluginSession {
  /** The host's component of the plugin; everything it holds is released at deactivation. */
  readonly component: Component;
  /** Aborted when the plugin starts deactivating, or its activation fails or times out. */
  readonly controller: AbortController;
  /** The component's metadata object; a runtime may add live figures (`threadId`, `heapUsed`…). */
  readonly metadata: Record<string, unknown>;
}

/** What the plugin's own cleanup did inside a runtime with its own ledger (worker, process). */
export interface RuntimeCleanupReport {
  readonly released: number;
  readonly failed: DisposalFailure[];
  readonly abandoned: AbandonedDisposal[];
  readonly deadlineExceeded: boolean;
}

/**
 * How a deactivation went. `failure` is what the plugin's `deactivate` threw; the runtime's own
 * cleanup ran anyway, and `cleanup` reports it when the runtime has a ledger of its own.
 */
export interface DeactivateOutcome {
  readonly cleanup: RuntimeCleanupReport | undefined;
  readonly failure: unknown;
}

/** Live figures of a runtime. */
export interface RuntimeStats {
  /** V8 heap of the runtime's own isolate; undefined inline (it shares the host's). */
  readonly heap: HeapFigures | undefined;
  /** The runtime's own process (pid, RSS, CPU time); undefined unless it has one. */
  readonly process?: ProcessFigures | undefined;
  /** Worker plugins: the worker's thread id; undefined otherwise. */
  readonly threadId?: number | undefined;
  /** Cumulative event-loop times of the runtime's own thread; undefined inline. */
  readonly loop?: LoopFigures | undefined;
  /** When the runtime's other side was last heard from, ms since the epoch; undefined inline. */
  readonly heardAt?: number;
}

/** Cumulative event-loop times of a thread since it started (`performance.eventLoopUtilization()`), ms. */
export interface LoopFigures {
  readonly idle: number;
  readonly active: number;
}

/** Events of a runtime. */
export interface PluginRuntimeEvents {
  /** The runtime died on its own (uncaught error, out of memory, exit); emitted once. */
  crashed: { readonly error: Error };
  /**
   * Guarded globals were found replaced around a hook (inline): `names` are those the plugin's
   * hook (or import) replaced; empty when they were found replaced before it ran, by other code.
   */
  replacedGlobals: { readonly names: readonly string[] };
  /** The plugin was refused an access (`denied`), or, in audit mode, made one. */
  access: PermissionAccess & { readonly denied: boolean };
}

/**
 * Where one plugin's code runs. Every method may be called only in the order the host's state
 * table allows (load, then activate/deactivate cycles with pause/resume between, then unload);
 * every promise settles — a runtime whose other side died rejects, it never hangs (the host
 * bounds the plugin's own hooks with its timeouts).
 */
export interface PluginRuntime {
  /** The isolation tier this runtime implements. */
  readonly isolation: PluginIsolation;
  /**
   * Whether the runtime can activate again once an activation has ended (deactivated, failed,
   * timed out). Inline: yes, the module stays imported. Worker: no — the host ends it then (ending
   * the thread is what reclaims its memory) and loads a new runtime for the next activation.
   */
  readonly reusable: boolean;
  /**
   * Worker and process plugins: whether the plugin's side said its `deactivate` hook started (so
   * a thread silent since blocks in the hook, not before it). Undefined inline.
   */
  readonly deactivateStarted?: boolean;
  /**
   * The memory limit the host's component of this plugin enforces: the manifest's when the
   * plugin's memory is accounted there (inline); undefined when the runtime enforces it itself
   * (worker: heap cap and byte limit inside; the host component only mirrors).
   */
  readonly componentLimit: MemoryLimit | undefined;
  /** Why the runtime died on its own, once it has (set before `crashed` is emitted). */
  readonly crashError: Error | undefined;
  /** The plugin's `ctx` while activated, when it lives in the host's heap (inline). */
  readonly context: PluginContext | undefined;
  /** `crashed`. */
  readonly events: Emitter<PluginRuntimeEvents>;
  /** Import the plugin's code. Resolves with the import time, ms; rejects with the import error. */
  load(): Promise<number>;
  /** Run the plugin's `activate` for `session`. Rejects with what it threw. */
  activate(session: PluginSession): Promise<void>;
  /** Run the plugin's `deactivate` and its own cleanup. Rejects only when the runtime is gone. */
  deactivate(): Promise<DeactivateOutcome>;
  /** Run the plugin's `pause` hook. */
  pause(): Promise<void>;
  /** Run the plugin's `resume` hook. */
  resume(): Promise<void>;
  /** Release everything the runtime holds (its thread or process tree, its references). Idempotent. */
  unload(): Promise<void>;
  /** Live figures. */
  stats(): RuntimeStats;
  /**
   * Remote tiers: a CPU profile of the plugin's own thread (worker) or process for `ms`, taken
   * there (runtime-diagnostics.ts). Inline plugins share the host's thread: the host profiles it.
   */
  profile?(ms: number): Promise<CpuProfile>;
  /** Remote tiers: a heap snapshot of the plugin's own isolate, as a stream of its JSON text. */
  heapSnapshot?(): Promise<Readable>;
  /**
   * After `unload()` (remote tiers): the host-side objects made for the plugin — the proxies of
   * the services it provided, the mirrors of its resources, the runtime itself — and whether its
   * thread still runs, for unload verification. Handed over once (the runtime keeps none of them).
   */
  takeLeftovers?(): RemoteLeftovers;
}

/** What a remote runtime leaves on the host's side after unload (see {@link PluginRuntime.takeLeftovers}). */
export interface RemoteLeftovers {
  /** Objects that must be collectable now, and what each is. */
  readonly objects: ReadonlyArray<{ readonly value: object; readonly what: string }>;
  /**
   * The plugin's thread or process: its id (thread id, pid), what it is worded for a finding
   * (`worker thread 7`, `process 4242 or one of its group`), and whether it still runs.
   */
  readonly thread?:
    | { readonly id: number; readonly what: string; readonly running: () => boolean }
    | undefined;
}

/** Makes the runtime of one tier. */
export type RuntimeFactory = (init: RuntimeInit) => PluginRuntime;

/** The runtime of each isolation tier. */
export const RUNTIMES: Readonly<Record<PluginIsolation, RuntimeFactory>> = {
  inline: (init) => new InlineRuntime(init),
  worker: (init) => new RemoteRuntime(init, 'worker', workerTransport),
  process: (init) => new RemoteRuntime(init, 'process', processTransport),
};
