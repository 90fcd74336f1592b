import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { pidExists } from '../../src/node/index.js';
import { PluginHost, type PluginInfo } from '../../src/plugins/index.js';
import { descendants } from '../../src/plugins/process-tree.js';
import { PluginFixtures } from '../helpers/plugin-fixtures.js';

let fx: PluginFixtures;
let host: PluginHost;
const logs: string[] = [];

beforeEach(async () => {
  fx = await PluginFixtures.create();
  logs.length = 0;
  host = new PluginHost({
    dirs: [fx.dir],
    hostVersion: '1.2.0',
    // The host's default timeouts: a short one would fail healthy plugins on a loaded machine;
    // the plugin that tests the timeout sets its own.
    storageDir: `${fx.root}/storage`,
    log: (r) => logs.push(`${r.level} [${r.plugin}] ${r.message}`),
  });
});

afterEach(async () => {
  await host.dispose();
  await fx[Symbol.asyncDispose]();
});

/** A plugin that appends "<event>:<id>" to globalThis.__events, so tests see the real order. */
function recorder(id: string, extra = ''): string {
  return `
const log = (globalThis.__events ??= []);
export default {
  activate(ctx) { log.push('activate:${id}'); ${extra} },
  deactivate(ctx) { log.push('deactivate:${id}'); },
};`;
}

function events(): string[] {
  return ((globalThis as Record<string, unknown>).__events as string[] | undefined) ?? [];
}

beforeEach(() => {
  (globalThis as Record<string, unknown>).__events = [];
});

const state = (id: string): PluginInfo['state'] | undefined => host.get(id)?.state;

describe('PluginHost: graph order', () => {
  it('activates dependencies first and deactivates dependents first', async () => {
    await fx.plugin('core-lib', { code: recorder('core-lib') });
    await fx.plugin('middle', { code: recorder('middle'), dependencies: { 'core-lib': '^1.0.0' } });
    await fx.plugin('top', { code: recorder('top'), dependencies: { middle: '*' } });
    const summary = await host.start();
    expect(summary.active.sort()).toEqual(['core-lib', 'middle', 'top']);
    expect(events()).toEqual(['activate:core-lib', 'activate:middle', 'activate:top']);
    expect(host.list().map((p) => p.id)).toEqual(['core-lib', 'middle', 'top']);
    const info = host.get('middle')!;
    expect(info.activateMs).toBeGreaterThanOrEqual(0);
    expect(info.loadMs).toBeGreaterThanOrEqual(0);
    expect(info.component).toBe('middle');

    await host.unload('core-lib');
    expect(events().slice(3)).toEqual(['deactivate:top', 'deactivate:middle', 'deactivate:core-lib']);
    expect(state('core-lib')).toBe('unloaded');
    expect(state('middle')).toBe('loaded');
    expect(host.manager.components()).toEqual([]);
  });

  it('orders activation after the provider of a required service', async () => {
    await fx.plugin('aaa-consumer', {
      requires: ['greeter'],
      code: `export default { activate(ctx) {
        const greet = ctx.services.get({ name: 'x' });
      } };`,
    });
    await fx.plugin('zzz-provider', {
      provides: ['greeter'],
      code: `import { tokenFor } from 'steward';
      export default { activate(ctx) { ctx.services.provide(tokenFor('greeter'), (n) => 'hi ' + n); } };`,
    });
    // The consumer used a token that is not declared: it fails with a message naming the fix.
    await host.start();
    expect(state('zzz-provider')).toBe('active');
    expect(state('aaa-consumer')).toBe('failed');
    expect(host.get('aaa-consumer')!.error).toMatch(/declaring it: add "x" to steward.requires/);
  });

  it('shares services between plugins through declared tokens, withdrawn with the provider', async () => {
    await fx.plugin('aaa-consumer', {
      requires: ['greeter'],
      code: `import { tokenFor } from 'steward';
      export default { activate(ctx) { globalThis.__greeting = ctx.services.get(tokenFor('greeter'))('bob'); } };`,
    });
    await fx.plugin('zzz-provider', {
      provides: ['greeter'],
      code: `import { tokenFor } from 'steward';
      export default { activate(ctx) { ctx.services.provide(tokenFor('greeter'), (n) => 'hi ' + n); } };`,
    });
    await host.start();
    expect(host.list().map((p) => p.id)).toEqual(['zzz-provider', 'aaa-consumer']);
    expect((globalThis as Record<string, unknown>).__greeting).toBe('hi bob');
    expect(host.manager.services.list()).toEqual([{ name: 'greeter', component: 'zzz-provider' }]);
    await host.unload('zzz-provider');
    expect(state('aaa-consumer')).toBe('loaded');
    expect(host.manager.services.list()).toEqual([]);
  });
});

