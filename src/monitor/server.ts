/**
 * `startMonitor(manager, options)`: the monitor's HTTP server (`node:http`, no framework).
 * Loopback by default, on a chosen or free port, guarded by a random token. Every request's
 * Host header must name this server (against DNS rebinding); everything but the page's static
 * files needs the token; actions are POSTs with `Content-Type: application/json`, the token in
 * `Authorization: Bearer` and, from a browser, this server's own Origin. `/livez` and `/readyz`
 * answer loopback peers without the token and tell nothing but liveness and which plugins are
 * not ready. Requests the HTTP specification says to refuse are refused before routing, and
 * slow or idle connections are cut after bounded times (edge.ts). Its options are checked in
 * monitor-options.ts; what an authorized request gets is routes.ts.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { StewardError } from '../core/errors.js';
import type { ResourceManager } from '../core/index.js';
import { loadBrowserModules } from '../node/browser-modules.js';
import type * as api from './api.js';
import { type Asset, loadAssets } from './assets.js';
import {
  allowedHostNames,
  generateToken,
  hostAllowed,
  originAllowed,
  presentedToken,
  tokenMatches,
} from './auth.js';
import { checkRequest, hardenServer, serverOptions } from './edge.js';
import { EventCollector, type MonitorEvent } from './events.js';
import { isLoopbackPeer, readiness } from './health.js';
import { StreamedAnswer } from './heap-route.js';
import { MemoryHistory } from './history.js';
import { HttpError, readJsonBody, sendJson, sendText } from './http.js';
import { LeakLog } from './leaks.js';
import { MonitorMetrics } from './metrics.js';
import { checkMonitorOptions, type MonitorOptions } from './monitor-options.js';
import { ProcessMonitor } from './process-stats.js';
import { type MonitorRoutes, routeGet, routePost } from './routes.js';
import { errorText } from './serialize.js';
import { SseHub } from './sse.js';

export type { EventStreamOptions, MonitorOptions } from './monitor-options.js';

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
  const { host, port, flushMs, maxBacklog, heartbeatMs, logSize, limits, required } =
    checkMonitorOptions(options);
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
  const routes: MonitorRoutes = { ctx, assets, sse, log, metrics };

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
      await routeGet(routes, path, url.searchParams, req, res);
      return;
    }
    const body = await readJsonBody(req);
    const answer = await routePost(routes, path, body, url.searchParams);
    if (answer instanceof StreamedAnswer) return answer.send(res);
    sendJson(res, 200, answer);
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
