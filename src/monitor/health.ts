/**
 * `/livez` and `/readyz`, as Kubernetes names them: live means the host answers; ready means
 * every required plugin is `active`. They are answered without the token to loopback peers only
 * (a probe on the same machine or pod), and say nothing but which plugins are not ready.
 */
import type { IncomingMessage } from 'node:http';
import { isLoopbackHost } from './auth.js';
import type { PluginControl } from './plugin-control.js';

/** What `/readyz` requires. */
export interface ReadinessOptions {
  /**
   * Ids of the plugins that must be `active` for the host to be ready. Default: every plugin the
   * host knows. A required id the host does not know makes it not ready (`unknown`).
   */
  readonly required?: readonly string[];
}

/** The answer of `/readyz`. */
export interface Readiness {
  readonly ok: boolean;
  /** Ids and states of the required plugins that are not active. */
  readonly notReady: ReadonlyArray<{ readonly id: string; readonly state: string }>;
  /** The response body: `ok`, or `not ready` and one `[-] id: state` line per plugin. */
  readonly text: string;
}

/** Whether every required plugin of `plugins` is active. Without a plugin host, ready. */
export function readiness(plugins: PluginControl | undefined, required?: readonly string[]): Readiness {
  const states = new Map((plugins?.list() ?? []).map((p) => [p.id, p.state]));
  const ids = required ?? [...states.keys()];
  const notReady = ids
    .map((id) => ({ id, state: states.get(id) ?? 'unknown' }))
    .filter((p) => p.state !== 'active');
  const text =
    notReady.length === 0
      ? 'ok\n'
      : `not ready\n${notReady.map((p) => `[-] ${p.id}: ${p.state}\n`).join('')}`;
  return { ok: notReady.length === 0, notReady, text };
}

/** Whether the request's peer address is a loopback address (not merely its Host header). */
export function isLoopbackPeer(req: IncomingMessage): boolean {
  const address = req.socket.remoteAddress ?? '';
  const bare = address.startsWith('::ffff:') ? address.slice('::ffff:'.length) : address;
  return isLoopbackHost(bare);
}
