/**
 * A process plugin's tree ends with the plugin — while the host lives on — checked by pid from
 * outside (found by the acceptance suite):
 * - a crashed plugin process's `ctx.spawn` child is killed after the crash (it bears the tree's
 *   mark; and its journal, written under the plugin's pid, is found by its label);
 * - a daemon its child double-forked away from the group and the parent (reparented to init,
 *   environment intact) is killed at unload, found by the tree's mark in its environment.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { alive } from '../../src/node/process-tree.js';
import { PluginHost } from '../../src/plugins/index.js';
import { PluginFixtures } from '../helpers/plugin-fixtures.js';

const CRASHES = `
export default { activate(ctx) {
  const c = ctx.spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)']);
  ctx.log.info('child ' + c.pid);
  setTimeout(() => { throw new Error('crash'); }, 300);
} };`;

// A child that starts a detached grandchild (own session, reparented to init once the child exits).
const DAEMONIZES = `
import { spawn } from 'node:child_process';
const LOOP = 'setInterval(() => {}, 1000)';
export default { activate(ctx) {
  const d = spawn(process.execPath, ['-e',
    "const { spawn } = require('node:child_process');" +
    "const g = spawn(process.execPath, ['-e', '" + LOOP + "'], { detached: true, stdio: 'ignore' });" +
    "g.unref(); console.log('daemon ' + g.pid);"], { stdio: ['ignore', 'pipe', 'ignore'] });
  d.stdout.on('data', (x) => ctx.log.info(String(x).trim()));
} };`;

describe('a process plugin’s tree ends with it, the host living on', () => {
  let fixtures: PluginFixtures;
  let host: PluginHost | undefined;
  const lines: string[] = [];
  const pidAfter = (word: string): number | undefined => {
    for (const line of lines) {
      const m = new RegExp(`${word} (\\d+)`).exec(line);
      if (m) return Number(m[1]);
    }
    return undefined;
  };

  beforeEach(async () => {
    fixtures = await PluginFixtures.create();
    lines.length = 0;
  });

  afterEach(async () => {
    await host?.dispose();
    host = undefined;
    await fixtures[Symbol.asyncDispose]();
  });

  const start = async (): Promise<PluginHost> => {
    host = new PluginHost({ dirs: [fixtures.dir], log: (r) => lines.push(r.message) });
    await host.start();
    return host;
  };

  it('kills the ctx child of a crashed plugin process', async () => {
    await fixtures.plugin('crashes', { code: CRASHES, isolation: 'process' });
    const h = await start();
    await expect.poll(() => pidAfter('child'), { timeout: 30_000 }).toBeDefined();
    const child = pidAfter('child')!;
    await expect.poll(() => h.get('crashes')?.state, { timeout: 30_000 }).toBe('failed');
    await expect.poll(() => alive(child), { timeout: 20_000 }).toBe(false);
  }, 90_000);

  it('kills a daemon that left the group and its parent, at unload', async () => {
    await fixtures.plugin('daemonizes', { code: DAEMONIZES, isolation: 'process' });
    const h = await start();
    await expect.poll(() => pidAfter('daemon'), { timeout: 30_000 }).toBeDefined();
    const daemon = pidAfter('daemon')!;
    expect(alive(daemon)).toBe(true);
    await h.unload('daemonizes');
    expect(alive(daemon)).toBe(false);
  }, 90_000);
});
