/**
 * The error paths of `host.profile()` and `host.heapSnapshot()` (host-diagnostics.ts) on an
 * embedded host: a plugin that is not active is refused (`STEWARD_PLUGIN_STATE`) for either; a
 * worker and a process plugin that die while profiled fail the profile with a StewardError that
 * says so and the host goes on; a second profile of one worker while one runs is refused as busy;
 * a process plugin under the permission model is refused up front; a worker whose thread spins in
 * an endless loop still gives its heap snapshot (taken from the host's side), and its profile
 * request fails after its deadline instead of hanging.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tokenFor } from '../../src/core/index.js';
import { blameProfile } from '../../src/node/profile-blame.js';
import { PluginHost } from '../../src/plugins/index.js';
import { PluginFixtures } from '../helpers/plugin-fixtures.js';

let fx: PluginFixtures;
let host: PluginHost | undefined;
beforeEach(async () => {
  fx = await PluginFixtures.create();
});
afterEach(async () => {
  await host?.dispose();
  host = undefined;
  await fx[Symbol.asyncDispose]();
});

// A plugin that dies when asked: its `killer` service ends its thread or process on the spot.
const KILLABLE = `import { tokenFor } from 'steward';
export default {
  activate(ctx) {
    ctx.services.provide(tokenFor('killer'), { die: () => { setTimeout(() => process.exit(7), 10); return 'dying'; } });
  },
};
`;

function start(): PluginHost {
  host = new PluginHost({ dirs: [fx.dir], workerExecArgv: [], log: () => undefined });
  return host;
}

async function read(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

describe('host.profile() and host.heapSnapshot(): error paths', () => {
  it('refuse a plugin that is not active, and an unknown one', { timeout: 60_000 }, async () => {
    await fx.plugin('broken', {
      isolation: 'worker',
      code: 'export default { activate() { throw new Error("no"); } };',
    });
    await fx.plugin('inl', { code: 'export default { activate() { throw new Error("no"); } };' });
    const h = start();
    await h.start();
    for (const id of ['broken', 'inl']) {
      await expect(h.profile(id, 100)).rejects.toMatchObject({
        code: 'STEWARD_PLUGIN_STATE',
        message: expect.stringMatching(
          new RegExp(`^Plugin "${id}" is failed: a CPU profile is taken of an active`),
        ),
      });
      await expect(h.heapSnapshot(id)).rejects.toMatchObject({ code: 'STEWARD_PLUGIN_STATE' });
    }
    await expect(h.profile('nope', 100)).rejects.toMatchObject({ code: 'STEWARD_PLUGIN_UNKNOWN' });
  });

  it('names the folder an inline snapshot cannot be written to, and leaves the plugin be', {
    timeout: 60_000,
  }, async () => {
    await fx.plugin('inl', { code: 'export default { activate(ctx) { ctx.setInterval(() => {}, 100); } };' });
    const h = start();
    await h.start();
    const missing = `${fx.root}/no-such-folder`;
    await expect(h.heapSnapshot('inl', { snapshotDir: missing })).rejects.toMatchObject({
      code: 'STEWARD_HEAP_SNAPSHOT_FAILED',
      message: expect.stringContaining(`the heap snapshot could not be written to ${missing}/steward-heap-`),
    });
    expect(h.get('inl')?.state).toBe('active');
  });

  for (const isolation of ['worker', 'process'] as const) {
    it(`fails the profile of a ${isolation} plugin that dies meanwhile, and the host goes on`, {
      timeout: 60_000,
    }, async () => {
      await fx.plugin('mortal', { isolation, provides: ['killer'], code: KILLABLE });
      await fx.plugin('calm', {
        isolation,
        code: 'export default { activate(ctx) { ctx.setInterval(() => {}, 100); } };',
      });
      const h = start();
      await h.start();
      // The profile request goes first on the channel: the plugin's side is profiling when it dies.
      const profile = h.profile('mortal', 20_000);
      const killer = h.manager.services.get(tokenFor<{ die(): Promise<string> }>('killer'));
      expect(await killer.die()).toBe('dying');
      // Why it died, as the host saw it (a process ended while its profiler runs may even die of
      // SIGSEGV in Node's exit path: dead either way).
      await expect(profile).rejects.toMatchObject({
        code: 'STEWARD_PROFILE_FAILED',
        message: expect.stringMatching(
          new RegExp(
            `^The ${isolation} of plugin "mortal" ended while it was being profiled: .*(exited with code 7|killed by)`,
          ),
        ),
        cause: { code: expect.stringMatching(/^STEWARD_PLUGIN_(EXITED|CRASHED)$/) },
      });
      await expect.poll(() => h.get('mortal')?.state, { timeout: 20_000 }).toBe('failed');
      // Its neighbour is untouched and can be profiled.
      const calm = await h.profile('calm', 200);
      expect(calm.isolation).toBe(isolation);
      expect(calm.profile.nodes.length).toBeGreaterThan(0);
      expect(h.get('calm')?.state).toBe('active');
    });
  }

  it('cuts the heap snapshot stream of a process plugin killed mid-stream with an error saying so', {
    timeout: 60_000,
  }, async () => {
    // A heap of some 30 MiB: its snapshot takes many pieces, and the process is killed after the first.
    await fx.plugin('mortal', {
      isolation: 'process',
      code: 'export default { activate() { globalThis.big = Array.from({ length: 300000 }, (_, i) => ({ i, s: "v" + i })); } };',
    });
    const h = start();
    await h.start();
    const pid = h.get('mortal')?.pid;
    expect(pid).toBeGreaterThan(0);
    const heap = await h.heapSnapshot('mortal');
    const rest = (async () => {
      let bytes = 0;
      for await (const chunk of heap.stream) {
        if (bytes === 0) process.kill(pid!, 'SIGKILL');
        bytes += (chunk as Buffer).length;
      }
      return bytes;
    })();
    await expect(rest).rejects.toMatchObject({
      code: 'STEWARD_HEAP_SNAPSHOT_FAILED',
      message: expect.stringMatching(
        /^The process of plugin "mortal" ended while its heap snapshot was being taken: .*killed by SIGKILL/,
      ),
    });
    await expect.poll(() => h.get('mortal')?.state, { timeout: 20_000 }).toBe('failed');
  });

  it('refuses a second profile of one worker while one runs (busy), then profiles again', {
    timeout: 60_000,
  }, async () => {
    await fx.plugin('w', {
      isolation: 'worker',
      code: 'export default { activate(ctx) { ctx.setInterval(() => {}, 50); } };',
    });
    const h = start();
    await h.start();
    const first = h.profile('w', 1500);
    await expect(h.profile('w', 100)).rejects.toMatchObject({
      code: 'STEWARD_PROFILER_BUSY',
      message: expect.stringMatching(/Another CPU profile of this process is running/),
    });
    const done = await first;
    expect(done.roots).toEqual([{ id: 'w', dir: expect.stringContaining('w') }]);
    expect(blameProfile(done.profile, done.roots).total).toBeGreaterThanOrEqual(0);
    expect((await h.profile('w', 100)).profile.samples?.length).toBeGreaterThanOrEqual(0);
  });

  it('refuses to profile a process plugin under the permission model, saying why', {
    timeout: 60_000,
  }, async () => {
    await fx.plugin('fenced', {
      isolation: 'process',
      permissions: { fs: { read: ['.'] } },
      code: 'export default { activate(ctx) { ctx.setInterval(() => {}, 100); } };',
    });
    const h = start();
    await h.start();
    expect(h.get('fenced')?.state).toBe('active');
    await expect(h.profile('fenced', 200)).rejects.toMatchObject({
      code: 'STEWARD_PROFILE_UNSUPPORTED',
      message: expect.stringMatching(/under Node's permission model .*--permissions audit/),
    });
    // Its heap snapshot is not the inspector's: it is streamed by the process itself.
    const heap = await h.heapSnapshot('fenced');
    expect(heap.isolation).toBe('process');
    expect(JSON.parse(await read(heap.stream)).snapshot.meta.node_fields).toContain('self_size');
    expect(h.get('fenced')?.state).toBe('active');
  });

  it('takes the heap snapshot of a worker whose thread spins without yielding; its profile times out', {
    timeout: 120_000,
  }, async () => {
    await fx.plugin('spin', {
      isolation: 'worker',
      code: 'export default { activate(ctx) { ctx.setTimeout(() => { ctx.log.info("spinning"); for (;;) {} }, 10); } };',
    });
    const logs: string[] = [];
    host = new PluginHost({ dirs: [fx.dir], workerExecArgv: [], log: (r) => logs.push(r.message) });
    await host.start();
    await expect.poll(() => logs, { timeout: 20_000 }).toContain('spinning');
    const heap = await host.heapSnapshot('spin');
    expect(JSON.parse(await read(heap.stream)).snapshot.node_count).toBeGreaterThan(100);
    // Its profile is taken inside its thread, which never gets to the request: a deadline says so.
    await expect(host.profile('spin', 1000)).rejects.toMatchObject({
      code: 'STEWARD_PROFILE_FAILED',
      message:
        'Plugin "spin" (worker) did not answer a CPU profile request within 31 s (is its thread blocked?).',
    });
    expect(host.get('spin')?.state).toBe('active');
  });
});
