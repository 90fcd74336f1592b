/**
 * `startMonitor(manager, options)`: the monitor's HTTP server (`node:http`, no framework).
 * Loopback by default, on a chosen or free port, guarded by a random token. Every request's
 * Host header must name this server (against DNS rebinding); everything but the page's static
 * files needs the token; actions are POSTs with `Content-Type: application/json`, the token in
 * `Authorization: Bearer` and, from a browser, this server's own Origin. `/livez` and `/readyz`
 * answer loopback peers without the token and tell nothing but liveness and which plugins are
 * not ready. Requests the HTTP specification says to refuse are refused before routing, and
 * slow or idle connections are cut after bounded times (edge.ts).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { StewardError, StewardRangeError, StewardTypeError } from '../core/errors.js';
import type { ResourceManager } from '../core/index.js';
import { loadBrowserModules } from '../node/browser-modules.js';
import * as api from './api.js';
import { type Asset, loadAssets } from './assets.js';
import {
  allowedHostNames,
  generateToken,
  hostAllowed,
  isLoopbackHost,
  MIN_TOKEN_LENGTH,
  originAllowed,
  presentedToken,
  tokenMatches,
} from './auth.js';
import { checkRequest, type EdgeOptions, edgeLimits, hardenServer, serverOptions } from './edge.js';
import { EventCollector, type MonitorEvent } from './events.js';
import { isLoopbackPeer, type ReadinessOptions, readiness } from './health.js';
import { pluginHeap, StreamedAnswer } from './heap-route.js';
import { type HistoryOptions, MemoryHistory } from './history.js';
import { HttpError, PAGE_CSP, readJsonBody, sendJson, sendText } from './http.js';
import { LeakLog } from './leaks.js';
import { type MetricsOptions, MonitorMetrics } from './metrics.js';
import type { PluginControl } from './plugin-control.js';
import { ProcessMonitor } from './process-stats.js';
import { errorText } from './serialize.js';
import { SseHub } from './sse.js';

/** Options of the live event stream. */
export interface EventStreamOptions {
  /** Events are sent in batches at most this often, ms. Default 150. */
  readonly flushMs?: number;
  /** Events queued per client (and per flush) before the oldest are dropped. Default 2000. */
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

/** A running monitor. `close()` (or `await using`) stops it and closes every connection. */
export class MonitorServer implements AsyncDisposable {
  /** The page's URL, token included: open it in a browser. */
  readonly url: string;
  /** `http://host:port` of this server. */
  readonly origin: string;
  /** The bound port. */
  readonly port: number;
  /** The access token. */
  readonly token: string;
  /** The Prometheus side (its `registry` is the monitor's own). */
  readonly metrics: MonitorMetrics;
  readonly #server: Server;
  readonly #stop: () => void;
  readonly #sse: SseHub;
  #closing: Promise<void> | undefined;

  /** @internal Created by `startMonitor`. */
  constructor(
    server: Server,
    origin: string,
    token: string,
    metrics: MonitorMetrics,
    sse: SseHub,
    stop: () => void,
  ) {
    this.#server = server;
    this.origin = origin;
    this.port = (server.address() as AddressInfo).port;
    this.token = token;
    this.url = `${origin}/?token=${encodeURIComponent(token)}`;
    this.metrics = metrics;
    this.#sse = sse;
    this.#stop = stop;
  }

  /** Number of connected event-stream clients. */
  get streamClients(): number {
    return this.#sse.size;
  }

  /** Events waiting for the slowest event-stream client (bounded by `events.maxBacklog`). */
  get streamBacklog(): number {
    return this.#sse.maxBacklog;
  }

