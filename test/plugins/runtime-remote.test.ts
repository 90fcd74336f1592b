/**
 * The remote runtime is not tied to worker threads: here it runs over a plain MessageChannel with
 * the plugin's side in this very thread — the way a process tier runs it over IPC.
 */
import { MessageChannel } from 'node:worker_threads';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ResourceManager, tokenFor } from '../../src/core/index.js';
import { readManifest } from '../../src/plugins/manifest.js';
import { type RemotePluginHandle, runRemotePlugin } from '../../src/plugins/remote-plugin.js';
import { ChannelClosedError } from '../../src/plugins/rpc.js';
import type { PluginSession, RuntimeInit } from '../../src/plugins/runtime.js';
import { RemoteRuntime, type TransportFactory } from '../../src/plugins/runtime-remote.js';
import { PluginFixtures } from '../helpers/plugin-fixtures.js';

let fx: PluginFixtures;
let manager: ResourceManager;

beforeEach(async () => {
  fx = await PluginFixtures.create();
  manager = new ResourceManager();
});

afterEach(async () => {
  await manager.dispose({ force: true });
  await fx[Symbol.asyncDispose]();
});

/** A transport over a MessageChannel; `crash(error)` closes it as if the other side died. */
function channelTransport(): { factory: TransportFactory; crash(error: Error): void } {
  let close: ((crash: Error) => void) | undefined;
  const factory: TransportFactory = (_init, boot, events) => {
    const { port1, port2 } = new MessageChannel();
    port1.on('message', events.message);
    const served: Promise<RemotePluginHandle> = runRemotePlugin(boot, {
      send: (message) => port2.postMessage(message),
      onMessage: (listener) => port2.on('message', listener),
    });
    let closed = false;
    close = (crash) => {
      if (closed) return;
      closed = true;
      void served.then((handle) => handle.stop());
      port1.close();
      port2.close();
      events.closed(crash);
    };
    return {
      send: (message) => port1.postMessage(message),
      metadata: { channel: 'message-channel' },
      async end() {
        await served;
        close?.(new Error('ended'));
      },
    };
  };
  return { factory, crash: (error) => close?.(error) };
}

async function runtimeFor(code: string, transport: TransportFactory): Promise<RemoteRuntime> {
  const dir = await fx.plugin('remote', { code, provides: ['echo'] });
  const init: RuntimeInit = {
    manifest: await readManifest(dir),
    generation: 0,
    hostVersion: '1.0.0',
    storageDir: `${fx.root}/storage/remote`,
    memoryLimit: undefined,
    services: manager.services,
    log: () => {},
    attribution: false,
    statsIntervalMs: 50,
    execArgv: undefined,
    permissions: undefined,
    permissionMode: 'enforce',
  };
  return new RemoteRuntime(init, 'worker', transport);
}

function session(): PluginSession {
  return { component: manager.register('remote'), controller: new AbortController(), metadata: {} };
}

const PLUGIN = `import { tokenFor } from 'steward';
export default {
  activate(ctx) {
    for (let i = 0; i < 3; i++) ctx.track({ n: i }, { type: 'memory', size: 100, dispose: () => {} });
    ctx.services.provide(tokenFor('echo'), (value) => 'echo ' + value);
  },
};`;

describe('RemoteRuntime over any message channel', () => {
  it('loads, activates with mirrored resources and bridged services, deactivates, unloads', async () => {
    const transport = channelTransport();
    const runtime = await runtimeFor(PLUGIN, transport.factory);
    await runtime.load();
    const s = session();
    await runtime.activate(s);
    expect(s.metadata.channel).toBe('message-channel');
    // The activation's answer comes after the flush of what it tracked: the mirrors are there.
    const mirrored = () => s.component.resources().filter((r) => r.type === 'memory');
    expect(mirrored().map((r) => r.size)).toEqual([100, 100, 100]);
    expect(s.component.bytes).toBe(300);
    const echo = manager.services.get(tokenFor<(v: string) => Promise<string>>('echo'));
    await expect(echo('hi')).resolves.toBe('echo hi');

    const outcome = await runtime.deactivate();
    expect(outcome.failure).toBeUndefined();
    expect(outcome.cleanup?.released).toBeGreaterThanOrEqual(3);
    expect(mirrored()).toEqual([]);
    await expect(echo('again')).rejects.toBeInstanceOf(ChannelClosedError);
    await runtime.unload();
    expect(runtime.crashError).toBeUndefined();
    await s.component.cleanup({ force: true });
  });

  it('reports the other side going away on its own as one crash, and rejects what was pending', async () => {
    const transport = channelTransport();
    const runtime = await runtimeFor(
      `export default { activate() {}, pause() { return new Promise(() => {}); } };`,
      transport.factory,
    );
    const crashes: Error[] = [];
    runtime.events.on('crashed', ({ error }) => crashes.push(error));
    await runtime.load();
    await runtime.activate(session());
    const pending = runtime.pause();
    const boom = new Error('the other side died');
    transport.crash(boom);
    await expect(pending).rejects.toBe(boom);
    await expect(runtime.resume()).rejects.toBe(boom);
    expect(crashes).toEqual([boom]);
    expect(runtime.crashError).toBe(boom);
    await runtime.unload();
    expect(crashes).toEqual([boom]);
  });
});
