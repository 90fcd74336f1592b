/**
 * `POST /api/plugins/:id/heap`: a heap snapshot of one plugin's isolate, streamed to the client
 * as the answer's body (`application/json`: the `.heapsnapshot` text DevTools opens), with what
 * is known of it in the `x-steward-heap` header (JSON, percent-encoded: {@link PluginHeapSummary}).
 *
 * Streamed, not written by the host to a path the request names: the monitor's API never lets a
 * client choose where the host writes, the client may not share the host's file system, and a
 * snapshot of hundreds of MiB never sits whole in the host's memory or in a temp folder. The
 * client writes it where its user said (`steward heap --out`).
 */
import type { ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import type { ApiContext } from './api.js';
import { HttpError, SECURITY_HEADERS } from './http.js';
import type { PluginHeapSummary } from './plugin-control.js';
import { errorText } from './serialize.js';

/** Name of the header carrying the summary. */
export const HEAP_SUMMARY_HEADER = 'x-steward-heap';

/** The summary's header stays below this, bytes (clients accept 16 KiB of headers). */
const MAX_SUMMARY_BYTES = 8 * 1024;

/** An answer whose body is a stream (the server pipes it instead of sending JSON). */
export class StreamedAnswer {
  constructor(
    readonly headers: Readonly<Record<string, string>>,
    readonly stream: NodeJS.ReadableStream & { destroy(error?: Error): unknown },
  ) {}

  /** Send it; a stream that breaks off (the plugin died) ends the connection mid-body. */
  async send(res: ServerResponse): Promise<void> {
    res.writeHead(200, { ...SECURITY_HEADERS, ...this.headers });
    try {
      await pipeline(this.stream, res);
    } catch {
      // The client sees the body cut short; nothing else is left to tell it.
      this.stream.destroy();
      res.destroy();
    }
  }
}

/** The summary as a header value: percent-encoded JSON, the object list shortened to fit. */
export function summaryHeader(summary: PluginHeapSummary): string {
  let value = encodeURIComponent(JSON.stringify(summary));
  const own = summary.own;
  if (own === undefined) return value;
  for (let keep = own.largest.length - 1; value.length > MAX_SUMMARY_BYTES && keep >= 0; keep--) {
    value = encodeURIComponent(
      JSON.stringify({ ...summary, own: { ...own, largest: own.largest.slice(0, keep) } }),
    );
  }
  return value;
}

/** `POST /api/plugins/:id/heap`. 404 unknown plugin, 409 not active, 500 the snapshot failed. */
export async function pluginHeap(ctx: ApiContext, id: string): Promise<StreamedAnswer> {
  const control = ctx.plugins;
  if (!control?.heap) {
    throw new HttpError(
      404,
      'This monitor has no plugin host that can take heap snapshots (pass plugins: pluginHostControl(host)).',
    );
  }
  if (!control.list().some((p) => p.id === id)) {
    throw new HttpError(404, `No plugin "${id}". GET /api/plugins lists the known plugins.`);
  }
  let heap: Awaited<ReturnType<NonNullable<typeof control.heap>>>;
  try {
    heap = await control.heap(id);
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code === 'STEWARD_PLUGIN_STATE') throw new HttpError(409, errorText(error));
    throw new HttpError(500, `The heap snapshot of plugin "${id}" failed: ${errorText(error)}`);
  }
  return new StreamedAnswer(
    {
      'content-type': 'application/json; charset=utf-8',
      'content-disposition': `attachment; filename="${id.replace(/[^A-Za-z0-9._-]/g, '_')}.heapsnapshot"`,
      [HEAP_SUMMARY_HEADER]: summaryHeader(heap.summary),
    },
    heap.stream,
  );
}
