/**
 * A process's tree as its parent sees it from outside, on Linux: its descendants (read from
 * `/proc`, so a grandchild that left the process group with `setsid` is still found) and its
 * resident memory and CPU time — for plugin processes, tracked children and reclaimed untracked
 * ones.
 * Elsewhere both answer "unknown" and the process group is all that is ended.
 */
import { closeSync, existsSync, openSync, readdirSync, readFileSync, readSync } from 'node:fs';

/**
 * Whether this process may read `/proc`. Under Node's permission model without a grant for it
 * (a plugin process with `permissions`), every read throws `ERR_ACCESS_DENIED` — even
 * `existsSync` — and would be reported as the plugin's own denied access: the scans below then
 * answer "unknown" without touching the file system, and the process group is what is ended
 * (the host, which can read `/proc`, ends the plugin's whole tree).
 */
export function procReadable(): boolean {
  // Fixed for the life of a process (its flags): asked once, not per /proc entry of a scan.
  if (readable === undefined) {
    const permission = (process as { permission?: { has(scope: string, reference?: string): boolean } })
      .permission;
    readable = permission === undefined || permission.has('fs.read', '/proc');
  }
  return readable;
}
let readable: boolean | undefined;

/**
 * The one buffer every `/proc/<pid>/environ` read goes through, grown to the largest seen, and
 * searched as bytes. Read with `readFileSync(…, 'latin1')` and split, each file cost a fresh
 * Buffer (`/proc` reports size 0: Node reads it in 16 KiB+ chunks, freed only at the next
 * collection) and a string per variable: a plugin process's end scans every process twice, and
 * 1,000 ends grew the host's malloc heap (`[heap]`) and V8's young generation by megabytes that
 * stayed resident (BENCHMARKS.md, issue 15).
 */
let environBuffer: Buffer | undefined;

/** Whether `/proc/<pid>/environ` holds `entry` (latin1 bytes) as one whole `NAME=value`. */
function environHolds(pid: number, entry: Buffer): boolean {
  let fd: number;
  try {
    fd = openSync(`/proc/${pid}/environ`, 'r');
  } catch {
    return false; // exited meanwhile, or another user's
  }
  let length = 0;
  let buffer = (environBuffer ??= Buffer.allocUnsafeSlow(16 * 1024));
  try {
    for (;;) {
      if (length === buffer.length) {
        const larger = Buffer.allocUnsafeSlow(buffer.length * 2);
        buffer.copy(larger, 0, 0, length);
        buffer = environBuffer = larger;
      }
      const read = readSync(fd, buffer, length, buffer.length - length, null);
      if (read === 0) break;
      length += read;
    }
  } catch {
    return false; // a kernel thread (ESRCH), or exited while read
  } finally {
    closeSync(fd);
  }
  // Only what was read: the reused buffer's tail holds an earlier, longer environment.
  const data = buffer.subarray(0, length);
  for (let at = data.indexOf(entry); at >= 0; at = data.indexOf(entry, at + 1)) {
    const starts = at === 0 || data[at - 1] === 0;
    const ends = at + entry.length === length || data[at + entry.length] === 0;
    if (starts && ends) return true;
  }
  return false;
}

/** One line of /proc/<pid>/stat from the state on: [0] state, [1] ppid, [2] process group. */
function statFields(pid: string | number): string[] | undefined {
  if (!procReadable()) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined; // exited meanwhile
  }
}

/**
 * Whether a process, or for a negative number a process group, still has a member that is not
 * a zombie (a zombie holds its pid until reaped, but runs nothing and holds no port).
 */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  if (!procReadable()) return true; // the signal test is all there is
  let entries: string[];
  try {
    entries = pid > 0 ? [String(pid)] : readdirSync('/proc').filter((e) => /^\d+$/.test(e));
  } catch {
    return true; // no /proc: the signal test is all there is
  }
  return entries.some((entry) => {
    const fields = statFields(entry);
    if (!fields || fields[0] === 'Z' || fields[0] === 'X') return false;
    return pid > 0 || Number(fields[2]) === -pid;
  });
}

