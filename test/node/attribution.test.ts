import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, watch } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MessageChannel, Worker } from 'node:worker_threads';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type Component,
  type LeakEvent,
  ResourceManager,
  UseAfterCleanupError,
} from '../../src/core/index.js';
import {
  type Attribution,
  attributedHandles,
  attributionEnabled,
  checkHandles,
  currentComponent,
  enableAttribution,
  enterComponent,
  reclaim,
  runInComponent,
  runOutsideComponents,
} from '../../src/node/index.js';
import { expectCollected } from '../../src/testing/index.js';
import { eventually, killAllFixtures, SETTLE_MS, startFixture } from './fixture-process.js';

let manager: ResourceManager;
let plugin: Component;
let session: Attribution | undefined;
const leaks: LeakEvent[] = [];

beforeEach(() => {
  manager = new ResourceManager();
  plugin = manager.register('plugin', { type: 'plugin' });
  leaks.length = 0;
  manager.on('leakDetected', (leak) => leaks.push(leak));
});
afterEach(async () => {
  for (const handle of attributedHandles(plugin)) reclaim(handle);
  session?.dispose();
  session = undefined;
  killAllFixtures();
  await manager.dispose({ force: true });
});

const kinds = (component: Component) => attributedHandles(component).map((h) => h.kind);

