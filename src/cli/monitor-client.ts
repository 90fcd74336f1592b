/**
 * A client of a running monitor's JSON API for the command line: finds the token (in the URL's
 * `?token=`, `--token`, or `STEWARD_MONITOR_TOKEN`), calls the API with `fetch` and turns every
 * failure into a message that says what to do.
 */
import { StewardError } from '../core/errors.js';
import { UsageError } from './command.js';

/** Where the monitor is and how to authenticate. */
export interface MonitorTarget {
  /** `http://host:port`. */
  readonly origin: string;
  readonly token: string;
}

/** Resolve a monitor URL (as printed by `startMonitor`) and a token. Throws UsageError. */
export function monitorTarget(
  url: string,
  tokenOption: string | undefined,
  envToken: string | undefined,
): MonitorTarget {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UsageError(
      `"${url}" is not a URL. Pass the URL the monitor printed, e.g. http://127.0.0.1:9230/?token=…`,
    );
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new UsageError(`"${url}" is not an http(s) URL. Pass the URL the monitor printed.`);
  }
  const token = tokenOption ?? (parsed.searchParams.get('token') || undefined) ?? envToken;
  if (!token) {
    throw new UsageError(
      'No token: pass the full URL the monitor printed (it ends with ?token=…), --token <token>, ' +
        'or set STEWARD_MONITOR_TOKEN.',
    );
  }
  return { origin: parsed.origin, token };
}

/** A failure talking to the monitor (exit code 1). Code `STEWARD_MONITOR_REQUEST`. */
export class MonitorRequestError extends StewardError {
  override name = 'MonitorRequestError';
  /** The code of this class's errors. */
  static override readonly code = 'STEWARD_MONITOR_REQUEST';
}

/** GET `path` from the monitor as JSON, within `timeoutMs`. Throws MonitorRequestError. */
export function getJson<T>(target: MonitorTarget, path: string, timeoutMs: number): Promise<T> {
  return requestJson<T>(target, 'GET', path, timeoutMs);
}

/** POST an action to `path` (empty JSON body) and read the JSON answer. Throws MonitorRequestError. */
export function postJson<T>(target: MonitorTarget, path: string, timeoutMs: number): Promise<T> {
  return requestJson<T>(target, 'POST', path, timeoutMs);
}

async function requestJson<T>(
  target: MonitorTarget,
  method: 'GET' | 'POST',
  path: string,
  timeoutMs: number,
): Promise<T> {
  const url = `${target.origin}${path}`;
  let res: Response;
  try {
    res = await fetch(url, {
      method,
      headers: {
        authorization: `Bearer ${target.token}`,
        accept: 'application/json',
        ...(method === 'POST' && { 'content-type': 'application/json' }),
      },
      ...(method === 'POST' && { body: '{}' }),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    const why =
      (error as Error).name === 'TimeoutError'
        ? `no answer within ${timeoutMs} ms`
        : (cause?.code ?? cause?.message ?? (error as Error).message);
    throw new MonitorRequestError(
      `cannot reach the monitor at ${target.origin} (${why}). Is the application still running, and is this the URL it printed?`,
    );
  }
  const text = await res.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new MonitorRequestError(
      `${url} answered ${res.status} with something that is not JSON; is this a Steward monitor?`,
    );
  }
  if (!res.ok) {
    const message = (body as { error?: string }).error ?? `HTTP ${res.status}`;
    const hint =
      res.status === 401 ? ' Check the token: each monitor run prints a new URL with a new token.' : '';
    throw new MonitorRequestError(`the monitor refused ${path}: ${message}${hint}`);
  }
  return body as T;
}