describe('PluginHost: failure containment', () => {
  it('contains import, activate, timeout and deactivate failures; dependents are blocked', async () => {
    await fx.plugin('throws-at-import', { code: `throw new Error('import boom'); export default {};` });
    await fx.plugin('throws-in-activate', {
      code: `export default { activate(ctx) {
        ctx.setInterval(() => {}, 1000);
        ctx.track({ close() { globalThis.__closed = true; } }, { type: 'file_handle' });
        throw new Error('activate boom');
      } };`,
    });
    await fx.plugin('never-settles', {
      activationTimeoutMs: 500,
      code: `export default { activate(ctx) {
        ctx.signal.addEventListener('abort', () => { globalThis.__aborted = true; });
        return new Promise(() => {});
      } };`,
    });
    await fx.plugin('throws-in-deactivate', {
      code: `export default { activate(ctx) { ctx.setInterval(() => {}, 1000); }, deactivate() { throw new Error('deactivate boom'); } };`,
    });
    await fx.plugin('dependent', {
      code: recorder('dependent'),
      dependencies: { 'throws-in-activate': '*' },
    });
    await fx.plugin('healthy', { code: recorder('healthy') });

    const summary = await host.start();
    expect(summary.failed.sort()).toEqual(['never-settles', 'throws-at-import', 'throws-in-activate']);
    expect(summary.blocked).toEqual(['dependent']);
    expect(summary.active.sort()).toEqual(['healthy', 'throws-in-deactivate']);
    expect(host.get('throws-at-import')!.error).toMatch(/import boom/);
    expect(host.get('throws-in-activate')!.error).toMatch(/activate boom/);
    expect(host.get('never-settles')!.error).toMatch(/did not settle within 500 ms/);
    expect(host.get('dependent')!.blockedBy).toBe('throws-in-activate');
    const g = globalThis as Record<string, unknown>;
    expect(g.__closed).toBe(true);
    expect(g.__aborted).toBe(true);
    // Nothing of the failed plugins is left in the manager.
    expect(
      host.manager
        .components()
        .map((c) => c.id)
        .sort(),
    ).toEqual(['healthy', 'throws-in-deactivate']);

    await host.unload('throws-in-deactivate');
    expect(state('throws-in-deactivate')).toBe('failed');
    expect(host.get('throws-in-deactivate')!.error).toMatch(/deactivate boom/);
    expect(host.manager.get('throws-in-deactivate')).toBeUndefined();
    expect(state('healthy')).toBe('active');
    expect(logs.some((l) => l.startsWith('error [throws-in-activate] failed (activate)'))).toBe(true);
  });

  it('reports graph problems per plugin and keeps the rest', async () => {
    await fx.plugin('missing-dep', { code: recorder('missing-dep'), dependencies: { nowhere: '^1' } });
    await fx.plugin('cyc-a', { code: recorder('cyc-a'), dependencies: { 'cyc-b': '*' } });
    await fx.plugin('cyc-b', { code: recorder('cyc-b'), dependencies: { 'cyc-a': '*' } });
    await fx.plugin('ok', { code: recorder('ok') });
    const summary = await host.start();
    expect(summary.active).toEqual(['ok']);
    expect(host.get('missing-dep')!.error).toMatch(/nowhere/);
    expect(host.get('cyc-a')!.error).toMatch(/cyc-a -> cyc-b -> cyc-a|cyc-b -> cyc-a -> cyc-b/);
    expect(summary.errors.length).toBeGreaterThanOrEqual(2);
  });
});

