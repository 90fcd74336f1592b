/**
 * The options of `startMonitor` and their checks, before anything is started: a bind beyond
 * loopback needs `allowRemote` and an explicit token, a token is long enough, ports and the event
 * stream's bounds are integers in range, `readiness.required` names plugins.
 */
import { StewardError, StewardRangeError, StewardTypeError } from '../core/errors.js';
import { isLoopbackHost, MIN_TOKEN_LENGTH } from './auth.js';
import { type EdgeLimits, type EdgeOptions, edgeLimits } from './edge.js';
import type { ReadinessOptions } from './health.js';
import type { HistoryOptions } from './history.js';
import type { MetricsOptions } from './metrics.js';
import type { PluginControl } from './plugin-control.js';

/** Options of the live event stream. */
export interface EventStreamOptions {
  /** Events are sent in batches at most this often, ms. Default 150. */
  readonly flushMs?: number;
  /**
   * Events queued per client while its socket does not drain, before the oldest are dropped (a
   * draining client gets everything); a burst this large is also flushed at once. Default 2000.
   */
  readonly maxBacklog?: number;
  /** Interval of keep-alive comments, ms. Default 15000. */
  readonly heartbeatMs?: number;
  /** Recent events kept for the page's event log and for new clients. Default 500. */
  readonly logSize?: number;
}

/** Options of `startMonitor`. */
export interface MonitorOptions {
  /** Address to bind. Default `127.0.0.1`. Anything not loopback needs `allowRemote` and `token`. */
  readonly host?: string;
  /** Port; 0 (default) picks a free one. */
  readonly port?: number;
  /** Access token (at least 16 characters). Default: 24 random bytes. Required for a remote bind. */
  readonly token?: string;
  /** Allow binding a non-loopback address. Default false. */
  readonly allowRemote?: boolean;
  /** More host names accepted in `Host` headers (e.g. the machine's DNS name for a remote bind). */
  readonly allowedHosts?: readonly string[];
  /** The plugin host, to show plugins and reload or unload them. */
  readonly plugins?: PluginControl;
  /** Memory history sampling. */
  readonly history?: HistoryOptions;
  /** Prometheus metrics. */
  readonly metrics?: MetricsOptions;
  /** Live event stream. */
  readonly events?: EventStreamOptions;
  /** Time and size bounds of the HTTP server (timeouts, connection cap, header limits). */
  readonly http?: EdgeOptions;
  /** What `/readyz` requires. */
  readonly readiness?: ReadinessOptions;
}

function integerOption(value: number | undefined, fallback: number, name: string, min: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < min) {
    throw new StewardRangeError(
      `startMonitor(): ${name} must be an integer >= ${min} (got ${String(value)}).`,
    );
  }
  return value;
}

/** `startMonitor`'s options, checked, with their defaults. @internal */
export interface CheckedMonitorOptions {
  readonly host: string;
  readonly port: number;
  readonly flushMs: number;
  readonly maxBacklog: number;
  readonly heartbeatMs: number;
  readonly logSize: number;
  readonly limits: EdgeLimits;
  readonly required: readonly string[] | undefined;
}

/** Check `options` as `startMonitor` takes them; a StewardError that says what is wrong otherwise. @internal */
export function checkMonitorOptions(options: MonitorOptions): CheckedMonitorOptions {
  const host = options.host ?? '127.0.0.1';
  if (typeof host !== 'string' || host.length === 0) {
    throw new StewardTypeError('startMonitor(): host must be a non-empty string such as "127.0.0.1".');
  }
  const loopback = isLoopbackHost(host);
  if (!loopback && options.allowRemote !== true) {
    throw new StewardError(
      `startMonitor(): "${host}" is not a loopback address. The monitor can clean up components and reload ` +
        'plugins; exposing it beyond this machine needs { allowRemote: true, token } (and ideally a TLS proxy).',
      { code: 'STEWARD_MONITOR_UNSAFE_BIND' },
    );
  }
  if (!loopback && options.token === undefined) {
    throw new StewardError(
      `startMonitor(): binding "${host}" needs an explicit token (at least ${MIN_TOKEN_LENGTH} characters).`,
      { code: 'STEWARD_MONITOR_UNSAFE_BIND' },
    );
  }
  if (
    options.token !== undefined &&
    (typeof options.token !== 'string' || options.token.length < MIN_TOKEN_LENGTH)
  ) {
    throw new StewardRangeError(
      `startMonitor(): token must be a string of at least ${MIN_TOKEN_LENGTH} characters.`,
    );
  }
  const port = integerOption(options.port, 0, 'port', 0);
  if (port > 65535) throw new StewardRangeError(`startMonitor(): port must be at most 65535 (got ${port}).`);
  const ev = options.events ?? {};
  const flushMs = integerOption(ev.flushMs, 150, 'events.flushMs', 1);
  const maxBacklog = integerOption(ev.maxBacklog, 2000, 'events.maxBacklog', 1);
  const heartbeatMs = integerOption(ev.heartbeatMs, 15_000, 'events.heartbeatMs', 1);
  const logSize = integerOption(ev.logSize, 500, 'events.logSize', 1);
  const limits = edgeLimits(options.http);
  const required = options.readiness?.required;
  if (required !== undefined && (!Array.isArray(required) || required.some((id) => typeof id !== 'string'))) {
    throw new StewardTypeError('startMonitor(): readiness.required must be an array of plugin ids.');
  }
  return { host, port, flushMs, maxBacklog, heartbeatMs, logSize, limits, required };
}
