/**
 * Serving Steward's browser build to a page from a Node HTTP server, with no bundler: `dist/` is
 * plain ES modules, and `steward/dom` imports only `../core/*.js`, so the two folders served side
 * by side, plus an import map for the bare names `steward` and `steward/dom`, are all a page
 * needs. The monitor's dashboard and the example web app load it this way.
 */
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { fileURLToPath } from 'node:url';
import { StewardTypeError } from '../core/errors.js';
import { StewardError } from '../core/index.js';

/** The browser-safe layers of the build. */
const LAYERS = ['core', 'dom'] as const;

/** Steward's browser modules, read into memory, ready to serve under `base`. */
export interface BrowserModules {
  /** The URL path they are served under, e.g. `/steward/` (ends with `/`). */
  readonly base: string;
  /** Import map for `steward` and `steward/dom`. */
  readonly importMap: { readonly imports: Readonly<Record<string, string>> };
  /** The `<script type="importmap">` element to put in a page's `<head>` before any module script. */
  readonly importMapScript: string;
  /** Files by path below `base` (`core/index.js`, `dom/ledger.js.map`…). */
  readonly files: ReadonlyMap<string, Buffer>;
  /**
   * Answer `req` if its path is one of the files (200, or 404 for another path under `base`);
   * returns false, touching nothing, for paths outside `base`.
   */
  serve(req: IncomingMessage, res: ServerResponse): boolean;
}

/**
 * The folder holding the built `core/` and `dom/` (`dist/`): next to this module when it runs from
 * `dist/node/`, or the repository's `dist/` when it runs from `src/node/` (tsx, tests).
 */
export function browserModulesDir(): string {
  const candidates = [new URL('../', import.meta.url), new URL('../../dist/', import.meta.url)];
  for (const url of candidates) {
    const dir = fileURLToPath(url);
    if (LAYERS.every((layer) => existsSync(`${dir}${layer}/index.js`))) return dir;
  }
  throw new StewardError(
    `Steward's browser build was not found (looked for core/index.js and dom/index.js in ${candidates
      .map((u) => fileURLToPath(u))
      .join(' and ')}). Run \`npm run build\` first.`,
    { code: 'STEWARD_BROWSER_BUILD_MISSING' },
  );
}

/** Read the browser build (`.js` and `.js.map` of core and dom) to serve under `base` (default `/steward/`). */
export async function loadBrowserModules(
  base = '/steward/',
  dir = browserModulesDir(),
): Promise<BrowserModules> {
  if (!/^\/([\w.-]+\/)*$/.test(base)) {
    throw new StewardTypeError(
      `loadBrowserModules(): base must be a URL path that starts and ends with "/" (got "${base}").`,
    );
  }
  const files = new Map<string, Buffer>();
  for (const layer of LAYERS) {
    for (const name of await readdir(`${dir}${layer}`)) {
      if (/^[\w.-]+\.js(\.map)?$/.test(name))
        files.set(`${layer}/${name}`, await readFile(`${dir}${layer}/${name}`));
    }
  }
  const importMap = { imports: { steward: `${base}core/index.js`, 'steward/dom': `${base}dom/index.js` } };
  return {
    base,
    importMap,
    importMapScript: `<script type="importmap">${JSON.stringify(importMap)}</script>`,
    files,
    serve(req, res) {
      const path = new URL(req.url ?? '/', 'http://localhost').pathname;
      if (!path.startsWith(base)) return false;
      const body = files.get(path.slice(base.length));
      if (body === undefined || (req.method !== 'GET' && req.method !== 'HEAD')) {
        res.writeHead(body === undefined ? 404 : 405, { 'content-type': 'text/plain; charset=utf-8' });
        res.end(body === undefined ? `No Steward browser module at ${path}.` : 'Use GET.');
        return true;
      }
      res.writeHead(200, {
        'content-type': path.endsWith('.map') ? 'application/json' : 'text/javascript; charset=utf-8',
        'content-length': body.length,
        'cache-control': 'no-cache',
        'x-content-type-options': 'nosniff',
      });
      res.end(req.method === 'HEAD' ? undefined : body);
      return true;
    },
  };
}