describe('PluginHost: reload', () => {
  it("re-imports a fresh copy (including the plugin's own modules) and brings dependents back", async () => {
    await fx.plugin('base', {
      code: `import { word } from './lib/word.js';
      export default { activate(ctx) { (globalThis.__words ??= []).push(word); } };`,
      files: { 'lib/word.js': `export const word = 'one';` },
    });
    await fx.plugin('user', { code: recorder('user'), dependencies: { base: '*' } });
    await fx.plugin('bystander', { code: recorder('bystander') });
    await host.start();
    await fx.write('base/lib/word.js', `export const word = 'two';`);
    const reloaded: string[][] = [];
    host.on('reloaded', (e) => reloaded.push([...e.plugins]));
    const info = await host.reload('base');
    expect(info.state).toBe('active');
    expect(info.generation).toBe(1);
    expect((globalThis as Record<string, unknown>).__words).toEqual(['one', 'two']);
    expect(events().filter((e) => e.endsWith(':user'))).toEqual([
      'activate:user',
      'deactivate:user',
      'activate:user',
    ]);
    expect(events().filter((e) => e.endsWith(':bystander'))).toEqual(['activate:bystander']);
    expect(reloaded).toEqual([['base', 'user']]);
  });

  it('a failed reload is contained; fixing the file and reloading again recovers the dependents', async () => {
    await fx.plugin('base', { code: recorder('base') });
    await fx.plugin('user', { code: recorder('user'), dependencies: { base: '*' } });
    await host.start();
    await fx.write('base/index.js', `throw new Error('broken edit');`);
    await host.reload('base');
    expect(state('base')).toBe('failed');
    expect(state('user')).toBe('blocked');
    await fx.write('base/index.js', recorder('base'));
    await host.reload('base');
    expect(state('base')).toBe('active');
    expect(state('user')).toBe('active');
  });

  it('hot-reloads on file change (debounced)', async () => {
    await fx.plugin('hot', { code: `export default { activate() { globalThis.__hot = 'v1'; } };` });
    await host.start();
    const watcher = host.watch({ debounceMs: 50 });
    try {
      expect(watcher.watching).toEqual(['hot']);
      const reloaded = new Promise<void>((resolve) => host.events.once('reloaded', () => resolve()));
      await fx.write('hot/index.js', `export default { activate() { globalThis.__hot = 'v2'; } };`);
      await reloaded;
      expect((globalThis as Record<string, unknown>).__hot).toBe('v2');
      expect(host.get('hot')!.generation).toBeGreaterThanOrEqual(1);
    } finally {
      watcher.dispose();
    }
  });
});

describe('PluginHost: hot reload of single-module plugins', () => {
  it('module plugins of one folder share one watcher, and a change reloads only its own plugin', async () => {
    const moduleCode = (id: string, v: string) =>
      `export const metadata = { id: '${id}', version: '1.0.0' };
      export default { activate() { (globalThis.__modules ??= {})['${id}'] = '${v}'; } };`;
    await fx.write('one.js', moduleCode('one', 'v1'));
    await fx.write('two.js', moduleCode('two', 'v1'));
    await fx.plugin('pkg', { code: `export default { activate() {} };` });
    await host.start();
    const watcher = host.watch({ debounceMs: 50 });
    try {
      expect([...watcher.watching].sort()).toEqual(['one', 'pkg', 'two']);
      expect([...watcher.folders].sort()).toEqual([fx.dir, join(fx.dir, 'pkg')].sort());
      const reloaded: string[] = [];
      host.events.on('reloaded', (e) => reloaded.push(e.id));
      await fx.write('two.js', moduleCode('two', 'v2'));
      await vi.waitFor(() => expect(reloaded).toContain('two'), { timeout: 5000, interval: 20 });
      await new Promise((resolve) => setTimeout(resolve, 150)); // past the debounce of any stray event
      expect(reloaded).toEqual(['two']);
      const modules = (globalThis as unknown as { __modules: Record<string, string> }).__modules;
      expect(modules).toMatchObject({ one: 'v1', two: 'v2' });
    } finally {
      watcher.dispose();
    }
    expect(watcher.folders).toEqual([]);
  });
});

describe('PluginHost: PluginBase and definePlugin from the installed package', () => {
  it('runs a PluginBase subclass: initialize, activate, cleanup hook, deactivate, memory usage', async () => {
    await fx.plugin('classy', {
      code: `import { PluginBase } from 'steward/plugins';
      const log = (globalThis.__events ??= []);
      export default class Classy extends PluginBase {
        initialize() { log.push('initialize'); }
        activate() { this.buf = this.track(new Uint8Array(1024), { type: 'memory', size: 1024 }); log.push('activate:' + this.memoryUsage); }
        deactivate() { log.push('deactivate'); }
        cleanup() { log.push('cleanup:' + this.memoryUsage); }
      }`,
    });
    await fx.plugin('defined', {
      code: `import { definePlugin } from 'steward/plugins';
      export default definePlugin({ activate(ctx) { ctx.track(Buffer.alloc(10), { type: 'memory', size: 10 }); } });`,
    });
    await host.start();
    expect(host.get('classy')!.bytes).toBe(1024);
    expect(host.get('defined')!.bytes).toBe(10);
    await host.unload('classy');
    expect(events()).toEqual(['initialize', 'activate:1024', 'deactivate', 'cleanup:1024']);
  });

  it('applies the manifest memory limit (reject by default)', async () => {
    await fx.plugin('greedy', {
      memoryLimit: '1KiB',
      code: `export default { activate(ctx) { ctx.track(Buffer.alloc(2048), { type: 'memory', size: 2048 }); } };`,
    });
    await host.start();
    expect(state('greedy')).toBe('failed');
    expect(host.get('greedy')!.error).toMatch(/MemoryLimitError/);
  });

  it('pauses and resumes', async () => {
    await fx.plugin('pausable', {
      code: `const log = (globalThis.__events ??= []);
      export default { activate() {}, pause() { log.push('pause'); }, resume() { log.push('resume'); } };`,
    });
    await host.start();
    await host.pause('pausable');
    expect(state('pausable')).toBe('paused');
    expect(host.manager.get('pausable')!.state).toBe('paused');
    await host.resume('pausable');
    expect(state('pausable')).toBe('active');
    expect(events()).toEqual(['pause', 'resume']);
    await expect(host.resume('pausable')).rejects.toThrow(/it is active, not paused/);
  });

  it('rejects unknown ids with the list of known plugins', async () => {
    await fx.plugin('known', { code: recorder('known') });
    await host.start();
    await expect(host.reload('unknown')).rejects.toThrow(/Unknown plugin "unknown". Known plugins: known/);
  });
});

