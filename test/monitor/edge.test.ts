/**
 * The monitor's HTTP edge seen from a raw TCP peer (net.Socket): requests the HTTP specification
 * says to refuse are refused whatever Node's parser lets through, every answer carries the
 * security headers (the event stream and the parser's own 400/431 too), slow and idle
 * connections are cut after the configured times, and the connection count is capped.
 */
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ResourceManager } from '../../src/core/index.js';
import { SECURITY_HEADERS } from '../../src/monitor/http.js';
import { type MonitorServer, startMonitor } from '../../src/monitor/index.js';
import { demoPlugins } from './plugin-control.js';

let manager: ResourceManager;
let server: MonitorServer | undefined;
const sockets: Socket[] = [];

afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await server?.close();
  server = undefined;
  await manager?.dispose({ force: true });
});

async function setup(options: Parameters<typeof startMonitor>[1] = {}) {
  manager = new ResourceManager();
  const plugins = demoPlugins(manager);
  plugins.activateAll();
  server = await startMonitor(manager, { plugins, ...options });
  return server;
}

function open(): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(server!.port, '127.0.0.1', () => resolve(socket));
    socket.once('error', reject);
    sockets.push(socket);
  });
}

/** Everything the server sends until it closes the connection (or `untilMs` passes). */
function readAll(socket: Socket, untilMs = 5000): Promise<{ text: string; closed: boolean; ms: number }> {
  const started = Date.now();
  return new Promise((resolve) => {
    let text = '';
    const timer = setTimeout(() => resolve({ text, closed: false, ms: Date.now() - started }), untilMs);
    socket.on('data', (chunk) => {
      text += chunk.toString('latin1');
    });
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ text, closed: true, ms: Date.now() - started });
    });
    socket.on('error', () => undefined);
  });
}

/** Send `request` verbatim and read the answer until the server closes or `untilMs`. */
async function exchange(request: string, untilMs = 5000) {
  const socket = await open();
  const answer = readAll(socket, untilMs);
  socket.write(request);
  return answer;
}

function status(text: string): number {
  return Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0);
}

function headersOf(text: string): Record<string, string> {
  const head = text.split('\r\n\r\n')[0]!.split('\r\n').slice(1);
  return Object.fromEntries(
    head.map((line) => [
      line.slice(0, line.indexOf(':')).toLowerCase(),
      line.slice(line.indexOf(':') + 1).trim(),
    ]),
  );
}

function expectSecurityHeaders(text: string): void {
  const headers = headersOf(text);
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) expect(headers[name], name).toBe(value);
}

