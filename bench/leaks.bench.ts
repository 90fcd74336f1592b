/**
 * Leak forensics (issue 14):
 *
 * - **Unload verification per unload**: inline plugins with 10 resources each, reloaded; the
 *   verification without a snapshot (forced collections and the probes) measured from the
 *   `unloadVerified` verdicts — one plugin per batch, and 100 plugins reloaded together (one
 *   batch: the collections are shared). Peer: the same reloads without verification (wall time).
 * - **Snapshot + path analysis of a ~100 MB heap**: a child builds a heap whose snapshot is about
 *   100 MB, with an unloaded leaky plugin in it, and writes the snapshot; fresh children then
 *   read and analyse it — Steward's streaming reader + `explainRetained`, the same analysis over
 *   `JSON.parse` of the whole text (the reader `steward/testing` had before), and memlab
 *   (`@memlab/core`: its parser, shortest paths, dominators and retained sizes) when it is
 *   installed (`MEMLAB_DIR=<folder with node_modules/@memlab/core>`; it needs puppeteer, so it is
 *   not among the bench's peers). Peak extra memory: the child's max RSS minus its RSS before.
 *
 * Standalone: `node --expose-gc --import tsx bench/run.ts --only leaks`.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { writeHeapSnapshot } from 'node:v8';
import { type BenchSuite, fullGc, runChild, summarize, table } from './lib/harness.js';

const SELF = import.meta.url;

const PLUGIN = `export default {
  activate(ctx) {
    for (let i = 0; i < 4; i++) ctx.setInterval(() => {}, 60_000);
    for (let i = 0; i < 4; i++) ctx.listen(process, 'SIGUSR2', () => {});
    ctx.track(new Uint8Array(256), { type: 'buffer', dispose: () => {} });
    ctx.onCleanup(() => {});
  },
};`;

function pluginFolder(count: number): string {
  const dir = mkdtempSync(join(tmpdir(), 'steward-bench-leaks-'));
  for (let i = 0; i < count; i++) {
    const p = join(dir, `p${i}`);
    mkdirSync(p);
    writeFileSync(
      join(p, 'package.json'),
      JSON.stringify({
        name: `p${i}`,
        version: '1.0.0',
        type: 'module',
        main: 'index.js',
        steward: { id: `p${i}` },
      }),
    );
    writeFileSync(join(p, 'index.js'), PLUGIN);
  }
  return dir;
}

/** Child-side tasks. */
export const tasks = {
  /** Reload `plugins` plugins `rounds` times; verification ms per unload (from the verdicts) and wall ms per round. */
  async verify(params: { plugins: number; rounds: number; verify: boolean }) {
    const { PluginHost } = await import('../src/plugins/index.js');
    const dir = pluginFolder(params.plugins);
    const host = new PluginHost({
      dirs: [dir],
      log: () => {},
      verifyUnload: params.verify ? { snapshot: 'never', batchMs: 60_000 } : false,
    });
    await host.start();
    const perUnload: number[] = [];
    const wall: number[] = [];
    let findings = 0;
    for (let r = 0; r < params.rounds; r++) {
      const t = performance.now();
      for (let i = 0; i < params.plugins; i++) await host.reload(`p${i}`);
      const verdicts = await host.verifyUnloads();
      wall.push(performance.now() - t);
      for (const v of verdicts) {
        perUnload.push(v.gcMs / v.plugins.length);
        findings += v.findings.length;
      }
    }
    await host.dispose();
    rmSync(dir, { recursive: true, force: true });
    return { perUnload, wall, findings };
  },

  /** Build a heap whose snapshot is about `mb` MB (and an unloaded leaky plugin), write it. */
  async makeSnapshot(params: { mb: number; file: string }) {
    const dir = mkdtempSync(join(tmpdir(), 'steward-bench-heap-'));
    writeFileSync(
      join(dir, 'leaky.mjs'),
      'export function activate() { globalThis.benchLeak = function onTick() { return 1; }; }\n',
    );
    const mod = (await import(pathToFileURL(join(dir, 'leaky.mjs')).href)) as { activate(): void };
    mod.activate();
    // ~190 bytes of snapshot per small object with its edges and string (measured on Node 20 and 24).
    const keep: Array<{ id: number; name: string; next: unknown }> = [];
    const per = Math.round((params.mb * 1e6) / 190);
    for (let i = 0; i < per; i++) keep.push({ id: i, name: `n${i % 1000}`, next: keep[i - 1] });
    (globalThis as { benchKeep?: unknown }).benchKeep = keep;
    const t = performance.now();
    writeHeapSnapshot(params.file);
    const writeMs = performance.now() - t;
    rmSync(dir, { recursive: true, force: true });
    return { writeMs, bytes: statSync(params.file).size, url: pathToFileURL(join(dir, 'leaky.mjs')).href };
  },

  /** Read and analyse the snapshot with one parser; time and peak extra RSS. */
  async analyse(params: { file: string; url: string; parser: 'steward' | 'json' | 'memlab' }) {
    // Code first (its loading is not the parser's memory), then the baseline.
    const { explainRetained } = await import('../src/node/leak-forensics.js');
    const { readHeapSnapshot } = await import('../src/node/heap-reader.js');
    const { HeapSnapshot } = await import('../src/node/heap-snapshot.js');
    let memlab: MemlabLib | undefined;
    if (params.parser === 'memlab') {
      const core = (await import(
        pathToFileURL(join(process.env.MEMLAB_DIR!, 'node_modules/@memlab/core/dist/index.js')).href
      )) as { default?: MemlabLib } & MemlabLib;
      memlab = core.default ?? core;
    }
    fullGc();
    const before = process.memoryUsage().rss;
    const t = performance.now();
    let found = 0;
    if (memlab) {
      const snapshot = await memlab.utils.getSnapshotFromFile(params.file, {});
      const finder = new memlab.TraceFinder();
      finder.annotateShortestPaths(snapshot);
      finder.calculateAllNodesRetainedSizes(snapshot);
      snapshot.nodes.forEach((node) => {
        if (node.type === 'closure' && node.name === 'onTick' && finder.getPathToGCRoots(snapshot, node))
          found++;
      });
    } else {
      const snapshot =
        params.parser === 'steward'
          ? await readHeapSnapshot(params.file)
          : HeapSnapshot.parse(readFileSync(params.file, 'utf8'));
      const findings = explainRetained(snapshot, {
        codes: [{ key: 'leaky', matches: (u) => u.startsWith(params.url) }],
      });
      found = findings.filter((f) => f.object === 'function onTick').length;
    }
    const ms = performance.now() - t;
    const peak = process.resourceUsage().maxRSS * 1024;
    return { ms, extraBytes: Math.max(0, peak - before), found };
  },
};

