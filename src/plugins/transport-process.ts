/**
 * The process transport: a plugin in a child Node process of its own (`process-entry.ts`, run
 * from the one CommonJS file `npm run build` bundles it into: `dist/plugins/process-entry.cjs`), its
 * messages over IPC (structured clone, as a worker's), the leader of its own process group.
 *
 * - Memory: `--max-old-space-size` from the manifest's `memoryLimit` (and a young generation in
 *   proportion, `semiSpaceMb`), and an RSS watch from
 *   outside (Buffers and native memory escape the heap cap): past the limit above what the
 *   process used once the plugin was imported, it is killed and fails as out of memory.
 * - Permissions: a manifest's `permissions` become Node's permission-model flags.
 * - Ending: the whole tree — SIGTERM to the group and to every descendant found outside it, SIGKILL
 *   after the grace period. The process-wide watchdog kills the group if the host dies, even
 *   by SIGKILL; the plugin process itself also exits when its IPC channel closes.
 * - Its stdout and stderr lines go to the plugin's log (`info`, `warn`).
 */

import { fork } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import nodeModule from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StewardError } from '../core/index.js';
import { runOutsideComponents } from '../node/attribution-context.js';
import { markedEnv, newTreeMark, TREE_MARK_ENV } from '../node/child-token.js';
import { processIdentity } from '../node/process-identity.js';
import { childWatchdog } from '../node/watchdog.js';
import type { LogLevel } from './logger.js';
import { permissionArgs, within } from './permissions.js';
import { alive, cpuTimeMs, descendants, residentBytes, signalAll, withEnviron } from './process-tree.js';
import { deserializeError, type SerializedError } from './rpc.js';
import type { TransportFactory } from './runtime-remote.js';
import { compiledEntry, MIN_HEAP_MB } from './transport-worker.js';

/** Time a plugin process gets between SIGTERM and SIGKILL when it is ended, ms. */
export const PROCESS_KILL_GRACE_MS = 2000;

/** Longest interval between two looks at a plugin process's resident memory, ms. */
const RSS_WATCH_MS = 250;

const NATIVE: Readonly<Record<string, string>> = {
  SIGABRT: ' (a native crash: process.abort(), a failed assertion or a fatal error in native code)',
  SIGSEGV: ' (a native crash: invalid memory access)',
  SIGBUS: ' (a native crash: bus error)',
  SIGILL: ' (a native crash: illegal instruction)',
  SIGKILL: " (killed from outside, or by the system's out-of-memory killer)",
};

