/**
 * A loopback HTTP server for browser tests of `steward/dom`: it serves Steward's browser build
 * (dist/core, dist/dom) under /steward/ with an import map, a blank test page at /, the files of
 * a fixtures folder, an event stream at /events (counting open streams), and WebSockets.
 */
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize } from 'node:path';
import { loadBrowserModules } from '../../src/node/index.js';
import { acceptWebSockets, type WsConnection } from './ws-server.js';

/** A running page server. Close it (`await using`) to stop it and drop its connections. */
export interface PageServer extends AsyncDisposable {
  /** `http://127.0.0.1:<port>/` */
  readonly url: string;
  /** WebSocket connections seen so far. */
  readonly sockets: WsConnection[];
  /** Event streams (GET /events) currently open. */
  readonly openStreams: () => number;
  close(): Promise<void>;
}

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.jpg': 'image/jpeg',
};

/** The test page: the import map and an empty `<main id="app">`; `head` is added to its head. */
export function testPage(importMapScript: string, head = ''): string {
  return `<!doctype html><html><head><meta charset="utf-8">${importMapScript}${head}</head><body><main id="app"></main></body></html>`;
}

/** Start a page server on 127.0.0.1, serving `fixtures` (a folder) under /fixtures/. */
export async function startPageServer(
  options: {
    fixtures?: string;
    head?: string;
    route?: (req: IncomingMessage, res: ServerResponse) => boolean;
  } = {},
): Promise<PageServer> {
  const modules = await loadBrowserModules('/steward/');
  const page = testPage(modules.importMapScript, options.head);
  const streams = new Set<ServerResponse>();
  const server = createServer(async (req, res) => {
    if (modules.serve(req, res)) return;
    if (options.route?.(req, res)) return;
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (path === '/') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      return res.end(page);
    }
    if (path === '/events') {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store' });
      res.write('data: hello\n\n');
      streams.add(res);
      res.on('close', () => streams.delete(res));
      return;
    }
    if (options.fixtures && path.startsWith('/fixtures/')) {
      const file = normalize(join(options.fixtures, decodeURIComponent(path.slice('/fixtures/'.length))));
      if (file.startsWith(options.fixtures)) {
        try {
          const body = await readFile(file);
          res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' });
          return res.end(body);
        } catch {
          // 404 below
        }
      }
    }
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end(`not found: ${path}`);
  });
  const sockets = acceptWebSockets(server);
  const live = new Set<import('node:net').Socket>();
  server.on('connection', (s) => {
    live.add(s);
    s.on('close', () => live.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  const close = async (): Promise<void> => {
    for (const s of streams) s.end();
    for (const s of live) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return { url, sockets, openStreams: () => streams.size, close, [Symbol.asyncDispose]: close };
}
