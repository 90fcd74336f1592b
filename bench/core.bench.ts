/**
 * Core benchmark: cost per resource of "track N resources in one component, release half
 * of them one by one (every other one, oldest first), clean up the rest", for Steward and
 * its peers, plus retained bytes per tracked resource and 100k throwing disposers.
 *
 * Parent side (`suite.run`): spawns one child process per (library, N, round) and merges
 * the samples. Child side (`tasks`): the measurements themselves.
 */
import { ADAPTERS, adapterById, baseline } from './core/adapters.js';
import {
  type Container,
  counters,
  type Factories,
  makeItems,
  resetCounters,
  WORKLOADS,
  type WorkloadKind,
} from './core/workload.js';
import {
  type BenchSuite,
  type ChildTasks,
  ChildTimeoutError,
  fmtCount,
  fmtNs,
  fmtRatio,
  fullGc,
  log,
  type RunOptions,
  runChild,
  type Summary,
  summarize,
  table,
} from './lib/harness.js';

const SELF = import.meta.url;

// ---------------------------------------------------------------------------------------
// Child side
// ---------------------------------------------------------------------------------------

interface PhaseSample {
  /** ns per resource (of N) spent in each phase; `total` is their sum. */
  readonly track: number;
  readonly release: number;
  readonly cleanup: number;
  readonly total: number;
}

interface TimeParams {
  readonly adapter: string;
  readonly workload: WorkloadKind;
  readonly n: number;
  readonly warmup: number;
  readonly reps: number;
}

interface TimeResult {
  readonly samples: PhaseSample[];
}

function verify(adapter: string, n: number, reported: number, container: Container): void {
  if (adapter === baseline.id) return; // holds nothing, so it cannot clean up
  const expected = container.expectedCalls?.(n) ?? n;
  if (counters.calls !== expected || counters.twice !== 0 || reported !== 0) {
    throw new Error(
      `${adapter}: expected ${expected} disposals, got ${counters.calls} (${counters.twice} twice, ${reported} errors)`,
    );
  }
}

/** Whether `adapter` takes part in `workload` (it declares how). */
function takesPart(
  adapter: { how: Readonly<Partial<Record<WorkloadKind, string>>> },
  w: WorkloadKind,
): boolean {
  return adapter.how[w] !== undefined;
}

/** One run of the workload on fresh resources; returns ns per resource for each phase. */
async function runOnce(
  adapter: string,
  workload: WorkloadKind,
  factories: Factories,
  n: number,
): Promise<PhaseSample> {
  const resources = makeItems(workload, n);
  const factory = factories[workload] as () => Container;
  const handles = new Array<unknown>(n);
  resetCounters();
  // No forced GC here: see "Methodology" in BENCHMARKS.md (a forced full GC hands freed pages
  // back to the VM host, and re-faulting them costs milliseconds of noise). V8 collects the
  // previous repetition's garbage on its own, as it would in an application.
  const container = factory();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) handles[i] = container.track(resources[i]!);
  const t1 = process.hrtime.bigint();
  for (let i = 0; i < n; i += 2) container.release(handles[i]);
  const t2 = process.hrtime.bigint();
  const reported = await container.cleanup();
  const t3 = process.hrtime.bigint();
  verify(adapter, n, reported, container);
  const track = Number(t1 - t0) / n;
  const release = Number(t2 - t1) / n;
  const cleanup = Number(t3 - t2) / n;
  return { track, release, cleanup, total: track + release + cleanup };
}

interface RetainedParams {
  readonly adapter: string;
  readonly workload: WorkloadKind;
  readonly n: number;
}

interface RetainedResult {
  /** Heap growth per resource: resources + a handles array + the library's structures. */
  readonly bytesPerResource: number;
}

interface ThrowingParams {
  readonly adapter: string;
  readonly n: number;
}

interface ThrowingResult {
  readonly n: number;
  /** Disposers that actually ran. */
  readonly ran: number;
  /** Errors the library handed back (report entries, AggregateError members…). */
  readonly reported: number;
  readonly trackMs: number;
  readonly cleanupMs: number;
}

