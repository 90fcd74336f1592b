/**
 * Plugins and worker isolation benchmarks (issues #3 and #4), each measurement in a fresh child:
 *
 * - 100 inline plugins with 10 tracked resources each: discover + load + activate, then
 *   deactivate + unload, per plugin;
 * - one activate/deactivate cycle of an already-imported inline plugin (target < 1 ms);
 * - a dependency chain of 1,000 plugins activated and torn down in order;
 * - graph resolution of chains of 1k / 10k / 100k plugins (linear in plugins + edges);
 * - a worker plugin's load + activate + deactivate + unload (target < 50 ms), and a process
 *   plugin's (target ≤ 150 ms; issue #15), measured side by side, in alternating children with a
 *   bare `child_process.fork` of the same options (start, a message each way, end): Node's floor;
 *   when NODE_EXTRA_CA_CERTS is set (Node 20 parses that file at every start), the process and
 *   bare cycles again with it unset, the machine's cost told apart from Steward's; and a bare
 *   `new Worker` of the transport's options (start, a message each way, terminate): the worker's floor;
 * - a service call round trip host → plugin → host, worker and process (target ≤ 100 µs median
 *   for process);
 * - 1,000 reloads of a worker plugin, a process plugin and an inline plugin: host heap and RSS
 *   growth (target < 1 MB heap for workers and processes, < 10 MB RSS for processes; inline
 *   reloads keep every module copy, reported side by side), with 1,000 bare forks as the floor
 *   of the process figure and the heap's compiled-code share apart (JIT warm-up, bounded); RSS
 *   read after a last-resort collection, which gives back V8's young-generation growth and free
 *   page pool (V8's sizing, see `settled`), so what stays is what the host keeps.
 */
import { fork } from 'node:child_process';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { getHeapSpaceStatistics } from 'node:v8';
import { Worker } from 'node:worker_threads';
import { tokenFor } from '../src/core/index.js';
import { PluginHost, resolvePluginGraph } from '../src/plugins/index.js';
import {
  type BenchSuite,
  fmtCount,
  fullGc,
  log,
  type RunOptions,
  runChild,
  type Summary,
  summarize,
  table,
} from './lib/harness.js';

const PLUGIN_CODE = (resources: number) => `
class Res { dispose() {} }
export default {
  activate(ctx) {
    for (let i = 0; i < ${resources}; i++) ctx.track(new Res(), { type: 'memory', size: 64 });
  },
};`;

/** A plugin serving one service: the round-trip benchmark's other side. */
const ECHO_CODE = `
import { tokenFor } from 'steward';
const token = tokenFor('echo');
export default {
  activate(ctx) {
    ctx.services.provide(token, { echo: (x) => x });
  },
};`;

type Remote = 'worker' | 'process';

async function writePlugins(
  root: string,
  count: number,
  options: { resources: number; chain?: boolean; isolation?: Remote; echo?: boolean },
): Promise<void> {
  await Promise.all(
    Array.from({ length: count }, async (_, i) => {
      const id = `p${String(i).padStart(5, '0')}`;
      const dir = join(root, id);
      await mkdir(dir, { recursive: true });
      const dependencies = options.chain && i > 0 ? { [`p${String(i - 1).padStart(5, '0')}`]: '*' } : {};
      const steward = {
        id,
        dependencies,
        ...(options.isolation ? { isolation: options.isolation } : {}),
        ...(options.echo ? { provides: ['echo'] } : {}),
      };
      await writeFile(
        join(dir, 'package.json'),
        JSON.stringify({ name: id, version: '1.0.0', type: 'module', main: 'index.js', steward }),
      );
      await writeFile(join(dir, 'index.js'), options.echo ? ECHO_CODE : PLUGIN_CODE(options.resources));
    }),
  );
}

