/**
 * The monitor's HTTP edge: what a request must look like before any route sees it, the
 * server's time and size bounds, and the answers to requests Node's parser rejects itself.
 *
 * Node's parser (llhttp, strict mode) already refuses malformed request lines, obsolete line
 * folding, conflicting `Content-Length` values and `Transfer-Encoding` + `Content-Length`; this
 * module refuses what it lets through but RFC 9110/9112 says a server must (or should) refuse,
 * so the answer never depends on the Node version: a missing, repeated or malformed `Host`,
 * targets that are not origin-form (`GET http://other/…`, `*`), framing a route does not expect
 * (a body on GET), too many header fields, methods the monitor does not serve.
 */
import type { IncomingMessage, Server, ServerOptions } from 'node:http';
import type { Duplex } from 'node:stream';
import { StewardRangeError } from '../core/errors.js';
import { HttpError, SECURITY_HEADERS } from './http.js';

/** Time and size bounds of the monitor's HTTP server (every figure is in docs/monitor.md). */
export interface EdgeOptions {
  /** Time a client gets to send a request's headers, ms (slowloris). Default 10000. */
  readonly headersTimeoutMs?: number;
  /** Time a client gets to send a whole request, body included, ms. Default 30000. */
  readonly requestTimeoutMs?: number;
  /** An idle keep-alive connection is closed after this, ms. Default 5000. */
  readonly keepAliveTimeoutMs?: number;
  /** Connections open at once; beyond, new ones are closed at once. Default 64. */
  readonly maxConnections?: number;
  /** Largest request head (request line and headers), bytes; beyond, 431. Default 16384. */
  readonly maxHeaderBytes?: number;
  /** Most header fields in one request; beyond, 431. Default 100. */
  readonly maxHeaderFields?: number;
  /**
   * An event-stream client whose socket has not drained for this long is disconnected, ms
   * (a stalled reader; its backlog is already bounded). Default 30000.
   */
  readonly streamStallMs?: number;
}

/** The bounds in force, every one filled in. */
export type EdgeLimits = { readonly [K in keyof EdgeOptions]-?: number };

/** Defaults of {@link EdgeOptions}. */
export const EDGE_DEFAULTS: EdgeLimits = {
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  keepAliveTimeoutMs: 5_000,
  maxConnections: 64,
  maxHeaderBytes: 16_384,
  maxHeaderFields: 100,
  streamStallMs: 30_000,
};

/** `options` checked and completed with the defaults. */
export function edgeLimits(options: EdgeOptions = {}): EdgeLimits {
  const out: Record<string, number> = {};
  for (const [key, fallback] of Object.entries(EDGE_DEFAULTS)) {
    const value = (options as Record<string, unknown>)[key];
    if (value === undefined) out[key] = fallback;
    else if (typeof value === 'number' && Number.isInteger(value) && value >= 1) out[key] = value;
    else
      throw new StewardRangeError(
        `startMonitor(): http.${key} must be an integer >= 1 (got ${String(value)}).`,
      );
  }
  if (out.headersTimeoutMs! > out.requestTimeoutMs!) {
    throw new StewardRangeError(
      `startMonitor(): http.headersTimeoutMs (${out.headersTimeoutMs}) must not exceed http.requestTimeoutMs (${out.requestTimeoutMs}).`,
    );
  }
  return out as EdgeLimits;
}

/** Options of `http.createServer` for these limits: strict parser, no header merging, bounded head. */
export function serverOptions(limits: EdgeLimits): ServerOptions {
  return {
    insecureHTTPParser: false,
    maxHeaderSize: limits.maxHeaderBytes,
    requireHostHeader: false, // checked by checkRequest, so the 400 carries the security headers
    joinDuplicateHeaders: false,
    headersTimeout: limits.headersTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    // Timeouts are enforced by a periodic check; at Node's default (30 s) a 10 s limit could
    // take 40 s to bite. Once a second keeps every figure within a second of what is documented.
    connectionsCheckingInterval: 1_000,
  } as ServerOptions;
}

/**
 * Apply the limits a `Server` takes after creation, answer what the parser refuses with the
 * security headers, and close CONNECT tunnels and upgrades (the monitor serves neither).
 */
export function hardenServer(server: Server, limits: EdgeLimits): void {
  server.maxConnections = limits.maxConnections;
  server.maxHeadersCount = limits.maxHeaderFields + 1; // one more, so the excess is seen and refused
  server.maxRequestsPerSocket = 1000;
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => {
    // As Node's own handler: once a response has started on this socket, only closing is left.
    const current = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
    if (!socket.writable || current?.headersSent) {
      socket.destroy();
      return;
    }
    const [status, text] =
      error.code === 'HPE_HEADER_OVERFLOW'
        ? [431, 'Request Header Fields Too Large']
        : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
          ? [408, 'Request Timeout']
          : [400, 'Bad Request'];
    socket.end(rawResponse(status, text, `${text}: ${clientErrorReason(error)}\n`));
  });
  const refuse = (_req: IncomingMessage, socket: Duplex): void => {
    socket.end(
      rawResponse(
        501,
        'Not Implemented',
        'The Steward monitor serves neither CONNECT tunnels nor protocol upgrades.\n',
      ),
    );
  };
  server.on('connect', refuse);
  server.on('upgrade', refuse);
}

