// The example plugin's page: the brief's "Allocate Test Resource" / "Release Test Resource"
// buttons and memory label. Loopback only; cross-origin POSTs are refused.

import { refusal, send as sendAny } from '../../shared/loopback.js';

const send = (res, status, body, headers) => sendAny(res, status, 'text/html; charset=utf-8', body, headers);

/** Handle one request for `plugin` (the ExamplePlugin instance). */
export function bufferPage(plugin, req, res) {
  if (refusal(req, plugin.port)) return send(res, 403, 'Forbidden.');
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
