/**
 * Plugin health: which plugin blocks the host, keeps its thread busy or grows its heap.
 *
 * - **Inline plugins** share the host's thread. A loop watchdog (steward/node `watchEventLoop`)
 *   notices when that thread is blocked past `blockThresholdMs`, samples the blocked stack from
 *   its own thread and blames the samples on plugins by their folders. The plugin with at least
 *   `blameShare` of the samples is blamed: a `loopBlocked` event (share, hottest function and
 *   line, the `.cpuprofile`), once per blocked episode.
 * - **Worker plugins** are read from the host's side every `intervalMs`: the event-loop
 *   utilisation (ELU) of their thread over a sliding window (true while the thread is stuck),
 *   their heap, and whether they still talk: a worker that sent nothing for `unresponsiveMs` is
 *   `unresponsive` (an event and a flag, not a failure).
 * - **Budgets** (the manifest's `budget`) are checked once per window after a grace period;
 *   `checks` consecutive breaches trigger the action (`warn`, `restart` = reload, `disable` =
 *   unload). An inline plugin's ELU is the share of the window the host's thread spent in blocks
 *   (above the threshold, each counted with its full duration) blamed on it. A plugin that is not active when its action comes is left alone.
 */
import { type Emitter, StewardRangeError } from '../core/index.js';
import { safeClearInterval, safeSetInterval } from '../core/intrinsics.js';
import {
  type LoopBlock,
  type LoopBlockEnd,
  type LoopWatchdog,
  watchEventLoop,
} from '../node/loop-watchdog.js';
import type { CpuProfile, HotSpot } from '../node/profile-blame.js';
import type { PluginEvents } from './events.js';
import type { PluginRecord } from './host-registry.js';
import type { LogSink } from './logger.js';
import type { BudgetAction, PluginBudget } from './manifest-budget.js';
import { runtimeOf } from './plugin-state.js';

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

interface Watch {
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

function option(value: number | undefined, fallback: number, name: string, max = 2 ** 31 - 1): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !(value > 0) || value > max) {
    throw new StewardRangeError(
      `new PluginHost(): health.${name} must be a number above 0 and at most ${max} (got ${String(value)}).`,
    );
  }
  return value;
}

/** The host's health watch (see the module comment). Made by `PluginHost` when `health` is set. */
export class PluginHealth {
  readonly #host: HealthHost;
  readonly #watches = new Map<string, Watch>();
  readonly #findings: LoopBlockFinding[] = [];
  /** Profiled blocks whose end (their full duration) has not arrived yet, by `startedAt`. */
  readonly #pending = new Map<number, LoopBlock>();
  readonly #timer: ReturnType<typeof setInterval>;
  readonly #watchdog: LoopWatchdog | undefined;
  readonly #blameShare: number;
  readonly #windowMs: number;
  readonly #unresponsiveMs: number;
  #roots = '';