function clientErrorReason(error: NodeJS.ErrnoException): string {
  switch (error.code) {
    case 'HPE_HEADER_OVERFLOW':
      return 'the request head is larger than this server accepts.';
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return 'the request was not received in time.';
    case 'HPE_UNEXPECTED_CONTENT_LENGTH':
      return 'Transfer-Encoding and Content-Length together are refused (RFC 9112 §6.1).';
    case 'HPE_INVALID_METHOD':
      return 'unknown method.';
    default:
      return 'the request is malformed (RFC 9112).';
  }
}

/** A complete HTTP/1.1 response with the security headers, for sockets no `ServerResponse` owns. */
function rawResponse(status: number, reason: string, body: string): string {
  const headers = {
    ...SECURITY_HEADERS,
    'content-type': 'text/plain; charset=utf-8',
    'content-length': String(Buffer.byteLength(body)),
    connection: 'close',
  };
  const lines = Object.entries(headers).map(([k, v]) => `${k}: ${v}`);
  return `HTTP/1.1 ${status} ${reason}\r\n${lines.join('\r\n')}\r\n\r\n${body}`;
}

/** Methods the monitor serves (HEAD as GET without a body). */
export const ALLOWED_METHODS = 'GET, HEAD, POST';

/** A `Host` value: a reg-name, IPv4 or bracketed IPv6 literal, and an optional port. */
const HOST_VALUE = /^(?:\[[0-9a-f:.]+\]|[a-z0-9._~!$&'()*+,;=%-]+)(?::\d{1,5})?$/i;

/**
 * Refuse (throw HttpError) a request the HTTP specification says to refuse, before routing:
 * one `Host` field exactly, well-formed; an origin-form target; no body framing on GET/HEAD;
 * at most `maxHeaderFields` header fields; a method the monitor serves.
 */
export function checkRequest(req: IncomingMessage, limits: EdgeLimits): void {
  try {
    check(req, limits);
  } catch (error) {
    // A refused request may be framed in ways the next one on the socket would inherit: close.
    if (error instanceof HttpError) error.headers.connection = 'close';
    throw error;
  }
}

function check(req: IncomingMessage, limits: EdgeLimits): void {
  const raw = req.rawHeaders;
  if (raw.length / 2 > limits.maxHeaderFields) {
    throw new HttpError(431, `More than ${limits.maxHeaderFields} header fields.`);
  }
  let hosts = 0;
  let transferEncoding = false;
  let contentLength: string | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    if (name === 'host') hosts++;
    else if (name === 'transfer-encoding') transferEncoding = true;
    else if (name === 'content-length') contentLength = raw[i + 1];
  }
  // RFC 9112 §3.2: "A server MUST respond with a 400 … to any HTTP/1.1 request message that
  // lacks a Host header field and to any request message that contains more than one Host
  // header field line or a Host header field with an invalid field value."
  if (hosts !== 1) {
    throw new HttpError(400, hosts === 0 ? 'The request has no Host header.' : 'More than one Host header.');
  }
  if (!HOST_VALUE.test(req.headers.host ?? '')) throw new HttpError(400, 'The Host header is malformed.');
  const target = req.url ?? '';
  // Only origin-form targets ("/path?query"): absolute-form is for proxies, whose Host the
  // server would have to ignore (RFC 9112 §3.2.2); asterisk-form is for OPTIONS, not served.
  if (!target.startsWith('/') || target.startsWith('//')) {
    throw new HttpError(
      400,
      `Request target "${target.slice(0, 80)}" is not a path: send "/…" (origin-form).`,
    );
  }
  if (transferEncoding && contentLength !== undefined) {
    throw new HttpError(400, 'Transfer-Encoding and Content-Length together are refused (RFC 9112 §6.1).');
  }
  const method = req.method ?? '';
  if (method === 'GET' || method === 'HEAD') {
    if (transferEncoding || (contentLength !== undefined && contentLength !== '0')) {
      throw new HttpError(400, `A ${method} request carries no body here.`);
    }
  } else if (method !== 'POST') {
    throw new HttpError(405, `Method ${method} is not supported: use GET to read and POST for actions.`, {
      allow: ALLOWED_METHODS,
    });
  }
}
