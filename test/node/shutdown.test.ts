import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { ResourceManager, StewardError } from '../../src/core/index.js';
import { installShutdown, signalExitCode } from '../../src/node/index.js';
import { killAllFixtures, startFixture } from './fixture-process.js';

const dir = mkdtempSync(join(tmpdir(), 'steward-shutdown-test-'));
let n = 0;
const markerFile = (): string => join(dir, `marker-${++n}`);
const marks = (file: string): string[] => {
  try {
    return readFileSync(file, 'utf8').trim().split('\n').filter(Boolean);
  } catch {
    return [];
  }
};

afterEach(() => killAllFixtures());
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('installShutdown in a real process', () => {
  it('SIGTERM during a slow cleanup: exits 143 at the deadline, logging what was stuck', async () => {
    const marker = markerFile();
    const host = startFixture('shutdown-host.ts', ['slow', marker, '1000']);
    await host.waitFor(/ready/);
    const started = Date.now();
    host.child.kill('SIGTERM');
    const { code } = await host.exited;
    const elapsed = Date.now() - started;
    expect(code).toBe(143);
    expect(elapsed).toBeGreaterThanOrEqual(700); // it did wait for the slow disposer…
    // …but not the 60 s it wanted: the deadline ended it (no wall-clock upper bound: the test's
    // own timeout, far below 60 s, is the bound; the log says which path it took).
    expect(host.stderr()).toMatch(/SIGTERM: cleaning up \(deadline 1000 ms/);
    // Either the manager abandoned the disposer within the budget, or the deadline cut it short.
    expect(host.stderr()).toMatch(
      /cleaned up 2 component\(s\) in \d+ ms: .*1 stuck|cleanup did not finish within 1000 ms; exiting anyway/,
    );
    expect(host.stderr()).toMatch(/stuck: callback #\d+ of "second"/);
    // Everything else was still cleaned up, newest component first.
    expect(marks(marker)).toEqual(['second', 'first']);
  });

  it('SIGTERM cancels work in flight: a task signal aborts with kind shutdown, then cleanup ends', async () => {
    const marker = markerFile();
    const host = startFixture('shutdown-host.ts', ['task', marker]);
    await host.waitFor(/ready/);
    host.child.kill('SIGTERM');
    const { code } = await host.exited;
    expect(code).toBe(143);
    expect(marks(marker)).toEqual(['task cancelled: shutdown (shutdown (SIGTERM))', 'second', 'first']);
  });

  it('a second SIGINT exits at once with 130', async () => {
    const marker = markerFile();
    const host = startFixture('shutdown-host.ts', ['twice', marker, '20000']);
    await host.waitFor(/ready/);
    host.child.kill('SIGINT');
    await host.waitFor(/SIGINT: cleaning up/, 'stderr');
    host.child.kill('SIGINT');
    const { code } = await host.exited;
    expect(code).toBe(130);
    // At once: without waiting for the 20 s cleanup, which never reported an outcome.
    expect(host.stderr()).toMatch(/SIGINT received again: exiting now/);
    expect(host.stderr()).not.toMatch(/cleaned up \d+ component|cleanup finished/);
    expect(host.stderr()).toMatch(/stuck: plugin "second" \(cleaning\)/);
  });

  it('an uncaught exception is printed, then everything is cleaned up, then exit 1', async () => {
    const marker = markerFile();
    const host = startFixture('shutdown-host.ts', ['uncaught', marker]);
    const { code } = await host.exited;
    expect(code).toBe(1);
    expect(host.stderr()).toMatch(/Uncaught exception:\n.*Error: boom from the fixture/);
    expect(host.stderr()).toMatch(/shutdown-host\.ts:\d+/); // with its stack
    expect(host.stderr()).toMatch(/uncaughtException: cleaning up/);
    expect(host.stderr().indexOf('boom')).toBeLessThan(host.stderr().indexOf('cleaning up'));
    expect(marks(marker)).toEqual(['second', 'first']);
  });

  it('an unhandled rejection is printed, cleaned up, exit 1', async () => {
    const marker = markerFile();
    const host = startFixture('shutdown-host.ts', ['rejection', marker]);
    const { code } = await host.exited;
    expect(code).toBe(1);
    expect(host.stderr()).toMatch(/Unhandled promise rejection:\n.*Error: rejected in the fixture/);
    expect(marks(marker)).toEqual(['second', 'first']);
  });

  it('process.exit() elsewhere runs the synchronous part of the cleanup and keeps the exit code', async () => {
    const marker = markerFile();
    const host = startFixture('shutdown-host.ts', ['exit', marker]);
    const { code } = await host.exited;
    expect(code).toBe(3);
    expect(marks(marker)).toEqual(['second', 'first']);
  });

  it('SIGHUP exits with 129', async () => {
    const host = startFixture('shutdown-host.ts', ['plain', markerFile()]);
    await host.waitFor(/ready/);
    host.child.kill('SIGHUP');
    expect((await host.exited).code).toBe(129);
  });

  it('coexists with other listeners of the same signal', async () => {
    const host = startFixture('shutdown-host.ts', ['coexist', markerFile()]);
    await host.waitFor(/ready/);
    host.child.kill('SIGTERM');
    expect((await host.exited).code).toBe(143);
    expect(host.stdout()).toContain('other listener ran');
  });

  it('once uninstalled, a signal has its default effect again', async () => {
    const marker = markerFile();
    const host = startFixture('shutdown-host.ts', ['uninstall', marker]);
    await host.waitFor(/ready/);
    host.child.kill('SIGTERM');
    expect(await host.exited).toEqual({ code: null, signal: 'SIGTERM' });
    expect(marks(marker)).toEqual([]);
  });
});

describe('installShutdown in-process (exit injected)', () => {
  const quiet = { signals: [] as NodeJS.Signals[], uncaught: false, syncOnExit: false };

  it('maps signals to conventional exit codes', () => {
    expect(signalExitCode('SIGINT')).toBe(130);
    expect(signalExitCode('SIGTERM')).toBe(143);
    expect(signalExitCode('SIGHUP')).toBe(129);
  });

  it('shutdown() cleans the manager up and exits with the code given, logging a summary', async () => {
    const manager = new ResourceManager();
    const component = manager.register('p', { type: 'plugin' });
    component.onCleanup(() => {});
    const exits: number[] = [];
    const lines: string[] = [];
    const handle = installShutdown(manager, {
      ...quiet,
      exit: (c) => exits.push(c),
      log: (l) => lines.push(l),
    });
    try {
      await handle.shutdown('test', 5);
      expect(exits).toEqual([5]);
      expect(component.state).toBe('destroyed');
      expect(handle.state).toBe('done');
      expect(lines.join('\n')).toMatch(/cleaned up 1 component\(s\) in \d+ ms: 1 released/);
    } finally {
      handle.uninstall();
      process.exitCode = undefined;
    }
  });

  it('exits at the deadline when a custom target hangs, logging its pending list', async () => {
    const exits: number[] = [];
    const lines: string[] = [];
    const handle = installShutdown(
      { cleanup: () => new Promise(() => {}), pending: () => ['plugin "x" still holds a socket'] },
      { ...quiet, deadlineMs: 50, exit: (c) => exits.push(c), log: (l) => lines.push(l) },
    );
    try {
      await handle.shutdown('test', 2);
      expect(exits).toEqual([2]);
      expect(lines.join('\n')).toContain('did not finish within 50 ms');
      expect(lines.join('\n')).toContain('stuck: plugin "x" still holds a socket');
    } finally {
      handle.uninstall();
      process.exitCode = undefined;
    }
  });

  it('exits even when the cleanup rejects, and says so', async () => {
    const exits: number[] = [];
    const lines: string[] = [];
    const handle = installShutdown(
      { cleanup: () => Promise.reject(new Error('nope')) },
      { ...quiet, exit: (c) => exits.push(c), log: (l) => lines.push(l) },
    );
    try {
      await handle.shutdown();
      expect(exits).toEqual([0]);
      expect(lines.join('\n')).toMatch(/cleanup failed after \d+ ms: Error: nope/);
    } finally {
      handle.uninstall();
      process.exitCode = undefined;
    }
  });

  it('allows one shutdown path at a time, and another after uninstall', () => {
    const manager = new ResourceManager();
    const handle = installShutdown(manager, quiet);
    expect(() => installShutdown(manager, quiet)).toThrow(StewardError);
    expect(() => installShutdown(manager, quiet)).toThrow(/already installed/);
    handle.uninstall();
    handle.uninstall(); // idempotent
    installShutdown(manager, quiet).uninstall();
  });

  it('rejects bad arguments with a clear error and installs nothing', () => {
    expect(() => installShutdown({} as never)).toThrow(/ResourceManager or an object with a cleanup/);
    expect(() => installShutdown(new ResourceManager(), { deadlineMs: 0 })).toThrow(/deadlineMs/);
    expect(() => installShutdown(new ResourceManager(), { signals: ['SIGKILL'] })).toThrow(/SIGKILL/);
    installShutdown(new ResourceManager(), quiet).uninstall(); // nothing was left installed
  });
});
