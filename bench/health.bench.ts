/**
 * Plugin health's cost and speed, each figure in a fresh child process:
 *
 * - the loop watchdog's overhead on a busy host: CPU time of a fixed amount of event-loop work
 *   (chunks of hashing, one per `setImmediate`) with and without `watchEventLoop` at its defaults
 *   (a 100 ms beat, a 100 ms poll): rounds of about a second, off/on/off, the median of on ÷ its
 *   neighbours' mean, with the A/A noise of the same rounds (target ≤ 1 % CPU);
 * - its cost on an idle host: CPU time of quiet windows without and with it, as a share of one core;
 * - time from block to finding: a loop blocked in a plugin's folder, the time from the block's
 *   start until the watchdog has blamed it (threshold + sampling + blaming), and the samples it
 *   took.
 *
 * Standalone: `node --expose-gc --import tsx bench/run.ts --only health [--quick]`.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { watchEventLoop } from '../src/node/loop-watchdog.js';
import { type BenchSuite, runChild, summarize, table } from './lib/harness.js';

const MODULE = import.meta.url;

function cpuMs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

/** `chunks` chunks of hashing, one per macrotask; resolves with the CPU time it took, ms. */
function busyWork(chunks: number): Promise<number> {
  const start = cpuMs();
  return new Promise((resolve) => {
    let left = chunks;
    const step = (): void => {
      let h = createHash('sha256');
      for (let i = 0; i < 200; i++) h = h.update('steward');
      h.digest();
      if (--left === 0) resolve(cpuMs() - start);
      else setImmediate(step);
    };
    step();
  });
}

export const tasks = {
  /**
   * CPU time of the same work with the watchdog off, on, off again, in rounds of about a second
   * each (shorter rounds measure the machine's noise, not the watchdog). The overhead is the
   * median over rounds of on ÷ the mean of its two neighbours, so a linear drift cancels out; the
   * median of off ÷ off again is the A/A noise of the same rounds, reported next to it.
   */
  async busy(p: { rounds: number; chunks: number }) {
    const off: number[] = [];
    const on: number[] = [];
    const ratios: number[] = [];
    const noise: number[] = [];
    await busyWork(p.chunks); // warm-up
    for (let r = 0; r < p.rounds; r++) {
      const before = await busyWork(p.chunks);
      const watchdog = watchEventLoop();
      await new Promise((resolve) => setTimeout(resolve, 500)); // its thread started
      const during = await busyWork(p.chunks);
      await watchdog.close();
      const after = await busyWork(p.chunks);
      off.push(before, after);
      on.push(during);
      ratios.push(during / ((before + after) / 2));
      noise.push(Math.abs(after / before - 1));
    }
    return {
      off: summarize(off).median,
      on: summarize(on).median,
      overhead: summarize(ratios).median - 1,
      noise: summarize(noise).median,
    };
  },

  /**
   * The watchdog's own CPU on an idle host: alternating quiet windows without and with it, the
   * difference of the medians as a share of one core.
   */
  async idle(p: { ms: number; windows: number }) {
    const quiet = async (): Promise<number> => {
      const start = cpuMs();
      await new Promise((resolve) => setTimeout(resolve, p.ms));
      return cpuMs() - start;
    };
    const off: number[] = [];
    const on: number[] = [];
    for (let i = 0; i < p.windows; i++) {
      off.push(await quiet());
      const watchdog = watchEventLoop();
      await new Promise((resolve) => setTimeout(resolve, 500));
      on.push(await quiet());
      await watchdog.close();
    }
    return { off: summarize(off).median, on: summarize(on).median, ms: p.ms };
  },

  /** Block the loop in a module of its own folder `blocks` times; the time until each is blamed. */
  async block(p: { blocks: number; thresholdMs: number; profileMs: number }) {
    const dir = mkdtempSync(join(tmpdir(), 'steward-bench-health-'));
    try {
      writeFileSync(
        join(dir, 'spin.mjs'),
        'export function spin(ms) { const end = Date.now() + ms; while (Date.now() < end) {} }\n',
      );
      const { spin } = (await import(pathToFileURL(join(dir, 'spin.mjs')).href)) as {
        spin(ms: number): void;
      };
      const found: { ms: number; samples: number; share: number }[] = [];
      const watchdog = watchEventLoop({
        thresholdMs: p.thresholdMs,
        profileMs: p.profileMs,
        onBlock: (b) =>
          found.push({
            ms: b.blockedMs,
            samples: b.blame?.total ?? 0,
            share: b.blame?.owners[0]?.share ?? 0,
          }),
      });
      watchdog.setRoots([{ id: 'spin', dir }]);
      await new Promise((resolve) => setTimeout(resolve, 500));
      for (let i = 0; i < p.blocks; i++) {
        spin(p.thresholdMs + p.profileMs + 1000);
        await new Promise((resolve) => setTimeout(resolve, 300));
      }
      await watchdog.close();
      return {
        toFindingMs: summarize(found.map((f) => f.ms)).median,
        samples: summarize(found.map((f) => f.samples)).median,
        share: Math.min(...found.map((f) => f.share)),
        blocks: found.length,
      };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
};

interface HealthResult {
  readonly busy: { off: number; on: number; overhead: number; noise: number };
  readonly idle: { off: number; on: number; ms: number };
  readonly block: { toFindingMs: number; samples: number; share: number; blocks: number };
  readonly params: { thresholdMs: number; profileMs: number };
}

function render(result: unknown): string {
  const r = result as HealthResult;
  const pct = (x: number): string => `${(x * 100).toFixed(2)} %`;
  const overhead = r.busy.overhead;
  const idleShare = (r.idle.on - r.idle.off) / r.idle.ms;
  return table(
    ['figure', 'value'],
    [
      [
        'Busy host: CPU time of the same work, watchdog off → on, median of off/on/off rounds (target ≤ 1 %)',
        `${r.busy.off.toFixed(0)} ms → ${r.busy.on.toFixed(0)} ms (${overhead >= 0 ? '+' : ''}${pct(overhead)}; A/A noise of the same rounds ±${pct(r.busy.noise)})`,
      ],
      [
        `Idle host: CPU of the watchdog, share of one core (medians of ${r.idle.ms / 1000} s windows)`,
        `${pct(Math.max(0, idleShare))} (${r.idle.off.toFixed(1)} ms → ${r.idle.on.toFixed(1)} ms)`,
      ],
      [
        `Block → finding (threshold ${r.params.thresholdMs} ms, sampling ${r.params.profileMs} ms), median of ${r.block.blocks}`,
        `${r.block.toFindingMs} ms, ${r.block.samples} samples, lowest share blamed ${pct(r.block.share)}`,
      ],
    ],
  );
}

export const suite: BenchSuite = {
  id: 'health',
  title: 'Plugin health (loop watchdog)',
  async run(options) {
    const params = { thresholdMs: 1000, profileMs: 1000 };
    const busy = await runChild<HealthResult['busy']>(MODULE, 'busy', {
      rounds: options.quick ? 3 : 11,
      chunks: options.quick ? 4000 : 40_000,
    });
    const idle = await runChild<HealthResult['idle']>(MODULE, 'idle', {
      ms: options.quick ? 1000 : 3000,
      windows: options.quick ? 2 : 5,
    });
    const block = await runChild<HealthResult['block']>(MODULE, 'block', {
      blocks: options.quick ? 2 : 5,
      ...params,
    });
    return { busy, idle, block, params } satisfies HealthResult;
  },
  render,
};
