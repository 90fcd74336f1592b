import { cp } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LeakEvent, ResourceManager } from '../../src/core/index.js';
import { PluginHost, type UnloadFinding, type UnloadVerdict } from '../../src/plugins/index.js';
import { PluginFixtures } from '../helpers/plugin-fixtures.js';

const corpus = join(import.meta.dirname, '../corpus');

/** A clean plugin with ten resources, all through ctx, and a module-level constant. */
const CLEAN = `
import { EventEmitter } from 'node:events';
const LABELS = new Map([['a', 1]]);
export default {
  activate(ctx) {
    const bus = new EventEmitter();
    for (let i = 0; i < 4; i++) ctx.setInterval(() => ctx.log.debug('tick ' + LABELS.size), 60_000);
    for (let i = 0; i < 3; i++) ctx.listen(bus, 'x', () => ctx.log.debug('x'));
    ctx.listen(process, 'SIGUSR2', function onSignal() { ctx.log.info('signal'); });
    ctx.track(new Uint8Array(1024), { type: 'buffer', dispose: () => {} });
    ctx.onCleanup(() => bus.removeAllListeners());
  },
};`;

const LEAKY = [
  'leaks-module-cache',
  'leaks-process-listener',
  'leaks-service-listener',
  'leaks-global-closure',
  'leaks-timer',
  'leaks-disposed-in-map',
];

describe('unload verification', () => {
  let fixtures: PluginFixtures;
  let host: PluginHost;
  const leaks: LeakEvent[] = [];

  beforeAll(async () => {
    fixtures = await PluginFixtures.create();
    for (const id of [...LEAKY, 'support-registry'])
      await cp(join(corpus, id), join(fixtures.dir, id), { recursive: true });
    await fixtures.plugin('clean', { code: CLEAN });
    const manager = new ResourceManager({ leakTracking: true });
    manager.on('leakDetected', (e) => leaks.push(e));
    host = new PluginHost({ dirs: [fixtures.dir], manager, verifyUnload: true, log: () => {} });
    const summary = await host.start();
    expect(summary.failed).toEqual([]);
  }, 60_000);

  afterAll(async () => {
    await host?.dispose();
    await fixtures?.[Symbol.asyncDispose]();
    for (const l of process.listeners('SIGUSR2')) if (l.name === 'onSignal') process.off('SIGUSR2', l);
    delete (globalThis as { corpusFormatter?: unknown }).corpusFormatter;
  });

  it('finds nothing for a clean plugin reloaded ten times', async () => {
    const verdicts: UnloadVerdict[] = [];
    const subscription = host.on('unloadVerified', (v) => verdicts.push(v));
    for (let i = 0; i < 10; i++) await host.reload('clean');
    await host.deactivate('clean');
    await host.verifyUnloads();
    subscription.dispose();
    expect(verdicts.flatMap((v) => v.plugins).filter((p) => p === 'clean')).toHaveLength(11);
    expect(verdicts.flatMap((v) => v.findings)).toEqual([]);
    expect(verdicts.every((v) => v.error === undefined)).toBe(true);
  }, 120_000);

  const expected: Record<
    string,
    { kind: UnloadFinding['kind']; object: RegExp; path: RegExp; site: RegExp }
  > = {
    'leaks-module-cache': {
      kind: 'retained-after-unload',
      object: /Map "thumbnails"/,
      path: /\.caches/,
      site: /leaks-module-cache\/index\.js:5\b/,
    },
    'leaks-process-listener': {
      kind: 'retained-after-unload',
      object: /function onSignal/,
      path: /SIGUSR2/,
      site: /leaks-process-listener\/index\.js:5:/,
    },
    'leaks-service-listener': {
      kind: 'retained-after-unload',
      object: /function onChange/,
      path: /\.change/,
      site: /leaks-service-listener\/index\.js:8:/,
    },
    'leaks-global-closure': {
      kind: 'retained-after-unload',
      object: /function formatEntry/,
      path: /\.corpusFormatter/,
      site: /leaks-global-closure\/index\.js:5:/,
    },
    'leaks-timer': {
      kind: 'retained-after-unload',
      object: /function poll/,
      path: /_onTimeout/,
      site: /leaks-timer\/index\.js:5:/,
    },
    'leaks-disposed-in-map': {
      kind: 'disposed-but-reachable',
      object: /connection #\d+ \(disposed\)/,
      path: /\.connections/,
      site: /leaks-disposed-in-map\/index\.js:9:/,
    },
  };

  for (const id of LEAKY) {
    it(`finds ${id} with its plugin, a path naming the holder, and the creation line`, async () => {
      leaks.length = 0;
      await host.unload(id);
      const [verdict] = await host.verifyUnloads();
      const want = expected[id]!;
      const findings = verdict!.findings.filter((f) => f.plugin === id);
      const finding = findings.find((f) => want.object.test(f.object));
      expect(finding, JSON.stringify(verdict, null, 2)).toBeDefined();
      expect(finding!.kind).toBe(want.kind);
      expect(finding!.path!.join('\n')).toMatch(want.path);
      expect(`${finding!.site}\n${finding!.stack}`).toMatch(want.site);
      expect(finding!.retainedBytes).toBeGreaterThan(0);
      // The same finding reached the manager as leakDetected, with the path.
      const event = leaks.find((e) => e.plugin === id && e.kind === want.kind);
      expect(event?.retainerPath).toEqual(finding!.path);
      expect(event?.component.id).toBe(id);
    }, 60_000);
  }
});

