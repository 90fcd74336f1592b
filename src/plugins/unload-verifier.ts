/**
 * Unload verification (IntelliJ's check after a dynamic plugin unload, with memlab's answer to
 * "why"): after an inline plugin is deactivated, unloaded or reloaded, its `ctx` and component
 * (and, with leak tracking, the values its cleanup disposed) are held weakly; collections are
 * forced; what survives is a `leakDetected` of kind `retained-after-unload`
 * (`disposed-but-reachable` for a disposed value). A heap snapshot then names every object of
 * the unloaded code still reachable — closures, module caches, the probed objects — with the
 * shortest strong path from the GC roots, the host object holding it, its creation line and
 * the bytes it keeps (`src/node/leak-forensics.ts`). A worker or process plugin's heap goes with
 * its thread or process: for it, the thread must have exited (the process and everything of its
 * group too) and the host-side objects made for it (its services' proxies, its resources'
 * mirrors, its runtime) are the probes.
 *
 * Guarantees: it never blocks or fails an unload (it runs after, in the background, unref'd);
 * unloads close together share one batch (one set of collections, one snapshot), so a host
 * reloading many plugins pays per batch, not per plugin; a snapshot that cannot be written, or
 * a heap above `maxHeapBytes`, is reported (`unloadVerified.error`) and the probes' verdicts still are.
 */
import { tmpdir } from 'node:os';
import type { Component, Emitter, ResourceManager } from '../core/index.js';
import { safeClearTimeout, safeSetTimeout } from '../core/intrinsics.js';
import { type AttributedHandle, allAttributedHandles } from '../node/attribution.js';
import { forceGc, nextMacrotask } from '../node/gc.js';
import { captureAndExplain, StewardUnloadProbe } from '../node/heap-capture.js';
import type { ProbeInfo, RetainedFinding } from '../node/leak-forensics.js';
import type { PluginEvents } from './events.js';
import { codeOf, displayUrl, unloadFindings } from './unload-findings.js';
import { LIVE, ORPHANS, SINKS } from './unload-registry.js';
import type {
  PendingUnload,
  UnloadFinding,
  UnloadVerdict,
  UnloadVerificationOptions,
  UnloadWatch,
} from './unload-types.js';

export { codeOf } from './unload-findings.js';
export {
  dropDisposedHostsUnloads,
  flushUnloadVerifications,
  onUnloadVerdict,
  setUnloadVerificationDefault,
  unloadVerificationDefault,
} from './unload-registry.js';
export type { UnloadFinding, UnloadVerdict, UnloadVerificationOptions, UnloadWatch } from './unload-types.js';

let probeSeq = 0;

/** Verifies unloads in batches; see the module comment. */
export class UnloadVerifier {
  readonly #o: Required<UnloadVerificationOptions>;
  readonly #manager: ResourceManager;
  readonly #events: Emitter<PluginEvents>;
  #pending: PendingUnload[] = [];
  readonly #ref = new WeakRef(this);
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<UnloadVerdict[]> | undefined;
  #closed = false;
  /** Held by the host's teardown (see `hold()`). */
  #held = false;

  constructor(
    manager: ResourceManager,
    events: Emitter<PluginEvents>,
    options: UnloadVerificationOptions = {},
  ) {
    this.#manager = manager;
    this.#events = events;
    this.#o = {
      snapshot: options.snapshot ?? 'always',
      gcCycles: options.gcCycles ?? 3,
      batchMs: options.batchMs ?? 20,
      snapshotDir: options.snapshotDir ?? tmpdir(),
      maxHeapBytes: options.maxHeapBytes ?? 2 ** 30,
    };
    LIVE.add(this.#ref);
  }

  /** Queue an unload for verification (returns at once). */
  watch(watch: UnloadWatch): void {
    const probes: PendingUnload['probes'] = [];
    const key = watch.manifest.id;
    const add = (target: object, what: string, kind: UnloadFinding['kind'], stack?: string) => {
      probes.push({
        probe: new StewardUnloadProbe(target, `p${++probeSeq}`),
        info: { key, what, stack },
        kind,
      });
    };
    if (watch.ctx) add(watch.ctx, 'the plugin context (ctx)', 'retained-after-unload');
    for (const d of watch.disposed ?? [])
      add(d.value, `${d.what} (disposed)`, 'disposed-but-reachable', d.stack);
    // Handles its code created and nobody closed (attribution on): marked, so a path through
    // one names the plugin and the line that created it; they are alive by nature, not probes.
    const marks: PendingUnload['marks'] = [];
    for (const h of attributedTo(watch.component)) {
      marks.push({
        probe: new StewardUnloadProbe(h.owner, `p${++probeSeq}`),
        info: {
          key,
          what: `${h.description}, created by ${h.component.type} "${h.component.id}"`,
          stack: h.stack,
          mark: true,
        },
      });
    }
    for (const o of watch.remote?.objects ?? []) add(o.value, o.what, 'retained-after-unload');
    const { ctx: _ctx, disposed: _disposed, remote, ...rest } = watch;
    this.#pending.push({ watch: rest, probes, marks, thread: remote?.thread, remote: remote !== undefined });
    this.#schedule();
  }