export const tasks = {
  async time(p: TimeParams): Promise<TimeResult> {
    const factories = await adapterById(p.adapter).load();
    for (let i = 0; i < p.warmup; i++) await runOnce(p.adapter, p.workload, factories, p.n);
    const samples: PhaseSample[] = [];
    for (let i = 0; i < p.reps; i++) samples.push(await runOnce(p.adapter, p.workload, factories, p.n));
    return { samples };
  },

  async retained(p: RetainedParams): Promise<RetainedResult> {
    const factories = await adapterById(p.adapter).load();
    // Warm the library's code and lazy state so only per-resource structures are counted.
    for (let i = 0; i < 3; i++) await runOnce(p.adapter, p.workload, factories, 1000);
    resetCounters();
    fullGc();
    const before = process.memoryUsage().heapUsed;
    const resources = makeItems(p.workload, p.n);
    const handles = new Array<unknown>(p.n);
    const container = (factories[p.workload] as () => Container)();
    for (let i = 0; i < p.n; i++) handles[i] = container.track(resources[i]!);
    fullGc();
    const after = process.memoryUsage().heapUsed;
    // Use everything after the measurement, so all of it was alive when measured.
    for (let i = 0; i < p.n; i += 2) container.release(handles[i]);
    verify(p.adapter, p.n, await container.cleanup(), container);
    return { bytesPerResource: (after - before) / p.n };
  },

  async throwing(p: ThrowingParams): Promise<ThrowingResult> {
    // The values workload: the application's disposer (`closeValue`) throws.
    const factory = (await adapterById(p.adapter).load()).values as () => Container;
    const warm = factory();
    for (const r of makeItems('values', 1000, true)) warm.track(r);
    await warm.cleanup();
    const resources = makeItems('values', p.n, true);
    resetCounters();
    const container = factory();
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < p.n; i++) container.track(resources[i]!);
    const t1 = process.hrtime.bigint();
    const reported = await container.cleanup();
    const t2 = process.hrtime.bigint();
    return {
      n: p.n,
      ran: counters.calls,
      reported,
      trackMs: Number(t1 - t0) / 1e6,
      cleanupMs: Number(t2 - t1) / 1e6,
    };
  },
} satisfies ChildTasks;

// ---------------------------------------------------------------------------------------
// Parent side
// ---------------------------------------------------------------------------------------

interface Plan {
  readonly sizes: readonly number[];
  readonly rounds: number;
  readonly retainedN: number;
  readonly retainedRounds: number;
  readonly throwingN: number;
  readonly throwingRounds: number;
  warmup(n: number): number;
  reps(n: number): number;
}

const FULL: Plan = {
  sizes: [10_000, 100_000, 1_000_000],
  rounds: 4,
  retainedN: 100_000,
  retainedRounds: 3,
  throwingN: 100_000,
  throwingRounds: 3,
  // At least ~500k warm-up operations (JIT tiers settle), at least 2 runs.
  warmup: (n) => Math.min(50, Math.max(2, Math.ceil(500_000 / n))),
  reps: (n) => (n <= 10_000 ? 25 : n <= 100_000 ? 15 : 5),
};

const QUICK: Plan = {
  sizes: [10_000, 100_000],
  rounds: 1,
  retainedN: 100_000,
  retainedRounds: 1,
  throwingN: 100_000,
  throwingRounds: 1,
  warmup: (n) => Math.min(10, Math.max(1, Math.ceil(100_000 / n))),
  reps: () => 3,
};

interface LibraryTiming {
  readonly total: Summary;
  /** Lowest per-round median: the figure least disturbed by other load on the machine. */
  readonly bestRound?: number;
  readonly track: number;
  readonly release: number;
  readonly cleanup: number;
}

/** One library's figures in one workload. */
interface WorkloadResult {
  /** By N. */
  readonly timing: Record<number, LibraryTiming>;
  readonly retainedBytes: number;
  readonly overheadBytes: number;
}

interface LibraryResult {
  readonly id: string;
  readonly label: string;
  readonly skipped?: string;
  readonly workloads: Partial<Record<WorkloadKind, WorkloadResult>>;
  /** The values workload, every disposer throwing. */
  readonly throwing?: ThrowingResult | { readonly error: string };
}