describe('unload verification when no snapshot can be taken', () => {
  it('reports why, still reports what survived, and the unload completes', async () => {
    await using fixtures = await PluginFixtures.create();
    await cp(join(corpus, 'leaks-process-listener'), join(fixtures.dir, 'leaks-process-listener'), {
      recursive: true,
    });
    await using host = new PluginHost({
      dirs: [fixtures.dir],
      // A folder that does not exist: the snapshot cannot be written there.
      verifyUnload: { snapshotDir: join(fixtures.root, 'missing', 'folder') },
      log: () => {},
    });
    await host.start();
    try {
      const info = await host.unload('leaks-process-listener');
      expect(info.state).toBe('unloaded');
      const [verdict] = await host.verifyUnloads();
      expect(verdict!.error).toMatch(/could not be written to .*missing.*snapshotDir/);
      expect(verdict!.findings).toHaveLength(1);
      expect(verdict!.findings[0]!).toMatchObject({
        kind: 'retained-after-unload',
        plugin: 'leaks-process-listener',
        object: 'the plugin context (ctx)',
        path: undefined,
      });
      expect(verdict!.findings[0]!.message).toMatch(/still reachable after 3 full collections/);
    } finally {
      for (const l of process.listeners('SIGUSR2')) if (l.name === 'onSignal') process.off('SIGUSR2', l);
    }
  }, 60_000);

  it('skips the snapshot of a heap above maxHeapBytes, saying so', async () => {
    await using fixtures = await PluginFixtures.create();
    await fixtures.plugin('small', { code: 'export default { activate() {} };' });
    await using host = new PluginHost({
      dirs: [fixtures.dir],
      verifyUnload: { maxHeapBytes: 1024 },
      log: () => {},
    });
    await host.start();
    await host.unload('small');
    const [verdict] = await host.verifyUnloads();
    expect(verdict!.error).toMatch(/above verifyUnload\.maxHeapBytes \(0 MiB\)/);
    expect(verdict!.findings).toEqual([]);
  }, 60_000);
});

describe('unload verification batches', () => {
  it('verifies unloads close together in one batch: one set of collections, one snapshot', async () => {
    await using fixtures = await PluginFixtures.create();
    for (const id of ['a', 'b', 'c']) await fixtures.plugin(id, { code: CLEAN });
    await using host = new PluginHost({
      dirs: [fixtures.dir],
      verifyUnload: { batchMs: 60_000 },
      log: () => {},
    });
    await host.start();
    for (const id of ['a', 'b', 'c']) await host.unload(id);
    const verdicts = await host.verifyUnloads();
    expect(verdicts).toHaveLength(1);
    expect([...verdicts[0]!.plugins].sort()).toEqual(['a', 'b', 'c']);
    expect(verdicts[0]!.findings).toEqual([]);
    expect(verdicts[0]!.snapshotMs).toBeGreaterThan(0);
  }, 60_000);

  it('is off unless asked for (or a process-wide default is set)', async () => {
    await using fixtures = await PluginFixtures.create();
    await fixtures.plugin('a', { code: CLEAN });
    await using host = new PluginHost({ dirs: [fixtures.dir], log: () => {} });
    await host.start();
    await host.unload('a');
    expect(await host.verifyUnloads()).toEqual([]);
  }, 60_000);
});
