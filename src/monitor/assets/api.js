// The monitor's HTTP API from the page. The token comes from the URL the page was opened with
// (?token=…) and is kept in this module's memory only: never in a cookie or in storage.

const token = new URLSearchParams(location.search).get('token') ?? '';

/** An API error with the server's message. */
export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

async function request(method, path, body) {
  const headers = { authorization: `Bearer ${token}` };
  if (method === 'POST') headers['content-type'] = 'application/json';
  let res;
  try {
    res = await fetch(path, {
      method,
      headers,
      body: method === 'POST' ? JSON.stringify(body ?? {}) : undefined,
      cache: 'no-store',
    });
  } catch (error) {
    throw new ApiError(
      0,
      `The monitor is not reachable (${error.message}). Is the application still running?`,
    );
  }
  const data = await res.json().catch(() => ({}));
  if (!res.ok) throw new ApiError(res.status, data.error ?? `HTTP ${res.status}`);
  return data;
}

/** GET a JSON route. */
export function getJson(path) {
  return request('GET', path);
}

/** POST an action. */
export function postJson(path, body) {
  return request('POST', path, body);
}

/** Path segment for a component or plugin id. */
export function seg(id) {
  return encodeURIComponent(id);
}

/**
 * Open the live event stream, owned by `ledger` (a steward/dom ledger: cleaning it up closes the
 * stream and removes its listeners). `onBatch(events)` gets each batch;
 * `onStatus('live'|'reconnecting'|'closed')` tells the connection state. EventSource reconnects
 * by itself.
 */
export function openStream(ledger, onBatch, onStatus) {
  const source = ledger.eventSource(`/api/events?token=${encodeURIComponent(token)}`);
  ledger.listen(source, 'open', () => onStatus('live'));
  ledger.listen(source, 'error', () =>
    onStatus(source.readyState === EventSource.CLOSED ? 'closed' : 'reconnecting'),
  );
  ledger.listen(source, 'batch', (message) => onBatch(JSON.parse(message.data)));
  return source;
}
