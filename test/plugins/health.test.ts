/**
 * Plugin health through an embedded `PluginHost({ health })`: a worker plugin that stops
 * answering is flagged `unresponsive` (an event and a flag, not a failure) and recovers; a healthy
 * neighbour is never flagged; its ELU is read from the host's side; budgets with impossible
 * values are manifest errors naming the field; bad health options are refused up front.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PluginHost } from '../../src/plugins/index.js';
import { parseDuration } from '../../src/plugins/manifest-budget.js';
import { loadPackageManifest } from '../../src/plugins/manifest-package.js';
import { PluginFixtures } from '../helpers/plugin-fixtures.js';
import { makeTempDir, type TempDir } from './fixtures.js';

let fx: PluginFixtures;
let tmp: TempDir;
beforeEach(async () => {
  fx = await PluginFixtures.create();
  tmp = await makeTempDir();
});
afterEach(async () => {
  await fx[Symbol.asyncDispose]();
  await tmp.remove();
});

describe('PluginHost({ health })', () => {
  it('flags a worker plugin that stops answering as unresponsive, then responsive again; never its neighbour', {
    timeout: 60_000,
  }, async () => {
    await fx.plugin('stuck', {
      isolation: 'worker',
      code: `export default { activate(ctx) { ctx.setTimeout(() => { const end = Date.now() + 4000; while (Date.now() < end) {} }, 500); } };`,
    });
    await fx.plugin('fine', {
      isolation: 'worker',
      code: `export default { activate(ctx) { ctx.setInterval(() => {}, 100); } };`,
    });
    const logs: string[] = [];
    const host = new PluginHost({
      dirs: [fx.dir],
      workerExecArgv: [],
      workerStatsIntervalMs: 200,
      health: { intervalMs: 200, unresponsiveMs: 1500, blockThresholdMs: 60_000 },
      log: (r) => logs.push(`[${r.plugin}] ${r.level}: ${r.message}`),
    });
    const events: string[] = [];
    host.on('unresponsive', ({ id, silentMs }) => {
      events.push(`unresponsive ${id}`);
      expect(silentMs).toBeGreaterThanOrEqual(1500);
    });
    host.on('responsive', ({ id }) => events.push(`responsive ${id}`));
    try {
      await host.start();
      await expect.poll(() => events, { timeout: 20_000 }).toContain('unresponsive stuck');
      expect(host.get('stuck')?.health?.responsive).toBe(false);
      expect(host.get('stuck')?.state).toBe('active'); // a flag, not a failure
      expect(host.get('stuck')?.health?.elu).toBeGreaterThan(0.5); // read while its thread is stuck
      await expect.poll(() => events, { timeout: 20_000 }).toContain('responsive stuck');
      expect(host.get('stuck')?.health?.responsive).toBe(true);
      expect(events.filter((e) => e.endsWith('fine'))).toEqual([]);
      expect(logs.some((l) => l.startsWith('[stuck] warn: does not answer'))).toBe(true);
    } finally {
      await host.dispose();
    }
  });

  it("reports an inline plugin's block with its full duration, not the duration when it was profiled", {
    timeout: 60_000,
  }, async () => {
    await fx.plugin('spin', {
      code: `export default { activate(ctx) { ctx.setTimeout(function blockTheLoop() { const end = Date.now() + 1500; while (Date.now() < end) {} }, 1500); } };`,
    });
    const logs: string[] = [];
    // Profiled for 300 ms after a 300 ms threshold: the profile ends ~0.7 s into a 1.5 s block.
    const host = new PluginHost({
      dirs: [fx.dir],
      health: { blockThresholdMs: 300, profileMs: 300, intervalMs: 100 },
      log: (r) => logs.push(`[${r.plugin}] ${r.level}: ${r.message}`),
    });
    const found: number[] = [];
    const all: string[] = []; // every finding, to say why when none is blamed on spin
    host.on('loopBlocked', (f) => {
      all.push(`${f.id} ${f.blockedMs} ms ${Math.round(f.share * 100)} % ${f.error ?? ''}`);
      if (f.id === 'spin') found.push(f.blockedMs);
    });
    try {
      await host.start();
      // A failure shows the findings themselves: why none was blamed on spin.
      await expect
        .poll(() => (found.length > 0 ? 'blamed' : all.join('; ')), { timeout: 30_000 })
        .toBe('blamed');
      expect(found[0]).toBeGreaterThanOrEqual(1400);
      expect(host.get('spin')?.health?.longestBlockMs).toBeGreaterThanOrEqual(1400);
      const line = logs.find((l) => l.startsWith('[spin] warn: blocked the event loop for'));
      expect(Number(/for (\d+\.\d) s/.exec(line ?? '')?.[1])).toBeGreaterThanOrEqual(1.4);
    } finally {
      await host.dispose();
    }
  });

  it('refuses impossible health options with an error naming the option', () => {
    expect(() => new PluginHost({ health: { blameShare: 2 } })).toThrow(
      /health\.blameShare must be a number above 0 and at most 1/,
    );
    expect(() => new PluginHost({ health: { intervalMs: -1 } })).toThrow(/health\.intervalMs/);
  });
});

describe('manifest budget', () => {
  async function errorsFor(budget: unknown): Promise<string[]> {
    await tmp.write({
      'p/package.json': JSON.stringify({ name: 'p', version: '1.0.0', steward: { id: 'p', budget } }),
      'p/index.js': '',
    });
    const result = await loadPackageManifest(tmp.path('p'));
    return result.kind === 'invalid' ? result.errors.map((e) => `${e.field}: ${e.message}`) : [];
  }

  it('normalizes a budget', async () => {
    await tmp.write({
      'p/package.json': JSON.stringify({
        name: 'p',
        version: '1.0.0',
        main: 'index.js',
        steward: { id: 'p', budget: { elu: 0.8, heap: '256MB', window: '10s', action: 'restart' } },
      }),
      'p/index.js': '',
    });
    const result = await loadPackageManifest(tmp.path('p'));
    expect(result.kind === 'plugin' ? result.manifest.budget : result).toEqual({
      elu: 0.8,
      heapBytes: 256_000_000,
      windowMs: 10_000,
      action: 'restart',
      checks: 3,
      graceMs: 10_000,
    });
  });

  it.each([
    ['elu above 1', { elu: 1.5 }, /steward\.budget\.elu: .*at most 1/],
    ['elu zero', { elu: 0 }, /steward\.budget\.elu: .*more than 0/],
    ['heap not a size', { heap: 'lots' }, /steward\.budget\.heap/],
    ['window not a duration', { elu: 0.5, window: 'soon' }, /steward\.budget\.window: .*not a duration/],
    ['window too short', { elu: 0.5, window: '10ms' }, /steward\.budget\.window: must be between 1000 ms/],
    [
      'unknown action',
      { elu: 0.5, action: 'explode' },
      /steward\.budget\.action: must be "warn", "restart" or "disable"/,
    ],
    ['checks zero', { elu: 0.5, checks: 0 }, /steward\.budget\.checks: must be at least 1/],
    ['no limit', { window: '5s' }, /steward\.budget: sets no limit/],
    ['typo', { elu: 0.5, windwo: '5s' }, /steward\.budget.*windwo/],
  ])('%s is a manifest error naming the field', async (_, budget, pattern) => {
    const errors = await errorsFor(budget);
    expect(errors.join('\n')).toMatch(pattern);
  });

  it('parses durations', () => {
    expect([parseDuration('10s'), parseDuration('500ms'), parseDuration('2m'), parseDuration(250)]).toEqual([
      10_000, 500, 120_000, 250,
    ]);
    expect(() => parseDuration('1.0005s')).toThrow(/whole/);
  });
});
