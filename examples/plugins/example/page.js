// The example plugin's page: the brief's "Allocate Test Resource" / "Release Test Resource"
// buttons and memory label. Loopback only; cross-origin POSTs are refused.

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

function send(res, status, body, headers = {}) {
  res.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    ...headers,
  });
  res.end(body);
}

function refused(plugin, req) {
  const host = req.headers.host ?? '';
  const colon = host.lastIndexOf(':');
  if (!LOOPBACK_HOSTS.has(host.slice(0, colon)) || host.slice(colon + 1) !== String(plugin.port)) return true;
  if (req.method !== 'POST') return false;
  const origin = req.headers.origin;
  return (
    (origin !== undefined && origin !== `http://${host}`) || req.headers['sec-fetch-site'] === 'cross-site'
  );
}

/** Handle one request for `plugin` (the ExamplePlugin instance). */
export function bufferPage(plugin, req, res) {
  if (refused(plugin, req)) return send(res, 403, 'Forbidden.');
  const path = new URL(req.url ?? '/', 'http://localhost').pathname;
  if (req.method === 'POST' && (path === '/allocate' || path === '/release')) {
    if (path === '/allocate') plugin.allocateBuffer();
    else plugin.releaseBuffer();
    return send(res, 303, 'See /', { location: '/' });
  }
  if (req.method !== 'GET' || path !== '/') return send(res, 404, 'Not found. The page is at /.');
  const usage = plugin.memoryUsage.toLocaleString('en-US');
  send(
    res,
    200,
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Example Plugin</title>
<style>body{font:14px system-ui,sans-serif;margin:1.5rem}form{display:inline-block;margin-right:.5rem}</style></head>
<body><h2>Example Plugin</h2>
<p id="info">${plugin.allocated ? 'Test resource allocated' : 'Plugin loaded successfully'}</p>
<p id="memory">Memory: ${usage} bytes</p>
<form method="post" action="/allocate"><button>Allocate Test Resource</button></form>
<form method="post" action="/release"><button>Release Test Resource</button></form>
</body></html>`,
  );
}
