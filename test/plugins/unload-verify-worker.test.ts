/**
 * Unload verification of worker and process plugins (issue 14 §1): the plugin's heap goes with
 * its thread or process, so what is verified is that the thread (the process and its group) is
 * gone and that the host-side objects made for it — the proxies of the services it provided, the
 * mirrors of its resources, its runtime — are collected. A proxy another plugin keeps is
 * `retained-after-unload`, with the path.
 */
import { cp, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LeakEvent, ResourceManager } from '../../src/core/index.js';
import { alive } from '../../src/node/process-tree.js';
import { PluginHost, type UnloadVerdict } from '../../src/plugins/index.js';
import { PluginFixtures } from '../helpers/plugin-fixtures.js';

const corpus = join(import.meta.dirname, '../corpus');

/** A clean worker plugin: ten resources through ctx, and a service the host proxies. */
const CLEAN = `
import { tokenFor } from 'steward';
export default {
  activate(ctx) {
    for (let i = 0; i < 4; i++) ctx.setInterval(() => {}, 60_000);
    for (let i = 0; i < 4; i++) ctx.track(new Uint8Array(64), { type: 'buffer', dispose: () => {} });
    ctx.listen(process, 'message', () => {});
    ctx.onCleanup(() => {});
    ctx.services.provide(tokenFor('clean.echo'), { echo: (x) => x });
  },
};`;

describe.each(['worker', 'process'] as const)('unload verification of %s plugins', (isolation) => {
  let fixtures: PluginFixtures;
  let host: PluginHost;
  const leaks: LeakEvent[] = [];

  beforeAll(async () => {
    fixtures = await PluginFixtures.create();
    for (const id of ['leaks-worker-service', 'keeps-worker-service'])
      await cp(join(corpus, id), join(fixtures.dir, id), { recursive: true });
    // The corpus plugin is a worker plugin; the same code as a process plugin.
    const manifest = join(fixtures.dir, 'leaks-worker-service', 'package.json');
    const pkg = JSON.parse(await readFile(manifest, 'utf8'));
    pkg.steward.isolation = isolation;
    await writeFile(manifest, JSON.stringify(pkg));
    await fixtures.plugin('clean-worker', { code: CLEAN, isolation, provides: ['clean.echo'] });
    const manager = new ResourceManager({ leakTracking: true });
    manager.on('leakDetected', (e) => leaks.push(e));
    host = new PluginHost({ dirs: [fixtures.dir], manager, verifyUnload: true, log: () => {} });
    expect((await host.start()).failed).toEqual([]);
  }, 60_000);

  afterAll(async () => {
    await host?.dispose();
    await fixtures?.[Symbol.asyncDispose]();
  });

  it(`finds nothing for a clean ${isolation} plugin reloaded ten times, its ${isolation === 'worker' ? 'threads' : 'processes'} all gone`, async () => {
    const verdicts: UnloadVerdict[] = [];
    const subscription = host.on('unloadVerified', (v) => verdicts.push(v));
    const threads = new Set<unknown>();
    const key = isolation === 'worker' ? 'threadId' : 'pid';
    for (let i = 0; i < 10; i++) {
      threads.add(host.manager.get('clean-worker')?.metadata?.[key]);
      await host.reload('clean-worker');
    }
    await host.unload('clean-worker');
    await host.verifyUnloads();
    subscription.dispose();
    expect(threads.size).toBe(10); // a new thread (process) each time: each old one was verified
    if (isolation === 'process') for (const pid of threads) expect(alive(pid as number)).toBe(false);
    expect(verdicts.flatMap((v) => v.plugins).filter((p) => p === 'clean-worker')).toHaveLength(11);
    expect(verdicts.flatMap((v) => v.findings)).toEqual([]);
  }, 120_000);

  it('reports the host-side proxy of its service another plugin keeps, with the path', async () => {
    leaks.length = 0;
    await host.unload('leaks-worker-service');
    // Its dependent is deactivated first: on a loaded machine the two may be verified in two batches.
    const verdicts = await host.verifyUnloads();
    const finding = verdicts.flatMap((v) => v.findings).find((f) => f.plugin === 'leaks-worker-service');
    expect(finding, JSON.stringify(verdicts, null, 2)).toBeDefined();
    expect(finding!.kind).toBe('retained-after-unload');
    expect(finding!.object).toMatch(/proxy of its service "corpus\.clock"/);
    expect(finding!.path!.join('\n')).toMatch(/module "[^"]*keeps-worker-service\/index\.js"/);
    expect(finding!.holder).toMatch(
      /^module "[^"]*keeps-worker-service\/index\.js"\(variable clocks\)\[0\]$/,
    );
    // What the proxy keeps alive is named: the host's runtime of the plugin.
    expect(finding!.message).toMatch(new RegExp(`keeping [^;]*${isolation} runtime \\(host side\\)`));
    const event = leaks.find((e) => e.plugin === 'leaks-worker-service');
    expect(event?.retainerPath).toEqual(finding!.path);
  }, 60_000);
});
