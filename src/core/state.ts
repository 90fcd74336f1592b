/**
 * The component lifecycle: `loaded → initialized → active ⇄ paused → cleaning → destroyed`,
 * plus `failed`. Any live state may fail or start cleaning; `failed` may only be cleaned up;
 * `destroyed` is final. `cleaning` and `destroyed` are entered only through `cleanup()`.
 */
import { LIFECYCLE_STATES, type LifecycleState } from './types.js';

const TRANSITIONS: Readonly<Record<LifecycleState, readonly LifecycleState[]>> = {
  loaded: ['initialized', 'active', 'cleaning', 'failed'],
  initialized: ['active', 'cleaning', 'failed'],
  active: ['paused', 'cleaning', 'failed'],
  paused: ['active', 'cleaning', 'failed'],
  failed: ['cleaning'],
  cleaning: ['destroyed'],
  destroyed: [],
};

/** The states reachable from `from` in one step. */
export function allowedTransitions(from: LifecycleState): readonly LifecycleState[] {
  return TRANSITIONS[from];
}

/** Whether `from → to` is a legal transition. */
export function canTransition(from: LifecycleState, to: LifecycleState): boolean {
  return TRANSITIONS[from].includes(to);
}

/** Whether `value` names a lifecycle state. */
export function isLifecycleState(value: unknown): value is LifecycleState {
  return typeof value === 'string' && (LIFECYCLE_STATES as readonly string[]).includes(value);
}

/** Whether a component in `state` still accepts resources. */
export function acceptsResources(state: LifecycleState): boolean {
  return state !== 'cleaning' && state !== 'destroyed';
}
