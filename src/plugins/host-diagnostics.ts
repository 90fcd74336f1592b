/**
 * Profiles and heap snapshots of one plugin on demand, whatever its tier (`host.profile()`,
 * `host.heapSnapshot()`):
 * - inline: the host's own thread is profiled (every inline plugin's folder is a blame root, so
 *   a plugin nested in another's keeps its samples); the heap snapshot is of the shared heap,
 *   with the plugin's own objects picked out (heap-own.ts says exactly which);
 * - worker, process: the plugin's own thread or process is profiled, from inside through its own
 *   inspector (runtime-diagnostics.ts); its isolate's heap is snapshotted, by the worker's
 *   inspector from the host's side, or streamed by the plugin's process over its channel.
 * Only an active or paused plugin is profiled: its code is loaded and its thread is there.
 * Neither changes the plugin's state, and neither goes through the host's operation queue.
 */
import type { Readable } from 'node:stream';
import { StewardError } from '../core/index.js';
import { profileThread } from '../node/cpu-profile.js';
import { captureOwnHeap, type OwnHeap } from '../node/heap-own.js';
import { type BlameRoot, blameProfile, type CpuProfile } from '../node/profile-blame.js';
import type { PluginRegistry } from './host-registry.js';
import type { PluginIsolation } from './manifest.js';
import { runtimeOf } from './plugin-state.js';
import type { PluginRuntime } from './runtime.js';
import { codeOf } from './unload-verifier.js';

/** A CPU profile of the thread one plugin runs on, and the folders to blame its samples on. */
export interface PluginThreadProfile {
  readonly id: string;
  readonly isolation: PluginIsolation;
  /** The `.cpuprofile` (DevTools opens it). */
  readonly profile: CpuProfile;
  /** Whose code may be on that thread, by folder: every inline plugin inline, the plugin alone otherwise. */
  readonly roots: readonly BlameRoot[];
}

/** A heap snapshot of the isolate one plugin runs in. */
export interface PluginHeapSnapshot {
  readonly id: string;
  readonly isolation: PluginIsolation;
  /** The `.heapsnapshot` text; read it to its end or destroy it (it holds a file or a stream open). */
  readonly stream: Readable;
  /** Inline plugins (a shared heap): the plugin's own objects in it. */
  readonly own?: OwnHeap;
}

/** The runtime of an active or paused plugin `id`; StewardError otherwise. */
function liveRuntime(registry: PluginRegistry, id: string, what: string): PluginRuntime {
  const record = registry.record(id);
  const { state } = record.status;
  const runtime = runtimeOf(record.status);
  if ((state !== 'active' && state !== 'paused') || runtime === undefined) {
    throw new StewardError(
      `Plugin "${id}" is ${state}: ${what} is taken of an active (or paused) plugin. Activate or reload it first.`,
      { code: 'STEWARD_PLUGIN_STATE' },
    );
  }
  return runtime;
}

/**
 * Profile the thread plugin `id` runs on for `ms`. Rejects with `STEWARD_PLUGIN_UNKNOWN`,
 * `STEWARD_PLUGIN_STATE` (not active), `STEWARD_PROFILER_BUSY` (a profile runs there, or its
 * inspector is open), `STEWARD_PROFILE_UNSUPPORTED` (a process under the permission model) or
 * `STEWARD_PROFILE_FAILED` (the inspector refused; the plugin died or did not answer).
 */
export async function profilePluginThread(
  registry: PluginRegistry,
  id: string,
  ms: number,
): Promise<PluginThreadProfile> {
  const runtime = liveRuntime(registry, id, 'a CPU profile');
  const dir = registry.record(id).manifest.dir;
  if (runtime.profile !== undefined) {
    return { id, isolation: runtime.isolation, profile: await runtime.profile(ms), roots: [{ id, dir }] };
  }
  const profile = await profileThread(ms);
  const inline = [...registry.records()].filter((r) => runtimeOf(r.status)?.isolation === 'inline');
  const roots = inline.map((r) => ({ id: r.manifest.id, dir: r.manifest.dir }));
  if (!roots.some((r) => r.id === id)) roots.push({ id, dir });
  // The host's thread is every inline plugin's: the profile gives each its share (`cpuShare`).
  const blame = blameProfile(profile, roots);
  const at = Date.now();
  for (const r of inline) {
    const share = blame.owners.find((o) => o.id === r.manifest.id)?.share ?? 0;
    r.cpu = { share, at, generation: r.generation };
  }
  return { id, isolation: runtime.isolation, profile, roots };
}

/**
 * A heap snapshot of the isolate plugin `id` runs in (see the module comment). Rejects with
 * `STEWARD_PLUGIN_UNKNOWN`, `STEWARD_PLUGIN_STATE`, or `STEWARD_HEAP_SNAPSHOT_FAILED` (it cannot
 * be written, the plugin died or did not answer). `dir`: the folder an inline snapshot passes
 * through (removed before this resolves); default the OS temp folder.
 */
export async function snapshotPluginHeap(
  registry: PluginRegistry,
  id: string,
  options: { readonly dir?: string | undefined } = {},
): Promise<PluginHeapSnapshot> {
  const runtime = liveRuntime(registry, id, 'a heap snapshot');
  if (runtime.heapSnapshot !== undefined) {
    try {
      return { id, isolation: runtime.isolation, stream: await runtime.heapSnapshot() };
    } catch (error) {
      if (error instanceof StewardError) throw error;
      throw new StewardError(
        `The heap snapshot of plugin "${id}" (${runtime.isolation}) could not be taken: ${(error as Error).message}`,
        { cause: error, code: 'STEWARD_HEAP_SNAPSHOT_FAILED' },
      );
    }
  }
  const record = registry.record(id);
  const { own, stream } = await captureOwnHeap(codeOf(record.manifest, record.generation), options);
  return { id, isolation: runtime.isolation, stream, own };
}
