/**
 * The host process as an operator's task manager shows it: V8 heap, RSS, external and
 * array-buffer memory, CPU and event-loop utilisation since the previous reading, event-loop
 * delay percentiles, and the active handles keeping the loop alive, by type. Read on demand
 * (`read()`) and sampled into a bounded history; the OpenTelemetry runtime metrics read the
 * same figures.
 */
import { type IntervalHistogram, monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { getHeapStatistics } from 'node:v8';
import { safeClearInterval, safeSetInterval } from '../core/intrinsics.js';
import { SampleRing } from './ring.js';

/** One reading of the process. Sizes in bytes, times in ms, shares from 0 to 1. */
export interface ProcessStats {
  readonly at: number;
  readonly pid: number;
  readonly node: string;
  readonly uptimeMs: number;
  readonly memory: {
    readonly rss: number;
    readonly heapUsed: number;
    readonly heapTotal: number;
    /** V8's heap size limit (`--max-old-space-size`). */
    readonly heapLimit: number;
    readonly external: number;
    readonly arrayBuffers: number;
  };
  /** CPU time used since the previous reading, as a share of one core (1 = one core busy). */
  readonly cpu: { readonly user: number; readonly system: number; readonly total: number };
  /** Event-loop utilisation since the previous reading (0 idle … 1 always busy). */
  readonly elu: number;
  /** Event-loop delay since the previous reading, ms (min, mean, p50, p99, max). */
  readonly loopDelay: {
    readonly min: number;
    readonly mean: number;
    readonly p50: number;
    readonly p99: number;
    readonly max: number;
  };
  /** Active resources keeping the event loop alive, by type (`process.getActiveResourcesInfo()`). */
  readonly handles: Readonly<Record<string, number>>;
}

/** One sample of the process history. */
export interface ProcessSample {
  readonly t: number;
  readonly rss: number;
  readonly heapUsed: number;
  readonly cpu: number;
  readonly elu: number;
}

/** Handles by type, sorted by count (the largest first). */
export function activeHandles(): Record<string, number> {
  const counts = new Map<string, number>();
  for (const type of process.getActiveResourcesInfo()) counts.set(type, (counts.get(type) ?? 0) + 1);
  return Object.fromEntries([...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])));
}

/**
 * Reads the process and keeps what rates need (the previous CPU and ELU readings, an
 * event-loop delay histogram). `start()` samples into a ring every `intervalMs` (unref'd);
 * `close()` stops the sampling and the delay histogram.
 */
export class ProcessMonitor {
  readonly #delay: IntervalHistogram;
  readonly #ring: SampleRing;
  readonly #intervalMs: number;
  #cpu = process.cpuUsage();
  #cpuAt = performance.now();
  #elu = performance.eventLoopUtilization();
  #timer: ReturnType<typeof setInterval> | undefined;
  #last: ProcessStats | undefined;

  constructor(options: { intervalMs: number; samples: number }) {
    this.#intervalMs = options.intervalMs;
    this.#ring = new SampleRing(options.samples, 5);
    this.#delay = monitorEventLoopDelay({ resolution: 20 });
    this.#delay.enable();
  }

  /** Sample now and then every `intervalMs`. Idempotent. */
  start(): void {
    if (this.#timer !== undefined) return;
    this.sample();
    this.#timer = safeSetInterval(() => this.sample(), this.#intervalMs);
    this.#timer.unref();
  }

  /** Stop sampling and measuring the event-loop delay. */
  close(): void {
    if (this.#timer !== undefined) safeClearInterval(this.#timer);
    this.#timer = undefined;
    this.#delay.disable();
  }

  /** Take a reading into the history. */
  sample(): ProcessStats {
    const stats = this.read();
    this.#ring.push(stats.at, stats.memory.rss, stats.memory.heapUsed, stats.cpu.total, stats.elu);
    return stats;
  }

  /**
   * The process now. CPU, ELU and loop delay cover the time since the previous reading; a
   * reading within 100 ms of the previous one returns that one's rates (so several readers
   * at once do not see near-empty windows).
   */
  read(): ProcessStats {
    const now = performance.now();
    const last = this.#last;
    const memory = process.memoryUsage();
    const fresh = last === undefined || now - this.#cpuAt >= 100;
    let cpu = last?.cpu ?? { user: 0, system: 0, total: 0 };
    let elu = last?.elu ?? 0;
    let loopDelay = last?.loopDelay ?? { min: 0, mean: 0, p50: 0, p99: 0, max: 0 };
    if (fresh) {
      const elapsedUs = Math.max(1, (now - this.#cpuAt) * 1000);
      const used = process.cpuUsage(this.#cpu);
      cpu = {
        user: used.user / elapsedUs,
        system: used.system / elapsedUs,
        total: (used.user + used.system) / elapsedUs,
      };
      this.#cpu = process.cpuUsage();
      this.#cpuAt = now;
      const current = performance.eventLoopUtilization();
      elu = performance.eventLoopUtilization(current, this.#elu).utilization;
      this.#elu = current;
      const h = this.#delay;
      const ms = (ns: number) => (Number.isFinite(ns) ? ns / 1e6 : 0);
      loopDelay =
        h.count > 0
          ? {
              min: ms(h.min),
              mean: ms(h.mean),
              p50: ms(h.percentile(50)),
              p99: ms(h.percentile(99)),
              max: ms(h.max),
            }
          : loopDelay;
      h.reset();
    }
    const stats: ProcessStats = {
      at: Date.now(),
      pid: process.pid,
      node: process.version,
      uptimeMs: Math.round(process.uptime() * 1000),
      memory: {
        rss: memory.rss,
        heapUsed: memory.heapUsed,
        heapTotal: memory.heapTotal,
        heapLimit: getHeapStatistics().heap_size_limit,
        external: memory.external,
        arrayBuffers: memory.arrayBuffers,
      },
      cpu,
      elu,
      loopDelay,
      handles: activeHandles(),
    };
    if (fresh) this.#last = stats;
    return stats;
  }

  /** The sampled history, oldest first. */
  history(): { intervalMs: number; samples: ProcessSample[] } {
    const samples = this.#ring.rows().map(([t, rss, heapUsed, cpu, elu]) => ({
      t: t!,
      rss: rss!,
      heapUsed: heapUsed!,
      cpu: cpu!,
      elu: elu!,
    }));
    return { intervalMs: this.#intervalMs, samples };
  }
}
