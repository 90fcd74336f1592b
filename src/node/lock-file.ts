/**
 * Lock files: a file created exclusively (`O_EXCL`) whose content names its holder (pid,
 * process identity, a random token). A lock whose holder is dead — its pid gone or reused by
 * another process — is stale and taken over; a lock of a live holder is refused with
 * `LockHeldError`. Releasing removes the file only if it still holds our token.
 */
import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { StewardError } from '../core/index.js';
import { processIdentity, processLiveness } from './process-identity.js';

/** Thrown when a lock file is held by a live process. Code `STEWARD_LOCK_HELD`. */
export class LockHeldError extends StewardError {
  /** The code of this class's errors. */
  static override readonly code = 'STEWARD_LOCK_HELD';
  override name = 'LockHeldError';
  constructor(
    /** The lock file. */
    readonly path: string,
    /** Pid of the holder, if the file says. */
    readonly holderPid: number | undefined,
  ) {
    super(
      `Lock ${path} is held by ${holderPid === undefined ? 'another process' : `process ${holderPid}`}, which is alive. ` +
        'Wait for it to release the lock, or stop that process; a lock of a dead process is taken over automatically.',
    );
  }
}

interface LockContent {
  pid?: unknown;
  identity?: unknown;
  token?: unknown;
}

/** The content written into a lock file held by this process with `token`. */
export function lockContent(token: string): string {
  return (
    JSON.stringify({
      pid: process.pid,
      identity: processIdentity(process.pid),
      token,
      createdAt: new Date().toISOString(),
    }) + '\n'
  );
}

function readHolder(path: string): LockContent | undefined {
  try {
    const parsed: unknown = JSON.parse(readFileSync(path, 'utf8'));
    return parsed !== null && typeof parsed === 'object' ? (parsed as LockContent) : {};
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    return {}; // unreadable or half-written: treat as held by an unknown, live holder
  }
}

function createExclusive(path: string, content: string): boolean {
  let fd: number;
  try {
    fd = openSync(path, 'wx', 0o644);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
  try {
    writeSync(fd, content);
  } finally {
    closeSync(fd);
  }
  return true;
}

/**
 * Create the lock file at `path` holding `token`. Takes over a stale lock (dead holder).
 * Throws `LockHeldError` if a live (or unidentifiable) process holds it, or the fs error.
 */
export function acquireLockFile(path: string, token: string): void {
  const content = lockContent(token);
  for (let attempt = 0; attempt < 2; attempt++) {
    if (createExclusive(path, content)) return;
    const holder = readHolder(path);
    if (holder === undefined) continue; // released meanwhile: try again
    const pid = typeof holder.pid === 'number' ? holder.pid : undefined;
    const identity = typeof holder.identity === 'string' ? holder.identity : undefined;
    if (pid === undefined || processLiveness(pid, identity) !== 'dead') throw new LockHeldError(path, pid);
    // Stale: remove it only if it is still the same stale content, then retry.
    if (readHolder(path)?.token === holder.token) rmSync(path, { force: true });
  }
  throw new LockHeldError(path, undefined);
}

/** Remove the lock file at `path` if it still holds `token`. Returns whether it was removed. */
export function releaseLockFile(path: string, token: string): boolean {
  const holder = readHolder(path);
  if (holder?.token !== token) return false;
  rmSync(path, { force: true });
  return true;
}
