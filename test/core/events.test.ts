import { describe, expect, it, vi } from 'vitest';
import { createToken, Emitter, InvalidArgumentError, ResourceManager } from '../../src/core/index.js';
import { anOwner } from './helpers.js';

/** Exercise every code path that can emit: register, states, track, resize, release, evict, fail, cleanup. */
async function fullLifecycle(manager: ResourceManager): Promise<void> {
  manager.setMemoryLimit({ bytes: 10, policy: 'evict' });
  const c = manager.register(anOwner(), 'c');
  c.setState('active');
  const h = c.track({ close() {} }, { size: 4, evictable: true });
  h.resize(6);
  c.track({ close() {} }, { size: 6 }); // evicts h
  c.track({}, { dispose: () => Promise.reject(new Error('x')) });
  c.onCleanup(() => undefined).dispose();
  manager.services.provide(createToken<number>('svc'), 1, { component: c });
  await c.cleanup({ force: true });
  try {
    c.track({
      close() {
        throw new Error('late close failed');
      },
    });
  } catch {
    // use after cleanup
  }
  await manager.dispose({ force: true });
}

describe('events', () => {
  it('delivers typed payloads for the whole lifecycle', async () => {
    const manager = new ResourceManager();
    const seen: string[] = [];
    manager.on('registered', (e) => seen.push(`registered ${e.component.id}`));
    manager.on('stateChanged', (e) => seen.push(`state ${e.from}->${e.to}`));
    manager.on('tracked', (e) => seen.push(`tracked ${e.resource.type} ${e.resource.size}`));
    manager.on('resized', (e) => seen.push(`resized ${e.from}->${e.resource.size}`));
    manager.on('released', (e) => seen.push(`released ${e.resource.type} ${e.reason}`));
    manager.on('cleanupStarted', (e) => seen.push(`cleanupStarted ${e.component.id} ${e.reason}`));
    manager.on('cleanupFinished', (e) => seen.push(`cleanupFinished ${e.report.components.join()}`));
    manager.on('memoryThresholdExceeded', (e) => seen.push(`memory ${e.action} ${e.evicted}`));
    manager.on('leakDetected', (e) => seen.push(`leak ${e.kind} ${e.component.id}`));
    manager.on('disposerFailed', (e) => seen.push(`failed ${e.phase}`));
    manager.on('serviceProvided', (e) => seen.push(`provided ${e.token.name} ${e.component?.id}`));
    manager.on('serviceWithdrawn', (e) => seen.push(`withdrawn ${e.token.name}`));
    await fullLifecycle(manager);
    expect(seen).toEqual([
      'registered c',
      'state loaded->active',
      'tracked custom 4',
      'resized 4->6',
      'released custom evicted',
      'memory evicted 1',
      'tracked custom 6',
      'tracked custom 0',
      'tracked callback 0',
      'released callback untracked',
      'tracked service 0',
      'provided svc c',
      'state active->cleaning',
      'cleanupStarted c undefined',
      'released service cleanup',
      'withdrawn svc',
      'released custom cleanup',
      'failed cleanup',
      'released custom cleanup',
      'state cleaning->destroyed',
      'cleanupFinished c',
      'failed use-after-cleanup',
      'leak use-after-cleanup c',
    ]);
  });

  it('costs nothing when nobody listens: emit() is never reached', async () => {
    const manager = new ResourceManager();
    const emit = vi.spyOn(manager.events, 'emit');
    await fullLifecycle(manager);
    expect(emit).not.toHaveBeenCalled();
  });

  it('builds payloads only for the events somebody listens to', async () => {
    const manager = new ResourceManager();
    const emit = vi.spyOn(manager.events, 'emit');
    const has = vi.spyOn(manager.events, 'has');
    manager.on('tracked', () => undefined);
    await fullLifecycle(manager);
    expect(has).toHaveBeenCalled();
    expect(new Set(emit.mock.calls.map(([name]) => name))).toEqual(new Set(['tracked']));
  });

  it('subscriptions are disposable (also with `using`), and disposing twice is harmless', () => {
    const manager = new ResourceManager();
    const seen: string[] = [];
    const sub = manager.on('registered', (e) => seen.push(e.component.id));
    manager.register(anOwner(), 'a');
    sub.dispose();
    sub.dispose();
    manager.register(anOwner(), 'b');
    {
      using _scoped = manager.on('registered', (e) => seen.push(`scoped ${e.component.id}`));
      manager.register(anOwner(), 'c');
    }
    manager.register(anOwner(), 'd');
    expect(seen).toEqual(['a', 'scoped c']);
    expect(manager.events.has('registered')).toBe(false);
  });

  it('delivers in subscription order; a listener unsubscribing during emit does not disturb the others', () => {
    const emitter = new Emitter<{ ping: number }>();
    const seen: string[] = [];
    const first = emitter.on('ping', (n) => {
      seen.push(`first ${n}`);
      first.dispose();
      second.dispose();
    });
    const second = emitter.on('ping', (n) => seen.push(`second ${n}`));
    emitter.on('ping', (n) => seen.push(`third ${n}`));
    emitter.emit('ping', 1);
    emitter.emit('ping', 2);
    expect(seen).toEqual(['first 1', 'second 1', 'third 1', 'third 2']);
  });

  it('once() listens for one event only', () => {
    const emitter = new Emitter<{ ping: number }>();
    const seen: number[] = [];
    emitter.once('ping', (n) => seen.push(n));
    emitter.emit('ping', 1);
    emitter.emit('ping', 2);
    expect(seen).toEqual([1]);
    expect(emitter.has('ping')).toBe(false);
  });

  it('a throwing listener goes to onListenerError and breaks neither other listeners nor the cleanup', async () => {
    const errors: unknown[] = [];
    const manager = new ResourceManager({ onListenerError: (e) => errors.push(e) });
    const seen: string[] = [];
    manager.on('released', () => {
      throw new Error('listener broke');
    });
    manager.on('released', (e) => seen.push(e.reason));
    const c = manager.register(anOwner(), 'c');
    let closed = 0;
    c.track({ close: () => closed++ });
    c.track({ close: () => closed++ });
    await c.cleanup();
    expect(closed).toBe(2);
    expect(seen).toEqual(['cleanup', 'cleanup']);
    expect(errors.map((e) => (e as Error).message)).toEqual(['listener broke', 'listener broke']);
  });

  it('refuses a non-function listener', () => {
    const manager = new ResourceManager();
    expect(() => manager.on('tracked', 42 as never)).toThrow(InvalidArgumentError);
    expect(manager.events.has('tracked')).toBe(false);
  });

  it('clear() removes every listener', () => {
    const emitter = new Emitter<{ a: number; b: number }>();
    emitter.on('a', () => undefined);
    emitter.on('b', () => undefined);
    emitter.clear();
    expect(emitter.has('a')).toBe(false);
    expect(emitter.has('b')).toBe(false);
  });
});
