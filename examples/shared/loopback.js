// What the examples' pages share: they answer on 127.0.0.1 only. A request whose Host is not the
// loopback address and port the server listens on (DNS rebinding) is refused, and so is a POST
// from another origin. Imported by the plugins' http modules (media-analysis, window, example).
// Bodies are read up to a limit.

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** Why `req` is refused by a server listening on `port`, or undefined when it is fine. */
export function refusal(req, port) {
  const host = req.headers.host ?? '';
  const colon = host.lastIndexOf(':');
  const name = colon > 0 ? host.slice(0, colon) : host;
  if (!LOOPBACK_HOSTS.has(name) || host.slice(colon + 1) !== String(port)) return 'unexpected Host header';
  if (req.method === 'POST') {
    const origin = req.headers.origin;
    if (origin !== undefined && origin !== `http://${host}`) return 'cross-origin request';
    if (req.headers['sec-fetch-site'] === 'cross-site') return 'cross-site request';
  }
  return undefined;
}

/** Send a complete response that is never cached nor sniffed. */
export function send(res, status, type, body, headers = {}) {
  res.writeHead(status, {
    'content-type': type,
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    ...headers,
  });
  res.end(body);
}

/** The request's body as text, at most `maxBytes` (else an error with status 413: `what` too large). */
export async function readBody(req, maxBytes, what = 'body') {
  let size = 0;
  const chunks = [];
  for await (const chunk of req) {
    size += chunk.length;
    if (size > maxBytes) throw Object.assign(new Error(`${what} too large`), { status: 413 });
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}