describe('requests the HTTP specification says to refuse', () => {
  it('refuses a second Host header, a malformed one, and none at all (RFC 9112 §3.2)', async () => {
    const s = await setup();
    const host = `127.0.0.1:${s.port}`;
    const auth = `Authorization: Bearer ${s.token}\r\n`;
    const twice = await exchange(
      `GET /api/stats HTTP/1.1\r\nHost: ${host}\r\nHost: evil.example\r\n${auth}\r\n`,
    );
    expect(status(twice.text)).toBe(400);
    expect(twice.text).toContain('More than one Host header');
    expectSecurityHeaders(twice.text);
    const userinfo = await exchange(`GET /api/stats HTTP/1.1\r\nHost: a@${host}\r\n${auth}\r\n`);
    expect(status(userinfo.text)).toBe(400);
    const none = await exchange(`GET /api/stats HTTP/1.1\r\n${auth}\r\n`);
    expect(status(none.text)).toBe(400);
    expectSecurityHeaders(none.text);
    const http10 = await exchange(`GET /api/stats HTTP/1.0\r\n${auth}\r\n`);
    expect(status(http10.text)).toBe(400);
    const good = await exchange(
      `GET /api/stats HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n${auth}\r\n`,
    );
    expect(status(good.text)).toBe(200);
  });

  it('refuses absolute-form and asterisk-form targets, even naming this server', async () => {
    const s = await setup();
    const host = `127.0.0.1:${s.port}`;
    const auth = `Authorization: Bearer ${s.token}\r\n`;
    for (const target of [
      `http://${host}/api/stats`,
      'http://evil.example/api/stats',
      '*',
      '//x/api/stats',
    ]) {
      const answer = await exchange(`GET ${target} HTTP/1.1\r\nHost: ${host}\r\n${auth}\r\n`);
      expect(status(answer.text), target).toBe(400);
      expectSecurityHeaders(answer.text);
    }
  });

  it('refuses Transfer-Encoding with Content-Length, and bodies on GET', async () => {
    const s = await setup();
    const host = `127.0.0.1:${s.port}`;
    const auth = `Authorization: Bearer ${s.token}\r\nOrigin: ${s.origin}\r\nContent-Type: application/json\r\n`;
    const smuggle = await exchange(
      `POST /api/leaks/check HTTP/1.1\r\nHost: ${host}\r\n${auth}Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`,
    );
    expect(status(smuggle.text)).toBe(400);
    expectSecurityHeaders(smuggle.text);
    const getBody = await exchange(
      `GET /api/stats HTTP/1.1\r\nHost: ${host}\r\n${auth}Content-Length: 2\r\n\r\n{}`,
    );
    expect(status(getBody.text)).toBe(400);
    expect(getBody.text).toContain('carries no body');
    const getChunked = await exchange(
      `GET /api/stats HTTP/1.1\r\nHost: ${host}\r\n${auth}Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n`,
    );
    expect(status(getChunked.text)).toBe(400);
  });

  it('refuses oversized heads (431), too many fields, unknown and unserved methods, tunnels and upgrades', async () => {
    const s = await setup({ http: { maxHeaderBytes: 4096, maxHeaderFields: 20 } });
    const host = `127.0.0.1:${s.port}`;
    const big = await exchange(`GET /livez HTTP/1.1\r\nHost: ${host}\r\nX-Big: ${'a'.repeat(8000)}\r\n\r\n`);
    expect(status(big.text)).toBe(431);
    expectSecurityHeaders(big.text);
    const fields = Array.from({ length: 25 }, (_, i) => `X-F${i}: 1\r\n`).join('');
    const many = await exchange(`GET /livez HTTP/1.1\r\nHost: ${host}\r\n${fields}\r\n`);
    expect(status(many.text)).toBe(431);
    const unknown = await exchange(`BREW /livez HTTP/1.1\r\nHost: ${host}\r\n\r\n`);
    expect(status(unknown.text)).toBe(400);
    expectSecurityHeaders(unknown.text);
    for (const method of ['PUT', 'DELETE', 'OPTIONS', 'TRACE', 'PATCH']) {
      const answer = await exchange(
        `${method} /livez HTTP/1.1\r\nHost: ${host}\r\nContent-Length: 0\r\n\r\n`,
      );
      expect(status(answer.text), method).toBe(405);
      expect(headersOf(answer.text).allow).toBe('GET, HEAD, POST');
    }
    const tunnel = await exchange(`CONNECT evil.example:443 HTTP/1.1\r\nHost: evil.example:443\r\n\r\n`);
    expect(status(tunnel.text)).toBe(501);
    const upgrade = await exchange(
      `GET /api/events HTTP/1.1\r\nHost: ${host}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n`,
    );
    expect(status(upgrade.text)).toBe(501);
    expectSecurityHeaders(upgrade.text);
  });
});

describe('security headers on every response', () => {
  it('the event stream, HEAD, the health probes, errors and assets carry them', async () => {
    const s = await setup();
    const host = `127.0.0.1:${s.port}`;
    const stream = await exchange(`GET /api/events?token=${s.token} HTTP/1.1\r\nHost: ${host}\r\n\r\n`, 400);
    expect(status(stream.text)).toBe(200);
    expect(headersOf(stream.text)['content-type']).toMatch(/^text\/event-stream/);
    expectSecurityHeaders(stream.text);
    for (const request of [
      `HEAD /api/stats HTTP/1.1\r\nHost: ${host}\r\nAuthorization: Bearer ${s.token}\r\nConnection: close\r\n\r\n`,
      `GET /livez HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`,
      `GET /api/nothing HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`,
      `GET /assets/dashboard.css HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`,
    ]) {
      const answer = await exchange(request);
      expect(status(answer.text), request).toBeGreaterThan(0);
      expectSecurityHeaders(answer.text);
    }
  });
});

