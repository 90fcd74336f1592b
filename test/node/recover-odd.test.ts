/**
 * Recovery next to entries it cannot read: a folder where a journal should be, a FIFO, a
 * journal this user may not read. Each is reported and left alone; the dead host's leftovers
 * are still reclaimed and a new host still starts. Real files, real processes, the real binary.
 */
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { processIdentity, recover } from '../../src/node/index.js';
import { addLine, headerLine } from '../../src/node/journal-format.js';
import { root as projectRoot, steward } from '../helpers/cli.js';
import { killAllFixtures, startFixture } from './fixture-process.js';

const root = mkdtempSync(join(tmpdir(), 'steward-recover-odd-'));
chmodSync(root, 0o755); // another user (below) must reach the journal folder inside
afterEach(() => killAllFixtures());
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;

/** A journal folder with a dead host's journal (its temp folder still there) beside `odd`. */
async function folderWithDeadHost(): Promise<{ dir: string; tempDir: string }> {
  const dir = join(root, `j${++n}`);
  const host = startFixture('durable-host.ts', [dir, 'no-watchdog']);
  const info = JSON.parse(await host.waitFor(/^\{/, 'stdout')) as { tempDir: string; childPid: number };
  host.child.kill('SIGKILL');
  await host.exited;
  try {
    process.kill(-info.childPid, 'SIGKILL'); // its child is not what this test is about
  } catch {}
  expect(existsSync(info.tempDir)).toBe(true);
  return { dir, tempDir: info.tempDir };
}

describe('recovery and entries it cannot read', () => {
  it('a folder and a FIFO where journals should be: reported, skipped, the rest recovered (steward recover)', async () => {
    const { dir, tempDir } = await folderWithDeadHost();
    const folder = join(dir, 'host-1-x.jsonl');
    mkdirSync(join(folder, 'inside'), { recursive: true });
    const fifo = join(dir, 'host-2-y.jsonl');
    execFileSync('mkfifo', [fifo]);
    const run = await steward(['recover', '--dir', dir]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(1); // something needs a look
    expect(run.stdout).toContain('1 journal(s) of dead hosts recovered');
    expect(run.stdout).toContain(`✗ ${folder} is a folder, not a journal`);
    expect(run.stdout).toContain(`✗ ${fifo} is not a regular file, not a journal`);
    expect(existsSync(tempDir)).toBe(false); // the dead host's folder was reclaimed all the same
    expect(existsSync(join(folder, 'inside'))).toBe(true); // the odd entries are left alone
    expect(existsSync(fifo)).toBe(true);
  });

  it('a new host starts beside a folder where a journal should be, and recovers the dead one', async () => {
    const { dir, tempDir } = await folderWithDeadHost();
    mkdirSync(join(dir, 'host-1-x.jsonl'));
    const host = startFixture('durable-host.ts', [dir, 'no-watchdog']);
    const info = JSON.parse(await host.waitFor(/^\{/, 'stdout')) as { pid: number; childPid: number };
    expect(info.pid).toBe(host.child.pid);
    expect(existsSync(tempDir)).toBe(false);
    host.child.kill('SIGKILL');
    await host.exited;
    try {
      process.kill(-info.childPid, 'SIGKILL');
    } catch {}
  });

  it('a journal this user may not read: reported as such, the others recovered', async () => {
    const dir = join(root, `u${++n}`);
    mkdirSync(dir, { mode: 0o700 });
    const dead = execFileSync('sh', ['-c', 'echo $$'], { encoding: 'utf8' }).trim();
    const scratch = join(root, `scratch-${n}`);
    mkdirSync(scratch);
    const leftover = join(scratch, 'leftover');
    writeFileSync(leftover, 'x');
    const journal = (name: string, path: string) =>
      writeFileSync(
        join(dir, name),
        headerLine({
          op: 'host',
          v: 1,
          pid: Number(dead),
          identity: 'linux:gone:1',
          app: 't',
          startedAt: '',
        }) + addLine(1, { kind: 'file', path }),
        { mode: 0o600 },
      );
    journal(`host-${dead}-a.jsonl`, leftover);
    journal(`host-${dead}-b.jsonl`, '/nonexistent/never');
    const locked = join(dir, `host-${dead}-b.jsonl`);
    chmodSync(locked, 0o000);
    let readable = true;
    try {
      readFileSync(locked);
    } catch {
      readable = false;
    }
    // As root, mode 000 does not deny reads: run the recoverer as an unprivileged user who owns
    // the folder (but not the locked journal), so the denial is real.
    const asUser = readable && process.getuid?.() === 0 ? 65534 : undefined;
    if (readable && asUser === undefined) return expect.fail('cannot make a file unreadable here');
    if (asUser !== undefined) {
      chownSync(dir, asUser, asUser);
      chownSync(scratch, asUser, asUser);
      chownSync(leftover, asUser, asUser);
      chownSync(join(dir, `host-${dead}-a.jsonl`), asUser, asUser);
    }
    const child = spawn(process.execPath, [join(projectRoot, 'dist/cli/main.js'), 'recover', '--dir', dir], {
      ...(asUser !== undefined ? { uid: asUser, gid: asUser } : {}),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (out += c));
    const [code] = (await once(child, 'close')) as [number];
    expect(out).toContain(`✗ ${locked} cannot be read (EACCES): this user may not read it`);
    expect(out).toContain('1 journal(s) of dead hosts recovered');
    expect(code).toBe(1);
    expect(existsSync(leftover)).toBe(false);
    expect(existsSync(locked)).toBe(true);
  });
});

describe('process identity in names', () => {
  it('a claim left by a recoverer whose pid now names another process is taken over', async () => {
    const dir = join(root, `c${++n}`);
    mkdirSync(dir, { mode: 0o700 });
    const leftover = join(root, `claimed-${n}`);
    writeFileSync(leftover, 'x');
    // The claim names a live pid (this test's) with another incarnation's tag: a reused pid.
    const name = `host-999999-a.jsonl.recovering-${process.pid}-0123456789ab`;
    writeFileSync(
      join(dir, name),
      headerLine({ op: 'host', v: 1, pid: 999999, identity: 'linux:gone:1', app: 't', startedAt: '' }) +
        addLine(1, { kind: 'file', path: leftover }),
      { mode: 0o600 },
    );
    expect(processIdentity(process.pid)).toBeDefined();
    const report = await recover({ dir });
    expect(report.journals).toBe(1);
    expect(existsSync(leftover)).toBe(false);
  });

  it('a journal torn before its header is judged by the pid and identity tag in its name', async () => {
    const dir = join(root, `t${++n}`);
    mkdirSync(dir, { mode: 0o700 });
    const other = spawn('sleep', ['30'], { stdio: 'ignore' });
    try {
      // A live pid with another incarnation's tag: the host that wrote it is dead (pid reused).
      writeFileSync(join(dir, `host-${other.pid}-i0123456789ab-x-1.jsonl`), '');
      // The same live pid, identity unknown: never judged dead on a guess.
      writeFileSync(join(dir, `host-${other.pid}-ix-x-2.jsonl`), '');
      const report = await recover({ dir });
      expect(report.journals).toBe(1);
      expect(readdirSync(dir)).toEqual([`host-${other.pid}-ix-x-2.jsonl`]);
    } finally {
      other.kill('SIGKILL');
    }
  });
});
