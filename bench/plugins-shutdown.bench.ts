/**
 * Plugins: host shutdown with 200 plugins of which one hangs (issue 13 §3). The real `steward
 * run` binary hosts 200 plugin folders; each plugin's deactivate writes a marker file, except
 * one whose deactivate never settles and asks for 60 s. SIGTERM goes to the host's pid alone;
 * measured from the signal to the host's exit, against the deadline (`--deadline`), with every
 * other plugin's marker counted. Peers in the same run: the same 200 plugins with none hanging,
 * and with the hanging one a worker plugin spinning forever (`for (;;)`) in deactivate.
 * Target: exit within deadline + 50 ms, all 199 other deactivates run.
 */
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  type BenchSuite,
  log,
  type RunOptions,
  runChild,
  type Summary,
  summarize,
  table,
} from './lib/harness.js';

const MAIN = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
const MODULE = import.meta.url;
const PLUGINS = 200;

type Hang = 'none' | 'inline' | 'worker';

// One line appended to one file per deactivate: creating 200 files would cost more than the
// teardown measured (file creation is slow on a loaded VM disk).
const MARKER = `
import { appendFileSync } from 'node:fs';
export default {
  activate() {},
  deactivate(ctx) { appendFileSync(process.env.BENCH_MARKERS, ctx.id + '\\n'); },
};`;
const HANGS = 'export default { activate() {}, deactivate() { return new Promise(() => {}); } };';
const SPINS = 'export default { activate() {}, deactivate() { for (;;) {} } };';

async function writePlugins(dir: string, hang: Hang): Promise<void> {
  await Promise.all(
    Array.from({ length: PLUGINS }, async (_, i) => {
      const id = `p${String(i).padStart(3, '0')}`;
      const hangs = hang !== 'none' && i === PLUGINS / 2;
      const steward = {
        id,
        ...(hangs ? { deactivationTimeoutMs: 60_000 } : {}),
        ...(hangs && hang === 'worker' ? { isolation: 'worker' } : {}),
      };
      await mkdir(join(dir, id), { recursive: true });
      await writeFile(
        join(dir, id, 'package.json'),
        JSON.stringify({ name: id, version: '1.0.0', type: 'module', main: 'index.js', steward }),
      );
      await writeFile(join(dir, id, 'index.js'), hangs ? (hang === 'worker' ? SPINS : HANGS) : MARKER);
    }),
  );
}

/** One host run: start, wait until it is up, SIGTERM, time to exit. */
function shutdownOnce(
  dir: string,
  markers: string,
  deadlineMs: number,
): Promise<{ ms: number; code: number | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [MAIN, 'run', dir, '--deadline', String(deadlineMs)], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, BENCH_MARKERS: markers, NO_COLOR: '1' },
    });
    let stderr = '';
    let sent = 0;
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
      if (sent === 0 && stderr.includes('press Ctrl-C to stop')) {
        sent = performance.now();
        child.kill('SIGTERM');
      }
    });
    child.once('error', reject);
    child.once('exit', (code) => {
      if (sent === 0) reject(new Error(`the host exited before it was up (code ${code}):\n${stderr}`));
      else resolve({ ms: performance.now() - sent, code });
    });
  });
}

interface ShutdownResult {
  hang: Hang;
  deadlineMs: number;
  exitMs: number[];
  /** Other plugins whose deactivate ran, per rep. */
  deactivated: number[];
  codes: Array<number | null>;
}

/** Child side. */
export const tasks = {
  async shutdown(p: { hang: Hang; deadlineMs: number; reps: number }): Promise<ShutdownResult> {
    const root = await mkdtemp(join(tmpdir(), 'steward-bench-shutdown-'));
    try {
      const dir = join(root, 'plugins');
      await writePlugins(dir, p.hang);
      const result: ShutdownResult = {
        hang: p.hang,
        deadlineMs: p.deadlineMs,
        exitMs: [],
        deactivated: [],
        codes: [],
      };
      for (let rep = 0; rep < p.reps; rep++) {
        const markers = join(root, `markers-${rep}`);
        await writeFile(markers, '');
        const { ms, code } = await shutdownOnce(dir, markers, p.deadlineMs);
        result.exitMs.push(ms);
        result.codes.push(code);
        const lines = (await readFile(markers, 'utf8')).split('\n').filter((l) => l.length > 0);
        result.deactivated.push(new Set(lines).size);
      }
      return result;
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  },
};

interface Result {
  runs: Array<ShutdownResult & { exit: Summary }>;
}

async function measure(options: RunOptions): Promise<Result> {
  const reps = options.quick ? 2 : 7;
  const deadlineMs = 1000;
  const runs: Result['runs'] = [];
  for (const hang of ['none', 'inline', 'worker'] as const) {
    log(options, `plugins-shutdown: ${PLUGINS} plugins, hanging: ${hang}`);
    const r = await runChild<ShutdownResult>(
      MODULE,
      'shutdown',
      { hang, deadlineMs, reps },
      { timeoutMs: 600_000 },
    );
    runs.push({ ...r, exit: summarize(r.exitMs) });
  }
  return { runs };
}

const ms = (v: number) => `${v.toFixed(0)} ms`;

function render(result: unknown): string {
  const { runs } = result as Result;
  const rows = runs.map((r) => {
    const others = r.hang === 'none' ? PLUGINS : PLUGINS - 1;
    const all = r.deactivated.every((n) => n === others);
    const max = Math.max(...r.exitMs);
    const met = r.exit.median <= r.deadlineMs + 50 && all;
    return [
      r.hang === 'none'
        ? 'none hangs'
        : r.hang === 'inline'
          ? 'one hangs (inline, never settles)'
          : 'one spins (worker, `for (;;)`)',
      ms(r.deadlineMs),
      ms(r.exit.median),
      `${ms(max)} (${max - r.deadlineMs >= 0 ? '+' : ''}${ms(max - r.deadlineMs)})`,
      `${Math.min(...r.deactivated)}/${others}`,
      r.hang === 'none' ? '' : `median ≤ deadline + 50 ms, all run: ${met ? 'met' : 'missed'}`,
    ];
  });
  return [
    `SIGTERM to \`steward run\` hosting ${PLUGINS} plugins, to its exit (exit codes: ${[...new Set(runs.flatMap((r) => r.codes))].join(', ')}); ${runs[0]?.deactivated.length ?? 0} runs each:`,
    '',
    table(
      ['plugins', 'deadline', 'exit, median', 'exit, max', 'other deactivates run', 'target'],
      rows,
      'lrrrrl',
    ),
  ].join('\n');
}

/** Registered in bench/run.ts. */
export const suite: BenchSuite = {
  id: 'plugins-shutdown',
  title: 'Plugins: shutdown with a hanging plugin',
  run: measure,
  render,
};