async function withPlugins<T>(
  count: number,
  options: { resources: number; chain?: boolean; isolation?: Remote; echo?: boolean },
  fn: (dir: string, root: string) => Promise<T>,
): Promise<T> {
  const root = await mkdtemp(join(tmpdir(), 'steward-bench-'));
  try {
    // Plugins import 'steward' as from an installed package.
    await mkdir(join(root, 'node_modules'));
    await symlink(
      fileURLToPath(new URL('..', import.meta.url)),
      join(root, 'node_modules', 'steward'),
      'dir',
    );
    await writePlugins(join(root, 'plugins'), count, options);
    return await fn(join(root, 'plugins'), root);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

const quiet = () => {};
/** Plugins here are plain JS and the worker entry is compiled: workers need no TypeScript loader. */
const workerExecArgv: string[] = [];

interface LifecycleResult {
  startMs: number[];
  teardownMs: number[];
}

interface GrowthResult {
  cycles: number;
  heapGrowthBytes: number;
  /** Of the heap growth, what is compiled code (V8's code spaces): JIT warm-up, not data kept. */
  codeGrowthBytes: number;
  rssGrowthBytes: number;
  msPerCycle: number;
}

/** Bytes in V8's code spaces (`code_space`, `code_large_object_space`, and on V8 ≥ 12 `trusted_space`). */
function codeBytes(): number {
  let bytes = 0;
  for (const space of getHeapSpaceStatistics()) {
    if (/code|trusted/.test(space.space_name)) bytes += space.space_used_size;
  }
  return bytes;
}

/** The floor of a process plugin: a child that answers one IPC message and is then ended. */
const BARE_CHILD = `process.on('message', (m) => process.send(m));`;

/**
 * One bare `child_process.fork` with the options the process transport uses (own group,
 * structured-clone IPC, piped stdout/stderr, the host's environment): start, one message each
 * way, SIGTERM to the group, wait for its exit, close the pipes. What Node itself costs.
 */
async function bareFork(file: string): Promise<void> {
  const child = fork(file, [], {
    execArgv: [],
    serialization: 'advanced',
    detached: process.platform !== 'win32',
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    child.once('message', () => resolve());
    child.once('error', reject);
    child.send('hello');
  });
  process.kill(process.platform !== 'win32' ? -child.pid! : child.pid!, 'SIGTERM');
  await closed;
  child.stdout?.destroy();
  child.stderr?.destroy();
}

/** The floor of a worker plugin: a CommonJS thread that answers one message and is terminated. */
const BARE_THREAD = `const { parentPort } = require('node:worker_threads');
parentPort.on('message', (m) => parentPort.postMessage(m));`;

/**
 * One bare `new Worker` with the options the worker transport uses (a name, no stdout/stderr
 * streams, `workerData`, no execArgv): start, one message each way, `terminate()`, wait for
 * its exit. What Node itself costs for a thread.
 */
async function bareWorker(file: string): Promise<void> {
  const worker = new Worker(file, {
    workerData: { manifest: { id: 'bare' } },
    name: 'plugin:bare',
    stdout: false,
    stderr: false,
    execArgv: [],
  });
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    worker.once('message', () => resolve());
    worker.once('error', reject);
    worker.postMessage('hello');
  });
  await worker.terminate();
  await exited;
}

