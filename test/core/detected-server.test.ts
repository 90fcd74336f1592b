/**
 * A tracked server is ended the way `ctx.server` ends one: closed, and its connections ended —
 * checked from the peer, over real sockets. Before, the detected `close` (or
 * `Symbol.asyncDispose`) waited for the connections to end: cleanup waited the whole disposer
 * timeout, abandoned the disposal and left the connection open (acceptance F7).
 */
import { once } from 'node:events';
import { createServer as createHttpServer } from 'node:http';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ResourceManager } from '../../src/core/index.js';

const GUARD_MS = 60_000;
const open: Array<Server | Socket> = [];
afterEach(() => {
  for (const h of open.splice(0)) {
    if ('destroy' in h) h.destroy();
    else h.close();
  }
});

async function listening(server: Server): Promise<number> {
  open.push(server);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return (server.address() as { port: number }).port;
}

async function peer(port: number): Promise<{ socket: Socket; closed: Promise<unknown> }> {
  const socket = connect(port, '127.0.0.1');
  open.push(socket);
  socket.on('error', () => {}); // a reset is an acceptable way to be ended
  await once(socket, 'connect');
  return { socket, closed: once(socket, 'close') };
}

describe('a tracked server with live connections', () => {
  it(
    'http.Server with a request in flight: cleanup releases it, nothing abandoned, the peer sees close',
    async () => {
      const manager = new ResourceManager({ disposerTimeoutMs: 10_000 });
      const component = manager.register('web');
      let received!: () => void;
      const requested = new Promise<void>((resolve) => {
        received = resolve;
      });
      const server = createHttpServer(() => received()); // never answers
      const port = await listening(server);
      component.track(server, { type: 'server' });
      const { socket, closed } = await peer(port);
      socket.write('GET / HTTP/1.1\r\nHost: localhost\r\n\r\n');
      await requested;

      const report = await component.cleanup({ force: true });

      expect(report.abandoned.length).toBe(0);
      expect(report.released).toBe(1);
      await closed;
      expect(server.listening).toBe(false);
    },
    GUARD_MS,
  );

  it.each([['server'], ['socket']])(
    'net.Server (type %s) with a connected peer: cleanup releases it, the peer sees close',
    async (type) => {
      const manager = new ResourceManager({ disposerTimeoutMs: 10_000 });
      const component = manager.register('tcp');
      const server = createServer();
      component.track(server, { type }); // tracked before it listens: Steward sees every connection
      const port = await listening(server);
      const accepted = once(server, 'connection');
      const { closed } = await peer(port);
      await accepted;

      const report = await component.cleanup({ force: true });

      expect(report.abandoned.length).toBe(0);
      expect(report.released).toBe(1);
      await closed;
      expect(server.listening).toBe(false);
    },
    GUARD_MS,
  );

  it('a server that never listened is released at once', async () => {
    const manager = new ResourceManager();
    const component = manager.register('idle');
    component.track(createServer(), { type: 'server' });
    const report = await component.cleanup({ force: true });
    expect(report.released).toBe(1);
    expect(report.failed.length).toBe(0);
  });
});
