/**
 * The misbehaving plugins of test/corpus, each hosted by the real `steward` binary and stopped
 * by a signal sent to the host's pid alone; what the host guarantees is checked from outside.
 */
import { once } from 'node:events';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { pidExists } from '../../src/node/index.js';
import { eventually, killAllFixtures, SETTLE_MS, startFixture } from '../node/fixture-process.js';

const CLI = '../../../dist/cli/main.js'; // the built binary, relative to test/fixtures/node
const CORPUS = join(import.meta.dirname, '../corpus');

afterEach(() => killAllFixtures());

/** A plugin folder of the corpus, alone in a fresh folder of plugin folders (what `run` scans). */
function hostable(name: string): { dir: string; [Symbol.dispose](): void } {
  const dir = mkdtempSync(join(tmpdir(), 'steward-corpus-'));
  cpSync(join(CORPUS, name), join(dir, name), { recursive: true });
  return { dir, [Symbol.dispose]: () => rmSync(dir, { recursive: true, force: true }) };
}

describe('corpus: tracks-own-handles', () => {
  it('SIGTERM to the host: the tracked child is gone, the socket peer sees a clean end, the host exits 143', async () => {
    const server = createServer();
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const peers: Socket[] = [];
    const peerSaw: string[] = [];
    server.on('connection', (peer) => {
      peers.push(peer);
      peer.on('end', () => peerSaw.push('end'));
      peer.on('error', (error) => peerSaw.push(`error ${error.message}`));
      peer.on('close', (hadError) => peerSaw.push(`close ${hadError}`));
    });
    const port = (server.address() as { port: number }).port;
    using plugins = hostable('tracks-own-handles');
    try {
      const run = startFixture(CLI, ['run', plugins.dir], {
        CORPUS_PEER_PORT: String(port),
      });
      const line = await run.waitFor(/\[tracks-own-handles\] child \d+ connected \d+/, 'stderr');
      const childPid = Number(/child (\d+)/.exec(line)![1]);
      expect(pidExists(childPid)).toBe(true);
      run.child.kill('SIGTERM'); // the host's pid alone
      const exit = await run.exited;
      expect(exit.code, run.stderr()).toBe(143);
      expect(run.stderr()).toContain('2 resource(s) released, 0 failed, 0 abandoned');
      expect(run.stderr()).not.toMatch(/ERR_UNKNOWN_SIGNAL|Uncaught|Error/);
      expect(pidExists(childPid)).toBe(false);
      await eventually(() => peerSaw.length >= 2, SETTLE_MS);
      expect(peerSaw).toEqual(['end', 'close false']);
    } finally {
      for (const peer of peers) peer.destroy();
      server.close();
    }
  });
});
