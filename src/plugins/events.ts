/**
 * Plugin states and the host's typed events.
 */
import type { CleanupReport } from '../core/index.js';
import type { ManifestError } from './manifest-errors.js';

/**
 * Lifecycle of a plugin: `discovered → loaded → activating → active ⇄ paused → deactivating →
 * loaded | unloaded`, plus `failed` (it threw, timed out or crashed; its resources were released)
 * and `blocked` (a dependency is not active). `activating` is transient and visible to monitors.
 */
export type PluginState =
  | 'discovered'
  | 'loaded'
  | 'activating'
  | 'active'
  | 'paused'
  | 'deactivating'
  | 'unloaded'
  | 'failed'
  | 'blocked';

/** Where a plugin failed. */
export type PluginFailurePhase =
  | 'import'
  | 'activate'
  | 'deactivate'
  | 'pause'
  | 'resume'
  | 'manifest'
  | 'crash';

/** Event name → payload of a `PluginHost`. */
export interface PluginEvents {
  stateChanged: { readonly id: string; readonly from: PluginState; readonly to: PluginState };
  loaded: { readonly id: string; readonly ms: number; readonly generation: number };
  activated: { readonly id: string; readonly ms: number };
  deactivated: { readonly id: string; readonly ms: number; readonly report: CleanupReport | undefined };
  unloaded: { readonly id: string };
  failed: { readonly id: string; readonly phase: PluginFailurePhase; readonly error: unknown };
  blocked: { readonly id: string; readonly by: string; readonly reason: string };
  discoveryError: { readonly error: ManifestError | Error };
  reloaded: { readonly id: string; readonly ms: number; readonly plugins: readonly string[] };
}
