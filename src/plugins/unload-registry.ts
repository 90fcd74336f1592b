/**
 * Unload verification's process-wide state, shared by every host (and every copy of this module,
 * through `globalThis`): the default a host made without `verifyUnload` uses, the verifiers of
 * live hosts and of disposed ones with unloads still queued, and the listeners of every verdict
 * — what `steward run` and `steward/testing`'s leak checks set, flush and listen to.
 */
import type { UnloadVerdict, UnloadVerificationOptions } from './unload-types.js';

const DEFAULT = Symbol.for('steward.verifyUnload.default');

/**
 * The verification a `PluginHost` created without `verifyUnload` uses (process-wide; `steward
 * run` and `steward/testing`'s leak checks turn it on). `undefined` resets it (off).
 */
export function setUnloadVerificationDefault(value: boolean | UnloadVerificationOptions | undefined): void {
  (globalThis as Record<symbol, unknown>)[DEFAULT] = value;
}

/** What the process-wide state needs of a verifier. @internal */
export interface QueuedVerifier {
  flush(): Promise<UnloadVerdict[]>;
  drop(): void;
}

/** Verifiers of live hosts (held weakly). @internal */
export const LIVE = ((globalThis as Record<symbol, unknown>)[Symbol.for('steward.verifyUnload.live')] ??=
  new Set()) as Set<WeakRef<QueuedVerifier>>;
/** Listeners of every verdict (`onUnloadVerdict`). @internal */
export const SINKS = ((globalThis as Record<symbol, unknown>)[Symbol.for('steward.verifyUnload.sinks')] ??=
  new Set()) as Set<(verdict: UnloadVerdict) => void>;

/** Verifiers of hosts disposed with unloads still queued while a leak check listens: verified at its flush. @internal */
export const ORPHANS = ((globalThis as Record<symbol, unknown>)[
  Symbol.for('steward.verifyUnload.orphans')
] ??= new Set()) as Set<QueuedVerifier>;

/** Call `listener` with the verdict of every unload verification in this process; returns the unsubscribe. */
export function onUnloadVerdict(listener: (verdict: UnloadVerdict) => void): () => void {
  SINKS.add(listener);
  return () => SINKS.delete(listener);
}

/** Run every host's queued unload verification now (test helpers call it at the end of a test). */
export async function flushUnloadVerifications(): Promise<UnloadVerdict[]> {
  const out: UnloadVerdict[] = [];
  for (const ref of [...LIVE]) {
    const verifier = ref.deref();
    if (verifier === undefined) LIVE.delete(ref);
    else out.push(...(await verifier.flush()));
  }
  for (const verifier of [...ORPHANS]) {
    ORPHANS.delete(verifier);
    out.push(...(await verifier.flush()));
  }
  return out;
}

/**
 * Forget the queued unloads of hosts already disposed (a leak check calls it when a test
 * begins: what a previous test's host did after that test ended is no one's finding).
 */
export function dropDisposedHostsUnloads(): void {
  for (const verifier of ORPHANS) verifier.drop();
  ORPHANS.clear();
}

/** The process-wide default of `verifyUnload` (see {@link setUnloadVerificationDefault}). */
export function unloadVerificationDefault(): boolean | UnloadVerificationOptions | undefined {
  return (globalThis as Record<symbol, unknown>)[DEFAULT] as boolean | UnloadVerificationOptions | undefined;
}
