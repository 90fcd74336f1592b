/**
 * ctx.task from outside: a plugin from the corpus long-polls a real loopback HTTP server that
 * never answers. Unloading it must not wait out the poll: the server — the peer — sees the
 * request aborted, and deactivation ends with nothing abandoned or failed.
 */
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CleanupReport } from '../../src/core/index.js';
import { PluginHost } from '../../src/plugins/index.js';
import { PluginFixtures } from '../helpers/plugin-fixtures.js';

const CORPUS = join(import.meta.dirname, '../corpus/long-poll/index.js');

/** A server that holds every request open and records when its peer goes away. */
function holdingServer(): { server: Server; requests: IncomingMessage[]; aborted: Promise<void> } {
  const requests: IncomingMessage[] = [];
  let resolve!: () => void;
  const aborted = new Promise<void>((r) => (resolve = r));
  const server = createServer((req, res) => {
    requests.push(req);
    res.on('close', () => {
      if (!res.writableEnded) resolve(); // closed by the client, before any answer
    });
  });
  return { server, requests, aborted };
}

async function waitFor(condition: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (condition()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

let fx: PluginFixtures;
let held: ReturnType<typeof holdingServer>;
beforeEach(async () => {
  fx = await PluginFixtures.create();
  held = holdingServer();
  await new Promise<void>((r) => held.server.listen(0, '127.0.0.1', r));
  const { port } = held.server.address() as AddressInfo;
  process.env.STEWARD_LONG_POLL_URL = `http://127.0.0.1:${port}/poll`;
});
afterEach(async () => {
  delete process.env.STEWARD_LONG_POLL_URL;
  held.server.closeAllConnections();
  await new Promise((r) => held.server.close(r));
  await fx[Symbol.asyncDispose]();
});

describe.each(['inline', 'worker', 'process'] as const)('ctx.task with a long poll (%s)', (isolation) => {
  it('unload aborts the request (the server sees it) and waits for nothing', async () => {
    await fx.plugin('long-poll', { code: await readFile(CORPUS, 'utf8'), isolation });
    const host = new PluginHost({ dirs: [fx.dir], storageDir: `${fx.root}/storage`, log: () => {} });
    const reports: (CleanupReport | undefined)[] = [];
    host.events.on('deactivated', (e) => reports.push(e.report));
    const failures: unknown[] = [];
    host.manager.on('disposerFailed', (e) => failures.push(e.error));
    await host.start();
    expect(host.get('long-poll')!.state).toBe('active');
    await waitFor(() => held.requests.length === 1, 'the poll to reach the server');

    await host.unload('long-poll');
    await held.aborted; // the peer saw the request go away unanswered
    expect(host.get('long-poll')?.state ?? 'unloaded').toBe('unloaded');
    expect(reports).toHaveLength(1);
    // Abandoned would mean deactivation waited out the disposer timeout for the poll.
    expect(reports[0]!.abandoned).toEqual([]);
    expect(reports[0]!.failed).toEqual([]);
    expect(failures).toEqual([]);
    expect(held.requests).toHaveLength(1); // and it did not poll again
    await host.dispose();
  });
});
