/**
 * What a deactivation needs besides the plugin's hook: the cleanup reserve of a shutdown slot,
 * the objects unload verification watches, and the host's report with the runtime's own cleanup
 * added. Pure helpers of `host-lifecycle.ts`.
 */
import type { CleanupReport, Component } from '../core/index.js';
import type { PluginRecord } from './host-registry.js';
import type { PluginRuntime, PluginSession, RuntimeCleanupReport } from './runtime.js';
import type { UnloadWatch } from './unload-verifier.js';

/**
 * Of a deactivation slot, what is kept for ending the plugin after its hook (terminating its
 * worker, killing the children it left, force-cleaning its component, reporting it): a tenth of
 * the slot, at least 250 ms, never more than a quarter. A fixed 250 ms was too little on a loaded
 * machine: a spinning worker's abandonment was still under way when the shutdown deadline hit.
 * @internal exported for its test.
 */
export function cleanupReserveMs(slotMs: number): number {
  if (!Number.isFinite(slotMs)) return 0; // no deadline: nothing to keep
  return Math.min(slotMs / 4, Math.max(250, slotMs / 10));
}

/** What an inline plugin's unload verification watches, taken before its hook runs (its `ctx`, what it tracked). */
export function inlineWatch(
  record: PluginRecord,
  runtime: PluginRuntime,
  session: PluginSession,
): Omit<UnloadWatch, 'unloaded'> {
  return {
    manifest: record.manifest,
    generation: record.generation,
    component: session.component,
    ctx: runtime.context,
    disposed: disposable(session.component),
  };
}

/**
 * What a remote plugin's unload verification watches, once its thread or process was ended: that
 * it is gone, and the objects the host made for it. Undefined for a runtime with nothing to hand over.
 */
export function remoteWatch(
  record: PluginRecord,
  runtime: PluginRuntime,
  session: PluginSession,
): Omit<UnloadWatch, 'unloaded'> | undefined {
  if (!runtime.takeLeftovers) return undefined;
  return {
    manifest: record.manifest,
    generation: record.generation,
    component: session.component,
    ctx: undefined,
    remote: runtime.takeLeftovers(),
  };
}

/** Resource types whose value ends asynchronously after disposal (a process, a worker): not probed. */
const ENDS_LATER = new Set(['process', 'worker', 'child-process']);

/** With leak tracking on: the objects tracked in `component`, to check they are collected after cleanup. */
function disposable(component: Component): UnloadWatch['disposed'] {
  if (!component.manager._leakTracking) return undefined;
  const out: Array<{ value: object; what: string; stack?: string | undefined }> = [];
  for (const r of component.resources()) {
    const value = r.value;
    if (
      value === null ||
      (typeof value !== 'object' && typeof value !== 'function') ||
      ENDS_LATER.has(r.type)
    )
      continue;
    out.push({ value, what: `${r.type} #${r.id}`, stack: r.stack });
  }
  return out;
}

/**
 * The host-side report of a deactivation with what the runtime's own cleanup did added (a new
 * object: `cleanupFinished` listeners already hold the host-side one).
 */
export function withRuntimeCleanup(report: CleanupReport, inRuntime: RuntimeCleanupReport): CleanupReport {
  return {
    ...report,
    components: [...report.components],
    released: report.released + inRuntime.released,
    failed: [...report.failed, ...inRuntime.failed],
    abandoned: [...report.abandoned, ...inRuntime.abandoned],
    deadlineExceeded: report.deadlineExceeded || inRuntime.deadlineExceeded,
  };
}

/** The runtime if it can activate again after an activation ended; else it is ended (resolves undefined). */
export async function retainOrEnd(runtime: PluginRuntime): Promise<PluginRuntime | undefined> {
  if (runtime.reusable) return runtime;
  await runtime.unload();
  return undefined;
}
