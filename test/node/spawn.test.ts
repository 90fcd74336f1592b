import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { ResourceManager, UseAfterCleanupError } from '../../src/core/index.js';
import { childWatchdog, pidExists, spawnTracked } from '../../src/node/index.js';
import { eventually, groupMembers, SETTLE_MS } from './fixture-process.js';

let manager: ResourceManager;
afterEach(async () => {
  await manager?.dispose({ force: true });
});

describe('spawnTracked', () => {
  it('tracks the child; release kills its whole process group and closes its pipes', async () => {
    manager = new ResourceManager();
    const plugin = manager.register('plugin', { type: 'plugin' });
    const handle = spawnTracked(plugin, 'sh', ['-c', 'sleep 30 & sleep 30; wait']);
    const child = handle.value!;
    expect(plugin.resources()).toContain(handle);
    expect(handle.type).toBe('process');
    expect(await eventually(() => groupMembers(child.pid!).length === 3, SETTLE_MS)).toBe(true);
    expect(childWatchdog().watchedPids()).toContain(child.pid);
    await handle.releaseAsync();
    expect(child.signalCode).toBe('SIGTERM');
    expect(await eventually(() => groupMembers(child.pid!).length === 0, SETTLE_MS)).toBe(true);
    expect(child.stdout!.destroyed).toBe(true);
    expect(childWatchdog().watchedPids()).not.toContain(child.pid);
  });

  it('escalates to SIGKILL after killTimeoutMs when the child ignores SIGTERM', async () => {
    manager = new ResourceManager();
    const plugin = manager.register('plugin', { type: 'plugin' });
    const handle = spawnTracked(
      plugin,
      process.execPath,
      ['-e', "process.on('SIGTERM', () => {}); console.log('ready'); setInterval(() => {}, 1000)"],
      { killTimeoutMs: 200 },
    );
    const child = handle.value!;
    await once(child.stdout!, 'data');
    const report = await plugin.cleanup();
    expect(report.released).toBe(1);
    expect(child.signalCode).toBe('SIGKILL');
  });

  it('stops watching a child that exits by itself', async () => {
    manager = new ResourceManager();
    const plugin = manager.register('plugin', { type: 'plugin' });
    const child = spawnTracked(plugin, 'true').value!;
    await once(child, 'exit');
    expect(childWatchdog().watchedPids()).not.toContain(child.pid);
    expect(pidExists(child.pid!)).toBe(false);
  });

  it('restarts the watchdog when it dies, handing it the children still guarded', async () => {
    manager = new ResourceManager();
    const plugin = manager.register('plugin', { type: 'plugin' });
    const child = spawnTracked(plugin, 'sleep', ['30']).value!;
    const first = childWatchdog().pid!;
    expect(pidExists(first)).toBe(true);
    process.kill(first, 'SIGKILL');
    expect(
      await eventually(() => childWatchdog().pid !== undefined && childWatchdog().pid !== first, SETTLE_MS),
    ).toBe(true);
    expect(pidExists(childWatchdog().pid!)).toBe(true);
    expect(childWatchdog().watchedPids()).toContain(child.pid);
  });

  it('tracks a command that cannot start: it emits error, and releasing it is a no-op', async () => {
    manager = new ResourceManager();
    const plugin = manager.register('plugin', { type: 'plugin' });
    const handle = spawnTracked(plugin, 'steward-no-such-command-xyz');
    const [error] = (await once(handle.value!, 'error')) as [NodeJS.ErrnoException];
    expect(error.code).toBe('ENOENT');
    expect(await handle.releaseAsync()).toBe(true);
  });

  it('refuses to spawn into a component that is cleaned up, and rejects bad options', async () => {
    manager = new ResourceManager();
    const plugin = manager.register('plugin', { type: 'plugin' });
    expect(() => spawnTracked(plugin, '')).toThrow(/command must be a non-empty string/);
    expect(() => spawnTracked(plugin, 'true', [], { killTimeoutMs: -1 })).toThrow(/killTimeoutMs/);
    await plugin.cleanup();
    expect(() => spawnTracked(plugin, 'sleep', ['30'])).toThrow(UseAfterCleanupError);
  });
});
