/**
 * Profiles on demand through the real `steward` binary, checked from outside: a host run with
 * `--monitor` hosts an inline plugin that burns CPU in a `ctx.setInterval` loop; `steward profile`
 * writes a `.cpuprofile` into `--out` (and nothing into the temp folder), names the plugin's share
 * and its busy function's file:line; a second profile while one runs is refused with 409; bad
 * `seconds`, an unknown plugin and an unusable `--out` are refused with messages that say why.
 */
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { busyPluginCode, listTree } from '../helpers/busy-plugin.js';
import { steward } from '../helpers/cli.js';
import { pluginFixturesPerTest } from '../helpers/fixtures-per-test.js';
import { startFixture } from '../node/fixture-process.js';

const CLI = '../../../dist/cli/main.js'; // the built binary, relative to test/fixtures/node

const fx = pluginFixturesPerTest();

// Says "warm" once V8 optimized its loop (test/helpers/busy-plugin.ts).
const BUSY = busyPluginCode(60);

function profilePost(url: string, path: string): Promise<Response> {
  const { origin, searchParams } = new URL(url);
  return fetch(`${origin}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${searchParams.get('token')}`, 'content-type': 'application/json' },
    body: '{}',
  });
}

describe('steward profile', () => {
  it('writes a .cpuprofile blaming the busy plugin and its line; a concurrent profile gets 409', {
    timeout: 120_000,
  }, async () => {
    const busy = await fx.plugin('busy', { code: BUSY });
    await fx.plugin('calm', { code: 'export default { activate(ctx) { ctx.setInterval(() => {}, 50); } };' });
    await fx.plugin('remote', { isolation: 'worker', code: 'export default { activate() {} };' });
    const tmp = join(fx.root, 'tmp');
    const out = join(fx.root, 'profiles');
    await mkdir(tmp);
    await mkdir(out);
    const env = { TMPDIR: tmp, TMP: tmp, TEMP: tmp };
    const run = startFixture(CLI, ['run', fx.dir, '--monitor'], env, []);
    const url = (await run.waitFor(/^monitor: http/, 'stdout')).slice('monitor: '.length);
    await run.waitFor(/\[busy\] warm/, 'stderr');
    const tmpBefore = await listTree(tmp);

    const result = await steward(
      ['profile', 'busy', '--monitor-url', url, '--seconds', '2', '--out', out],
      env,
      60_000,
    );
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const file = join(busy, 'index.js');
    expect((await readFile(file, 'utf8')).split('\n')[5]).toContain('line 6: the busy loop');
    const share = Number(/plugin "busy" \(inline\): ([\d.]+) % of \d+ samples/.exec(result.stdout)?.[1]);
    expect(share).toBeGreaterThan(50);
    expect(result.stdout).toContain(`hottest: burnCpu at ${file}:6 `);
    const written = await readdir(out);
    expect(written).toHaveLength(1);
    expect(written[0]).toMatch(/^busy-\d{4}-\d\d-\d\dT[\d-]+Z\.cpuprofile$/);
    expect(result.stdout).toContain(`profile: ${join(out, written[0]!)}`);
    const profile = JSON.parse(await readFile(join(out, written[0]!), 'utf8')) as Record<string, unknown[]>;
    expect(profile.nodes!.length).toBeGreaterThan(0);
    expect(profile.samples!.length).toBeGreaterThan(0);
    expect(profile.timeDeltas).toHaveLength(profile.samples!.length);
    expect(await listTree(tmp)).toEqual(tmpBefore); // nothing left in tmp

    // Two at once: one profiles, the other is refused, whichever arrives second.
    const answers = await Promise.all([
      profilePost(url, '/api/plugins/busy/profile?seconds=2'),
      profilePost(url, '/api/plugins/calm/profile?seconds=2'),
    ]);
    const bodies = (await Promise.all(answers.map((r) => r.json()))) as Array<{
      error?: string;
      share?: number;
    }>;
    expect(answers.map((r) => r.status).sort()).toEqual([200, 409]);
    const refused = bodies[answers.findIndex((r) => r.status === 409)]!;
    expect(refused.error).toMatch(/Another CPU profile of this process is running/);

    // Bad input: seconds out of range or not a number, an unknown plugin.
    for (const seconds of ['0', '61', '1.5', 'abc', '']) {
      const res = await profilePost(url, `/api/plugins/busy/profile?seconds=${seconds}`);
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: string }).error).toMatch(
        /"seconds" must be a whole number of seconds from 1 to 60/,
      );
    }
    // A worker plugin is profiled in its own thread (test/cli/profile-remote.test.ts): idle, it has no samples.
    const worker = await profilePost(url, '/api/plugins/remote/profile?seconds=1');
    expect(worker.status).toBe(200);
    const idle = (await worker.json()) as { isolation: string; pluginSamples: number };
    expect(idle.isolation).toBe('worker');
    expect(idle.pluginSamples).toBe(0);
    expect((await profilePost(url, '/api/plugins/nope/profile')).status).toBe(404);
    const cliRefused = await steward(['profile', 'nope', '--monitor-url', url, '--out', out]);
    expect(cliRefused.code).toBe(1);
    expect(cliRefused.stderr).toMatch(/No plugin "nope"/);

    // The host is unharmed: it still answers, and the busy plugin is still active.
    const { origin, searchParams } = new URL(url);
    const list = (await (
      await fetch(`${origin}/api/plugins`, {
        headers: { authorization: `Bearer ${searchParams.get('token')}` },
      })
    ).json()) as { plugins: Array<{ id: string; state: string; cpuShare?: number; cpuShareAt?: number }> };
    expect(list.plugins.map((p) => p.state)).toEqual(['active', 'active', 'active']);
    // The profiles of the host's thread gave every inline plugin its share of the busy samples.
    const byId = new Map(list.plugins.map((p) => [p.id, p]));
    expect(byId.get('busy')!.cpuShare).toBeGreaterThan(0.5);
    expect(byId.get('calm')!.cpuShare).toBeLessThan(0.5);
    expect(byId.get('busy')!.cpuShareAt).toBeGreaterThan(0);
    expect(byId.get('remote')!.cpuShare).toBeUndefined(); // a worker has its own thread
    const metrics = await (
      await fetch(`${origin}/metrics`, { headers: { authorization: `Bearer ${searchParams.get('token')}` } })
    ).text();
    const gauge = /^steward_plugin_profiled_cpu_share\{plugin="busy"\} ([\d.e-]+)$/m.exec(metrics);
    expect(Number(gauge?.[1])).toBeGreaterThan(0.5);
    run.child.kill('SIGINT');
    expect((await run.exited).code).toBe(130);
  });

  it('refuses to profile a host whose inspector is open to a debugger (409), and the host goes on', {
    timeout: 60_000,
  }, async () => {
    await fx.plugin('busy', { code: BUSY });
    const run = startFixture(CLI, ['run', fx.dir, '--monitor'], {}, ['--inspect=127.0.0.1:0']);
    const url = (await run.waitFor(/^monitor: http/, 'stdout')).slice('monitor: '.length);
    const out = join(fx.root, 'profiles');
    await mkdir(out);
    const result = await steward(['profile', 'busy', '--monitor-url', url, '--seconds', '1', '--out', out]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /The inspector of this process is open \(ws:\/\/127\.0\.0\.1:\d+\/.*\): a debugger may be attached/,
    );
    expect(await readdir(out)).toEqual([]);
    const res = await profilePost(url, '/api/plugins/busy/profile?seconds=1');
    expect(res.status).toBe(409);
    run.child.kill('SIGINT');
    expect((await run.exited).code).toBe(130);
  });

  it('refuses an --out it cannot write into (exit 2, naming the folder) before asking the monitor', async () => {
    const missing = join(fx.root, 'no-such-folder');
    const url = 'http://127.0.0.1:9/?token=t';
    const a = await steward(['profile', 'busy', '--monitor-url', url, '--out', missing]);
    expect(a.code).toBe(2);
    expect(a.stderr).toContain(`--out folder "${missing}" does not exist`);
    const file = join(fx.root, 'a-file');
    await writeFile(file, 'x');
    const b = await steward(['profile', 'busy', '--monitor-url', url, '--out', file]);
    expect(b.code).toBe(2);
    expect(b.stderr).toContain(`--out "${file}" is not a folder`);
    const c = await steward(['profile', 'busy', '--monitor-url', url, '--seconds', '0']);
    expect(c.code).toBe(2);
    expect(c.stderr).toContain('--seconds must be a whole number from 1 to 60');
    const d = await steward(['profile', 'busy']);
    expect(d.code).toBe(2);
    expect(d.stderr).toContain('missing --monitor-url');
  });
});
