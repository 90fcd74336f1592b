/**
 * Process isolation, outside in: misbehaving plugins from test/corpus/ run in their own processes,
 * and every check is made from outside — pids, files, ports — not by asking the plugin.
 */
import { existsSync, readFileSync } from 'node:fs';
import { cp, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { tokenFor } from '../../src/core/index.js';
import { pluginHostControl, startMonitor } from '../../src/monitor/index.js';
import { pidExists } from '../../src/node/index.js';
import { type PluginEvents, PluginHost, type PluginHostOptions } from '../../src/plugins/index.js';
import { PluginFixtures } from '../helpers/plugin-fixtures.js';

const CORPUS = join(import.meta.dirname, '../corpus');

let fx: PluginFixtures;
let host: PluginHost;
const logs: string[] = [];
const access: Array<PluginEvents['access']> = [];

function makeHost(options: Partial<PluginHostOptions> = {}): PluginHost {
  const h = new PluginHost({
    dirs: [fx.dir],
    storageDir: `${fx.root}/storage`,
    workerStatsIntervalMs: 50,
    // Compiled plugins: the process needs none of the test runner's Node options.
    workerExecArgv: [],
    log: (r) => logs.push(`${r.level} [${r.plugin}] ${r.message}`),
    ...options,
  });
  h.on('access', (e) => access.push(e));
  return h;
}

beforeEach(async () => {
  fx = await PluginFixtures.create();
  logs.length = 0;
  access.length = 0;
  host = makeHost();
});

afterEach(async () => {
  await host.dispose();
  await fx[Symbol.asyncDispose]();
});

/** Copy corpus plugin `name` into the fixtures' plugin folder. */
async function corpus(name: string): Promise<string> {
  const dir = join(fx.dir, name);
  await cp(join(CORPUS, name), dir, { recursive: true });
  return dir;
}

function until(check: () => boolean, timeout = 15_000): Promise<void> {
  return vi.waitFor(
    () => {
      if (!check()) throw new Error('condition not met yet');
    },
    { timeout, interval: 20 },
  );
}

function storageFile(id: string, file: string): string {
  return join(fx.root, 'storage', id, file);
}

function json<T>(file: string): T {
  return JSON.parse(readFileSync(file, 'utf8')) as T;
}

/** The process group of `pid` (field 5 of /proc/<pid>/stat). */
function processGroup(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
}

const linux = process.platform === 'linux';

describe('process isolation', () => {
  it('runs the plugin in a process of its own, its own group leader, with the ctx API over IPC', async () => {
    await fx.plugin('svc', {
      isolation: 'process',
      provides: ['echo'],
      requires: ['clock'],
      code: `import { createServer } from 'node:net';
      import { EventEmitter } from 'node:events';
      import { tokenFor } from 'steward';
      export default {
        async activate(ctx) {
          const clock = ctx.services.get(tokenFor('clock'));
          const base = await clock.now();
          ctx.services.provide(tokenFor('echo'), { echo: (x) => x, plus: (n) => n + base, pid: () => process.pid });
          ctx.setInterval(() => {}, 1000);
          ctx.setTimeout(() => {}, 60_000);
          const bus = new EventEmitter();
          ctx.listen(bus, 'x', () => {});
          const server = ctx.server(createServer((s) => s.end('hi')));
          await new Promise((r) => server.listen(0, '127.0.0.1', r));
          const child = ctx.spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
          const dir = await ctx.storage();
          const file = await ctx.open(dir + '/data.txt', 'w');
          await file.write('x');
          ctx.watch(dir, {}, () => {});
          ctx.track(Buffer.alloc(4096), { type: 'thumbnail', size: 4096 });
          ctx.signal.addEventListener('abort', () => ctx.log.info('signal aborted'));
          ctx.log.info('facts ' + JSON.stringify({ port: server.address().port, child: child.pid, pid: process.pid }));
        },
      };`,
    });
    await fx.plugin('clock', {
      provides: ['clock'],
      code: `import { tokenFor } from 'steward';
      export default { activate(ctx) { ctx.services.provide(tokenFor('clock'), { now: () => 1000 }); } };`,
    });
    await host.start();
    const info = host.get('svc')!;
    expect(info.state).toBe('active');
    expect(info.isolation).toBe('process');
    const line = logs.find((l) => l.includes('[svc] facts '))!;
    const facts = JSON.parse(line.slice(line.indexOf('{'))) as { port: number; child: number; pid: number };
    expect(facts.pid).not.toBe(process.pid);
    expect(info.pid).toBe(facts.pid);
    expect(pidExists(facts.pid)).toBe(true);
    if (linux) expect(processGroup(facts.pid)).toBe(facts.pid);
    expect(pidExists(facts.child)).toBe(true);
    // Services both ways: the host calls into the process, the process called the host's clock.
    const echo = host.manager.services.get(tokenFor('echo')) as unknown as {
      echo(x: unknown): Promise<unknown>;
      plus(n: number): Promise<number>;
      pid(): Promise<number>;
    };
    expect(await echo.echo({ a: [1, new Map([[1, 2]])] })).toEqual({ a: [1, new Map([[1, 2]])] });
    expect(await echo.plus(5)).toBe(1005);
    expect(await echo.pid()).toBe(facts.pid);
    // Its resources are mirrored into the host's manager (the monitor sees them).
    const byType = host.manager.stats().byComponent.svc!.byType;
    expect(byType).toMatchObject({
      timer: { count: 2 },
      listener: { count: 1 },
      socket: { count: 1 },
      process: { count: 1 },
      file_handle: { count: 2 },
      thumbnail: { count: 1, bytes: 4096 },
    });
    await until(() => (host.get('svc')!.rss ?? 0) > 0 && host.get('svc')!.cpuMs !== undefined);
    expect(host.get('svc')!.heapUsed).toBeGreaterThan(0);
    expect(host.manager.get('svc')!.metadata).toMatchObject({ pid: facts.pid, isolation: 'process' });

    await host.unload('svc');
    expect(host.get('svc')!.state).toBe('unloaded');
    expect(logs).toContain('info [svc] signal aborted');
    // Checked from outside: the process, its child and its port are gone.
    await until(() => !pidExists(facts.pid) && !pidExists(facts.child));
    await expect(
      new Promise((resolve, reject) => {
        const socket = connect(facts.port, '127.0.0.1', () => resolve('connected'));
        socket.on('error', reject);
      }),
    ).rejects.toThrow(/ECONNREFUSED/);
    expect(host.manager.get('svc')).toBeUndefined();
    // A call to the withdrawn service rejects at once.
    await expect(echo.echo(1)).rejects.toThrow(/unloaded|withdrawn/);
    expect(readFileSync(storageFile('svc', 'data.txt'), 'utf8')).toBe('x');
  });

  it('process.exit(3): failed with the reason, dependents blocked, restarted by policy with backoff', async () => {
    await corpus('exits-3');
    await fx.plugin('dependent', {
      dependencies: { 'exits-3': '*' },
      code: `export default { activate() {} };`,
    });
    const failures: string[] = [];
    host.on('failed', (e) => failures.push(`${e.id}:${e.phase}`));
    await host.start();
    await until(() => failures.length === 2);
    const info = host.get('exits-3')!;
    expect(info.state).toBe('failed');
    expect(info.restarts).toBe(1);
    expect(info.error).toMatch(/The process of plugin "exits-3" exited with code 3 without being asked to/);
    expect(failures).toEqual(['exits-3:crash', 'exits-3:crash']);
    expect(host.get('dependent')!.state).toBe('blocked');
    expect(host.get('dependent')!.blockedBy).toBe('exits-3');
  });

  it('process.abort(): a native crash is contained and named', async () => {
    await corpus('aborts');
    await fx.plugin('healthy', {
      code: `export default { activate(ctx) { ctx.setInterval(() => {}, 1000); } };`,
    });
    await host.start();
    const pid = host.get('aborts')!.pid;
    await until(() => host.get('aborts')!.state === 'failed');
    expect(host.get('aborts')!.error).toMatch(/was killed by SIGABRT \(a native crash: process\.abort\(\)/);
    expect(host.get('healthy')!.state).toBe('active');
    if (pid !== undefined) expect(pidExists(pid)).toBe(false);
  });

  it('allocating past its heap limit, or past it in Buffers (RSS): failed as out of memory', async () => {
    await corpus('allocates-past-limit');
    await corpus('hoards-buffers');
    await fx.plugin('healthy', {
      code: `export default { activate(ctx) { ctx.setInterval(() => {}, 1000); } };`,
    });
    await host.start();
    await until(
      () =>
        host.get('allocates-past-limit')!.state === 'failed' &&
        host.get('hoards-buffers')!.state === 'failed',
      30_000,
    );
    expect(host.get('allocates-past-limit')!.error).toMatch(
      /exceeded its memory limit: its process ran out of heap/,
    );
    expect(host.get('hoards-buffers')!.error).toMatch(
      /exceeded its memory limit: its process's resident memory \([\d.]+ MiB\) went past its limit \(32\.0 MiB above/,
    );
    expect(host.get('healthy')!.state).toBe('active');
    expect(host.manager.get('hoards-buffers')).toBeUndefined();
  });

  it.runIf(linux)(
    'unload kills the whole tree: a grandchild in its group and one that left it (setsid)',
    async () => {
      await corpus('forks-grandchild');
      await host.start();
      const pids = json<{ plugin: number; inGroup: number; detached: number }>(
        storageFile('forks-grandchild', 'pids.json'),
      );
      expect(processGroup(pids.inGroup)).toBe(pids.plugin);
      expect(processGroup(pids.detached)).toBe(pids.detached);
      for (const pid of Object.values(pids)) expect(pidExists(pid)).toBe(true);
      await host.unload('forks-grandchild');
      await until(() => Object.values(pids).every((pid) => !pidExists(pid)));
    },
  );

  it('a plugin that ignores SIGTERM is SIGKILLed after the grace period', async () => {
    await corpus('ignores-sigterm');
    await host.start();
    const pid = host.get('ignores-sigterm')!.pid!;
    await host.unload('ignores-sigterm');
    expect(pidExists(pid)).toBe(false);
    expect(host.get('ignores-sigterm')!.state).toBe('unloaded');
  });

  it('reload starts a new process', async () => {
    await fx.plugin('fresh', {
      isolation: 'process',
      code: `export default { activate(ctx) { ctx.log.info('pid ' + process.pid); } };`,
    });
    await host.start();
    const first = host.get('fresh')!.pid!;
    await host.reload('fresh');
    const second = host.get('fresh')!.pid!;
    expect(second).not.toBe(first);
    expect(pidExists(first)).toBe(false);
    expect(pidExists(second)).toBe(true);
  });
});

describe('process isolation under Node’s permission model', () => {
  it('a read outside its allowed paths reaches the plugin as ERR_ACCESS_DENIED and is reported', async () => {
    await writeFile(join(fx.root, 'secret.txt'), 'the secret');
    await corpus('reads-outside');
    await host.start();
    expect(host.get('reads-outside')!.state).toBe('active');
    const result = json<Record<string, unknown>>(storageFile('reads-outside', 'result.json'));
    expect(result).toEqual({
      own: true,
      sync: 'ERR_ACCESS_DENIED',
      promise: 'ERR_ACCESS_DENIED',
      ctx: 'ERR_ACCESS_DENIED',
    });
    const secret = join(fx.root, 'secret.txt');
    expect(access).toContainEqual({
      id: 'reads-outside',
      isolation: 'process',
      permission: 'fs.read',
      resource: secret,
      denied: true,
    });
    expect(logs.some((l) => l.startsWith(`warn [reads-outside] permission denied: fs.read ${secret}`))).toBe(
      true,
    );
  });

  it("a denial shows in the monitor's event stream (plugin, permission, resource)", async () => {
    await writeFile(join(fx.root, 'secret.txt'), 'the secret');
    await corpus('reads-outside');
    const monitor = await startMonitor(host.manager, { port: 0, plugins: pluginHostControl(host) });
    try {
      await host.start();
      const secret = join(fx.root, 'secret.txt');
      await until(() => access.length > 0);
      await vi.waitFor(
        async () => {
          const res = await fetch(`${monitor.origin}/api/events/recent`, {
            headers: { authorization: `Bearer ${monitor.token}` },
          });
          const { events } = (await res.json()) as { events: Array<Record<string, unknown>> };
          expect(events).toContainEqual(
            expect.objectContaining({
              type: 'plugin',
              plugin: 'reads-outside',
              change: 'permissionDenied',
              permission: 'fs.read',
              resource: secret,
            }),
          );
        },
        { timeout: 10_000, interval: 50 },
      );
    } finally {
      await monitor.close();
    }
  });

  it('writes outside its storage are refused; inside they land (checked on disk)', async () => {
    const dir = await corpus('writes-outside-storage');
    await host.start();
    const result = json<Record<string, unknown>>(storageFile('writes-outside-storage', 'result.json'));
    expect(result).toEqual({
      inside: 'written',
      escaped: 'ERR_ACCESS_DENIED',
      tampered: 'ERR_ACCESS_DENIED',
    });
    expect(readFileSync(storageFile('writes-outside-storage', 'inside.txt'), 'utf8')).toBe('allowed');
    expect(existsSync(join(fx.root, 'storage', 'escaped.txt'))).toBe(false);
    expect(existsSync(join(dir, 'tampered.txt'))).toBe(false);
    expect(access.filter((a) => a.denied).map((a) => a.permission)).toEqual(['fs.write', 'fs.write']);
  });

  it('spawning or starting a worker without permission is refused; no child ever runs', async () => {
    await corpus('spawns-without-permission');
    await host.start();
    const result = json<Record<string, unknown>>(storageFile('spawns-without-permission', 'result.json'));
    expect(result).toEqual({
      ctx: 'ERR_ACCESS_DENIED',
      direct: 'ERR_ACCESS_DENIED',
      worker: 'ERR_ACCESS_DENIED',
    });
    await new Promise((r) => setTimeout(r, 300));
    expect(existsSync(storageFile('spawns-without-permission', 'child-ran'))).toBe(false);
    const denied = access.filter((a) => a.denied);
    expect(denied.map((a) => a.permission).sort()).toEqual(['childProcess', 'worker']);
    expect(denied.find((a) => a.permission === 'childProcess')!.resource).toBe(process.execPath);
  });

  it("a permitted ctx child is ended by the plugin's own side: Steward's /proc reads are not the plugin's denials, no disposer fails", async () => {
    // Acceptance: under the permission model even existsSync('/proc/self') throws; the ctx
    // children's disposers failed on it (the host's group kill ended them) and each read was
    // reported as the plugin's denied access.
    await fx.plugin('spawner', {
      isolation: 'process',
      permissions: {
        fs: { read: ['./', '$STORAGE'], write: ['$STORAGE'] },
        childProcess: true,
        reason: 'test',
      },
      code: `export default { activate(ctx) {
        const a = ctx.spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)']);
        const b = ctx.spawn('sh', ['-c', 'sleep 300 & sleep 301']);
        ctx.log.info('pids ' + a.pid + ' ' + b.pid);
      } };`,
    });
    const reports: Array<PluginEvents['deactivated']['report']> = [];
    host.on('deactivated', (e) => reports.push(e.report));
    await host.start();
    expect(host.get('spawner')!.state).toBe('active');
    const pids = (logs.find((l) => l.includes('pids '))?.split('pids ')[1] ?? '').split(' ').map(Number);
    expect(pids).toHaveLength(2);
    expect(pids.every(pidExists)).toBe(true);
    await host.unload('spawner');
    expect(reports).toHaveLength(1);
    expect(reports[0]!.failed).toEqual([]);
    expect(reports[0]!.released).toBe(2);
    expect(pids.filter(pidExists)).toEqual([]);
    expect(access.filter((a) => a.resource?.startsWith('/proc'))).toEqual([]);
    expect(logs.filter((l) => l.includes('/proc'))).toEqual([]);
  });

  it('an absolute path outside the allowed roots rejects the manifest with the field named', async () => {
    const dir = await fx.plugin('greedy', {
      isolation: 'process',
      permissions: { fs: { read: ['./', '/etc'] } },
      code: `export default { activate() {} };`,
    });
    const rejected: string[] = [];
    host.on('discoveryError', ({ error }) => rejected.push(error.message));
    const summary = await host.start();
    expect(host.get('greedy')).toBeUndefined();
    expect(summary.errors.map((e) => e.message)).toEqual(rejected);
    expect(rejected).toEqual([
      expect.stringMatching(
        /steward\.permissions\.fs\.read\[1\]: the absolute path "\/etc" is outside the folders/,
      ),
    ]);
    await expect(host.add(dir)).rejects.toMatchObject({
      code: 'STEWARD_MANIFEST_INVALID',
      field: 'steward.permissions.fs.read[1]',
    });
    expect(host.get('greedy')).toBeUndefined();
    const roots = makeHost({ permissionRoots: ['/etc'] });
    try {
      await roots.start();
      expect(roots.get('greedy')!.state).toBe('active');
    } finally {
      await roots.dispose();
    }
  });
});

describe('permissions at the ctx level (inline and worker: a guard, not a sandbox)', () => {
  for (const isolation of ['inline', 'worker'] as const) {
    it(`${isolation}: ctx.spawn without childProcess and ctx.open outside fs.read are refused`, async () => {
      await writeFile(join(fx.root, 'secret.txt'), 'the secret');
      await fx.plugin(`guarded-${isolation}`, {
        isolation,
        permissions: { fs: { read: ['./'], write: ['$STORAGE'] } },
        code: `export default { async activate(ctx) {
          const out = {};
          try { ctx.spawn(process.execPath, ['-e', '0']); out.spawn = 'spawned'; } catch (e) { out.spawn = e.code + ' ' + e.permission; }
          try { ctx.fork(new URL('./index.js', import.meta.url)); out.fork = 'forked'; } catch (e) { out.fork = e.code; }
          try { ctx.exec('true', () => {}); out.exec = 'started'; } catch (e) { out.exec = e.code; }
          try { ctx.execFile(process.execPath, ['-e', '0'], () => {}); out.execFile = 'started'; } catch (e) { out.execFile = e.code; }
          out.open = await ctx.open(${JSON.stringify(join(fx.root, 'secret.txt'))}).then(() => 'opened', (e) => e.code);
          out.own = await ctx.open(new URL('./package.json', import.meta.url).pathname).then((f) => f.close().then(() => 'opened'), (e) => e.code);
          const dir = await ctx.storage();
          const f = await ctx.open(dir + '/ok.txt', 'w'); await f.close();
          out.storage = 'opened';
          ctx.log.info('out ' + JSON.stringify(out));
        } };`,
      });
      await host.start();
      expect(host.get(`guarded-${isolation}`)!.state).toBe('active');
      const line = logs.find((l) => l.includes(' out {'))!;
      expect(JSON.parse(line.slice(line.indexOf('{')))).toEqual({
        spawn: 'ERR_ACCESS_DENIED ChildProcess',
        fork: 'ERR_ACCESS_DENIED',
        exec: 'ERR_ACCESS_DENIED',
        execFile: 'ERR_ACCESS_DENIED',
        open: 'ERR_ACCESS_DENIED',
        own: 'opened',
        storage: 'opened',
      });
      expect(access.filter((a) => a.denied).map((a) => [a.isolation, a.permission])).toEqual([
        [isolation, 'childProcess'],
        [isolation, 'childProcess'],
        [isolation, 'childProcess'],
        [isolation, 'childProcess'],
        [isolation, 'fs.read'],
      ]);
    });
  }
});

describe('audit mode', () => {
  it("in a process, the plugin's own fs calls are heard too, and nothing is refused", async () => {
    await writeFile(join(fx.root, 'secret.txt'), 'the secret');
    await corpus('reads-outside');
    const audit = makeHost({ permissions: 'audit' });
    try {
      await audit.start();
      const result = json<Record<string, unknown>>(storageFile('reads-outside', 'result.json'));
      expect(result).toEqual({ own: true, sync: 'the secret', promise: 'the secret', ctx: 'opened' });
      const secret = join(fx.root, 'secret.txt');
      const heard = access.filter((a) => a.id === 'reads-outside');
      expect(heard.filter((a) => a.resource === secret)).toEqual([
        { id: 'reads-outside', isolation: 'process', permission: 'fs.read', resource: secret, denied: false },
      ]);
      expect(heard.some((a) => a.permission === 'fs.write' && a.resource.endsWith('result.json'))).toBe(true);
      expect(heard.every((a) => !a.denied)).toBe(true);
    } finally {
      await audit.dispose();
    }
  });

  it('refuses nothing, in any tier, and tells every ctx access once', async () => {
    const script = (id: string) => `export default { async activate(ctx) {
      const dir = await ctx.storage();
      const f = await ctx.open(dir + '/a.txt', 'w'); await f.close();
      const g = await ctx.open(dir + '/a.txt'); await g.close();
      ctx.spawn(process.execPath, ['-e', '0'], { stdio: 'ignore' });
      ctx.log.info('${id} done');
    } };`;
    for (const isolation of ['inline', 'worker', 'process'] as const) {
      await fx.plugin(`audited-${isolation}`, {
        isolation,
        permissions: { fs: { read: ['./'] } },
        code: script(`audited-${isolation}`),
      });
    }
    const audit = makeHost({ permissions: 'audit' });
    try {
      await audit.start();
      for (const isolation of ['inline', 'worker', 'process']) {
        const id = `audited-${isolation}`;
        expect(audit.get(id)!.state).toBe('active');
        const storage = join(fx.root, 'storage', id);
        expect(
          access
            .filter((a) => a.id === id)
            .map((a) => [a.permission, a.resource, a.denied])
            .sort(),
        ).toEqual(
          [
            ['childProcess', process.execPath, false],
            ['fs.read', `${storage}/a.txt`, false],
            ['fs.write', `${storage}/a.txt`, false],
            ['fs.write', storage, false],
          ].sort(),
        );
      }
    } finally {
      await audit.dispose();
    }
  });
});
