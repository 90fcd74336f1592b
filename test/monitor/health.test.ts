/**
 * `/livez` and `/readyz` as a probe meets them: the real `steward run --monitor` binary with a
 * real failing plugin, asked without the token from the same machine; the Host check still
 * applies and nothing but plugin ids and states is told.
 */
import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { ResourceManager } from '../../src/core/index.js';
import { isLoopbackPeer, readiness } from '../../src/monitor/health.js';
import { pluginHostControl, startMonitor } from '../../src/monitor/index.js';
import { PluginHost } from '../../src/plugins/index.js';
import { pluginFixturesPerTest } from '../helpers/fixtures-per-test.js';
import { startFixture } from '../node/fixture-process.js';
import { raw } from './http-client.js';

const CLI = '../../../src/cli/main.ts'; // relative to test/fixtures/node

const fx = pluginFixturesPerTest();

describe('/livez and /readyz', () => {
  it('steward run: live at once, not ready while a plugin failed (named in the body), no token needed', async () => {
    await fx.plugin('good', {
      code: `export default { activate(ctx) { ctx.setInterval(() => {}, 1000); } };`,
    });
    await fx.plugin('broken', {
      code: `export default { activate() { throw new Error('secret detail'); } };`,
    });
    await fx.plugin('needs-broken', {
      dependencies: { broken: '^1.0.0' },
      code: `export default { activate() {} };`,
    });
    const run = startFixture(CLI, ['run', fx.dir, '--monitor']);
    const url = new URL((await run.waitFor(/^monitor: http/, 'stdout')).slice('monitor: '.length));
    const live = await raw(`${url.origin}/livez`);
    expect([live.status, live.body]).toEqual([200, 'ok\n']);
    expect(live.headers['x-content-type-options']).toBe('nosniff');
    const ready = await raw(`${url.origin}/readyz`);
    expect(ready.status).toBe(503);
    expect(ready.body).toBe('not ready\n[-] broken: failed\n[-] needs-broken: blocked\n');
    expect(ready.body).not.toContain('secret detail');
    // HEAD for probes that only read the status.
    expect((await raw(`${url.origin}/readyz`, { method: 'HEAD' })).status).toBe(503);
    // The Host check applies to the probes too (DNS rebinding).
    const rebound = await raw(`${url.origin}/livez`, { headers: { host: `evil.example:${url.port}` } });
    expect(rebound.status).toBe(403);
    // Everything else still needs the token.
    expect((await raw(`${url.origin}/api/plugins`)).status).toBe(401);
    run.child.kill('SIGTERM');
    expect((await run.exited).code).toBe(143);
  });

  it('ready once every required plugin is active; readiness.required narrows what counts', async () => {
    await fx.plugin('a', { code: `export default { activate() {} };` });
    await fx.plugin('b', { code: `export default { activate() {} };` });
    const manager = new ResourceManager();
    await using host = new PluginHost({ manager, dirs: [fx.dir], log: () => {} });
    await host.start();
    const plugins = pluginHostControl(host);
    await using all = await startMonitor(manager, { plugins });
    await using onlyA = await startMonitor(manager, { plugins, readiness: { required: ['a', 'ghost'] } });
    expect((await raw(`${all.origin}/readyz`)).body).toBe('ok\n');
    await host.unload('b');
    const afterUnload = await raw(`${all.origin}/readyz`);
    expect([afterUnload.status, afterUnload.body]).toEqual([503, 'not ready\n[-] b: unloaded\n']);
    expect((await raw(`${onlyA.origin}/readyz`)).body).toBe('not ready\n[-] ghost: unknown\n');
    await expect(startMonitor(manager, { readiness: { required: 'a' as never } })).rejects.toThrow(
      /readiness.required must be an array/,
    );
    await manager.dispose({ force: true });
  });

  it('without a plugin host the monitor is ready; only loopback peers skip the token', () => {
    expect(readiness(undefined)).toEqual({ ok: true, notReady: [], text: 'ok\n' });
    const peer = (remoteAddress: string) => ({ socket: { remoteAddress } }) as unknown as IncomingMessage;
    expect(isLoopbackPeer(peer('127.0.0.1'))).toBe(true);
    expect(isLoopbackPeer(peer('::1'))).toBe(true);
    expect(isLoopbackPeer(peer('::ffff:127.0.0.5'))).toBe(true);
    expect(isLoopbackPeer(peer('192.0.2.10'))).toBe(false);
    expect(isLoopbackPeer(peer('::ffff:192.0.2.10'))).toBe(false);
  });
});
