/**
 * A minimal WebSocket endpoint over `node:http`'s `upgrade` (RFC 6455: handshake, masked client
 * frames, close handshake), so browser tests can see from the peer's side how a socket ended.
 * It greets each connection with a text frame and records the close code each client sent.
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';

/** One connection as the server saw it. */
export interface WsConnection {
  readonly path: string;
  /** The close code the client sent (undefined: no close frame yet; 1005: one without a code). */
  closeCode: number | undefined;
  /** Whether the TCP connection has ended. */
  ended: boolean;
  /** Text messages received. */
  readonly messages: string[];
}

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

/** Accept WebSocket upgrades on `server`; every connection is appended to the returned list. */
export function acceptWebSockets(server: Server): WsConnection[] {
  const connections: WsConnection[] = [];
  server.on('upgrade', (req: IncomingMessage, socket: Duplex) => {
    const key = req.headers['sec-websocket-key'];
    if (typeof key !== 'string') return socket.destroy();
    const accept = createHash('sha1')
      .update(key + GUID)
      .digest('base64');
    socket.write(
      'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
        `Sec-WebSocket-Accept: ${accept}\r\n\r\n`,
    );
    const connection: WsConnection = {
      path: req.url ?? '/',
      closeCode: undefined,
      ended: false,
      messages: [],
    };
    connections.push(connection);
    socket.write(frame(0x1, Buffer.from('hello')));
    let buffered = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      for (;;) {
        const parsed = parseFrame(buffered);
        if (parsed === undefined) break;
        buffered = buffered.subarray(parsed.length);
        if (parsed.opcode === 0x1) connection.messages.push(parsed.payload.toString('utf8'));
        if (parsed.opcode === 0x8) {
          connection.closeCode = parsed.payload.length >= 2 ? parsed.payload.readUInt16BE(0) : 1005;
          socket.end(frame(0x8, parsed.payload.subarray(0, 2)));
        }
      }
    });
    const ended = (): void => {
      connection.ended = true;
    };
    socket.on('close', ended);
    socket.on('error', ended);
  });
  return connections;
}

function frame(opcode: number, payload: Buffer): Buffer {
  if (payload.length > 125) throw new Error('test frames are short');
  return Buffer.concat([Buffer.from([0x80 | opcode, payload.length]), payload]);
}

function parseFrame(data: Buffer): { opcode: number; payload: Buffer; length: number } | undefined {
  if (data.length < 2) return undefined;
  const opcode = data[0]! & 0x0f;
  let length = data[1]! & 0x7f;
  let offset = 2;
  if (length === 126) {
    if (data.length < 4) return undefined;
    length = data.readUInt16BE(2);
    offset = 4;
  } else if (length === 127) {
    if (data.length < 10) return undefined;
    length = Number(data.readBigUInt64BE(2));
    offset = 10;
  }
  const masked = (data[1]! & 0x80) !== 0;
  const mask = masked ? data.subarray(offset, offset + 4) : undefined;
  if (masked) offset += 4;
  if (data.length < offset + length) return undefined;
  const payload = Buffer.from(data.subarray(offset, offset + length));
  if (mask) for (let i = 0; i < payload.length; i++) payload[i]! ^= mask[i % 4]!;
  return { opcode, payload, length: offset + length };
}
