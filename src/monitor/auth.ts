/**
 * Request guards of the monitor: the access token (compared in constant time), the Host
 * header (against DNS rebinding) and the Origin of state-changing requests (against CSRF).
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';

/** Minimum length of a caller-chosen token. */
export const MIN_TOKEN_LENGTH = 16;

/** A fresh random token: 24 random bytes, base64url (32 characters). */
export function generateToken(): string {
  return randomBytes(24).toString('base64url');
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

/**
 * Whether `candidate` equals `token`. Both are hashed first so the comparison takes the same
 * time whatever the candidate's length or content.
 */
export function tokenMatches(token: string, candidate: string | undefined | null): boolean {
  if (typeof candidate !== 'string' || candidate.length === 0) return false;
  return timingSafeEqual(digest(token), digest(candidate));
}

/** The token a request presents: `Authorization: Bearer <token>`, or `?token=` when allowed. */
export function presentedToken(req: IncomingMessage, url: URL, allowQuery: boolean): string | undefined {
  const header = req.headers.authorization;
  if (typeof header === 'string') {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (match) return match[1];
  }
  if (allowQuery) return url.searchParams.get('token') ?? undefined;
  return undefined;
}

/** Whether `host` (a bind address or host name) is a loopback name. */
export function isLoopbackHost(host: string): boolean {
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  if (bare === 'localhost' || bare === '::1') return true;
  return isIP(bare) === 4 && bare.startsWith('127.');
}

/** The host names a server accepts in `Host` headers (lower case, IPv6 in brackets). */
export function allowedHostNames(bindHost: string, extra: readonly string[]): Set<string> {
  const names = new Set<string>();
  const add = (name: string): void => {
    const lower = name.toLowerCase();
    names.add(isIP(lower) === 6 ? `[${lower}]` : lower);
  };
  if (isLoopbackHost(bindHost)) {
    for (const name of ['127.0.0.1', 'localhost', '::1']) add(name);
  }
  add(bindHost);
  for (const name of extra) add(name);
  return names;
}

/**
 * Whether the request's `Host` header names this server: an allowed name and the server's port.
 * A browser tricked by DNS rebinding sends the attacker's host name, which is refused.
 */
export function hostAllowed(req: IncomingMessage, names: ReadonlySet<string>, port: number): boolean {
  const host = req.headers.host;
  if (typeof host !== 'string') return false;
  const match = /^(\[[0-9a-f:.]+\]|[^:[\]]+)(?::(\d+))?$/i.exec(host.trim());
  if (!match) return false;
  const name = match[1]!.toLowerCase();
  const hostPort = match[2] === undefined ? 80 : Number(match[2]);
  return hostPort === port && names.has(name);
}

/**
 * Whether a state-changing request may come from where it comes from. A browser always sends
 * `Origin` on a POST: it must be this server's own origin (`http://<Host header>`). A request
 * without `Origin` (command line tools) is accepted only if `Sec-Fetch-Site` does not say it
 * is cross-site. The token is checked separately.
 */
export function originAllowed(req: IncomingMessage): boolean {
  const origin = req.headers.origin;
  const site = req.headers['sec-fetch-site'];
  if (typeof site === 'string' && site !== 'same-origin' && site !== 'none') return false;
  if (origin === undefined) return true;
  return origin.toLowerCase() === `http://${req.headers.host ?? ''}`.toLowerCase();
}
