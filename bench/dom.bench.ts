/**
 * steward/dom in real Chromium (found as the browser tests find it):
 *
 * - per listener: `ledger.listen(el, 'click', fn)` against `el.addEventListener('click', fn,
 *   { signal })` with one shared AbortController (and without a signal, for scale), on fresh
 *   elements, one listener each; removal: `cleanup()` against `abort()`. Target: listen ≤ 1.5×.
 * - per tab: open (a section with 100 buttons, one listener each, and 10 ResizeObservers,
 *   mounted) and close, by hand (one AbortController, disconnect, remove) and with the ledger
 *   (with and without detached-element detection). Median µs per tab over batches.
 *
 * The page code is bench/dom/page-bench.js, served with Steward's dist/ like the browser tests.
 * The page's clock has 100 µs resolution (no cross-origin isolation), hence batches: 4,000
 * listeners (25 ns resolution per listener) and 20 tabs (5 µs per tab).
 */
import { fileURLToPath } from 'node:url';
import { launchChromium } from '../test/helpers/chromium.js';
import { startPageServer } from '../test/helpers/page-server.js';
import { type BenchSuite, fmtNs, fmtRatio, log, type RunOptions, summarize, table } from './lib/harness.js';

type Samples = Record<string, number[]>;

/** What the suite measures (JSON: `--from` re-renders it). */
export interface DomBenchResult {
  readonly browser: string;
  readonly listeners: number;
  readonly listen: Record<string, number>;
  readonly tab: {
    readonly listeners: number;
    readonly observers: number;
    readonly batch: number;
    readonly us: Record<string, number>;
  };
  readonly rounds: number;
}

const medians = (samples: Samples): Record<string, number> =>
  Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, summarize(v).median]));

export async function runDomBench(options: RunOptions): Promise<DomBenchResult> {
  const quick = options.quick;
  // Short batches, many rounds: a collection or a burst of load on a shared machine then spoils
  // a few samples, not the median.
  const n = 4000;
  const rounds = quick ? 11 : 61;
  const server = await startPageServer({ fixtures: fileURLToPath(new URL('./dom/', import.meta.url)) });
  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    await page.goto(server.url);
    await page.evaluate(`import('/fixtures/page-bench.js').then((m) => { window.bench = m; })`);
    log(options, `dom: listen × ${n}, ${rounds} rounds`);
    const listen = (await page.evaluate(
      `bench.listenBench(${JSON.stringify({ n, rounds, warmup: 10 })})`,
    )) as Samples;
    const tabSpec = { listeners: 100, observers: 10, batch: 20, rounds, warmup: 10 };
    log(options, `dom: open/close tab (100 listeners, 10 observers) × ${tabSpec.batch} per batch`);
    const tab = (await page.evaluate(`bench.tabBench(${JSON.stringify(tabSpec)})`)) as Samples;
    return {
      browser: `Chromium ${browser.version()}`,
      listeners: n,
      listen: medians(listen),
      tab: {
        listeners: tabSpec.listeners,
        observers: tabSpec.observers,
        batch: tabSpec.batch,
        us: medians(tab),
      },
      rounds,
    };
  } finally {
    await browser.close();
    await server.close();
  }
}

const us = (v: number | undefined): string => (v === undefined ? '–' : `${v.toFixed(v >= 100 ? 0 : 1)} µs`);

export function renderDom(result: DomBenchResult): string {
  const l = result.listen;
  const t = result.tab.us;
  return [
    `${result.browser}; median of ${result.rounds} rounds, modes alternating. Target: \`listen\` ≤ 1.5× \`addEventListener\` with an AbortSignal.`,
    '',
    `Per listener (batches of ${result.listeners.toLocaleString('en')} fresh elements, one \`click\` listener each):`,
    '',
    table(
      ['', 'add', 'vs addEventListener + signal', 'remove all', 'vs abort()'],
      [
        [
          '`addEventListener(type, fn)` (no signal)',
          fmtNs(l.plainAdd!),
          fmtRatio(l.plainAdd! / l.nativeAdd!),
          '–',
          '–',
        ],
        [
          '`addEventListener(type, fn, { signal })`',
          fmtNs(l.nativeAdd!),
          '1.00×',
          fmtNs(l.nativeRemove!),
          '1.00×',
        ],
        [
          '`ledger.listen(el, type, fn)`',
          fmtNs(l.stewardAdd!),
          fmtRatio(l.stewardAdd! / l.nativeAdd!),
          fmtNs(l.stewardRemove!),
          fmtRatio(l.stewardRemove! / l.nativeRemove!),
        ],
      ],
      'lrrrr',
    ),
    '',
    `Per tab: open (a section with ${result.tab.listeners} buttons, one listener each, ${result.tab.observers} ResizeObservers, mounted) and close; median of batches of ${result.tab.batch}:`,
    '',
    table(
      ['', 'open', 'close', 'open + close', 'vs by hand'],
      (
        [
          ['by hand (AbortController, disconnect, remove)', 'manual'],
          ['steward/dom ledger', 'steward'],
          ['steward/dom ledger, detached detection off', 'stewardNoDetect'],
        ] as const
      ).map(([label, m]) => [
        label,
        us(t[`${m}Open`]),
        us(t[`${m}Close`]),
        us(t[`${m}Open`]! + t[`${m}Close`]!),
        fmtRatio((t[`${m}Open`]! + t[`${m}Close`]!) / (t.manualOpen! + t.manualClose!)),
      ]),
      'lrrrr',
    ),
  ].join('\n');
}

/** The suite registered in bench/run.ts. */
export const suite: BenchSuite = {
  id: 'dom',
  title: 'Browser ledger (steward/dom, Chromium)',
  run: (options) => runDomBench(options),
  render: (result) => renderDom(result as DomBenchResult),
};
