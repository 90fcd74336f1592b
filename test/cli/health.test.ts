/**
 * Plugin health through the real `steward` binary, checked from outside: a plugin that blocks the
 * host's event loop is named on stderr while the loop is still blocked (its function and line),
 * and in `/metrics` afterwards; its healthy neighbour is never blamed; a worker plugin burning
 * its thread is restarted by its `restart` budget (a new thread id); one whose heap grows past
 * its budget is disabled (unloaded, seen in the monitor's API).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { pluginFixturesPerTest } from '../helpers/fixtures-per-test.js';
import { startFixture } from '../node/fixture-process.js';

const CLI = '../../../dist/cli/main.js'; // the built binary, relative to test/fixtures/node

const fx = pluginFixturesPerTest();

/** Give plugin `id` a manifest budget (rewrites its package.json). */
async function budget(id: string, value: Record<string, unknown>): Promise<void> {
  const file = join(fx.dir, id, 'package.json');
  const pkg = JSON.parse(await readFile(file, 'utf8')) as { steward: Record<string, unknown> };
  pkg.steward.budget = value;
  await fx.write(`${id}/package.json`, JSON.stringify(pkg, null, 2));
}

async function api<T>(url: string, path: string): Promise<T> {
  const { origin, searchParams } = new URL(url);
  const response = await fetch(`${origin}${path}`, {
    headers: { authorization: `Bearer ${searchParams.get('token')}` },
  });
  return (path.startsWith('/api') ? response.json() : response.text()) as Promise<T>;
}

async function until<T>(read: () => Promise<T>, ok: (value: T) => boolean, ms = 30_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const value = await read();
    if (ok(value) || Date.now() > end) return value;
    await new Promise((r) => setTimeout(r, 250));
  }
}

const SPIN = `export default {
  activate(ctx) {
    ctx.setTimeout(function blockTheLoop() {
      const end = Date.now() + 5000;
      while (Date.now() < end) {} // line 5: the loop
      ctx.log.info('loop done');
    }, 1500);
  },
};
`;

describe('steward run watches plugin health', () => {
  it('names the plugin blocking the event loop while it is blocked, with its function and line', {
    timeout: 120_000,
  }, async () => {
    const spin = await fx.plugin('spin', { code: SPIN });
    await fx.plugin('calm', { code: `export default { activate(ctx) { ctx.setInterval(() => {}, 50); } };` });
    const run = startFixture(CLI, ['run', fx.dir, '--monitor', '--block-threshold', '1000']);
    const url = (await run.waitFor(/^monitor: http/, 'stdout')).slice('monitor: '.length);
    const line = await run.waitFor(/^steward: the event loop has been blocked/, 'stderr');
    // Said from the watchdog thread while the plugin's loop still runs: before its next log line.
    expect(run.stderr()).not.toContain('[spin] loop done');
    const file = join(spin, 'index.js');
    expect(line).toMatch(/blocked for \d+\.\d s: plugin "spin" took (9[5-9]|100) % of \d+ samples/);
    expect(line).toContain(`(blockTheLoop at ${file}:5)`);
    expect((await readFile(file, 'utf8')).split('\n')[4]).toContain('line 5: the loop');

    await run.waitFor(/\[spin\] loop done/, 'stderr');
    await run.waitFor(/\[spin\] warn: blocked the event loop for \d+\.\d s: (9[5-9]|100) % of/, 'stderr');
    const metrics = await api<string>(url, '/metrics');
    const longest = Number(
      /steward_plugin_longest_block_seconds\{plugin="spin"\} ([\d.]+)/.exec(metrics)?.[1],
    );
    expect(longest).toBeGreaterThanOrEqual(1);
    expect(metrics).not.toMatch(/steward_plugin_longest_block_seconds\{plugin="calm"\}/);
    const { plugins } = await api<{ plugins: Array<{ id: string; state: string; health?: object }> }>(
      url,
      '/api/plugins',
    );
    expect(plugins.find((p) => p.id === 'spin')?.health).toMatchObject({ responsive: true });
    expect(plugins.map((p) => p.state)).toEqual(['active', 'active']); // blamed, not failed
    expect(run.stderr()).not.toMatch(/\[calm\] warn/);
    run.child.kill('SIGINT');
    expect((await run.exited).code).toBe(130);
  });

  it('restarts a worker plugin that keeps its thread busy past its ELU budget', {
    timeout: 120_000,
  }, async () => {
    await fx.plugin('burner', {
      isolation: 'worker',
      code: `import { threadId } from 'node:worker_threads';
export default {
  activate(ctx) {
    ctx.log.info('thread ' + threadId);
    const burn = () => { const end = Date.now() + 50; while (Date.now() < end) {} ctx.setTimeout(burn, 0); };
    burn();
  },
};
`,
    });
    await budget('burner', { elu: 0.5, window: '1s', checks: 2, grace: '1s', action: 'restart' });
    const run = startFixture(CLI, ['run', fx.dir, '--monitor']);
    const url = (await run.waitFor(/^monitor: http/, 'stdout')).slice('monitor: '.length);
    const first = await run.waitFor(/\[burner\] thread \d+/, 'stderr');
    const { plugins } = await until(
      () => api<{ plugins: Array<{ health?: { elu?: number } }> }>(url, '/api/plugins'),
      (v) => (v.plugins[0]?.health?.elu ?? 0) >= 0.9,
    );
    expect(plugins[0]?.health?.elu).toBeGreaterThanOrEqual(0.9);
    await run.waitFor(
      /\[burner\] warn: broke its budget 2 time\(s\) in a row \(ELU 0\.\d+ > 0\.5\): restarting it/,
      'stderr',
    );
    await until(
      async () => run.stderr().match(/\[burner\] thread \d+/g) ?? [],
      (lines) => lines.length >= 2,
    );
    const threads = run.stderr().match(/\[burner\] thread \d+/g)!;
    expect(threads[1]).not.toBe(first);
    run.child.kill('SIGTERM');
    expect((await run.exited).code).toBe(143);
  });

  it('disables a worker plugin whose heap grows past its budget, and leaves its neighbour alone', {
    timeout: 120_000,
  }, async () => {
    await fx.plugin('hoarder', {
      isolation: 'worker',
      code: `const kept = [];
export default {
  activate(ctx) {
    ctx.setInterval(() => { kept.push(new Array(250_000).fill(kept.length)); }, 50);
  },
};
`,
    });
    await budget('hoarder', { heap: '48MB', window: '1s', checks: 2, grace: '1s', action: 'disable' });
    await fx.plugin('calm', { code: `export default { activate(ctx) { ctx.setInterval(() => {}, 50); } };` });
    const run = startFixture(CLI, ['run', fx.dir, '--monitor']);
    const url = (await run.waitFor(/^monitor: http/, 'stdout')).slice('monitor: '.length);
    await run.waitFor(
      /\[hoarder\] warn: broke its budget 2 time\(s\) in a row \(heap \d+\.\d MiB > 45\.8 MiB\): disabling it/,
      'stderr',
    );
    const { plugins } = await until(
      () => api<{ plugins: Array<{ id: string; state: string }> }>(url, '/api/plugins'),
      (v) => v.plugins.find((p) => p.id === 'hoarder')?.state === 'unloaded',
    );
    expect(Object.fromEntries(plugins.map((p) => [p.id, p.state]))).toEqual({
      hoarder: 'unloaded',
      calm: 'active',
    });
    run.child.kill('SIGINT');
    expect((await run.exited).code).toBe(130);
  });
});
