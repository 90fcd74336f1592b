/**
 * What a `PluginHost` is configured with and what it tells: its options (checked up front), the
 * `PluginInfo` of `list()` / `get()`, and the summary of `start()`.
 */

import { join } from 'node:path';
import { StewardRangeError, StewardTypeError } from '../core/errors.js';
import type { MemoryPolicy, ResourceManager } from '../core/index.js';
import type { GraphError } from './graph-error.js';
import type { HealthOptions, PluginHealthFigures } from './health.js';
import type { LogSink } from './logger.js';
import type { PluginIsolation } from './manifest.js';
import type { ManifestError } from './manifest-errors.js';
import type { PermissionMode } from './permissions.js';
import type { PluginState } from './plugin-state.js';
import type { UnloadVerificationOptions } from './unload-verifier.js';
import { validVersion } from './versions.js';

/** The private storage folder of plugin `id` on a host with `options` (`$STORAGE` in its permissions). */
export function pluginStorageDir(options: Pick<PluginHostOptions, 'storageDir'>, id: string): string {
  return join(options.storageDir ?? join(process.cwd(), '.steward', 'storage'), id);
}

/** Options of `new PluginHost()`. */
export interface PluginHostOptions {
  /** The manager plugins' components register with. Default: a new one, disposed with the host. */
  readonly manager?: ResourceManager;
  /** The application's version, checked against manifests' `host` ranges. */
  readonly hostVersion?: string;
  /** Plugin folders scanned by `start()` / `discover()`. */
  readonly dirs?: readonly string[];
  /** Default activation timeout, ms (a manifest may set its own). Default 10000. */
  readonly activationTimeoutMs?: number;
  /** Default deactivation timeout, ms (a manifest may set its own). Default 5000. */
  readonly deactivationTimeoutMs?: number;
  /** Parent folder of the plugins' private storage folders. Default `<cwd>/.steward/storage`. */
  readonly storageDir?: string;
  /** Where plugin log lines go. Default: the console, `info` and above. */
  readonly log?: LogSink;
  /** Policy applied to a manifest's `memoryLimit`. Default `reject`. */
  readonly memoryPolicy?: MemoryPolicy;
  /** Run every plugin with this isolation, whatever its manifest says. */
  readonly isolation?: PluginIsolation;
  /**
   * `enforce` (default): a manifest's `permissions` are enforced (process plugins by Node's
   * permission model, inline and worker ones at the `ctx` level). `audit`: nothing is refused and
   * every access is told as an `access` event (see `steward run --permissions=audit`).
   */
  readonly permissions?: PermissionMode;
  /** Folders (besides the plugin's own and its storage) that manifests may name absolute paths in. */
  readonly permissionRoots?: readonly string[];
  /** How often worker and process plugins report their heap figures, ms. Default 1000. */
  readonly workerStatsIntervalMs?: number;
  /**
   * Attribute the handles inline plugins' code creates without tracking them (timers, sockets,
   * servers, child processes…; see `steward/node`), report them as leaks when the plugin is
   * deactivated, and with `reclaim: true` close them. Off by default: it costs (docs/node-runtime.md).
   */
  readonly attribution?: { readonly reclaim?: boolean; readonly captureStacks?: boolean };
  /**
   * Contain inline plugins' faults (default true): an uncaught exception or unhandled rejection
   * raised by a plugin's code, or its call to `process.exit()`/`abort()`/`kill(process.pid)`,
   * fails that plugin (phase `runtime`) instead of ending the process, and globals it replaced
   * are reported and put back. Whose fault it is comes from the stack (the plugin's files) and,
   * where that is cheap (Node ≥ 24) or handle `attribution` is on, from the async context the
   * plugin's code runs in. `'context'`: use the async context on every Node (on Node 20 it turns
   * on Node's promise hooks, which slows promise-heavy code several times: BENCHMARKS.md).
   * `false`: off; a plugin's uncaught error is the process's, as without Steward.
   */
  readonly errorAttribution?: boolean | 'context';
  /**
   * Node options of plugin workers and plugin processes. Default: the host's
   * (`process.execArgv`), so a host run through a TypeScript loader gives it to its workers too
   * — which costs start-up time; a process plugin whose entry is JavaScript inherits them
   * without the TypeScript loader (tsx, ts-node, swc-node). A host of compiled plugins can pass `[]`.
   */
  readonly workerExecArgv?: readonly string[];
  /**
   * Verify every deactivation, unload and reload of an inline plugin: its `ctx` and the values
   * its cleanup disposed must be garbage-collectable, and (with a heap snapshot) none of its
   * closures or module caches may still be reachable — else `leakDetected` (kind
   * `retained-after-unload` / `disposed-but-reachable`) with the retainer path (docs/leaks.md).
   * Never blocks or fails an unload. Off by default; on under `steward run` and `steward/testing`.
   */
  readonly verifyUnload?: boolean | UnloadVerificationOptions;
  /**
   * The private folder where plugins' child processes are journaled, so the watchdog kills
   * them if the host dies, even by SIGKILL. Default `<os.tmpdir()>/steward-plugins`.
   */
  readonly journalDir?: string;
  /**
   * Watch plugins' health (docs/plugins.md, "Health"): a watchdog thread blames whoever blocks the
   * host's event loop, worker plugins' ELU and heap are read from the host's side, unresponsive
   * workers are flagged, manifests' budgets are enforced. Off by default (it starts a thread);
   * `steward run` turns it on.
   */
  readonly health?: boolean | HealthOptions;
}

