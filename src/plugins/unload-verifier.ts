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
import { relative, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Component, Emitter, ResourceManager } from '../core/index.js';
import { safeClearTimeout, safeSetTimeout } from '../core/intrinsics.js';
import { type AttributedHandle, allAttributedHandles } from '../node/attribution.js';
import { forceGc, nextMacrotask } from '../node/gc.js';
import { captureAndExplain, StewardUnloadProbe } from '../node/heap-capture.js';
import type { ProbeInfo, RetainedFinding, UnloadedCode } from '../node/leak-forensics.js';
import type { PluginEvents } from './events.js';
import type { PluginManifest } from './manifest.js';
import type { RemoteLeftovers } from './runtime.js';

/** Options of unload verification (`new PluginHost({ verifyUnload })`). */
export interface UnloadVerificationOptions {
  /**
   * When to take a heap snapshot: `always` (each batch with an unload — finds closures and module
   * caches the host still reaches even when `ctx` was collected), `retained` (only when a probed
   * object survived; the cheap mode), `never` (findings without paths). Default `always`.
   */
  readonly snapshot?: 'always' | 'retained' | 'never';
  /** At most this many full collections before judging (fewer when everything is gone sooner). Default 3. */
  readonly gcCycles?: number;
  /** Unloads within this many ms share one batch. Default 20. */
  readonly batchMs?: number;
  /** Where the temporary snapshot is written (and removed). Default the OS temp folder. */
  readonly snapshotDir?: string;
  /** No snapshot when the heap in use is above this (it would take long): reported instead. Default 1 GiB. */
  readonly maxHeapBytes?: number;
}

/** One plugin's unload to verify. */
export interface UnloadWatch {
  readonly manifest: PluginManifest;
  readonly generation: number;
  /** The plugin's component (held strongly: findings are reported on it; it holds nothing of the plugin's after cleanup). */
  readonly component: Component;
  readonly ctx: object | undefined;
  /** Whether the plugin's code was unloaded (unload, reload), not only deactivated. */
  readonly unloaded: boolean;
  /** A worker or process plugin's host-side leftovers: objects to collect, and its thread or process. */
  readonly remote?: RemoteLeftovers | undefined;
  /** Values the plugin's cleanup disposed, with what they were (leak tracking on). */
  readonly disposed?:
    | ReadonlyArray<{ readonly value: object; readonly what: string; readonly stack?: string | undefined }>
    | undefined;
}

/** A verification's outcome (`unloadVerified` event, `host.verifyUnloads()`). */
export interface UnloadVerdict {
  /** Plugins checked in this batch. */
  readonly plugins: readonly string[];
  /** What was found (also reported as `leakDetected`). */
  readonly findings: readonly UnloadFinding[];
  /** Time spent: collections and probes; snapshot and analysis (0 without one), ms. */
  readonly gcMs: number;
  readonly snapshotMs: number;
  /** Why no snapshot was taken or analysed, when one was wanted. */
  readonly error: string | undefined;
}

/** One finding of a verification. */
export interface UnloadFinding {
  readonly kind: 'retained-after-unload' | 'disposed-but-reachable';
  readonly plugin: string;
  readonly message: string;
  /** The culprit object, its holder, path and site (undefined fields without a snapshot). */
  readonly object: string;
  readonly holder: string | undefined;
  readonly path: readonly string[] | undefined;
  readonly site: string | undefined;
  readonly stack: string | undefined;
  readonly count: number;
  readonly retainedBytes: number | undefined;
}

interface Pending {
  readonly watch: Omit<UnloadWatch, 'ctx' | 'disposed' | 'remote'>;
  /** A worker plugin's thread or a process plugin's process (no code of it in this heap). */
  readonly thread: RemoteLeftovers['thread'] | undefined;
  readonly remote: boolean;
  /** Queued when its host was disposed: a snapshot only if a probe survived (the cheap mode). */
  disposedHost?: boolean;
  readonly probes: Array<{
    readonly probe: StewardUnloadProbe;
    readonly info: ProbeInfo;
    readonly kind: UnloadFinding['kind'];
  }>;
  readonly marks: Array<{ readonly probe: StewardUnloadProbe; readonly info: ProbeInfo }>;
}