interface MemlabLib {
  utils: { getSnapshotFromFile(f: string, o: object): Promise<MemlabSnapshot> };
  TraceFinder: new () => MemlabFinder;
}
interface MemlabNode {
  type: string;
  name: string;
}
interface MemlabSnapshot {
  nodes: { forEach(fn: (n: MemlabNode) => void): void };
}
interface MemlabFinder {
  annotateShortestPaths(s: MemlabSnapshot): void;
  calculateAllNodesRetainedSizes(s: MemlabSnapshot): void;
  getPathToGCRoots(s: MemlabSnapshot, n: MemlabNode): unknown;
}

type Verify = Awaited<ReturnType<typeof tasks.verify>>;
type Analyse = Awaited<ReturnType<typeof tasks.analyse>>;

/** Result of the suite. */
export interface LeaksBenchResult {
  readonly node: string;
  readonly single: {
    readonly perUnloadMs: number;
    readonly wallMs: number;
    readonly wallWithoutMs: number;
    readonly findings: number;
  };
  readonly batch: {
    readonly plugins: number;
    readonly perUnloadMs: number;
    readonly wallMs: number;
    readonly wallWithoutMs: number;
    readonly findings: number;
  };
  readonly snapshot: { readonly bytes: number; readonly writeMs: number };
  readonly parsers: Record<string, Analyse | { readonly error: string }>;
}

const median = (xs: readonly number[]): number => summarize(xs).median;

