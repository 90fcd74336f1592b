/**
 * `POST /api/plugins/:id/heap` over a real socket with a `PluginControl` whose snapshots are
 * scripted, and the real `steward heap` binary against it: a snapshot is streamed as the body
 * with its summary in `x-steward-heap`; a stream that breaks off mid-body cuts the connection and
 * the command exits 1 saying so, keeping no partial file; a plugin not active is a 409; GET is a
 * 405; a summary too large for a header is shortened to fit.
 */
import { mkdir, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { ResourceManager, StewardError } from '../../src/core/index.js';
import { summaryHeader } from '../../src/monitor/heap-route.js';
import { type MonitorServer, type PluginControl, startMonitor } from '../../src/monitor/index.js';
import { steward } from '../helpers/cli.js';
import { makeTempDir, type TempDir } from '../plugins/fixtures.js';

let server: MonitorServer | undefined;
let tmp: TempDir | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
  await tmp?.remove();
  tmp = undefined;
});

const SNAPSHOT = JSON.stringify({
  snapshot: { meta: { node_fields: ['type'] }, node_count: 0 },
  nodes: [],
  strings: [],
});

/** A control with one plugin, `p`, whose heap is what `heap` makes of it. */
function control(heap: NonNullable<PluginControl['heap']>): PluginControl {
  return {
    list: () => [
      { id: 'p', name: 'p', version: '1.0.0', state: 'active', isolation: 'process', dependencies: [] },
    ],
    reload: async () => undefined,
    unload: async () => undefined,
    heap,
  };
}

function post(path: string): Promise<Response> {
  return fetch(`${server!.origin}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${server!.token}`, 'content-type': 'application/json' },
    body: '{}',
  });
}

describe('POST /api/plugins/:id/heap', () => {
  it('streams the snapshot with its summary; steward heap writes it', { timeout: 60_000 }, async () => {
    server = await startMonitor(new ResourceManager(), {
      plugins: control(async (id) => ({
        summary: { id, isolation: 'process' },
        stream: Readable.from([SNAPSHOT.slice(0, 10), SNAPSHOT.slice(10)]),
      })),
    });
    const res = await post('/api/plugins/p/heap');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(JSON.parse(decodeURIComponent(res.headers.get('x-steward-heap')!))).toEqual({
      id: 'p',
      isolation: 'process',
    });
    expect(await res.text()).toBe(SNAPSHOT);
    const get = await fetch(`${server.origin}/api/plugins/p/heap`, {
      headers: { authorization: `Bearer ${server.token}` },
    });
    expect(get.status).toBe(405);

    tmp = await makeTempDir();
    const out = tmp.path('out');
    await mkdir(out);
    const run = await steward(['heap', 'p', '--monitor-url', server.url, '--out', out]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const [name] = await readdir(out);
    expect(name).toMatch(/^p-[\dT-]+Z\.heapsnapshot$/);
    expect(await readFile(join(out, name!), 'utf8')).toBe(SNAPSHOT);
  });

  it('cuts the body of a snapshot that breaks off; steward heap exits 1 and keeps nothing', {
    timeout: 60_000,
  }, async () => {
    server = await startMonitor(new ResourceManager(), {
      plugins: control(async (id) => {
        const stream = new Readable({ read() {} });
        stream.push('x'.repeat(256 * 1024));
        setTimeout(
          () => stream.destroy(new StewardError('the process of plugin "p" ended', { code: 'X' })),
          200,
        );
        return { summary: { id, isolation: 'process' }, stream };
      }),
    });
    tmp = await makeTempDir();
    const out = tmp.path('out');
    await mkdir(out);
    const run = await steward(['heap', 'p', '--monitor-url', server.url, '--out', out]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/the heap snapshot of plugin "p" broke off after .* nothing was kept/);
    expect(await readdir(out)).toEqual([]);
  });

  it('answers 409 for a plugin that is not active, 500 for a failed snapshot, 404 for an unknown one', async () => {
    let next: Error = new StewardError('Plugin "p" is failed: …', { code: 'STEWARD_PLUGIN_STATE' });
    server = await startMonitor(new ResourceManager(), {
      plugins: control(async () => {
        throw next;
      }),
    });
    const refused = await post('/api/plugins/p/heap');
    expect(refused.status).toBe(409);
    expect(((await refused.json()) as { error: string }).error).toMatch(/is failed/);
    next = new StewardError('cannot write', { code: 'STEWARD_HEAP_SNAPSHOT_FAILED' });
    const failed = await post('/api/plugins/p/heap');
    expect(failed.status).toBe(500);
    expect(((await failed.json()) as { error: string }).error).toMatch(
      /^The heap snapshot of plugin "p" failed: (StewardError: )?cannot write/,
    );
    expect((await post('/api/plugins/q/heap')).status).toBe(404);
  });

  it('shortens the object list of a summary to fit a header', () => {
    const largest = Array.from({ length: 200 }, (_, i) => ({
      what: `function f${i} ${'é'.repeat(40)}`,
      site: `plugins/p/index.js:${i}`,
      selfBytes: 64,
      retainedBytes: 1000 - i,
    }));
    const value = summaryHeader({
      id: 'p',
      isolation: 'inline',
      own: { retainedBytes: 5, objects: 200, largest },
    });
    expect(value.length).toBeLessThanOrEqual(8 * 1024);
    expect(/^[\x21-\x7e]+$/.test(value)).toBe(true); // a valid header value
    const parsed = JSON.parse(decodeURIComponent(value)) as { own: { objects: number; largest: unknown[] } };
    expect(parsed.own.objects).toBe(200);
    expect(parsed.own.largest.length).toBeGreaterThan(0);
    expect(parsed.own.largest.length).toBeLessThan(200);
  });
});
