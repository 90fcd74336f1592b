/**
 * Shared machinery of the benchmarks: the suite contract, child-process measurement,
 * statistics, machine description and markdown helpers.
 *
 * Every measurement runs in a fresh child process (`bench/lib/child.ts`) started with the
 * parent's exec arguments (`--expose-gc --import tsx`), so one library's heap, JIT state and
 * GC debt never bias another's.
 */
import { execFileSync, spawn } from 'node:child_process';
import os from 'node:os';
import { fileURLToPath } from 'node:url';

/** Options of one `npm run bench` invocation, handed to every suite. */
export interface RunOptions {
  /** Fast smoke run: fewer sizes, warm-ups and repetitions. */
  readonly quick: boolean;
  /** Only these cases (library ids for the core suite); undefined = all. */
  readonly cases: readonly string[] | undefined;
  /** Print progress lines to stderr. */
  readonly verbose: boolean;
}

/**
 * A benchmark suite, registered in `bench/run.ts`. `run` executes in the parent and
 * measures through `runChild`. The suite module also exports `tasks`, which the child
 * process looks up by name.
 *
 * Two shapes are accepted: with `render`, `run` returns a JSON-friendly result that
 * `render` turns into markdown (so `--from <json>` can re-render a saved run); without it,
 * `run` returns `{ result, markdown }` (such a suite cannot be re-rendered with `--from`).
 */
export interface BenchSuite {
  readonly id: string;
  readonly title: string;
  run(options: RunOptions): Promise<unknown>;
  render?(result: unknown): string;
}

/** What a suite without `render` returns from `run`. */
export interface SuiteOutput {
  readonly result: unknown;
  readonly markdown: string;
}

/** Child-side entry points of a suite module: name → function of JSON parameters. */
export type ChildTasks = Record<string, (params: never) => Promise<unknown>>;

const CHILD = fileURLToPath(new URL('./child.ts', import.meta.url));
const RESULT_PREFIX = '@@bench-result ';

/**
 * Runs `tasks[task](params)` of the suite module `moduleUrl` in a fresh Node process and
 * returns its JSON result. The child inherits this process's exec arguments (the tsx
 * loader), always gets `--expose-gc`, and its stderr is passed through. `env` replaces the
 * child's environment (default: this process's).
 */
export function runChild<T>(
  moduleUrl: string,
  task: string,
  params: unknown,
  options: {
    readonly nodeArgs?: readonly string[];
    readonly timeoutMs?: number;
    readonly env?: NodeJS.ProcessEnv;
  } = {},
): Promise<T> {
  const execArgv = [...process.execArgv];
  if (!execArgv.includes('--expose-gc')) execArgv.unshift('--expose-gc');
  const args = [...execArgv, ...(options.nodeArgs ?? []), CHILD, moduleUrl, task, JSON.stringify(params)];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, {
      stdio: ['ignore', 'pipe', 'inherit'],
      ...(options.env ? { env: options.env } : {}),
    });
    let out = '';
    let timedOut = false;
    const timer =
      options.timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            timedOut = true;
            child.kill('SIGKILL');
          }, options.timeoutMs);
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      out += chunk;
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (timedOut) {
        reject(
          new ChildTimeoutError(
            `bench child ${task} ${JSON.stringify(params)} timed out after ${options.timeoutMs} ms`,
          ),
        );
        return;
      }
      const line = out.split('\n').find((l) => l.startsWith(RESULT_PREFIX));
      if (code !== 0 || line === undefined) {
        reject(
          new Error(`bench child ${task} ${JSON.stringify(params)} exited ${code ?? signal}: ${out.trim()}`),
        );
        return;
      }
      resolve(JSON.parse(line.slice(RESULT_PREFIX.length)) as T);
    });
  });
}

/** A child that ran past its `timeoutMs` (it was killed). */
export class ChildTimeoutError extends Error {}

/** Written by the child: the marker line the parent looks for. */
export function formatChildResult(value: unknown): string {
  return RESULT_PREFIX + JSON.stringify(value) + '\n';
}

/** Runs a full garbage collection (the child always has `--expose-gc`). */
export function fullGc(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error('benchmarks need --expose-gc');
  gc();
  gc();
}

export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

export interface Summary {
  readonly median: number;
  readonly p25: number;
  readonly p75: number;
  readonly min: number;
  readonly samples: number;
}

export function summarize(values: readonly number[]): Summary {
  const sorted = [...values].sort((a, b) => a - b);
  return {
    median: quantile(sorted, 0.5),
    p25: quantile(sorted, 0.25),
    p75: quantile(sorted, 0.75),
    min: sorted[0] ?? Number.NaN,
    samples: sorted.length,
  };
}

export interface MachineInfo {
  readonly cpu: string;
  readonly cores: number;
  readonly memoryGiB: number;
  readonly node: string;
  readonly v8: string;
  readonly platform: string;
  readonly date: string;
  /** Last commit of `src/` (what the suites measure), `+dirty` with uncommitted changes. */
  readonly commit?: string;
  /** 1-minute load average at the start and the end of the run (other work on the machine). */
  readonly load?: readonly [number, number];
}

/** Last commit touching `src/`, `+dirty` when it has uncommitted changes; undefined without git. */
export function gitCommit(): string | undefined {
  const cwd = fileURLToPath(new URL('../..', import.meta.url));
  try {
    const head = execFileSync('git', ['log', '-1', '--format=%h', '--', 'src'], {
      cwd,
      encoding: 'utf8',
    }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'src'], {
      cwd,
      encoding: 'utf8',
    }).trim();
    return head + (dirty === '' ? '' : '+dirty');
  } catch {
    return undefined;
  }
}

export function machineInfo(loadAtStart?: number, commit = gitCommit()): MachineInfo {
  const cpus = os.cpus();
  return {
    ...(commit === undefined ? {} : { commit }),
    ...(loadAtStart === undefined ? {} : { load: [loadAtStart, os.loadavg()[0]!] as const }),
    cpu: cpus[0]?.model.trim() ?? 'unknown',
    cores: cpus.length,
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    v8: process.versions.v8,
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    date: new Date().toISOString().slice(0, 10),
  };
}

/** Renders a markdown table; `align` is `l` or `r` per column. */
export function table(
  header: readonly string[],
  rows: readonly (readonly string[])[],
  align?: string,
): string {
  const a = align ?? 'l' + 'r'.repeat(header.length - 1);
  const sep = header.map((_, i) => (a[i] === 'r' ? '---:' : ':---'));
  return [header, sep, ...rows].map((r) => '| ' + r.join(' | ') + ' |').join('\n');
}

export function fmtNs(ns: number): string {
  if (!Number.isFinite(ns)) return '–';
  if (ns >= 1000) return (ns / 1000).toFixed(2) + ' µs';
  return ns.toFixed(ns >= 100 ? 0 : 1) + ' ns';
}

export function fmtRatio(r: number): string {
  return Number.isFinite(r) ? r.toFixed(2) + '×' : '–';
}

export function fmtCount(n: number): string {
  if (n >= 1_000_000 && n % 1_000_000 === 0) return n / 1_000_000 + 'M';
  if (n >= 1000 && n % 1000 === 0) return n / 1000 + 'k';
  return String(n);
}

export function log(options: RunOptions, message: string): void {
  if (options.verbose) process.stderr.write(message + '\n');
}
