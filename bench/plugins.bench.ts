/**
 * Plugins and worker isolation benchmarks (issues #3 and #4), each measurement in a fresh child:
 *
 * - 100 inline plugins with 10 tracked resources each: discover + load + activate, then
 *   deactivate + unload, per plugin;
 * - one activate/deactivate cycle of an already-imported inline plugin (target < 1 ms);
 * - a dependency chain of 1,000 plugins activated and torn down in order;
 * - graph resolution of chains of 1k / 10k / 100k plugins (linear in plugins + edges);
 * - a worker plugin's load + activate + deactivate + unload (target < 50 ms), and a process
 *   plugin's (target ≤ 150 ms; issue #15), measured side by side;
 * - a service call round trip host → plugin → host, worker and process (target ≤ 100 µs median
 *   for process);
 * - 1,000 reloads of a worker plugin, a process plugin and an inline plugin: host heap and RSS
 *   growth (target < 1 MB heap for workers and processes, < 10 MB RSS for processes; inline
 *   reloads keep every module copy, reported side by side).
 */
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
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
  rssGrowthBytes: number;
  msPerCycle: number;
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
        fullGc();
        await new Promise((r) => setTimeout(r, 100));
        fullGc();
        const heap0 = process.memoryUsage().heapUsed;
        const rss0 = process.memoryUsage().rss;
        const t = performance.now();
        for (let i = 0; i < p.cycles; i++) {
          const info = await host.reload(id);
          if (info.state !== 'active') throw new Error(`reload ${i}: ${info.state} ${info.error}`);
        }
        const ms = performance.now() - t;
        fullGc();
        await new Promise((r) => setTimeout(r, 100));
        fullGc();
        const heap1 = process.memoryUsage().heapUsed;
        const rss1 = process.memoryUsage().rss;
        await host.dispose();
        return {
          cycles: p.cycles,
          heapGrowthBytes: heap1 - heap0,
          rssGrowthBytes: rss1 - rss0,
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
  calls: { worker: Summary; process: Summary };
  reloads: { worker: GrowthResult; process: GrowthResult; inline: GrowthResult };
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
  log(options, 'workers: load + activate + deactivate + unload');
  const worker = await runChild<{ msPerCycle: number[] }>(MODULE, 'remoteCycle', {
    cycles: q ? 10 : 50,
    isolation: 'worker',
  });
  log(options, 'processes: load + activate + deactivate + unload');
  const proc = await runChild<{ msPerCycle: number[] }>(MODULE, 'remoteCycle', {
    cycles: q ? 10 : 50,
    isolation: 'process',
  });
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
    worker: summarize(worker.msPerCycle),
    process: summarize(proc.msPerCycle),
    calls: { worker: summarize(workerCall.usPerCall), process: summarize(processCall.usPerCall) },
    reloads: { worker: workerReloads, process: processReloads, inline: inlineReloads },
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
          '',
          `< 50 ms: ${r.worker.median < 50 ? 'met' : 'missed'}`,
        ],
        [
          'process plugin: load + activate + deactivate + unload',
          ms(r.process.median),
          `${(r.process.median / r.worker.median).toFixed(2)}× worker`,
          `≤ 150 ms: ${r.process.median <= 150 ? 'met' : 'missed'}`,
        ],
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
      ['isolation', 'per reload', 'host heap growth', 'host RSS growth', 'target'],
      [
        [
          'worker',
          ms(r.reloads.worker.msPerCycle),
          kb(r.reloads.worker.heapGrowthBytes),
          kb(r.reloads.worker.rssGrowthBytes),
          `< 1 MB heap: ${r.reloads.worker.heapGrowthBytes < 2 ** 20 ? 'met' : 'missed'} (RSS reported)`,
        ],
        [
          'process',
          ms(r.reloads.process.msPerCycle),
          kb(r.reloads.process.heapGrowthBytes),
          kb(r.reloads.process.rssGrowthBytes),
          `< 1 MB heap: ${r.reloads.process.heapGrowthBytes < 2 ** 20 ? 'met' : 'missed'}; < 10 MB RSS: ${
            r.reloads.process.rssGrowthBytes < 10 * 2 ** 20 ? 'met' : 'missed'
          }`,
        ],
        [
          'inline',
          ms(r.reloads.inline.msPerCycle),
          kb(r.reloads.inline.heapGrowthBytes),
          kb(r.reloads.inline.rssGrowthBytes),
          'each copy of the module stays (ESM cache)',
        ],
      ],
      'lrrrl',
    ),
  ];
  return lines.join('\n');
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
