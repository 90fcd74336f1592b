/**
 * The narrow interface through which the monitor sees and drives plugins. The plugin host
 * implements it; the monitor depends on nothing else of the plugin layer, so it also works
 * for applications that have no plugins at all (pass no `plugins` option).
 */
import type { CleanupReport } from '../core/index.js';

/** What the monitor shows about one plugin. Plain data: it is sent to the browser as JSON. */
export interface PluginInfo {
  /** Unique plugin id (the manifest's `steward.id`). */
  readonly id: string;
  /** Display name. */
  readonly name: string;
  /** Version from the manifest. */
  readonly version: string;
  /** Lifecycle state as the host names it (`active`, `failed`, `unloaded`…). */
  readonly state: string;
  /** How the plugin runs: `inline` or `worker`. */
  readonly isolation: string;
  /** Ids of the plugins it depends on. */
  readonly dependencies: readonly string[];
  /** Time to load its module, ms, when known. */
  readonly loadMs?: number;
  /** Time its `activate` took, ms, when known. */
  readonly activateMs?: number;
  /** Id of the manager component that owns its resources, while it has one. */
  readonly component?: string;
  /** Why it failed (message), when its state is a failure. */
  readonly error?: string;
  /** For `blocked`: the dependency that is not active. */
  readonly blockedBy?: string;
  /** When it entered its current state, ms since the Unix epoch, when known. */
  readonly since?: number;
  /** Live resources of its component (0 without one). */
  readonly resources?: number;
  /** Bytes tracked by its component and its children. */
  readonly bytes?: number;
  /** The manifest's memory limit, bytes. */
  readonly memoryLimit?: number;
  /** Worker and process plugins: their V8 heap used and limit, bytes. */
  readonly heapUsed?: number;
  readonly heapLimit?: number;
  /** Process plugins: the pid of their process. */
  readonly pid?: number;
  /** Process plugins: their process's resident memory, bytes. */
  readonly rss?: number;
  /** Process plugins: CPU time their process used so far (user + system), ms. */
  readonly cpuMs?: number;
  /** Worker plugins: the worker's thread id. */
  readonly threadId?: number;
  /** Restarts after crashes so far. */
  readonly restarts?: number;
  /** Reloads so far. */
  readonly generation?: number;
  /** Inline plugins: bytes its code retains, as of the last memory measurement (`measureMemory`). */
  readonly retainedBytes?: number;
  /** When `retainedBytes` was measured, ms since the Unix epoch. */
  readonly retainedAt?: number;
  /** Inline plugins: its share (0…1) of the host thread's busy samples in the last on-demand profile. */
  readonly cpuShare?: number;
  /** When `cpuShare` was measured, ms since the Unix epoch. */
  readonly cpuShareAt?: number;
  /**
   * Health per plugin, from a health monitor (docs/monitor.md, "Data contract"): CPU as a share
   * of one core, event-loop utilisation, heap bytes, whether it answers, the longest recent block.
   */
  readonly health?: PluginHealth;
}

/** Health figures of one plugin, each optional (a reporter fills what it measures). */
export interface PluginHealth {
  /** CPU used, as a share of one core (0…n). */
  readonly cpu?: number;
  /** Event-loop utilisation of the thread it runs on (0…1). */
  readonly elu?: number;
  /** Heap bytes attributed to it. */
  readonly heapUsed?: number;
  /** False when it does not answer (a blocked worker, a hung hook). */
  readonly responsive?: boolean;
  /** The longest event-loop block blamed on it recently, ms. */
  readonly longestBlockMs?: number;
}

/** A change of a plugin, for the live event stream. */
export interface PluginChangeEvent {
  /** What happened: `loaded`, `activated`, `reloaded`, `unloaded`, `failed`… (host-defined). */
  readonly type: string;
  /** The plugin's id. */
  readonly id: string;
  /** Its state after the change, when the host knows it. */
  readonly state?: string;
  /** What the change concerns (`permissionDenied`: `permission` and `resource`), as plain strings. */
  readonly detail?: Readonly<Record<string, string>>;
}

/**
 * What the monitor needs from a plugin host. `list()` must be cheap and side-effect free (it
 * is called on every page refresh and every metrics scrape). `reload`/`unload` reject with an
 * Error whose message says what went wrong; the monitor shows that message to the user.
 */
