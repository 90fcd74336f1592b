/**
 * Running one batch of corpus entries in a real host process, and observing it from outside:
 * `steward run` (the built binary) or a program embedding `PluginHost` (embedded-host.mjs),
 * each with a well-behaved neighbour plugin beside the corpus plugins. The host is started
 * in a process group of its own and signalled by pid alone, as `kill` or `docker stop` do.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  cpSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pidExists } from '../../src/node/index.js';
import { root } from '../helpers/cli.js';
import type { CorpusEntry, Mode } from './harness.js';

/** What a run looked like from outside. */
export interface HostRun {
  /** stdout and stderr, interleaved as they arrived. */
  readonly output: string;
  readonly exit: { readonly code: number | null; readonly signal: string | null };
  /** Whether the host was alive when checked (before the signal). */
  readonly aliveAtCheck: boolean;
  /** What the neighbour plugin answered (`pong`), or why it did not. */
  readonly neighbour: string;
  /** Plugin id → state, as the host reported it at check time. */
  readonly states: Readonly<Record<string, string>>;
  /** Pids of the run (the host's process tree, and pids plugins printed) still alive after it. */
  readonly survivors: readonly number[];
  /** Ports of the run still taken after it. */
  readonly busyPorts: readonly number[];
  /** Set when the host did not get where it should in time. */
  readonly timedOut: string | undefined;
}

/** Bounds against hanging (not speed claims): generous, the machine is loaded. */
const READY_MS = 40_000;
const EXIT_MS = 30_000;
const SETTLE_MS = 10_000;

const NEIGHBOUR = `import net from 'node:net';
export default {
  activate(ctx) {
    const server = ctx.server(net.createServer((socket) => socket.end('pong\\n')));
    return new Promise((resolve) => server.listen(0, '127.0.0.1', () => {
      ctx.log.info('listening ' + server.address().port);
      resolve();
    }));
  },
};
`;

/** Hosts still running (a test that failed half-way): killed by `killLeftovers`. */
const running = new Set<ChildProcess>();

/** SIGKILL every host a test started that is still running. */
export function killLeftovers(): void {
  for (const child of running) child.kill('SIGKILL');
  running.clear();
}

/** SIGKILL, by pid, the processes a run left behind (once they are recorded as problems). */
function killSurvivors(pids: readonly number[]): void {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone meanwhile
    }
  }
}

/** Copy the entries' plugins (and their generated files) and the neighbour into a fresh folder. */
function prepare(batch: readonly CorpusEntry[]): { dir: string; plugins: string } {
  const dir = mkdtempSync(join(tmpdir(), 'steward-corpus-'));
  mkdirSync(join(dir, 'node_modules'));
  symlinkSync(root, join(dir, 'node_modules', 'steward'), 'dir');
  const plugins = join(dir, 'plugins');
  mkdirSync(join(plugins, 'corpus-neighbour'), { recursive: true });
  writeFileSync(
    join(plugins, 'corpus-neighbour', 'package.json'),
    JSON.stringify({
      name: 'corpus-neighbour',
      version: '1.0.0',
      type: 'module',
      main: 'index.js',
      steward: { id: 'corpus-neighbour' },
    }),
  );
  writeFileSync(join(plugins, 'corpus-neighbour', 'index.js'), NEIGHBOUR);
  for (const entry of batch) {
    for (const name of readdirSync(join(entry.dir, 'plugins'))) {
      cpSync(join(entry.dir, 'plugins', name), join(plugins, name), {
        recursive: true,
        errorOnExist: true,
        force: false,
      });
    }
    for (const [rel, g] of Object.entries(entry.spec.generate ?? {})) {
      if (!rel.startsWith('plugins/'))
        throw new Error(`${entry.name}: generate paths start with plugins/ (got ${rel})`);
      const file = join(plugins, rel.slice('plugins/'.length));
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, (g.text ?? '') + (g.repeat ?? '').repeat(g.times ?? 0) + (g.end ?? ''));
    }
  }
  return { dir, plugins };
}

/** The live members of the process tree under `pid` (children by parent pid, and its process group). */
function processTree(pid: number): number[] {
  const rows = spawnSync('ps', ['-eo', 'pid=,ppid=,pgid=,stat='], { encoding: 'utf8' })
    .stdout.split('\n')
    .map((line) => line.trim().split(/\s+/).map(String))
    .filter((row) => row.length === 4 && !row[3]!.startsWith('Z'))
    .map(([p, pp, pg]) => ({ pid: Number(p), ppid: Number(pp), pgid: Number(pg) }));
  const found = new Set<number>();
  const queue = [pid];
  while (queue.length > 0) {
    const parent = queue.shift()!;
    for (const row of rows) {
      if ((row.ppid === parent || row.pgid === pid) && row.pid !== pid && !found.has(row.pid)) {
        found.add(row.pid);
        queue.push(row.pid);
      }
    }
  }
  return [...found];
}

/**
 * Linux: the live processes whose environment holds `CORPUS_RUN=<tag>` — everything the run's
 * host started, and what those started, whether or not anyone learned its pid (a child the
 * host was killed while spawning, a shell's command). Elsewhere: none.
 */