export interface CoreResult {
  readonly sizes: readonly number[];
  readonly workloads: readonly WorkloadKind[];
  readonly retainedN: number;
  readonly throwingN: number;
  /** Retained bytes of the items and handle array alone, per workload. */
  readonly baselineBytes: Partial<Record<WorkloadKind, number>>;
  readonly libraries: LibraryResult[];
}

const TIMEOUT_MS = 10 * 60_000;

async function measure(options: RunOptions): Promise<CoreResult> {
  const plan = options.quick ? QUICK : FULL;
  const adapters = ADAPTERS.filter((a) => options.cases === undefined || options.cases.includes(a.id));
  const available = adapters.filter((a) => a.unavailable?.() === undefined);
  const key = (id: string, w: WorkloadKind, n: number): string => `${id}/${w}/${n}`;
  const samples = new Map<string, PhaseSample[]>();
  const roundMedians = new Map<string, number[]>();

  for (let round = 1; round <= plan.rounds; round++) {
    for (const n of plan.sizes) {
      for (const workload of WORKLOADS) {
        for (const a of available.filter((x) => takesPart(x, workload))) {
          const params: TimeParams = {
            adapter: a.id,
            workload,
            n,
            warmup: plan.warmup(n),
            reps: plan.reps(n),
          };
          const t = Date.now();
          const r = await runChild<TimeResult>(SELF, 'time', params, { timeoutMs: TIMEOUT_MS });
          const k = key(a.id, workload, n);
          samples.set(k, [...(samples.get(k) ?? []), ...r.samples]);
          const med = summarize(r.samples.map((s) => s.total)).median;
          roundMedians.set(k, [...(roundMedians.get(k) ?? []), med]);
          log(
            options,
            `  time  round ${round} N=${fmtCount(n)} ${workload} ${a.id}: ${fmtNs(med)}/resource (${Date.now() - t} ms)`,
          );
        }
      }
    }
  }

  const retained = async (id: string, workload: WorkloadKind): Promise<number> => {
    const values: number[] = [];
    for (let i = 0; i < plan.retainedRounds; i++) {
      const r = await runChild<RetainedResult>(SELF, 'retained', {
        adapter: id,
        workload,
        n: plan.retainedN,
      } satisfies RetainedParams);
      values.push(r.bytesPerResource);
    }
    const med = summarize(values).median;
    log(options, `  bytes N=${fmtCount(plan.retainedN)} ${workload} ${id}: ${med.toFixed(1)} B/resource`);
    return med;
  };
  const baselineBytes: Partial<Record<WorkloadKind, number>> = {};
  for (const w of WORKLOADS) baselineBytes[w] = await retained(baseline.id, w);

  const libraries: LibraryResult[] = [];
  for (const a of adapters) {
    const skipped = a.unavailable?.();
    if (skipped !== undefined) {
      libraries.push({ id: a.id, label: a.label, skipped, workloads: {} });
      continue;
    }
    const workloads: Partial<Record<WorkloadKind, WorkloadResult>> = {};
    for (const w of WORKLOADS.filter((x) => takesPart(a, x))) {
      const timing: Record<number, LibraryTiming> = {};
      for (const n of plan.sizes) {
        const s = samples.get(key(a.id, w, n))!;
        timing[n] = {
          total: summarize(s.map((x) => x.total)),
          bestRound: Math.min(...roundMedians.get(key(a.id, w, n))!),
          track: summarize(s.map((x) => x.track)).median,
          release: summarize(s.map((x) => x.release)).median,
          cleanup: summarize(s.map((x) => x.cleanup)).median,
        };
      }
      const retainedBytes = await retained(a.id, w);
      workloads[w] = { timing, retainedBytes, overheadBytes: retainedBytes - baselineBytes[w]! };
    }
    let throwing: LibraryResult['throwing'];
    if (takesPart(a, 'values'))
      try {
        const runs: ThrowingResult[] = [];
        for (let i = 0; i < plan.throwingRounds; i++) {
          runs.push(
            await runChild<ThrowingResult>(
              SELF,
              'throwing',
              { adapter: a.id, n: plan.throwingN } satisfies ThrowingParams,
              { timeoutMs: 120_000 },
            ),
          );
        }
        // The run with the median cleanup time (all runs agree on the counts).
        runs.sort((x, y) => x.cleanupMs - y.cleanupMs);
        throwing = runs[runs.length >> 1]!;
        log(options, `  throw N=${fmtCount(plan.throwingN)} ${a.id}: ${JSON.stringify(throwing)}`);
      } catch (e) {
        throwing = { error: e instanceof ChildTimeoutError ? 'timed out (120 s)' : String(e).slice(0, 200) };
      }
    libraries.push({ id: a.id, label: a.label, workloads, ...(throwing ? { throwing } : {}) });
  }
  return {
    sizes: plan.sizes,
    workloads: WORKLOADS,
    retainedN: plan.retainedN,
    throwingN: plan.throwingN,
    baselineBytes,
    libraries,
  };
}

