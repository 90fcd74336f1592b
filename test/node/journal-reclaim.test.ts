/**
 * `reclaimJournaledChildren(dir, label)` kills what a journal with that label still names, whoever
 * wrote it: a worker thread of this process, or another process (a plugin process writes its
 * children's journal under its own pid) — checked by pid from outside.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { reclaimJournaledChildren } from '../../src/node/journal-reclaim.js';
import { alive } from '../../src/node/process-tree.js';

const JOURNAL = new URL('../../src/node/journal.ts', import.meta.url).href;
const IDENTITY = new URL('../../src/node/process-identity.ts', import.meta.url).href;

let dir: string | undefined;
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

it('kills the children another process journaled under a label, after that process died', async () => {
  dir = await mkdtemp(join(tmpdir(), 'steward-reclaim-'));
  // The writer: opens a labelled journal, starts a child of its own group, records it, exits without cleanup.
  const writer = `
    import { spawn } from 'node:child_process';
    import { Journal } from ${JSON.stringify(JOURNAL)};
    import { processIdentity } from ${JSON.stringify(IDENTITY)};
    const journal = Journal.open({ dir: ${JSON.stringify(dir)}, app: 'plugins', fsync: false, label: 'wabc123' });
    const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { detached: true, stdio: 'ignore' });
    child.unref();
    journal.add({ kind: 'process', pid: child.pid, identity: processIdentity(child.pid), group: true, command: 'node' });
    console.log(child.pid);
    process.exit(0);`;
  const out = await new Promise<string>((resolve, reject) => {
    const p = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', writer], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let text = '';
    p.stdout.on('data', (d) => (text += d));
    p.on('exit', (code) => (code === 0 ? resolve(text) : reject(new Error(`writer exited ${code}`))));
  });
  const child = Number(out.trim());
  try {
    expect(alive(child)).toBe(true);
    expect((await readdir(dir)).some((n) => n.includes('-wabc123-'))).toBe(true);
    const { killed } = await reclaimJournaledChildren(dir, 'wabc123');
    expect(killed).toEqual([child]);
    await expect.poll(() => alive(child), { timeout: 10_000 }).toBe(false);
    expect((await readdir(dir)).some((n) => n.includes('-wabc123-'))).toBe(false);
  } finally {
    try {
      process.kill(-child, 'SIGKILL');
    } catch {}
  }
}, 60_000);
