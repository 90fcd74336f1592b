// The brief's main window as a web app. This plugin only serves it: the page (app/) runs the
// tabs in the browser, each tab a component of a ResourceManager of its own, managed with
// steward/dom — listeners, timers, a Web Worker, object URLs, observers and mounted elements are
// released when the user closes a tab, and an element that outlives its tab is reported as a
// detached-element leak. The page mirrors its components into this plugin (mirror.js), so the
// monitor shows them under `window/page` and sees them go.
//
// Nothing here needs a bundler: Steward's dist/ is plain ES modules (loadBrowserModules serves
// dist/core and dist/dom with an import map), exifr has an ES module build, and the app is
// plain JavaScript.
//
// Service `window.app`: url, mirror (the mirror's status()).
import { once } from 'node:events';
import { createServer } from 'node:http';
import { tokenFor } from 'steward';
import { loadBrowserModules } from 'steward/node';
import { definePlugin } from 'steward/plugins';
import { createRequestHandler } from './http.js';
import { PageMirror } from './mirror.js';

/** The service token. */
export const WINDOW_APP = tokenFor('window.app');

/** The port: WINDOW_APP_PORT, else any free port. Always on 127.0.0.1. */
function appPort() {
  const raw = process.env.WINDOW_APP_PORT;
  if (raw === undefined || raw === '') return 0;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new RangeError(`window: WINDOW_APP_PORT must be a port number from 0 to 65535 (got "${raw}").`);
  }
  return port;
}

export default definePlugin({
  async activate(ctx) {
    const modules = await loadBrowserModules('/steward/');
    const mirror = new PageMirror(ctx);
    let port = appPort();
    const server = ctx.server(
      createServer(createRequestHandler({ modules, mirror, port: () => port, log: ctx.log })),
    );
    server.listen(port, '127.0.0.1');
    await once(server, 'listening', { signal: ctx.signal });
    port = server.address().port;
    const url = `http://127.0.0.1:${port}/`;
    ctx.services.provide(WINDOW_APP, { url, mirror: () => mirror.status() });
    ctx.log.info(`web app: ${url}`);
  },
});
