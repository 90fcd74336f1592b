/**
 * The test leak gate and unload verification: plugin hosts created while a leak check is
 * installed verify their unloads; what an unloaded plugin left reachable fails the test with
 * its retainer path; allowances tolerate findings by plugin or creation site, with counts.
 */
import { cp } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ResourceManager } from '../../src/core/index.js';
import { PluginHost, unloadVerificationDefault } from '../../src/plugins/index.js';
import { LeakCheckError, LeakChecker, TEST_UNLOAD_VERIFICATION } from '../../src/testing/index.js';
import { PluginFixtures } from '../helpers/plugin-fixtures.js';

const corpus = join(import.meta.dirname, '../corpus');
let fixtures: PluginFixtures;

beforeAll(async () => {
  fixtures = await PluginFixtures.create();
  await cp(join(corpus, 'leaks-global-closure'), join(fixtures.dir, 'leaks-global-closure'), {
    recursive: true,
  });
  await fixtures.plugin('tidy', {
    code: 'export default { activate(ctx) { ctx.setInterval(() => ctx.log.debug("t"), 60000); } };',
  });
});
afterAll(async () => {
  delete (globalThis as { corpusFormatter?: unknown }).corpusFormatter;
  await fixtures?.[Symbol.asyncDispose]();
});

async function unloadIn(checker: LeakChecker, ids: string[]): Promise<unknown> {
  const manager = new ResourceManager();
  checker.begin();
  const host = new PluginHost({ dirs: [fixtures.dir], manager, log: () => {} });
  await host.start();
  for (const id of ids) await host.unload(id);
  const outcome = await checker.end(true).catch((e: unknown) => e);
  await host.dispose();
  delete (globalThis as { corpusFormatter?: unknown }).corpusFormatter;
  return outcome;
}

describe('LeakChecker with unload verification', () => {
  it('turns verification on for hosts created while installed, and restores the default after', () => {
    expect(unloadVerificationDefault()).toBeUndefined();
    const checker = new LeakChecker({ manager: new ResourceManager() });
    expect(unloadVerificationDefault()).toBe(TEST_UNLOAD_VERIFICATION);
    checker.dispose();
    expect(unloadVerificationDefault()).toBeUndefined();
  });

  it('fails a passing test whose unloaded plugin is still reachable, with the path and the line', async () => {
    using checker = new LeakChecker({ managers: () => [] });
    const error = await unloadIn(checker, ['leaks-global-closure', 'tidy']);
    expect(error).toBeInstanceOf(LeakCheckError);
    const leaks = (error as LeakCheckError).leaks;
    expect(leaks.map((l) => [l.kind, l.component])).toEqual([['retained', 'leaks-global-closure']]);
    const message = (error as LeakCheckError).message;
    expect(message).toMatch(/1 object\(s\) of unloaded plugins still reachable/);
    expect(message).toMatch(/Retained by:\n\s+global\n\s+\.corpusFormatter → function formatEntry/);
    expect(message).toMatch(/Created at .*leaks-global-closure\/index\.js:5:\d+/);
  }, 60_000);

  it('verifies the unloads of a host the test disposed before it ended (await using)', async () => {
    await using own = await PluginFixtures.create();
    await cp(join(corpus, 'leaks-process-listener'), join(own.dir, 'leaks-process-listener'), {
      recursive: true,
    });
    using checker = new LeakChecker({ managers: () => [] });
    checker.begin();
    {
      await using host = new PluginHost({ dirs: [own.dir], manager: new ResourceManager(), log: () => {} });
      await host.start();
    } // disposed here: its plugins unloaded, the host gone before the test's end
    const error = await checker.end(true).catch((e: unknown) => e);
    for (const l of process.listeners('SIGUSR2')) if (l.name === 'onSignal') process.off('SIGUSR2', l);
    expect(error).toBeInstanceOf(LeakCheckError);
    expect((error as LeakCheckError).leaks.map((l) => [l.kind, l.component])).toEqual([
      ['retained', 'leaks-process-listener'],
    ]);
    // Its ctx survived, so the snapshot was taken: the path names the holder.
    expect((error as LeakCheckError).message).toMatch(/\._events\.SIGUSR2[\s\S]*function onSignal/);
  }, 60_000);

  it('passes a test whose plugins unload clean', async () => {
    using checker = new LeakChecker({ managers: () => [] });
    expect(await unloadIn(checker, ['tidy'])).toEqual([]);
  }, 60_000);

  it('tolerates findings an allowance names, up to its count, and says when the count is exceeded', async () => {
    {
      using checker = new LeakChecker({ managers: () => [], allow: [{ plugin: 'leaks-global-closure' }] });
      expect(await unloadIn(checker, ['leaks-global-closure'])).toEqual([]);
    }
    {
      using checker = new LeakChecker({
        managers: () => [],
        allow: [{ site: /leaks-global-closure\/index\.js:5/ }],
      });
      expect(await unloadIn(checker, ['leaks-global-closure'])).toEqual([]);
    }
    {
      // Two resources leaked by the same site, one allowed: the second is reported, saying so.
      const manager = new ResourceManager({ leakTracking: true });
      using checker = new LeakChecker({ manager, allow: [{ kind: 'timer', max: 1 }], unloads: false });
      checker.begin();
      const c = manager.register({}, 'c');
      for (let i = 0; i < 2; i++)
        c.track(
          setInterval(() => {}, 1000),
          { type: 'timer' },
        );
      const error = await checker.end(true).catch((e: unknown) => e);
      expect((error as LeakCheckError).leaks.map((l) => l.description)).toEqual([
        expect.stringMatching(
          /^timer #\d+ tracked by component "c" is still held \(more than the 1 allowed\)$/,
        ),
      ]);
      await manager.dispose();
    }
  }, 60_000);
});