describe('handle attribution', () => {
  it('attributes timers, servers and child processes created by a component that tracked none of them', async () => {
    session = enableAttribution({ captureStacks: true });
    let child: ChildProcess | undefined;
    await runInComponent(plugin, async () => {
      await null; // after an await…
      setInterval(() => {}, 1000);
      await new Promise<void>((resolve) => net.createServer().listen(0, '127.0.0.1', resolve));
      // …and inside a callback scheduled by the component.
      await new Promise<void>((resolve) =>
        setTimeout(() => {
          child = spawn('sleep', ['30']);
          resolve();
        }, 5),
      );
    });
    const handles = attributedHandles(plugin);
    expect(handles.map((h) => h.kind).sort()).toEqual(['process', 'server', 'timer']);
    const byKind = Object.fromEntries(handles.map((h) => [h.kind, h]));
    expect(byKind.timer!.description).toBe('setInterval (1000 ms)');
    expect(byKind.server!.description).toMatch(/^TCP server 127\.0\.0\.1:\d+$/);
    expect(byKind.process!.description).toBe(`child process ${child!.pid} (sleep)`);
    expect(byKind.process!.owner).toBe(child);
    for (const h of handles) expect(h.stack).toMatch(/attribution\.test\.ts:\d+/);
    expect(byKind.server!.stack).toMatch(/listen\(\) called here/);
    // Process stdio pipes are part of the process, not separate findings.
    expect(handles.filter((h) => h.kind === 'socket')).toEqual([]);
  });

  it('checkHandles reports leaks through the manager and reclaims them', async () => {
    session = enableAttribution({});
    const server = net.createServer();
    let child: ChildProcess | undefined;
    await runInComponent(plugin, async () => {
      setTimeout(() => {}, 60_000);
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      child = spawn('sleep', ['30']);
    });
    const found = checkHandles(plugin, { reclaim: true });
    expect(found.map((l) => [l.kind, l.reclaimed])).toEqual([
      ['timer', true],
      ['server', true],
      ['process', true],
    ]);
    expect(leaks.map((l) => l.kind)).toEqual(['untracked-handle', 'untracked-handle', 'untracked-handle']);
    expect(leaks[0]!.message).toMatch(
      /plugin "plugin" left a setTimeout \(60000 ms\) open that it never tracked \(reclaimed\)/,
    );
    expect(leaks[0]!.message).toMatch(/captureStacks/); // stacks were off: says how to get them
    expect(server.listening).toBe(false);
    expect(await eventually(() => child!.signalCode === 'SIGKILL', SETTLE_MS)).toBe(true);
    expect(attributedHandles(plugin)).toEqual([]);
  });

  it('an http server is one leak: its connection-checking interval is part of it', async () => {
    session = enableAttribution({});
    const server = http.createServer();
    await runInComponent(
      plugin,
      () => new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve)),
    );
    const found = checkHandles(plugin, { reclaim: true });
    expect(found.map((l) => l.kind)).toEqual(['server']);
    expect(server.listening).toBe(false);
    expect(attributedHandles(plugin)).toEqual([]);
  });

  it('does not report what the component tracks, nor what was created outside it', async () => {
    session = enableAttribution({});
    const outside = setInterval(() => {}, 1000);
    try {
      await runInComponent(plugin, async () => {
        plugin.track(
          setInterval(() => {}, 1000),
          { type: 'timer' },
        );
        const child = spawn('sleep', ['30']);
        plugin.track(child, { type: 'process' });
        runOutsideComponents(() => clearInterval(setInterval(() => {}, 1000)));
      });
      expect(kinds(plugin).sort()).toEqual(['process', 'timer']); // attributed…
      expect(checkHandles(plugin)).toEqual([]); // …but tracked: not leaks
      expect(leaks).toEqual([]);
    } finally {
      clearInterval(outside);
    }
  });

  it('checks each component at the end of its cleanup: leaks reported, and reclaimed with atCleanup: reclaim', async () => {
    session = enableAttribution({ manager, atCleanup: 'reclaim' });
    const child = manager.register('child', { parent: plugin });
    const timers: NodeJS.Timeout[] = [];
    runInComponent(plugin, () => {
      timers.push(setInterval(() => {}, 1000));
      plugin.track(
        setInterval(() => {}, 1000),
        { type: 'timer' },
      ); // released by the cleanup itself
    });
    runInComponent(child, () => {
      timers.push(setTimeout(() => {}, 60_000));
    });
    const report = await plugin.cleanup();
    expect(report.components).toEqual(['child', 'plugin']);
    expect(leaks.map((l) => `${l.component.id}: ${l.message.split(' open')[0]}`)).toEqual([
      'child: component "child" left a setTimeout (60000 ms)',
      'plugin: plugin "plugin" left a setInterval (1000 ms)',
    ]);
    expect(timers.map((t) => (t as unknown as { _destroyed: boolean })._destroyed)).toEqual([true, true]);
  });

  it('covers immediates, fs watchers, workers and message ports too', async () => {
    session = enableAttribution({});
    const dir = mkdtempSync(join(tmpdir(), 'steward-attr-'));
    let worker: Worker | undefined;
    try {
      runInComponent(plugin, () => {
        setImmediate(() => {});
        watch(dir);
        worker = new Worker('setInterval(() => {}, 1000)', { eval: true });
        const { port1 } = new MessageChannel();
        port1.on('message', () => {});
      });
      const found = kinds(plugin);
      for (const kind of ['immediate', 'watcher', 'worker', 'port']) expect(found).toContain(kind);
      checkHandles(plugin, { reclaim: true, report: false });
      await new Promise((resolve) => worker!.once('exit', resolve));
      expect(await eventually(() => attributedHandles(plugin).length === 0, SETTLE_MS)).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('retains nothing of a cleaned-up plugin (creation stacks included): it can be garbage-collected', async () => {
    session = enableAttribution({ manager, captureStacks: true });
    const { ref, component } = (() => {
      const owner = { name: 'short-lived', start: () => setInterval(() => owner.name, 1000) };
      const component = manager.register(owner, 'short-lived', { type: 'plugin' });
      runInComponent(component, () => clearInterval(owner.start()));
      return { ref: new WeakRef(owner), component };
    })();
    expect(attributedHandles(component)).toEqual([]);
    await component.cleanup();
    await expectCollected(ref, { label: 'the plugin' });
  });

  it('records nothing when disabled, and the context API validates its input', async () => {
    expect(attributionEnabled()).toBe(false);
    runInComponent(plugin, () => {
      expect(currentComponent()).toBe(plugin);
      clearInterval(setInterval(() => {}, 1000));
    });
    expect(currentComponent()).toBeUndefined();
    expect(attributedHandles(plugin)).toEqual([]);
    expect(() => runInComponent({} as Component, () => {})).toThrow(/expected a Component/);
    await plugin.cleanup();
    expect(() => runInComponent(plugin, () => {})).toThrow(UseAfterCleanupError);
    expect(() => enterComponent(plugin)).toThrow(UseAfterCleanupError);
    expect(() => enableAttribution({ atCleanup: 'sometimes' as 'off' })).toThrow(/atCleanup/);
  });

  it('in a real process: finds and reclaims what the plugin left, so the process exits on its own', async () => {
    const host = startFixture('attribution-host.ts', ['reclaim']);
    const line = await host.waitFor(/^\{/, 'stdout');
    const { code } = await host.exited; // would hang (and time out) if anything were left open
    expect(code).toBe(0);
    const result = JSON.parse(line) as {
      leaks: Array<{ kind: string; description: string; stack: string; reclaimed: boolean }>;
      before: string[];
    };
    expect(result.leaks.map((l) => l.kind).sort()).toEqual(['process', 'server', 'timer']);
    expect(result.leaks.every((l) => l.reclaimed)).toBe(true);
    for (const leak of result.leaks) expect(leak.stack).toMatch(/attribution-host\.ts:\d+/);
    // Cross-check with Node's own view of what kept the loop alive before the cleanup.
    expect(result.before).toEqual(expect.arrayContaining(['Timeout', 'TCPServerWrap', 'ProcessWrap']));
  });

  it('never blames a component for process.stdout/stderr, which Node creates when its code first uses them', async () => {
    // Plain node, stdio piped: nothing touched process.stdout before the component's code did
    // (a `new Worker()` in a plugin does, piping the worker's output to it).
    const out = execFileSync(
      process.execPath,
      [join(import.meta.dirname, '../fixtures/node/stdio-first-use.mjs')],
      {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    expect(JSON.parse(out)).toEqual(['timer']);
  });

  it('in a real process with atCleanup: report, the leaks are reported but stay open', async () => {
    const host = startFixture('attribution-host.ts', ['report']);
    const line = await host.waitFor(/^\{/, 'stdout');
    const result = JSON.parse(line) as { leaks: Array<{ reclaimed: boolean }>; after: string[] };
    expect(result.leaks).toHaveLength(3);
    expect(result.leaks.every((l) => !l.reclaimed)).toBe(true);
    expect(result.after).toEqual(expect.arrayContaining(['Timeout', 'TCPServerWrap', 'ProcessWrap']));
    await new Promise((r) => setTimeout(r, 300));
    expect(host.child.exitCode).toBeNull(); // still running: the leaked handles keep it alive
    // The fixture then reclaims them through attributedHandles() of the destroyed plugin, and exits.
    expect((await host.exited).code).toBe(0);
  });
});