// ---------------------------------------------------------------------------------------
// Rendering
// ---------------------------------------------------------------------------------------

/**
 * Steward's growth from the smallest to the largest N, divided by the bare Map's (the floor,
 * which slows down from the same cache misses and old-generation GC), must stay under this
 * to count as linear.
 */
const LINEAR_LIMIT = 1.5;
const BYTES_LIMIT = 128;
const THROWING_LIMIT_MS = 1000;

const WORKLOAD_TITLES: Record<WorkloadKind, string> = {
  values:
    'Values with a disposer — the target workload: a plain value and the application’s `closeValue` function, carried by each library in its own idiom',
  disposables:
    'Ready-made disposables — objects with their own `dispose()`, which container libraries hold as they are (Steward’s `track` still records type, size and a disposer; `component.add` holds them as they are)',
  callbacks:
    'Cleanup callbacks — a closure registered to run at cleanup, every other one unregistered early (Steward `onCleanup` + `registration.dispose()`; DisposableStore `add(toDisposable(fn))` + `delete`)',
};

/** Current label (labels may be renamed after a run was saved). */
function labelOf(l: LibraryResult): string {
  return ADAPTERS.find((a) => a.id === l.id)?.label ?? l.label;
}

function spread(s: Summary): string {
  return `±${(((s.p75 - s.p25) / 2 / s.median) * 100).toFixed(0)}%`;
}

/** The markdown of one workload: the N = 100k table and the linearity table. */
function renderWorkload(r: CoreResult, w: WorkloadKind, headline: number): string[] {
  const libs = r.libraries.filter((l) => l.workloads[w] !== undefined);
  const of = (id: string): WorkloadResult | undefined => libs.find((l) => l.id === id)?.workloads[w];
  const med = (id: string, n: number): number => of(id)?.timing[n]?.total.median ?? Number.NaN;
  const best = (id: string, n: number): number => of(id)?.timing[n]?.bestRound ?? Number.NaN;
  const out: string[] = [];
  out.push(`#### ${WORKLOAD_TITLES[w]}`, '');
  out.push(
    `N = ${fmtCount(headline)}: median ns per resource for the whole workload (phases per resource ` +
      `of N); retained bytes at N = ${fmtCount(r.retainedN)}.`,
    '',
  );
  out.push(
    table(
      [
        'library',
        'ns/resource',
        'spread',
        'vs DisposableStore',
        'vs Map',
        'best round',
        'track',
        'release ½',
        'cleanup ½',
        'retained B/resource',
        'library overhead B/resource',
      ],
      libs.map((l) => {
        const x = l.workloads[w]!;
        const t = x.timing[headline]!;
        return [
          labelOf(l),
          fmtNs(t.total.median),
          spread(t.total),
          fmtRatio(t.total.median / med('vscode', headline)),
          fmtRatio(t.total.median / med('map', headline)),
          t.bestRound === undefined
            ? '–'
            : `${fmtNs(t.bestRound)} (${fmtRatio(t.bestRound / best('vscode', headline))})`,
          fmtNs(t.track),
          fmtNs(t.release),
          fmtNs(t.cleanup),
          x.retainedBytes.toFixed(0),
          x.overheadBytes.toFixed(0),
        ];
      }),
    ),
    '',
  );
  out.push(
    `Linearity (median ns per resource; in parentheses the ratio to DisposableStore at the same N):`,
    '',
  );
  out.push(
    table(
      [
        'library',
        ...r.sizes.map((n) => `N = ${fmtCount(n)}`),
        `${fmtCount(r.sizes.at(-1)!)}/${fmtCount(r.sizes[0]!)}`,
      ],
      libs.map((l) => {
        const x = l.workloads[w]!;
        const first = x.timing[r.sizes[0]!]!.total.median;
        const last = x.timing[r.sizes.at(-1)!]!.total.median;
        return [
          labelOf(l),
          ...r.sizes.map(
            (n) =>
              `${fmtNs(x.timing[n]!.total.median)} (${fmtRatio(x.timing[n]!.total.median / med('vscode', n))})`,
          ),
          fmtRatio(last / first),
        ];
      }),
    ),
    '',
  );
  return out;
}

