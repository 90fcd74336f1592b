/**
 * Profiles and heap snapshots of worker and process plugins through the real `steward` binary,
 * checked from outside: a host run with `--monitor` hosts a worker plugin and a process plugin
 * that burn CPU in a `ctx.setInterval` loop, and an inline one that keeps a large module-level
 * cache. `steward profile` profiles each remote plugin's own thread or process (≥ 90 % of its busy
 * samples in its files, its busy line named); `steward heap` writes each one's own isolate's
 * `.heapsnapshot`, and for the inline plugin the shared heap's with its own objects listed — all
 * into `--out`, nothing into the temp folder, every file parsed.
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
const BUSY = busyPluginCode(55);

// A module-level cache of 4 MiB it creates itself, and a closure of its file holding it.
const HOARDER = `const cache = new Map();
for (let i = 0; i < 512; i++) cache.set(i, new Array(1024).fill(i)); // 512 × 8 KiB
export default {
  activate(ctx) {
    ctx.setInterval(function touchCache() { cache.get(1); }, 1000);
    ctx.log.info('hoarding');
  },
};
`;

/** The one file in `dir` whose name ends with `suffix` and starts with `plugin-`. */
async function written(dir: string, plugin: string, suffix: string): Promise<string> {
  const names = (await readdir(dir)).filter((n) => n.startsWith(`${plugin}-`) && n.endsWith(suffix));
  expect(names).toHaveLength(1);
  return join(dir, names[0]!);
}

/** A `.heapsnapshot`'s header, after parsing the whole file as JSON. */
async function heapMeta(file: string): Promise<{ nodeFields: string[]; nodes: number }> {
  const json = JSON.parse(await readFile(file, 'utf8')) as {
    snapshot: { meta: { node_fields: string[] }; node_count: number };
    nodes: number[];
    strings: string[];
  };
  expect(json.nodes.length).toBe(json.snapshot.node_count * json.snapshot.meta.node_fields.length);
  return { nodeFields: json.snapshot.meta.node_fields, nodes: json.snapshot.node_count };
}

