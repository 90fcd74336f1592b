// The web app's requests: its files, Steward's browser build, exifr's ES module build, the
// sample photos, and the page's mirror updates. Loopback only: a Host that is not the loopback
// address this server listens on (DNS rebinding) is refused, and so is a cross-origin POST.
import { readdir, readFile, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readBody, refusal, send } from '../../shared/loopback.js';

const APP_DIR = fileURLToPath(new URL('./app/', import.meta.url));
const PHOTOS_DIR = fileURLToPath(new URL('../../assets/photos/', import.meta.url));
const EXIFR = join(
  dirname(createRequire(import.meta.url).resolve('exifr/package.json')),
  'dist/full.esm.mjs',
);
/** Files of other folders the app loads, by URL path. */
const SHARED = {
  '/vendor/exifr.js': EXIFR,
  '/shared/exif.js': fileURLToPath(new URL('../media-analysis/exif.js', import.meta.url)),
  '/shared/media-page.js': fileURLToPath(new URL('../media-analysis/page.js', import.meta.url)),
};
const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.jpg': 'image/jpeg',
  '.svg': 'image/svg+xml',
};
const MAX_MIRROR_BYTES = 256 * 1024;

async function sendFile(res, file) {
  let body;
  try {
    body = await readFile(file);
  } catch {
    return send(res, 404, 'text/plain; charset=utf-8', 'Not found.');
  }
  send(res, 200, TYPES[extname(file)] ?? 'application/octet-stream', body);
}

async function readJson(req) {
  const text = await readBody(req, MAX_MIRROR_BYTES);
  try {
    return JSON.parse(text || 'null');
  } catch {
    throw Object.assign(new Error('the body is not JSON'), { status: 400 });
  }
}

/** The JPEGs of the sample folder, with their sizes, in name order. */
async function photos() {
  const names = (await readdir(PHOTOS_DIR)).filter((n) => n.toLowerCase().endsWith('.jpg')).sort();
  return Promise.all(names.map(async (file) => ({ file, bytes: (await stat(join(PHOTOS_DIR, file))).size })));
}

/** The request handler: `modules` from loadBrowserModules, `mirror` a PageMirror, `port()` the port listened on. */
export function createRequestHandler({ modules, mirror, port, log }) {
  return async function handle(req, res) {
    try {
      const why = refusal(req, port());
      if (why) return send(res, 403, 'text/plain; charset=utf-8', `Forbidden: ${why}.`);
      if (modules.serve(req, res)) return;
      let path;
      try {
        path = decodeURIComponent(new URL(req.url ?? '/', 'http://localhost').pathname);
      } catch {
        return send(
          res,
          400,
          'text/plain; charset=utf-8',
          'Bad request: the path is not valid percent-encoding.',
        );
      }
      if (req.method === 'POST' && path === '/api/mirror') {
        mirror.update(await readJson(req));
        return send(res, 204, 'text/plain', '');
      }
      if (req.method === 'POST' && path === '/api/mirror/close') {
        mirror.clear('page closed');
        return send(res, 204, 'text/plain', '');
      }
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        return send(res, 405, 'text/plain; charset=utf-8', 'Use GET.', { allow: 'GET, HEAD' });
      }
      if (path === '/') {
        const html = await readFile(join(APP_DIR, 'index.html'), 'utf8');
        return send(res, 200, TYPES['.html'], html.replace('<!-- import map -->', modules.importMapScript));
      }
      if (path === '/api/photos') return send(res, 200, 'application/json', JSON.stringify(await photos()));
      if (SHARED[path]) return sendFile(res, SHARED[path]);
      const under = (prefix, dir) =>
        path.startsWith(prefix) && /^[\w-]+(\/[\w-]+)*\.\w+$/.test(path.slice(prefix.length))
          ? join(dir, path.slice(prefix.length))
          : undefined;
      const file = under('/app/', APP_DIR) ?? under('/photos/', PHOTOS_DIR);
      if (file) return sendFile(res, file);
      return send(res, 404, 'text/plain; charset=utf-8', `Not found: ${path}. The app is at /.`);
    } catch (error) {
      if (res.headersSent) return res.destroy();
      if (!error.status) log.warn(`request ${req.method} ${req.url} failed: ${error.message}`);
      send(res, error.status ?? 500, 'text/plain; charset=utf-8', `Error: ${error.message}`);
    }
  };
}
