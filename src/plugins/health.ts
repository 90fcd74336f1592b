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
 *
 * The types are health-types.ts; a remote plugin's reading is health-remote.ts, a budget's check
 * health-budget.ts.
 */
import { safeClearInterval, safeSetInterval } from '../core/intrinsics.js';
import {
  type LoopBlock,
  type LoopBlockEnd,
  type LoopWatchdog,
  watchEventLoop,
} from '../node/loop-watchdog.js';
import { checkBudget } from './health-budget.js';
import { readRemote } from './health-remote.js';
import {
  type HealthHost,
  type LoopBlockFinding,
  option,
  type PluginHealthFigures,
  say,
  type Watch,
} from './health-types.js';

export type { HealthHost, HealthOptions, LoopBlockFinding, PluginHealthFigures } from './health-types.js';

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
      if (!inline) readRemote(this.#host, record, w, now, windowMs, this.#unresponsiveMs);
      if (now - w.windowStart >= windowMs) {
        if (inline) w.elu = Math.min(1, w.blockedInWindow / (now - w.windowStart));
        if (budget !== undefined && now - w.activeSince >= budget.graceMs)
          checkBudget(this.#host, id, budget, w);
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
      say(
        this.#host,
        'warn',
        blamed.id,
        `blocked the event loop for ${(block.blockedMs / 1000).toFixed(1)} s: ${Math.round(blamed.share * 100)} % of ${finding.samples} samples${where}`,
      );
    }
    this.#host.events.emit('loopBlocked', finding);
  }
}