function processesOfRun(tag: string): number[] {
  if (process.platform !== 'linux') return [];
  const found: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${name}/environ`, 'latin1').split('\0').includes(`CORPUS_RUN=${tag}`))
        found.push(Number(name));
    } catch {
      // gone, or not ours
    }
  }
  return found.filter(pidExists);
}

function portTaken(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(true));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(false)));
  });
}

function ping(port: number): Promise<string> {
  return new Promise((resolve) => {
    let data = '';
    const socket = connect(port, '127.0.0.1');
    const timer = setTimeout(() => {
      socket.destroy();
      resolve(`no answer within ${SETTLE_MS} ms`);
    }, SETTLE_MS);
    socket.setEncoding('utf8').on('data', (chunk: string) => (data += chunk));
    socket.on('error', (error) => resolve(`error: ${error.message}`));
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(data.trim());
    });
  });
}

async function until(condition: () => boolean | Promise<boolean>, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await condition()) return true;
    await new Promise((r) => setTimeout(r, 25));
  }
  return condition();
}

/** The plugin states, from the monitor's snapshot (CLI) or from the embedded host's `list` answer (`stdout`: the host's stdout so far). */
async function states(
  mode: Mode,
  child: ChildProcess,
  output: () => string,
): Promise<Record<string, string>> {
  let plugins: Array<{ id: string; state: string }> = [];
  if (mode === 'cli') {
    const url = /^monitor: (http\S+)/m.exec(output())?.[1];
    if (url === undefined) return {};
    const { origin, searchParams } = new URL(url);
    const response = await fetch(`${origin}/api/snapshot`, {
      headers: { authorization: `Bearer ${searchParams.get('token')}` },
    });
    plugins = ((await response.json()) as { plugins: typeof plugins }).plugins;
  } else {
    const before = output().length;
    child.stdin!.write('list\n');
    const line = () => /^\{"type":"list".*$/m.exec(output().slice(before))?.[0];
    if (!(await until(() => line() !== undefined, SETTLE_MS))) return {};
    plugins = (JSON.parse(line()!) as { plugins: typeof plugins }).plugins;
  }
  return Object.fromEntries(plugins.map((p) => [p.id, p.state]));
}

/** Run `batch` in a host of `mode` and observe it (see the module comment). */
export async function runBatch(batch: readonly CorpusEntry[], mode: Mode): Promise<HostRun> {
  const { spec } = batch[0]!;
  const { dir, plugins } = prepare(batch);
  const script =
    mode === 'cli'
      ? [
          join(root, 'dist/cli/main.js'),
          'run',
          plugins,
          '--monitor',
          '--attribution',
          '--reclaim',
          '--deadline',
          '5000',
        ]
      : [join(import.meta.dirname, 'embedded-host.mjs'), plugins];
  const tag = randomBytes(8).toString('hex');
  const child = spawn(process.execPath, [...(spec.nodeArgs ?? []), ...script], {
    cwd: dir,
    detached: true,
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, NO_COLOR: '1', CORPUS_RUN: tag },
  });
  const pid = child.pid!;
  running.add(child);
  let out = '';
  let stdout = ''; // alone too: the lines parsed from it are never cut by stderr output
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    out += chunk;
    stdout += chunk;
  });
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  child.stdin!.on('error', () => {});
  let exit: { code: number | null; signal: string | null } | undefined;
  const exited = new Promise<void>((resolve) =>
    child.on('close', (code, signal) => {
      running.delete(child);
      exit = { code, signal };
      resolve();
    }),
  );
  const pids = new Set<number>();
  const ports = new Set<number>();
  const collect = (): void => {
    if (exit === undefined) for (const p of processTree(pid)) pids.add(p);
    for (const p of processesOfRun(tag)) pids.add(p);
    for (const m of out.matchAll(/corpus-pid (\d+)/g)) pids.add(Number(m[1]));
    for (const m of out.matchAll(
      /(?:corpus-port|\[corpus-neighbour\] listening|monitor: http:\/\/[\w.]+:)\s*(\d+)/g,
    ))
      ports.add(Number(m[1]));
  };

  let timedOut: string | undefined;
  let aliveAtCheck = false;
  let neighbour = 'not asked';
  let found: Record<string, string> = {};
  const started = mode === 'cli' ? /^monitor: http/m : /^\{"type":"started"/m;
  const patterns = [...batch.flatMap((e) => e.spec.ready ?? []).map((p) => new RegExp(p, 'm'))];
  const ready = await until(
    () =>
      exit !== undefined ||
      [started, /\[corpus-neighbour\] listening/m, ...patterns].every((p) => p.test(out)),
    READY_MS,
  );
  collect();
  if (!ready)
    timedOut = `not ready within ${READY_MS} ms: waiting for ${[started, ...patterns].filter((p) => !p.test(out)).join(', ')}`;
  aliveAtCheck = exit === undefined && pidExists(pid);
  if (aliveAtCheck) {
    const port = /\[corpus-neighbour\] listening (\d+)/.exec(out)?.[1];
    neighbour = port === undefined ? 'never listened' : await ping(Number(port));
    found = await states(mode, child, () => stdout).catch((error: unknown) => ({ error: String(error) }));
    collect();
    process.kill(pid, spec.signal ?? 'SIGTERM'); // the host's pid alone, as `kill` sends it
  }
  if (!(await until(() => exit !== undefined, EXIT_MS))) {
    timedOut = `${timedOut ?? ''} did not exit within ${EXIT_MS} ms of ${spec.signal ?? 'SIGTERM'}`.trim();
    process.kill(pid, 'SIGKILL');
  }
  await exited;
  collect();
  await until(() => [...pids].every((p) => !pidExists(p)), SETTLE_MS);
  const busy: number[] = [];
  for (const port of ports)
    if (!(await until(async () => !(await portTaken(port)), SETTLE_MS))) busy.push(port);
  rmSync(dir, { recursive: true, force: true });
  const survivors = [...pids].filter(pidExists);
  killSurvivors(survivors);
  return {
    output: out,
    exit: exit!,
    aliveAtCheck,
    neighbour,
    states: found,
    survivors,
    busyPorts: busy,
    timedOut,
  };
}
