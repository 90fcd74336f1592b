import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { type DurableEntry, pidExists, processIdentity, recover } from '../../src/node/index.js';
import { addLine, headerLine } from '../../src/node/journal-format.js';
import { eventually, groupMembers, SETTLE_MS } from './fixture-process.js';

const root = mkdtempSync(join(tmpdir(), 'steward-recover-test-'));
let n = 0;
const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0))
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

function freshDir(): string {
  const dir = join(root, `r${++n}`);
  mkdirSync(dir, { mode: 0o700 });
  return dir;
}

/** A pid that is certainly dead now (a process that ran and exited). */
function deadPid(): number {
  return spawnSync('true').pid;
}

function start(command: string, args: string[], detached = false): ChildProcess {
  const child = spawn(command, args, { stdio: 'ignore', detached });
  children.push(child);
  return child;
}

function exited(child: ChildProcess): Promise<unknown> {
  return child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : once(child, 'exit');
}

function writeJournal(
  dir: string,
  host: { pid: number; identity: string | undefined },
  entries: DurableEntry[],
  name = `host-${host.pid}-test-${++n}.jsonl`,
): string {
  const path = join(dir, name);
  const text =
    headerLine({ op: 'host', v: 1, ...host, app: 'test', startedAt: new Date().toISOString() }) +
    entries.map((e, i) => addLine(i + 1, e)).join('');
  writeFileSync(path, text, { mode: 0o600 });
  return path;
}

