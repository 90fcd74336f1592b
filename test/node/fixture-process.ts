/**
 * Test helper: run a fixture of test/fixtures/node in a real child process
 * (`node --import tsx <fixture>`), read its output line by line, signal it, await its exit.
 * Every started fixture is killed by `killAllFixtures()` (call it in afterEach).
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pidExists } from '../../src/node/process-identity.js';

/** Directory of the fixtures. */
export const FIXTURES = join(import.meta.dirname, '../fixtures/node');
/** Repository root (where `tsx` resolves). */
export const ROOT = join(import.meta.dirname, '../..');

/** A running fixture. */
export interface Fixture {
  readonly child: ChildProcess;
  /** Everything written to stdout / stderr so far. */
  stdout(): string;
  stderr(): string;
  /** Resolve with the first stdout or stderr line matching `pattern` (rejects if the process exits first). */
  waitFor(pattern: RegExp, stream?: 'stdout' | 'stderr'): Promise<string>;
  /** Resolves with the exit code and signal. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const running = new Set<ChildProcess>();

/** Start `fixture` with `args`. */
export function startFixture(
  fixture: string,
  args: readonly string[] = [],
  env: NodeJS.ProcessEnv = {},
  /** Node's own options; the default loads tsx, `[]` runs a built file as a user would. */
  nodeArgs: readonly string[] = ['--import', 'tsx'],
): Fixture {
  const child = spawn(process.execPath, [...nodeArgs, join(FIXTURES, fixture), ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  running.add(child);
  const out = { stdout: '', stderr: '' };
  const waiters: Array<{
    pattern: RegExp;
    stream: 'stdout' | 'stderr' | undefined;
    resolve: (line: string) => void;
  }> = [];
  const check = (): void => {
    for (const waiter of [...waiters]) {
      const streams = waiter.stream ? [waiter.stream] : (['stdout', 'stderr'] as const);
      for (const stream of streams) {
        const line = out[stream].split('\n').find((l) => waiter.pattern.test(l));
        if (line !== undefined) {
          waiters.splice(waiters.indexOf(waiter), 1);
          waiter.resolve(line);
          break;
        }
      }
    }
  };
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    out.stdout += chunk;
    check();
  });
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    out.stderr += chunk;
    check();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('close', (code, signal) => {
      running.delete(child);
      resolve({ code, signal });
    });
  });
  return {
    child,
    stdout: () => out.stdout,
    stderr: () => out.stderr,
    waitFor: (pattern, stream) =>
      new Promise<string>((resolve, reject) => {
        waiters.push({ pattern, stream, resolve });
        check();
        void exited.then(() => {
          check();
          reject(
            new Error(
              `fixture ${fixture} exited before printing ${pattern}\nstdout:\n${out.stdout}\nstderr:\n${out.stderr}`,
            ),
          );
        });
      }),
    exited,
  };
}

/** Kill every fixture still running. */
export function killAllFixtures(): void {
  for (const child of running) child.kill('SIGKILL');
  running.clear();
}

/**
 * How long `eventually` waits for something that must happen (a process to die, a file to
 * appear): a bound against hanging, not a speed claim — generous, so a loaded machine does not
 * fail a test that is right. (A test that needs "fast" measures it in a benchmark instead.)
 */
export const SETTLE_MS = 10_000;

/** Poll `condition` every 20 ms until it holds or `ms` passed; resolves with whether it held. */
export async function eventually(condition: () => boolean, ms: number): Promise<boolean> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (condition()) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return condition();
}

/** Pids of the live (not zombie) members of process group `pgid`. */
export function groupMembers(pgid: number): number[] {
  const out = spawnSync('ps', ['-eo', 'pid=,pgid=,stat='], { encoding: 'utf8' }).stdout;
  return out
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .filter(([, group, stat]) => Number(group) === pgid && stat !== undefined && !stat.startsWith('Z'))
    .map(([pid]) => Number(pid));
}

/**
 * Linux: live processes (not zombies) whose environment holds `pair` (`NAME=value`) — a run's
 * tag passed to a fixture reaches everything it started, pid known or not. Elsewhere: [].
 */
export function processesWithEnv(pair: string): number[] {
  if (process.platform !== 'linux') return [];
  const found: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${name}/environ`, 'latin1').split('\0').includes(pair))
        found.push(Number(name));
    } catch {
      // gone, or another user's
    }
  }
  return found.filter(pidExists);
}
