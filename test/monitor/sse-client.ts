/** Reads a monitor's Server-Sent Events stream in tests (fetch + a minimal SSE parser). */
import type { MonitorEvent } from '../../src/monitor/index.js';

export interface StreamReader {
  /** Every event received so far (batches flattened). */
  readonly events: MonitorEvent[];
  /** Number of `batch` messages received. */
  readonly batches: () => number;
  /** Comment lines (heartbeats) received. */
  readonly comments: () => number;
  /** Stop reading and close the connection. */
  close(): void;
}

/** Connect to `${origin}/api/events?token=` and collect what arrives. */
export async function readStream(origin: string, token: string): Promise<StreamReader> {
  const controller = new AbortController();
  const res = await fetch(`${origin}/api/events?token=${encodeURIComponent(token)}`, {
    signal: controller.signal,
  });
  if (res.status !== 200) throw new Error(`stream answered ${res.status}`);
  const events: MonitorEvent[] = [];
  let batches = 0;
  let comments = 0;
  const decoder = new TextDecoder();
  let buffer = '';
  void (async () => {
    try {
      for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true });
        let end = buffer.indexOf('\n\n');
        while (end >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          end = buffer.indexOf('\n\n');
          if (block.startsWith(':')) comments++;
          const data = block
            .split('\n')
            .filter((l) => l.startsWith('data: '))
            .map((l) => l.slice(6))
            .join('\n');
          if (/^event: batch$/m.test(block) && data) {
            batches++;
            events.push(...(JSON.parse(data) as MonitorEvent[]));
          }
        }
      }
    } catch {
      // aborted
    }
  })();
  return { events, batches: () => batches, comments: () => comments, close: () => controller.abort() };
}