describe('recover()', () => {
  it("reclaims a dead host's files, folders, locks and processes, and deletes its journal", async () => {
    const dir = freshDir();
    const work = mkdtempSync(join(root, 'work-'));
    writeFileSync(join(work, 'data.bin'), 'x');
    const file = join(root, `file-${n}`);
    writeFileSync(file, 'x');
    const lock = join(root, `lock-${n}`);
    writeFileSync(lock, JSON.stringify({ pid: 1, token: 'tok-1' }));
    const victim = start('sleep', ['30']);
    const bystander = start('sleep', ['30']); // recorded with another start time: a reused pid
    const journal = writeJournal(dir, { pid: deadPid(), identity: 'linux:gone:1' }, [
      { kind: 'dir', path: work },
      { kind: 'file', path: file },
      { kind: 'lock', path: lock, token: 'tok-1' },
      {
        kind: 'process',
        pid: victim.pid!,
        identity: processIdentity(victim.pid!),
        group: false,
        command: 'sleep',
      },
      {
        kind: 'process',
        pid: bystander.pid!,
        identity: 'linux:other-boot:7',
        group: false,
        command: 'sleep',
      },
      { kind: 'file', path: join(root, 'never-existed') },
    ]);
    const report = await recover({ dir });
    expect(report.journals).toBe(1);
    expect(report.errors).toEqual([]);
    expect(existsSync(work)).toBe(false);
    expect(existsSync(file)).toBe(false);
    expect(existsSync(lock)).toBe(false);
    expect(report.removed.sort()).toEqual([file, lock, work].sort());
    expect(report.killed).toEqual([{ pid: victim.pid, command: 'sleep', signal: 'SIGTERM' }]);
    await exited(victim);
    expect(bystander.exitCode).toBeNull(); // never killed: not the recorded process
    expect(pidExists(bystander.pid!)).toBe(true);
    expect(report.gone).toBe(2); // the bystander entry and the file that never existed
    expect(existsSync(journal)).toBe(false);
  });

  it('leaves journals of live hosts alone, and of hosts it cannot identify', async () => {
    const dir = freshDir();
    const file = join(root, `kept-${n}`);
    writeFileSync(file, 'x');
    const other = start('sleep', ['30']);
    writeJournal(dir, { pid: process.pid, identity: processIdentity(process.pid) }, [
      { kind: 'file', path: file },
    ]);
    writeJournal(dir, { pid: other.pid!, identity: processIdentity(other.pid!) }, [
      { kind: 'file', path: file },
    ]);
    writeJournal(dir, { pid: other.pid!, identity: undefined }, [{ kind: 'file', path: file }]);
    const report = await recover({ dir });
    expect(report.liveHosts).toBe(3);
    expect(report.journals).toBe(0);
    expect(existsSync(file)).toBe(true);
    expect(readdirSync(dir)).toHaveLength(3);
  });

  it('treats a host pid that now names another process as dead', async () => {
    const dir = freshDir();
    const file = join(root, `reused-${n}`);
    writeFileSync(file, 'x');
    const other = start('sleep', ['30']);
    writeJournal(dir, { pid: other.pid!, identity: 'linux:an-older-boot:123' }, [
      { kind: 'file', path: file },
    ]);
    const report = await recover({ dir });
    expect(report.journals).toBe(1);
    expect(existsSync(file)).toBe(false);
    expect(other.exitCode).toBeNull();
  });

  it('kills a recorded process group, escalating to SIGKILL after graceMs', async () => {
    const dir = freshDir();
    // It says when its SIGTERM handler is installed (a fixed wait is not enough on a loaded machine).
    const stubborn = spawn(
      process.execPath,
      ['-e', "process.on('SIGTERM', () => {}); setInterval(() => {}, 1000); console.log('ready')"],
      { stdio: ['ignore', 'pipe', 'ignore'] },
    );
    children.push(stubborn);
    const group = start('sh', ['-c', 'sleep 30 & sleep 30 & wait'], true);
    await once(stubborn.stdout!, 'data');
    const grandchildren = () => groupMembers(group.pid!);
    expect(await eventually(() => grandchildren().length >= 3, SETTLE_MS)).toBe(true); // sh and its two sleeps
    writeJournal(dir, { pid: deadPid(), identity: 'linux:gone:1' }, [
      {
        kind: 'process',
        pid: stubborn.pid!,
        identity: processIdentity(stubborn.pid!),
        group: false,
        command: 'node',
      },
      { kind: 'process', pid: group.pid!, identity: processIdentity(group.pid!), group: true, command: 'sh' },
    ]);
    // sh dies of its SIGTERM well within the grace, even on a loaded machine; the stubborn node never does.
    const report = await recover({ dir, graceMs: 1000 });
    expect(report.errors).toEqual([]);
    expect(report.killed).toEqual(
      expect.arrayContaining([
        { pid: stubborn.pid, command: 'node', signal: 'SIGKILL' },
        { pid: group.pid, command: 'sh', signal: 'SIGTERM' },
      ]),
    );
    await exited(stubborn);
    expect(await eventually(() => grandchildren().length === 0, SETTLE_MS)).toBe(true);
  });

  it('does not remove a lock now held by someone else, nor protected paths', async () => {
    const dir = freshDir();
    const lock = join(root, `lock-held-${n}`);
    writeFileSync(lock, JSON.stringify({ pid: process.pid, token: 'someone-else' }));
    writeJournal(dir, { pid: deadPid(), identity: 'linux:gone:1' }, [
      { kind: 'lock', path: lock, token: 'mine' },
      { kind: 'dir', path: '/' },
      { kind: 'dir', path: homedir() },
      { kind: 'dir', path: dir },
      { kind: 'dir', path: 'relative/path' },
    ]);
    const report = await recover({ dir });
    expect(existsSync(lock)).toBe(true);
    const reasons = report.skipped.map((s) => s.reason);
    expect(reasons).toHaveLength(5);
    expect(reasons).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/now holds another token/),
        'refusing to delete protected path /',
        `refusing to delete protected path ${dir}`,
        `refusing to delete protected path ${homedir()}`,
        'refusing to delete protected path relative/path',
      ]),
    );
    expect(existsSync(dir)).toBe(true);
  });

  it('handles torn journals, stale compaction files and claims of other recoverers', async () => {
    const dir = freshDir();
    const dead = deadPid();
    const file = join(root, `torn-${n}`);
    writeFileSync(file, 'x');
    const torn = writeJournal(dir, { pid: dead, identity: 'linux:gone:1' }, [{ kind: 'file', path: file }]);
    writeFileSync(torn, '{"op":"add","id":9,"kind":"dir","path":"/tm', { flag: 'a' });
    writeFileSync(join(dir, `host-${dead}-x-empty.jsonl`), ''); // died before its header
    writeFileSync(join(dir, `host-${dead}-x-y.jsonl.compact`), 'partial');
    const sleeper = start('sleep', ['30']);
    const claimedByLive = join(dir, `host-${dead}-x-live.jsonl.recovering-${sleeper.pid}`);
    writeFileSync(
      claimedByLive,
      headerLine({ op: 'host', v: 1, pid: dead, identity: 'x', app: 't', startedAt: '' }),
    );
    const abandonedFile = join(root, `abandoned-${n}`);
    writeFileSync(abandonedFile, 'x');
    writeJournal(
      dir,
      { pid: dead, identity: 'linux:gone:1' },
      [{ kind: 'file', path: abandonedFile }],
      `host-${dead}-x-ab.jsonl.recovering-${deadPid()}`,
    );
    const report = await recover({ dir });
    expect(report.errors).toEqual([]);
    expect(existsSync(file)).toBe(false);
    expect(existsSync(abandonedFile)).toBe(false); // a dead recoverer's claim is taken over
    expect(readdirSync(dir)).toEqual([`host-${dead}-x-live.jsonl.recovering-${sleeper.pid}`]);
  });

  it('returns an empty report for a missing directory and refuses an unsafe one', async () => {
    const missing = join(root, 'does-not-exist');
    expect(await recover({ dir: missing })).toMatchObject({ journals: 0, removed: [], errors: [] });
    const open = freshDir();
    spawnSync('chmod', ['777', open]);
    await expect(recover({ dir: open })).rejects.toThrow(/writable by group or others/);
    await expect(recover({ graceMs: -1 })).rejects.toThrow(/graceMs/);
  });
});