/** Pids of every live descendant of `pid` (children first), or [] where `/proc` is not readable. */
export function descendants(pid: number): number[] {
  const out: number[] = [];
  if (!procReadable()) return out;
  let index: Map<number, number[]> | undefined;
  const queue = [pid];
  while (queue.length > 0) {
    const parent = queue.shift()!;
    let children = childrenOf(parent);
    if (children === undefined) {
      index ??= parentIndex();
      children = index.get(parent) ?? [];
    }
    for (const child of children) {
      out.push(child);
      queue.push(child);
    }
  }
  return out;
}

/** The children of `pid` from `/proc/<pid>/task/<tid>/children` (each thread's), if the kernel has it. */
function childrenOf(pid: number): number[] | undefined {
  let tasks: string[];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return existsSync('/proc/self') ? [] : undefined; // exited, or no /proc
  }
  const out: number[] = [];
  for (const task of tasks) {
    let text: string;
    try {
      text = readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT' && existsSync(`/proc/${pid}/task/${task}`)) {
        return undefined; // a kernel without the children file: scan /proc instead
      }
      continue;
    }
    for (const part of text.split(' ')) if (part.trim() !== '') out.push(Number(part));
  }
  return out;
}

/** Every process's children, from one scan of `/proc` (the fallback of {@link descendants}). */
function parentIndex(): Map<number, number[]> {
  const children = new Map<number, number[]>();
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return children;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const fields = statFields(entry);
    if (!fields) continue;
    const ppid = Number(fields[1]);
    const list = children.get(ppid);
    if (list) list.push(Number(entry));
    else children.set(ppid, [Number(entry)]);
  }
  return children;
}

/** Resident set size of `pid`, bytes, or undefined where `/proc` is not readable. */
export function residentBytes(pid: number): number | undefined {
  if (!procReadable()) return undefined;
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Clock ticks per second of `/proc/<pid>/stat`'s times: the kernel's USER_HZ, which Linux fixes at
 * 100 for the figures it exports to user space on every architecture Node runs on.
 */
const USER_HZ = 100;

/** CPU time `pid` has used (user + system, fields 14 and 15 of /proc/<pid>/stat), ms; undefined without /proc. */
export function cpuTimeMs(pid: number): number | undefined {
  const fields = statFields(pid);
  if (!fields) return undefined;
  // statFields starts at field 3 (state): utime is field 14, stime field 15.
  const ticks = Number(fields[11]) + Number(fields[12]);
  return Number.isFinite(ticks) ? (ticks * 1000) / USER_HZ : undefined;
}

/** Send `signal` to each pid, ignoring those already gone. */
export function signalAll(pids: readonly number[], signal: NodeJS.Signals): void {
  for (const pid of pids) {
    try {
      process.kill(pid, signal);
    } catch {
      // Already gone.
    }
  }
}

/**
 * Whether process `pid`'s environment holds the entry `entry` (`NAME=value`), read from
 * `/proc/<pid>/environ` (Linux; false elsewhere, or when it cannot be read: another user's).
 */
export function environHas(pid: number, entry: string): boolean {
  if (!procReadable()) return false;
  return environHolds(pid, Buffer.from(entry, 'latin1'));
}

/**
 * Pids of every live process (but this one) whose environment holds `entry` (`NAME=value`):
 * the descendants of a tree that left it — a daemon that double-forked away from its group and
 * parent — still inherit it. Linux only ([] elsewhere); processes of other users are not seen.
 */
export function withEnviron(entry: string): number[] {
  if (!procReadable()) return [];
  let names: string[];
  try {
    names = readdirSync('/proc');
  } catch {
    return [];
  }
  const bytes = Buffer.from(entry, 'latin1');
  const out: number[] = [];
  for (const name of names) {
    if (name.charCodeAt(0) < 48 || name.charCodeAt(0) > 57) continue;
    const pid = Number(name);
    if (pid === process.pid || !Number.isSafeInteger(pid)) continue;
    if (environHolds(pid, bytes)) out.push(pid);
  }
  return out;
}
