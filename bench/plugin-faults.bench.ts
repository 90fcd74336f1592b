/**
 * Plugins benchmark, fault containment (issue 13 §1): what error attribution costs a timer-heavy
 * inline plugin. A round is 10,000 timer callbacks, each with a two-step promise chain; the
 * plugin runs 5 rounds to warm up, then measures each round itself. The same plugin runs with
 * `errorAttribution`
 *
 * - `false`     — off: plain calls, nothing contained;
 * - `true`      — the default: the stack names the plugin, and where it is cheap (Node ≥ 24,
 *                 AsyncContextFrame) its code also runs in its component's async context;
 * - `'context'` — the async context on every Node (on Node 20 that turns on Node's promise hooks).
 *
 * Each measurement is a fresh child (Node 20's promise hooks cannot be turned off in a process);
 * the modes are interleaved and their order rotated, so a machine whose load drifts does not
 * favour one. The figure compared is the process's CPU time per round (`process.cpuUsage`), which
 * a loaded machine disturbs far less than wall time (also shown). Target: the default costs
 * ≤ 5 % over `false`.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PluginHost } from '../src/plugins/index.js';
import {
  type BenchSuite,
  log,
  type RunOptions,
  runChild,
  type Summary,
  summarize,
  table,
} from './lib/harness.js';

/** `rounds` rounds of 10,000 timers, each callback a two-step promise chain; logs [wall, CPU] ms per round. */
const TIMER_HEAVY_CODE = (rounds: number) => `
function round() {
  return new Promise((resolve) => {
    let left = 10000;
    for (let i = 0; i < 10000; i++) {
      setTimeout(() => {
        Promise.resolve(i)
          .then((x) => x + 1)
          .then(() => {
            if (--left === 0) resolve();
          });
      }, 0);
    }
  });
}
export default {
  async activate(ctx) {
    for (let i = 0; i < 5; i++) await round();
    const ms = [];
    for (let i = 0; i < ${rounds}; i++) {
      const t = performance.now();
      const c = process.cpuUsage();
      await round();
      const cpu = process.cpuUsage(c);
      ms.push([performance.now() - t, (cpu.user + cpu.system) / 1000]);
    }
    ctx.log.info(JSON.stringify(ms));
  },
};`;

type Mode = boolean | 'context';
const MODES: readonly Mode[] = [false, true, 'context'];

/** Child side. */
export const tasks = {
  /** The timer-heavy plugin under one mode: ms per round. */
  async faults(p: { rounds: number; errorAttribution: Mode }): Promise<{ msPerRound: [number, number][] }> {
    const root = await mkdtemp(join(tmpdir(), 'steward-bench-'));
    try {
      const dir = join(root, 'plugins', 'timer-heavy');
      await mkdir(dir, { recursive: true });
      const steward = { id: 'timer-heavy', activationTimeoutMs: 600_000 };
      await writeFile(
        join(dir, 'package.json'),
        JSON.stringify({ name: 'timer-heavy', version: '1.0.0', type: 'module', main: 'index.js', steward }),
      );
      await writeFile(join(dir, 'index.js'), TIMER_HEAVY_CODE(p.rounds));
      let line = '';
      const host = new PluginHost({
        dirs: [join(root, 'plugins')],
        errorAttribution: p.errorAttribution,
        storageDir: join(root, 'storage'),
        log: (r) => {
          if (r.plugin === 'timer-heavy' && r.message.startsWith('[')) line = r.message;
        },
      });
      const summary = await host.start();
      await host.dispose();
      if (summary.active.length !== 1 || line === '') throw new Error('the timer-heavy plugin did not run');
      return { msPerRound: JSON.parse(line) as [number, number][] };
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  },
};

const MODULE = import.meta.url;

interface FaultsResult {
  readonly modes: Array<{
    readonly mode: string;
    /** Wall time per round, ms. */
    readonly rounds: Summary;
    /** CPU time per round, ms (the compared figure). */
    readonly cpu: Summary;
    /** CPU median / that of `false` − 1. */
    readonly cost: number;
  }>;
}

async function measure(options: RunOptions): Promise<FaultsResult> {
  const samples = new Map<Mode, [number, number][]>(MODES.map((m) => [m, []]));
  const reps = options.quick ? 2 : 8;
  for (let i = 0; i < reps; i++) {
    for (let k = 0; k < MODES.length; k++) {
      const mode = MODES[(i + k) % MODES.length]!;
      log(options, `plugin faults: errorAttribution ${String(mode)} (${i + 1}/${reps})`);
      const r = await runChild<{ msPerRound: [number, number][] }>(MODULE, 'faults', {
        rounds: options.quick ? 10 : 30,
        errorAttribution: mode,
      });
      samples.get(mode)!.push(...r.msPerRound);
    }
  }
  const cpuOf = (mode: Mode) => summarize(samples.get(mode)!.map(([, cpu]) => cpu));
  const off = cpuOf(false);
  return {
    modes: MODES.map((mode) => {
      const rounds = summarize(samples.get(mode)!.map(([wall]) => wall));
      const cpu = cpuOf(mode);
      return {
        mode: mode === 'context' ? "'context'" : String(mode),
        rounds,
        cpu,
        cost: cpu.median / off.median - 1,
      };
    }),
  };
}

const ms = (v: number) => `${v.toFixed(2)} ms`;

function render(r: FaultsResult): string {
  const rows = r.modes.map(({ mode, rounds, cpu, cost }) => [
    mode === 'true' ? 'true (default)' : mode,
    ms(cpu.median),
    `${ms(cpu.p25)} – ${ms(cpu.p75)}`,
    `${((cpu.median * 1e6) / 10_000).toFixed(0)} ns`,
    ms(rounds.median),
    mode === 'false' ? '' : `${cost >= 0 ? '+' : ''}${(cost * 100).toFixed(1)} %`,
    mode === 'true' ? `≤ 5 %: ${cost <= 0.05 ? 'met' : 'missed'}` : '',
  ]);
  return [
    'A timer-heavy inline plugin: a round is 10,000 timer callbacks, each with a two-step promise chain;',
    'compared: the CPU time of the process per round. `true` (the default) names the plugin from the stack,',
    "and also from the async context where that is cheap (Node ≥ 24); `'context'` uses the async context on every Node.",
    '',
    table(
      [
        'errorAttribution',
        'CPU per round',
        'p25 – p75',
        'CPU per callback',
        'wall per round',
        'cost vs false',
        'target',
      ],
      rows,
      'lrrrrrl',
    ),
  ].join('\n');
}

/** Registered in bench/run.ts. */
export const suite: BenchSuite = {
  id: 'plugin-faults',
  title: 'Plugins: fault containment (error attribution)',
  run: (options) => measure(options),
  render: (result) => render(result as FaultsResult),
};