/** Starts the plugin in a forked Node process booted by its first IPC message. */
export const processTransport: TransportFactory = (init, boot, events) => {
  const { manifest, memoryLimit } = init;
  const id = manifest.id;
  const enforced = init.permissions !== undefined && init.permissionMode === 'enforce';
  const heapMb = memoryLimit ? Math.max(MIN_HEAP_MB, Math.ceil(memoryLimit.bytes / 2 ** 20)) : undefined;
  const execArgv = [
    ...(init.execArgv ?? inheritedExecArgv(manifest.entry)),
    ...(heapMb !== undefined
      ? [`--max-old-space-size=${heapMb}`, `--max-semi-space-size=${semiSpaceMb(heapMb)}`]
      : []),
    ...(enforced ? permissionArgs(manifest, init.permissions!) : []),
  ];
  // Node grants a folder and everything under it only if the folder exists when the process
  // starts (else it grants that one path): the storage folder is made first.
  const granted = init.permissions;
  if (granted && [...granted.read, ...granted.write].some((p) => within(p, init.storageDir))) {
    mkdirSync(init.storageDir, { recursive: true });
  }
  const group = process.platform !== 'win32';
  // The tree's own mark: ending it finds what left the group and its parent (a daemon) too.
  const tree = `${TREE_MARK_ENV}=${newTreeMark()}`;
  const child = runOutsideComponents(() =>
    fork(compiledEntry('process-entry.cjs', 'Process'), [], {
      execArgv,
      serialization: 'advanced',
      detached: group,
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      env: { ...childEnv(enforced), [TREE_MARK_ENV]: tree.slice(TREE_MARK_ENV.length + 1) },
    }),
  );
  const pid = child.pid;
  const log = (level: LogLevel, message: string): void =>
    init.log({ level, plugin: id, message, args: [], time: Date.now() });

  let fatal: SerializedError | undefined;
  let overLimit: string | undefined;
  let stderrTail = '';
  let reportedRss: number | undefined;
  let rssLimit: number | undefined;

  if (pid !== undefined) childWatchdog().watch(pid, processIdentity(pid), group);
  lines(child.stdout, (line) => log('info', line));
  lines(child.stderr, (line) => {
    stderrTail = `${stderrTail}\n${line}`.slice(-4096);
    log('warn', line);
  });
  child.on('message', (message: { t?: string; error?: SerializedError; process?: { rss: number } }) => {
    if (message?.t === 'fatal') {
      fatal = message.error;
      return;
    }
    if (message?.t === 'sync' && message.process) reportedRss = message.process.rss;
    if (message?.t === 'loaded' && memoryLimit && pid !== undefined) {
      const baseline = residentBytes(pid) ?? reportedRss ?? 0;
      rssLimit = baseline + memoryLimit.bytes;
    }
    events.message(message);
  });

  // The RSS watch: from outside, so a plugin spinning in a loop is caught too.
  const interval = Math.max(10, Math.min(init.statsIntervalMs ?? RSS_WATCH_MS, RSS_WATCH_MS));
  const watch = setInterval(() => {
    if (pid === undefined || rssLimit === undefined || overLimit !== undefined) return;
    // A process that must go at once: its whole group, wherever it is in its work.
    const rss = residentBytes(pid) ?? reportedRss;
    if (rss === undefined || rss <= rssLimit) return;
    overLimit = `its process's resident memory (${mb(rss)}) went past its limit (${mb(memoryLimit!.bytes)} above the ${mb(
      rssLimit - memoryLimit!.bytes,
    )} it used once imported)`;
    signalAll([group ? -pid : pid], 'SIGKILL');
  }, interval);
  watch.unref();
  if (!memoryLimit) clearInterval(watch);

  let closed = false;
  const close = (crash: Error): void => {
    if (closed) return;
    closed = true;
    clearInterval(watch);
    events.closed(crash);
  };
  const exited = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      // Its last stderr lines (V8's "heap out of memory") may still be in the pipe: wait for them.
      const flushed = new Promise<void>((r) => {
        child.once('close', () => r());
        setTimeout(r, 200).unref();
      });
      void flushed.then(() => {
        close(describeExit(id, code, signal, { fatal, overLimit, stderrTail }));
        resolve();
      });
    });
    child.once('error', (error) => {
      if (pid !== undefined) return; // a running process: 'exit' follows and tells why
      close(
        new StewardError(`The process of plugin "${id}" could not be started: ${error.message}`, {
          cause: error,
          code: 'STEWARD_PLUGIN_CRASHED',
        }),
      );
      resolve();
    });
  });

  child.send({ t: 'boot', boot });
  let ended: Promise<void> | undefined;
  return {
    send: (message) => {
      if (child.connected) child.send(message as import('node:child_process').Serializable);
    },
    metadata: { pid },
    ...(pid === undefined ? {} : { thread: processOf(pid, group) }),
    figures() {
      if (pid === undefined || child.exitCode !== null || child.signalCode !== null) return undefined;
      const rss = residentBytes(pid);
      const cpuMs = cpuTimeMs(pid);
      return rss === undefined || cpuMs === undefined ? undefined : { pid, rss, cpuMs };
    },
    end() {
      ended ??= (async () => {
        if (pid !== undefined) await endTree(pid, group, exited, tree);
        await exited;
        if (pid !== undefined) childWatchdog().unwatch(pid);
        child.stdout?.destroy();
        child.stderr?.destroy();
      })();
      return ended;
    },
  };
};

/**
 * The plugin process for unload verification: running while its leader is the process it was
 * (same identity: a reused pid is not it) or anything of its group is left.
 */
function processOf(pid: number, group: boolean): { id: number; what: string; running: () => boolean } {
  const identity = processIdentity(pid);
  return {
    id: pid,
    what: group ? `process ${pid} (or a process of its group)` : `process ${pid}`,
    running: () =>
      (alive(pid) && (identity === undefined || processIdentity(pid) === identity)) || (group && alive(-pid)),
  };
}

/**
 * The semi-space size for a process whose old generation is capped at `heapMb`: a sixteenth of
 * it, 1–16 MB. V8's default young generation (up to 3 × 16 MB, more on Node 22+) is not counted
 * in `--max-old-space-size`, so a plugin allocating objects could grow its resident memory past
 * the limit before its heap reached V8's cap — and be killed by the RSS watch instead of failing
 * as out of heap. Sized in proportion, the heap cap is what a heap-bound plugin meets first.
 */
export function semiSpaceMb(heapMb: number): number {
  return Math.max(1, Math.min(16, Math.floor(heapMb / 16)));
}

/** Flags whose value is a TypeScript loader (tsx, ts-node, @swc-node, esbuild-register). */
const TS_LOADER_FLAGS = new Set(['--import', '--loader', '--experimental-loader', '--require', '-r']);
const TS_LOADER = /(?:^|[\\/@])(?:tsx|ts-node|swc-node|esbuild-register)(?:[\\/.@]|$)/;

/**
 * The host's exec arguments for a plugin process that inherits them: without its TypeScript
 * loader when the plugin's entry is JavaScript (the process entry is compiled), so a host run
 * under tsx does not pay the loader's start-up in every plugin process.
 */
