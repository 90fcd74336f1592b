/**
 * `steward heap <plugin> --monitor-url <url> --out <dir>`: a heap snapshot of the isolate a plugin
 * of a running host runs in, taken by its monitor (`POST /api/plugins/:id/heap`) and streamed to
 * this command, which writes it as `<plugin>-<timestamp>.heapsnapshot` into `--out` — straight
 * from the socket to the file, never whole in memory, nothing in a temp folder. A worker's or
 * process's snapshot is its own isolate's; an inline plugin's is of the shared heap, and its own
 * objects in it are printed and written next to it as `<plugin>-<timestamp>.objects.json`.
 */
import { createWriteStream, rmSync, writeFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { PluginHeapSummary } from '../monitor/index.js';
import { type Command, type CommandIO, EXIT } from './command.js';
import { formatBytes } from './format.js';
import { MonitorRequestError, type MonitorTarget } from './monitor-client.js';
import { cannotWrite, pluginOutputArgs } from './plugin-output.js';

const HELP = `Usage: steward heap <plugin> --monitor-url <url> [options]

Take a heap snapshot of the isolate a plugin of a running host (steward run
--monitor) runs in, and write it as <plugin>-<timestamp>.heapsnapshot (open it in
Chrome DevTools, Memory tab, or VS Code):
  worker, process  the plugin's own isolate (its whole heap is the plugin's)
  inline           the host's shared heap; the plugin's own objects in it (closures
                   of its files, its module namespaces, the values its module
                   variables were created with) are printed, with the bytes they
                   retain, and written to <plugin>-<timestamp>.objects.json

The monitor streams the snapshot to this command, which writes it into --out;
nothing is written on the host's side or left in a temp folder. The plugin must be
active. A snapshot pauses the plugin's thread (the host's, for an inline plugin)
while it is taken.

Options:
  --monitor-url <url>  The URL the monitor printed (http://127.0.0.1:<port>/?token=<token>)
  --out <dir>          Folder to write into (default: the current folder); must exist
  --token <token>      Token, if the URL has none (or set STEWARD_MONITOR_TOKEN)
  -h, --help           Show this help

Exit codes: 0 success, 1 the monitor could not be reached, refused, or the
snapshot broke off (nothing is kept then), 2 wrong usage or an unusable --out.`;

const OPTIONS = {
  'monitor-url': { type: 'string' },
  out: { type: 'string' },
  token: { type: 'string' },
} as const;

/** How long the monitor has to start answering (an inline snapshot is analysed first), ms. */
const ANSWER_MS = 300_000;

/** The `heap` command. */
export const heapCommand: Command = {
  name: 'heap',
  summary: "Write a heap snapshot of a running plugin's isolate (inline: shared heap + its own objects)",
  help: HELP,
  async run(argv: readonly string[], io: CommandIO): Promise<number> {
    const { plugin, target, out, base: baseName } = pluginOutputArgs('heap', argv, OPTIONS, io);
    const path = `/api/plugins/${encodeURIComponent(plugin)}/heap`;
    const res = await post(target, path);
    const summary = readSummary(res, path);
    const base = baseName();
    const file = `${base}.heapsnapshot`;
    let bytes = 0;
    try {
      const body = Readable.fromWeb(res.body as import('node:stream/web').ReadableStream<Uint8Array>);
      body.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
      });
      await pipeline(body, createWriteStream(file, { flags: 'wx' }));
    } catch (error) {
      rmSync(file, { force: true });
      const code = (error as { code?: string }).code;
      if (code === 'EEXIST' || code === 'EACCES' || code === 'ENOSPC' || code === 'EROFS') {
        throw cannotWrite('heap', file, out, error);
      }
      throw new MonitorRequestError(
        `the heap snapshot of plugin "${plugin}" broke off after ${mib(bytes)} (${(error as Error).message}); nothing was kept. Did the plugin or the host stop meanwhile?`,
      );
    }
    io.stdout(`plugin "${summary.id}" (${summary.isolation}): heap snapshot of ${mib(bytes)}\n`);
    const own = summary.own;
    if (own !== undefined) {
      const objects = `${base}.objects.json`;
      writeFileSync(objects, `${JSON.stringify(own, null, 2)}\n`, { flag: 'wx' });
      io.stdout(`its own objects: ${own.objects}, retaining ${mib(own.retainedBytes)} together\n`);
      for (const o of own.largest.slice(0, 10)) {
        io.stdout(
          `  ${mib(o.retainedBytes).padStart(10)}  ${o.what}${o.site === undefined ? '' : ` at ${o.site}`}\n`,
        );
      }
      io.stdout(`objects: ${objects}\n`);
    }
    io.stdout(`snapshot: ${file}\n`);
    return EXIT.ok;
  },
};

/** POST `path` and return the streamed answer once it started; MonitorRequestError otherwise. */
async function post(target: MonitorTarget, path: string): Promise<Response> {
  let res: Response;
  try {
    res = await fetch(`${target.origin}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${target.token}`, 'content-type': 'application/json' },
      body: '{}',
      signal: AbortSignal.timeout(ANSWER_MS),
    });
  } catch (error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    const why =
      (error as Error).name === 'TimeoutError'
        ? `no answer within ${ANSWER_MS / 1000} s`
        : (cause?.code ?? cause?.message ?? (error as Error).message);
    throw new MonitorRequestError(
      `cannot reach the monitor at ${target.origin} (${why}). Is the application still running, and is this the URL it printed?`,
    );
  }
  if (res.ok) return res;
  const text = await res.text();
  let message = `HTTP ${res.status}`;
  try {
    message = (JSON.parse(text) as { error?: string }).error ?? message;
  } catch {
    // Not JSON: not a Steward monitor, or a proxy's page; the status says enough.
  }
  const hint =
    res.status === 401 ? ' Check the token: each monitor run prints a new URL with a new token.' : '';
  throw new MonitorRequestError(`the monitor refused ${path}: ${message}${hint}`);
}

function readSummary(res: Response, path: string): PluginHeapSummary {
  const raw = res.headers.get('x-steward-heap');
  try {
    if (raw !== null) return JSON.parse(decodeURIComponent(raw)) as PluginHeapSummary;
  } catch {
    // Reported below.
  }
  void res.body?.cancel();
  throw new MonitorRequestError(
    `${path} answered without a readable x-steward-heap header; is this a Steward monitor of this version?`,
  );
}

function mib(bytes: number): string {
  return formatBytes(bytes);
}