  constructor(host: HealthHost) {
    this.#host = host;
    const o = host.options;
    this.#blameShare = option(o.blameShare, 0.5, 'blameShare', 1);
    this.#windowMs = option(o.windowMs, 10_000, 'windowMs');
    this.#unresponsiveMs = option(o.unresponsiveMs, 3000, 'unresponsiveMs');
    const intervalMs = option(o.intervalMs, 1000, 'intervalMs');
    this.#watchdog = watchEventLoop({
      thresholdMs: option(o.blockThresholdMs, 3000, 'blockThresholdMs'),
      profileMs: option(o.profileMs, 1000, 'profileMs'),
      reportToStderr: o.reportToStderr === true,
      onBlock: (block) => this.#profiled(block),
      onBlockEnd: (end) => this.#ended(end),
    });
    this.#timer = safeSetInterval(() => this.#tick(), intervalMs);
    this.#timer.unref();
    this.#tick();
  }

  /** One plugin's figures, or undefined for a plugin never seen running. */
  figures(id: string): PluginHealthFigures | undefined {
    const w = this.#watches.get(id);
    if (w === undefined) return undefined;
    return {
      elu: w.elu,
      heapUsed: w.heapUsed,
      responsive: w.responsive,
      longestBlockMs: w.longestBlockMs,
      blocks: w.blocks,
      breaches: w.breaches,
    };
  }

  /** The last 50 blocked episodes, newest last. */
  findings(): readonly LoopBlockFinding[] {
    return this.#findings;
  }

  /** Stop watching (the watchdog thread ends). Idempotent. */
  async close(): Promise<void> {
    safeClearInterval(this.#timer);
    await this.#watchdog?.close();
    // A block whose end never came (closed right after it): reported with what is known.
    for (const block of this.#pending.values()) this.#blocked(block);
    this.#pending.clear();
  }

  #watch(id: string, now: number): Watch {
    let w = this.#watches.get(id);
    if (w === undefined) {
      w = {
        samples: [],
        activeSince: now,
        windowStart: now,
        blockedInWindow: 0,
        elu: undefined,
        heapUsed: undefined,
        responsive: true,
        longestBlockMs: undefined,
        blocks: 0,
        breaches: 0,
      };
      this.#watches.set(id, w);
    }
    return w;
  }

  #tick(): void {
    const now = Date.now();
    const roots: { id: string; dir: string }[] = [];
    for (const record of this.#host.records()) {
      const { id } = record.manifest;
      const state = record.status.state;
      const inline = this.#host.isolationOf(record) === 'inline';
      if (inline && state !== 'unloaded' && state !== 'discovered')
        roots.push({ id, dir: record.manifest.dir });
      if (state !== 'active') {
        const w = this.#watches.get(id);
        if (w !== undefined) {
          w.activeSince = Number.POSITIVE_INFINITY;
          w.samples.length = 0;
          w.breaches = 0;
        }
        continue;
      }
      const w = this.#watch(id, now);
      if (w.activeSince === Number.POSITIVE_INFINITY) {
        w.activeSince = now;
        w.windowStart = now;
        w.blockedInWindow = 0;
      }
      const budget = record.manifest.budget;
      const windowMs = budget?.windowMs ?? this.#windowMs;
      if (!inline) this.#readRemote(record, w, now, windowMs);
      if (now - w.windowStart >= windowMs) {
        if (inline) w.elu = Math.min(1, w.blockedInWindow / (now - w.windowStart));
        if (budget !== undefined && now - w.activeSince >= budget.graceMs) this.#checkBudget(id, budget, w);
        w.windowStart = now;
        w.blockedInWindow = 0;
      }
    }
    const key = roots.map((r) => `${r.id}\0${r.dir}`).join('\n');
    if (key !== this.#roots) {
      this.#roots = key;
      this.#watchdog?.setRoots(roots);
    }
  }

  #readRemote(record: PluginRecord, w: Watch, now: number, windowMs: number): void {
    const stats = runtimeOf(record.status)?.stats();
    if (stats === undefined) return;
    w.heapUsed = stats.heap?.used;
    if (stats.loop !== undefined) {
      w.samples.push({ t: now, idle: stats.loop.idle, active: stats.loop.active });
      while (w.samples.length > 2 && now - w.samples[1]!.t >= windowMs) w.samples.shift();
      const first = w.samples[0]!;
      const last = w.samples[w.samples.length - 1]!;
      const busy = last.active - first.active;
      const total = busy + (last.idle - first.idle);
      w.elu = total > 0 ? busy / total : w.elu;
    }
    if (stats.heardAt !== undefined) {
      const silentMs = now - stats.heardAt;
      const responsive = silentMs < this.#unresponsiveMs;
      if (responsive !== w.responsive) {
        w.responsive = responsive;
        const id = record.manifest.id;
        if (responsive) this.#host.events.emit('responsive', { id });
        else {
          this.#host.events.emit('unresponsive', { id, silentMs });
          this.#say(
            'warn',
            id,
            `does not answer: nothing from its worker for ${(silentMs / 1000).toFixed(1)} s`,
          );
        }
      }
    }
  }

  #checkBudget(id: string, budget: PluginBudget, w: Watch): void {
    let breach: { metric: 'elu' | 'heap'; value: number; limit: number } | undefined;
    if (budget.elu !== undefined && w.elu !== undefined && w.elu > budget.elu) {
      breach = { metric: 'elu', value: w.elu, limit: budget.elu };
    } else if (budget.heapBytes !== undefined && w.heapUsed !== undefined && w.heapUsed > budget.heapBytes) {
      breach = { metric: 'heap', value: w.heapUsed, limit: budget.heapBytes };
    }
    if (breach === undefined) {
      w.breaches = 0;
      return;
    }
    w.breaches++;
    const { action } = budget;
    this.#host.events.emit('budgetExceeded', {
      id,
      ...breach,
      breaches: w.breaches,
      checks: budget.checks,
      action,
    });
    if (w.breaches < budget.checks) return;
    w.breaches = 0;
    const mib = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(1)} MiB`;
    const shown =
      breach.metric === 'elu'
        ? `ELU ${breach.value.toFixed(2)} > ${breach.limit}`
        : `heap ${mib(breach.value)} > ${mib(breach.limit)}`;
    this.#say(
      'warn',
      id,
      `broke its budget ${budget.checks} time(s) in a row (${shown})${action === 'warn' ? '' : `: ${action === 'restart' ? 'restarting' : 'disabling'} it`}`,
    );
    if (action === 'warn') return;
    w.activeSince = Number.POSITIVE_INFINITY; // a fresh grace period once it is back
    this.#host.act(id, action).catch((error: unknown) => {
      this.#say(
        'error',
        id,
        `could not be ${action === 'restart' ? 'restarted' : 'disabled'} after breaking its budget: ${String(error)}`,
      );
    });
  }

  /**
   * A block was profiled (the watchdog's 'block' message, handled once the loop runs again):
   * held until its end says how long it lasted in all — the profile ends at `profileMs`, the
   * block may go on long after (a 4 s block detected and profiled by 2.1 s).
   */
  #profiled(block: LoopBlock): void {
    this.#pending.set(block.startedAt, block);
  }

  /** A block ended: report it with its full duration. */
  #ended(end: LoopBlockEnd): void {
    const block = this.#pending.get(end.startedAt);
    if (block === undefined) return; // ended before it was profiled: not a block worth a finding
    this.#pending.delete(end.startedAt);
    this.#blocked({ ...block, blockedMs: Math.max(block.blockedMs, end.blockedMs) });
  }

  #blocked(block: LoopBlock): void {
    const top = block.blame?.owners[0];
    const blamed = top !== undefined && top.share >= this.#blameShare ? top : undefined;
    const finding: LoopBlockFinding = {
      id: blamed?.id,
      share: top?.share ?? 0,
      samples: block.blame?.total ?? 0,
      blockedMs: block.blockedMs,
      hottest: blamed?.hottest,
      profile: block.profile,
      error: block.error,
      at: block.startedAt,
    };
    this.#findings.push(finding);
    if (this.#findings.length > 50) this.#findings.shift();
    if (blamed !== undefined) {
      const w = this.#watch(blamed.id, Date.now());
      w.blocks++;
      w.longestBlockMs = Math.max(w.longestBlockMs ?? 0, block.blockedMs);
      w.blockedInWindow += block.blockedMs * blamed.share;
      const where = blamed.hottest
        ? ` (${blamed.hottest.functionName} at ${blamed.hottest.file}:${blamed.hottest.line})`
        : '';
      this.#say(
        'warn',
        blamed.id,
        `blocked the event loop for ${(block.blockedMs / 1000).toFixed(1)} s: ${Math.round(blamed.share * 100)} % of ${finding.samples} samples${where}`,
      );
    }
    this.#host.events.emit('loopBlocked', finding);
  }

  #say(level: 'warn' | 'error', plugin: string, message: string): void {
    this.#host.log({ level, plugin, message, args: [], time: Date.now() });
  }
}
