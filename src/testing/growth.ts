/**
 * `expectNoGrowth`: the repeat-N check — run an operation (load and unload a plugin, open and
 * close a panel) many times and fail when the heap grows with the repetitions. Noise is
 * rejected twice: each sample is the heap used after forced full collections, and a leak must
 * be both a trend (least-squares slope above `bytesPerRepeat`) and steady (the median step
 * above it too) — a few large jumps from a lazy allocation, a JIT tier-up or a cache filling
 * once move the slope but not the median step, so they are not a leak. A trend is then
 * confirmed: the operation runs another `repeats` times and must keep growing at a comparable
 * rate (at least half the previous round's). A warm-up that flattens — Node's lazy socket
 * internals grow for the first ~50 round trips of a fresh process, then stay flat — passes in
 * the next round; a growth that decays but stays above the tolerance gets further rounds, up to
 * {@link MAX_ROUNDS}.
 */
import { StewardError, StewardRangeError } from '../core/errors.js';
import { forceGc, nextMacrotask } from '../node/gc.js';

/** Options of {@link expectNoGrowth}. */
export interface GrowthOptions {
  /** Repetitions measured. Default 20. */
  readonly repeats?: number;
  /** Repetitions run first and not measured (warm caches, JIT). Default 3. */
  readonly warmup?: number;
  /** Growth per repetition tolerated, bytes. Default 4096. */
  readonly bytesPerRepeat?: number;
  /** Name of the operation in the message. */
  readonly label?: string;
}

/** What {@link expectNoGrowth} measured. */
export interface GrowthReport {
  /** Heap used plus external memory (buffers) after each measured repetition (after full collections), bytes. */
  readonly samples: readonly number[];
  /** Least-squares growth per repetition, bytes. */
  readonly slope: number;
  /** Share of steps (0…1) where the heap grew. */
  readonly growingSteps: number;
  /** The median growth from one repetition to the next, bytes. */
  readonly medianStep: number;
  /**
   * Rounds of `repeats` repetitions run: 1 when the first showed no trend, more when a trend
   * was measured again (the report is the last round's).
   */
  readonly rounds: number;
}

/** Rounds of `repeats` repetitions at most, when each shows a trend that slows down. */
const MAX_ROUNDS = 5;

async function settledHeap(): Promise<number> {
  for (let i = 0; i < 2; i++) {
    await nextMacrotask();
    forceGc();
  }
  await nextMacrotask();
  const { heapUsed, external } = process.memoryUsage();
  return heapUsed + external; // buffers' bytes live outside the JS heap
}

/**
 * Run `operation` `warmup + repeats` times; reject with a `StewardError`
 * (`STEWARD_HEAP_GROWTH`) when the heap grows steadily with the repetitions and keeps growing
 * at a comparable rate in another `repeats` (so a failing check runs it at least twice as many
 * times), resolve with the measurements otherwise. Bad options reject with a `RangeError` naming the option.
 */
export async function expectNoGrowth(
  operation: (iteration: number) => unknown,
  options: GrowthOptions = {},
): Promise<GrowthReport> {
  const repeats = options.repeats ?? 20;
  const warmup = options.warmup ?? 3;
  const tolerance = options.bytesPerRepeat ?? 4096;
  for (const [name, value, min] of [
    ['repeats', repeats, 5],
    ['warmup', warmup, 0],
    ['bytesPerRepeat', tolerance, 0],
  ] as const) {
    if (!(Number.isFinite(value) && value >= min)) {
      throw new StewardRangeError(
        `expectNoGrowth(): ${name} must be a finite number >= ${min} (got ${String(value)}).`,
      );
    }
  }
  for (let i = 0; i < warmup; i++) await operation(i);
  let baseline = await settledHeap();
  let previous: GrowthReport | undefined;
  for (let round = 1; ; round++) {
    const samples: number[] = [baseline];
    for (let i = 0; i < repeats; i++) {
      await operation(warmup + (round - 1) * repeats + i);
      samples.push(await settledHeap());
    }
    const report = analyse(samples, round);
    if (!(report.slope > tolerance && report.medianStep > tolerance)) return report;
    // A trend: confirmed when it keeps its pace (a leak), measured again when it slows (a warm-up).
    const keepsPace = previous !== undefined && report.slope >= previous.slope / 2;
    if (keepsPace || round === MAX_ROUNDS) throw growthError(report, repeats, tolerance, options.label);
    previous = report;
    baseline = samples.at(-1)!;
  }
}

function growthError(report: GrowthReport, repeats: number, tolerance: number, label?: string): StewardError {
  return new StewardError(
    `expectNoGrowth(): the heap grows by about ${Math.round(report.slope)} bytes each time ${label ?? 'the operation'} runs ` +
      `(${repeats} repetitions, ${Math.round(report.growingSteps * 100)}% of them growing, still growing after ` +
      `${report.rounds} rounds of ${repeats}; tolerated ${tolerance}). ` +
      'Something it creates is kept: with a plugin, turn on verifyUnload (or a leak check) to get the retainer path.',
    { code: 'STEWARD_HEAP_GROWTH' },
  );
}

function analyse(samples: readonly number[], rounds: number): GrowthReport {
  const n = samples.length;
  const meanX = (n - 1) / 2;
  const meanY = samples.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += (i - meanX) * (samples[i]! - meanY);
    den += (i - meanX) ** 2;
  }
  const steps: number[] = [];
  for (let i = 1; i < n; i++) steps.push(samples[i]! - samples[i - 1]!);
  const sorted = [...steps].sort((a, b) => a - b);
  return {
    samples,
    slope: den === 0 ? 0 : num / den,
    growingSteps: steps.filter((d) => d > 0).length / steps.length,
    medianStep: sorted[Math.floor(sorted.length / 2)]!,
    rounds,
  };
}
