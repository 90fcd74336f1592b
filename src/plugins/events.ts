/**
 * The host's typed events.
 */
import type { CleanupReport } from '../core/index.js';
import type { LoopBlockFinding } from './health.js';
import type { PluginIsolation } from './manifest.js';
import type { BudgetAction } from './manifest-budget.js';
import type { ManifestError } from './manifest-errors.js';
import type { PermissionName } from './permissions.js';
import type { PluginFailurePhase, PluginState } from './plugin-state.js';
import type { UnloadVerdict } from './unload-verifier.js';

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
  /** A batch of unloads was verified (`verifyUnload`): what was still reachable, and why. */
  unloadVerified: UnloadVerdict;
  /** The host's event loop was blocked (with `health`): who had the samples, the profile. */
  loopBlocked: LoopBlockFinding;
  /** An active worker plugin has sent nothing for `health.unresponsiveMs` (with `health`). */
  unresponsive: { readonly id: string; readonly silentMs: number };
  /** An unresponsive plugin answers again. */
  responsive: { readonly id: string };
  /** A plugin went over its manifest's budget in a window (`breaches` of `checks` in a row). */
  budgetExceeded: {
    readonly id: string;
    readonly metric: 'elu' | 'heap';
    readonly value: number;
    readonly limit: number;
    readonly breaches: number;
    readonly checks: number;
    readonly action: BudgetAction;
  };
  /**
   * A plugin was refused an access its manifest's permissions do not allow (`denied`), or, with
   * `permissions: 'audit'`, made one (each distinct access once per activation).
   */
  access: {
    readonly id: string;
    readonly isolation: PluginIsolation;
    readonly permission: PermissionName;
    readonly resource: string;
    readonly denied: boolean;
  };
}
