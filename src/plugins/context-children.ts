/**
 * The child processes of `ctx`: `spawn`, `fork`, `exec` and `execFile`, as in
 * `node:child_process`, but every child is a tracked child (see `trackChild`, steward/node):
 *
 * - it leads its own process group (POSIX), so ending it ends what it started (`sh -c`, npm);
 * - it bears the host's mark in its environment (see `child-token.ts`, steward/node), so the
 *   watchdog finds it, and every descendant, even if the host dies inside `spawn()`;
 * - it is recorded in the host's journal and guarded by the child watchdog before the call
 *   returns, so a host killed with SIGKILL the next instant still has it killed — from the
 *   main thread (inline plugins) and from a worker thread (worker plugins) alike;
 * - it is ended at deactivation: SIGTERM to its group, SIGKILL after `killGraceMs` (2 s);
 * - when it exits by itself it leaves the ledger (and the journal) by itself.
 *
 * `exec` and `execFile` keep Node's contract (callback with stdout and stderr, `maxBuffer`,
 * `timeout`, `encoding`, errors with `code`, `signal`, `killed` and `cmd`), but are built on
 * `spawn`: Node's own ignore `detached`, which the group needs.
 */
import {
  type ChildProcess,
  type ExecException,
  type ExecFileOptions,
  type ExecOptions,
  type ForkOptions,
  fork as forkChild,
  type SpawnOptions,
  spawn as spawnChild,
} from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { type Component, StewardRangeError, StewardTypeError, UseAfterCleanupError } from '../core/index.js';
import { safeClearTimeout, safeSetTimeout } from '../core/intrinsics.js';
import { markedEnv } from '../node/child-token.js';
import type { Journal } from '../node/journal.js';
import { trackChild } from '../node/spawn.js';

/** How the children of a context are guarded: the journal they go to, and whether this thread's watchdog pipe is used. */
export interface ChildGuard {
  /** The journal children are recorded in (opened on first use), or undefined for none. */
  journal(): Journal | undefined;
  /**
   * Whether to also hand children to this thread's watchdog pipe. True on the host's main
   * thread; false in a worker thread, whose children the main thread's watchdog finds in the
   * journal instead (a watchdog of its own would cost a process per worker).
   */
  readonly watchdog: boolean;
  /**
   * Runs Steward's own bookkeeping of a child (the journal, the child's identity from `/proc`):
   * in a plugin process, with the audit hooks silent, so it is not taken for the plugin's access.
   */
  readonly quiet?: <R>(fn: () => R) => R;
}

/** Extra option of every `ctx` child: how long release waits after SIGTERM before SIGKILL, ms. Default 2000. */
export interface ChildGrace {
  readonly killGraceMs?: number;
}

/** Callback of `ctx.exec` / `ctx.execFile`, as Node's with a string encoding. */
export type ExecCallback = (error: ExecException | null, stdout: string, stderr: string) => void;

/** The child-process members of `ctx`. */
export interface PluginChildren {
  /** `child_process.spawn`, tracked (see the module comment). */
  spawn(command: string, args?: readonly string[], options?: SpawnOptions & ChildGrace): ChildProcess;
  /** `child_process.fork` (an IPC channel to a Node module), tracked. */
  fork(modulePath: string | URL, args?: readonly string[], options?: ForkOptions & ChildGrace): ChildProcess;
  /** `child_process.exec` (a shell command line), tracked; the callback gets its output. */
  exec(command: string, callback: ExecCallback): ChildProcess;
  /** `child_process.exec` (a shell command line), tracked; the callback gets its output. */
  exec(
    command: string,
    options?: ExecOptions & ChildGrace & { encoding?: BufferEncoding },
    callback?: ExecCallback,
  ): ChildProcess;
  /** `child_process.execFile` (no shell), tracked; the callback gets its output. */
  execFile(file: string, callback: ExecCallback): ChildProcess;
  /** `child_process.execFile` with arguments, tracked; the callback gets its output. */
  execFile(file: string, args: readonly string[], callback: ExecCallback): ChildProcess;
  /** `child_process.execFile` (no shell), tracked; the callback gets its output. */
  execFile(
    file: string,
    args?: readonly string[],
    options?: ExecFileOptions & ChildGrace & { encoding?: BufferEncoding },
    callback?: ExecCallback,
  ): ChildProcess;
}