let probeSeq = 0;

const DEFAULT = Symbol.for('steward.verifyUnload.default');

/**
 * The verification a `PluginHost` created without `verifyUnload` uses (process-wide; `steward
 * run` and `steward/testing`'s leak checks turn it on). `undefined` resets it (off).
 */
export function setUnloadVerificationDefault(value: boolean | UnloadVerificationOptions | undefined): void {
  (globalThis as Record<symbol, unknown>)[DEFAULT] = value;
}

const LIVE = ((globalThis as Record<symbol, unknown>)[Symbol.for('steward.verifyUnload.live')] ??=
  new Set()) as Set<WeakRef<UnloadVerifier>>;
const SINKS = ((globalThis as Record<symbol, unknown>)[Symbol.for('steward.verifyUnload.sinks')] ??=
  new Set()) as Set<(verdict: UnloadVerdict) => void>;

/** Verifiers of hosts disposed with unloads still queued while a leak check listens: verified at its flush. */
const ORPHANS = ((globalThis as Record<symbol, unknown>)[Symbol.for('steward.verifyUnload.orphans')] ??=
  new Set()) as Set<UnloadVerifier>;

/** Call `listener` with the verdict of every unload verification in this process; returns the unsubscribe. */
export function onUnloadVerdict(listener: (verdict: UnloadVerdict) => void): () => void {
  SINKS.add(listener);
  return () => SINKS.delete(listener);
}

/** Run every host's queued unload verification now (test helpers call it at the end of a test). */
export async function flushUnloadVerifications(): Promise<UnloadVerdict[]> {
  const out: UnloadVerdict[] = [];
  for (const ref of [...LIVE]) {
    const verifier = ref.deref();
    if (verifier === undefined) LIVE.delete(ref);
    else out.push(...(await verifier.flush()));
  }
  for (const verifier of [...ORPHANS]) {
    ORPHANS.delete(verifier);
    out.push(...(await verifier.flush()));
  }
  return out;
}

/**
 * Forget the queued unloads of hosts already disposed (a leak check calls it when a test
 * begins: what a previous test's host did after that test ended is no one's finding).
 */
export function dropDisposedHostsUnloads(): void {
  for (const verifier of ORPHANS) verifier.drop();
  ORPHANS.clear();
}

/** The process-wide default of `verifyUnload` (see {@link setUnloadVerificationDefault}). */
export function unloadVerificationDefault(): boolean | UnloadVerificationOptions | undefined {
  return (globalThis as Record<symbol, unknown>)[DEFAULT] as boolean | UnloadVerificationOptions | undefined;
}

/** Verifies unloads in batches; see the module comment. */
export class UnloadVerifier {
  readonly #o: Required<UnloadVerificationOptions>;
  readonly #manager: ResourceManager;
  readonly #events: Emitter<PluginEvents>;
  #pending: Pending[] = [];
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
    const probes: Pending['probes'] = [];
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
    const marks: Pending['marks'] = [];
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

  async #verify(batch: Pending[]): Promise<UnloadVerdict> {
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
    const findings = this.#report(batch, alive, found, error);
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

  #alive(batch: Pending[]): Set<string> {
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

  #analyse(batch: Pending[]): Promise<RetainedFinding[]> {
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

