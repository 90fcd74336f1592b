/**
 * The detected disposer of a listening server (Node's `net.Server`, `http.Server`, `https`,
 * `http2`, `tls`…, recognised by shape: `listen`, `address`, `close` and `on`, no `destroy`).
 *
 * `server.close()` alone only stops accepting: it waits for every open connection to end, so a
 * connection with a request in flight (or a peer that never hangs up) made cleanup wait the whole
 * disposer timeout and abandon it, the connection left open. The polite default of "end this
 * server" is what `ctx.server` does: `close()`, then end its connections —
 * `closeAllConnections()` when the server has it (`http`/`https`, Node ≥ 18.2), and every socket
 * it accepted since it was tracked (a plain `net.Server`, `tls`, `http2`, upgraded sockets):
 * detection adds a `'connection'` listener that keeps them in a set (each leaves it on `'close'`,
 * the listener goes when the server closes). Connections a plain `net.Server` accepted before it
 * was tracked are unknown to Steward: track a server before it listens.
 *
 * No Node import: `src/core` is platform-neutral, so this is duck-typed.
 */
import type { Disposer } from './types.js';

/** The part of a socket this file uses. */
interface SocketLike {
  destroy(): unknown;
  once(event: 'close', listener: () => void): unknown;
}

/** The part of a server this file uses. */
interface ServerLike {
  close(callback?: (error?: Error) => void): unknown;
  on(event: 'connection', listener: (socket: SocketLike) => void): unknown;
  once(event: 'close', listener: () => void): unknown;
  off?(event: 'connection', listener: (socket: SocketLike) => void): unknown;
  closeAllConnections?(): unknown;
}

/** The sockets each detected server accepted since it was tracked. */
const connections = new WeakMap<object, Set<SocketLike>>();

/** Whether `v` looks like a listening server (and not a socket, which has `destroy`). */
export function isServerLike(v: Record<PropertyKey, unknown>): boolean {
  return (
    typeof v.listen === 'function' &&
    typeof v.address === 'function' &&
    typeof v.close === 'function' &&
    typeof v.on === 'function' &&
    typeof v.once === 'function' &&
    typeof v.destroy !== 'function'
  );
}

/** Start keeping the connections of `server` (once per server), for `closeServer`. */
export function watchConnections(server: object): void {
  if (connections.has(server)) return;
  const s = server as ServerLike;
  const sockets = new Set<SocketLike>();
  connections.set(server, sockets);
  const onConnection = (socket: SocketLike): void => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  };
  s.on('connection', onConnection);
  s.once('close', () => {
    s.off?.('connection', onConnection);
    sockets.clear();
  });
}

/**
 * Close a server and end its connections; resolves when it has closed (a server that was not
 * listening resolves at once). Called as a detected disposer: `this` = the server, no argument.
 */
export const closeServer = function closeServer(this: ServerLike): Promise<void> {
  return new Promise<void>((resolve) => {
    // ERR_SERVER_NOT_RUNNING (never listened, or closed already) means there is nothing to end.
    this.close(() => resolve());
    this.closeAllConnections?.();
    const sockets = connections.get(this);
    if (sockets !== undefined) for (const socket of [...sockets]) socket.destroy();
  });
} as Disposer;