  /** Verify what is queued now; resolves with the verdicts of every batch run meanwhile. */
  async flush(): Promise<UnloadVerdict[]> {
    const verdicts: UnloadVerdict[] = [];
    if (this.#timer) safeClearTimeout(this.#timer);
    this.#timer = undefined;
    while (this.#running || this.#pending.length > 0) {
      if (this.#running) verdicts.push(...(await this.#running));
      else this.#start();
    }
    return verdicts;
  }

  /**
   * Stop (the host is going away): drop what is queued — unless a leak check listens to every
   * verdict (`onUnloadVerdict`): then it is verified at the check's flush, so a host a test
   * disposes (`await using host`) has its unloads verified too.
   */
  close(): void {
    LIVE.delete(this.#ref);
    this.#closed = true;
    if (this.#timer) safeClearTimeout(this.#timer);
    this.#timer = undefined;
    if (SINKS.size > 0 && (this.#pending.length > 0 || this.#running)) {
      // Every plugin of the host unloaded at once: the probes are checked, a snapshot is taken
      // only when one survived (a snapshot per test that disposes a host would cost seconds).
      for (const p of this.#pending) p.disposedHost = true;
      ORPHANS.add(this);
    } else this.#pending = [];
  }

  /**
   * The host's teardown begins: start no batch until `close()` (a collection or a snapshot would
   * hold the loop in the middle of the shutdown). What unloads meanwhile stays queued for it.
   */
  hold(): void {
    this.#held = true;
    if (this.#timer) safeClearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** Forget what is queued (a batch already running still ends). */
  drop(): void {
    this.#pending = [];
  }

  #schedule(): void {
    if (this.#timer || this.#running || this.#closed || this.#held) return;
    this.#timer = safeSetTimeout(() => {
      this.#timer = undefined;
      this.#start();
    }, this.#o.batchMs);
    this.#timer.unref();
  }

  #start(): void {
    const batch = this.#pending;
    this.#pending = [];
    this.#running = this.#verify(batch).then(
      (v) => [v],
      (e: unknown) => {
        // Never an unhandled rejection, never silent: the verdict says what went wrong.
        const verdict: UnloadVerdict = {
          plugins: batch.map((p) => p.watch.manifest.id),
          findings: [],
          gcMs: 0,
          snapshotMs: 0,
          error: `unload verification failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`,
        };
        this.#emit(verdict);
        return [verdict];
      },
    );
    void this.#running.then(() => {
      this.#running = undefined;
      if (this.#pending.length > 0) this.#schedule();
    });
  }

  async #verify(batch: PendingUnload[]): Promise<UnloadVerdict> {
    const started = performance.now();
    // One collection is enough when everything went; more only while something survives
    // (what a finalizer or a weak callback releases needs a later cycle). Each cycle is one
    // macrotask (a deref keeps its target alive until its job ends, so the collection runs in
    // the job after the last deref) and one full collection, read at once after it; none at
    // all when a collection of the runtime's own already took every probe.
    await nextMacrotask();
    let alive = this.#alive(batch);
    for (let i = 0; i < this.#o.gcCycles && alive.size > 0; i++) {
      await nextMacrotask();
      forceGc();
      alive = this.#alive(batch);
    }
    const gcMs = performance.now() - started;
    const wanted =
      this.#o.snapshot === 'always'
        ? batch.some((p) => p.watch.unloaded && !p.remote && !p.disposedHost) || alive.size > 0
        : this.#o.snapshot === 'retained' && alive.size > 0;
    let found: RetainedFinding[] | undefined;
    let error: string | undefined;
    let snapshotMs = 0;
    if (wanted) {
      await nextMacrotask(); // a new job: deref() above no longer keeps the targets
      const t = performance.now();
      try {
        found = await this.#analyse(batch);
      } catch (e) {
        error = `no retainer paths: ${(e as Error).message.replace('maxHeapBytes', 'verifyUnload.maxHeapBytes').replace('(snapshotDir)', '(verifyUnload.snapshotDir)')}`;
      }
      snapshotMs = performance.now() - t;
    }
    const findings = unloadFindings(this.#manager, this.#o.gcCycles, batch, alive, found, error);
    const verdict: UnloadVerdict = {
      plugins: batch.map((p) => p.watch.manifest.id),
      findings,
      gcMs,
      snapshotMs,
      error,
    };
    this.#emit(verdict);
    return verdict;
  }

  #alive(batch: PendingUnload[]): Set<string> {
    const alive = new Set<string>();
    for (const p of batch)
      for (const { probe } of p.probes) if (probe.deref() !== undefined) alive.add(probe.label);
    return alive;
  }

  #emit(verdict: UnloadVerdict): void {
    if (this.#events.has('unloadVerified')) this.#events.emit('unloadVerified', verdict);
    for (const sink of [...SINKS]) {
      try {
        sink(verdict);
      } catch {
        // A listener's failure is its own; the verdict reached the others.
      }
    }
  }

  #analyse(batch: PendingUnload[]): Promise<RetainedFinding[]> {
    const probes = new Map<string, ProbeInfo>();
    for (const p of batch) {
      for (const { probe, info } of p.probes) probes.set(probe.label, info);
      for (const { probe, info } of p.marks) probes.set(probe.label, info);
    }
    const codes = batch
      .filter((p) => p.watch.unloaded && !p.remote)
      .map((p) => codeOf(p.watch.manifest, p.watch.generation));
    return captureAndExplain({
      codes,
      probes,
      display: displayUrl,
      dir: this.#o.snapshotDir,
      maxHeapBytes: this.#o.maxHeapBytes,
    });
  }
}

/** The live handles attributed to `component` or a component below it (none without attribution). */
function attributedTo(component: Component): AttributedHandle[] {
  const handles = allAttributedHandles({ manager: component.manager });
  return handles.filter((h) => {
    for (let c: Component | undefined = h.component; c !== undefined; c = c.parent)
      if (c === component) return true;
    return false;
  });
}