describe('steward profile and steward heap, worker and process plugins', () => {
  it('profile each remote plugin’s own thread (≥ 90 %), snapshot each isolate, list an inline plugin’s objects', {
    timeout: 240_000,
  }, async () => {
    const worker = await fx.plugin('wbusy', { isolation: 'worker', code: BUSY });
    const proc = await fx.plugin('pbusy', { isolation: 'process', code: BUSY });
    const hoarder = await fx.plugin('hoarder', { code: HOARDER });
    const tmp = join(fx.root, 'tmp');
    const out = join(fx.root, 'out');
    await mkdir(tmp);
    await mkdir(out);
    const env = { TMPDIR: tmp, TMP: tmp, TEMP: tmp };
    const run = startFixture(CLI, ['run', fx.dir, '--monitor'], env, []);
    const url = (await run.waitFor(/^monitor: http/, 'stdout')).slice('monitor: '.length);
    await run.waitFor(/\[wbusy\] warm/, 'stderr');
    await run.waitFor(/\[pbusy\] warm/, 'stderr');
    await run.waitFor(/\[hoarder\] hoarding/, 'stderr');
    const tmpBefore = await listTree(tmp);

    for (const [id, dir, tier] of [
      ['wbusy', worker, 'worker'],
      ['pbusy', proc, 'process'],
    ] as const) {
      const result = await steward(
        ['profile', id, '--monitor-url', url, '--seconds', '2', '--out', out],
        env,
        90_000,
      );
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      const share = Number(
        new RegExp(`plugin "${id}" \\(${tier}\\): ([\\d.]+) % of \\d+ samples`).exec(result.stdout)?.[1],
      );
      expect(share).toBeGreaterThanOrEqual(90);
      expect(result.stdout).toContain(`hottest: burnCpu at ${join(dir, 'index.js')}:6 `);
      const file = await written(out, id, '.cpuprofile');
      expect(result.stdout).toContain(`profile: ${file}`);
      const profile = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown[]>;
      expect(profile.nodes!.length).toBeGreaterThan(0);
      expect(profile.samples!.length).toBeGreaterThan(0);
      expect(profile.timeDeltas).toHaveLength(profile.samples!.length);

      const heap = await steward(['heap', id, '--monitor-url', url, '--out', out], env, 120_000);
      expect(heap.stderr).toBe('');
      expect(heap.code).toBe(0);
      expect(heap.stdout).toMatch(
        new RegExp(`^plugin "${id}" \\(${tier}\\): heap snapshot of [\\d.]+ MiB$`, 'm'),
      );
      const snapshot = await written(out, id, '.heapsnapshot');
      expect(heap.stdout).toContain(`snapshot: ${snapshot}`);
      expect((await heapMeta(snapshot)).nodeFields).toContain('self_size');
    }

    // Inline: the shared heap, with the plugin's own objects picked out of it.
    const inline = await steward(['heap', 'hoarder', '--monitor-url', url, '--out', out], env, 120_000);
    expect(inline.stderr).toBe('');
    expect(inline.code).toBe(0);
    expect(inline.stdout).toMatch(/^plugin "hoarder" \(inline\): heap snapshot of [\d.]+ MiB$/m);
    const retained = /^its own objects: (\d+), retaining ([\d.]+) MiB together$/m.exec(inline.stdout);
    expect(Number(retained?.[1])).toBeGreaterThan(0);
    expect(Number(retained?.[2])).toBeGreaterThanOrEqual(4);
    const objectsFile = await written(out, 'hoarder', '.objects.json');
    const objects = JSON.parse(await readFile(objectsFile, 'utf8')) as {
      retainedBytes: number;
      largest: Array<{ what: string; site?: string; retainedBytes: number }>;
    };
    const cache = objects.largest.find((o) => o.what.includes('"cache"'));
    expect(cache?.retainedBytes).toBeGreaterThanOrEqual(4 * 2 ** 20);
    expect(cache?.site).toMatch(/hoarder[\\/]index\.js:1\b/);
    expect(objects.largest.some((o) => o.what === 'function touchCache')).toBe(true);
    expect(hoarder).toBeTruthy();
    expect((await heapMeta(await written(out, 'hoarder', '.heapsnapshot'))).nodes).toBeGreaterThan(1000);

    expect(await listTree(tmp)).toEqual(tmpBefore); // nothing left in tmp
    expect((await readdir(out)).length).toBe(6); // 2 profiles, 3 snapshots, 1 object list

    // The host is unharmed: every plugin still active.
    const { origin, searchParams } = new URL(url);
    const list = (await (
      await fetch(`${origin}/api/plugins`, {
        headers: { authorization: `Bearer ${searchParams.get('token')}` },
      })
    ).json()) as { plugins: Array<{ id: string; state: string }> };
    expect(list.plugins.map((p) => p.state)).toEqual(['active', 'active', 'active']);
    run.child.kill('SIGINT');
    expect((await run.exited).code).toBe(130);
  });

  it('refuses what it cannot do with messages that say why, writing nothing: not active, unknown, unusable --out, inspector open', {
    timeout: 120_000,
  }, async () => {
    await fx.plugin('broken', {
      isolation: 'worker',
      code: 'export default { activate() { throw new Error("no"); } };',
    });
    await fx.plugin('pbusy', { isolation: 'process', code: BUSY });
    const out = join(fx.root, 'out');
    await mkdir(out);
    // The host's --inspect is inherited by its plugin processes: their inspector is open too.
    const run = startFixture(CLI, ['run', fx.dir, '--monitor'], {}, ['--inspect=127.0.0.1:0']);
    const url = (await run.waitFor(/^monitor: http/, 'stdout')).slice('monitor: '.length);
    await run.waitFor(/\[pbusy\] warm/, 'stderr');

    const busy = await steward(['profile', 'pbusy', '--monitor-url', url, '--seconds', '1', '--out', out]);
    expect(busy.code).toBe(1);
    expect(busy.stderr).toMatch(
      /The inspector of this process is open \(ws:\/\/127\.0\.0\.1:\d+\/.*\): a debugger may be attached/,
    );
    for (const command of ['profile', 'heap']) {
      const failed = await steward([command, 'broken', '--monitor-url', url, '--out', out]);
      expect(failed.code).toBe(1);
      expect(failed.stderr).toMatch(
        /Plugin "broken" is failed: a (CPU profile|heap snapshot) is taken of an active \(or paused\) plugin/,
      );
      const unknown = await steward([command, 'nope', '--monitor-url', url, '--out', out]);
      expect(unknown.code).toBe(1);
      expect(unknown.stderr).toMatch(/No plugin "nope"/);
    }
    expect(await readdir(out)).toEqual([]);

    // --out is checked before the monitor is asked: exit 2, naming the folder and what to do.
    const missing = join(fx.root, 'no-such-folder');
    const a = await steward(['heap', 'pbusy', '--monitor-url', url, '--out', missing]);
    expect(a.code).toBe(2);
    expect(a.stderr).toContain(`steward heap: --out folder "${missing}" does not exist; create it first.`);
    const file = join(fx.root, 'a-file');
    await writeFile(file, 'x');
    const b = await steward(['heap', 'pbusy', '--monitor-url', url, '--out', file]);
    expect(b.code).toBe(2);
    expect(b.stderr).toContain(`steward heap: --out "${file}" is not a folder`);
    const c = await steward(['heap', 'pbusy']);
    expect(c.code).toBe(2);
    expect(c.stderr).toContain('missing --monitor-url');
    // The process plugin's snapshot needs no inspector: it is still taken.
    const heap = await steward(['heap', 'pbusy', '--monitor-url', url, '--out', out], {}, 120_000);
    expect(heap.code).toBe(0);
    expect((await heapMeta(await written(out, 'pbusy', '.heapsnapshot'))).nodes).toBeGreaterThan(1000);
    run.child.kill('SIGINT');
    expect((await run.exited).code).toBe(130);
  });
});