export interface PluginControl {
  /** Every known plugin, including failed and unloaded ones. */
  list(): PluginInfo[];
  /** Reload the plugin `id` (and, as the host decides, its dependents). */
  reload(id: string): Promise<unknown>;
  /** Unload the plugin `id` (dependents first, as the host decides). */
  unload(id: string): Promise<unknown>;
  /**
   * Deactivate the plugin `id` (dependents first) and keep it loaded. When present, cleaning up a
   * plugin's component from the monitor goes through it, so the host knows its plugin is down;
   * it resolves with the cleanup reports of what was deactivated.
   */
  deactivate?(id: string): Promise<{ reports: readonly CleanupReport[] }>;
  /**
   * Measure the bytes each inline plugin's code retains (a heap snapshot: on demand only);
   * afterwards `list()` carries them as `retainedBytes`. `POST /api/plugins/memory`.
   */
  measureMemory?(): Promise<ReadonlyArray<{ readonly id: string; readonly retainedBytes: number }>>;
  /**
   * Profile the thread plugin `id` runs on for `ms` — the host's for an inline plugin, its own
   * worker thread or process otherwise — and blame the samples on it (by its files). Rejects
   * with a StewardError coded `STEWARD_PROFILER_BUSY` when a profile cannot be taken now,
   * `STEWARD_PLUGIN_STATE` when the plugin is not active. `POST /api/plugins/:id/profile?seconds=N`.
   */
  profile?(id: string, ms: number): Promise<PluginProfile>;
  /**
   * A heap snapshot of the isolate plugin `id` runs in (its worker's, its process's; the shared
   * heap for an inline plugin, with its own objects picked out). `POST /api/plugins/:id/heap`.
   */
  heap?(id: string): Promise<PluginHeap>;
  /** Subscribe to plugin changes; the monitor relays them on its event stream. */
  onChange?(listener: (event: PluginChangeEvent) => void): Disposable;
}

/** A CPU profile of the thread one plugin runs on, blamed on it (plain data, sent as JSON). */
export interface PluginProfile {
  /** The plugin's id. */
  readonly id: string;
  /** Whose thread was profiled: `inline` (the host's), `worker` (its own), `process` (its own). */
  readonly isolation?: string;
  /** How long the profile ran, ms. */
  readonly durationMs: number;
  /** Busy samples in the profile (idle and garbage-collector samples excluded). */
  readonly samples: number;
  /** The plugin's samples. */
  readonly pluginSamples: number;
  /** `pluginSamples / samples`, 0…1 (0 when nothing ran). */
  readonly share: number;
  /** The plugin's hottest function: name, file, 1-based line and its samples, when it ran at all. */
  readonly hottest?: {
    readonly functionName: string;
    readonly file: string;
    readonly line: number;
    readonly samples: number;
  };
  /** The profile itself, in the `.cpuprofile` format DevTools opens. */
  readonly profile: unknown;
}

/** A heap snapshot of one plugin's isolate: its text as a stream, and what is known of it. */
export interface PluginHeap {
  /** Plain data, sent to the client with the snapshot (the `x-steward-heap` header, as JSON). */
  readonly summary: PluginHeapSummary;
  /** The `.heapsnapshot` text. The monitor reads it to its end or destroys it. */
  readonly stream: NodeJS.ReadableStream & { destroy(error?: Error): unknown };
}

/** What the monitor says of a heap snapshot of one plugin. */
export interface PluginHeapSummary {
  readonly id: string;
  /** `inline` (a snapshot of the shared heap), `worker` or `process` (the plugin's own isolate). */
  readonly isolation: string;
  /**
   * Inline plugins: the plugin's own objects in the shared heap — closures of its files, its
   * module namespaces, values its module variables were created with (docs/monitor.md).
   */
  readonly own?: {
    /** Bytes they retain together. */
    readonly retainedBytes: number;
    /** How many were found. */
    readonly objects: number;
    /** The largest by the bytes each alone keeps alive, largest first. */
    readonly largest: ReadonlyArray<{
      readonly what: string;
      readonly site?: string;
      readonly selfBytes: number;
      readonly retainedBytes: number;
    }>;
  };
}
