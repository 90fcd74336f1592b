/**
 * `npm run bench` — runs the registered benchmark suites and prints markdown to stdout.
 *
 *   node --expose-gc --import tsx bench/run.ts [--quick] [--json <file>] [--write] [--only <id,…>] [--quiet]
 *
 * --quick        fast smoke run (fewer sizes, warm-ups and repetitions)
 * --json <file>  also write the raw results (machine info, every suite's result) as JSON
 * --from <file>  measure nothing: render (and with --write, store) a run saved with --json
 * --write        update this runtime's section of BENCHMARKS.md (one section per Node major)
 * --only <ids>   run only these suites (comma-separated ids)
 * --cases <ids>  run only these cases of each suite (core: map,steward,vscode,lumino,event-kit,effect,stack)
 * --quiet        no progress lines on stderr
 *
 * To add a benchmark (plugins, workers…): write `bench/<name>.bench.ts` exporting a
 * `suite: BenchSuite` (parent side, measuring in child processes through `runChild`) and
 * `tasks` (child side), and register it in SUITES below.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  type BenchSuite,
  gitCommit,
  type MachineInfo,
  machineInfo,
  type RunOptions,
  type SuiteOutput,
} from './lib/harness.js';

/** Registered suites, in run order. Each is imported only when it runs. */
const SUITES: Record<string, () => Promise<BenchSuite>> = {
  plugins: async () => (await import('./plugins.bench.js')).suite,
  'plugins-shutdown': async () => (await import('./plugins-shutdown.bench.js')).suite,
  'plugin-faults': async () => (await import('./plugin-faults.bench.js')).suite,
  attribution: async () => (await import('./attribution.bench.js')).suite,
  core: async () => (await import('./core.bench.js')).suite,
  dom: async () => (await import('./dom.bench.js')).suite,
  monitor: async () => (await import('./monitor.bench.js')).suite,
  leaks: async () => (await import('./leaks.bench.js')).suite,
  'leak-gate': async () => (await import('./leak-gate.bench.js')).suite,
  health: async () => (await import('./health.bench.js')).suite,
};

const BENCHMARKS_MD = fileURLToPath(new URL('../BENCHMARKS.md', import.meta.url));

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    json: { type: 'string' },
    from: { type: 'string' },
    write: { type: 'boolean', default: false },
    only: { type: 'string' },
    cases: { type: 'string' },
    quiet: { type: 'boolean', default: false },
  },
});

const options: RunOptions = {
  quick: values.quick ?? false,
  cases: values.cases?.split(',').map((s) => s.trim()),
  verbose: !(values.quiet ?? false),
};

/** A commit, or `a → b` when the checkout changed while the benchmarks ran. */
function sameOrBoth(a: string | undefined, b: string | undefined): string | undefined {
  return a === b ? a : `${a} → ${b} (changed during the run)`;
}

/** What `--json` writes and `--from` reads back. */
interface SavedRun {
  readonly machine: MachineInfo;
  readonly quick: boolean;
  readonly seconds?: number;
  readonly results: Record<string, unknown>;
}

let run: SavedRun;
/** Markdown of suites that render themselves in `run` (no `render`), by suite id. */
const rendered = new Map<string, string>();
if (values.from !== undefined) {
  run = JSON.parse(readFileSync(values.from, 'utf8')) as SavedRun;
} else {
  const selected = values.only?.split(',').map((s) => s.trim()) ?? Object.keys(SUITES);
  for (const id of selected) {
    if (!(id in SUITES)) throw new Error(`unknown suite ${id}; known: ${Object.keys(SUITES)}`);
  }
  const started = Date.now();
  const loadAtStart = loadavg()[0]!;
  const commitAtStart = gitCommit();
  const results: Record<string, unknown> = {};
  for (const id of selected) {
    const suite = await SUITES[id]!();
    if (options.verbose) process.stderr.write(`== ${suite.title}\n`);
    const out = await suite.run(options);
    if (suite.render !== undefined) results[id] = out;
    else {
      results[id] = (out as SuiteOutput).result;
      rendered.set(id, (out as SuiteOutput).markdown);
    }
  }
  run = {
    machine: machineInfo(loadAtStart, sameOrBoth(commitAtStart, gitCommit())),
    quick: options.quick,
    seconds: Math.round((Date.now() - started) / 1000),
    results,
  };
  if (values.json !== undefined) writeFileSync(values.json, JSON.stringify(run, null, 2) + '\n');
}