describe('PluginHost: review fixes', () => {
  it('a failing pause hook takes its dependents down first and blocks them', async () => {
    await fx.plugin('base', {
      code: `export default { activate() {}, pause() { throw new Error('no pause'); } };`,
    });
    await fx.plugin('user', { code: recorder('user'), dependencies: { base: '*' } });
    await host.start();
    await host.pause('base');
    expect(state('base')).toBe('failed');
    expect(host.get('base')!.error).toMatch(/no pause/);
    expect(state('user')).toBe('blocked');
    expect(host.get('user')!.blockedBy).toBe('base');
    expect(events()).toEqual(['activate:user', 'deactivate:user']);
    expect(host.manager.components()).toEqual([]);
  });

  it('a failed optional dependency orders activation but does not block', async () => {
    await fx.plugin('extra', { code: `export default { activate() { throw new Error('extra broke'); } };` });
    await fx.write(
      'user/package.json',
      JSON.stringify({
        name: 'user',
        version: '1.0.0',
        type: 'module',
        main: 'index.js',
        steward: { id: 'user', optionalDependencies: { extra: '*' } },
      }),
    );
    await fx.write('user/index.js', recorder('user'));
    await host.start();
    expect(state('extra')).toBe('failed');
    expect(state('user')).toBe('active');
  });

  it('reload brings back only what the reloaded plugin blocked', async () => {
    await fx.plugin('a', { code: recorder('a') });
    await fx.plugin('b', { code: `export default { activate() { throw new Error('b broke'); } };` });
    await fx.plugin('needs-b', { code: recorder('needs-b'), dependencies: { b: '*' } });
    await host.start();
    const reloaded: string[][] = [];
    host.on('reloaded', (e) => reloaded.push([...e.plugins]));
    await host.reload('a');
    expect(reloaded).toEqual([['a']]);
    expect(state('needs-b')).toBe('blocked');
  });

  it('refuses an invalid hostVersion up front', () => {
    expect(() => new PluginHost({ hostVersion: 'one' })).toThrow(/hostVersion must be a semver version/);
  });

  it('dispose terminates the worker of a plugin that was only loaded', async () => {
    await fx.plugin('w', { code: recorder('w'), isolation: 'worker' });
    await host.discover();
    const info = await host.load('w');
    expect(info.state).toBe('loaded');
    await host.dispose();
    expect(host.get('w')!.state).toBe('unloaded');
    expect(host.get('w')!.heapUsed).toBeUndefined();
  });

  it('dispose ends the process of a plugin that was only loaded (checked by pid)', async () => {
    await fx.plugin('p', { code: recorder('p'), isolation: 'process' });
    await host.discover();
    const before = new Set(pluginProcesses());
    const info = await host.load('p');
    expect(info.state).toBe('loaded');
    const started = pluginProcesses().filter((pid) => !before.has(pid));
    expect(started).toHaveLength(1);
    expect(pidExists(started[0]!)).toBe(true);
    await host.dispose();
    expect(host.get('p')!.state).toBe('unloaded');
    expect(host.get('p')!.pid).toBeUndefined();
    expect(pidExists(started[0]!)).toBe(false);
  });
});

/** Plugin processes among this process's descendants (their command runs process-entry.cjs). */
function pluginProcesses(): number[] {
  return descendants(process.pid).filter((pid) => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('process-entry.cjs');
    } catch {
      return false;
    }
  });
}
