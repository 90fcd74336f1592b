/**
 * Server-Sent Events to browsers: each batch of monitor events is one `batch` message. Every
 * client has a bounded backlog: a client whose socket drains gets every batch, whatever its
 * size; while its socket does not drain, batches queue up to `maxBacklog` events; beyond that
 * the oldest events are dropped (a batch is cut, not thrown away whole) and the client is told
 * how many it missed (a `dropped` event with the true count), so a slow tab can never make the
 * server hold unbounded memory.
 * A comment line is sent every `heartbeatMs` so proxies and browsers keep the stream open; a
 * client whose socket has not drained for `stallMs` is disconnected (its EventSource reconnects
 * and reloads the snapshot), so a stalled reader holds neither a connection nor its backlog.
 */
import type { ServerResponse } from 'node:http';
import { safeClearInterval, safeSetInterval } from '../core/intrinsics.js';
import type { MonitorEvent } from './events.js';
import { SECURITY_HEADERS } from './http.js';

/** One connected EventSource. */
class SseClient {
  readonly #res: ServerResponse;
  readonly #maxBacklog: number;
  /** Batches waiting for the socket to drain (oldest first); the first may have been cut. */
  #queue: (readonly MonitorEvent[])[] = [];
  #queuedEvents = 0;
  #dropped = 0;
  /** Since when (ms, performance.now) the socket has not drained; undefined while it keeps up. */
  #blockedSince: number | undefined;

  constructor(res: ServerResponse, maxBacklog: number) {
    this.#res = res;
    this.#maxBacklog = maxBacklog;
    res.on('drain', () => {
      this.#blockedSince = undefined;
      this.#pump();
    });
  }

  get #blocked(): boolean {
    return this.#blockedSince !== undefined;
  }

  /** Whether the socket has not drained for `stallMs` or more. */
  stalled(now: number, stallMs: number): boolean {
    return this.#blockedSince !== undefined && now - this.#blockedSince >= stallMs;
  }

  /** Drop the connection at once (a stalled reader). */
  destroy(): void {
    this.#res.destroy();
  }

  /**
   * Write a batch (a socket that drains takes it whole), or queue it while the socket is full;
   * the queue keeps the newest `maxBacklog` events and counts the ones it drops.
   */
  send(batch: readonly MonitorEvent[]): void {
    if (batch.length === 0) return;
    this.#queue.push(batch);
    this.#queuedEvents += batch.length;
    this.#pump();
    let excess = this.#queuedEvents - this.#maxBacklog;
    while (excess > 0) {
      const oldest = this.#queue[0]!;
      const cut = Math.min(excess, oldest.length);
      if (cut === oldest.length) this.#queue.shift();
      else this.#queue[0] = oldest.slice(cut);
      this.#queuedEvents -= cut;
      this.#dropped += cut;
      excess -= cut;
    }
  }

  /** Events queued, waiting for the socket to drain. */
  get backlog(): number {
    return this.#queuedEvents;
  }

  /** Send a comment line (keeps the connection alive); skipped while the socket is full. */
  heartbeat(): void {
    if (!this.#blocked) this.#write(': heartbeat\n\n');
  }

  /** End the response. */
  end(): void {
    this.#res.end();
  }

  #pump(): void {
    if (this.#dropped > 0 && !this.#blocked) {
      const note = [{ seq: 0, at: Date.now(), type: 'dropped', count: this.#dropped }];
      this.#dropped = 0;
      this.#write(`event: batch\ndata: ${JSON.stringify(note)}\n\n`);
    }
    while (!this.#blocked && this.#queue.length > 0) {
      const next = this.#queue.shift()!;
      this.#queuedEvents -= next.length;
      this.#write(`event: batch\ndata: ${JSON.stringify(next)}\n\n`);
    }
  }

  #write(text: string): void {
    if (this.#res.writableEnded || this.#res.destroyed) return;
    if (!this.#res.write(text)) this.#blockedSince ??= performance.now();
  }
}

/** The set of connected event-stream clients of one monitor. */
export class SseHub {
  readonly #clients = new Set<SseClient>();
  readonly #maxBacklog: number;
  readonly #heartbeatMs: number;
  readonly #stallMs: number;
  readonly #onCountChange: (count: number) => void;
  #heartbeat: ReturnType<typeof setInterval> | undefined;

  constructor(options: {
    maxBacklog: number;
    heartbeatMs: number;
    stallMs: number;
    onCountChange: (count: number) => void;
  }) {
    this.#maxBacklog = options.maxBacklog;
    this.#heartbeatMs = options.heartbeatMs;
    this.#stallMs = options.stallMs;
    this.#onCountChange = options.onCountChange;
  }

  /** Number of connected clients. */
  get size(): number {
    return this.#clients.size;
  }

  /**
   * Turn `res` into an event stream: headers, `retry`, and `initial` events (the recent log),
   * then every later batch. The client is removed when the connection closes.
   */
  attach(res: ServerResponse, initial: readonly MonitorEvent[]): void {
    res.writeHead(200, {
      ...SECURITY_HEADERS,
      'content-type': 'text/event-stream; charset=utf-8',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    res.write('retry: 2000\n\n');
    const client = new SseClient(res, this.#maxBacklog);
    if (initial.length > 0) client.send(initial);
    this.#clients.add(client);
    res.on('close', () => {
      if (this.#clients.delete(client)) this.#changed();
    });
    this.#changed();
  }

  /** The largest number of events waiting for any one client (0 when every socket keeps up). */
  get maxBacklog(): number {
    let max = 0;
    for (const client of this.#clients) max = Math.max(max, client.backlog);
    return max;
  }

  /** Send a batch to every client. */
  broadcast(batch: readonly MonitorEvent[]): void {
    for (const client of this.#clients) client.send(batch);
  }

  /** End every stream. */
  closeAll(): void {
    for (const client of this.#clients) client.end();
    this.#clients.clear();
    this.#changed();
  }

  #changed(): void {
    const count = this.#clients.size;
    if (count > 0 && this.#heartbeat === undefined) {
      // The same timer sends heartbeats and looks for stalled readers, at least once a second.
      let sinceBeat = 0;
      const tick = Math.min(this.#heartbeatMs, 1000);
      this.#heartbeat = safeSetInterval(() => {
        const now = performance.now();
        sinceBeat += tick;
        const beat = sinceBeat >= this.#heartbeatMs;
        if (beat) sinceBeat = 0;
        for (const client of this.#clients) {
          if (client.stalled(now, this.#stallMs)) client.destroy();
          else if (beat) client.heartbeat();
        }
      }, tick);
      this.#heartbeat.unref();
    } else if (count === 0 && this.#heartbeat !== undefined) {
      safeClearInterval(this.#heartbeat);
      this.#heartbeat = undefined;
    }
    this.#onCountChange(count);
  }
}