const m = run.machine;
const heading = `## Node ${m.node.replace(/^v/, '').split('.')[0]}`;
const meta =
  `Node ${m.node} (V8 ${m.v8}) · ${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB · ${m.platform} · ${m.date}` +
  (run.quick ? ' · **quick run**' : '') +
  (run.seconds !== undefined ? ` · ${run.seconds} s` : '') +
  (m.commit !== undefined ? ` · commit ${m.commit}` : '') +
  (m.load !== undefined ? ` · load average ${m.load[0].toFixed(1)} → ${m.load[1].toFixed(1)}` : '');

/** One `### <suite title>` block per suite that ran, each with the run it comes from. */
const sections: Array<{ title: string; text: string }> = [];
for (const [id, result] of Object.entries(run.results)) {
  const load = SUITES[id];
  if (load === undefined) throw new Error(`no suite ${id} to render`);
  const suite = await load();
  const markdown = suite.render?.(result) ?? rendered.get(id);
  if (markdown === undefined)
    throw new Error(`suite ${id} has no render(): it cannot be re-rendered with --from`);
  sections.push({ title: suite.title, text: `### ${suite.title}\n\n${meta}\n\n${markdown}` });
}

process.stdout.write([heading, '', ...sections.map((x) => x.text), ''].join('\n') + '\n');

if (values.write) {
  let doc = existsSync(BENCHMARKS_MD) ? readFileSync(BENCHMARKS_MD, 'utf8') : '';
  for (const section of sections) doc = upsertSuite(doc, heading, section.title, section.text);
  writeFileSync(BENCHMARKS_MD, doc);
  process.stderr.write(`updated ${BENCHMARKS_MD} (${heading}: ${sections.map((x) => x.title).join(', ')})\n`);
}

/**
 * Replaces the `### <title>` block inside the `## Node <major>` section of BENCHMARKS.md (up to
 * the next `### ` or `## ` heading), appending it to the section if missing; the other suites'
 * results, and everything else in the file, are kept.
 */
function upsertSuite(doc: string, head: string, title: string, text: string): string {
  if (!doc.split('\n').includes(head)) doc = upsertSection(doc, head, head);
  const lines = doc.split('\n');
  const start = lines.indexOf(head);
  let end = lines.findIndex((l, i) => i > start && l.startsWith('## '));
  if (end < 0) end = lines.length;
  const block = lines.findIndex((l, i) => i > start && i < end && l === `### ${title}`);
  if (block < 0) {
    return (
      [...lines.slice(0, end), ...text.trimEnd().split('\n'), '', ...lines.slice(end)].join('\n').trimEnd() +
      '\n'
    );
  }
  let blockEnd = lines.findIndex((l, i) => i > block && (l.startsWith('### ') || l.startsWith('## ')));
  if (blockEnd < 0) blockEnd = lines.length;
  return (
    [...lines.slice(0, block), ...text.trimEnd().split('\n'), '', ...lines.slice(blockEnd)]
      .join('\n')
      .trimEnd() + '\n'
  );
}

/**
 * Replaces the `## Node <major>` section of BENCHMARKS.md (up to the next `## ` heading)
 * or inserts it in version order; everything else in the file is kept.
 */
function upsertSection(doc: string, head: string, section: string): string {
  const lines = doc.split('\n');
  const start = lines.indexOf(head);
  if (start >= 0) {
    let end = lines.findIndex((l, i) => i > start && l.startsWith('## '));
    if (end < 0) end = lines.length;
    return (
      [...lines.slice(0, start), ...section.trimEnd().split('\n'), '', ...lines.slice(end)]
        .join('\n')
        .trimEnd() + '\n'
    );
  }
  const major = (l: string): number => Number(/^## Node (\d+)$/.exec(l)?.[1] ?? Number.NaN);
  const mine = major(head);
  const next = lines.findIndex((l) => major(l) > mine);
  if (next >= 0) {
    return (
      [...lines.slice(0, next), ...section.trimEnd().split('\n'), '', ...lines.slice(next)]
        .join('\n')
        .trimEnd() + '\n'
    );
  }
  return (doc.trimEnd() === '' ? '' : doc.trimEnd() + '\n\n') + section.trimEnd() + '\n';
}
