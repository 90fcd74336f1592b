/**
 * Cost of handle attribution (steward/node) on the workload that hurts async_hooks most:
 * a loop of 1,000,000 `await`s. Each mode runs in a fresh child process (hooks and
 * AsyncLocalStorage cannot be fully undone in a process):
 *
 * - `baseline`        no hook, no AsyncLocalStorage;
 * - `initDestroy`     a plain `createHook({ init() {}, destroy() {} })` — classic async_hooks tooling;
 * - `initOnly`        a plain `createHook({ init() {} })` (promises included);
 * - `als`             the loop inside `AsyncLocalStorage.run` (what the current-component context costs alone);
 * - `steward`         `enableAttribution()` and the loop inside `runInComponent` (the worst case: in a component);
 * - `stewardOutside`  `enableAttribution()`, loop outside any component;
 * - `stewardStacks`   as `steward`, with `captureStacks`.
 *
 * A second workload measures the cost per attributed handle: 20,000 `setTimeout` + `clearTimeout`
 * inside a component, without and with attribution (and with stacks).
 *
 * Standalone: `node --expose-gc --import tsx bench/attribution.bench.ts [--quick]`.
 * From the harness: `runAttributionBench({ quick })` resolves with the figures.
 */

import { AsyncLocalStorage, createHook } from 'node:async_hooks';
import { execFile } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ResourceManager } from '../src/core/index.js';
import { enableAttribution, runInComponent } from '../src/node/index.js';
import { type BenchSuite, table } from './lib/harness.js';

const AWAITS = 1_000_000;
const TIMERS = 20_000;
const LOOP_MODES = [
  'baseline',
  'initDestroy',
  'initOnly',
  'als',
  'steward',
  'stewardOutside',
  'stewardStacks',
] as const;
const TIMER_MODES = ['baseline', 'steward', 'stewardStacks'] as const;
type LoopMode = (typeof LOOP_MODES)[number];
type TimerMode = (typeof TIMER_MODES)[number];

/** Result of `runAttributionBench`. */
export interface AttributionBenchResult {
  readonly node: string;
  /** Whether this Node honours `trackPromises: false` (promises never reach the hook). */
  readonly promisesSkippedByNode: boolean;
  readonly awaits: number;
  /** Median ms of the await loop per mode. */
  readonly awaitLoopMs: Record<LoopMode, number>;
  /** Median ms / baseline median. */
  readonly awaitLoopRatio: Record<LoopMode, number>;
  readonly timers: number;
  /** Median ns per setTimeout+clearTimeout inside a component, per mode. */
  readonly timerNs: Record<TimerMode, number>;
}

async function awaitLoop(n: number): Promise<number> {
  let x = 0;
  for (let i = 0; i < n; i++) {
    await null;
    x++;
  }
  return x;
}

function timerLoop(n: number): void {
  for (let i = 0; i < n; i++) clearTimeout(setTimeout(noop, 1_000_000));
}

function noop(): void {}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** Child side: run one mode `repeats` times (after a warm-up) and return the timings in ms. */
async function child(workload: 'await' | 'timer', mode: string, repeats: number): Promise<number[]> {
  const manager = new ResourceManager();
  const component = manager.register('bench', { type: 'plugin' });
  if (mode === 'initDestroy') createHook({ init() {}, destroy() {} }).enable();
  if (mode === 'initOnly') createHook({ init() {} }).enable();
  if (mode.startsWith('steward')) enableAttribution({ captureStacks: mode === 'stewardStacks' });
  const als = new AsyncLocalStorage<number>();
  const run = async (): Promise<void> => {
    if (workload === 'timer') {
      if (mode === 'baseline') timerLoop(TIMERS);
      else runInComponent(component, () => timerLoop(TIMERS));
      return;
    }
    if (mode === 'als') await als.run(1, () => awaitLoop(AWAITS));
    else if (mode === 'steward' || mode === 'stewardStacks')
      await runInComponent(component, () => awaitLoop(AWAITS));
    else await awaitLoop(AWAITS);
  };
  await run();
  const times: number[] = [];
  for (let i = 0; i < repeats; i++) {
    (globalThis as { gc?: () => void }).gc?.();
    const t0 = performance.now();
    await run();
    times.push(performance.now() - t0);
  }
  return times;
}

function runChild(workload: 'await' | 'timer', mode: string, repeats: number): Promise<number[]> {
  const file = fileURLToPath(import.meta.url);
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['--expose-gc', '--import', 'tsx', file, '--child', workload, mode, String(repeats)],
      { cwd: fileURLToPath(new URL('..', import.meta.url)), timeout: 120_000 },
      (error, stdout) => {
        if (error) return reject(error);
        const line = stdout.split('\n').find((l) => l.startsWith('RESULT '));
        if (line === undefined) return reject(new Error(`no result from ${workload}/${mode}: ${stdout}`));
        resolve(JSON.parse(line.slice(7)) as number[]);
      },
    );
  });
}

