/**
 * The monitor's routes, once a request passed the edge, the Host check and the token: the page,
 * the event stream, `/metrics`, the JSON API's reads (GET) and its actions (POST), each to the
 * function of `api.ts` (or `heap-route.ts`) that answers it. Anything else is a 404 — a GET of an
 * action a 405 — that points to docs/monitor.md.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import * as api from './api.js';
import type { Asset } from './assets.js';
import type { MonitorEvent } from './events.js';
import { pluginHeap } from './heap-route.js';
import { HttpError, PAGE_CSP, sendJson, sendText } from './http.js';
import type { MonitorMetrics } from './metrics.js';
import type { SseHub } from './sse.js';

/** What the routes answer from: the API's context, the page's assets, the stream and its log, the metrics. */
export interface MonitorRoutes {
  readonly ctx: api.ApiContext;
  readonly assets: ReadonlyMap<string, Asset>;
  readonly sse: SseHub;
  /** The recent events (the page's event log, and what a new stream client gets first). */
  readonly log: MonitorEvent[];
  readonly metrics: MonitorMetrics;
}

/** Answer an authorized GET of `path`. */
export async function routeGet(
  r: MonitorRoutes,
  path: string,
  params: URLSearchParams,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  if (path === '/' || path === '/index.html') {
    sendText(res, 200, r.assets.get('index.html')!.body, 'text/html; charset=utf-8', {
      'content-security-policy': PAGE_CSP,
    });
    return;
  }
  if (path === '/api/events') {
    // HEAD: the stream's headers, no stream (a HEAD response has no body to keep open).
    if (req.method === 'HEAD') return sendText(res, 200, '', 'text/event-stream; charset=utf-8');
    r.sse.attach(res, r.log);
    req.socket.setTimeout(0);
    return;
  }
  if (path === '/metrics') {
    sendText(res, 200, await r.metrics.render(), r.metrics.contentType);
    return;
  }
  if (path === '/api/snapshot') return sendJson(res, 200, api.snapshot(r.ctx));
  if (path === '/api/stats') return sendJson(res, 200, r.ctx.manager.stats());
  if (path === '/api/plugins') return sendJson(res, 200, api.plugins(r.ctx));
  if (path === '/api/process') return sendJson(res, 200, api.processInfo(r.ctx));
  if (path === '/api/leaks') return sendJson(res, 200, api.leaks(r.ctx));
  if (path === '/api/history') return sendJson(res, 200, api.history(r.ctx, params));
  if (path === '/api/events/recent') return sendJson(res, 200, { events: r.log });
  const match = /^\/api\/components\/([^/]+)\/resources$/.exec(path);
  if (match) return sendJson(res, 200, api.resources(r.ctx, decodeSegment(match[1]!), params));
  if (isAction(path)) throw new HttpError(405, `${path} is an action: use POST.`, { allow: 'POST' });
  throw new HttpError(404, `No route GET ${path}. See docs/monitor.md for the API.`);
}

/** Answer an authorized POST of `path`: the action's result, to send as JSON or streamed. */
export async function routePost(
  r: MonitorRoutes,
  path: string,
  body: Record<string, unknown>,
  params: URLSearchParams,
): Promise<unknown> {
  if (path === '/api/leaks/check') return api.checkLeaks(r.ctx);
  if (path === '/api/plugins/memory') return api.measurePluginMemory(r.ctx);
  const component = /^\/api\/components\/([^/]+)\/(cleanup|pause|resume)$/.exec(path);
  if (component) {
    const id = decodeSegment(component[1]!);
    const action = component[2]!;
    if (action === 'cleanup') return api.cleanup(r.ctx, id, body);
    return api.setPaused(r.ctx, id, action === 'pause');
  }
  const profile = /^\/api\/plugins\/([^/]+)\/profile$/.exec(path);
  if (profile) return api.profilePlugin(r.ctx, decodeSegment(profile[1]!), params);
  const heap = /^\/api\/plugins\/([^/]+)\/heap$/.exec(path);
  if (heap) return pluginHeap(r.ctx, decodeSegment(heap[1]!));
  const plugin = /^\/api\/plugins\/([^/]+)\/(reload|unload)$/.exec(path);
  if (plugin) return api.pluginAction(r.ctx, decodeSegment(plugin[1]!), plugin[2] as 'reload' | 'unload');
  throw new HttpError(404, `No action POST ${path}. See docs/monitor.md for the API.`);
}

/** A path segment, percent-decoded; a 400 when malformed. */
function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new HttpError(400, `Malformed percent-encoding in "${segment}".`);
  }
}

/** Whether `path` is one of the actions (POST only). */
function isAction(path: string): boolean {
  return (
    path === '/api/leaks/check' ||
    path === '/api/plugins/memory' ||
    /^\/api\/components\/[^/]+\/(cleanup|pause|resume)$/.test(path) ||
    /^\/api\/plugins\/[^/]+\/(reload|unload|profile|heap)$/.test(path)
  );
}
