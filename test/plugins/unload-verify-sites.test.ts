/**
 * Creation sites on a retainer path (issue 14 §3): an object Steward tracked (a value disposed
 * at unload, leak tracking on) or a handle attribution saw the plugin's code create (a bare
 * setInterval) carries its owner and creation line on the path itself, not only the culprit.
 */
import { cp } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ResourceManager } from '../../src/core/index.js';
import { PluginHost } from '../../src/plugins/index.js';
import { PluginFixtures } from '../helpers/plugin-fixtures.js';

const corpus = join(import.meta.dirname, '../corpus');

describe('creation sites on the retainer path', () => {
  let fixtures: PluginFixtures;
  let host: PluginHost;

  beforeAll(async () => {
    fixtures = await PluginFixtures.create();
    for (const id of ['support-registry', 'leaks-timer', 'leaks-disposed-in-map'])
      await cp(join(corpus, id), join(fixtures.dir, id), { recursive: true });
    host = new PluginHost({
      dirs: [fixtures.dir],
      manager: new ResourceManager({ leakTracking: true }),
      attribution: { captureStacks: true },
      verifyUnload: true,
      log: () => {},
    });
    expect((await host.start()).failed).toEqual([]);
  }, 60_000);

  afterAll(async () => {
    await host?.dispose();
    await fixtures?.[Symbol.asyncDispose]();
  });

  it('names the plugin and the line that created a handle it never closed', async () => {
    await host.unload('leaks-timer');
    const [verdict] = await host.verifyUnloads();
    const finding = verdict!.findings.find((f) => f.plugin === 'leaks-timer' && /poll/.test(f.object));
    expect(finding, JSON.stringify(verdict, null, 2)).toBeDefined();
    // The Timeout holding the callback: what it is, who created it, where.
    expect(finding!.path!.join('\n')).toMatch(
      /Timeout \(setInterval[^\n]*created by plugin "leaks-timer", created at [^\n]*leaks-timer\/index\.js:5:\d+\) \[leaks-timer\]\n[^\n]*_onTimeout → function poll/,
    );
  }, 60_000);

  it('names the line that created a tracked value still reachable after it was disposed', async () => {
    await host.unload('leaks-disposed-in-map');
    const [verdict] = await host.verifyUnloads();
    const finding = verdict!.findings.find((f) => f.plugin === 'leaks-disposed-in-map');
    expect(finding, JSON.stringify(verdict, null, 2)).toBeDefined();
    expect(finding!.path!.at(-1)).toMatch(
      /connection #\d+ \(disposed\) \([^\n]*leaks-disposed-in-map\/index\.js:9:\d+\) \[leaks-disposed-in-map\]$/,
    );
  }, 60_000);
});