/** The suite registered in bench/run.ts. */
export const suite: BenchSuite = {
  id: 'leaks',
  title: 'Leak forensics: unload verification and heap snapshot analysis',
  async run(options): Promise<LeaksBenchResult> {
    const rounds = options.quick ? 5 : 20;
    const batch = options.quick ? 20 : 100;
    const [one, oneOff, many, manyOff] = [
      await runChild<Verify>(SELF, 'verify', { plugins: 1, rounds, verify: true }),
      await runChild<Verify>(SELF, 'verify', { plugins: 1, rounds, verify: false }),
      await runChild<Verify>(SELF, 'verify', { plugins: batch, rounds: options.quick ? 2 : 5, verify: true }),
      await runChild<Verify>(SELF, 'verify', {
        plugins: batch,
        rounds: options.quick ? 2 : 5,
        verify: false,
      }),
    ];
    const file = join(tmpdir(), `steward-bench-${process.pid}.heapsnapshot`);
    const parsers: Record<string, Analyse | { error: string }> = {};
    let made: Awaited<ReturnType<typeof tasks.makeSnapshot>>;
    try {
      made = await runChild(
        SELF,
        'makeSnapshot',
        { mb: options.quick ? 20 : 100, file },
        { nodeArgs: ['--max-old-space-size=4096'] },
      );
      for (const parser of ['steward', 'json', 'memlab'] as const) {
        if (parser === 'memlab' && !process.env.MEMLAB_DIR) {
          parsers[parser] = { error: 'not installed (set MEMLAB_DIR)' };
          continue;
        }
        try {
          parsers[parser] = await runChild<Analyse>(
            SELF,
            'analyse',
            { file, url: made.url, parser },
            {
              nodeArgs: ['--max-old-space-size=8192'],
            },
          );
        } catch (error) {
          parsers[parser] = { error: (error as Error).message.split('\n')[0]!.slice(0, 160) };
        }
      }
    } finally {
      rmSync(file, { force: true });
    }
    return {
      node: process.version,
      single: {
        perUnloadMs: median(one.perUnload),
        wallMs: median(one.wall),
        wallWithoutMs: median(oneOff.wall),
        findings: one.findings,
      },
      batch: {
        plugins: batch,
        perUnloadMs: median(many.perUnload),
        wallMs: median(many.wall),
        wallWithoutMs: median(manyOff.wall),
        findings: many.findings,
      },
      snapshot: { bytes: made.bytes, writeMs: made.writeMs },
      parsers,
    };
  },
  render(raw): string {
    const r = raw as LeaksBenchResult;
    const mb = (b: number) => `${(b / 1e6).toFixed(0)} MB`;
    const lines = [
      `Unload verification without a snapshot (inline plugins with 10 resources; target ≤ 50 ms median per unload), ${r.node}:`,
      '',
      table(
        [
          'reloads',
          'verification per unload (median)',
          'wall per round, verified',
          'wall per round, not verified',
          'findings',
        ],
        [
          [
            '1 plugin per batch',
            `${r.single.perUnloadMs.toFixed(1)} ms`,
            `${r.single.wallMs.toFixed(1)} ms`,
            `${r.single.wallWithoutMs.toFixed(1)} ms`,
            String(r.single.findings),
          ],
          [
            `${r.batch.plugins} plugins in one batch`,
            `${r.batch.perUnloadMs.toFixed(2)} ms`,
            `${r.batch.wallMs.toFixed(0)} ms`,
            `${r.batch.wallWithoutMs.toFixed(0)} ms`,
            String(r.batch.findings),
          ],
        ],
      ),
      '',
      `Snapshot of a ${mb(r.snapshot.bytes)} heap snapshot (written in ${(r.snapshot.writeMs / 1000).toFixed(1)} s), read and analysed (paths from GC roots, retained sizes) in a fresh process; target ≤ 10 s, peak extra memory ≤ 2× the snapshot:`,
      '',
      table(
        ['parser', 'time', 'peak extra memory', '× snapshot', 'leak found'],
        Object.entries(r.parsers).map(([name, a]) =>
          'error' in a
            ? [name, a.error, '', '', '']
            : [
                name,
                `${(a.ms / 1000).toFixed(1)} s`,
                mb(a.extraBytes),
                (a.extraBytes / r.snapshot.bytes).toFixed(2),
                a.found > 0 ? 'yes' : 'no',
              ],
        ),
      ),
    ];
    return lines.join('\n');
  },
};
