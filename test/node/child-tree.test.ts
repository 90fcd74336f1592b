/**
 * A tracked child's whole tree ends with it, and every child Steward guards bears the host's
 * mark: checked from outside, by pid and by the child's own environment (`/proc`, Linux).
 */
import { spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { ResourceManager } from '../../src/core/index.js';
import { CHILD_MARK_ENV, childMark } from '../../src/node/child-token.js';
import { pidExists, spawnTracked } from '../../src/node/index.js';
import { eventually, SETTLE_MS } from './fixture-process.js';

const linux = process.platform === 'linux';
const hasSetsid = linux && spawnSync('setsid', ['true']).status === 0;
const stray: number[] = [];
let manager: ResourceManager | undefined;
afterEach(async () => {
  await manager?.dispose({ force: true });
  for (const pid of stray.splice(0)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
});

describe('tracked children: the whole tree, and the host mark', () => {
  it('release ends a grandchild that left the process group (setsid)', async () => {
    expect(hasSetsid || !linux).toBe(true);
    if (!hasSetsid) return; // /proc and setsid are Linux's; elsewhere the group is what ends
    manager = new ResourceManager();
    const plugin = manager.register('plugin', { type: 'plugin' });
    const handle = spawnTracked(plugin, 'sh', ['-c', 'setsid sleep 1000 & echo $!; wait'], {
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    const [line] = (await once(handle.value!.stdout!, 'data')) as [Buffer];
    const grandchild = Number(line.toString().trim());
    stray.push(grandchild);
    expect(await eventually(() => pidExists(grandchild), SETTLE_MS)).toBe(true);
    await handle.releaseAsync();
    expect(await eventually(() => !pidExists(grandchild), SETTLE_MS)).toBe(true);
  });

  it('a tracked child and its descendants bear the host mark in their environment', async () => {
    if (!linux) return;
    manager = new ResourceManager();
    const plugin = manager.register('plugin', { type: 'plugin' });
    const handle = spawnTracked(plugin, 'sh', ['-c', 'sleep 1000 & echo $!; wait'], {
      stdio: ['ignore', 'pipe', 'ignore'],
      env: { ...process.env, OWN: 'kept' },
    });
    const [line] = (await once(handle.value!.stdout!, 'data')) as [Buffer];
    const grandchild = Number(line.toString().trim());
    stray.push(grandchild);
    // `$!` is printed right after the fork: until the grandchild's exec has finished, its
    // /proc environ can read empty. Read it once it is there.
    const environ = () => readFileSync(`/proc/${grandchild}/environ`, 'latin1').split('\0');
    await expect.poll(() => environ().length, { timeout: 20_000, interval: 10 }).toBeGreaterThan(1);
    const env = environ();
    expect(env).toContain(`${CHILD_MARK_ENV}=${childMark()}`);
    expect(env).toContain('OWN=kept');
    expect(process.env[CHILD_MARK_ENV]).toBeUndefined(); // the host's own environment is untouched
  });
});
