/**
 * The health watch's vocabulary: its options, a plugin's figures, a blocked-loop finding, what it
 * needs of its host, and what it keeps per plugin. Shared by `health.ts` (the watch) and the
 * checks it runs each tick (`health-remote.ts`, `health-budget.ts`).
 */
import { type Emitter, StewardRangeError } from '../core/index.js';
import type { CpuProfile, HotSpot } from '../node/profile-blame.js';
import type { PluginEvents } from './events.js';
import type { PluginRecord } from './host-registry.js';
import type { LogSink } from './logger.js';
import type { BudgetAction } from './manifest-budget.js';

/** Options of the host's health watch (`new PluginHost({ health })`). */
export interface HealthOptions {
  /** How long the host's event loop must be stuck to count as blocked, ms. Default 3000. */
  readonly blockThresholdMs?: number;
  /** How long a blocked loop is sampled, ms. Default 1000. */
  readonly profileMs?: number;
  /** Share of a block's samples that blames a plugin, 0…1. Default 0.5. */
  readonly blameShare?: number;
  /** How often worker plugins' figures are read, ms. Default 1000. */
  readonly intervalMs?: number;
  /** Window of the ELU figure when no budget sets one, ms. Default 10000. */
  readonly windowMs?: number;
  /** Silence after which an active worker plugin is `unresponsive`, ms. Default 3000. */
  readonly unresponsiveMs?: number;
  /** Say on stderr, while the loop is still blocked, who blocks it. Default false (`steward run`: true). */
  readonly reportToStderr?: boolean;
}

/** A blocked episode of the host's event loop, blamed on a plugin when one owns enough of it. */
export interface LoopBlockFinding {
  /** The blamed plugin, when one had at least `blameShare` of the samples. */
  readonly id: string | undefined;
  /** Its share of the samples, 0…1 (the top plugin's share when none is blamed). */
  readonly share: number;
  readonly samples: number;
  /** How long the loop was blocked in all (until it ran again), ms. */
  readonly blockedMs: number;
  /** The blamed plugin's hottest function and line. */
  readonly hottest: HotSpot | undefined;
  /** The samples as a `.cpuprofile` (open it in DevTools), unless none could be taken. */
  readonly profile: CpuProfile | undefined;
  /** Why there is no profile, when there is none. */
  readonly error: string | undefined;
  /** When the block started, ms since the epoch. */
  readonly at: number;
}

/** One plugin's health figures (what is known of it). */
export interface PluginHealthFigures {
  /** ELU of its thread over the window, 0…1: workers from the host's side, inline from blocks blamed on it. */
  readonly elu: number | undefined;
  /** Heap of its own isolate, bytes (worker and process plugins). */
  readonly heapUsed: number | undefined;
  /** False while an active worker plugin has not answered for `unresponsiveMs`. */
  readonly responsive: boolean;
  /** The longest event-loop block blamed on it, ms. */
  readonly longestBlockMs: number | undefined;
  /** Blocks blamed on it so far. */
  readonly blocks: number;
  /** Consecutive budget breaches so far. */
  readonly breaches: number;
}

/** What the watch keeps of one plugin. @internal */
export interface Watch {
  readonly samples: { t: number; idle: number; active: number }[];
  activeSince: number;
  windowStart: number;
  /** Blocked time blamed on it in the current window, ms (inline). */
  blockedInWindow: number;
  elu: number | undefined;
  heapUsed: number | undefined;
  responsive: boolean;
  longestBlockMs: number | undefined;
  blocks: number;
  breaches: number;
}

/** What the health watch needs of its host. */
export interface HealthHost {
  readonly options: HealthOptions;
  records(): Iterable<PluginRecord>;
  isolationOf(record: PluginRecord): string;
  readonly events: Emitter<PluginEvents>;
  readonly log: LogSink;
  /** Carry out a budget's action on plugin `id` (reload or unload). */
  act(id: string, action: Exclude<BudgetAction, 'warn'>): Promise<unknown>;
}

/** A health option: a number in `0 < value ≤ max`, or `fallback` when not given. @internal */
export function option(value: number | undefined, fallback: number, name: string, max = 2 ** 31 - 1): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !(value > 0) || value > max) {
    throw new StewardRangeError(
      `new PluginHost(): health.${name} must be a number above 0 and at most ${max} (got ${String(value)}).`,
    );
  }
  return value;
}

/** Log one line of the health watch about `plugin`. @internal */
export function say(host: HealthHost, level: 'warn' | 'error', plugin: string, message: string): void {
  host.log({ level, plugin, message, args: [], time: Date.now() });
}
