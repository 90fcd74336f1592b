/**
 * The brief's example plugin under the real host: its 1 MiB buffer shows in the manager's
 * statistics (what the monitor reads) while it exists, and goes on release and on unload.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type ExamplesHost, startExamples } from './examples-host.js';

interface ExampleBuffer {
  allocate(): { resource: number; bytes: number };
  release(): boolean;
  readonly allocated: boolean;
  usage(): number;
  readonly url: string;
}

const MiB = 1024 * 1024;
let ex: ExamplesHost;
let buffer: ExampleBuffer;

beforeEach(async () => {
  ex = await startExamples();
  buffer = ex.service<ExampleBuffer>('example.buffer');
});

afterEach(async () => {
  await ex[Symbol.asyncDispose]();
});

/** Tracked memory of type `memory` in the manager (0 when none). */
function memoryBytes(): number {
  return ex.host.manager.stats().byType.memory?.bytes ?? 0;
}

describe('example plugin: a 1 MiB buffer on demand', () => {
  it('shows in the statistics once allocated, once only when allocated twice, and goes on release', () => {
    const before = ex.host.manager.stats().totalBytes;
    expect(memoryBytes()).toBe(0);

    const first = buffer.allocate();
    expect(first.bytes).toBe(MiB);
    expect(buffer.allocated).toBe(true);
    expect(memoryBytes()).toBe(MiB);
    expect(ex.host.manager.stats().totalBytes).toBe(before + MiB);
    expect(ex.host.manager.stats().byComponent.example).toMatchObject({ ownBytes: MiB });
    expect(ex.host.get('example')!.bytes).toBe(MiB);
    expect(buffer.usage()).toBe(MiB);

    const second = buffer.allocate(); // the previous buffer is released first
    expect(second.resource).not.toBe(first.resource);
    expect(memoryBytes()).toBe(MiB);
    expect(ex.host.manager.stats().byType.memory!.count).toBe(1);

    expect(buffer.release()).toBe(true);
    expect(buffer.allocated).toBe(false);
    expect(memoryBytes()).toBe(0);
    expect(ex.host.manager.stats().totalBytes).toBe(before);
    expect(buffer.release()).toBe(false);
  });

  it('goes when the plugin is unloaded', async () => {
    buffer.allocate();
    expect(memoryBytes()).toBe(MiB);
    const info = await ex.host.unload('example');
    expect(info.state).toBe('unloaded');
    expect(memoryBytes()).toBe(0);
    expect(buffer.allocated).toBe(false);
    expect(ex.host.manager.get('example')).toBeUndefined();
    expect(ex.logs).toContain('info [example] Cleaning up Example Plugin');
  });

  it('its page allocates and releases with the brief’s two buttons', async () => {
    const post = (path: string) => fetch(new URL(path, buffer.url), { method: 'POST', redirect: 'manual' });
    expect((await post('/allocate')).status).toBe(303);
    expect(memoryBytes()).toBe(MiB);
    expect(await (await fetch(buffer.url)).text()).toContain('Memory: 1,048,576 bytes');
    expect((await post('/release')).status).toBe(303);
    expect(memoryBytes()).toBe(0);
    expect(await (await fetch(buffer.url)).text()).toContain('Memory: 0 bytes');
  });
});