async function promisesSkipped(): Promise<boolean> {
  let promises = 0;
  const hook = createHook({
    init(_id: number, type: string) {
      if (type === 'PROMISE') promises++;
    },
    trackPromises: false,
  } as Parameters<typeof createHook>[0]).enable();
  await Promise.resolve();
  hook.disable();
  return promises === 0;
}

/**
 * Run the attribution benchmark: child processes, one at a time; modes are interleaved over
 * several rounds (and the median taken over all runs) so that a change in machine load
 * does not favour one mode. `quick`: one round.
 */
export async function runAttributionBench(
  options: { quick?: boolean } = {},
): Promise<AttributionBenchResult> {
  const rounds = options.quick ? 1 : 3;
  const repeats = options.quick ? 3 : 5;
  const loopRuns = Object.fromEntries(LOOP_MODES.map((m) => [m, [] as number[]])) as Record<
    LoopMode,
    number[]
  >;
  const timerRuns = Object.fromEntries(TIMER_MODES.map((m) => [m, [] as number[]])) as Record<
    TimerMode,
    number[]
  >;
  for (let round = 0; round < rounds; round++) {
    for (const mode of LOOP_MODES) loopRuns[mode].push(...(await runChild('await', mode, repeats)));
    for (const mode of TIMER_MODES) timerRuns[mode].push(...(await runChild('timer', mode, repeats)));
  }
  const awaitLoopMs = {} as Record<LoopMode, number>;
  const awaitLoopRatio = {} as Record<LoopMode, number>;
  for (const mode of LOOP_MODES) awaitLoopMs[mode] = median(loopRuns[mode]);
  for (const mode of LOOP_MODES) awaitLoopRatio[mode] = awaitLoopMs[mode] / awaitLoopMs.baseline;
  const timerNs = {} as Record<TimerMode, number>;
  for (const mode of TIMER_MODES) timerNs[mode] = (median(timerRuns[mode]) * 1e6) / TIMERS;
  return {
    node: process.version,
    promisesSkippedByNode: await promisesSkipped(),
    awaits: AWAITS,
    awaitLoopMs,
    awaitLoopRatio,
    timers: TIMERS,
    timerNs,
  };
}

/** The suite registered in bench/run.ts. */
export const suite: BenchSuite = {
  id: 'attribution',
  title: 'Handle attribution (steward/node)',
  async run(options) {
    const result = await runAttributionBench({ quick: options.quick });
    const rows = LOOP_MODES.map((m) => [
      LOOP_LABELS[m],
      `${result.awaitLoopMs[m].toFixed(1)} ms`,
      `${result.awaitLoopRatio[m].toFixed(2)}×`,
    ]);
    const timerRows = TIMER_MODES.map((m) => [m, `${result.timerNs[m].toFixed(0)} ns`]);
    const markdown = [
      `${result.awaits.toLocaleString('en')} × \`await null\` (Node honours \`trackPromises: false\`: ${result.promisesSkippedByNode ? 'yes' : 'no'}). Target: attribution ≤ 1.5× the loop without hooks.`,
      '',
      table(['mode', 'median', 'vs no hook'], rows, 'lrr'),
      '',
      `${result.timers.toLocaleString('en')} \`setTimeout\` + \`clearTimeout\` inside a component (cost per attributed handle):`,
      '',
      table(['mode', 'per timer'], timerRows, 'lr'),
    ].join('\n');
    return { result, markdown };
  },
};

const LOOP_LABELS: Record<LoopMode, string> = {
  baseline: 'no hook',
  initDestroy: 'plain init + destroy hook',
  initOnly: 'plain init-only hook',
  als: 'AsyncLocalStorage alone',
  steward: 'attribution, loop in a component',
  stewardOutside: 'attribution, loop outside components',
  stewardStacks: 'attribution with creation stacks',
};

const isMain = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (isMain) {
  const args = process.argv.slice(2);
  if (args[0] === '--child') {
    const times = await child(args[1] as 'await' | 'timer', args[2]!, Number(args[3]));
    process.stdout.write(`RESULT ${JSON.stringify(times)}\n`);
  } else {
    const result = await runAttributionBench({ quick: args.includes('--quick') });
    const lines = [
      `Node ${result.node}; trackPromises honoured: ${result.promisesSkippedByNode}`,
      `${result.awaits.toLocaleString('en')} awaits:`,
      ...LOOP_MODES.map(
        (m) =>
          `  ${m.padEnd(15)} ${result.awaitLoopMs[m].toFixed(1).padStart(8)} ms  ${result.awaitLoopRatio[m].toFixed(2)}×`,
      ),
      `${result.timers.toLocaleString('en')} setTimeout+clearTimeout in a component:`,
      ...TIMER_MODES.map((m) => `  ${m.padEnd(15)} ${result.timerNs[m].toFixed(0).padStart(8)} ns each`),
    ];
    process.stdout.write(lines.join('\n') + '\n');
  }
}