/** A row checking library `id` against DisposableStore at N = `n` in workload `w`: ratio ≤ `limit`. */
function ratioRow(r: CoreResult, w: WorkloadKind, id: string, n: number, limit: number): string[] {
  const of = (x: string): WorkloadResult | undefined => r.libraries.find((l) => l.id === x)?.workloads[w];
  const lib = of(id)?.timing[n];
  const ds = of('vscode')?.timing[n];
  const label = r.libraries.find((l) => l.id === id);
  const name = label ? labelOf(label) : id;
  if (lib === undefined || ds === undefined)
    return [`${w}: ${name} ≤ ${limit}× DisposableStore at N = ${fmtCount(n)}`, 'not measured', '–'];
  const ratio = lib.total.median / ds.total.median;
  const bestRatio = (lib.bestRound ?? Number.NaN) / (ds.bestRound ?? Number.NaN);
  return [
    `${w}: ${name} ≤ ${fmtRatio(limit)} DisposableStore at N = ${fmtCount(n)}`,
    `${fmtRatio(ratio)} (best rounds: ${fmtRatio(bestRatio)})`,
    ratio <= limit ? 'met' : 'MISSED',
  ];
}

/** The targets of issue 12: light callbacks, a light path for ready-made disposables, values kept. */
function issue12Rows(r: CoreResult): string[][] {
  const rows: string[][] = [];
  if (r.workloads.includes('callbacks'))
    for (const n of r.sizes) rows.push(ratioRow(r, 'callbacks', 'steward', n, 1));
  if (r.sizes.includes(100_000)) {
    rows.push(ratioRow(r, 'disposables', 'steward-add', 100_000, 1.5));
    rows.push(ratioRow(r, 'values', 'steward', 100_000, 0.75));
  }
  return rows;
}

/** Steward's target rows for one workload. */
function targetRows(r: CoreResult, w: WorkloadKind): string[][] {
  const of = (id: string): WorkloadResult | undefined => r.libraries.find((l) => l.id === id)?.workloads[w];
  const s = of('steward');
  const ds = of('vscode');
  const floor = of('map');
  if (s === undefined) return [[`${w}: Steward was not measured`, '–', '–']];
  const rows: string[][] = [];
  for (const n of r.sizes) {
    const ratio = s.timing[n]!.total.median / (ds?.timing[n]?.total.median ?? Number.NaN);
    const bestRatio = (s.timing[n]!.bestRound ?? Number.NaN) / (ds?.timing[n]?.bestRound ?? Number.NaN);
    rows.push([
      `${w}: ns/resource ≤ DisposableStore at N = ${fmtCount(n)}`,
      `${fmtRatio(ratio)} (best rounds: ${fmtRatio(bestRatio)})`,
      ratio <= 1 ? 'met' : 'MISSED',
    ]);
  }
  rows.push([
    `${w}: library overhead ≤ ${BYTES_LIMIT} B/resource`,
    `${s.overheadBytes.toFixed(0)} B (DisposableStore: ${ds?.overheadBytes.toFixed(0) ?? '–'} B)`,
    s.overheadBytes <= BYTES_LIMIT ? 'met' : 'MISSED',
  ]);
  const first = r.sizes[0]!;
  const last = r.sizes.at(-1)!;
  const growth = (x: WorkloadResult | undefined): number =>
    (x?.timing[last]?.total.median ?? Number.NaN) / (x?.timing[first]?.total.median ?? Number.NaN);
  const lin = growth(s) / growth(floor);
  rows.push([
    `${w}: linear — ${fmtCount(last)}/${fmtCount(first)} growth ≤ ${LINEAR_LIMIT} × the bare Map’s`,
    `${fmtRatio(growth(s))} vs Map ${fmtRatio(growth(floor))} → ${fmtRatio(lin)} (DisposableStore: ${fmtRatio(growth(ds))})`,
    lin <= LINEAR_LIMIT ? 'met' : 'MISSED',
  ]);
  return rows;
}