function grace(options: ChildGrace | undefined, where: string): number {
  const ms = options?.killGraceMs ?? 2000;
  if (!(typeof ms === 'number' && Number.isFinite(ms) && ms >= 0)) {
    throw new StewardRangeError(`ctx.${where}(): killGraceMs must be a number >= 0 (got ${String(ms)}).`);
  }
  return ms;
}

function checkArgs(args: unknown, where: string): readonly string[] {
  if (!Array.isArray(args)) {
    throw new StewardTypeError(`ctx.${where}(): args must be an array of strings (got ${typeof args}).`);
  }
  return args as readonly string[];
}

/** The `ctx` child-process members of one activation, owned by `component`. */
export function pluginChildren(component: Component, guard: ChildGuard): PluginChildren {
  const defaultGroup = process.platform !== 'win32';
  // Checked before anything starts: a cleaned-up component spawns nothing.
  const live = (what: string): void => {
    if (component.disposed) {
      throw new UseAfterCleanupError(component.id, component.state, what, component._cleanedAt);
    }
  };
  const quiet = guard.quiet ?? (<R>(fn: () => R): R => fn());
  const adopt = (child: ChildProcess, group: boolean, killGraceMs: number): ChildProcess => {
    const handle = quiet(() => {
      const journal = guard.journal();
      return trackChild(component, child, {
        group,
        // Without a journal, this thread's own watchdog is the guard.
        watchdog: guard.watchdog || journal === undefined,
        killTimeoutMs: killGraceMs,
        ...optional('journal', journal),
        metadata: { command: child.spawnfile, pid: child.pid },
      });
    });
    // A child that ends by itself leaves the ledger by itself.
    const leave = (): void => void handle.untrackAndLeak();
    child.once('exit', leave);
    child.once('error', leave);
    return child;
  };

  const execFileLike = (
    where: string,
    file: string,
    args: readonly string[],
    options: ExecOptionsOf<ExecFileOptions> | undefined,
    callback: ExecCallback | undefined,
    shell: boolean,
  ): ChildProcess => {
    const o = options ?? {};
    const killGraceMs = grace(o, where);
    const { encoding = 'utf8', maxBuffer = 1024 * 1024, timeout = 0, killSignal = 'SIGTERM' } = o;
    live(`run "${file}" in`);
    const group = defaultGroup;
    const child = spawnChild(file, [...args], {
      ...pick(o, ['cwd', 'env', 'uid', 'gid', 'windowsHide', 'windowsVerbatimArguments', 'signal']),
      ...(shell ? { shell: typeof o.shell === 'string' ? o.shell : true } : pick(o, ['shell'])),
      detached: group,
      env: markedEnv(o.env),
      stdio: 'pipe',
    });
    adopt(child, group, killGraceMs);
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let bytes = 0;
    let failure: Error | undefined;
    let killed = false;
    const kill = (): void => {
      killed = true;
      try {
        if (group && child.pid !== undefined) process.kill(-child.pid, killSignal);
        else child.kill(killSignal);
      } catch {
        // Already gone.
      }
    };
    const collect = (into: Buffer[], name: string) => (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes > maxBuffer && failure === undefined) {
        // steward-allow-plain-error: Node's own error for this (execFile's contract), not Steward's
        failure = Object.assign(new RangeError(`${name} maxBuffer length exceeded`), {
          code: 'ERR_CHILD_PROCESS_STDIO_MAXBUFFER',
        });
        kill();
        return;
      }
      into.push(chunk);
    };
    child.stdout?.on('data', collect(out, 'stdout'));
    child.stderr?.on('data', collect(err, 'stderr'));
    const timer = timeout > 0 ? safeSetTimeout(kill, timeout) : undefined;
    const cmd = [file, ...args].join(' ');
    let done = false;
    const finish = (code: number | null, signal: NodeJS.Signals | null, error?: Error): void => {
      if (done) return;
      done = true;
      safeClearTimeout(timer);
      const stdout = Buffer.concat(out).toString(encoding);
      const stderr = Buffer.concat(err).toString(encoding);
      let result: ExecException | null = null;
      const problem = error ?? failure;
      if (problem !== undefined || code !== 0) {
        // steward-allow-plain-error: Node's exec error shape (code, signal, cmd), as execFile builds it
        const base = problem ?? new Error(`Command failed: ${cmd}${stderr ? `\n${stderr}` : ''}`);
        result = Object.assign(base, {
          cmd,
          killed,
          ...(problem === undefined ? { code: code ?? undefined, signal: signal ?? undefined } : {}),
        }) as ExecException;
      }
      callback?.(result, stdout, stderr);
    };
    child.once('error', (error) => finish(null, null, error));
    child.once('close', (code, signal) => finish(code, signal));
    return child;
  };

  return {
    spawn(command, args = [], options = {}) {
      const killGraceMs = grace(options, 'spawn');
      const { killGraceMs: _, ...spawnOptions } = options;
      live(`spawn "${command}" in`);
      const group = spawnOptions.detached ?? defaultGroup;
      const child = spawnChild(command, [...checkArgs(args, 'spawn')], {
        ...spawnOptions,
        detached: group,
        env: markedEnv(spawnOptions.env),
      });
      return adopt(child, group, killGraceMs);
    },
    fork(modulePath, args = [], options = {}) {
      const killGraceMs = grace(options, 'fork');
      const { killGraceMs: _, ...forkOptions } = options;
      const path = modulePath instanceof URL ? fileURLToPath(modulePath) : modulePath;
      live(`fork "${path}" in`);
      const group = forkOptions.detached ?? defaultGroup;
      const child = forkChild(path, [...checkArgs(args, 'fork')], {
        ...forkOptions,
        detached: group,
        env: markedEnv(forkOptions.env),
      });
      return adopt(child, group, killGraceMs);
    },
    exec(command: string, options?: unknown, callback?: ExecCallback) {
      if (typeof options === 'function') {
        return execFileLike('exec', command, [], {}, options as ExecCallback, true);
      }
      return execFileLike('exec', command, [], options as ExecOptionsOf<ExecOptions>, callback, true);
    },
    execFile(file: string, args?: unknown, options?: unknown, callback?: ExecCallback) {
      // Node's shapes: (file, callback), (file, options, callback), (file, args, callback).
      if (typeof args === 'function')
        return execFileLike('execFile', file, [], {}, args as ExecCallback, false);
      if (args !== undefined && !Array.isArray(args)) {
        const cb = typeof options === 'function' ? (options as ExecCallback) : callback;
        return execFileLike('execFile', file, [], args as ExecOptionsOf<ExecFileOptions>, cb, false);
      }
      if (typeof options === 'function') {
        return execFileLike(
          'execFile',
          file,
          (args ?? []) as readonly string[],
          {},
          options as ExecCallback,
          false,
        );
      }
      return execFileLike(
        'execFile',
        file,
        checkArgs(args ?? [], 'execFile'),
        options as ExecOptionsOf<ExecFileOptions> | undefined,
        callback,
        false,
      );
    },
  };
}

type ExecOptionsOf<T> = T & ChildGrace & { encoding?: BufferEncoding };

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

function pick<T extends object, K extends keyof T>(object: T, keys: readonly K[]): Partial<Pick<T, K>> {
  const out: Partial<Pick<T, K>> = {};
  for (const key of keys) if (object[key] !== undefined) out[key] = object[key];
  return out;
}
