/**
 * A worker or process plugin asked to deactivate while its thread does not answer (its event loop
 * is blocked: an infinite loop, a long synchronous computation): its hook cannot run, so waiting
 * for the deactivation timeout is pointless. The host watches what the plugin's side sends (its
 * figures come every `workerStatsIntervalMs`) and stops waiting once it has been silent as long
 * as the health watch's `unresponsiveMs`; the thread or process is then ended.
 */
import { StewardError } from '../core/index.js';
import { PromiseOriginal, safeClearInterval, safeSetInterval, safeThen } from '../core/intrinsics.js';
import type { PluginHostOptions } from './host-options.js';
import type { DeactivateOutcome, PluginRuntime } from './runtime.js';
import { runWithin } from './timeout.js';

/**
 * A worker or process plugin did not answer while it was asked to deactivate; the host ended its
 * thread or process. Code `STEWARD_PLUGIN_UNRESPONSIVE`. When its loop was blocked before the
 * hook could run (`inHook` false) it is reported (a warning), not a failure of the unload the
 * operator asked for: the plugin is gone, as asked. A `deactivate` hook that itself blocks is the
 * plugin's failure (`inHook` true).
 */
export class PluginUnresponsiveError extends StewardError {
  override name = 'PluginUnresponsiveError';
  /** The code of this class's errors. */
  static override readonly code = 'STEWARD_PLUGIN_UNRESPONSIVE';
  constructor(
    readonly plugin: string,
    readonly silentMs: number,
    readonly inHook: boolean,
  ) {
    const silent = `${(silentMs / 1000).toFixed(1)} s`;
    super(
      inHook
        ? `deactivate() of plugin "${plugin}" blocks the event loop of its thread: nothing from it for ${silent} ` +
            '(an infinite loop or a long synchronous computation in the hook); the host ended its thread and ' +
            'released its resources. Make deactivate() yield: await its work, honour ctx.signal.'
        : `plugin "${plugin}" did not answer for ${silent}: the event loop of its thread is blocked (an infinite ` +
            'loop or a long synchronous computation), so its deactivate() could not run; the host ended its ' +
            'thread and released its resources. Profile it (steward profile) or bisect ' +
            '(steward bisect --finding health) to find the loop.',
      { code: PluginUnresponsiveError.code },
    );
  }
}

/** Silence after which a deactivating remote plugin is given up on, ms: as the health watch's, and at least 3 stats intervals. */
export function unresponsiveAfterMs(host: PluginHostOptions): number {
  const health = typeof host.health === 'object' ? host.health.unresponsiveMs : undefined;
  return Math.max(health ?? 3000, 3 * (host.workerStatsIntervalMs || 1000));
}

/**
 * Call `onSilent` once `runtime` (a worker or process plugin) has sent nothing for `silentMs`
 * (checked every 100 ms, at once too: a plugin already silent is given up on without waiting).
 * Returns the function that stops watching. A runtime without `heardAt` is not watched.
 */
export function watchSilence(
  runtime: PluginRuntime,
  id: string,
  silentMs: number,
  onSilent: (error: PluginUnresponsiveError) => void,
): () => void {
  const check = (): boolean => {
    const heardAt = runtime.stats().heardAt;
    if (heardAt === undefined) return false;
    const silent = Date.now() - heardAt;
    if (silent < silentMs) return false;
    onSilent(new PluginUnresponsiveError(id, silent, runtime.deactivateStarted === true));
    return true;
  };
  if (runtime.isolation === 'inline' || check()) return () => {};
  const timer = safeSetInterval(() => {
    if (check()) safeClearInterval(timer);
  }, 100);
  timer.unref();
  return () => safeClearInterval(timer);
}

/**
 * Run `runtime.deactivate()` within `timeoutMs` (a `TimeoutError` past it); a worker or process
 * silent for `silentMs` meanwhile rejects at once with {@link PluginUnresponsiveError}: its hook
 * cannot run (or is what blocks it), so waiting longer is pointless.
 */
export function deactivateWithin(
  runtime: PluginRuntime,
  id: string,
  timeoutMs: number,
  silentMs: number,
): Promise<DeactivateOutcome> {
  return new PromiseOriginal<DeactivateOutcome>((resolve, reject) => {
    const stop = watchSilence(runtime, id, silentMs, reject);
    safeThen(
      runWithin(() => runtime.deactivate(), timeoutMs, `deactivate() of plugin "${id}"`),
      (outcome) => {
        stop();
        resolve(outcome);
      },
      (error: unknown) => {
        stop();
        reject(error);
      },
    );
  });
}
