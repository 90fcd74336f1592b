/**
 * `steward run` and `steward recover` as real processes: the binary hosts real plugin folders,
 * serves the monitor, reloads on change and shuts down on a real SIGINT.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { pidExists } from '../../src/node/index.js';
import { steward } from '../helpers/cli.js';
import { pluginFixturesPerTest } from '../helpers/fixtures-per-test.js';
import { PluginFixtures } from '../helpers/plugin-fixtures.js';
import { eventually, SETTLE_MS, startFixture } from '../node/fixture-process.js';

const CLI = '../../../dist/cli/main.js'; // the built binary, relative to test/fixtures/node

const fx = pluginFixturesPerTest();

const WORKER_CODE = `
export default {
  activate(ctx) {
    ctx.setInterval(() => {}, 1000);
    const child = ctx.spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    ctx.log.info('child ' + child.pid);
    ctx.track(new Uint8Array(2048), { type: 'memory', size: 2048 });
  },
};`;

describe('steward run', () => {
  it('hosts plugins, serves the monitor, and on SIGINT deactivates everything and exits 130', async () => {
    await fx.plugin('busy', { code: WORKER_CODE });
    await fx.plugin('broken', { code: `export default { activate() { throw new Error('nope'); } };` });
    const run = startFixture(CLI, ['run', fx.dir, '--monitor']);
    const url = (await run.waitFor(/^monitor: http/, 'stdout')).slice('monitor: '.length);
    const childPid = Number((await run.waitFor(/\[busy\] child \d+/, 'stderr')).split(' ').pop());
    expect(pidExists(childPid)).toBe(true);
    expect(run.stdout()).toMatch(/✓\s+busy\s+1\.0\.0\s+active\s+inline\s+3\s+2\.00 KiB/);
    expect(run.stdout()).toMatch(/✗\s+broken\s+1\.0\.0\s+failed.*nope/);
    expect(run.stdout()).toContain('1 active, 1 failed, 0 blocked');

    const { origin, searchParams } = new URL(url);
    const response = await fetch(`${origin}/api/snapshot`, {
      headers: { authorization: `Bearer ${searchParams.get('token')}` },
    });
    const snapshot = (await response.json()) as {
      components: Array<{ id: string; subtreeBytes: number }>;
      plugins: Array<{ id: string; state: string }>;
    };
    expect(snapshot.components.find((c) => c.id === 'busy')?.subtreeBytes).toBe(2048);
    expect(snapshot.plugins.map((p) => [p.id, p.state]).sort()).toEqual([
      ['broken', 'failed'],
      ['busy', 'active'],
    ]);

    run.child.kill('SIGINT');
    const { code } = await run.exited;
    expect(code).toBe(130);
    expect(run.stderr()).toMatch(
      /stopped 1 plugin\(s\) in \d+ ms: 3 resource\(s\) released, 0 failed, 0 abandoned/,
    );
    expect(await eventually(() => !pidExists(childPid), SETTLE_MS)).toBe(true);
  });

  it.each([
    [[], false],
    [['--verbose'], true],
  ])(
    "a failed plugin's later fault is one line, its stack only with --verbose (%j)",
    async (extra, stack) => {
      await fx.plugin('timerthrow', {
        code: `export default { activate() {
  setTimeout(() => { throw new Error('late throw'); }, 500);
  Promise.resolve().then(() => new Promise((_, rej) => setTimeout(() => rej(new Error('late reject')), 900)));
} };`,
      });
      const run = startFixture(CLI, ['run', fx.dir, '--no-health', ...extra], {}, []);
      await run.waitFor(/late reject/, 'stderr');
      run.child.kill('SIGINT');
      await run.exited;
      const frames = /\n\s+at .*timerthrow[/\\]index\.js/;
      if (stack) expect(run.stderr()).toMatch(frames);
      else expect(run.stderr()).not.toMatch(frames);
    },
  );

  it('--watch reloads a plugin when its files change', async () => {
    await fx.plugin('hot', { code: `export default { activate(ctx) { ctx.log.info('version one'); } };` });
    const run = startFixture(CLI, ['run', fx.dir, '--watch']);
    await run.waitFor(/watching plugin folders/, 'stderr');
    await fx.write('hot/index.js', `export default { activate(ctx) { ctx.log.info('version two'); } };`);
    await run.waitFor(/\[hot\] version two/, 'stderr');
    await run.waitFor(/↻ reloaded hot/, 'stderr');
    run.child.kill('SIGTERM');
    expect((await run.exited).code).toBe(143);
  });

  it('exits 1 when there is no plugin, and 2 on wrong usage', async () => {
    const empty = await steward(['run', fx.dir]);
    expect(empty.code).toBe(1);
    expect(empty.stderr).toContain('no plugins found');
    const usage = await steward(['run', fx.dir, '--isolation', 'thread']);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('--isolation must be "inline", "worker" or "process"');
  });
});

describe('steward recover', () => {
  const root = mkdtempSync(join(tmpdir(), 'steward-cli-recover-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('reclaims the temp folder a SIGKILLed host left behind', async () => {
    const dir = join(root, 'journal');
    const host = startFixture('durable-host.ts', [dir, 'watchdog']);
    const info = JSON.parse(await host.waitFor(/^\{/, 'stdout')) as { tempDir: string };
    host.child.kill('SIGKILL');
    await host.exited;
    expect(existsSync(info.tempDir)).toBe(true);
    const run = await steward(['recover', '--dir', dir, '--json']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout) as { journals: number; removed: string[] };
    expect(report.journals).toBe(1);
    expect(report.removed).toEqual([info.tempDir]);
    expect(existsSync(info.tempDir)).toBe(false);
    const again = await steward(['recover', '--dir', dir]);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('nothing to recover');
  });
});

describe('steward run, early exits', () => {
  it('--monitor with no plugins exits 1 without leaving the monitor running; a bad host version is a usage error', async () => {
    const fx2 = await PluginFixtures.create();
    try {
      const empty = await steward(['run', fx2.dir, '--monitor'], {}, 15_000);
      expect(empty.code).toBe(1);
      expect(empty.stderr).toContain('no plugins found');
      const bad = await steward(['run', fx2.dir, '--host-version', 'one']);
      expect(bad.code).toBe(2);
      expect(bad.stderr).toMatch(/hostVersion must be a semver version/);
    } finally {
      await fx2[Symbol.asyncDispose]();
    }
  });
});