  /** Stop: end event streams, stop sampling and listening, close every connection. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= new Promise<void>((resolve, reject) => {
      this.#stop();
      this.#server.close((error) => (error ? reject(error) : resolve()));
      this.#server.closeAllConnections();
    });
    return this.#closing;
  }

  /** `await using` support: `close()`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/** Stop a monitor; same as `server.close()`. */
export function stopMonitor(server: MonitorServer): Promise<void> {
  return server.close();
}

/** Where the page loads Steward's own browser build (`steward` and `steward/dom`) from. */
const BROWSER_BASE = '/steward/';
/** Routes whose GET also accepts `?token=` (what a browser loads by URL). */
const QUERY_TOKEN_PATHS = new Set(['/', '/index.html', '/api/events']);

/**
 * Start a monitor of `manager`. Resolves once listening; rejects with a clear error on bad
 * options or if the port cannot be bound (nothing keeps running then).
 */
export async function startMonitor(
  manager: ResourceManager,
  options: MonitorOptions = {},
): Promise<MonitorServer> {
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
  const token = options.token ?? generateToken();
  const plugins = options.plugins;
  const assets = await loadAssets();
  // The dashboard manages its own views, stream and timers with steward/dom (served here).
  const browser = await loadBrowserModules(BROWSER_BASE);
  const history = new MemoryHistory(manager, options.history);
  const metrics = new MonitorMetrics(manager, plugins, options.metrics);
  const processMonitor = new ProcessMonitor({ intervalMs: history.intervalMs, samples: history.capacity });
  const leaks = new LeakLog(manager);

  const log: MonitorEvent[] = [];
  let collector: EventCollector | undefined;
  const sse = new SseHub({
    maxBacklog,
    heartbeatMs,
    stallMs: limits.streamStallMs,
    onCountChange: (count) => collector?.wantResourceEvents(count > 0),
  });
  collector = new EventCollector(
    manager,
    (batch) => {
      log.push(...batch);
      if (log.length > logSize) log.splice(0, log.length - logSize);
      sse.broadcast(batch);
    },
    { flushMs, maxPending: maxBacklog },
    plugins?.onChange ? (listener) => plugins.onChange!(listener) : undefined,
  );
  const ctx: api.ApiContext = {
    manager,
    plugins,
    history,
    process: processMonitor,
    leaks,
    startedAt: Date.now(),
  };

  const server = createServer(serverOptions(limits));
  hardenServer(server, limits);
  let names: Set<string> = new Set();
  let boundPort = 0;
  let origin = '';
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    handle(req, res).catch((error: unknown) => {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      if (error instanceof HttpError) sendJson(res, error.status, { error: error.message }, error.headers);
      else sendJson(res, 500, { error: `Internal error of the monitor: ${errorText(error)}` });
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    checkRequest(req, limits);
    if (!hostAllowed(req, names, boundPort)) {
      throw new HttpError(
        403,
        `Host "${req.headers.host ?? ''}" is not this monitor's. Use ${origin} (add other names with options.allowedHosts).`,
      );
    }
    const url = new URL(req.url ?? '/', origin);
    const path = url.pathname;
    // HEAD is GET without the body (Node leaves the body out).
    const method = req.method === 'HEAD' ? 'GET' : (req.method ?? 'GET');

    if (method === 'GET' && (path === '/livez' || path === '/readyz') && isLoopbackPeer(req)) {
      if (path === '/livez') return sendText(res, 200, 'ok\n', 'text/plain; charset=utf-8');
      const ready = readiness(plugins, required);
      sendText(res, ready.ok ? 200 : 503, ready.text, 'text/plain; charset=utf-8');
      return;
    }

    if (method === 'GET' && path.startsWith('/assets/')) {
      const asset: Asset | undefined = assets.get(path.slice('/assets/'.length));
      if (asset === undefined || path === '/assets/index.html') throw new HttpError(404, `No asset ${path}.`);
      sendText(res, 200, asset.body, asset.contentType);
      return;
    }

    if (method === 'GET' && path.startsWith(BROWSER_BASE)) {
      const body = browser.files.get(path.slice(BROWSER_BASE.length));
      if (body === undefined) throw new HttpError(404, `No Steward browser module at ${path}.`);
      const type = path.endsWith('.map') ? 'application/json' : 'text/javascript; charset=utf-8';
      sendText(res, 200, body, type);
      return;
    }

    const isPost = method === 'POST';
    if (isPost && !originAllowed(req)) {
      throw new HttpError(403, `Cross-origin action refused: Origin must be ${origin}.`);
    }
    const presented = presentedToken(req, url, !isPost && QUERY_TOKEN_PATHS.has(path));
    if (!tokenMatches(token, presented)) {
      const how = isPost
        ? 'send it as "Authorization: Bearer <token>"'
        : 'send "Authorization: Bearer <token>" (the page and the event stream also take ?token=)';
      if (!isPost && (path === '/' || path === '/index.html')) {
        sendText(
          res,
          401,
          'This Steward monitor needs its access token. Open the full URL it printed when it started (it ends with ?token=…).\n',
          'text/plain; charset=utf-8',
        );
        return;
      }
      throw new HttpError(
        401,
        `Missing or wrong token: ${how}. The token is in the URL the monitor printed.`,
        {
          'www-authenticate': 'Bearer realm="steward-monitor"',
        },
      );
    }

    if (!isPost) {
      await get(path, url.searchParams, req, res);
      return;
    }
    const body = await readJsonBody(req);
    const answer = await post(path, body, url.searchParams);
    if (answer instanceof StreamedAnswer) return answer.send(res);
    sendJson(res, 200, answer);
  }

  async function get(
    path: string,
    params: URLSearchParams,
    req: IncomingMessage,
    res: ServerResponse,
  ): Promise<void> {
    if (path === '/' || path === '/index.html') {
      sendText(res, 200, assets.get('index.html')!.body, 'text/html; charset=utf-8', {
        'content-security-policy': PAGE_CSP,
      });
      return;
    }
    if (path === '/api/events') {
      // HEAD: the stream's headers, no stream (a HEAD response has no body to keep open).
      if (req.method === 'HEAD') return sendText(res, 200, '', 'text/event-stream; charset=utf-8');
      sse.attach(res, log);
      req.socket.setTimeout(0);
      return;
    }
    if (path === '/metrics') {
      sendText(res, 200, await metrics.render(), metrics.contentType);
      return;
    }
    if (path === '/api/snapshot') return sendJson(res, 200, api.snapshot(ctx));
    if (path === '/api/stats') return sendJson(res, 200, manager.stats());
    if (path === '/api/plugins') return sendJson(res, 200, api.plugins(ctx));
    if (path === '/api/process') return sendJson(res, 200, api.processInfo(ctx));
    if (path === '/api/leaks') return sendJson(res, 200, api.leaks(ctx));
    if (path === '/api/history') return sendJson(res, 200, api.history(ctx, params));
    if (path === '/api/events/recent') return sendJson(res, 200, { events: log });
    const match = /^\/api\/components\/([^/]+)\/resources$/.exec(path);
    if (match) return sendJson(res, 200, api.resources(ctx, decodeSegment(match[1]!), params));
    if (isAction(path)) throw new HttpError(405, `${path} is an action: use POST.`, { allow: 'POST' });
    throw new HttpError(404, `No route GET ${path}. See docs/monitor.md for the API.`);
  }

  async function post(
    path: string,
    body: Record<string, unknown>,
    params: URLSearchParams,
  ): Promise<unknown> {
    if (path === '/api/leaks/check') return api.checkLeaks(ctx);
    if (path === '/api/plugins/memory') return api.measurePluginMemory(ctx);
    const component = /^\/api\/components\/([^/]+)\/(cleanup|pause|resume)$/.exec(path);
    if (component) {
      const id = decodeSegment(component[1]!);
      const action = component[2]!;
      if (action === 'cleanup') return api.cleanup(ctx, id, body);
      return api.setPaused(ctx, id, action === 'pause');
    }
    const profile = /^\/api\/plugins\/([^/]+)\/profile$/.exec(path);
    if (profile) return api.profilePlugin(ctx, decodeSegment(profile[1]!), params);
    const heap = /^\/api\/plugins\/([^/]+)\/heap$/.exec(path);
    if (heap) return pluginHeap(ctx, decodeSegment(heap[1]!));
    const plugin = /^\/api\/plugins\/([^/]+)\/(reload|unload)$/.exec(path);
    if (plugin) return api.pluginAction(ctx, decodeSegment(plugin[1]!), plugin[2] as 'reload' | 'unload');
    throw new HttpError(404, `No action POST ${path}. See docs/monitor.md for the API.`);
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port }, () => {
      server.off('error', reject);
      resolve();
    });
  }).catch((error: unknown) => {
    collector?.close();
    metrics.close();
    processMonitor.close();
    leaks.close();
    throw new StewardError(`startMonitor(): cannot listen on ${host}:${port}: ${errorText(error)}`, {
      cause: error,
      code: 'STEWARD_MONITOR_LISTEN',
    });
  });
  boundPort = (server.address() as AddressInfo).port;
  names = allowedHostNames(host, options.allowedHosts ?? []);
  const urlHost = host.includes(':') ? `[${host}]` : host;
  origin = `http://${urlHost}:${boundPort}`;
  history.start();
  processMonitor.start();
  return new MonitorServer(server, origin, token, metrics, sse, () => {
    collector?.close();
    collector = undefined;
    history.stop();
    processMonitor.close();
    leaks.close();
    metrics.close();
    sse.closeAll();
  });
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new HttpError(400, `Malformed percent-encoding in "${segment}".`);
  }
}

function isAction(path: string): boolean {
  return (
    path === '/api/leaks/check' ||
    path === '/api/plugins/memory' ||
    /^\/api\/components\/[^/]+\/(cleanup|pause|resume)$/.test(path) ||
    /^\/api\/plugins\/[^/]+\/(reload|unload|profile|heap)$/.test(path)
  );
}
