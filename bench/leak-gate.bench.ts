/**
 * The leak gate's overhead on this project's own suite (issue 14, target ≤ 1.1× wall time): a
 * representative subset of the project's test files — the core (tracking, scopes, cleanup,
 * leaks), the plugin host (load, reload, unload, state, graph) and the Node runtime — run by
 * Vitest as `npm test` runs them, and again with `steward/testing`'s gate on every test
 * (`bench/leak-gate/setup.ts`: `installLeakCheck` over every manager, with the unload
 * verification it turns on for the tests' plugin hosts). Runs alternate (without, with, …) so
 * a change in the machine's load falls on both; the ratio is of the medians.
 *
 * Standalone: `node --expose-gc --import tsx bench/run.ts --only leak-gate`.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BenchSuite, fmtRatio, log, summarize, table } from './lib/harness.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const VITEST = join(ROOT, 'node_modules/vitest/vitest.mjs');
const GATE_CONFIG = join(ROOT, 'bench/leak-gate/vitest.config.ts');

/** The subset: files that run in-process (no browser), a few seconds each on 2 cores. */
export const FILES = [
  'test/core',
  'test/plugins/host.test.ts',
  'test/plugins/plugin-state.test.ts',
  'test/plugins/graph.test.ts',
  'test/plugins/queries.test.ts',
  'test/plugins/ledger.test.ts',
  'test/plugins/discovery.test.ts',
  'test/node/shutdown.test.ts',
  'test/node/dispose-sync.test.ts',
  'test/node/spawn.test.ts',
];

interface Stats {
  tests: number;
  leaks: number;
  verdicts: number;
  snapshots: number;
}

function vitest(gate: boolean, statsFile: string): Promise<number> {
  const args = [VITEST, 'run', ...(gate ? ['--config', GATE_CONFIG] : []), ...FILES];
  const started = performance.now();
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      args,
      { cwd: ROOT, env: { ...process.env, STEWARD_GATE_STATS: statsFile }, maxBuffer: 64 * 2 ** 20 },
      (error, stdout) => {
        if (error) reject(new Error(`vitest failed (gate: ${gate}):\n${stdout.slice(-4000)}`));
        else resolve(performance.now() - started);
      },
    );
  });
}

/** Result of the suite. */
export interface LeakGateResult {
  readonly node: string;
  readonly files: readonly string[];
  readonly without: readonly number[];
  readonly with: readonly number[];
  readonly stats: Stats;
}

/** The suite registered in bench/run.ts. */
export const suite: BenchSuite = {
  id: 'leak-gate',
  title: "Leak gate: overhead on the project's own tests",
  async run(options): Promise<LeakGateResult> {
    const runs = options.quick ? 1 : 3;
    const dir = mkdtempSync(join(tmpdir(), 'steward-bench-gate-'));
    const without: number[] = [];
    const withGate: number[] = [];
    let stats: Stats = { tests: 0, leaks: 0, verdicts: 0, snapshots: 0 };
    try {
      for (let i = 0; i < runs; i++) {
        without.push(await vitest(false, join(dir, 'none.jsonl')));
        log(options, `  leak-gate: without ${without.at(-1)!.toFixed(0)} ms`);
        const file = join(dir, `gate-${i}.jsonl`);
        withGate.push(await vitest(true, file));
        log(options, `  leak-gate: with ${withGate.at(-1)!.toFixed(0)} ms`);
        stats = { tests: 0, leaks: 0, verdicts: 0, snapshots: 0 };
        for (const line of readFileSync(file, 'utf8').split('\n').filter(Boolean)) {
          const s = JSON.parse(line) as Stats;
          for (const k of Object.keys(stats) as Array<keyof Stats>) stats[k] += s[k];
        }
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    return { node: process.version, files: FILES, without, with: withGate, stats };
  },
  render(raw): string {
    const r = raw as LeakGateResult;
    const a = summarize(r.without).median;
    const b = summarize(r.with).median;
    const s = r.stats;
    return [
      `\`vitest run\` of ${r.files.map((f) => `\`${f}\``).join(', ')} (${s.tests} tests), ${r.node}; median of ${r.with.length} alternating runs each. The gate checked every test; it saw ${s.leaks} leak(s) (tolerated, the project's tests leave some on purpose) and verified ${s.verdicts} batch(es) of unloads (${s.snapshots} with a heap snapshot). Target ≤ 1.1×:`,
      '',
      table(
        ['run', 'wall (median)', 'runs', 'ratio'],
        [
          [
            'without the gate',
            `${(a / 1000).toFixed(1)} s`,
            r.without.map((x) => (x / 1000).toFixed(1)).join(', '),
            '',
          ],
          [
            'with the gate',
            `${(b / 1000).toFixed(1)} s`,
            r.with.map((x) => (x / 1000).toFixed(1)).join(', '),
            fmtRatio(b / a),
          ],
        ],
      ),
    ].join('\n');
  },
};
