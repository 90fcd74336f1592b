/**
 * The monitor's cost, on a manager of 1,000 components × 100 resources (10 resource types, sizes
 * declared), each figure measured in a fresh child process:
 *
 * - collection: `manager.snapshot()`, `GET /api/snapshot` over loopback HTTP (JSON included),
 *   `GET /metrics` (Prometheus text), and one OpenTelemetry collection (`steward.*` and runtime
 *   instruments, what each OTLP export does before sending);
 * - the event stream: CPU time of 100,000 `track()` calls (and the batches they cause) with no
 *   monitor, with a monitor and no client, and with 10 connected event-stream clients;
 * - the dashboard: time from navigation to the components table's first render of that state in
 *   headless Chromium (target ≤ 500 ms).
 *
 * Standalone: `node --expose-gc --import tsx bench/run.ts --only monitor [--quick]`.
 */
import { connect, type Socket } from 'node:net';
import { ResourceManager } from '../src/core/index.js';
import { startMonitor, startTelemetry } from '../src/monitor/index.js';
import { launchChromium } from '../test/helpers/chromium.js';
import { type BenchSuite, runChild, summarize, table } from './lib/harness.js';

const MODULE = import.meta.url;
const TYPES = [
  'thumbnail',
  'buffer',
  'timer',
  'listener',
  'socket',
  'file_handle',
  'cache',
  'worker',
  'map',
  'callback',
];

/** `components` components (every tenth a root `plugin`, the nine after it its `panel` children) × `resources` resources. */
function populate(components: number, resources: number): { manager: ResourceManager; owners: object[] } {
  const manager = new ResourceManager();
  const owners: object[] = [];
  let parent: ReturnType<ResourceManager['register']> | undefined;
  for (let c = 0; c < components; c++) {
    const owner = {};
    owners.push(owner);
    const component = manager.register(owner, `component-${c}`, {
      type: c % 10 === 0 ? 'plugin' : 'panel',
      ...(c % 10 === 0 || parent === undefined ? {} : { parent }),
      state: 'active',
    });
    if (c % 10 === 0) parent = component;
    for (let r = 0; r < resources; r++) {
      component.track(
        { n: r },
        { type: TYPES[r % TYPES.length]!, size: 64 + (r % 7) * 128, dispose: () => {} },
      );
    }
  }
  return { manager, owners };
}

function median(values: number[]): number {
  return summarize(values).median;
}

async function timed(reps: number, fn: () => Promise<unknown> | unknown): Promise<number> {
  await fn(); // warm-up
  const times: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  return median(times);
}

function openStream(port: number, token: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.write(`GET /api/events?token=${token} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`);
      socket.once('data', () => resolve(socket));
    });
    socket.on('error', reject);
    socket.resume();
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Child-side tasks. */
export const tasks = {
  async collect(p: { components: number; resources: number; reps: number }) {
    const { manager, owners } = populate(p.components, p.resources);
    const monitor = await startMonitor(manager);
    const telemetry = await startTelemetry(manager, {
      endpoint: 'http://127.0.0.1:9',
      exportIntervalMs: 3_600_000,
    });
    const headers = { authorization: `Bearer ${monitor.token}` };
    const snapshotMs = await timed(p.reps, () => manager.snapshot());
    const apiSnapshotMs = await timed(p.reps, async () =>
      (await fetch(`${monitor.origin}/api/snapshot`, { headers })).text(),
    );
    const metricsMs = await timed(p.reps, () => monitor.metrics.render());
    const otelMs = await timed(p.reps, () => telemetry.collect());
    const otelMetrics = await telemetry.collect();
    const snapshotBytes = (await (await fetch(`${monitor.origin}/api/snapshot`, { headers })).text()).length;
    await telemetry.shutdown();
    await monitor.close();
    owners.length = 0;
    return { snapshotMs, apiSnapshotMs, metricsMs, otelMs, otelMetrics, snapshotBytes };
  },

  async stream(p: { tracks: number; clients: number; mode: 'none' | 'monitor' | 'clients'; reps: number }) {
    const manager = new ResourceManager();
    const owner = {};
    const component = manager.register(owner, 'gallery', { state: 'active' });
    const monitor = p.mode === 'none' ? undefined : await startMonitor(manager, { events: { flushMs: 50 } });
    const sockets =
      monitor && p.mode === 'clients'
        ? await Promise.all(Array.from({ length: p.clients }, () => openStream(monitor.port, monitor.token)))
        : [];
    // A fresh component per round: cleanup destroys it.
    const results: Array<{ loopMs: number; cpuMs: number }> = [];
    let current = component;
    for (let i = 0; i <= p.reps; i++) {
      const r = await (async () => {
        const cpu = process.cpuUsage();
        const t0 = performance.now();
        for (let k = 0; k < p.tracks; k++)
          current.track({ k }, { type: 'thumbnail', size: 10, dispose: () => {} });
        const loopMs = performance.now() - t0;
        await sleep(120);
        const used = process.cpuUsage(cpu);
        return { loopMs, cpuMs: (used.user + used.system) / 1000 };
      })();
      await current.cleanup({ force: true });
      current = manager.register(owner, `gallery-${i}`, { state: 'active' });
      if (i > 0) results.push(r); // the first round warms up
    }
    for (const s of sockets) s.destroy();
    await monitor?.close();
    return { loopMs: median(results.map((r) => r.loopMs)), cpuMs: median(results.map((r) => r.cpuMs)) };
  },

  async render(p: { components: number; resources: number; reps: number }) {
    const { manager, owners } = populate(p.components, p.resources);
    const monitor = await startMonitor(manager);
    const browser = await launchChromium();
    const times: number[] = [];
    try {
      for (let i = 0; i <= p.reps; i++) {
        const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
        const page = await context.newPage();
        await page.goto(monitor.url, { waitUntil: 'commit' });
        // A string, not a function: tsx would add helpers to a function that the page lacks.
        const ms = (await page.evaluate(`new Promise((resolve) => {
          const check = () => {
            if (document.querySelectorAll('#components tbody tr[data-id]').length >= ${p.components}) resolve(performance.now());
            else requestAnimationFrame(check);
          };
          check();
        })`)) as number;
        if (i > 0) times.push(ms); // the first load warms the server's caches
        await context.close();
      }
    } finally {
      await browser.close();
      await monitor.close();
      owners.length = 0;
    }
    return { firstRenderMs: median(times), runs: times.length };
  },
};

