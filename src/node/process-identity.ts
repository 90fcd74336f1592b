/**
 * Process identity: a string naming one incarnation of a process (its pid plus its start
 * time), so a pid recorded by a crashed run is never confused with a later, unrelated
 * process that reused the number.
 *
 * - Linux: `linux:<boot id>:<start time in clock ticks since boot>` read from `/proc`
 *   (exact; the boot id makes identities from before a reboot never match).
 * - macOS, BSD: `ps:<start time>` from `ps -o lstart= -p <pid>` (one-second resolution).
 * - Windows, or when neither is readable: `undefined` — unknown. Callers never kill a
 *   process whose identity is unknown.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { nodeCrypto } from './lazy-crypto.js';

let bootId: string | undefined | null = null;

function linuxBootId(): string | undefined {
  if (bootId === null) {
    try {
      bootId = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim() || undefined;
    } catch {
      bootId = undefined;
    }
  }
  return bootId;
}

/**
 * Fields 3 onwards of `/proc/<pid>/stat` (the command name, field 2, may hold spaces and
 * parentheses, so the split starts after the last `)`): [0] is the state, [19] the start time.
 */
function linuxStat(pid: number): string[] | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  const close = stat.lastIndexOf(')');
  return close < 0 ? undefined : stat.slice(close + 2).split(' ');
}

function linuxStartTicks(pid: number): string | undefined {
  const ticks = linuxStat(pid)?.[19];
  return ticks !== undefined && /^\d+$/.test(ticks) ? ticks : undefined;
}

/** Linux: whether `pid` is a zombie (exited, not yet reaped): it holds nothing and cannot be killed. */
function isZombie(pid: number): boolean {
  if (process.platform !== 'linux') return false;
  const state = linuxStat(pid)?.[0];
  return state === 'Z' || state === 'X';
}

function psStartTime(pid: number): string | undefined {
  const result = spawnSync('ps', ['-o', 'lstart=', '-p', String(pid)], {
    encoding: 'utf8',
    env: { ...process.env, LC_ALL: 'C', TZ: 'UTC' },
    timeout: 2000,
  });
  if (result.status !== 0 || typeof result.stdout !== 'string') return undefined;
  const text = result.stdout.trim().replace(/\s+/g, ' ');
  return text.length > 0 ? text : undefined;
}

/**
 * The identity of process `pid`, or `undefined` if it does not exist or its start time
 * cannot be read on this platform. Two calls for the same live process return the same string.
 */
export function processIdentity(pid: number): string | undefined {
  if (!Number.isSafeInteger(pid) || pid <= 0) return undefined;
  if (process.platform === 'linux') {
    const boot = linuxBootId();
    const ticks = linuxStartTicks(pid);
    if (boot !== undefined && ticks !== undefined) return `linux:${boot}:${ticks}`;
    // /proc unreadable (hidepid, containers): fall through to ps.
  }
  if (process.platform === 'win32') return undefined;
  const start = psStartTime(pid);
  return start === undefined ? undefined : `ps:${start}`;
}

/**
 * Whether a running process has this pid (EPERM counts: it belongs to another user). On Linux a
 * zombie — exited, waiting to be reaped by its parent — does not count: it holds no resources.
 */
export function pidExists(pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  return !isZombie(pid);
}

/**
 * Whether the process recorded as (`pid`, `identity`) is still running:
 * - `alive`: the pid exists and its identity matches;
 * - `dead`: no such pid, or the pid now names another process (its identity differs);
 * - `unknown`: the pid exists but an identity is missing on either side — do not act on it.
 */
export function processLiveness(pid: number, identity: string | undefined): 'alive' | 'dead' | 'unknown' {
  if (!pidExists(pid)) return 'dead';
  if (identity === undefined) return 'unknown';
  const current = processIdentity(pid);
  if (current === undefined) return pidExists(pid) ? 'unknown' : 'dead';
  return current === identity ? 'alive' : 'dead';
}

/**
 * @internal A short, file-name-safe tag of the identity of process `pid` (12 hex digits of its
 * hash), or `x` when the identity is unknown. Journal and claim file names carry it, so a name
 * alone says which incarnation of a pid wrote it.
 */
export function identityTag(pid: number): string {
  const identity = processIdentity(pid);
  return identity === undefined
    ? 'x'
    : nodeCrypto().createHash('sha256').update(identity).digest('hex').slice(0, 12);
}

/**
 * @internal Whether the process a file name recorded as (`pid`, `tag`) may still be running:
 * false when the pid is gone, or now names another process (its tag differs); true when it
 * matches, or when either tag is unknown (`x`, or a name from before tags) — never judged dead
 * on a guess.
 */
export function taggedProcessAlive(pid: number, tag: string | undefined): boolean {
  if (!pidExists(pid)) return false;
  if (tag === undefined || tag === 'x') return true;
  const current = identityTag(pid);
  return current === 'x' || current === tag;
}
