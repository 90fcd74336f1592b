/**
 * Detected disposers meet real Node and web resources, checked from outside: a detected method
 * is called the way its owner documents its polite default — with no argument — and an explicit
 * `dispose` option still receives the value.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { open } from 'node:fs/promises';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { ResourceManager } from '../../src/core/index.js';
import { anOwner } from './helpers.js';

const GUARD_MS = 60_000;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0))
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

function sleeper(): ChildProcess {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  children.push(child);
  return child;
}

describe('detected disposers on real resources', () => {
  it.each([['process'], ['custom']])(
    'a child process tracked as %s is killed politely (SIGTERM): its pid is gone once cleanup resolves',
    async (type) => {
      const manager = new ResourceManager();
      const component = manager.register(anOwner(), 'spawner');
      const child = sleeper();
      await once(child, 'spawn');
      const pid = child.pid!;
      expect(alive(pid)).toBe(true);
      component.track(child, { type });
      const report = await component.cleanup(); // rejects if kill(child) threw ERR_UNKNOWN_SIGNAL
      expect(report.released).toBe(1);
      expect(child.signalCode).toBe('SIGTERM');
      expect(alive(pid)).toBe(false);
    },
    GUARD_MS,
  );

  it(
    'releaseAsync() of a child process resolves once it has exited',
    async () => {
      const manager = new ResourceManager();
      const component = manager.register(anOwner(), 'spawner');
      const child = sleeper();
      await once(child, 'spawn');
      const handle = component.track(child, { type: 'process' });
      expect(await handle.releaseAsync()).toBe(true);
      expect(alive(child.pid!)).toBe(false);
    },
    GUARD_MS,
  );

  it(
    "a connected net.Socket is destroyed without an error: its peer sees a clean close and no 'error' escapes",
    async () => {
      const server: Server = createServer();
      server.listen(0, '127.0.0.1');
      await once(server, 'listening');
      const accepted = once(server, 'connection') as Promise<[Socket]>;
      const address = server.address() as { port: number };
      const client = connect(address.port, '127.0.0.1');
      const clientErrors: unknown[] = [];
      client.on('error', (error) => clientErrors.push(error));
      await once(client, 'connect');
      const [peer] = await accepted;
      const peerSaw: string[] = [];
      peer.on('end', () => peerSaw.push('end'));
      peer.on('error', (error) => peerSaw.push(`error ${(error as Error).message}`));
      const peerClosed = once(peer, 'close') as Promise<[boolean]>;
      const clientClosed = once(client, 'close') as Promise<[boolean]>;

      const manager = new ResourceManager();
      const component = manager.register(anOwner(), 'net');
      component.track(client, { type: 'socket' });
      await component.cleanup();

      const [clientHadError] = await clientClosed;
      const [peerHadError] = await peerClosed;
      expect(clientHadError).toBe(false);
      expect(clientErrors).toEqual([]);
      expect(peerHadError).toBe(false);
      expect(peerSaw).toEqual(['end']);
      server.close();
      await once(server, 'close');
    },
    GUARD_MS,
  );

  it('an AbortController is aborted with the standard AbortError as its reason', async () => {
    const manager = new ResourceManager();
    const component = manager.register(anOwner(), 'fetcher');
    const controller = new AbortController();
    component.track(controller);
    await component.cleanup();
    expect(controller.signal.aborted).toBe(true);
    expect(controller.signal.reason).toBeInstanceOf(DOMException);
    expect((controller.signal.reason as DOMException).name).toBe('AbortError');
  });

  it(
    'a Worker is terminated and exits (cleanup awaits the exit)',
    async () => {
      const manager = new ResourceManager();
      const component = manager.register(anOwner(), 'threads');
      const worker = new Worker('setInterval(() => {}, 1000)', { eval: true });
      await once(worker, 'online');
      const exited = once(worker, 'exit');
      component.track(worker, { type: 'worker' });
      await component.cleanup();
      await exited;
      expect(worker.threadId).toBe(-1);
    },
    GUARD_MS,
  );

  it('a ReadableStream reader is cancelled with no reason (not with itself as the reason)', async () => {
    const reasons: unknown[] = [];
    const stream = new ReadableStream<number>({
      pull(controller) {
        controller.enqueue(1);
      },
      cancel(reason) {
        reasons.push(reason);
      },
    });
    const reader = stream.getReader();
    await reader.read();
    const manager = new ResourceManager();
    const component = manager.register(anOwner(), 'streams');
    component.track(reader);
    await component.cleanup();
    await reader.closed;
    expect(reasons).toEqual([undefined]);
  });

  it('a file handle is closed (its fd is -1 afterwards)', async () => {
    const file = join(tmpdir(), `steward-detected-${process.pid}-${Date.now()}.txt`);
    const handle = await open(file, 'w');
    const manager = new ResourceManager();
    const component = manager.register(anOwner(), 'files');
    component.track(handle, { type: 'file_handle' });
    await component.cleanup();
    expect(handle.fd).toBe(-1);
    const { rm } = await import('node:fs/promises');
    await rm(file, { force: true });
  });

  it('every detected method is called with this = the value and no argument; an explicit dispose gets the value', async () => {
    const names = [
      'close',
      'destroy',
      'terminate',
      'kill',
      'abort',
      'cancel',
      'unsubscribe',
      'dispose',
    ] as const;
    const calls: Array<[string, unknown, number]> = [];
    const manager = new ResourceManager();
    const component = manager.register(anOwner(), 'c');
    const values = names.map((name) => {
      const value = {
        [name](this: unknown, ...args: unknown[]) {
          calls.push([name, this === value, args.length]);
        },
      };
      return value;
    });
    for (const value of values) component.track(value);
    const symbolic = {
      [Symbol.dispose](this: unknown, ...args: unknown[]) {
        calls.push(['Symbol.dispose', this === symbolic, args.length]);
      },
    };
    const asyncSymbolic = {
      async [Symbol.asyncDispose](this: unknown, ...args: unknown[]) {
        calls.push(['Symbol.asyncDispose', this === asyncSymbolic, args.length]);
      },
    };
    component.track(symbolic);
    component.track(asyncSymbolic);
    const explicit = { name: 'explicit' };
    component.track(explicit, {
      dispose(this: unknown, ...args: unknown[]) {
        // The value, then the DisposerContext (reason, signal, deadline).
        const context = args[1] as { reason?: unknown; signal?: unknown } | undefined;
        const ok = this === explicit && args[0] === explicit && context?.reason === 'cleanup';
        calls.push(['explicit', ok && context?.signal instanceof AbortSignal, args.length]);
      },
    });
    await component.cleanup();
    expect(calls.sort()).toEqual(
      [
        ...names.map((name) => [name, true, 0]),
        ['Symbol.dispose', true, 0],
        ['Symbol.asyncDispose', true, 0],
        ['explicit', true, 2],
      ].sort(),
    );
  });

  it('a timer id is cleared (the one detected disposer that is Steward’s own function)', async () => {
    const manager = new ResourceManager();
    const component = manager.register(anOwner(), 'timers');
    let fired = 0;
    const timer = setInterval(() => fired++, 1);
    component.track(timer, { type: 'timer' });
    await component.cleanup();
    const before = fired;
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(fired).toBe(before);
  });
});
