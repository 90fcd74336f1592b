/**
 * Teardown that never stops half-way: a plugin whose deactivate hangs past what is left of the
 * shutdown deadline is abandoned and the others still deactivate; unrelated plugins deactivate
 * concurrently, dependents still before their dependencies. Through the real `steward` binary
 * (signal to the host's pid alone) and through PluginHost.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { pidExists } from '../../src/node/index.js';
import { cleanupReserveMs } from '../../src/plugins/deactivation.js';
import { PluginHost } from '../../src/plugins/index.js';
import { PluginFixtures } from '../helpers/plugin-fixtures.js';
import { eventually, killAllFixtures, SETTLE_MS, startFixture } from '../node/fixture-process.js';

const CLI = '../../../dist/cli/main.js';
const CORPUS = join(import.meta.dirname, '../corpus');

let fx: PluginFixtures;
let scratch: string;
beforeEach(async () => {
  fx = await PluginFixtures.create();
  scratch = mkdtempSync(join(tmpdir(), 'steward-teardown-'));
});
afterEach(async () => {
  killAllFixtures();
  await fx[Symbol.asyncDispose]();
  rmSync(scratch, { recursive: true, force: true });
});

describe('steward run: a plugin that hangs in deactivate under a short deadline', () => {
  it('is abandoned; every other plugin still deactivates (its dependency too) and the host exits 143', async () => {
    const pids = join(scratch, 'pids');
    const run = startFixture(
      CLI,
      [
        'run',
        join(CORPUS, 'hangs-in-deactivate/plugins'),
        join(CORPUS, 'spins-in-deactivate/plugins'),
        '--deadline',
        // Long enough that a loaded machine still ends the abandoned worker and the host's own
        // cleanup inside it: the hanging plugins are abandoned at their share whatever its length.
        '12000',
      ],
      { CORPUS_MARKERS: scratch, CORPUS_PIDS: pids },
    );
    await run.waitFor(/press Ctrl-C to stop/, 'stderr');
    await run.waitFor(/5 active, 0 failed, 0 blocked/, 'stdout');
    const spinChild = Number(readFileSync(pids, 'utf8').trim().split(' ').pop());
    expect(pidExists(spinChild)).toBe(true);
    run.child.kill('SIGTERM');
    const { code } = await run.exited;
    expect(code).toBe(143);
    for (const id of ['base', 'left', 'right']) {
      expect(existsSync(join(scratch, `${id}.done`)), `${id}'s deactivate ran`).toBe(true);
    }
    const stderr = run.stderr();
    expect(stderr).toMatch(/hang failed \(deactivate\): deactivate\(\) of plugin "hang" was still running/);
    // The spinning worker's thread stops answering in its hook: ended then, not at the deadline.
    expect(stderr).toMatch(
      /spin failed \(deactivate\): deactivate\(\) of plugin "spin" blocks the event loop of its thread/,
    );
    expect(stderr).toMatch(/1 plugin\(s\) abandoned at the deadline/);
    expect(stderr).not.toMatch(/did not finish within 12000 ms/); // the host's own cleanup finished
    // The spinning worker was ended and the child it started killed.
    expect(await eventually(() => !pidExists(spinChild), SETTLE_MS)).toBe(true);
  });
});

const MARK = (id: string, extra = '') => `
export default {
  activate() {},
  async deactivate() {
    const log = (globalThis.__teardown ??= []);
    log.push('start ${id}');
    ${extra}
    log.push('end ${id}');
  },
};`;

describe('PluginHost teardown', () => {
  it('deactivates plugins with no dependency path between them concurrently', async () => {
    // Each waits until the other has started: only a concurrent teardown gets through in time.
    const meet = (other: string) => `
    const until = Date.now() + 20000;
    while (!globalThis.__teardown.includes('start ${other}') && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
    if (!globalThis.__teardown.includes('start ${other}')) throw new Error('${other} never started');`;
    await fx.plugin('one', { code: MARK('one', meet('two')), deactivationTimeoutMs: 30_000 });
    await fx.plugin('two', { code: MARK('two', meet('one')), deactivationTimeoutMs: 30_000 });
    const failed: string[] = [];
    const host = new PluginHost({ dirs: [fx.dir], log: () => {} });
    host.on('failed', ({ id }) => failed.push(id));
    (globalThis as { __teardown?: string[] }).__teardown = [];
    await host.start();
    await host.dispose();
    expect(failed).toEqual([]);
    const log = (globalThis as { __teardown?: string[] }).__teardown!;
    expect(log.slice(0, 2).sort()).toEqual(['start one', 'start two']);
  });

  it('verifies no unload while the host is disposed: no collection or heap snapshot in the middle of its shutdown', async () => {
    // Under load, the teardown's unload verification (synchronous heap snapshots) held the loop
    // for seconds: the shutdown deadline and the abandonment of a spinning worker came too late.
    await fx.plugin('quick', { code: MARK('quick') });
    await fx.plugin('slow', { code: MARK('slow', 'await new Promise((r) => setTimeout(r, 1000));') });
    const host = new PluginHost({ dirs: [fx.dir], log: () => {}, verifyUnload: { batchMs: 1 } });
    const verified: string[] = [];
    host.on('unloadVerified', (v) => verified.push(...v.plugins));
    (globalThis as { __teardown?: string[] }).__teardown = [];
    await host.start();
    await host.dispose();
    const verdicts = await host.verifyUnloads(); // waits for a verification started meanwhile
    const log = (globalThis as { __teardown?: string[] }).__teardown!;
    expect(log).toContain('end quick');
    expect(log).toContain('end slow');
    expect(verified).toEqual([]);
    expect(verdicts).toEqual([]);
  });

  it('still deactivates dependents before their dependencies', async () => {
    await fx.plugin('core', { code: MARK('core') });
    await fx.plugin('mid', {
      code: MARK('mid', 'await new Promise((r) => setTimeout(r, 50));'),
      dependencies: { core: '^1.0.0' },
    });
    await fx.plugin('top', {
      code: MARK('top', 'await new Promise((r) => setTimeout(r, 50));'),
      dependencies: { mid: '^1.0.0' },
    });
    await fx.plugin('side', { code: MARK('side'), dependencies: { core: '^1.0.0' } });
    const host = new PluginHost({ dirs: [fx.dir], log: () => {} });
    (globalThis as { __teardown?: string[] }).__teardown = [];
    await host.start();
    await host.dispose();
    const log = (globalThis as { __teardown?: string[] }).__teardown!;
    const at = (entry: string) => log.indexOf(entry);
    expect(at('end top')).toBeLessThan(at('start mid'));
    expect(at('end mid')).toBeLessThan(at('start core'));
    expect(at('end side')).toBeLessThan(at('start core'));
    expect(log).toHaveLength(8);
  });

  it('dispose({ deadlineMs }) abandons a hanging deactivate and goes on with the plugins waiting for it', async () => {
    await fx.plugin('core', { code: MARK('core') });
    await fx.plugin('stuck', {
      code: MARK('stuck', 'ctx; await new Promise(() => {});').replace(
        'async deactivate()',
        'async deactivate(ctx)',
      ),
      dependencies: { core: '^1.0.0' },
      deactivationTimeoutMs: 60_000,
    });
    await fx.plugin('other', { code: MARK('other') });
    const failures: Array<{ id: string; code: unknown }> = [];
    const host = new PluginHost({ dirs: [fx.dir], log: () => {} });
    host.on('failed', ({ id, error }) => failures.push({ id, code: (error as { code?: unknown }).code }));
    (globalThis as { __teardown?: string[] }).__teardown = [];
    await host.start();
    await host.dispose({ deadlineMs: 1500 });
    const log = (globalThis as { __teardown?: string[] }).__teardown!;
    expect(log).toContain('end core');
    expect(log).toContain('end other');
    expect(log).not.toContain('end stuck');
    expect(failures).toEqual([{ id: 'stuck', code: 'STEWARD_PLUGIN_ABANDONED' }]);
    expect(host.get('stuck')?.state).toBe('failed');
    expect(host.get('core')?.state).toBe('unloaded');
  });

  it('an abandoned worker plugin is ended and the children its ctx started are killed, while the host lives on', async () => {
    await fx.plugin('spinner', {
      isolation: 'worker',
      deactivationTimeoutMs: 60_000,
      code: `
export default {
  activate(ctx) { globalThis.__unused = ctx.spawn('sleep', ['308'], { stdio: 'ignore' }).pid; ctx.log.info('child ' + globalThis.__unused); },
  deactivate() { for (;;) {} },
};`,
    });
    const lines: string[] = [];
    const host = new PluginHost({
      dirs: [fx.dir],
      journalDir: join(scratch, 'journal'),
      log: (r) => lines.push(r.message),
    });
    await host.start();
    const pid = Number(lines.find((l) => l.startsWith('child '))!.split(' ')[1]);
    expect(pidExists(pid)).toBe(true);
    await host.dispose({ deadlineMs: 1000 });
    expect(host.get('spinner')?.error).toMatch(/was still running after \d+ ms/);
    expect(await eventually(() => !pidExists(pid), SETTLE_MS)).toBe(true);
    expect(
      lines.some((l) => l.includes(`killed 1 child process(es) its ended worker left running: ${pid}`)),
    ).toBe(true);
  });

  it('rejects a bad deadline with a RangeError naming it', async () => {
    const host = new PluginHost({ log: () => {} });
    await expect(host.dispose({ deadlineMs: -1 })).rejects.toThrow(/deadlineMs must be a finite number > 0/);
    await host.dispose();
  });
});

describe('the cleanup reserve of a deactivation slot (docs/architecture.md)', () => {
  it('is a tenth of the slot, at least 250 ms, never more than a quarter; nothing without a deadline', () => {
    expect(cleanupReserveMs(5_000)).toBe(500); // a tenth
    expect(cleanupReserveMs(1_500)).toBe(250); // at least 250 ms
    expect(cleanupReserveMs(400)).toBe(100); // never more than a quarter
    expect(cleanupReserveMs(Number.POSITIVE_INFINITY)).toBe(0);
  });
});