interface MonitorBenchResult {
  readonly node: string;
  readonly components: number;
  readonly resources: number;
  readonly collect: Awaited<ReturnType<typeof tasks.collect>>;
  readonly stream: { tracks: number; clientCount: number } & Record<
    'none' | 'monitor' | 'clients',
    { loopMs: number; cpuMs: number }
  >;
  readonly render: Awaited<ReturnType<typeof tasks.render>> | { error: string };
}

function render(result: unknown): string {
  const r = result as MonitorBenchResult;
  const c = r.collect;
  const s = r.stream;
  const ms = (n: number) => `${n.toFixed(1)} ms`;
  const added = (x: { cpuMs: number }) => {
    const d = x.cpuMs - s.none.cpuMs;
    return `${d >= 0 ? '+' : '−'}${Math.abs(d).toFixed(1)} ms (${(x.cpuMs / s.none.cpuMs).toFixed(2)}×)`;
  };
  const firstRender =
    'error' in r.render
      ? `not measured: ${r.render.error}`
      : `${ms(r.render.firstRenderMs)} (median of ${r.render.runs})`;
  return [
    `${r.components.toLocaleString('en')} components × ${r.resources} resources (${(r.components * r.resources).toLocaleString('en')} live resources, 10 types). Median of repeated runs in one child process per task.`,
    '',
    table(
      ['what', 'time'],
      [
        ['`manager.snapshot()`', ms(c.snapshotMs)],
        [
          `\`GET /api/snapshot\` over loopback (${(c.snapshotBytes / 1024 / 1024).toFixed(1)} MiB of JSON)`,
          ms(c.apiSnapshotMs),
        ],
        ['`GET /metrics` (Prometheus text)', ms(c.metricsMs)],
        [`OpenTelemetry collection (${c.otelMetrics} metrics, runtime included)`, ms(c.otelMs)],
        [
          'Dashboard: navigation → components table rendered (Chromium, 1400×900; target ≤ 500 ms)',
          firstRender,
        ],
      ],
      'lr',
    ),
    '',
    `Event stream: ${s.tracks.toLocaleString('en')} \`track()\` calls and the batches they cause (CPU time, loop + 120 ms for the flushes):`,
    '',
    table(
      ['', 'track loop', 'CPU', 'added CPU'],
      [
        ['no monitor', ms(s.none.loopMs), ms(s.none.cpuMs), ''],
        ['monitor, no stream client', ms(s.monitor.loopMs), ms(s.monitor.cpuMs), added(s.monitor)],
        [
          `monitor, ${s.clientCount} stream clients`,
          ms(s.clients.loopMs),
          ms(s.clients.cpuMs),
          added(s.clients),
        ],
      ],
      'lrrr',
    ),
  ].join('\n');
}

/** The suite registered in bench/run.ts. */
export const suite: BenchSuite = {
  id: 'monitor',
  title: 'Monitor (snapshot, /metrics, OpenTelemetry, event stream, dashboard)',
  async run(options) {
    const components = options.quick ? 200 : 1000;
    const resources = 100;
    const reps = options.quick ? 3 : 9;
    const collect = await runChild<MonitorBenchResult['collect']>(MODULE, 'collect', {
      components,
      resources,
      reps,
    });
    const tracks = 100_000;
    const stream = { tracks, clientCount: 10 } as MonitorBenchResult['stream'];
    for (const mode of ['none', 'monitor', 'clients'] as const) {
      stream[mode] = await runChild(MODULE, 'stream', {
        tracks,
        clients: 10,
        mode,
        reps: options.quick ? 3 : 7,
      });
    }
    let rendered: MonitorBenchResult['render'];
    try {
      rendered = await runChild(
        MODULE,
        'render',
        { components, resources, reps: options.quick ? 2 : 5 },
        { timeoutMs: 180_000 },
      );
    } catch (error) {
      rendered = { error: (error as Error).message.split('\n')[0]! };
    }
    return {
      node: process.version,
      components,
      resources,
      collect,
      stream,
      render: rendered,
    } satisfies MonitorBenchResult;
  },
  render,
};