/** What `list()` / `get()` tell about a plugin (JSON-serializable). */
export interface PluginInfo {
  id: string;
  name: string;
  displayName: string;
  version: string;
  state: PluginState;
  isolation: PluginIsolation;
  dependencies: string[];
  dir: string;
  /** Times of the last load, activation and deactivation, ms. */
  loadMs: number | undefined;
  activateMs: number | undefined;
  deactivateMs: number | undefined;
  /** Reloads so far. */
  generation: number;
  /** The id of the plugin's live component, when active or paused. */
  component: string | undefined;
  resources: number;
  bytes: number;
  memoryLimit: number | undefined;
  /** Worker and process plugins: their V8 heap figures (used and limit), bytes. */
  heapUsed: number | undefined;
  heapLimit: number | undefined;
  /**
   * Process plugins: the pid, resident memory (bytes) and CPU time used (user + system, ms) of
   * their process. On Linux read by the host from `/proc` at each call (true even while the plugin
   * is stuck); elsewhere as the plugin's process last reported them (every `workerStatsIntervalMs`).
   */
  pid: number | undefined;
  rss: number | undefined;
  cpuMs: number | undefined;
  /** Worker plugins: the worker's thread id (`worker.threadId`). */
  threadId: number | undefined;
  /** Worker and process plugins: restarts after crashes so far. */
  restarts: number;
  /**
   * Inline plugins: bytes the plugin's code retains (its closures, module state and what they
   * hold), as of the last `host.measureMemory()` of this generation (it takes a heap snapshot).
   */
  retainedBytes: number | undefined;
  /** When `retainedBytes` was measured, ms since the Unix epoch. */
  retainedAt: number | undefined;
  /**
   * Inline plugins: the share (0…1) of the host thread's busy samples that ran in the plugin's
   * files, as of the last on-demand profile of the host's thread (`host.profile()` of any inline
   * plugin, `steward profile`, the dashboard's Profile button) in this generation. Idle and
   * garbage-collector samples are not counted. Worker and process plugins have `cpuMs` instead.
   */
  cpuShare: number | undefined;
  /** When `cpuShare` was measured (the profile's end), ms since the Unix epoch. */
  cpuShareAt: number | undefined;
  error: string | undefined;
  /** For `blocked`: the dependency that is not active. */
  blockedBy: string | undefined;
  /** Health figures, when the host watches health and has seen the plugin run. */
  health?: PluginHealthFigures;
}

/** Result of `start()`: what ended in which state. */
export interface StartSummary {
  readonly active: string[];
  readonly failed: string[];
  readonly blocked: string[];
  readonly errors: Array<ManifestError | GraphError | Error>;
}

/** Throws a RangeError naming the first option of `new PluginHost()` that is out of range. */
export function checkHostOptions(options: PluginHostOptions): void {
  const errors = options.errorAttribution;
  if (errors !== undefined && typeof errors !== 'boolean' && errors !== 'context') {
    throw new StewardTypeError(
      `new PluginHost(): errorAttribution must be true, false or 'context' (got ${JSON.stringify(errors)}).`,
    );
  }
  for (const [name, value] of [
    ['activationTimeoutMs', options.activationTimeoutMs],
    ['deactivationTimeoutMs', options.deactivationTimeoutMs],
  ] as const) {
    if (value !== undefined && !(typeof value === 'number' && value > 0 && Number.isFinite(value))) {
      throw new StewardRangeError(
        `new PluginHost(): ${name} must be a finite number > 0 (got ${String(value)}).`,
      );
    }
  }
  if (options.hostVersion !== undefined && validVersion(options.hostVersion) === undefined) {
    throw new StewardRangeError(
      `new PluginHost(): hostVersion must be a semver version such as "1.4.0" (got ${JSON.stringify(options.hostVersion)}).`,
    );
  }
}

/**
 * `PluginHost.dispose`'s deadline as a `performance.now()` instant (undefined: none), or the
 * {@link StewardRangeError} to reject with when `deadlineMs` is not a finite number > 0.
 */
export function disposeDeadline(deadlineMs: number | undefined): number | undefined | StewardRangeError {
  if (deadlineMs === undefined) return undefined;
  if (!(typeof deadlineMs === 'number' && deadlineMs > 0 && Number.isFinite(deadlineMs))) {
    return new StewardRangeError(
      `PluginHost.dispose(): deadlineMs must be a finite number > 0 (got ${String(deadlineMs)}).`,
    );
  }
  return performance.now() + deadlineMs;
}
