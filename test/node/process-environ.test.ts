/**
 * `withEnviron` / `environHas` (src/node/process-tree.ts) read every process's `/proc/<pid>/environ`
 * — twice each time a plugin process ends. Checked on real children by pid: an entry matches
 * only as a whole `NAME=value`, and a scan leaves no Buffer behind per process read (each one, a
 * `readFileSync` of a size-0 `/proc` file, cost 16 KiB+ of malloc'd memory until the next
 * collection: over 1,000 plugin reloads, megabytes of the host's resident memory, issue 15).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { forceGc } from '../../src/node/gc.js';
import { environHas, withEnviron } from '../../src/node/process-tree.js';

const linux = process.platform === 'linux';
const children: ChildProcess[] = [];
afterEach(async () => {
  await Promise.all(
    children.splice(0).map(async (child) => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
    }),
  );
});

/** A `sleep` child with `extra` added to this process's environment, once its exec is done. */
async function sleeper(extra: Record<string, string>): Promise<number> {
  const child = spawn('sleep', ['1000'], { stdio: 'ignore', env: { ...process.env, ...extra } });
  children.push(child);
  const pid = child.pid!;
  const [name, value] = Object.entries(extra)[0]!;
  // Until its exec is done, a child's /proc environ can still be its parent's.
  const environ = () => readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0');
  await expect
    .poll(() => environ().includes(`${name}=${value}`), { timeout: 20_000, interval: 10 })
    .toBe(true);
  return pid;
}

describe('process environments read from /proc', () => {
  it('finds the processes holding a whole NAME=value entry, and no others', async () => {
    if (!linux) return; // /proc is Linux's: elsewhere both answer "none"
    const mark = `m${process.pid}x${Date.now()}`;
    const exact = await sleeper({ STEWARD_TEST_MARK: mark });
    const longer = await sleeper({ STEWARD_TEST_MARK: `${mark}0` });
    const prefixed = await sleeper({ XSTEWARD_TEST_MARK: mark });
    const entry = `STEWARD_TEST_MARK=${mark}`;
    expect(withEnviron(entry)).toEqual([exact]);
    expect(environHas(exact, entry)).toBe(true);
    expect(environHas(longer, entry)).toBe(false);
    expect(environHas(prefixed, entry)).toBe(false);
    expect(environHas(longer, `STEWARD_TEST_MARK=${mark}0`)).toBe(true);
    // The last variable of an environment is followed by a NUL too: found as well.
    expect(withEnviron(`XSTEWARD_TEST_MARK=${mark}`)).toEqual([prefixed]);
  });

  it('a scan of every process leaves no Buffer per process read', async () => {
    if (!linux) return;
    const mark = `b${process.pid}x${Date.now()}`;
    const pids = await Promise.all([1, 2, 3].map(() => sleeper({ STEWARD_TEST_MARK: mark })));
    const entry = `STEWARD_TEST_MARK=${mark}`;
    expect(withEnviron(entry).sort()).toEqual([...pids].sort());
    // After a full collection, what the three scans leave is all there is to count.
    forceGc();
    const before = process.memoryUsage().arrayBuffers;
    for (let i = 0; i < 3; i++) expect(withEnviron(entry)).toHaveLength(3);
    // At least 9 environments read (3 children × 3 scans): 144 KiB and more when each read
    // allocated; one reused buffer allocates nothing (at most a Buffer pool slab, 8 KiB).
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(16 * 1024);
  });
});
