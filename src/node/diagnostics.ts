/**
 * Steward's events on `node:diagnostics_channel`, for APM and tracing tools: every manager
 * event `<name>` is published on the channel `steward:<name>` (e.g. `steward:cleanupFinished`,
 * `steward:leakDetected`) as `{ manager, ...payload }` — the payload being the manager's own
 * event object (component, resource, report…).
 *
 * Zero cost when nobody subscribes: a message is built only if the channel has subscribers.
 * The two hot events, `tracked` and `released`, are not even subscribed on the manager (which
 * would make it build an event object per track) until their channel has a subscriber; since
 * diagnostics_channel does not announce new subscribers, that is checked every `pollMs`
 * (default 1000, unref'd timer) and on `refresh()`. Rare events are always forwarded.
 */
import dc from 'node:diagnostics_channel';
import { StewardRangeError } from '../core/errors.js';
import type { ManagerEvents, ResourceManager, Subscription } from '../core/index.js';

/** Prefix of the channel names. */
export const CHANNEL_PREFIX = 'steward:';

const EVENTS = [
  'registered',
  'stateChanged',
  'tracked',
  'released',
  'cleanupStarted',
  'cleanupFinished',
  'memoryThresholdExceeded',
  'leakDetected',
  'disposerFailed',
  'disposerTimedOut',
  'serviceProvided',
  'serviceWithdrawn',
] as const satisfies readonly (keyof ManagerEvents)[];

const HOT = new Set<keyof ManagerEvents>(['tracked', 'released']);

/** The channel for manager event `name`. */
export function stewardChannel(name: keyof ManagerEvents): dc.Channel {
  return dc.channel(CHANNEL_PREFIX + name);
}

/** The publishing of one manager's events; dispose it to stop. */
export interface DiagnosticsPublisher extends Disposable {
  /** Re-check which hot channels have subscribers now (instead of waiting for the poll). */
  refresh(): void;
  /** Stop publishing. Idempotent. */
  dispose(): void;
}

/** Publish `manager`'s events on `steward:<event>` channels (see the module comment). */
export function publishDiagnostics(
  manager: ResourceManager,
  options: { pollMs?: number } = {},
): DiagnosticsPublisher {
  const pollMs = options.pollMs ?? 1000;
  if (!(Number.isFinite(pollMs) && pollMs > 0)) {
    throw new StewardRangeError(`publishDiagnostics(): pollMs must be a finite number > 0 (got ${pollMs}).`);
  }
  const subscriptions = new Map<keyof ManagerEvents, Subscription>();
  const forward = <K extends keyof ManagerEvents>(name: K): Subscription => {
    const channel = stewardChannel(name);
    return manager.on(name, (event) => {
      if (channel.hasSubscribers) channel.publish({ manager, ...(event as object) });
    });
  };
  for (const name of EVENTS) if (!HOT.has(name)) subscriptions.set(name, forward(name));
  const refresh = (): void => {
    for (const name of HOT) {
      const wanted = stewardChannel(name).hasSubscribers;
      const current = subscriptions.get(name);
      if (wanted && current === undefined) subscriptions.set(name, forward(name));
      else if (!wanted && current !== undefined) {
        current.dispose();
        subscriptions.delete(name);
      }
    }
  };
  refresh();
  const timer = setInterval(refresh, pollMs);
  timer.unref();
  let active = true;
  const dispose = (): void => {
    if (!active) return;
    active = false;
    clearInterval(timer);
    for (const s of subscriptions.values()) s.dispose();
    subscriptions.clear();
  };
  return { refresh: () => active && refresh(), dispose, [Symbol.dispose]: dispose };
}
