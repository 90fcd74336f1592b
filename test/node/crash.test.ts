import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { pidExists, recover } from '../../src/node/index.js';
import { eventually, groupMembers, killAllFixtures, SETTLE_MS, startFixture } from './fixture-process.js';

const root = mkdtempSync(join(tmpdir(), 'steward-crash-test-'));
let n = 0;
const leftovers: number[] = [];
afterEach(() => {
  killAllFixtures();
  for (const pid of leftovers.splice(0)) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {}
  }
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

async function startHost(mode: 'watchdog' | 'no-watchdog') {
  const dir = join(root, `journal-${++n}`);
  const host = startFixture('durable-host.ts', [dir, mode]);
  const info = JSON.parse(await host.waitFor(/^\{/, 'stdout')) as {
    pid: number;
    tempDir: string;
    childPid: number;
  };
  leftovers.push(info.childPid);
  return { dir, host, info };
}

describe('a host killed with SIGKILL', () => {
  it('takes its children down (watchdog), and `recover` removes its temp folder', async () => {
    const { dir, host, info } = await startHost('watchdog');
    expect(groupMembers(info.childPid).length).toBeGreaterThanOrEqual(2);
    expect(existsSync(info.tempDir)).toBe(true);

    host.child.kill('SIGKILL');
    // No wall-clock limit (a loaded machine may take its time); without the watchdog they would
    // never go (the next test).
    expect(await eventually(() => groupMembers(info.childPid).length === 0, SETTLE_MS)).toBe(true);

    // No code of the host ran: the folder and the journal are still there.
    await host.exited;
    expect(existsSync(info.tempDir)).toBe(true);
    expect(readdirSync(dir)).toHaveLength(1);

    const report = await recover({ dir });
    expect(report.journals).toBe(1);
    expect(report.removed).toEqual([info.tempDir]);
    expect(report.errors).toEqual([]);
    expect(existsSync(info.tempDir)).toBe(false);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('without the watchdog, its child survives — until `recover` kills it (start time checked)', async () => {
    const { dir, host, info } = await startHost('no-watchdog');
    host.child.kill('SIGKILL');
    await host.exited;
    await new Promise((r) => setTimeout(r, 300));
    expect(pidExists(info.childPid)).toBe(true);

    const report = await recover({ dir });
    expect(report.killed).toEqual([{ pid: info.childPid, command: 'sh', signal: 'SIGTERM' }]);
    expect(await eventually(() => groupMembers(info.childPid).length === 0, SETTLE_MS)).toBe(true);
    expect(existsSync(info.tempDir)).toBe(false);
  });

  it('the next start recovers automatically (openDurable runs recover first)', async () => {
    const { dir, host, info } = await startHost('no-watchdog');
    host.child.kill('SIGKILL');
    await host.exited;
    const next = startFixture('durable-host.ts', [dir, 'watchdog']);
    const nextInfo = JSON.parse(await next.waitFor(/^\{/, 'stdout')) as { childPid: number };
    leftovers.push(nextInfo.childPid);
    expect(existsSync(info.tempDir)).toBe(false);
    expect(await eventually(() => groupMembers(info.childPid).length === 0, SETTLE_MS)).toBe(true);
    next.child.kill('SIGTERM');
  });
});