  #report(
    batch: Pending[],
    alive: Set<string>,
    found: RetainedFinding[] | undefined,
    error: string | undefined,
  ): UnloadFinding[] {
    const out: UnloadFinding[] = [];
    const byId = new Map(batch.map((p) => [p.watch.manifest.id, p]));
    if (found) {
      for (const f of found) {
        const pending = byId.get(f.key);
        if (!pending) continue;
        const disposed =
          f.keeps.length === 0 &&
          pending.probes.some((p) => p.kind === 'disposed-but-reachable' && p.info.what === f.object);
        const kind: UnloadFinding['kind'] = disposed ? 'disposed-but-reachable' : 'retained-after-unload';
        const keeps = f.keeps.length > 0 ? `, keeping ${f.keeps.map((k) => k.what).join(', ')} alive` : '';
        const times = f.count > 1 ? ` (×${f.count})` : '';
        out.push({
          kind,
          plugin: f.key,
          message: `Plugin "${f.key}" ${pending.watch.unloaded ? 'was unloaded' : 'was deactivated'} but ${f.object}${times} is still reachable, held by ${f.holder}${keeps}; ${formatBytes(f.retainedBytes)} retained.`,
          object: f.object,
          holder: f.holder,
          path: f.path,
          site: f.site,
          stack: f.keeps.find((k) => k.stack)?.stack ?? (f.site?.includes('\n') ? f.site : undefined),
          count: f.count,
          retainedBytes: f.retainedBytes,
        });
      }
    } else {
      for (const p of batch) {
        for (const { probe, info, kind } of p.probes) {
          if (!alive.has(probe.label)) continue;
          out.push({
            kind,
            plugin: info.key,
            message: `Plugin "${info.key}" was ${p.watch.unloaded ? 'unloaded' : 'deactivated'} but ${info.what} is still reachable after ${this.#o.gcCycles} full collections${error ? ` (${error})` : ''}.`,
            object: info.what,
            holder: undefined,
            path: undefined,
            site: undefined,
            stack: info.stack,
            count: 1,
            retainedBytes: undefined,
          });
        }
      }
    }
    for (const p of batch) {
      if (!p.thread?.running()) continue;
      const id = p.watch.manifest.id;
      out.push({
        kind: 'retained-after-unload',
        plugin: id,
        message: `Plugin "${id}" was ${p.watch.unloaded ? 'unloaded' : 'deactivated'} but its ${p.thread.what} is still running.`,
        object: p.thread.what,
        holder: undefined,
        path: undefined,
        site: undefined,
        stack: undefined,
        count: 1,
        retainedBytes: undefined,
      });
    }
    for (const f of out) {
      const component = byId.get(f.plugin)!.watch.component;
      try {
        this.#manager.reportLeak({
          kind: f.kind,
          component,
          message: f.message,
          stack: f.stack ?? f.site,
          retainerPath: f.path,
          retainedBytes: f.retainedBytes,
          plugin: f.plugin,
          holder: f.holder,
          count: f.count,
        });
      } catch {
        // A manager disposed meanwhile (a host a test disposed): the verdict still carries it.
      }
    }
    return out;
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

/** The module URLs of one generation of a plugin, as the loader imported them (loader.ts). */
export function codeOf(manifest: PluginManifest, generation: number): UnloadedCode {
  const folder = manifest.source === 'package';
  const root = pathToFileURL(folder ? manifest.dir + sep : manifest.entry).href;
  const cwd = process.cwd();
  return {
    key: manifest.id,
    matches: (url) => {
      if (!url.startsWith(root)) return false;
      const q = url.indexOf('?');
      const path = q < 0 ? url : url.slice(0, q);
      if (path.slice(root.length).includes('node_modules/')) return false;
      const gen = q < 0 ? null : new URLSearchParams(url.slice(q)).get('steward-gen');
      return generation === 0 ? gen === null : gen === String(generation);
    },
    display: (url) => displayUrl(url, cwd),
  };
}

/** A module URL as shown: its path relative to the working directory when below it, no query. */
function displayUrl(url: string, cwd = process.cwd()): string {
  if (!url.startsWith('file:')) return url;
  const path = decodeURIComponent(new URL(url).pathname);
  const rel = relative(cwd, path);
  return rel.startsWith('..') ? path : rel;
}

function formatBytes(bytes: number): string {
  return bytes >= 2 ** 20
    ? `${(bytes / 2 ** 20).toFixed(1)} MiB`
    : bytes >= 1024
      ? `${(bytes / 1024).toFixed(1)} KiB`
      : `${bytes} B`;
}
