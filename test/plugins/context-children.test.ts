/**
 * ctx.spawn / fork / exec / execFile: Node's contract (output, errors, timeout, IPC) on tracked
 * children — own process group, journaled, watched, ended with the plugin, leaving the ledger
 * when they exit by themselves. Checked on real processes by pid and process group.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ResourceManager } from '../../src/core/index.js';
import { childWatchdog, pidExists } from '../../src/node/index.js';
import { Journal } from '../../src/node/journal.js';
import { pluginChildren } from '../../src/plugins/context-children.js';
import { eventually, groupMembers, SETTLE_MS } from '../node/fixture-process.js';

let dir: string;
let manager: ResourceManager;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'steward-ctx-children-'));
  manager = new ResourceManager();
});
afterEach(async () => {
  await manager.dispose({ force: true });
  rmSync(dir, { recursive: true, force: true });
});

function setup() {
  const component = manager.register({}, 'plugin', { type: 'plugin' });
  const journal = Journal.open({ dir: join(dir, 'journal'), fsync: false });
  const children = pluginChildren(component, { journal: () => journal, watchdog: true });
  return { component, journal, children };
}

function run<T>(start: (cb: (e: unknown, out: string, err: string) => void) => T) {
  return new Promise<{ error: unknown; stdout: string; stderr: string; child: T }>((resolve) => {
    const child: T = start((error, stdout, stderr) => resolve({ error, stdout, stderr, child }));
  });
}

describe('ctx child processes', () => {
  it('exec and execFile give output and errors as Node does', async () => {
    const { children, component } = setup();
    const ok = await run((cb) => children.exec('echo out; echo err >&2', cb));
    expect(ok).toMatchObject({ error: null, stdout: 'out\n', stderr: 'err\n' });
    const failed = await run((cb) => children.execFile('sh', ['-c', 'echo nope >&2; exit 3'], cb));
    expect(failed.error).toMatchObject({ code: 3, killed: false, cmd: 'sh -c echo nope >&2; exit 3' });
    expect((failed.error as Error).message).toMatch(/Command failed: .*\nnope/);
    const timedOut = await run((cb) => children.execFile('sleep', ['30'], { timeout: 100 }, cb));
    expect(timedOut.error).toMatchObject({ killed: true, signal: 'SIGTERM' });
    const big = await run((cb) => children.exec('head -c 5000 /dev/zero', { maxBuffer: 1000 }, cb));
    expect(big.error).toMatchObject({ code: 'ERR_CHILD_PROCESS_STDIO_MAXBUFFER' });
    const missing = await run((cb) => children.execFile('/no/such/program', cb));
    expect(missing.error).toMatchObject({ code: 'ENOENT' });
    // Children that ended by themselves left the ledger.
    expect(await eventually(() => component.resourceCount === 0, SETTLE_MS)).toBe(true);
  });

  it('fork opens an IPC channel; every kind leads its own group, is journaled and watched, and dies with the plugin — grandchildren too', async () => {
    const { children, component, journal } = setup();
    const module = join(dir, 'echo.cjs');
    writeFileSync(module, "process.on('message', (m) => process.send(m + '!'));");
    const forked = children.fork(module, [], { stdio: 'ignore' });
    const answer = await new Promise((resolve) => {
      forked.once('message', resolve);
      forked.send('hi');
    });
    expect(answer).toBe('hi!');
    const shell = children.exec('sleep 300 & sleep 301 & wait', () => {});
    const spawned = children.spawn('sleep', ['302']);
    const file = children.execFile('sleep', ['303'], () => {});
    const pids = [forked, shell, spawned, file].map((c) => c.pid!);
    expect(await eventually(() => groupMembers(shell.pid!).length === 3, SETTLE_MS)).toBe(true);
    for (const pid of pids) expect(groupMembers(pid)).toContain(pid); // each leads its group
    const journaled = [...journal.entries().values()].map((e) => (e.kind === 'process' ? e.pid : 0));
    expect(journaled.sort()).toEqual([...pids].sort());
    for (const pid of pids) expect(childWatchdog().watchedPids()).toContain(pid);
    expect(component.resourceCount).toBe(4);

    await component.cleanup({ force: true });
    for (const pid of pids) {
      expect(await eventually(() => !pidExists(pid) && groupMembers(pid).length === 0, SETTLE_MS)).toBe(true);
    }
    expect(journal.entries().size).toBe(0);
    journal.close();
    expect(readdirSync(join(dir, 'journal'))).toEqual([]); // nothing left: the file is gone
  });

  it('spawns nothing for a cleaned-up plugin, and rejects a bad grace period', async () => {
    const { children, component } = setup();
    expect(() => children.spawn('sleep', ['1'], { killGraceMs: -1 })).toThrow(
      /killGraceMs must be a number >= 0/,
    );
    await component.cleanup();
    expect(() => children.spawn('sleep', ['1'])).toThrow(/Cannot spawn "sleep" in component/);
    expect(() => children.exec('sleep 1')).toThrow(/Cannot run "sleep 1" in component/);
  });
});

describe('the child watchdog', () => {
  it('ready() resolves once it listens; guardJournals() rejects a path it could not send', async () => {
    expect(await childWatchdog().ready()).toBe(true);
    expect(childWatchdog().pid).toBeGreaterThan(0);
    expect(() => childWatchdog().guardJournals('a\nb')).toThrow(/non-empty path on one line/);
    const journalDir = join(dir, 'guarded');
    childWatchdog().guardJournals(journalDir);
    expect(childWatchdog().journalDirs()).toContain(journalDir);
    // The journal directory stays readable for the watchdog: a journal there is plain JSONL.
    const journal = Journal.open({ dir: journalDir, label: 'w1', fsync: false });
    expect(journal.path).toMatch(new RegExp(`host-${process.pid}-i[^-]+-w1-[^/]+\\.jsonl$`));
    expect(readFileSync(journal.path, 'utf8')).toMatch(/"op":"host"/);
    journal.close();
    expect(() => Journal.open({ dir: journalDir, label: 'bad label' })).toThrow(/label must be 1-32/);
  });
});