export function inheritedExecArgv(entry: string, argv: readonly string[] = process.execArgv): string[] {
  if (/\.[cm]?tsx?$/.test(entry)) return [...argv];
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const eq = arg.indexOf('=');
    const flag = eq > 0 ? arg.slice(0, eq) : arg;
    if (!TS_LOADER_FLAGS.has(flag)) {
      out.push(arg);
      continue;
    }
    const value = eq > 0 ? arg.slice(eq + 1) : argv[i + 1];
    const pair = eq > 0 ? [arg] : [arg, ...(value !== undefined ? [value] : [])];
    if (eq < 0) i += pair.length - 1;
    if (value === undefined || !TS_LOADER.test(value)) out.push(...pair);
  }
  return out;
}

/**
 * The plugin process's environment: the host's, plus Node's compile cache where Node has one
 * (22.1+) and the permission model is off (the cache is written outside the plugin's grants) —
 * Steward's own modules are then compiled once per machine, not once per plugin start.
 */
function childEnv(enforced: boolean): NodeJS.ProcessEnv {
  const hasCache = typeof (nodeModule as { enableCompileCache?: unknown }).enableCompileCache === 'function';
  // The host's mark (child-token.ts): the plugin process and all it starts die with the host.
  if (enforced || !hasCache || process.env.NODE_COMPILE_CACHE !== undefined) return markedEnv(process.env);
  return markedEnv({ ...process.env, NODE_COMPILE_CACHE: join(tmpdir(), 'node-compile-cache') });
}

/**
 * End the process tree of `pid`: SIGTERM to its group, to every descendant outside it (the
 * leader may be dead already, after a crash, with children of its group still running) and to
 * every process bearing the tree's mark (`tree`, `NAME=value`: a daemon that left both the group
 * and its parent); SIGKILL to whatever is left once the leader exited and the group emptied, or
 * the grace period ran out — looking for marked processes again, for one started meanwhile.
 */
async function endTree(pid: number, group: boolean, exited: Promise<void>, tree: string): Promise<void> {
  const strays = [...new Set([...descendants(pid), ...withEnviron(tree)])];
  const targets = [group ? -pid : pid, ...strays];
  signalAll(targets, 'SIGTERM');
  const deadline = Date.now() + PROCESS_KILL_GRACE_MS;
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([exited, new Promise((r) => (timer = setTimeout(r, PROCESS_KILL_GRACE_MS)))]);
  clearTimeout(timer);
  // The leader is gone (or the grace is over): wait for the rest of the tree, within the grace.
  while (Date.now() < deadline && (alive(group ? -pid : pid) || strays.some(alive))) {
    await new Promise((r) => setTimeout(r, 10));
  }
  signalAll([...targets, ...withEnviron(tree)], 'SIGKILL');
}

/** Why a plugin process ended without being asked to, worded for the user. */
function describeExit(
  id: string,
  code: number | null,
  signal: NodeJS.Signals | null,
  seen: { fatal: SerializedError | undefined; overLimit: string | undefined; stderrTail: string },
): Error {
  const { fatal, overLimit, stderrTail } = seen;
  const fix = 'Raise steward.memoryLimit or reduce what the plugin keeps in memory.';
  if (overLimit !== undefined) {
    return new StewardError(
      `Plugin "${id}" exceeded its memory limit: ${overLimit}, so it was killed. ${fix}`,
      {
        code: 'STEWARD_PLUGIN_OUT_OF_MEMORY',
      },
    );
  }
  if (/heap limit|JavaScript heap out of memory/.test(stderrTail)) {
    return new StewardError(
      `Plugin "${id}" exceeded its memory limit: its process ran out of heap and was stopped. ${fix}`,
      { code: 'STEWARD_PLUGIN_OUT_OF_MEMORY' },
    );
  }
  if (fatal !== undefined) {
    return new StewardError(`Plugin "${id}" crashed in its process: ${fatal.message}`, {
      cause: deserializeError(fatal),
      code: 'STEWARD_PLUGIN_CRASHED',
    });
  }
  if (signal !== null) {
    return new StewardError(
      `The process of plugin "${id}" was killed by ${signal}${NATIVE[signal] ?? ''}; its stderr is in the plugin's log.`,
      { code: 'STEWARD_PLUGIN_CRASHED' },
    );
  }
  return new StewardError(`The process of plugin "${id}" exited with code ${code} without being asked to.`, {
    code: 'STEWARD_PLUGIN_EXITED',
  });
}

function lines(stream: NodeJS.ReadableStream | null, each: (line: string) => void): void {
  if (!stream) return;
  let rest = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    const parts = (rest + chunk).split('\n');
    rest = parts.pop()!.slice(-8192);
    for (const line of parts) if (line.trim() !== '') each(line);
  });
  stream.on('end', () => {
    if (rest.trim() !== '') each(rest);
  });
}

function mb(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(1)} MiB`;
}