async function withBareChild<T>(fn: (file: string) => Promise<T>, thread = false): Promise<T> {
  const root = await mkdtemp(join(tmpdir(), 'steward-bench-bare-'));
  try {
    const file = join(root, thread ? 'thread.cjs' : 'child.mjs');
    await writeFile(file, thread ? BARE_THREAD : BARE_CHILD);
    return await fn(file);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

/** `cycles` timed runs of `once`, after 3 untimed ones (warm-up): ms each. */
async function timedCycles(cycles: number, once: () => Promise<void>): Promise<{ msPerCycle: number[] }> {
  const msPerCycle: number[] = [];
  for (let i = 0; i < cycles + 3; i++) {
    const t = performance.now();
    await once();
    if (i >= 3) msPerCycle.push(performance.now() - t);
  }
  return { msPerCycle };
}

/**
 * Heap, code and RSS figures after full collections (and a pause for finalizers and frees). RSS
 * is read after a last-resort collection (what V8 runs under memory pressure): it also shrinks
 * the young generation and returns V8's pool of free pages, which the reload loop's allocation
 * rate had grown — V8's sizing, bounded, and given back by its memory reducer once the process
 * is idle (Node 24: up to +18 MiB over 1,000 process reloads, there after a plain gc() and gone
 * after this one; Node alone shows it: bench/repro/young-generation.mjs). Memory kept by objects, native allocations or malloc fragmentation stays
 * counted: reading /proc with a fresh Buffer per file (fixed in src/node/process-tree.ts) still
 * showed as +8 MiB of the host's malloc `[heap]` over 500 reloads measured this way.
 */
async function settled(): Promise<{ heap: number; code: number; rss: number }> {
  fullGc();
  await new Promise((r) => setTimeout(r, 100));
  fullGc();
  const heap = process.memoryUsage().heapUsed;
  const code = codeBytes();
  (globalThis as { gc?: (o: object) => void }).gc?.({
    type: 'major',
    execution: 'sync',
    flavor: 'last-resort',
  });
  await new Promise((r) => setTimeout(r, 100));
  return { heap, code, rss: process.memoryUsage().rss };
}

/** Child side. */
export const tasks = {
  /** 100 plugins × 10 resources: start (discover+load+activate) and teardown (deactivate+unload). */
  async lifecycle(p: {
    plugins: number;
    resources: number;
    reps: number;
    chain: boolean;
  }): Promise<LifecycleResult> {
    return withPlugins(p.plugins, { resources: p.resources, chain: p.chain }, async (dir, root) => {
      const startMs: number[] = [];
      const teardownMs: number[] = [];
      for (let rep = 0; rep < p.reps; rep++) {
        const host = new PluginHost({ dirs: [dir], log: quiet, storageDir: join(root, 'storage') });
        let t = performance.now();
        const summary = await host.start();
        startMs.push(performance.now() - t);
        if (summary.active.length !== p.plugins)
          throw new Error(`only ${summary.active.length} plugins active`);
        if (host.manager.activeResources !== p.plugins * p.resources) throw new Error('resources missing');
        t = performance.now();
        await host.dispose();
        teardownMs.push(performance.now() - t);
        if (host.manager.activeResources !== 0) throw new Error('resources left');
      }
      return { startMs, teardownMs };
    });
  },

  /** Activate/deactivate cycles of one already-imported inline plugin. */
  async cycle(p: { cycles: number; resources: number }): Promise<{ usPerCycle: number[] }> {
    return withPlugins(1, { resources: p.resources }, async (dir, root) => {
      const host = new PluginHost({ dirs: [dir], log: quiet, storageDir: join(root, 'storage') });
      await host.start();
      const id = host.list()[0]!.id;
      await host.deactivate(id);
      for (let i = 0; i < 200; i++) {
        await host.activate(id);
        await host.deactivate(id);
      }
      const usPerCycle: number[] = [];
      for (let i = 0; i < p.cycles; i++) {
        const t = performance.now();
        await host.activate(id);
        await host.deactivate(id);
        usPerCycle.push((performance.now() - t) * 1000);
      }
      await host.dispose();
      return { usPerCycle };
    });
  },

  /** resolvePluginGraph on in-memory chains: ns per (plugin + edge). */
  async graph(p: { sizes: number[] }): Promise<Array<{ n: number; ms: number; nsPerNode: number }>> {
    const out: Array<{ n: number; ms: number; nsPerNode: number }> = [];
    for (const n of p.sizes) {
      const manifests = Array.from({ length: n }, (_, i) => ({
        id: `p${i}`,
        version: '1.0.0',
        dependencies: i > 0 ? { [`p${i - 1}`]: '^1.0.0' } : {},
        optionalDependencies: {},
      }));
      resolvePluginGraph(manifests, {});
      const samples: number[] = [];
      for (let r = 0; r < 5; r++) {
        const t = performance.now();
        const graph = resolvePluginGraph(manifests, {});
        samples.push(performance.now() - t);
        if (graph.order.length !== n) throw new Error('graph incomplete');
      }
      const ms = summarize(samples).median;
      out.push({ n, ms, nsPerNode: (ms * 1e6) / (2 * n - 1) });
    }
    return out;
  },

  /** Worker or process plugin: load + activate + deactivate + unload, per cycle. */
  async remoteCycle(p: { cycles: number; isolation: Remote }): Promise<{ msPerCycle: number[] }> {
    return withPlugins(1, { resources: 10, isolation: p.isolation }, async (dir, root) => {
      const host = new PluginHost({
        dirs: [dir],
        log: quiet,
        storageDir: join(root, 'storage'),
        workerExecArgv,
      });
      await host.discover();
      const id = host.list()[0]!.id;
      const msPerCycle: number[] = [];
      for (let i = 0; i < p.cycles + 3; i++) {
        const t = performance.now();
        const info = await host.activate(id);
        if (info.state !== 'active' || info.resources !== 10)
          throw new Error(`${p.isolation} plugin ${info.state}: ${info.error}`);
        await host.unload(id);
        if (i >= 3) msPerCycle.push(performance.now() - t);
      }
      await host.dispose();
      return { msPerCycle };
    });
  },

  /** The floor of remoteCycle for processes: bare forks, same options, same steps. */
  async bareCycle(p: { cycles: number }): Promise<{ msPerCycle: number[] }> {
    return withBareChild((file) => timedCycles(p.cycles, () => bareFork(file)));
  },

  /** The floor of remoteCycle for workers: bare threads, same options, same steps. */
  async bareWorkerCycle(p: { cycles: number }): Promise<{ msPerCycle: number[] }> {
    return withBareChild((file) => timedCycles(p.cycles, () => bareWorker(file)), true);
  },

  /** The floor of 1,000 process reloads: as many bare forks, host growth measured the same way. */
  async bareReloads(p: { cycles: number }): Promise<GrowthResult> {
    return withBareChild(async (file) => {
      for (let i = 0; i < 20; i++) await bareFork(file);
      const before = await settled();
      const t = performance.now();
      for (let i = 0; i < p.cycles; i++) await bareFork(file);
      const ms = performance.now() - t;
      const after = await settled();
      return {
        cycles: p.cycles,
        heapGrowthBytes: after.heap - before.heap,
        codeGrowthBytes: after.code - before.code,
        rssGrowthBytes: after.rss - before.rss,
        msPerCycle: ms / p.cycles,
      };
    });
  },

  /** A service call host → plugin → host, µs per call. */
  async roundTrip(p: { calls: number; isolation: Remote }): Promise<{ usPerCall: number[] }> {
    return withPlugins(1, { resources: 0, isolation: p.isolation, echo: true }, async (dir, root) => {
      const host = new PluginHost({
        dirs: [dir],
        log: quiet,
        storageDir: join(root, 'storage'),
        workerExecArgv,
      });
      await host.start();
      const echo = host.manager.services.get(tokenFor<{ echo(x: number): Promise<number> }>('echo'));
      for (let i = 0; i < 1000; i++) await echo.echo(i); // warm up
      const usPerCall: number[] = [];
      for (let i = 0; i < p.calls; i++) {
        const t = performance.now();
        if ((await echo.echo(i)) !== i) throw new Error('echo answered wrong');
        usPerCall.push((performance.now() - t) * 1000);
      }
      await host.dispose();
      return { usPerCall };
    });
  },

  /** Reload a plugin `cycles` times; host heap and RSS growth after full GC. */
  async reloads(p: { cycles: number; isolation: Remote | 'inline' }): Promise<GrowthResult> {
    return withPlugins(
      1,
      { resources: 10, ...(p.isolation !== 'inline' ? { isolation: p.isolation } : {}) },
      async (dir, root) => {
        const host = new PluginHost({
          dirs: [dir],
          log: quiet,
          storageDir: join(root, 'storage'),
          workerExecArgv,
        });
        await host.start();
        const id = host.list()[0]!.id;
        for (let i = 0; i < 20; i++) await host.reload(id); // warm up
        const before = await settled();
        const t = performance.now();
        for (let i = 0; i < p.cycles; i++) {
          const info = await host.reload(id);
          if (info.state !== 'active') throw new Error(`reload ${i}: ${info.state} ${info.error}`);
        }
        const ms = performance.now() - t;
        const after = await settled();
        await host.dispose();
        return {
          cycles: p.cycles,
          heapGrowthBytes: after.heap - before.heap,
          codeGrowthBytes: after.code - before.code,
          rssGrowthBytes: after.rss - before.rss,
          msPerCycle: ms / p.cycles,
        };
      },
    );
  },
};

const MODULE = import.meta.url;

interface PluginsResult {
  lifecycle: { plugins: number; resources: number; start: Summary; teardown: Summary };
  chain: { plugins: number; start: Summary; teardown: Summary };
  cycle: Summary;
  graph: Array<{ n: number; ms: number; nsPerNode: number }>;
  worker: Summary;
  process: Summary;
  /** A bare fork with the transport's options, one message each way, ended: Node's own share. */
  bareFork: Summary;
  /** A bare `new Worker` with the transport's options, one message each way, terminated: Node's share. */
  bareWorker: Summary;
  /** Whether NODE_EXTRA_CA_CERTS was set: Node 20 reads that file at every process start. */
  extraCaCerts: boolean;
  /**
   * When it was set: the process and bare-fork cycles again with it removed from the host's (and
   * so the children's) environment — what the cycle costs on a machine without such a file.
   */
  withoutCaFile?: { process: Summary; bareFork: Summary };
  calls: { worker: Summary; process: Summary };
  reloads: {
    worker: GrowthResult;
    process: GrowthResult;
    inline: GrowthResult;
    /** As many bare forks (bareFork above): the host growth Node itself shows. */
    bareFork: GrowthResult;
  };
}

async function measure(options: RunOptions): Promise<PluginsResult> {
  const q = options.quick;
  log(options, 'plugins: 100 inline plugins × 10 resources');
  const life = await runChild<LifecycleResult>(MODULE, 'lifecycle', {
    plugins: 100,
    resources: 10,
    reps: q ? 2 : 7,
    chain: false,
  });
  log(options, 'plugins: chain of 1,000');
  const chain = await runChild<LifecycleResult>(MODULE, 'lifecycle', {
    plugins: 1000,
    resources: 1,
    reps: q ? 1 : 3,
    chain: true,
  });
  log(options, 'plugins: activate/deactivate cycle');
  const cycle = await runChild<{ usPerCycle: number[] }>(MODULE, 'cycle', {
    cycles: q ? 200 : 2000,
    resources: 10,
  });
  log(options, 'plugins: graph resolution');
  const graph = await runChild<PluginsResult['graph']>(MODULE, 'graph', {
    sizes: q ? [1000, 10_000] : [1000, 10_000, 100_000],
  });
  // Worker, bare worker, process and bare fork in alternating fresh children, so a change in the
  // machine's load falls on all four alike (on a shared machine only their ratios are stable).
  const worker: number[] = [];
  const bareThread: number[] = [];
  const proc: number[] = [];
  const bare: number[] = [];
  const rounds = q ? 1 : 3;
  const perRound = q ? 10 : 17;
  /** One fresh child running `task` for `perRound` timed cycles, in `env` if given. */
  const timed = async (task: string, params: object = {}, env?: NodeJS.ProcessEnv): Promise<number[]> =>
    (
      await runChild<{ msPerCycle: number[] }>(
        MODULE,
        task,
        { cycles: perRound, ...params },
        env ? { env } : {},
      )
    ).msPerCycle;
  for (let round = 0; round < rounds; round++) {
    log(
      options,
      `workers, bare workers, processes, bare forks: load + activate + deactivate + unload (round ${round + 1})`,
    );
    worker.push(...(await timed('remoteCycle', { isolation: 'worker' })));
    bareThread.push(...(await timed('bareWorkerCycle')));
    proc.push(...(await timed('remoteCycle', { isolation: 'process' })));
    bare.push(...(await timed('bareCycle')));
  }
  // A CA file in the environment is the machine's, not Steward's: measure without it too.
  let withoutCaFile: PluginsResult['withoutCaFile'];
  if ((process.env.NODE_EXTRA_CA_CERTS ?? '') !== '') {
    const env = { ...process.env };
    delete env.NODE_EXTRA_CA_CERTS;
    const procNoCa: number[] = [];
    const bareNoCa: number[] = [];
    for (let round = 0; round < rounds; round++) {
      log(options, `processes, bare forks without NODE_EXTRA_CA_CERTS (round ${round + 1})`);
      procNoCa.push(...(await timed('remoteCycle', { isolation: 'process' }, env)));
      bareNoCa.push(...(await timed('bareCycle', {}, env)));
    }
    withoutCaFile = { process: summarize(procNoCa), bareFork: summarize(bareNoCa) };
  }
  log(options, 'service call round trips: worker, process');
  const calls = q ? 2000 : 20_000;
  const workerCall = await runChild<{ usPerCall: number[] }>(MODULE, 'roundTrip', {
    calls,
    isolation: 'worker',
  });
  const processCall = await runChild<{ usPerCall: number[] }>(MODULE, 'roundTrip', {
    calls,
    isolation: 'process',
  });
  const cycles = q ? 100 : 1000;
  log(options, `processes: ${cycles} reloads`);
  const processReloads = await runChild<GrowthResult>(
    MODULE,
    'reloads',
    { cycles, isolation: 'process' },
    { timeoutMs: 1_200_000 },
  );
  log(options, `bare forks: ${cycles} (the floor of process reloads)`);
  const bareReloads = await runChild<GrowthResult>(
    MODULE,
    'bareReloads',
    { cycles },
    { timeoutMs: 1_200_000 },
  );
  log(options, `workers: ${cycles} reloads`);
  const workerReloads = await runChild<GrowthResult>(
    MODULE,
    'reloads',
    { cycles, isolation: 'worker' },
    { timeoutMs: 600_000 },
  );
  log(options, `inline: ${cycles} reloads`);
  const inlineReloads = await runChild<GrowthResult>(
    MODULE,
    'reloads',
    { cycles, isolation: 'inline' },
    { timeoutMs: 600_000 },
  );
  return {
    lifecycle: {
      plugins: 100,
      resources: 10,
      start: summarize(life.startMs),
      teardown: summarize(life.teardownMs),
    },
    chain: { plugins: 1000, start: summarize(chain.startMs), teardown: summarize(chain.teardownMs) },
    cycle: summarize(cycle.usPerCycle),
    graph,
    worker: summarize(worker),
    process: summarize(proc),
    bareFork: summarize(bare),
    bareWorker: summarize(bareThread),
    extraCaCerts: (process.env.NODE_EXTRA_CA_CERTS ?? '') !== '',
    ...(withoutCaFile ? { withoutCaFile } : {}),
    calls: { worker: summarize(workerCall.usPerCall), process: summarize(processCall.usPerCall) },
    reloads: { worker: workerReloads, process: processReloads, inline: inlineReloads, bareFork: bareReloads },
  };
}

const ms = (v: number) => `${v.toFixed(v < 10 ? 2 : 1)} ms`;
const us = (v: number) => `${v.toFixed(0)} µs`;
const kb = (b: number) => `${(b / 1024).toFixed(0)} KiB`;

function render(r: PluginsResult): string {
  const perPlugin = (s: Summary, n: number) => us((s.median * 1000) / n);
  const lines = [
    table(
      ['workload', 'median total', 'per plugin', 'target'],
      [
        [
          `discover + load + activate ${r.lifecycle.plugins} plugins × ${r.lifecycle.resources} resources`,
          ms(r.lifecycle.start.median),
          perPlugin(r.lifecycle.start, r.lifecycle.plugins),
          '',
        ],
        [
          `deactivate + unload ${r.lifecycle.plugins} plugins`,
          ms(r.lifecycle.teardown.median),
          perPlugin(r.lifecycle.teardown, r.lifecycle.plugins),
          '',
        ],
        [
          `chain of ${fmtCount(r.chain.plugins)}: discover + activate in order`,
          ms(r.chain.start.median),
          perPlugin(r.chain.start, r.chain.plugins),
          '',
        ],
        [
          `chain of ${fmtCount(r.chain.plugins)}: tear down in order`,
          ms(r.chain.teardown.median),
          perPlugin(r.chain.teardown, r.chain.plugins),
          '',
        ],
        [
          'activate + deactivate, already imported (10 resources)',
          us(r.cycle.median),
          '',
          `< 1 ms: ${r.cycle.median < 1000 ? 'met' : 'missed'}`,
        ],
        [
          'worker plugin: load + activate + deactivate + unload',
          ms(r.worker.median),
          `bare worker + ${ms(r.worker.median - r.bareWorker.median)}`,
          `< 50 ms: ${r.worker.median < 50 ? 'met' : 'missed'}`,
        ],
        [
          "bare `new Worker`, same options: start + a message each way + terminate (Node's floor)",
          ms(r.bareWorker.median),
          '',
          '',
        ],
        [
          'process plugin: load + activate + deactivate + unload',
          ms(r.process.median),
          `${(r.process.median / r.worker.median).toFixed(2)}× worker; bare fork + ${ms(r.process.median - r.bareFork.median)}`,
          `≤ 150 ms: ${r.process.median <= 150 ? 'met' : 'missed'}`,
        ],
        [
          `bare \`child_process.fork\`, same options: start + a message each way + end (Node's floor${
            r.extraCaCerts ? '; NODE_EXTRA_CA_CERTS set' : ''
          })`,
          ms(r.bareFork.median),
          '',
          '',
        ],
        ...(r.withoutCaFile
          ? [
              [
                'process plugin, NODE_EXTRA_CA_CERTS unset (the machine without its CA file)',
                ms(r.withoutCaFile.process.median),
                `bare fork + ${ms(r.withoutCaFile.process.median - r.withoutCaFile.bareFork.median)}`,
                `≤ 150 ms: ${r.withoutCaFile.process.median <= 150 ? 'met' : 'missed'}`,
              ],
              [
                'bare `child_process.fork`, NODE_EXTRA_CA_CERTS unset',
                ms(r.withoutCaFile.bareFork.median),
                '',
                '',
              ],
            ]
          : []),
        ['service call round trip, worker plugin', us(r.calls.worker.median), '', ''],
        [
          'service call round trip, process plugin',
          us(r.calls.process.median),
          `${(r.calls.process.median / r.calls.worker.median).toFixed(2)}× worker`,
          `≤ 100 µs: ${r.calls.process.median <= 100 ? 'met' : 'missed'}`,
        ],
      ],
      'lrrl',
    ),
    '',
    'Graph resolution (chains, in memory):',
    '',
    table(
      ['plugins', 'median', 'ns per plugin + edge'],
      r.graph.map((g) => [fmtCount(g.n), ms(g.ms), g.nsPerNode.toFixed(0)]),
    ),
    '',
    `Reloads (${r.reloads.worker.cycles} each), host growth after full GC:`,
    '',
    table(
      ['isolation', 'per reload', 'host heap growth (of it, code)', 'host RSS growth', 'target'],
      [
        [
          'worker',
          ms(r.reloads.worker.msPerCycle),
          heapCell(r.reloads.worker),
          kb(r.reloads.worker.rssGrowthBytes),
          `< 1 MB heap: ${heapTarget(r.reloads.worker)} (RSS reported)`,
        ],
        [
          'process',
          ms(r.reloads.process.msPerCycle),
          heapCell(r.reloads.process),
          rssOverFloor(r.reloads),
          `< 1 MB heap: ${heapTarget(r.reloads.process)}; < 10 MB RSS: ${rssTarget(r.reloads)}`,
        ],
        [
          'bare `child_process.fork` (the floor of a process reload)',
          ms(r.reloads.bareFork.msPerCycle),
          heapCell(r.reloads.bareFork),
          kb(r.reloads.bareFork.rssGrowthBytes),
          '',
        ],
        [
          'inline',
          ms(r.reloads.inline.msPerCycle),
          heapCell(r.reloads.inline),
          kb(r.reloads.inline.rssGrowthBytes),
          'each copy of the module stays (ESM cache)',
        ],
      ],
      'lrrrl',
    ),
    '',
    'Heap growth counts compiled code too (V8 optimizing the reload path: bounded, not data kept); the',
    'heap target is judged on the rest. RSS growth is also shown over a bare fork loop of as many',
    "children in the same run, which is Node's own (the process target is judged on what is Steward's",
    'when Node alone passes it).',
  ];
  return lines.join('\n');
}

function heapCell(g: GrowthResult): string {
  return `${kb(g.heapGrowthBytes)} (${kb(g.codeGrowthBytes)})`;
}

function heapTarget(g: GrowthResult): string {
  return g.heapGrowthBytes - g.codeGrowthBytes < 2 ** 20 ? 'met' : 'missed';
}

/** The process reloads' RSS growth, with its ratio to (and excess over) the bare forks' when that grew. */
function rssOverFloor(r: PluginsResult['reloads']): string {
  const own = r.process.rssGrowthBytes;
  const floor = r.bareFork.rssGrowthBytes;
  if (floor <= 0) return `${kb(own)} (bare fork: ${kb(floor)})`;
  return `${kb(own)} (${(own / floor).toFixed(1)}× bare fork, + ${kb(own - floor)})`;
}

/** < 10 MB RSS for process reloads: outright, or over Node's own growth in the same run. */
function rssTarget(r: PluginsResult['reloads']): string {
  const limit = 10 * 2 ** 20;
  if (r.process.rssGrowthBytes < limit) return 'met';
  const own = r.process.rssGrowthBytes - r.bareFork.rssGrowthBytes;
  return own < limit ? `met over the bare fork (Node's own: ${kb(r.bareFork.rssGrowthBytes)})` : 'missed';
}

/** Registered in bench/run.ts. */
export const suite: BenchSuite = {
  id: 'plugins',
  title: 'Plugins, worker and process isolation',
  async run(options) {
    const result = await measure(options);
    return { result, markdown: render(result) };
  },
};