export function renderCore(r: CoreResult): string {
  const libs = r.libraries.filter((l) => l.skipped === undefined);
  const headline = r.sizes.includes(100_000) ? 100_000 : r.sizes[r.sizes.length - 1]!;
  const out: string[] = [];
  for (const w of r.workloads) out.push(...renderWorkload(r, w, headline));
  out.push(
    '*spread*: half the inter-quartile range of all repetitions, relative to the median. ' +
      '*best round*: the lowest per-process median (in parentheses: ratio to DisposableStore’s), ' +
      'the figure least disturbed by other load on the machine. ' +
      'Retained B/resource = heap growth (after full GCs) per tracked resource, counting the items ' +
      'and a caller-side array of handles; library overhead = that minus the baseline of holding ' +
      `the same items and handle array with no library (${r.workloads
        .map((w) => `${w}: ${r.baselineBytes[w]?.toFixed(0)} B`)
        .join(', ')}).`,
    '',
  );

  out.push(
    `#### Throwing disposers (N = ${fmtCount(r.throwingN)} values whose \`closeValue\` throws \`new Error\`; ` +
      'track all, then one cleanup; no early release)',
    '',
  );
  out.push(
    table(
      ['library', 'disposers run', 'errors reported', 'track', 'cleanup'],
      libs.map((l) => {
        const t = l.throwing;
        if (t === undefined) return [labelOf(l), '–', '–', '–', '–'];
        if ('error' in t) return [labelOf(l), t.error, '–', '–', '–'];
        return [
          labelOf(l),
          t.ran.toLocaleString('en-US'),
          t.reported.toLocaleString('en-US'),
          t.trackMs.toFixed(1) + ' ms',
          t.cleanupMs.toFixed(1) + ' ms',
        ];
      }),
    ),
    '',
  );

  const skipped = r.libraries.filter((l) => l.skipped !== undefined);
  if (skipped.length > 0)
    out.push('Skipped: ' + skipped.map((l) => `${l.label} (${l.skipped})`).join('; ') + '.', '');

  out.push('#### Steward targets', '');
  const s = libs.find((l) => l.id === 'steward');
  if (s === undefined) {
    out.push('Steward was not measured.');
  } else {
    const rows: string[][] = [];
    for (const w of r.workloads) rows.push(...targetRows(r, w));
    rows.push(...issue12Rows(r));
    const t = s.throwing;
    if (t !== undefined && !('error' in t)) {
      const ok = t.ran === t.n && t.reported === t.n && t.cleanupMs < THROWING_LIMIT_MS;
      rows.push([
        `${fmtCount(t.n)} throwing disposers all run and reported < ${THROWING_LIMIT_MS} ms`,
        `${t.ran} run, ${t.reported} reported, ${t.cleanupMs.toFixed(0)} ms`,
        ok ? 'met' : 'MISSED',
      ]);
    } else {
      rows.push(['throwing disposers', t === undefined ? '–' : t.error, 'MISSED']);
    }
    out.push(table(['target', 'measured', ''], rows, 'lll'));
  }
  return out.join('\n');
}

export const suite: BenchSuite = {
  id: 'core',
  title: 'Core: track / release / cleanup',
  run: measure,
  render: (result) => renderCore(result as CoreResult),
};
