// The media-analysis page's requests. Loopback only: requests whose Host is not the loopback
// address the server listens on (DNS rebinding) are refused, and so are cross-origin POSTs.
import { readBody, refusal, send } from '../../shared/loopback.js';
import { renderPage } from './page.js';

const MAX_FORM_BYTES = 8 * 1024;

const redirect = (res) => send(res, 303, 'text/plain; charset=utf-8', 'See /', { location: '/' });

async function readForm(req) {
  return new URLSearchParams(await readBody(req, MAX_FORM_BYTES, 'form'));
}

/** A number field of a form: undefined when empty, else the number (NaN stays NaN: analyse() says why). */
function numberField(form, name) {
  const raw = form.get(name);
  return raw === null || raw.trim() === '' ? undefined : Number(raw);
}

/**
 * The request handler. `analyser` is the plugin's MediaAnalyser; `port()` the port listened on.
 * `log` is the plugin's logger.
 */
export function createRequestHandler({ analyser, port, log }) {
  let lastError;
  const formLimitBytes = 4096; // below the samples' 6 kB of thumbnails: the demo shows eviction

  const routes = {
    'GET /': (_req, res) =>
      send(
        res,
        200,
        'text/html; charset=utf-8',
        renderPage({
          status: analyser.status(),
          results: analyser.results(),
          defaultFolder: analyser.defaultFolder,
          formLimitBytes,
          lastError,
        }),
      ),
    'GET /api/status': (_req, res) =>
      send(
        res,
        200,
        'application/json',
        JSON.stringify({
          status: analyser.status(),
          results: analyser.results(),
          thumbnails: analyser.thumbnails(),
        }),
      ),
    'POST /analyse': async (req, res) => {
      const form = await readForm(req);
      const options = {};
      for (const name of ['thumbnailLimitBytes', 'delayMs']) {
        const value = numberField(form, name);
        if (value !== undefined) options[name] = value;
      }
      lastError = undefined;
      const folder = form.get('folder')?.trim() || analyser.defaultFolder;
      try {
        const { finished } = await analyser.start(folder, options);
        // The run goes on after the redirect; its outcome shows on the page.
        finished.catch((error) => {
          lastError = error.message;
          log.warn(`analysis from the page failed: ${error.message}`);
        });
      } catch (error) {
        lastError = error.message;
      }
      redirect(res);
    },
    'POST /cancel': async (_req, res) => {
      await analyser.cancel();
      redirect(res);
    },
    'POST /clear': async (_req, res) => {
      lastError = undefined;
      await analyser.clear();
      redirect(res);
    },
  };

  return async function handle(req, res) {
    try {
      const why = refusal(req, port());
      if (why) return send(res, 403, 'text/plain; charset=utf-8', `Forbidden: ${why}.`);
      const path = new URL(req.url ?? '/', 'http://localhost').pathname;
      if (req.method === 'GET' && path.startsWith('/thumbnails/')) {
        const file = decodeURIComponent(path.slice('/thumbnails/'.length));
        const thumbnail = analyser.thumbnail(file);
        if (!thumbnail)
          return send(res, 404, 'text/plain; charset=utf-8', `No thumbnail in memory for ${file}.`);
        res.writeHead(200, {
          'content-type': 'image/jpeg',
          'content-length': thumbnail.length,
          'cache-control': 'no-store',
        });
        return res.end(thumbnail);
      }
      const route = routes[`${req.method} ${path}`];
      if (route) return await route(req, res);
      const allowed = Object.keys(routes).filter((key) => key.endsWith(` ${path}`));
      if (allowed.length > 0) {
        return send(
          res,
          405,
          'text/plain; charset=utf-8',
          `Use ${allowed.map((k) => k.split(' ')[0]).join(' or ')}.`,
          {
            allow: allowed.map((k) => k.split(' ')[0]).join(', '),
          },
        );
      }
      return send(res, 404, 'text/plain; charset=utf-8', `Not found: ${path}. The page is at /.`);
    } catch (error) {
      if (res.headersSent) return res.destroy();
      send(res, error.status ?? 500, 'text/plain; charset=utf-8', `Error: ${error.message}`);
    }
  };
}
