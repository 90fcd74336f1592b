import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PluginHost } from '../../src/plugins/index.js';
import { PluginFixtures } from '../helpers/plugin-fixtures.js';

let fx: PluginFixtures;
let host: PluginHost;

beforeEach(async () => {
  fx = await PluginFixtures.create();
  host = new PluginHost({ dirs: [fx.dir], storageDir: `${fx.root}/storage`, log: () => {} });
});

afterEach(async () => {
  await host.dispose();
  await fx[Symbol.asyncDispose]();
});

/** Every event the host emits from now on, as `name:id`; `seen.stop()` unsubscribes. */
function record(h: PluginHost): string[] & { stop(): void } {
  const seen: string[] = [];
  const names = [
    'stateChanged',
    'failed',
    'blocked',
    'loaded',
    'activated',
    'deactivated',
    'unloaded',
  ] as const;
  const subscriptions = names.map((name) => h.on(name, (e: { id: string }) => seen.push(`${name}:${e.id}`)));
  return Object.assign(seen, {
    stop: () => {
      for (const s of subscriptions) s.dispose();
    },
  });
}

/** Everything the queries tell, as plain data. */
function query(h: PluginHost): unknown {
  const g = h.graph();
  return {
    list: h.list(),
    get: h.list().map((p) => h.get(p.id)),
    contexts: h.list().map((p) => h.contextOf(p.id) !== undefined),
    graph: { order: g.order, excluded: g.excluded, errors: g.errors.map((e) => e.message) },
  };
}

describe('PluginHost queries are pure reads', () => {
  it('list() changes no state and emits nothing: graph verdicts are applied by the operation', async () => {
    await fx.plugin('missing-dep', {
      code: 'export default { activate() {} };',
      dependencies: { nowhere: '^1' },
    });
    await fx.plugin('user', {
      code: 'export default { activate() {} };',
      dependencies: { 'missing-dep': '*' },
    });
    await fx.plugin('ok', { code: 'export default { activate() {} };' });
    await host.discover();
    // The operation applied what the graph says; get() before any list() already tells it.
    expect(host.get('missing-dep')!.state).toBe('failed');
    expect(host.get('user')!.state).toBe('blocked');
    expect(host.get('ok')!.state).toBe('discovered');
    const seen = record(host);
    const first = query(host);
    for (let i = 0; i < 3; i++) expect(query(host)).toEqual(first);
    expect([...seen]).toEqual([]);
    expect(host.get('missing-dep')!.error).toMatch(/nowhere/);
  });

  it('queries during an operation report it without taking part in it', async () => {
    await fx.plugin('slow', {
      code: `export default { activate() { return new Promise((r) => { globalThis.__release = r; }); } };`,
    });
    await fx.plugin('after', { code: 'export default { activate() {} };', dependencies: { slow: '*' } });
    const seen = record(host);
    const started = host.start();
    await expect.poll(() => host.get('slow')?.state, { interval: 10, timeout: 5000 }).toBe('activating');
    const during = seen.length;
    const snapshot = query(host);
    expect(query(host)).toEqual(snapshot);
    expect(host.get('after')!.state).toBe('discovered');
    expect(seen.length).toBe(during);
    (globalThis as { __release?: () => void }).__release!();
    const summary = await started;
    expect(summary.active.sort()).toEqual(['after', 'slow']);
  });

  it('property: after any sequence of operations, queries are repeatable and silent', async () => {
    await fx.plugin('base', { code: 'export default { activate() {} };' });
    await fx.plugin('mid', { code: 'export default { activate() {} };', dependencies: { base: '*' } });
    await fx.plugin('top', { code: 'export default { activate() {} };', dependencies: { mid: '*' } });
    await fx.plugin('broken', { code: `export default { activate() { throw new Error('no'); } };` });
    await fx.plugin('orphan', { code: 'export default { activate() {} };', dependencies: { gone: '*' } });
    await host.discover();
    const ids = ['base', 'mid', 'top', 'broken', 'orphan'];
    const op = fc.record({
      kind: fc.constantFrom(
        'activate',
        'deactivate',
        'unload',
        'reload',
        'pause',
        'resume',
        'load',
        'discover',
      ),
      id: fc.constantFrom(...ids, 'gone'),
    });
    let added = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(op, { maxLength: 8 }), async (ops) => {
        for (const { kind, id } of ops) {
          if (kind === 'discover') {
            // A new plugin depending on `id` (maybe missing): the graph changes under the host.
            const name = `new-${added++}`;
            await fx.plugin(name, { code: 'export default { activate() {} };', dependencies: { [id]: '*' } });
            await host.discover();
          } else await host[kind](id).catch(() => undefined);
        }
        const seen = record(host);
        const first = query(host);
        expect(query(host)).toEqual(first);
        seen.stop();
        expect([...seen]).toEqual([]);
      }),
      { numRuns: 15 },
    );
  });
});