describe('bounded time and connections', () => {
  it('cuts a client that sends its headers too slowly (408) and an idle keep-alive connection', async () => {
    const s = await setup({
      http: { headersTimeoutMs: 1000, requestTimeoutMs: 2000, keepAliveTimeoutMs: 500 },
    });
    const slow = await open();
    const answer = readAll(slow, 8000);
    slow.write(`GET /livez HTTP/1.1\r\nHost: 127.0.0.1:${s.port}\r\n`); // never ends the head
    const slowResult = await answer;
    expect(slowResult.closed).toBe(true);
    expect(status(slowResult.text)).toBe(408);
    expectSecurityHeaders(slowResult.text);

    const idle = await open();
    const idleAnswer = readAll(idle, 8000);
    idle.write(`GET /livez HTTP/1.1\r\nHost: 127.0.0.1:${s.port}\r\n\r\n`);
    const idleResult = await idleAnswer;
    expect(status(idleResult.text)).toBe(200);
    expect(idleResult.closed).toBe(true); // closed by the server after keepAliveTimeout
  });

  it('cuts a request whose body never completes', async () => {
    const s = await setup({ http: { headersTimeoutMs: 500, requestTimeoutMs: 1000 } });
    const socket = await open();
    const answer = readAll(socket, 8000);
    socket.write(
      `POST /api/leaks/check HTTP/1.1\r\nHost: 127.0.0.1:${s.port}\r\nContent-Type: application/json\r\n` +
        `Authorization: Bearer ${s.token}\r\nContent-Length: 100\r\n\r\n{`,
    );
    const result = await answer;
    expect(result.closed).toBe(true);
  });

  it('closes connections beyond the cap at once and serves again when one goes', async () => {
    const s = await setup({ http: { maxConnections: 3 } });
    const held = [await open(), await open(), await open()];
    // Let the server accept the three before the fourth arrives.
    for (const socket of held) socket.write(`GET /livez HTTP/1.1\r\nHost: 127.0.0.1:${s.port}\r\n\r\n`);
    await new Promise((resolve) => setTimeout(resolve, 200));
    const extra = await exchange(`GET /livez HTTP/1.1\r\nHost: 127.0.0.1:${s.port}\r\n\r\n`, 3000);
    expect(extra.closed).toBe(true);
    expect(extra.text).toBe('');
    held[0]!.destroy();
    await new Promise((resolve) => setTimeout(resolve, 200));
    const after = await exchange(
      `GET /livez HTTP/1.1\r\nHost: 127.0.0.1:${s.port}\r\nConnection: close\r\n\r\n`,
    );
    expect(status(after.text)).toBe(200);
  });

  it('disconnects an event-stream reader that stopped reading', async () => {
    const s = await setup({ http: { streamStallMs: 1000 }, events: { flushMs: 5, heartbeatMs: 200 } });
    const socket = await open();
    socket.on('error', () => undefined);
    socket.write(`GET /api/events?token=${s.token} HTTP/1.1\r\nHost: 127.0.0.1:${s.port}\r\n\r\n`);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(s.streamClients).toBe(1);
    socket.pause(); // stop reading: the kernel buffers fill, then the server's writes stop draining
    // (a paused socket does not see its own close, so the server's count tells)
    const closed = () => s.streamClients === 0;
    const owners: object[] = [];
    const component = manager.register(owners, 'flood');
    for (let round = 0; round < 1000 && !closed(); round++) {
      for (let i = 0; i < 50; i++) {
        const owner = {};
        owners.push(owner);
        manager.register(owner, `flood/${round}/${i}/${'x'.repeat(2000)}`, { parent: component });
      }
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(closed()).toBe(true);
  });
});
