/**
 * A plugin's state as the host keeps it: a tagged union ({@link PluginStatus}) whose variants
 * carry exactly what that state has — a runtime while the code is loaded, a session (component,
 * signal) while activated, the error of a failure, the blocker of a blocked plugin — and a
 * transition table. A move the table does not allow is an {@link IllegalPluginTransitionError}:
 * the host never drifts into a state its code did not plan for.
 */
import { StewardError } from '../core/index.js';
import type { GraphError } from './graph-error.js';
import type { PluginRuntime, PluginSession } from './runtime.js';

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
  | 'crash'
  /** Its code threw, rejected or tried to end the host outside its hooks (inline). */
  | 'runtime';

/** The states whose plugin is activated: it has a component and a signal. */
export type LiveState = 'activating' | 'active' | 'paused' | 'deactivating';

/**
 * A plugin's state with what it carries. `runtime` is the plugin's loaded code: required while
 * activated, kept through `loaded`, `failed` and `blocked` when it outlived what happened (an
 * inline module stays imported), absent otherwise.
 */
export type PluginStatus =
  | { readonly state: 'discovered' }
  | { readonly state: 'unloaded' }
  | { readonly state: 'loaded'; readonly runtime: PluginRuntime | undefined }
  | {
      readonly state: 'failed';
      readonly phase: PluginFailurePhase;
      readonly error: unknown;
      readonly runtime: PluginRuntime | undefined;
    }
  | {
      readonly state: 'blocked';
      /** The dependency that is not active. */
      readonly by: string;
      /** The graph's error when the graph excludes the plugin. */
      readonly error: GraphError | undefined;
      readonly runtime: PluginRuntime | undefined;
    }
  | { readonly state: LiveState; readonly runtime: PluginRuntime; readonly session: PluginSession };

/**
 * The table. A state may move to itself only where its payload can change: a fresh runtime
 * (`loaded`), a later failure (`failed`), another blocker (`blocked`).
 */
const TRANSITIONS: Readonly<Record<PluginState, readonly PluginState[]>> = {
  discovered: ['loaded', 'failed', 'blocked', 'unloaded'],
  loaded: ['loaded', 'activating', 'failed', 'blocked', 'unloaded'],
  activating: ['active', 'failed'],
  active: ['paused', 'deactivating', 'failed'],
  paused: ['active', 'deactivating', 'failed'],
  deactivating: ['loaded', 'unloaded', 'failed'],
  unloaded: ['discovered', 'loaded', 'failed', 'blocked'],
  failed: ['failed', 'discovered', 'loaded', 'activating', 'blocked'],
  blocked: ['blocked', 'loaded', 'activating', 'failed', 'unloaded'],
};

/** Every plugin state. */
export const PLUGIN_STATES: readonly PluginState[] = Object.freeze(Object.keys(TRANSITIONS) as PluginState[]);

/** The states a plugin in `from` may move to. */
export function allowedPluginTransitions(from: PluginState): readonly PluginState[] {
  return TRANSITIONS[from];
}

/** Whether a plugin may move from `from` to `to`. */
export function canTransitionPlugin(from: PluginState, to: PluginState): boolean {
  return TRANSITIONS[from].includes(to);
}

/** Whether a plugin in `state` is activated (it has a component and a signal). */
export function isLive(status: PluginStatus): status is Extract<PluginStatus, { state: LiveState }> {
  return 'session' in status;
}

/** Whether a plugin in `state` is running (`active` or `paused`): what dependents need. */
export function isRunning(state: PluginState): boolean {
  return state === 'active' || state === 'paused';
}

/** The runtime a status carries, if any. */
export function runtimeOf(status: PluginStatus): PluginRuntime | undefined {
  return 'runtime' in status ? status.runtime : undefined;
}

/**
 * Thrown when the host would move a plugin along a transition its table does not allow — a bug in
 * the host, never something a plugin can cause. Code `STEWARD_PLUGIN_ILLEGAL_TRANSITION`.
 */
export class IllegalPluginTransitionError extends StewardError {
  override readonly name = 'IllegalPluginTransitionError';
  /** The code of this class's errors. */
  static override readonly code = 'STEWARD_PLUGIN_ILLEGAL_TRANSITION';
  constructor(
    /** The plugin. */
    readonly plugin: string,
    readonly from: PluginState,
    readonly to: PluginState,
  ) {
    const allowed = TRANSITIONS[from];
    super(
      `Plugin "${plugin}" cannot go from "${from}" to "${to}". ` +
        (allowed.length ? `From "${from}" it may go to: ${allowed.join(', ')}.` : `"${from}" is final.`) +
        ' This is a bug in the plugin host; please report it with the events that led here.',
    );
  }
}
