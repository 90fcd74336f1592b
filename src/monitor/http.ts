/**
 * Small helpers for the monitor's `node:http` handlers: JSON and text responses with the
 * security headers every response carries, HTTP errors with a status, and bounded JSON bodies.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { StewardError } from '../core/errors.js';

/**
 * An error with the HTTP status to answer with; its message is shown to the client.
 * Code `STEWARD_HTTP`.
 */
export class HttpError extends StewardError {
  /** The code of this class's errors. */
  static override readonly code = 'STEWARD_HTTP';
  override name = 'HttpError';
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/** Headers sent with every response. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cross-origin-resource-policy': 'same-origin',
  'cache-control': 'no-store',
};

/** The page's Content-Security-Policy: scripts, styles and requests from this origin only. */
export const PAGE_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; " +
  "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/** Answer with `body` as JSON. */
export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  extra: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    ...SECURITY_HEADERS,
    ...extra,
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

/** Answer with `body` as-is. */
export function sendText(
  res: ServerResponse,
  status: number,
  body: string | Buffer,
  contentType: string,
  extra: Record<string, string> = {},
): void {
  res.writeHead(status, {
    ...SECURITY_HEADERS,
    ...extra,
    'content-type': contentType,
    'content-length': Buffer.byteLength(body),
  });
  res.end(body);
}

/** Largest accepted request body. */
const MAX_BODY = 64 * 1024;

/**
 * Read a JSON object body. An empty body is `{}`. Requires `Content-Type: application/json`
 * (which a cross-site HTML form cannot send). Throws HttpError 400/413/415.
 */
export async function readJsonBody(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) throw new HttpError(413, `Request body larger than ${MAX_BODY} bytes.`);
    chunks.push(chunk as Buffer);
  }
  const type = req.headers['content-type'] ?? '';
  if (!/^application\/json\b/i.test(type)) {
    throw new HttpError(415, 'Actions need "Content-Type: application/json" (the body may be empty or {}).');
  }
  const text = Buffer.concat(chunks).toString('utf8').trim();
  if (text === '') return {};
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (error) {
    throw new HttpError(400, `The request body is not valid JSON: ${(error as Error).message}`);
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new HttpError(400, 'The request body must be a JSON object, e.g. {} or {"reason":"…"}.');
  }
  return body as Record<string, unknown>;
}
